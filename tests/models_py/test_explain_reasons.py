"""Per-customer reasons: exact decomposition, the separating feature first, segment 0 by rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explain_frames import separated_by_spend
from scipy.stats import norm

from models_py.config import SegmentationConfig
from models_py.explain.config import ExplainConfig
from models_py.explain.inputs import prepare_inputs
from models_py.explain.reasons import (
    CentroidModel,
    centroid_model,
    customer_explanations_table,
    feature_terms,
    top_reasons,
)
from models_py.segmentation import segment


def test_decomposition_matches_a_hand_computed_margin() -> None:
    # x = (1, 0), own centre (0, 0), others (4, 0) and (0, 10): runner-up (4, 0), margin 9 - 1.
    model = CentroidModel(np.array([1, 2, 3]), np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 10.0]]))
    reasons = top_reasons(np.array([[1.0, 0.0]]), np.array([0]), model, top=2)
    assert reasons.other.tolist() == [1]
    assert reasons.margins.tolist() == [8.0]
    assert reasons.features.tolist() == [[0, 1]]
    assert reasons.contributions.tolist() == [[8.0, 0.0]]
    assert reasons.shares.tolist() == [[1.0, 0.0]]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_terms_add_up_to_the_distance_margin_exactly(seed: int) -> None:
    # Sum over features of the terms = d(x, other)^2 - d(x, own)^2, for random rows and centres.
    rng = np.random.default_rng(seed)
    x, centers = rng.normal(size=(500, 6)), rng.normal(size=(4, 6))
    own = ((x[:, None, :] - centers) ** 2).sum(axis=2).argmin(axis=1)
    model = CentroidModel(np.arange(1, 5), centers)
    reasons = top_reasons(x, own, model, top=6)
    distance = ((x[:, None, :] - centers) ** 2).sum(axis=2)
    expected = distance[np.arange(500), reasons.other] - distance[np.arange(500), own]
    np.testing.assert_allclose(reasons.margins, expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(reasons.contributions.sum(axis=1), expected, atol=1e-9)
    assert reasons.max_error < 1e-12
    assert (reasons.margins >= 0).all()


def test_mixture_terms_add_up_to_the_log_posterior_ratio() -> None:
    # Diagonal Gaussian mixture: terms + prior = log(w_s N(x|s)) - log(w_o N(x|o)).
    rng = np.random.default_rng(4)
    centers, variances = rng.normal(size=(3, 4)), rng.uniform(0.5, 2.0, (3, 4))
    weights = np.array([0.5, 0.3, 0.2])
    model = CentroidModel(np.array([1, 2, 3]), centers, variances, weights)
    x = rng.normal(size=(50, 4))
    own, other = np.zeros(50, dtype=int), np.full(50, 2)
    terms, prior = feature_terms(x, own, other, model)
    log_joint = [
        np.log(weights[c]) + norm.logpdf(x, centers[c], np.sqrt(variances[c])).sum(axis=1)
        for c in (0, 2)
    ]
    np.testing.assert_allclose(terms.sum(axis=1) + prior, log_joint[0] - log_joint[1], atol=1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_feature_that_separates_segments_is_the_top_reason(seed: int) -> None:
    # Centres differ only in spend: spend is every customer's first and only reason.
    frames = separated_by_spend(seed=seed)
    table = customer_explanations_table(*frames.common, frames.centroids, frames.segments)
    first = table[table["segment_id"] > 0]
    assert (first["rank"] == 1).all()
    assert (first["feature"] == "spend_365d").all()
    assert (first["method"] == "centroid_distance").all()
    np.testing.assert_allclose(first["contribution_share"], 1.0)


def test_every_customer_has_a_first_reason_and_segment_zero_the_rule() -> None:
    # One rank-1 row per customer; inactive customers: has_activity, method rule, value 0.
    frames = separated_by_spend(inactive=5)
    table = customer_explanations_table(
        *frames.common, frames.centroids, frames.segments, ExplainConfig(top_reasons=2)
    )
    assert set(table["customer_id"]) == set(frames.segments["customer_id"])
    assert not table.duplicated(["customer_id", "rank"]).any()
    assert (table.groupby("customer_id")["rank"].min() == 1).all()
    assert table["rank"].max() <= 2
    ruled = table[table["segment_id"] == 0]
    assert len(ruled) == 5
    assert (ruled["feature"] == "has_activity").all()
    assert (ruled["method"] == "rule").all()
    assert (ruled["customer_value"] == 0).all()
    assert ruled["other_segment_id"].isna().all()
    assert (table.loc[table["rank"] > 1, "contribution"] > 0).all()


def test_values_and_means_are_in_the_features_own_units() -> None:
    # customer_value is the mart's value; segment_mean the segment's mean of it, NULLs ignored.
    frames = separated_by_spend()
    table = customer_explanations_table(*frames.common, frames.centroids, frames.segments)
    spend = table[table["feature"] == "spend_365d"].merge(frames.features, on="customer_id")
    np.testing.assert_allclose(spend["customer_value"], spend["spend_365d"])
    segment_of = frames.segments.set_index("customer_id")["segment_id"]
    means = frames.features.assign(segment_id=frames.features["customer_id"].map(segment_of))
    means = means.groupby("segment_id")["spend_365d"].mean()
    np.testing.assert_allclose(spend["segment_mean"], spend["segment_id"].map(means))
    np.testing.assert_allclose(spend["other_segment_mean"], spend["other_segment_id"].map(means))


def test_same_inputs_give_the_same_table() -> None:
    # No randomness: two runs, equal tables.
    frames = separated_by_spend(seed=5)
    first = customer_explanations_table(*frames.common, frames.centroids, frames.segments)
    second = customer_explanations_table(*frames.common, frames.centroids, frames.segments)
    pd.testing.assert_frame_equal(first, second)


def test_segments_out_of_step_with_the_centroids_are_refused() -> None:
    # A customer in a segment the centroids do not know: a clear error, not a wrong reason.
    frames = separated_by_spend()
    segments = frames.segments.copy()
    segments.loc[segments["segment_id"] == 1, "segment_id"] = 9
    with pytest.raises(ValueError, match="fct_segment_centroids lacks"):
        customer_explanations_table(*frames.common, frames.centroids, segments)


def test_a_gaussian_mixture_is_explained_by_its_log_likelihood(frames) -> None:
    # Mixture segmentation: method mixture_likelihood, and the own segment has the best score
    # under the same formula the segmentation scored with (every margin >= 0).
    features, customers, _ = frames
    config = SegmentationConfig(
        algorithms=("gaussian_mixture",), force_k=3, k_min=2, k_max=3, seed=0,
        stability_resamples=0,
    )
    result = segment(features, customers, config)
    table = customer_explanations_table(
        features, customers, result.preprocessing, result.centroids, result.customer_segments
    )
    modelled = table[table["segment_id"] > 0]
    assert (modelled["method"] == "mixture_likelihood").all()
    assert set(table.loc[table["rank"] == 1, "customer_id"]) == set(customers["customer_id"])
    inputs = prepare_inputs(features, customers, result.preprocessing, result.customer_segments)
    model = centroid_model(result.centroids, inputs.features)
    own = np.searchsorted(model.segment_ids, inputs.segment_ids)
    reasons = top_reasons(inputs.x, own, model, top=2)
    assert (reasons.margins >= -1e-9).all()
    assert reasons.max_error < 1e-12
