"""Readable segment names and descriptions: what stands out in a segment against the whole base.

A feature stands out by its standardised difference in model space (after filling, signed log and
scaling, the space the clusters were found in), so that a few very large accounts do not hide a
segment's character: ``d = (segment mean - base mean) / base standard deviation``. The base is
every customer that was segmented (the customers with activity).

The name joins the two features that stand out most (``"High spend, without mortgage"``); the
description lists the four strongest with their means in the feature's own units, so that an
analyst can read the segment without the profile table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

INACTIVE_SEGMENT_NAME = "Inactive"
INACTIVE_DESCRIPTION = (
    "Customers without activity: no transaction on or before the as-of date, or no features. "
    "They are not clustered."
)
# A feature stands out when its standardised difference is at least this large.
STANDOUT_THRESHOLD = 0.5
NAME_FEATURES = 2
DESCRIPTION_FEATURES = 4
# Two features this correlated (over the base, in model space) say the same thing: a name uses
# the first and looks further for the second phrase.
REDUNDANT_CORRELATION = 0.7

# Readable labels of the features finseg's feature mart writes (window suffix removed).
_LABELS = {
    "tenure_days": "tenure",
    "days_since_first_txn": "time since first transaction",
    "days_since_last_txn": "time since last transaction",
    "txn_count": "transactions",
    "purchase_count": "purchases",
    "avg_purchase_amount": "average purchase",
    "refund_amount": "refunds",
    "inflow_outflow_ratio": "inflow/outflow ratio",
    "salary_inflow": "salary inflow",
    "salary": "salary",
    "products_held_count": "products held",
    "balance_mean": "balance",
    "card_utilisation_mean": "card utilisation",
    "fees_paid": "fees paid",
    "days_past_due_max": "days past due",
    "income_annual": "income",
}
# Phrases for features whose "high" and "low" read badly (feature without its window suffix).
_PHRASES = {
    "days_since_first_txn": ("long-standing customers", "new customers"),
    "tenure_days": ("long tenure", "new customers"),
    "days_since_last_txn": ("lapsed", "recently active"),
    "days_past_due_max": ("in arrears", "no arrears"),
}
_WINDOW = re.compile(r"_\d+(d|m|y)$")


def feature_label(feature: str) -> str:
    """A readable label for a feature: ``spend_share_travel_365d`` -> ``travel spend share``."""
    base = _WINDOW.sub("", feature)
    if base.startswith("has_"):
        base = base[len("has_"):]
    if base in _LABELS:
        return _LABELS[base]
    match = re.fullmatch(r"(\w+?)_share_(\w+)", base)
    if match:
        return f"{match.group(2)} {match.group(1)} share".replace("_", " ")
    return base.replace("_", " ")


def standardised_differences(
    model_x: np.ndarray, segment_ids: np.ndarray, segments: Sequence[int]
) -> np.ndarray:
    """``(len(segments), p)`` standardised difference of each segment's mean from the base mean."""
    base_mean = model_x.mean(axis=0)
    base_std = model_x.std(axis=0)
    base_std = np.where(base_std > 0, base_std, 1.0)
    means = np.vstack([model_x[segment_ids == s].mean(axis=0) for s in segments])
    return (means - base_mean) / base_std


def name_segments(
    model_x: np.ndarray,
    segment_ids: np.ndarray,
    raw: pd.DataFrame,
    features: Sequence[str],
) -> pd.DataFrame:
    """A unique name and a description for each segment.

    Parameters
    ----------
    model_x
        ``(n, p)`` model-space matrix of the segmented customers; column ``j`` is ``features[j]``.
    segment_ids
        ``(n,)`` segment id of each row (1..k).
    raw
        The same ``n`` customers, in the same order, with the ``features`` columns in their own
        units (NULL allowed), for the figures of the description.
    features
        Names of the model-space columns.

    Returns
    -------
    pandas.DataFrame
        One row per segment: ``segment_id`` (int), ``segment_name``, ``description``.
    """
    segments = sorted(int(s) for s in np.unique(segment_ids))
    diffs = standardised_differences(model_x, segment_ids, segments)
    values = {name: raw[name].to_numpy(dtype=np.float64, na_value=np.nan) for name in features}
    flags = {name: _is_flag(name, v) for name, v in values.items()}

    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.nan_to_num(np.corrcoef(model_x, rowvar=False).reshape(len(features), -1))

    rows, taken = [], set()
    for i, segment in enumerate(segments):
        order = _distinct_first(diffs[i], corr)
        phrases = [
            _phrase(features[j], diffs[i, j], flags[features[j]])
            for j in order
            if abs(diffs[i, j]) >= STANDOUT_THRESHOLD
        ]
        name = _unique_name(phrases, segment, taken)
        taken.add(name)
        in_segment = segment_ids == segment
        details = [
            _detail(features[j], diffs[i, j], values[features[j]], in_segment, flags[features[j]])
            for j in order[:DESCRIPTION_FEATURES]
        ]
        share = in_segment.mean()
        description = (
            f"{share:.1%} of active customers. Against all active customers: "
            + "; ".join(details) + "."
        )
        rows.append({"segment_id": segment, "segment_name": name, "description": description})
    return pd.DataFrame(rows)


def _distinct_first(diffs: np.ndarray, corr: np.ndarray) -> list[int]:
    """Features by decreasing |difference|, those that repeat an earlier one (|r| >= 0.7 with a
    feature already listed, such as salary months after salary inflow) moved to the end."""
    order = [int(j) for j in np.argsort(-np.abs(diffs), kind="stable")]
    distinct: list[int] = []
    repeated: list[int] = []
    for j in order:
        if any(abs(corr[j, chosen]) >= REDUNDANT_CORRELATION for chosen in distinct):
            repeated.append(j)
        else:
            distinct.append(j)
    return distinct + repeated


def _phrase(feature: str, diff: float, flag: bool) -> str:
    base = _WINDOW.sub("", feature)
    if base in _PHRASES:
        return _PHRASES[base][0 if diff > 0 else 1]
    label = feature_label(feature)
    if flag:
        return f"{'with' if diff > 0 else 'without'} {label}"
    return f"{'high' if diff > 0 else 'low'} {label}"


def _unique_name(phrases: list[str], segment: int, taken: set[str]) -> str:
    """Two phrases, a third when the two are taken, the id when even that is taken."""
    if not phrases:
        phrases = ["close to the average"]
    for count in range(NAME_FEATURES, max(NAME_FEATURES, len(phrases)) + 1):
        name = ", ".join(phrases[:count])
        name = name[0].upper() + name[1:]
        if name not in taken:
            return name
    return f"{name} ({segment})"


def _detail(
    feature: str, diff: float, values: np.ndarray, in_segment: np.ndarray, flag: bool
) -> str:
    segment_mean = _nanmean(values[in_segment])
    base_mean = _nanmean(values)
    if flag:
        figures = f"{segment_mean:.0%} (base {base_mean:.0%})"
    else:
        figures = f"{_number(segment_mean)} (base {_number(base_mean)})"
    return f"{feature} {figures}, {diff:+.1f} sd"


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def _number(value: float) -> str:
    if np.isnan(value):
        return "n/a"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _is_flag(feature: str, values: np.ndarray) -> bool:
    """A has_/is_ feature holding only 0 and 1: named "with x" / "without x", shown in %."""
    if not feature.startswith(("has_", "is_")):
        return False
    finite = values[~np.isnan(values)]
    return len(finite) > 0 and bool(np.isin(finite, (0.0, 1.0)).all())
