"""Model selection: fit every algorithm over a k range, score each fit, choose one by a stated rule.

Scores, one row per algorithm and k (``marts.fct_segment_model_selection``):

- silhouette, on one seeded sample of ``sample_size`` customers, the same rows for every
  candidate so that scores compare like with like (the silhouette is quadratic in the rows, so it
  never runs on all customers); higher is better, -1..1;
- Calinski-Harabasz (between / within dispersion) and Davies-Bouldin (mean similarity of each
  cluster to its closest one; lower is better), both on every row, linear in the rows;
- inertia (within sum of squares) and BIC where the algorithm has a likelihood;
- bootstrap stability (:mod:`models_py.stability`): the lowest and the mean over clusters of the
  mean Jaccard with which a cluster comes back when the silhouette sample is resampled and refit.

The choice rule: ``force_k`` (and ``force_algorithm``) when set; otherwise, among the fits whose
every cluster is trusted (lowest bootstrap Jaccard at least 0.6; all fits when none is, or when
stability is off), the highest silhouette, ties going to the smaller k and then to the algorithm
listed first. k never exceeds the number of distinct customer profiles: the k range is capped, and
the cap is recorded in ``note``.
"""

from __future__ import annotations

import logging
import math
import time
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import calinski_harabasz_score, davies_bouldin_score

from models_py.clustering import ClusterFit, algorithm_names, make_algorithm
from models_py.stability import TRUSTED_JACCARD, bootstrap_stability, summarise

logger = logging.getLogger(__name__)

# Sample rows per block of the silhouette's distance matrix (block x sample doubles in memory).
_SILHOUETTE_BLOCK = 1024

SELECTION_COLUMNS: tuple[str, ...] = (
    "algorithm",
    "k",
    "silhouette",
    "calinski_harabasz",
    "davies_bouldin",
    "inertia",
    "bic",
    "stability_jaccard_min",
    "stability_jaccard_mean",
    "n_fit",
    "n_customers",
    "silhouette_sample_size",
    "is_chosen",
    "choice_rule",
    "note",
)


class KCappedWarning(UserWarning):
    """The k range (or force_k) asked for more clusters than there are distinct profiles."""


@dataclass(frozen=True)
class SelectionConfig:
    """Settings of model selection (dbt vars of the same names).

    Parameters
    ----------
    algorithms
        Registry names to try, in order of preference on ties.
    k_min, k_max
        The k range tried, both included; ``2 <= k_min <= k_max``.
    seed
        Seed of every fit and sample.
    sample_size
        Rows of the stratified sample the silhouette is computed on.
    force_k, force_algorithm
        Force the choice instead of the silhouette rule (``None`` = do not force).
    stability_resamples
        Bootstrap resamples of the stability columns (0 = not measured).
    """

    algorithms: tuple[str, ...] = ("kmeans",)
    k_min: int = 3
    k_max: int = 8
    seed: int = 42
    sample_size: int = 20_000
    force_k: int | None = None
    force_algorithm: str | None = None
    stability_resamples: int = 5

    def __post_init__(self) -> None:
        known = algorithm_names()
        unknown = [name for name in self.algorithms if name not in known]
        if not self.algorithms or unknown:
            raise ValueError(
                f"segmentation_algorithms must list some of {known}; got {list(self.algorithms)}"
            )
        if not 2 <= self.k_min <= self.k_max:
            raise ValueError(f"need 2 <= k_min <= k_max, got k_min={self.k_min} k_max={self.k_max}")
        if self.sample_size < 100:
            raise ValueError(f"selection_sample_size must be >= 100, got {self.sample_size}")
        if self.stability_resamples < 0:
            raise ValueError(
                f"stability_resamples must be >= 0, got {self.stability_resamples}"
            )
        if self.force_k is not None and self.force_k < 2:
            raise ValueError(f"force_k must be >= 2 or null, got {self.force_k}")
        if self.force_algorithm is not None and self.force_algorithm not in self.algorithms:
            raise ValueError(
                f"force_algorithm {self.force_algorithm!r} is not among segmentation_algorithms "
                f"{list(self.algorithms)}"
            )


@dataclass(frozen=True)
class SelectionResult:
    """The selection table and the fits behind it."""

    table: pd.DataFrame
    fits: dict[tuple[str, int], ClusterFit]
    chosen: tuple[str, int]

    @property
    def chosen_fit(self) -> ClusterFit:
        return self.fits[self.chosen]


