"""Top reasons of every customer: an exact decomposition of why their own centre is nearest.

A customer of segment ``s`` is there because their own centre ``c_s`` is nearer than every other
one, in particular the nearest other centre ``c_o`` (the runner-up). In model space the margin
splits exactly into one term per feature:

    d(x, c_o)^2 - d(x, c_s)^2 = sum_j [(x_j - c_oj)^2 - (x_j - c_sj)^2]

A positive term pulls the customer towards their own segment, a negative one towards the other.
The reasons are the features with the largest positive terms; ``contribution_share`` is a term's
share of the sum of the positive terms (the reasons of one customer add up to at most 1). For a
Gaussian mixture (diagonal covariance) the log posterior ratio splits the same way, per feature
``-0.5 * (log v_sj + (x_j - m_sj)^2 / v_sj)`` minus the same for ``o``, plus a prior term
``log w_s - log w_o`` that belongs to no feature. Both are sums, so the decomposition is exact and
costs two row-wise products: it runs on every customer, in blocks, with no sampling.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_py.explain.config import ExplainConfig
from models_py.explain.inputs import ExplainInputs, prepare_inputs, segment_means, take_strings
from models_py.identity import INACTIVE_SEGMENT_ID

logger = logging.getLogger(__name__)

# Rows per block of the vectorised decomposition (bounds memory at a million customers).
_BLOCK_ROWS = 65_536
# Fixed reason of the customers of segment 0, assigned by rule rather than by the model.
RULE_FEATURE = "has_activity"
METHODS = ("centroid_distance", "mixture_likelihood", "rule")
EXPLANATION_COLUMNS = (
    "customer_id", "segment_id", "rank", "feature", "contribution", "contribution_share",
    "direction", "customer_value", "segment_mean", "other_segment_id", "other_segment_mean",
    "method",
)


@dataclass(frozen=True)
class CentroidModel:
    """The fitted segmentation's parameters in model space.

    Attributes
    ----------
    segment_ids
        ``(k,)`` segment id of each row of the parameters, ascending.
    centers
        ``(k, p)`` centres (mixture means).
    variances, weights
        Gaussian mixture only: ``(k, p)`` diagonal variances and ``(k,)`` weights; else None.
    """

    segment_ids: np.ndarray
    centers: np.ndarray
    variances: np.ndarray | None = None
    weights: np.ndarray | None = None

    @property
    def method(self) -> str:
        return "centroid_distance" if self.variances is None else "mixture_likelihood"


@dataclass(frozen=True)
class TopReasons:
    """The top reasons of ``n`` customers (``t`` = reasons kept per customer).

    Attributes
    ----------
    other
        ``(n,)`` index into the model's segments of the nearest other segment.
    features
        ``(n, t)`` feature index of each reason, by decreasing contribution.
    contributions
        ``(n, t)`` the features' terms of the margin.
    shares
        ``(n, t)`` each term over the sum of the customer's positive terms (0 when not positive).
    margins
        ``(n,)`` the margin: sum of every feature's term plus the prior term.
    max_error
        Largest ``|sum of terms + prior - margin|``, the margin computed independently from the
        whole distances (or log likelihoods): the decomposition's exactness, near 1e-12.
    """

    other: np.ndarray
    features: np.ndarray
    contributions: np.ndarray
    shares: np.ndarray
    margins: np.ndarray
    max_error: float


def centroid_model(centroids: pd.DataFrame, features: list[str]) -> CentroidModel:
    """Read ``fct_segment_centroids`` (segment x feature) into a :class:`CentroidModel`.

    Raises
    ------
    ValueError
        The centroids name other features than the preprocessing: the marts are out of step.
    """
    found = sorted(centroids["feature"].unique())
    if found != sorted(features):
        raise ValueError(
            "fct_segment_centroids and fct_segment_preprocessing name different features; "
            f"rebuild both: centroids {found}, preprocessing {sorted(features)}"
        )

    def wide(column: str) -> pd.DataFrame:
        table = centroids.pivot(index="segment_id", columns="feature", values=column)
        return table.sort_index()[features]

    centers = wide("centroid")
    variances = weights = None
    if centroids["variance"].notna().any():
        variances = wide("variance").to_numpy(dtype=np.float64)
        weights = (
            centroids.groupby("segment_id")["weight"].first().sort_index().to_numpy(np.float64)
        )
    return CentroidModel(
        centers.index.to_numpy(dtype=np.int64), centers.to_numpy(dtype=np.float64),
        variances, weights,
    )


def feature_terms(
    x: np.ndarray, own: np.ndarray, other: np.ndarray, model: CentroidModel
) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature terms of the margin of own segment ``own`` over ``other`` (indices 0..k-1).

    Returns
    -------
    tuple of numpy.ndarray
        ``(n, p)`` terms and ``(n,)`` prior term (zeros without a mixture).
    """
    if model.variances is None:
        # (x - c_o)^2 - (x - c_s)^2, factored: one product instead of two squares.
        own_center, other_center = model.centers[own], model.centers[other]
        return (own_center - other_center) * (2 * x - own_center - other_center), np.zeros(len(x))
    var_own, var_other = model.variances[own], model.variances[other]
    own_terms = -0.5 * (np.log(var_own) + (x - model.centers[own]) ** 2 / var_own)
    other_terms = -0.5 * (np.log(var_other) + (x - model.centers[other]) ** 2 / var_other)
    prior = np.log(model.weights[own]) - np.log(model.weights[other])
    return own_terms - other_terms, prior


