"""The segmentation chain in memory: every customer one row, inactive in 0, stable ids, scoring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segment_frames import customer_frames
from sklearn.metrics import adjusted_rand_score

from models_py.config import SegmentationConfig
from models_py.segmentation import (
    customer_segments_table,
    model_selection_table,
    preprocessing_table,
    segment,
)
from models_py.selection import KCappedWarning

CONFIG = SegmentationConfig(k_min=2, k_max=5, seed=3)


def test_every_customer_gets_one_row_and_inactive_ones_segment_zero(frames) -> None:
    # 400 customers, the last 20 inactive, plus one customer without a features row.
    features, customers, _ = frames
    customers = pd.concat(
        [customers, pd.DataFrame({"customer_id": ["zz"], "has_activity": [True]})],
        ignore_index=True,
    )
    assigned = segment(features, customers, CONFIG).customer_segments.set_index("customer_id")
    assert len(assigned) == len(customers)
    inactive = customers.loc[~customers["has_activity"], "customer_id"].tolist() + ["zz"]
    assert (assigned.loc[inactive, "segment_id"] == 0).all()
    assert (assigned.loc[inactive, "segment_name"] == "Inactive").all()
    assert (assigned.loc[inactive, "algorithm"] == "rule").all()
    assert (assigned.drop(index=inactive)["segment_id"] > 0).all()
    assert assigned["membership_strength"].between(0, 1).all()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_personas_are_recovered(seed: int) -> None:
    # Three planted personas (spend level, digital share, a mortgage flag) come back whole.
    # Without NULLs: median-filled NULLs can gather into a small cluster of their own.
    features, customers, persona = customer_frames(seed=seed, null_share=0.0)
    result = segment(features, customers, SegmentationConfig(k_min=2, k_max=6, seed=seed))
    active = customers["has_activity"].to_numpy()
    found = result.customer_segments["segment_id"].to_numpy()[active]
    assert adjusted_rand_score(persona[active], found) > 0.99
    assert result.model_selection.loc[result.model_selection["is_chosen"], "k"].tolist() == [3]


def test_same_data_and_seed_give_the_same_ids_whatever_the_row_order(frames) -> None:
    # Shuffling the input rows changes nothing: rows are sorted and ids are canonical.
    features, customers, _ = frames
    first = segment(features, customers, CONFIG)
    shuffled = segment(
        features.sample(frac=1, random_state=1), customers.sample(frac=1, random_state=2), CONFIG
    )
    for name in ("preprocessing", "model_selection", "centroids", "definitions",
                 "customer_segments"):
        pd.testing.assert_frame_equal(getattr(first, name), getattr(shuffled, name))


def test_constant_null_and_duplicate_features_are_dropped_and_recorded(frames) -> None:
    # The preprocessing table says why each of the three unusable features was dropped.
    features, customers, _ = frames
    table = preprocessing_table(features, customers, CONFIG).set_index("feature")
    assert table.loc["constant_feature", "decision"] == "dropped_zero_variance"
    assert table.loc["unsupported_feature", "decision"] == "dropped_all_null"
    assert table.loc["spend_twice", "decision"] == "dropped_duplicate"
    assert table.loc["digital_share_365d", "null_share"] > 0
    assert table.loc["spend_365d", "transform"] == "signed_log1p"
    assert table["is_used"].sum() == 3


def test_scoring_from_the_tables_reproduces_the_fit(frames) -> None:
    # fct_customer_segments scores from preprocessing + centroids alone; it agrees with the fit.
    features, customers, _ = frames
    result = segment(features, customers, CONFIG)
    rescored = customer_segments_table(
        features.iloc[::-1], customers, result.preprocessing, result.centroids, result.definitions
    )
    pd.testing.assert_frame_equal(rescored, result.customer_segments)
    sizes = result.customer_segments["segment_id"].value_counts()
    active_sizes = sizes.drop(index=0).sort_index()
    assert active_sizes.is_monotonic_decreasing  # 1 is the largest segment


def test_tables_have_the_mart_types(frames) -> None:
    # The Python models cannot carry dbt contracts, so the types are pinned here.
    features, customers, _ = frames
    result = segment(features, customers, CONFIG)
    assert dict(result.customer_segments.dtypes.astype(str)) == {
        "customer_id": "str", "segment_id": "int32", "segment_name": "str",
        "membership_strength": "float64", "algorithm": "str",
    }
    selection = result.model_selection
    assert str(selection["k"].dtype) == "int32"
    assert str(selection["n_customers"].dtype) == "int64"
    assert selection["is_chosen"].dtype == bool
    assert str(result.definitions["segment_id"].dtype) == "int32"
    assert result.definitions["segment_id"].tolist()[0] == 0


def test_no_active_customer_puts_everyone_in_segment_zero(frames) -> None:
    # A bank without transactions still builds: empty selection, every customer inactive.
    features, customers, _ = frames
    customers = customers.assign(has_activity=False)
    result = segment(features, customers, CONFIG)
    assert result.model_selection.empty
    assert result.centroids.empty
    assert result.definitions["segment_id"].tolist() == [0]
    assert (result.customer_segments["segment_id"] == 0).all()


def test_nan_features_are_filled_not_dropped(frames) -> None:
    # Customers with NULL features are still clustered (median fill), never left out.
    features, customers, _ = frames
    features = features.copy()
    features.loc[:50, "spend_365d"] = np.nan
    result = segment(features, customers, CONFIG)
    active = result.customer_segments[result.customer_segments["segment_id"] > 0]
    assert len(active) == customers["has_activity"].sum()


def test_k_capped_for_few_distinct_customers() -> None:
    # Five active customers with two distinct profiles and k asked 3..8: k = 2, recorded.
    features = pd.DataFrame({
        "customer_id": list("abcde"), "spend_365d": [1.0, 1.0, 1.0, 50.0, 50.0],
    })
    customers = features[["customer_id"]].assign(has_activity=True)
    with pytest.warns(KCappedWarning):
        result = segment(features, customers, SegmentationConfig())
    assert result.model_selection["k"].tolist() == [2]
    assert "k capped at 2" in result.model_selection["note"].iloc[0]
    assert sorted(result.customer_segments["segment_id"].unique()) == [1, 2]


def test_no_usable_feature_is_a_clear_error() -> None:
    # Every feature constant: the error says where to look.
    features = pd.DataFrame({"customer_id": list("abc"), "x": [1.0, 1.0, 1.0]})
    customers = features[["customer_id"]].assign(has_activity=True)
    preprocessing = preprocessing_table(features, customers, CONFIG)
    with pytest.raises(ValueError, match="fct_segment_preprocessing"):
        model_selection_table(features, customers, preprocessing, CONFIG)


def test_duplicate_customer_ids_are_rejected(frames) -> None:
    # A repeated key would double-count a customer: an error naming the mart and the key.
    features, customers, _ = frames
    with pytest.raises(ValueError, match="fct_customer_features.customer_id is not unique"):
        segment(pd.concat([features, features.iloc[:1]]), customers, CONFIG)


@pytest.mark.parametrize("algorithm", ["ward", "gaussian_mixture"])
def test_every_algorithm_scores_from_its_tables(frames, algorithm: str) -> None:
    # Forced to another algorithm, the chain still scores every customer from the tables alone.
    features, customers, _ = frames
    config = SegmentationConfig(
        algorithms=("kmeans", algorithm), force_algorithm=algorithm, k_min=2, k_max=4, seed=1
    )
    result = segment(features, customers, config)
    selection = result.model_selection
    assert set(selection["algorithm"]) == {"kmeans", algorithm}
    assert selection.loc[selection["is_chosen"], "algorithm"].tolist() == [algorithm]
    assert set(result.centroids["algorithm"]) == {algorithm}
    rescored = customer_segments_table(
        features, customers, result.preprocessing, result.centroids, result.definitions
    )
    pd.testing.assert_frame_equal(rescored, result.customer_segments)
    active = result.customer_segments[result.customer_segments["segment_id"] > 0]
    assert set(active["algorithm"]) == {algorithm}