def select_model(x: np.ndarray, config: SelectionConfig) -> SelectionResult:
    """Fit every algorithm for every k of the (capped) range, score, and choose.

    Parameters
    ----------
    x
        ``(n, p)`` model-space matrix of the customers to segment (no NaN).
    config
        Selection settings.

    Returns
    -------
    SelectionResult
        ``table`` has one row per algorithm and k with the columns of ``SELECTION_COLUMNS``.
    """
    n = x.shape[0]
    if n == 0:
        raise ValueError("no customers with activity to segment")
    ks, cap_note = candidate_ks(config, count_distinct_rows(x, at_least=max_k(config)))
    if cap_note:
        warnings.warn(cap_note, KCappedWarning, stacklevel=2)

    rows, fits = [], {}
    for name in config.algorithms:
        algorithm = make_algorithm(name, seed=config.seed)
        for k in ks:
            started = time.perf_counter()
            fit = algorithm.fit(x, k)
            logger.info("%s k=%d fit in %.2fs", name, k, time.perf_counter() - started)
            fits[(name, k)] = fit
            notes = [*fit.notes, cap_note] if cap_note else list(fit.notes)
            rows.append({
                "algorithm": name,
                "k": k,
                **score_partition(x, fit.labels),
                "inertia": fit.inertia,
                "bic": fit.bic,
                "n_fit": fit.n_fit,
                "n_customers": n,
                "note": "; ".join(notes) or None,
            })

    # The silhouette is quadratic: one seeded sample, the same rows for every candidate.
    started = time.perf_counter()
    idx = sample_rows(n, config.sample_size, config.seed)
    silhouettes = silhouette_scores(x[idx], [fit.labels[idx] for fit in fits.values()])
    logger.info("silhouette of %d fits on %d rows in %.2fs",
                len(fits), len(idx), time.perf_counter() - started)
    for row, silhouette in zip(rows, silhouettes, strict=True):
        row["silhouette"] = silhouette
        row["silhouette_sample_size"] = len(idx)

    # Bootstrap stability on the same sample: each resample refits every k of an algorithm.
    stability = _stability(x[idx], fits, idx, config)
    for row in rows:
        lowest, mean = stability.get((row["algorithm"], row["k"]), (math.nan, math.nan))
        row["stability_jaccard_min"], row["stability_jaccard_mean"] = lowest, mean

    table = pd.DataFrame(rows)
    chosen, rule = choose(table, config)
    table["is_chosen"] = (table["algorithm"] == chosen[0]) & (table["k"] == chosen[1])
    table["choice_rule"] = rule
    return SelectionResult(table=_typed(table), fits=fits, chosen=chosen)


def _stability(
    sample: np.ndarray,
    fits: dict[tuple[str, int], ClusterFit],
    idx: np.ndarray,
    config: SelectionConfig,
) -> dict[tuple[str, int], tuple[float, float]]:
    """(lowest, mean) bootstrap Jaccard of every fit; empty when stability is off."""
    if config.stability_resamples == 0:
        return {}
    out = {}
    for name in config.algorithms:
        started = time.perf_counter()
        references = {
            k: fit.labels[idx] for (algorithm, k), fit in fits.items() if algorithm == name
        }
        per_cluster = bootstrap_stability(
            sample, references, name, config.stability_resamples, config.seed
        )
        out.update({(name, k): summarise(values) for k, values in per_cluster.items()})
        logger.info("%s: stability of %d fits, %d resamples of %d rows, in %.2fs", name,
                    len(references), config.stability_resamples, len(sample),
                    time.perf_counter() - started)
    return out


def max_k(config: SelectionConfig) -> int:
    """The largest k the configuration can ask for."""
    return max(config.k_max, config.force_k or 0)


def candidate_ks(config: SelectionConfig, n_distinct: int) -> tuple[list[int], str | None]:
    """The k values to fit: the range (plus force_k) capped at ``n_distinct`` profiles.

    Returns the sorted k values and a note when a cap applied (else ``None``).
    """
    wanted = set(range(config.k_min, config.k_max + 1))
    if config.force_k is not None:
        wanted.add(config.force_k)
    ks = sorted(k for k in wanted if k <= n_distinct)
    if len(ks) == len(wanted):
        return ks, None
    if not ks:
        ks = [max(n_distinct, 1)]
    return ks, (
        f"k capped at {ks[-1]}: only {n_distinct} distinct customer profiles "
        f"(asked for up to {max(wanted)})"
    )


def count_distinct_rows(x: np.ndarray, at_least: int) -> int:
    """Distinct rows of ``x``, exact below ``at_least``; ``at_least`` or more means "enough"."""
    head = x[: min(x.shape[0], 50 * at_least)]
    distinct = len(np.unique(head, axis=0))
    if distinct >= at_least or head.shape[0] == x.shape[0]:
        return distinct
    return len(np.unique(x, axis=0))


def sample_rows(n: int, size: int, seed: int) -> np.ndarray:
    """Sorted indices of a seeded uniform sample of ``size`` of ``n`` rows (all when fewer)."""
    if size >= n:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, size=size, replace=False))


