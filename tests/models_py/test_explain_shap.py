"""Surrogate and SHAP: fidelity, additivity to 1e-6, the separating feature first, seeded."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from explain_frames import separated_by_spend
from sklearn.ensemble import RandomForestClassifier

from models_py.explain.config import ExplainConfig
from models_py.explain.quality import explanation_quality_table
from models_py.explain.reasons import customer_explanations_table
from models_py.explain.rules import segment_rules_table
from models_py.explain.sampling import sample_weights, stratified_sample
from models_py.explain.shap_values import (
    ADDITIVITY_TOLERANCE,
    explain_rows,
    shap_sample_table,
)
from models_py.explain.surrogate import fit_surrogate

CONFIG = ExplainConfig(sample_size=120, fit_sample_size=200, seed=3)


def test_shap_values_are_samples_x_features_x_classes_and_add_up() -> None:
    # Three classes: values (m, p, 3); base + sum over features = predict_proba within 1e-6.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = np.digitize(x[:, 0], [-0.5, 0.5]) + 1
    model = RandomForestClassifier(n_estimators=20, max_depth=4, random_state=0).fit(x, y)
    result = explain_rows(model, x[:50])
    assert result.values.shape == (50, 4, 3)
    assert result.classes.tolist() == [1, 2, 3]
    total = result.base_values + result.values.sum(axis=1)
    np.testing.assert_allclose(total, model.predict_proba(x[:50]), atol=ADDITIVITY_TOLERANCE)
    assert result.additivity_error < ADDITIVITY_TOLERANCE
    # Feature 0 decides the class: it carries the largest mean |SHAP value|.
    assert np.abs(result.values).mean(axis=(0, 2)).argmax() == 0


def test_surrogate_reproduces_planted_segments_on_held_out_customers() -> None:
    # Segments that differ in spend only: the forest finds them on customers it never saw.
    frames = separated_by_spend(seed=1)
    segments = frames.segments[frames.segments["segment_id"] > 0]
    spend = frames.features.set_index("customer_id").loc[segments["customer_id"], "spend_365d"]
    x = np.log(spend.to_numpy())[:, None]
    fit = fit_surrogate(x, segments["segment_id"].to_numpy(), fit_sample_size=1000, seed=0)
    assert len(fit.holdout_rows) >= 0.3 * len(segments) - 1
    assert np.intersect1d(fit.fit_rows, fit.holdout_rows).size == 0
    assert fit.fidelity_holdout == 1.0
    assert all(recall == 1.0 for recall in fit.recall_holdout.values())


def test_shap_sample_table_is_long_complete_and_additive() -> None:
    # One row per sampled customer x explained segment x feature; rows add up per customer.
    frames = separated_by_spend(seed=2)
    table = shap_sample_table(*frames.common, frames.segments, CONFIG)
    customers = table["customer_id"].nunique()
    assert len(table) == customers * 3 * 3
    assert not table.duplicated(["customer_id", "explained_segment_id", "feature"]).any()
    assert (table["segment_id"] > 0).all()
    grouped = table.groupby(["customer_id", "explained_segment_id"]).agg(
        shap=("shap_value", "sum"), base=("base_value", "first"), out=("model_output", "first")
    )
    error = (grouped["base"] + grouped["shap"] - grouped["out"]).abs().max()
    assert error < ADDITIVITY_TOLERANCE
    # Spend separates the segments: the largest mean |SHAP| towards the own segment.
    own = table[table["explained_segment_id"] == table["segment_id"]]
    assert own.groupby("feature")["shap_value"].apply(lambda v: v.abs().mean()).idxmax() == (
        "spend_365d"
    )


def test_same_seed_same_tables_another_seed_another_sample() -> None:
    # Seeded: equal tables for one seed; a different seed draws a different sample.
    frames = separated_by_spend(n=400, seed=4)
    first = shap_sample_table(*frames.common, frames.segments, CONFIG)
    second = shap_sample_table(*frames.common, frames.segments, CONFIG)
    pd.testing.assert_frame_equal(first, second)
    other = shap_sample_table(*frames.common, frames.segments, ExplainConfig(
        sample_size=120, fit_sample_size=200, seed=4
    ))
    assert set(first["customer_id"]) != set(other["customer_id"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stratified_sample_keeps_shares_and_a_floor_per_segment(seed: int) -> None:
    # 90/9/1% segments, 200 rows: shares kept, the 1% segment still gets its floor of 30 (or all).
    labels = np.repeat([1, 2, 3], [9000, 900, 100])
    sample = stratified_sample(labels, 200, seed, min_per_segment=30)
    counts = np.bincount(labels[sample], minlength=4)[1:]
    assert counts.tolist() == [180, 30, 30]
    assert len(np.unique(sample)) == len(sample)
    weights = sample_weights(labels, sample)
    np.testing.assert_allclose(np.bincount(labels[sample], weights=weights)[1:], [9000, 900, 100])


def test_quality_reports_fidelity_exactness_and_agreement_on_planted_segments() -> None:
    # Planted segments: surrogate faithful, everything exact, reasons and SHAP agree on spend.
    frames = separated_by_spend(n=400, seed=5)
    shap_table = shap_sample_table(*frames.common, frames.segments, CONFIG)
    explanations = customer_explanations_table(
        *frames.common, frames.centroids, frames.segments, CONFIG
    )
    rules = segment_rules_table(*frames.common, frames.segments, CONFIG)
    quality = explanation_quality_table(
        *frames.common, frames.centroids, frames.segments, shap_table, explanations, rules, CONFIG
    )
    overall = quality[quality["segment_id"].isna()].set_index("metric")["value"]
    assert overall["surrogate_fidelity_holdout"] > 0.97
    assert overall["shap_additivity_max_error"] < ADDITIVITY_TOLERANCE
    assert overall["reason_decomposition_max_error"] < 1e-12
    assert overall["assignment_agreement"] == 1.0
    assert overall["reason_top1_is_shap_top1"] > 0.9
    assert overall["reason_top1_is_shap_contrast_top1"] > 0.9
    assert overall["rules_tree_fidelity"] > 0.97
    assert not quality.duplicated(["metric", "segment_id"]).any()
