"""Stratified seeded samples of the segmented customers.

Each segment gets its share of the sample (largest remainders), and at least a floor of rows
so that a small segment still has enough customers to describe. Rows are drawn without
replacement from each segment in the order given (the customers sorted by key), so that the
same labels, size and seed give the same sample.
"""

from __future__ import annotations

import numpy as np

# A segment gets at least this many rows (or all of its rows) in a sample.
MIN_ROWS_PER_SEGMENT = 30


def stratified_sample(
    labels: np.ndarray, size: int, seed: int, min_per_segment: int = MIN_ROWS_PER_SEGMENT
) -> np.ndarray:
    """Row indices of a stratified sample of about ``size`` rows.

    Parameters
    ----------
    labels
        ``(n,)`` segment of every row.
    size
        Rows wanted; at least ``min(count, min_per_segment)`` are taken from every segment, so
        the sample can exceed ``size`` by up to ``k * min_per_segment``.
    seed
        Seed of the draw.

    Returns
    -------
    numpy.ndarray
        Sorted int64 indices into ``labels``; every row when ``size >= n``.
    """
    n = len(labels)
    if size >= n:
        return np.arange(n, dtype=np.int64)
    groups, counts = np.unique(labels, return_counts=True)
    allocation = _allocate(counts, size)
    allocation = np.maximum(allocation, np.minimum(counts, min_per_segment))
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(labels == group), size=int(take), replace=False)
        for group, take in zip(groups, allocation, strict=True)
    ]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def sample_weights(labels: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """``(len(sample),)`` weight of each sampled row: its segment's rows / its sampled rows.

    Weighted means over the sample then estimate means over every row.
    """
    groups, inverse = np.unique(labels, return_inverse=True)
    total = np.bincount(inverse, minlength=len(groups))
    drawn = np.bincount(inverse[sample], minlength=len(groups))
    return (total / np.maximum(drawn, 1))[inverse[sample]].astype(np.float64)


def _allocate(counts: np.ndarray, size: int) -> np.ndarray:
    """Proportional allocation of ``size`` rows by largest remainders (ties to the first)."""
    exact = counts * size / counts.sum()
    allocation = np.floor(exact).astype(np.int64)
    remainder = size - int(allocation.sum())
    order = np.argsort(-(exact - allocation), kind="stable")
    allocation[order[:remainder]] += 1
    return np.minimum(allocation, counts)
