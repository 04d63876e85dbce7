"""Stable segment ids: a canonical order for one fit, and matching to a previous run's segments.

Clustering algorithms number their clusters arbitrarily (a different seed can find the same
partition under permuted labels). Segment ids are made canonical here: 1 is the largest cluster,
then by size descending, equal sizes by their centres (lexicographic order, rounded so that float
noise cannot flip it). Id 0 is reserved for customers without activity.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

INACTIVE_SEGMENT_ID = 0


def canonical_ids(labels: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Segment id (1..k) of each cluster 0..k-1: largest first, ties broken by centre.

    Parameters
    ----------
    labels
        ``(n,)`` cluster of every row, values ``0..k-1``.
    centers
        ``(k, p)`` centres of the clusters.

    Returns
    -------
    numpy.ndarray
        ``(k,)`` int64: ``ids[c]`` is the segment id of cluster ``c``.
    """
    k = centers.shape[0]
    sizes = np.bincount(labels, minlength=k)
    rounded = np.round(centers, 9)
    # lexsort sorts by the last key first: size descending, then centre coordinates in order.
    keys = [rounded[:, j] for j in reversed(range(centers.shape[1]))] + [-sizes]
    order = np.lexsort(keys)
    ids = np.empty(k, dtype=np.int64)
    ids[order] = np.arange(1, k + 1)
    return ids


def relabel(
    labels: np.ndarray, centers: np.ndarray, ids: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Labels as segment ids and the centres in segment-id order (row ``i`` = segment ``i + 1``)."""
    return ids[labels], in_id_order(centers, ids)


def in_id_order(per_cluster: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Rows of a per-cluster array (centres, variances, weights) in segment-id order."""
    ordered = np.empty_like(per_cluster)
    ordered[ids - 1] = per_cluster
    return ordered


def match_to_previous(
    centers: np.ndarray,
    previous_centers: np.ndarray,
    previous_ids: np.ndarray,
    max_distance: float = np.inf,
) -> np.ndarray:
    """Ids for new clusters that keep the id of the previous segment each one matches.

    Clusters and previous segments are paired by the Hungarian assignment that minimises the total
    distance between centres (both in the same model space). A pair farther apart than
    ``max_distance`` is not a match; unmatched clusters get new ids above every previous id, in
    the order of their index.

    Returns
    -------
    numpy.ndarray
        ``(k,)`` int64 id of each new cluster.
    """
    # TODO: not wired into the dbt models yet; the next month's refit needs the previous run's
    # centroids in the same model space, and the preprocessing is refit every run.
    distance = np.linalg.norm(centers[:, None, :] - previous_centers[None, :, :], axis=2)
    rows, cols = linear_sum_assignment(distance)
    ids = np.full(centers.shape[0], -1, dtype=np.int64)
    for row, col in zip(rows, cols, strict=True):
        if distance[row, col] <= max_distance:
            ids[row] = previous_ids[col]
    next_id = int(max(previous_ids.max(initial=0), INACTIVE_SEGMENT_ID)) + 1
    for row in np.flatnonzero(ids < 0):
        ids[row] = next_id
        next_id += 1
    return ids
