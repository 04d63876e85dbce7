"""Readable rules per segment: a shallow one-vs-rest decision tree, its leaves as text.

For every segment a tree of depth ``rules_max_depth`` learns "in this segment or not" from the
model-space features; each leaf where the tree says "in" is one rule, the conditions on its path
written in the features' own units ("spend_365d > 12,350 and has_mortgage is false"). Thresholds
are turned back with the recorded preprocessing (undo the scaling, then the signed log), shown to
four significant digits, whole numbers for integer features. A customer whose value was NULL
was scored with the feature's median: a condition that the median meets says "or missing".

Trees are fitted on a stratified seeded sample (``explain_fit_sample_size``) and measured on every
segmented customer: per rule its precision (customers matched that are in the segment) and recall
(customers of the segment matched); per tree, all its rules together, precision, recall and
fidelity (share of customers the tree puts on the right side of in/out).
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

from models_py.explain.config import ExplainConfig
from models_py.explain.inputs import ExplainInputs, feature_kinds, prepare_inputs
from models_py.explain.sampling import stratified_sample
from models_py.preprocessing import FeatureDecision

logger = logging.getLogger(__name__)

# A leaf holds at least this share of the fit rows (and 5 rows): no rule for a handful.
MIN_LEAF_SHARE = 0.005
SIGNIFICANT_DIGITS = 4
RULE_COLUMNS = (
    "segment_id", "segment_name", "rule_id", "rule_text", "predicts_segment",
    "customers_matched", "segment_customers_matched", "precision", "recall",
    "segment_customers", "tree_precision", "tree_recall", "tree_fidelity", "tree_max_depth",
)

# One condition of a path: (feature index, lower bound or None, upper bound or None),
# meaning lower < x <= upper in model space.
Bounds = dict[int, tuple[float | None, float | None]]


def segment_rules_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    segments: pd.DataFrame,
    config: ExplainConfig | None = None,
) -> pd.DataFrame:
    """Rules of every segment 1..k (fct_segment_rules).

    Grain: one row per segment and rule (leaf of the segment's tree where the tree predicts the
    segment). A segment whose tree predicts it nowhere gets one row, its most precise leaf, with
    ``predicts_segment`` false. Columns: see ``RULE_COLUMNS`` and ``_explanations__models.yml``.
    """
    config = config or ExplainConfig()
    inputs = prepare_inputs(features, customers, preprocessing, segments, config.key)
    if len(inputs.classes) < 2:
        logger.warning("fewer than two segments: no rules")
        return _rule_frame([])
    fit_rows = stratified_sample(inputs.segment_ids, config.fit_sample_size, config.seed)
    kinds = feature_kinds(inputs)
    ranges = (np.nanmin(inputs.values, axis=0), np.nanmax(inputs.values, axis=0))
    rows = []
    for segment in inputs.classes:
        rows.extend(_segment_rules(inputs, kinds, ranges, int(segment), fit_rows, config))
    return _rule_frame(rows)


def _segment_rules(
    inputs: ExplainInputs,
    kinds: dict[str, str],
    ranges: tuple[np.ndarray, np.ndarray],
    segment: int,
    fit_rows: np.ndarray,
    config: ExplainConfig,
) -> list[dict]:
    """The rows of one segment: fit its tree, measure each rule on every customer.

    ``kinds`` and ``ranges`` (each feature's observed min and max, own units) word the rules.
    """
    target = inputs.segment_ids == segment
    tree = DecisionTreeClassifier(
        max_depth=config.rules_max_depth,
        min_samples_leaf=max(5, int(MIN_LEAF_SHARE * len(fit_rows))),
        random_state=config.seed,
    )
    tree.fit(inputs.x[fit_rows], target[fit_rows])

    # Every customer's leaf; the leaves where the tree says "in the segment".
    structure = tree.tree_
    leaves = tree.apply(inputs.x)
    in_class = list(tree.classes_).index(True) if True in tree.classes_ else None
    is_leaf = structure.children_left == -1
    predicted = np.zeros(structure.node_count, dtype=bool)
    if in_class is not None:
        predicted = is_leaf & (structure.value[:, 0, :].argmax(axis=1) == in_class)

    # Tree-level measures over every segmented customer.
    says_in = predicted[leaves]
    size = int(target.sum())
    tree_measures = {
        "segment_customers": size,
        "tree_precision": _ratio(np.sum(says_in & target), np.sum(says_in)),
        "tree_recall": _ratio(np.sum(says_in & target), size),
        "tree_fidelity": float(np.mean(says_in == target)),
        "tree_max_depth": config.rules_max_depth,
    }

    # One rule per largest subtree whose leaves all say "in" (sibling leaves that agree merge).
    rule_of = _collapse(structure, predicted)
    nodes = rule_of[leaves]
    matched = np.bincount(nodes, minlength=structure.node_count)
    hits = np.bincount(nodes, weights=target, minlength=structure.node_count)
    chosen = np.unique(rule_of[predicted])
    predicts = bool(len(chosen))
    if not predicts:
        # The tree never says "in": report its most precise leaf, flagged.
        leaf_ids = np.flatnonzero(is_leaf & (matched > 0))
        precision = hits[leaf_ids] / matched[leaf_ids]
        chosen = leaf_ids[[int(np.argmax(precision))]]
    paths = _node_bounds(structure)
    rows = [
        {
            "segment_id": segment,
            "segment_name": inputs.segment_names.get(segment, ""),
            "rule_text": _rule_text(paths[node], inputs, kinds, ranges),
            "predicts_segment": predicts,
            "customers_matched": int(matched[node]),
            "segment_customers_matched": int(hits[node]),
            "precision": _ratio(hits[node], matched[node]),
            "recall": _ratio(hits[node], size),
            **tree_measures,
        }
        for node in chosen
    ]
    rows.sort(key=lambda row: (-row["segment_customers_matched"], row["rule_text"]))
    for rule_id, row in enumerate(rows, start=1):
        row["rule_id"] = rule_id
    return rows


def _collapse(structure: object, predicted: np.ndarray) -> np.ndarray:
    """``(nodes,)``: for every node, the highest ancestor (or itself) whose leaves all say "in";
    itself where there is none."""
    count = structure.node_count
    all_in = predicted.copy()
    # Children have higher ids than their parent: a reverse pass sees children first.
    for node in range(count - 1, -1, -1):
        left, right = structure.children_left[node], structure.children_right[node]
        if left != -1:
            all_in[node] = all_in[left] and all_in[right]
    top = np.arange(count)
    for node in range(count):
        for child in (structure.children_left[node], structure.children_right[node]):
            if child != -1 and all_in[node]:
                top[child] = top[node]
    return top


def _node_bounds(structure: object) -> dict[int, Bounds]:
    """For every node, the bounds its path puts on each feature (model space, in path order)."""
    out: dict[int, Bounds] = {}
    stack: list[tuple[int, Bounds]] = [(0, {})]
    while stack:
        node, bounds = stack.pop()
        out[node] = bounds
        left, right = structure.children_left[node], structure.children_right[node]
        if left == -1:
            continue
        feature, threshold = int(structure.feature[node]), float(structure.threshold[node])
        low, high = bounds.get(feature, (None, None))
        # Left: x <= threshold (a tighter upper bound); right: x > threshold.
        stack.append((left, {**bounds, feature: (low, _min(high, threshold))}))
        stack.append((right, {**bounds, feature: (_max(low, threshold), high)}))
    return out


def _rule_text(
    bounds: Bounds,
    inputs: ExplainInputs,
    kinds: dict[str, str],
    ranges: tuple[np.ndarray, np.ndarray],
) -> str:
    """``"a > 1 and b <= 2"`` in the features' own units; "all customers" for the root."""
    if not bounds:
        return "all customers"
    decisions = {d.feature: d for d in inputs.preprocessor.decisions}
    parts = []
    for feature, (low, high) in bounds.items():
        name = inputs.features[feature]
        decision = decisions[name]
        low_value = None if low is None else to_own_units(low, decision)
        high_value = None if high is None else to_own_units(high, decision)
        observed = (float(ranges[0][feature]), float(ranges[1][feature]))
        text = _condition(name, kinds[name], low_value, high_value, observed)
        fill = decision.impute_value
        if decision.null_share and _within(fill, low_value, high_value):
            text = f"({text} or {name} is missing)"
        parts.append(text)
    return " and ".join(parts)


def to_own_units(value: float, decision: FeatureDecision) -> float:
    """A model-space value of one feature in the feature's own units (undo scale, then log)."""
    value = value * decision.scale + decision.center
    if decision.transform == "signed_log1p":
        return math.copysign(math.expm1(abs(value)), value)
    return value


def _condition(
    name: str, kind: str, low: float | None, high: float | None, observed: tuple[float, float]
) -> str:
    """One feature's condition ``low < x <= high`` worded for its kind.

    ``observed`` is the feature's (min, max): an integer bound at or beyond it is left out.
    """
    if kind in ("boolean", "binary"):
        # A flag splits between 0 and 1: below the cut is 0, above it 1.
        is_set = low is not None
        if kind == "boolean":
            return f"{name} is {'true' if is_set else 'false'}"
        return f"{name} = {1 if is_set else 0}"
    if kind == "integer":
        first = None if low is None else math.floor(low) + 1
        last = None if high is None else math.floor(high)
        if first is not None and first <= observed[0]:
            first = None
        if last is not None and last >= observed[1]:
            last = None
        if last is not None and last <= observed[0]:
            first = last = int(observed[0])
        if first is not None and first >= observed[1]:
            first = last = int(observed[1])
        if first is not None and last is not None:
            if first == last:
                return f"{name} = {first:,}"
            return f"{first:,} <= {name} <= {last:,}"
        if first is None and last is None:
            return f"{name} is any value"
        return f"{name} >= {first:,}" if last is None else f"{name} <= {last:,}"
    if low is not None and high is not None:
        return f"{format_number(low)} < {name} <= {format_number(high)}"
    return f"{name} > {format_number(low)}" if high is None else f"{name} <= {format_number(high)}"


def format_number(value: float) -> str:
    """``value`` to four significant digits (all of its whole digits), thousands separated."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value))))
    text = f"{value:,.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _within(value: float | None, low: float | None, high: float | None) -> bool:
    if value is None:
        return False
    return (low is None or value > low) and (high is None or value <= high)


def _min(a: float | None, b: float) -> float:
    return b if a is None else min(a, b)


def _max(a: float | None, b: float) -> float:
    return b if a is None else max(a, b)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator) / float(denominator) if denominator else float("nan")


def _rule_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(RULE_COLUMNS))
    return frame.astype({
        "segment_id": "int32", "segment_name": "str", "rule_id": "int32", "rule_text": "str",
        "predicts_segment": "bool", "customers_matched": "int64",
        "segment_customers_matched": "int64", "precision": "float64", "recall": "float64",
        "segment_customers": "int64", "tree_precision": "float64", "tree_recall": "float64",
        "tree_fidelity": "float64", "tree_max_depth": "int32",
    })
