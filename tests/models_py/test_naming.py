"""Segment names and descriptions from what stands out against the base."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_py.naming import feature_label, name_segments


def test_feature_label_drops_window_and_reads_shares() -> None:
    # Window suffixes go, shares read naturally, flags lose has_.
    assert feature_label("spend_365d") == "spend"
    assert feature_label("spend_share_travel_365d") == "travel spend share"
    assert feature_label("balance_mean_6m") == "balance"
    assert feature_label("has_credit_card") == "credit card"


def test_names_say_what_stands_out() -> None:
    # Segment 1: high spend, no card; segment 2: low spend, with card. The card splits the base
    # exactly (1 sd) and spend nearly (within-segment spread), so the card comes first.
    raw = pd.DataFrame({
        "spend_365d": [100.0, 110.0, 90.0, 1.0, 2.0, 3.0],
        "has_credit_card": [0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    })
    model_x = (raw - raw.mean()) / raw.std(ddof=0)
    named = name_segments(
        model_x.to_numpy(), np.array([1, 1, 1, 2, 2, 2]), raw, list(raw.columns)
    )
    names = dict(zip(named["segment_id"], named["segment_name"], strict=True))
    assert names == {1: "Without credit card, high spend", 2: "With credit card, low spend"}
    description = named.loc[named["segment_id"] == 1, "description"].iloc[0]
    assert description.startswith("50.0% of active customers")
    assert "spend_365d 100 (base 51.00), +1.0 sd" in description
    assert "has_credit_card 0% (base 50%)" in description


def test_names_are_unique() -> None:
    # Two segments standing out the same way get different names.
    rng = np.random.default_rng(0)
    model_x = np.r_[rng.normal(5, 0.1, (5, 2)), rng.normal(5, 0.1, (5, 2)), np.zeros((40, 2))]
    ids = np.r_[np.full(5, 1), np.full(5, 2), np.full(40, 3)]
    raw = pd.DataFrame(model_x, columns=["a", "b"])
    named = name_segments(model_x, ids, raw, ["a", "b"])
    assert named["segment_name"].is_unique


def test_names_skip_a_feature_that_repeats_an_earlier_one() -> None:
    # salary months follows salary inflow almost exactly: the second phrase is the next distinct
    # feature (spend), not the repeat.
    rng = np.random.default_rng(3)
    high = np.r_[np.ones(20), np.zeros(80)]
    salary = high * 3 + rng.normal(0, 0.3, 100)
    raw = pd.DataFrame({
        "salary_inflow_365d": salary,
        "salary_months_365d": salary + rng.normal(0, 0.1, 100),
        "spend_365d": high * 1.0 + rng.normal(0, 0.6, 100),
    })
    model_x = ((raw - raw.mean()) / raw.std(ddof=0)).to_numpy()
    named = name_segments(model_x, np.where(high == 1, 1, 2), raw, list(raw.columns))
    assert named["segment_name"].iloc[0] == "High salary inflow, high spend"


def test_awkward_features_get_their_own_phrases() -> None:
    # "Low days since first transaction" reads as "New customers".
    raw = pd.DataFrame({"days_since_first_txn": [10.0, 12.0, 400.0, 410.0, 390.0, 420.0]})
    model_x = ((raw - raw.mean()) / raw.std(ddof=0)).to_numpy()
    named = name_segments(model_x, np.array([1, 1, 2, 2, 2, 2]), raw, list(raw.columns))
    assert named["segment_name"].tolist() == ["New customers", "Long-standing customers"]
