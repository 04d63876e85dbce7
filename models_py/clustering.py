"""Clustering algorithms behind one registry, and the assignment of customers to a fitted model.

Every algorithm takes the model-space matrix from :mod:`models_py.preprocessing` and a number of
clusters ``k``, and returns a :class:`ClusterFit`: a label for every row, the centres in model
space, a membership strength in [0, 1] per row, and the rows it was fit on. Algorithms register
themselves by name (``@register``); dbt vars name them (var ``segmentation_algorithms``):

- ``kmeans``: K-means (Lloyd, k-means++ starts); above 250k rows fit on a seeded sample;
- ``ward``: hierarchical clustering, Ward linkage; the linkage needs memory quadratic in the
  rows, so above 2 GiB (16k rows) it runs on a seeded sample; centres = sample cluster means;
- ``gaussian_mixture``: a Gaussian mixture with diagonal covariances (BIC recorded); the
  membership strength is the posterior probability of the customer's segment.

TODO: DBSCAN and HDBSCAN (issue 5) are not registered yet: they choose their own number of
clusters and leave noise, so the selection table needs a noise-share column and rows that are
not indexed by k, and segment 0 would have to share its rule with noise points.

A fitted model is its centres, plus variances and weights for the mixture: :func:`score_rows`
assigns customers from those alone (nearest centre, or highest posterior), so scoring needs no
refit, in Python or in SQL.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from sklearn.cluster import KMeans
from sklearn.mixture import GaussianMixture
from threadpoolctl import threadpool_limits

logger = logging.getLogger(__name__)

# Rows per block when computing distances to centres, to bound memory at a million customers.
_BLOCK_ROWS = 65_536
# Below this many matrix cells a fit runs on one thread: OpenMP threads cost more than they
# save on small data, and far more when dbt runs another model beside this one (measured: 10k x
# 30 K-means 0.19 s on one thread against 1.4 s on two, with the two cores busy).
_SINGLE_THREAD_CELLS = 5_000_000


@dataclass(frozen=True)
class ClusterFit:
    """The result of fitting one algorithm with one k.

    Attributes
    ----------
    algorithm, k
        Registry name and the number of clusters found (``labels`` take values ``0..k-1``).
    labels
        ``(n,)`` cluster of every row given to ``fit``.
    centers
        ``(k, p)`` centres in model space.
    membership
        ``(n,)`` strength of each row's membership in its cluster, 0 (on a boundary) to 1.
    n_fit
        Rows the algorithm was fit on (fewer than ``n`` when it fits on a sample).
    inertia
        Sum of squared distances of every row to its cluster's centre.
    bic
        Bayesian information criterion where the algorithm has a likelihood, else ``None``.
    variances, weights
        ``(k, p)`` diagonal variances and ``(k,)`` weights of a mixture; ``None`` for algorithms
        that assign to the nearest centre.
    notes
        What happened that a reader of the selection table should know (sampling, retries).
    """

    algorithm: str
    k: int
    labels: np.ndarray
    centers: np.ndarray
    membership: np.ndarray
    n_fit: int
    inertia: float
    bic: float | None = None
    variances: np.ndarray | None = None
    weights: np.ndarray | None = None
    notes: tuple[str, ...] = ()


class ClusterAlgorithm(ABC):
    """A clustering algorithm: configured in the constructor, validated and run in ``fit``.

    Parameters
    ----------
    seed
        Seed of every random choice the algorithm makes.
    """

    name: ClassVar[str]

    def __init__(self, seed: int = 0) -> None:
        self.seed = int(seed)

    def fit(self, x: np.ndarray, k: int) -> ClusterFit:
        """Fit ``k`` clusters on ``x`` (``(n, p)`` model space, no NaN) and label every row.

        ``k = 1`` (one distinct profile) needs no algorithm: one cluster at the mean.
        """
        if x.ndim != 2 or x.shape[0] == 0 or x.shape[1] == 0:
            raise ValueError(f"expected a 2-d array with rows and features, got shape {x.shape}")
        if not np.isfinite(x).all():
            raise ValueError("the model-space matrix holds NaN or infinite values")
        if not 1 <= k <= x.shape[0]:
            raise ValueError(f"k must be in 1..{x.shape[0]} (rows), got {k}")
        if k == 1:
            labels = np.zeros(x.shape[0], dtype=np.int64)
            centers = x.mean(axis=0, keepdims=True)
            return ClusterFit(
                algorithm=self.name, k=1, labels=labels, centers=centers,
                membership=np.ones(x.shape[0]), n_fit=x.shape[0],
                inertia=within_sum_of_squares(x, labels, centers),
                notes=("one cluster: a single distinct profile",),
            )
        return self._fit(x, k)

    @abstractmethod
    def _fit(self, x: np.ndarray, k: int) -> ClusterFit:
        """Fit ``k >= 2`` clusters on a checked ``x``."""


_REGISTRY: dict[str, type[ClusterAlgorithm]] = {}


def register(cls: type[ClusterAlgorithm]) -> type[ClusterAlgorithm]:
    """Class decorator: make an algorithm available under ``cls.name``."""
    if cls.name in _REGISTRY:
        raise ValueError(f"algorithm {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def algorithm_names() -> tuple[str, ...]:
    """Names of the registered algorithms, in registration order."""
    return tuple(_REGISTRY)


def make_algorithm(name: str, seed: int, **params: object) -> ClusterAlgorithm:
    """An instance of the algorithm registered as ``name``."""
    if name not in _REGISTRY:
        raise ValueError(
            f"unknown segmentation algorithm {name!r}; known: {', '.join(algorithm_names())}"
        )
    return _REGISTRY[name](seed=seed, **params)


@register
class KMeansAlgorithm(ClusterAlgorithm):
    """K-means (Lloyd, k-means++ starts) on every row.

    Parameters
    ----------
    seed
        ``random_state`` of scikit-learn's ``KMeans``.
    n_init
        Starts; the one with the lowest inertia is kept.
    max_iter
        Lloyd iterations per start.
    """

    name = "kmeans"

    def __init__(
        self, seed: int = 0, n_init: int = 4, max_iter: int = 300, max_fit_rows: int = 250_000
    ) -> None:
        super().__init__(seed)
        self.n_init = int(n_init)
        self.max_iter = int(max_iter)
        self.max_fit_rows = int(max_fit_rows)

    def _fit(self, x: np.ndarray, k: int) -> ClusterFit:
        # Above max_fit_rows the centres are fit on a seeded sample (they hardly move with more
        # rows) and every row is then assigned to the nearest one.
        fit_rows, notes = seeded_sample(x, self.max_fit_rows, self.seed)
        model = KMeans(
            n_clusters=k, n_init=self.n_init, max_iter=self.max_iter, random_state=self.seed
        )
        with threadpool_limits(limits=_threads_for(fit_rows)):
            model.fit(fit_rows)
        centers = model.cluster_centers_
        labels, membership = assign_nearest(x, centers)
        return ClusterFit(
            algorithm=self.name,
            k=k,
            labels=labels,
            centers=centers,
            membership=membership,
            n_fit=fit_rows.shape[0],
            inertia=within_sum_of_squares(x, labels, centers),
            notes=notes,
        )


@register
class WardAlgorithm(ClusterAlgorithm):
    """Agglomerative clustering with Ward linkage, cut at k clusters.

    The linkage needs the condensed distance matrix and a working copy, about ``8 n^2`` bytes,
    so the memory is estimated first: above ``max_memory_gib`` the tree is built on a seeded
    sample of the rows that fit (16k rows in 2 GiB), the centres are the means of the sample's
    clusters and every row is assigned to the nearest. The tree is built once and cut for every k.

    Parameters
    ----------
    seed
        Seed of the sample.
    max_memory_gib
        Memory the linkage may take.
    """

    name = "ward"

    def __init__(self, seed: int = 0, max_memory_gib: float = 2.0) -> None:
        super().__init__(seed)
        self.max_fit_rows = max(2, int((max_memory_gib * 2**30 / 8) ** 0.5))
        self._tree: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def _fit(self, x: np.ndarray, k: int) -> ClusterFit:
        fit_rows, tree = self._linkage(x)
        notes = ()
        if fit_rows.shape[0] < x.shape[0]:
            notes = (
                f"fit on {fit_rows.shape[0]} of {x.shape[0]} rows (seeded sample; Ward needs "
                f"~{_ward_bytes(x.shape[0]) / 2**30:.1f} GiB on all), every row assigned",
            )
        sample_labels = fcluster(tree, t=k, criterion="maxclust") - 1
        found = int(sample_labels.max()) + 1
        if found < k:
            notes = (*notes, f"the tree gives {found} clusters at k={k} (tied merge heights)")
        centers = cluster_means(fit_rows, sample_labels, found)
        labels, membership = assign_nearest(x, centers)
        return ClusterFit(
            algorithm=self.name,
            k=found,
            labels=labels,
            centers=centers,
            membership=membership,
            n_fit=fit_rows.shape[0],
            inertia=within_sum_of_squares(x, labels, centers),
            notes=notes,
        )

    def _linkage(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sample and its Ward tree, built once per input matrix."""
        if self._tree is not None and self._tree[0] is x:
            return self._tree[1], self._tree[2]
        fit_rows, _ = seeded_sample(x, self.max_fit_rows, self.seed)
        logger.info(
            "ward: linkage on %d rows (~%.1f GiB)",
            fit_rows.shape[0], _ward_bytes(fit_rows.shape[0]) / 2**30,
        )
        tree = linkage(fit_rows, method="ward")
        self._tree = (x, fit_rows, tree)
        return fit_rows, tree


