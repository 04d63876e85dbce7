"""Readable rules: a planted threshold comes back in the feature's own units; text and config."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from models_py.config import SegmentationConfig
from models_py.explain.config import ExplainConfig
from models_py.explain.rules import format_number, segment_rules_table, to_own_units
from models_py.preprocessing import FeatureDecision
from models_py.segmentation import preprocessing_table

CONFIG = ExplainConfig(rules_max_depth=2, seed=1)


def _planted(
    column: pd.Series, in_segment: np.ndarray, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Frames where segment 1 is exactly ``in_segment``; two noise features beside ``column``."""
    rng = np.random.default_rng(seed)
    n = len(column)
    features = pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in range(n)],
        column.name: column.to_numpy(),
        "noise_a": rng.normal(size=n),
        "noise_b": rng.uniform(size=n),
    })
    customers = pd.DataFrame({"customer_id": features["customer_id"], "has_activity": True})
    segment_id = np.where(in_segment, 1, 2)
    segments = pd.DataFrame({
        "customer_id": features["customer_id"], "segment_id": segment_id,
        "segment_name": np.where(in_segment, "planted", "rest"),
    })
    preprocessing = preprocessing_table(features, customers, SegmentationConfig())
    return features, customers, preprocessing, segments


def _threshold(text: str, name: str, operator: str) -> float:
    match = re.search(rf"{name} {re.escape(operator)} ([-\d,.]+)", text)
    assert match, f"no '{name} {operator} ...' in {text!r}"
    return float(match.group(1).replace(",", ""))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rules_reproduce_a_planted_threshold_in_own_units(seed: int) -> None:
    # Segment 1 = income above 50,000 (uniform 0..100k): one rule, "income_annual > ~50,000".
    rng = np.random.default_rng(seed)
    income = pd.Series(rng.uniform(0, 100_000, 600), name="income_annual")
    frames = _planted(income, income.to_numpy() > 50_000, seed=seed)
    rules = segment_rules_table(*frames, CONFIG)
    planted = rules[rules["segment_id"] == 1]
    assert len(planted) == 1
    rule = planted.iloc[0]
    assert rule["rule_text"].startswith("income_annual > ")
    assert _threshold(rule["rule_text"], "income_annual", ">") == pytest.approx(50_000, rel=0.01)
    assert rule["precision"] == rule["recall"] == rule["tree_fidelity"] == 1.0
    assert rule["predicts_segment"]


def test_rules_undo_the_signed_log_of_a_skewed_feature() -> None:
    # Spend is log-normal (the preprocessing logs it); the cut at 1,000 comes back in currency.
    rng = np.random.default_rng(3)
    spend = pd.Series(rng.lognormal(np.log(1_000), 1.5, 800), name="spend_365d")
    frames = _planted(spend, spend.to_numpy() <= 1_000)
    assert frames[2].set_index("feature").loc["spend_365d", "transform"] == "signed_log1p"
    rule = segment_rules_table(*frames, CONFIG).query("segment_id == 1").iloc[0]
    threshold = _threshold(rule["rule_text"], "spend_365d", "<=")
    below, above = spend[spend <= 1_000].max(), spend[spend > 1_000].min()
    assert below <= threshold * (1 + 1e-3) and threshold <= above * (1 + 1e-3)
    assert rule["precision"] == rule["recall"] == 1.0


def test_flags_and_whole_numbers_read_as_such() -> None:
    # A boolean flag reads "is true"; products held (whole numbers 0..4) "products_held_count >= 3".
    rng = np.random.default_rng(5)
    flag = pd.Series(rng.random(400) < 0.4, name="has_mortgage")
    frames = _planted(flag, flag.to_numpy())
    assert segment_rules_table(*frames, CONFIG).query("segment_id == 1")["rule_text"].tolist() == [
        "has_mortgage is true"
    ]
    held = pd.Series(rng.integers(0, 5, 400), name="products_held_count")
    frames = _planted(held, held.to_numpy() >= 3)
    texts = segment_rules_table(*frames, CONFIG).query("segment_id == 1")["rule_text"].tolist()
    assert texts == ["products_held_count >= 3"]


def test_a_condition_met_by_the_fill_value_says_or_missing() -> None:
    # 20% NULL balances are filled with the median (~0.5): "<= 0.8" takes them in and says so,
    # "> 0.8" leaves them out and says nothing.
    rng = np.random.default_rng(6)
    balance = pd.Series(rng.uniform(size=600), name="balance_share")
    balance[rng.random(600) < 0.2] = np.nan
    filled = balance.fillna(balance.median()).to_numpy()
    frames = _planted(balance, filled <= 0.8)
    rules = segment_rules_table(*frames, CONFIG).set_index("segment_id")["rule_text"]
    assert re.fullmatch(r"\(balance_share <= 0\.\d+ or balance_share is missing\)", rules[1])
    assert re.fullmatch(r"balance_share > 0\.\d+", rules[2])
    assert _threshold(rules[2], "balance_share", ">") == pytest.approx(0.8, abs=0.01)


def test_same_seed_same_rules() -> None:
    # Seeded trees and samples: equal tables.
    rng = np.random.default_rng(7)
    income = pd.Series(rng.uniform(0, 100_000, 300), name="income_annual")
    frames = _planted(income, income.to_numpy() > 30_000)
    pd.testing.assert_frame_equal(
        segment_rules_table(*frames, CONFIG), segment_rules_table(*frames, CONFIG)
    )


@pytest.mark.parametrize(
    ("value", "text"),
    [(12_345.678, "12,346"), (1_234.5, "1,234"), (0.042137, "0.04214"), (3.5, "3.5"),
     (-2_500.0, "-2,500"), (0.0, "0"), (100.0, "100")],
)
def test_numbers_show_four_significant_digits(value: float, text: str) -> None:
    # Four significant digits, every whole digit kept, thousands separated, no trailing zeros.
    assert format_number(value) == text


def test_model_space_values_return_to_own_units() -> None:
    # x_model = (signed_log1p(x) - center) / scale, inverted; the identity transform likewise.
    logged = FeatureDecision("spend", 0, True, "used", "", 0.0, transform="signed_log1p",
                             center=2.0, scale=3.0)
    assert to_own_units((np.log1p(999.0) - 2.0) / 3.0, logged) == pytest.approx(999.0)
    assert to_own_units((-np.log1p(9.0) - 2.0) / 3.0, logged) == pytest.approx(-9.0)
    plain = FeatureDecision("share", 1, True, "used", "", 0.0, center=0.5, scale=0.25)
    assert to_own_units(1.0, plain) == pytest.approx(0.75)


def test_config_reads_dbt_vars_and_refuses_bad_ones() -> None:
    # Text from the command line is coerced; unknown names and out-of-range values are errors.
    config = ExplainConfig.from_vars({"explain_top_reasons": "5", "rules_max_depth": 2.0})
    assert (config.top_reasons, config.rules_max_depth, config.sample_size) == (5, 2, 3_000)
    with pytest.raises(ValueError, match="unknown explanation settings"):
        ExplainConfig.from_vars({"explain_topreasons": 3})
    with pytest.raises(ValueError, match="rules_max_depth must be in"):
        ExplainConfig.from_vars({"rules_max_depth": 0})
    with pytest.raises(ValueError, match="explain_seed must be an integer"):
        ExplainConfig.from_vars({"explain_seed": "abc"})