def segment_scores(x: np.ndarray, model: CentroidModel) -> np.ndarray:
    """``(n, k)`` score of every segment, the highest is the segment a row belongs to.

    Minus the squared distance to each centre; for a mixture the log of weight times density
    (up to a constant shared by the segments). Computed from the whole rows with matrix
    products, independently of :func:`feature_terms`.
    """
    centers = model.centers
    if model.variances is None:
        sq = (
            np.einsum("ij,ij->i", x, x)[:, None]
            - 2 * x @ centers.T
            + np.einsum("ij,ij->i", centers, centers)
        )
        return -sq
    precision = 1.0 / model.variances
    constant = np.log(model.weights) - 0.5 * (
        np.log(model.variances).sum(axis=1) + (centers**2 * precision).sum(axis=1)
    )
    return constant - 0.5 * (x**2) @ precision.T + x @ (centers * precision).T


def top_reasons(x: np.ndarray, own: np.ndarray, model: CentroidModel, top: int) -> TopReasons:
    """The ``top`` reasons of every row of ``x`` for its segment ``own`` (indices 0..k-1).

    Parameters
    ----------
    x
        ``(n, p)`` customers in model space.
    own
        ``(n,)`` index into ``model.segment_ids`` of each customer's segment.
    model
        The fitted segmentation, at least two segments.
    top
        Reasons kept per customer (capped at ``p``).
    """
    n, p = x.shape
    top = min(top, p)
    other = np.empty(n, dtype=np.int64)
    features = np.empty((n, top), dtype=np.int64)
    contributions, shares = np.empty((n, top)), np.empty((n, top))
    margins = np.empty(n)
    max_error = 0.0
    for start in range(0, n, _BLOCK_ROWS):
        rows = slice(start, start + _BLOCK_ROWS)
        block, block_own = x[rows], own[rows]

        # The runner-up: the best-scoring segment other than the customer's own.
        scores = segment_scores(block, model)
        index = np.arange(len(block))
        own_score = scores[index, block_own]
        scores[index, block_own] = -np.inf
        other[rows] = scores.argmax(axis=1)
        margin = own_score - scores[index, other[rows]]

        # Exact split of the margin into one term per feature (+ the mixture's prior).
        terms, prior = feature_terms(block, block_own, other[rows], model)
        margins[rows] = terms.sum(axis=1) + prior
        error = np.abs(margins[rows] - margin) / np.maximum(1.0, np.abs(margin))
        max_error = max(max_error, float(np.max(error, initial=0.0)))

        # The largest terms: partition, then sort the few (equal terms by feature position).
        order = _top_columns(terms, top)
        chosen = np.take_along_axis(terms, order, axis=1)
        positive = np.where(terms > 0, terms, 0.0).sum(axis=1, keepdims=True)
        features[rows], contributions[rows] = order, chosen
        with np.errstate(invalid="ignore", divide="ignore"):
            shares[rows] = np.where(chosen > 0, chosen / positive, 0.0)
    return TopReasons(other, features, contributions, shares, margins, max_error)


def _top_columns(values: np.ndarray, top: int) -> np.ndarray:
    """``(n, top)`` column indices of the largest values of each row, largest first.

    Equal values inside the top are ordered by column; at the cut, which of several equal
    values is kept is left to ``argpartition`` (deterministic for the same input).
    """
    p = values.shape[1]
    if top < p:
        order = np.argpartition(-values, top - 1, axis=1)[:, :top]
    else:
        order = np.broadcast_to(np.arange(p), values.shape)
    chosen = np.take_along_axis(values, order, axis=1)
    ranked = np.lexsort((order, -chosen), axis=-1)
    return np.take_along_axis(order, ranked, axis=1)