@register
class GaussianMixtureAlgorithm(ClusterAlgorithm):
    """A Gaussian mixture with diagonal covariances (EM, k-means starts).

    Diagonal covariances keep the fitted model a table (a mean and a variance per segment and
    feature, a weight per segment) that can score customers without scikit-learn. A covariance
    that cannot be estimated (a feature constant within a component) is retried with 1,000 and
    then 100,000 times the regularisation; each retry is logged and noted.

    Parameters
    ----------
    seed
        ``random_state`` of scikit-learn's ``GaussianMixture``.
    n_init
        EM starts; the one with the highest likelihood is kept.
    max_fit_rows
        Above this many rows the mixture is fit on a seeded sample; every row is then scored.
    reg_covar
        Added to every variance.
    """

    name = "gaussian_mixture"

    def __init__(
        self,
        seed: int = 0,
        n_init: int = 2,
        max_fit_rows: int = 250_000,
        reg_covar: float = 1e-6,
    ) -> None:
        super().__init__(seed)
        self.n_init = int(n_init)
        self.max_fit_rows = int(max_fit_rows)
        self.reg_covar = float(reg_covar)

    def _fit(self, x: np.ndarray, k: int) -> ClusterFit:
        fit_rows, notes = seeded_sample(x, self.max_fit_rows, self.seed)
        model = None
        for factor in (1.0, 1e3, 1e5):
            reg = self.reg_covar * factor
            candidate = GaussianMixture(
                n_components=k, covariance_type="diag", n_init=self.n_init,
                reg_covar=reg, random_state=self.seed,
            )
            try:
                with threadpool_limits(limits=_threads_for(fit_rows)):
                    model = candidate.fit(fit_rows)
                break
            except ValueError as error:
                logger.warning("gaussian_mixture k=%d: %s; retrying with reg_covar %g",
                               k, error, reg * 100)
                notes = (*notes, f"covariance retried with reg_covar above {reg:g}")
        if model is None:
            raise ValueError(
                f"gaussian_mixture k={k}: covariances cannot be estimated even with reg_covar "
                f"{self.reg_covar * 1e5:g}; drop the algorithm or lower k"
            )
        centers, variances, weights = model.means_, model.covariances_, model.weights_
        labels, membership = score_rows(x, centers, variances, weights)
        return ClusterFit(
            algorithm=self.name,
            k=k,
            labels=labels,
            centers=centers,
            membership=membership,
            n_fit=fit_rows.shape[0],
            inertia=within_sum_of_squares(x, labels, centers),
            bic=float(model.bic(fit_rows)),
            variances=variances,
            weights=weights,
            notes=notes,
        )


