"""Preprocessing: feature choice, drops, fills, signed log, scaling, and the recorded decisions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models_py.preprocessing import (
    FeatureWarning,
    FittedPreprocessor,
    PreprocessConfig,
    Preprocessor,
    signed_log1p,
)


def _decision(fitted: FittedPreprocessor, feature: str):
    return next(d for d in fitted.decisions if d.feature == feature)


def test_preprocessing_drops_constant_feature_and_records_it() -> None:
    # A feature with one value cannot separate customers: dropped, with the reason recorded.
    frame = pd.DataFrame({"customer_id": ["a", "b", "c"], "x": [1.0, 2.0, 3.0], "c": 5.0})
    fitted = Preprocessor().fit(frame)
    decision = _decision(fitted, "c")
    assert fitted.features == ["x"]
    assert (decision.is_used, decision.decision) == (False, "dropped_zero_variance")
    assert "one value only (5)" in decision.reason


def test_preprocessing_drops_all_null_feature() -> None:
    # A feature NULL for everyone is one the input cannot support.
    frame = pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0], "n": [np.nan, np.nan]})
    decision = _decision(Preprocessor().fit(frame), "n")
    assert decision.decision == "dropped_all_null"
    assert decision.null_share == 1.0


def test_preprocessing_fills_nulls_with_the_median() -> None:
    # NULLs take the median of the other values (1, 2, 10 -> 2) before scaling.
    frame = pd.DataFrame({"customer_id": list("abcd"), "x": [1.0, 2.0, 10.0, np.nan]})
    fitted = Preprocessor(PreprocessConfig(skew_threshold=100)).fit(frame)
    decision = _decision(fitted, "x")
    assert decision.impute_value == 2.0
    assert decision.null_share == 0.25
    filled = np.array([1.0, 2.0, 10.0, 2.0])
    expected = (filled - filled.mean()) / filled.std()
    np.testing.assert_allclose(fitted.transform(frame)[:, 0], expected)


def test_preprocessing_signed_log_on_skewed_money_only() -> None:
    # Heavy-tailed money gets the signed log; a flag and a share in [0, 1] never do.
    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame({
        "customer_id": [str(i) for i in range(n)],
        "spend": -rng.lognormal(6, 1.5, n),
        "flag": rng.random(n) < 0.05,
        "share": rng.beta(0.3, 5, n),
    })
    fitted = Preprocessor().fit(frame)
    assert _decision(fitted, "spend").transform == "signed_log1p"
    assert _decision(fitted, "flag").transform == "none"
    assert _decision(fitted, "share").transform == "none"
    np.testing.assert_allclose(signed_log1p(np.array([-np.e + 1, 0.0, 9.0])), [-1, 0, np.log(10)])


def test_preprocessing_drops_perfectly_correlated_duplicate() -> None:
    # y = 3x - 1 carries nothing x does not: the later one is dropped, naming the earlier.
    x = np.arange(10, dtype=float)
    frame = pd.DataFrame({"customer_id": list("abcdefghij"), "x": x, "y": 3 * x - 1})
    decision = _decision(Preprocessor().fit(frame), "y")
    assert decision.decision == "dropped_duplicate"
    assert "duplicate of x" in decision.reason


def test_preprocessing_robust_scaler_falls_back_to_std_when_iqr_is_zero() -> None:
    # A flag held by 1 customer in 10 has IQR 0: the robust scaler divides by its sd instead.
    flag = np.r_[np.zeros(9), 1.0]
    frame = pd.DataFrame({"customer_id": list("abcdefghij"), "flag": flag})
    decision = _decision(Preprocessor(PreprocessConfig(scaler="robust")).fit(frame), "flag")
    assert decision.center == 0.0
    assert decision.scale == pytest.approx(flag.std())
    assert decision.scaler.startswith("robust (IQR 0")


def test_preprocessing_reads_booleans_nullable_ints_and_decimals() -> None:
    # Types DuckDB hands to pandas (bool, Int32 with NULL, float from DECIMAL) all become floats.
    frame = pd.DataFrame({
        "customer_id": ["a", "b", "c", "d"],
        "flag": pd.array([True, None, False, False], dtype="boolean"),
        "count": pd.array([1, None, 7, 2], dtype="Int32"),
        "name": ["w", "x", "y", "z"],
    })
    fitted = Preprocessor().fit(frame)
    assert fitted.features == ["flag", "count"]
    assert not np.isnan(fitted.transform(frame)).any()


def test_preprocessing_table_round_trip_scores_the_same() -> None:
    # The decisions table is enough to score: rebuilding from it gives the same matrix.
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({
        "customer_id": [str(i) for i in range(200)],
        "spend": rng.lognormal(5, 1, 200),
        "share": rng.random(200),
    })
    fitted = Preprocessor().fit(frame)
    rebuilt = FittedPreprocessor.from_frame(fitted.to_frame())
    np.testing.assert_array_equal(rebuilt.transform(frame), fitted.transform(frame))


def test_preprocessing_unknown_configured_feature_names_it() -> None:
    # A typo in segmentation_features is an error naming the feature and the columns there are.
    frame = pd.DataFrame({"customer_id": ["a"], "spend_365d": [1.0]})
    with pytest.raises(KeyError, match="spend_356d"):
        Preprocessor(PreprocessConfig(features=("spend_356d",))).fit(frame)


def test_transform_missing_used_column_says_to_rebuild() -> None:
    # Scoring a frame without a used feature fails with what to do.
    frame = pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0]})
    fitted = Preprocessor().fit(frame)
    with pytest.raises(KeyError, match="rebuild"):
        fitted.transform(frame.drop(columns="x"))


def test_a_listed_feature_that_cannot_be_used_is_a_warning() -> None:
    # A feature the user asked for by name and that is all NULL is not dropped silently.
    frame = pd.DataFrame({"customer_id": ["a", "b"], "x": [1.0, 2.0], "n": [np.nan, np.nan]})
    with pytest.warns(FeatureWarning, match="n \\(NULL for every customer"):
        fitted = Preprocessor(PreprocessConfig(features=("x", "n"))).fit(frame)
    assert fitted.features == ["x"]
