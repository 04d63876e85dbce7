"""Small vectorised sampling helpers shared by the simulation modules."""

from __future__ import annotations

import numpy as np


def choose(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row of ``weights``, drawn with probability proportional to them."""
    cum = np.cumsum(weights, axis=1)
    u = rng.random(len(weights)) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), weights.shape[1] - 1).astype(np.int64)


def choose_cdf(rng: np.random.Generator, cdf: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One column index per element of ``row``, drawn from the cumulative shares ``cdf[row]``
    (rows of ``cdf`` end at 1). Cheaper than :func:`choose` when few distinct rows repeat."""
    u = rng.random(len(row))
    code = np.zeros(len(row), dtype=np.int64)
    for column in range(cdf.shape[1] - 1):
        code += u >= cdf[row, column]
    return code


def ragged(counts: np.ndarray) -> np.ndarray:
    """Owner index of ``counts.sum()`` elements laid out group after group."""
    return np.repeat(np.arange(len(counts)), counts)


def cumsum_by_group(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each group of ``counts`` consecutive values."""
    cum = np.concatenate([[0.0], np.cumsum(values)])
    starts = np.cumsum(counts) - counts
    return cum[1:] - np.repeat(cum[starts], counts)


def lognormal(rng: np.random.Generator, median: np.ndarray, sigma: float) -> np.ndarray:
    """Lognormal draws with the given medians."""
    median = np.asarray(median, dtype=np.float64)
    return median * np.exp(sigma * rng.standard_normal(median.shape))