def score_rows(
    x: np.ndarray,
    centers: np.ndarray,
    variances: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Assign rows to a fitted model: the nearest centre, or the most probable mixture component.

    Without ``variances`` this is :func:`assign_nearest`. With them (a diagonal Gaussian mixture)
    the label is the component of highest posterior probability and the strength is that
    probability.
    """
    if variances is None:
        return assign_nearest(x, centers)
    if weights is None:
        raise ValueError("a mixture needs its weights as well as its variances")
    n = x.shape[0]
    labels = np.empty(n, dtype=np.int64)
    strength = np.empty(n, dtype=np.float64)
    precision = 1.0 / variances
    constant = np.log(weights) - 0.5 * (
        np.log(2 * np.pi * variances).sum(axis=1) + (centers**2 * precision).sum(axis=1)
    )
    for start in range(0, n, _BLOCK_ROWS):
        block = x[start : start + _BLOCK_ROWS]
        # log w_c + log N(x | mu_c, diag var_c), expanded so that it is two matrix products.
        log_prob = (
            constant
            - 0.5 * (block**2) @ precision.T
            + block @ (centers * precision).T
        )
        log_prob -= log_prob.max(axis=1, keepdims=True)
        prob = np.exp(log_prob)
        prob /= prob.sum(axis=1, keepdims=True)
        labels[start : start + len(block)] = prob.argmax(axis=1)
        strength[start : start + len(block)] = prob.max(axis=1)
    return labels, strength


def seeded_sample(x: np.ndarray, max_rows: int, seed: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """``x`` itself when it has at most ``max_rows`` rows, else a seeded sample of them.

    Returns the rows and a note for the selection table ("fit on N of M rows ...") when sampled.
    """
    n = x.shape[0]
    if n <= max_rows:
        return x, ()
    idx = np.sort(np.random.default_rng(seed).choice(n, size=max_rows, replace=False))
    return x[idx], (f"fit on {max_rows} of {n} rows (seeded sample), every row assigned",)


def _ward_bytes(rows: int) -> float:
    """Memory the Ward linkage needs on ``rows`` rows: the condensed distances and a copy."""
    return 8.0 * rows * rows


def _threads_for(x: np.ndarray) -> int | None:
    """Thread limit for fitting on ``x``: 1 for small data, None (no limit) for large."""
    return 1 if x.size < _SINGLE_THREAD_CELLS else None


def assign_nearest(x: np.ndarray, centers: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest centre of every row and the strength of that membership.

    The strength is ``1 - d_own / d_next``, with ``d_own`` the distance to the nearest centre and
    ``d_next`` the distance to the second nearest: 1 at the centre, 0 on the boundary between two
    clusters; 1 when there is a single centre.

    Returns
    -------
    tuple of numpy.ndarray
        ``(n,)`` int64 labels ``0..k-1`` (ties go to the lower index) and ``(n,)`` float64 strength.
    """
    n, k = x.shape[0], centers.shape[0]
    labels = np.empty(n, dtype=np.int64)
    strength = np.ones(n, dtype=np.float64)
    center_sq = np.einsum("ij,ij->i", centers, centers)
    for start in range(0, n, _BLOCK_ROWS):
        block = x[start : start + _BLOCK_ROWS]
        sq = np.einsum("ij,ij->i", block, block)[:, None] - 2 * block @ centers.T + center_sq
        dist = np.sqrt(np.maximum(sq, 0.0))
        labels[start : start + len(block)] = dist.argmin(axis=1)
        if k > 1:
            two = np.partition(dist, 1, axis=1)[:, :2]
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = np.where(two[:, 1] > 0, two[:, 0] / two[:, 1], 1.0)
            strength[start : start + len(block)] = np.clip(1.0 - ratio, 0.0, 1.0)
    return labels, strength


def within_sum_of_squares(x: np.ndarray, labels: np.ndarray, centers: np.ndarray) -> float:
    """Sum over rows of the squared distance to the centre of the row's cluster."""
    total = 0.0
    for start in range(0, x.shape[0], _BLOCK_ROWS):
        diff = x[start : start + _BLOCK_ROWS] - centers[labels[start : start + _BLOCK_ROWS]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


def cluster_means(x: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """``(k, p)`` mean of the rows of each cluster ``0..k-1`` (zeros for an empty cluster)."""
    sums = np.column_stack(
        [np.bincount(labels, weights=x[:, j], minlength=k) for j in range(x.shape[1])]
    ).reshape(k, x.shape[1])
    counts = np.bincount(labels, minlength=k).astype(np.float64)
    return sums / np.maximum(counts, 1.0)[:, None]