def customer_explanations_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    centroids: pd.DataFrame,
    segments: pd.DataFrame,
    config: ExplainConfig | None = None,
) -> pd.DataFrame:
    """Top reasons of every customer (fct_customer_explanations).

    Grain: one row per customer and reason rank. A customer of segments 1..k gets up to
    ``config.top_reasons`` rows, the features with positive terms by decreasing contribution
    (always at least rank 1); a customer of segment 0 gets one row, the rule ``has_activity``.
    With fewer than two segments there is no other centre to compare with: only segment 0's
    rows. Columns: see ``EXPLANATION_COLUMNS`` and ``_explanations__models.yml``.
    """
    config = config or ExplainConfig()
    inputs = prepare_inputs(features, customers, preprocessing, segments, config.key)
    parts = [_rule_rows(inputs)]
    if len(inputs.customer_ids) and centroids is not None and not centroids.empty:
        model = centroid_model(centroids, inputs.features)
        if len(model.segment_ids) >= 2:
            parts.insert(0, _model_rows(inputs, model, config))
    frame = pd.concat([p for p in parts if len(p)] or parts, ignore_index=True)
    frame = frame.sort_values(["customer_id", "rank"], kind="stable").reset_index(drop=True)
    return _explanation_frame(frame)


def _model_rows(inputs: ExplainInputs, model: CentroidModel, config: ExplainConfig) -> pd.DataFrame:
    """Rows of the customers of segments 1..k, vectorised."""
    own = np.searchsorted(model.segment_ids, inputs.segment_ids)
    if not np.array_equal(model.segment_ids[np.minimum(own, len(model.segment_ids) - 1)],
                          inputs.segment_ids):
        raise ValueError("fct_customer_segments holds segments that fct_segment_centroids lacks")
    reasons = top_reasons(inputs.x, own, model, config.top_reasons)
    logger.info(
        "reasons: %d customers, decomposition error %.2g", len(own), reasons.max_error
    )
    # Means per segment of the model, in the model's order (NaN for a segment nobody is in).
    mean_ids, found = segment_means(inputs)
    means = np.full((len(model.segment_ids), len(inputs.features)), np.nan)
    present = np.isin(model.segment_ids, mean_ids)
    means[present] = found[np.searchsorted(mean_ids, model.segment_ids[present])]

    # Keep rank 1 and every further reason with a positive term.
    top = reasons.features.shape[1]
    keep = (reasons.contributions > 0) | (np.arange(top) == 0)
    row, rank = np.nonzero(keep)
    feature = reasons.features[row, rank]
    own_row, other_row = own[row], reasons.other[row]
    own_center = model.centers[own_row, feature]
    other_center = model.centers[other_row, feature]
    return pd.DataFrame({
        "customer_id": take_strings(inputs.customer_ids, row),
        "segment_id": inputs.segment_ids[row],
        "rank": rank + 1,
        "feature": take_strings(inputs.features, feature),
        "contribution": reasons.contributions[row, rank],
        "contribution_share": reasons.shares[row, rank],
        "direction": np.where(own_center > other_center, "higher",
                              np.where(own_center < other_center, "lower", "equal")),
        "customer_value": inputs.values[row, feature],
        "segment_mean": means[own_row, feature],
        "other_segment_id": model.segment_ids[other_row],
        "other_segment_mean": means[other_row, feature],
        "method": model.method,
    })


def _rule_rows(inputs: ExplainInputs) -> pd.DataFrame:
    """One row per customer of segment 0: the rule that put them there, no activity."""
    ruled = inputs.rule_customers
    value = ruled["has_activity"].to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.DataFrame({
        "customer_id": ruled["customer_id"].to_numpy(dtype=object),
        "segment_id": INACTIVE_SEGMENT_ID,
        "rank": 1,
        "feature": RULE_FEATURE,
        "contribution": np.nan,
        "contribution_share": 1.0,
        "direction": None,
        "customer_value": value,
        "segment_mean": np.nanmean(value) if len(value) and not np.isnan(value).all() else np.nan,
        "other_segment_id": None,
        "other_segment_mean": np.nan,
        "method": "rule",
    })


def _explanation_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(EXPLANATION_COLUMNS)]
    return frame.astype({
        "customer_id": "str", "segment_id": "int32", "rank": "int32", "feature": "str",
        "contribution": "float64", "contribution_share": "float64", "direction": "str",
        "customer_value": "float64", "segment_mean": "float64", "other_segment_id": "Int32",
        "other_segment_mean": "float64", "method": "str",
    })
