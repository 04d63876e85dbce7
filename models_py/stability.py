"""Bootstrap stability of clusters: would a cluster come back if the customers were resampled?

For each algorithm and k (after Hennig, "Cluster-wise assessment of cluster stability", 2007):
draw a bootstrap resample of the seeded sample, refit, and for every cluster of the reference fit
take its best Jaccard similarity with a cluster of the refit, on the customers drawn. The mean
over resamples is the cluster's stability: below 0.6 a cluster is not to be trusted, 0.75 and
above it is stable.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from models_py.clustering import make_algorithm

logger = logging.getLogger(__name__)

# A cluster whose mean bootstrap Jaccard is below this is not to be trusted (Hennig 2007).
TRUSTED_JACCARD = 0.6
STABLE_JACCARD = 0.75


def jaccard_best_match(reference: np.ndarray, other: np.ndarray, k: int) -> np.ndarray:
    """``(k,)`` for each reference cluster 0..k-1, its highest Jaccard with a cluster of ``other``.

    Both label arrays are over the same rows. A reference cluster absent from the rows scores NaN.
    """
    k_other = int(other.max()) + 1 if len(other) else 1
    intersection = np.bincount(reference * k_other + other, minlength=k * k_other).reshape(
        k, k_other
    )
    size_ref = np.bincount(reference, minlength=k)[:, None]
    size_other = np.bincount(other, minlength=k_other)[None, :]
    union = size_ref + size_other - intersection
    with np.errstate(invalid="ignore", divide="ignore"):
        best = (intersection / np.where(union > 0, union, 1)).max(axis=1)
    return np.where(size_ref[:, 0] > 0, best, np.nan)


def bootstrap_stability(
    x: np.ndarray,
    references: dict[int, np.ndarray],
    algorithm: str,
    resamples: int,
    seed: int,
) -> dict[int, np.ndarray]:
    """Mean bootstrap Jaccard of every cluster of every reference fit of one algorithm.

    Parameters
    ----------
    x
        ``(m, p)`` the rows to resample (the seeded selection sample).
    references
        k -> ``(m,)`` labels of the reference fit of that k on these rows.
    algorithm
        Registry name; refit with seed ``seed + b`` on resample ``b``.
    resamples
        Bootstrap resamples.
    seed
        Seed of the resamples.

    Returns
    -------
    dict
        k -> ``(k,)`` mean Jaccard of each reference cluster (NaN if never drawn).
    """
    m = x.shape[0]
    rng = np.random.default_rng(seed)
    totals = {k: np.zeros(k) for k in references}
    counts = {k: np.zeros(k) for k in references}
    for b in range(resamples):
        drawn = rng.integers(0, m, size=m)
        rows, first = np.unique(drawn, return_index=True)
        # One instance per resample: Ward builds its tree once and cuts it for every k.
        model = make_algorithm(algorithm, seed=seed + b)
        resample = x[drawn]
        for k, labels in references.items():
            if k < 2 or len(rows) <= k:
                continue
            refit = model.fit(resample, k).labels[first]
            scores = jaccard_best_match(labels[rows], refit, k)
            seen = ~np.isnan(scores)
            totals[k][seen] += scores[seen]
            counts[k][seen] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return {k: totals[k] / np.where(counts[k] > 0, counts[k], np.nan) for k in references}


def summarise(per_cluster: Sequence[float]) -> tuple[float, float]:
    """(lowest, mean) cluster stability, NaN when nothing was measured."""
    values = np.asarray(per_cluster, dtype=np.float64)
    values = values[~np.isnan(values)]
    if len(values) == 0:
        return float("nan"), float("nan")
    return float(values.min()), float(values.mean())