def silhouette_scores(x: np.ndarray, label_sets: list[np.ndarray]) -> list[float]:
    """Mean silhouette of several partitions of the same rows, in one pass over the distances.

    Equal to ``sklearn.metrics.silhouette_score`` for each partition (a row alone in its cluster
    scores 0), but the pairwise distances, the quadratic part, are computed once for all
    partitions, block by block, in ``O(rows x block)`` memory. NaN for a partition with fewer
    than two clusters or as many clusters as rows.
    """
    m = x.shape[0]
    # One-hot columns of every partition side by side: distance sums per cluster are one product.
    blocks, offsets = [], [0]
    for labels in label_sets:
        k = int(labels.max()) + 1
        onehot = np.zeros((m, k))
        onehot[np.arange(m), labels] = 1.0
        blocks.append(onehot)
        offsets.append(offsets[-1] + k)
    # Distances in float32 (half the time of float64; silhouettes agree to about 1e-5).
    onehot_all = np.hstack(blocks).astype(np.float32)
    counts = onehot_all.sum(axis=0, dtype=np.float64)
    sums = np.empty((m, onehot_all.shape[1]))
    x32 = np.ascontiguousarray(x, dtype=np.float32)
    sq = np.einsum("ij,ij->i", x32, x32)
    for start in range(0, m, _SILHOUETTE_BLOCK):
        stop = min(start + _SILHOUETTE_BLOCK, m)
        dist = x32[start:stop] @ x32.T
        dist *= -2.0
        dist += sq[None, :]
        dist += sq[start:stop, None]
        np.maximum(dist, 0.0, out=dist)
        np.sqrt(dist, out=dist)
        dist[np.arange(stop - start), np.arange(start, stop)] = 0.0
        sums[start:stop] = dist @ onehot_all

    scores = []
    for labels, lo, hi in zip(label_sets, offsets[:-1], offsets[1:], strict=True):
        part_sums, part_counts = sums[:, lo:hi], counts[lo:hi]
        present = part_counts > 0
        if present.sum() < 2 or present.sum() >= m:
            scores.append(math.nan)
            continue
        rows = np.arange(m)
        own_count = part_counts[labels]
        with np.errstate(invalid="ignore", divide="ignore"):
            a = part_sums[rows, labels] / (own_count - 1)
            mean_other = part_sums / part_counts
        mean_other[rows, labels] = np.inf
        mean_other[:, ~present] = np.inf
        b = mean_other.min(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            s = (b - a) / np.maximum(a, b)
        s = np.where(own_count > 1, np.nan_to_num(s), 0.0)
        scores.append(float(s.mean()))
    return scores


def score_partition(x: np.ndarray, labels: np.ndarray) -> dict[str, float]:
    """Calinski-Harabasz and Davies-Bouldin on every row (NaN with fewer than two clusters)."""
    found = len(np.unique(labels))
    if found < 2 or found >= x.shape[0]:
        return {"calinski_harabasz": math.nan, "davies_bouldin": math.nan}
    return {
        "calinski_harabasz": float(calinski_harabasz_score(x, labels)),
        "davies_bouldin": float(davies_bouldin_score(x, labels)),
    }


def choose(table: pd.DataFrame, config: SelectionConfig) -> tuple[tuple[str, int], str]:
    """The chosen (algorithm, k) and the rule, in words, that chose it."""
    order = {name: i for i, name in enumerate(config.algorithms)}
    candidates = table.assign(_order=table["algorithm"].map(order))
    sample = int(table["silhouette_sample_size"].max())
    rule = (
        f"highest silhouette (seeded sample of {sample} rows, seed {config.seed}); "
        "ties to the smaller k, then to the algorithm listed first"
    )
    if config.force_algorithm is not None:
        candidates = candidates[candidates["algorithm"] == config.force_algorithm]
        rule = f"forced algorithm {config.force_algorithm} (var force_algorithm); " + rule
    if config.force_k is not None:
        forced_k = min(config.force_k, int(candidates["k"].max()))
        candidates = candidates[candidates["k"] == forced_k]
        capped = "" if forced_k == config.force_k else f", capped from {config.force_k}"
        rule = f"forced k={forced_k}{capped} (var force_k); " + rule
    elif candidates.get("stability_jaccard_min", pd.Series(dtype=float)).notna().any():
        trusted = candidates["stability_jaccard_min"] >= TRUSTED_JACCARD
        rule = (
            f"among fits whose every cluster has bootstrap Jaccard >= {TRUSTED_JACCARD} "
            f"({config.stability_resamples} resamples; all fits if none), " + rule
        )
        if trusted.any():
            candidates = candidates[trusted]
    ranked = candidates.assign(
        _silhouette=candidates["silhouette"].fillna(-math.inf)
    ).sort_values(["_silhouette", "k", "_order"], ascending=[False, True, True], kind="stable")
    best = ranked.iloc[0]
    return (str(best["algorithm"]), int(best["k"])), rule


def empty_selection_table() -> pd.DataFrame:
    """The selection table with no rows (nothing to segment), typed as a full one."""
    return _typed(pd.DataFrame({name: [] for name in SELECTION_COLUMNS}))


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    """Column order and types of fct_segment_model_selection."""
    table = table[list(SELECTION_COLUMNS)].copy()
    table["k"] = table["k"].astype("int32")
    for name in ("silhouette", "calinski_harabasz", "davies_bouldin", "inertia", "bic",
                 "stability_jaccard_min", "stability_jaccard_mean"):
        table[name] = table[name].astype("float64")
    for name in ("n_fit", "n_customers", "silhouette_sample_size"):
        table[name] = table[name].astype("int64")
    table["is_chosen"] = table["is_chosen"].astype(bool)
    for name in ("algorithm", "choice_rule", "note"):
        table[name] = table[name].astype("str")
    return table.reset_index(drop=True)
