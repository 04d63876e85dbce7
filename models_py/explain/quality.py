"""How far the explanations can be trusted (fct_explanation_quality).

Grain: one row per metric and segment (``segment_id`` NULL = over every segmented customer).
The metrics, each in ``METRICS`` with its meaning:

- the surrogate's fidelity (refitted here: same rows, same seed as fct_segment_shap_sample);
- exactness: SHAP additivity on the sample, the reasons' decomposition, and whether every
  customer's own centre is the best-scoring one;
- agreement of each customer's top reason (fct_customer_explanations) with SHAP on the sample:
  with the top feature of the own segment's SHAP values, and with the top feature of the
  contrast own minus nearest other segment (the question the reasons answer: why this segment
  rather than that one); the rank correlation of the two attributions over every feature;
- the rule trees' fidelity (fct_segment_rules).

Over every segment, sample metrics are weighted by ``sample_weight`` (so that they describe the
whole base, not the stratified sample).

Expect the top-1 agreements to be modest where many features share the margin: the reasons
weigh every feature by its squared distance in scaled space, while the forest credits whichever
of several correlated features (salary inflow, salary months, has_salary) its trees split on.
On the 2,000-customer synthetic bank (7 segments, 34 features) the top reason was SHAP's top
contrast feature for 28% of customers and among its top three for 54%, with a mean rank
correlation of 0.61 over all features; per segment, the three features with the largest mean
|SHAP| and the three most frequent top reasons shared 2 or 3 features in four of 7 segments.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models_py.explain.config import ExplainConfig
from models_py.explain.inputs import ExplainInputs, prepare_inputs
from models_py.explain.reasons import CentroidModel, centroid_model, feature_terms, top_reasons
from models_py.explain.surrogate import fit_surrogate

QUALITY_COLUMNS = ("metric", "segment_id", "value", "customers", "description")
METRICS: dict[str, str] = {
    "surrogate_fidelity_holdout": (
        "Share of the customers left out of the surrogate's fit that it puts in their own "
        "segment (per segment: that segment's recall)."
    ),
    "surrogate_fidelity_fit": "Share of the surrogate's fit customers put in their own segment.",
    "shap_additivity_max_error": (
        "Largest |base value + sum of SHAP values - predicted probability| on the sample "
        "(must stay below 1e-6)."
    ),
    "reason_decomposition_max_error": (
        "Largest |sum of the reason terms - margin| over every customer, relative to "
        "max(1, |margin|): the decomposition is exact up to rounding."
    ),
    "assignment_agreement": (
        "Share of segmented customers whose own segment is the best-scoring one under "
        "fct_segment_centroids (1 unless the marts are out of step)."
    ),
    "reason_top1_is_shap_top1": (
        "Share of sample customers whose top reason is the feature with the largest SHAP value "
        "for their own segment."
    ),
    "reason_top1_is_shap_contrast_top1": (
        "Share of sample customers whose top reason is the feature with the largest SHAP value "
        "of own segment minus nearest other segment."
    ),
    "reason_top1_in_shap_contrast_top3": (
        "Share of sample customers whose top reason is among the three largest SHAP values of "
        "own segment minus nearest other segment."
    ),
    "reason_shap_contrast_spearman": (
        "Mean over sample customers of the Spearman correlation, over every feature, between "
        "the reason terms and the SHAP values of own segment minus nearest other segment."
    ),
    "rules_tree_fidelity": (
        "Share of segmented customers the segment's rule tree puts on the right side of "
        "in/out (over every segment: the mean)."
    ),
}


def explanation_quality_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    centroids: pd.DataFrame,
    segments: pd.DataFrame,
    shap_sample: pd.DataFrame,
    explanations: pd.DataFrame,
    rules: pd.DataFrame,
    config: ExplainConfig | None = None,
) -> pd.DataFrame:
    """Every metric of ``METRICS`` (fct_explanation_quality); see the module docstring."""
    config = config or ExplainConfig()
    inputs = prepare_inputs(features, customers, preprocessing, segments, config.key)
    rows: list[dict] = []
    if len(inputs.classes) < 2 or centroids.empty:
        return _quality_frame(rows)

    # The surrogate, refitted exactly as fct_segment_shap_sample fitted it.
    surrogate = fit_surrogate(inputs.x, inputs.segment_ids, config.fit_sample_size, config.seed)
    rows.append(_row("surrogate_fidelity_holdout", None, surrogate.fidelity_holdout,
                     len(surrogate.holdout_rows)))
    holdout_segments = inputs.segment_ids[surrogate.holdout_rows]
    for segment, recall in surrogate.recall_holdout.items():
        rows.append(_row("surrogate_fidelity_holdout", segment, recall,
                         int(np.sum(holdout_segments == segment))))
    rows.append(_row("surrogate_fidelity_fit", None, surrogate.fidelity_fit,
                     len(surrogate.fit_rows)))

    # Exactness of SHAP, of the decomposition and of the assignment.
    rows.append(_row("shap_additivity_max_error", None, _additivity_error(shap_sample),
                     shap_sample["customer_id"].nunique()))
    model = centroid_model(centroids, inputs.features)
    own = np.searchsorted(model.segment_ids, inputs.segment_ids)
    reasons = top_reasons(inputs.x, own, model, 1)
    n = len(own)
    rows.append(_row("reason_decomposition_max_error", None, reasons.max_error, n))
    tolerance = 1e-9 * np.maximum(1.0, np.abs(reasons.margins))
    rows.append(_row("assignment_agreement", None,
                     float(np.mean(reasons.margins >= -tolerance)), n))

    rows.extend(_agreement_rows(inputs, model, shap_sample, explanations))
    rows.extend(_rule_rows(rules))
    return _quality_frame(rows)


def _agreement_rows(
    inputs: ExplainInputs,
    model: CentroidModel,
    shap_sample: pd.DataFrame,
    explanations: pd.DataFrame,
) -> list[dict]:
    """Top reason against SHAP on the sample, overall (weighted) and per segment."""
    if shap_sample.empty:
        return []
    values, customer_ids, weights = _shap_cube(shap_sample, inputs.features, model.segment_ids)
    first = explanations[explanations["rank"] == 1].set_index("customer_id")
    first = first.reindex(customer_ids)
    position = {name: j for j, name in enumerate(inputs.features)}
    top = first["feature"].map(position).to_numpy(dtype=np.int64)
    own = np.searchsorted(model.segment_ids, first["segment_id"].to_numpy(dtype=np.int64))
    other = np.searchsorted(model.segment_ids, first["other_segment_id"].to_numpy(np.int64))
    index = np.arange(len(customer_ids))
    own_values = values[index, own]
    contrast = own_values - values[index, other]

    # The reason terms of the sample customers, every feature (recomputed, exact).
    rows_of = pd.Index(inputs.customer_ids).get_indexer(customer_ids)
    terms, _ = feature_terms(inputs.x[rows_of], own, other, model)
    top3 = np.argsort(-contrast, axis=1, kind="stable")[:, :3]
    measures = {
        "reason_top1_is_shap_top1": own_values.argmax(axis=1) == top,
        "reason_top1_is_shap_contrast_top1": contrast.argmax(axis=1) == top,
        "reason_top1_in_shap_contrast_top3": (top3 == top[:, None]).any(axis=1),
        "reason_shap_contrast_spearman": _row_spearman(terms, contrast),
    }
    segment_of = model.segment_ids[own]
    rows = []
    for metric, per_customer in measures.items():
        per_customer = per_customer.astype(np.float64)
        rows.append(_row(metric, None, _weighted_mean(per_customer, weights), len(index)))
        for segment in model.segment_ids:
            chosen = segment_of == segment
            rows.append(_row(metric, int(segment), _weighted_mean(per_customer[chosen], None),
                             int(chosen.sum())))
    return rows


def _shap_cube(
    shap_sample: pd.DataFrame, features: list[str], classes: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The long SHAP table as ``(m, k, p)`` values, customer ids and sample weights."""
    table = shap_sample.pivot_table(
        index="customer_id", columns=["explained_segment_id", "feature"], values="shap_value",
        aggfunc="first",
    )
    columns = pd.MultiIndex.from_product([classes.tolist(), features])
    table = table.reindex(columns=columns)
    weights = shap_sample.groupby("customer_id")["sample_weight"].first().reindex(table.index)
    cube = table.to_numpy(dtype=np.float64).reshape(len(table), len(classes), len(features))
    return cube, table.index.to_numpy(dtype=object), weights.to_numpy(dtype=np.float64)


def _additivity_error(shap_sample: pd.DataFrame) -> float:
    if shap_sample.empty:
        return float("nan")
    grouped = shap_sample.groupby(["customer_id", "explained_segment_id"]).agg(
        shap=("shap_value", "sum"), base=("base_value", "first"), output=("model_output", "first")
    )
    return float((grouped["base"] + grouped["shap"] - grouped["output"]).abs().max())


def _rule_rows(rules: pd.DataFrame) -> list[dict]:
    if rules.empty:
        return []
    trees = rules.drop_duplicates("segment_id").sort_values("segment_id")
    rows = [_row("rules_tree_fidelity", None, float(trees["tree_fidelity"].mean()),
                 int(trees["segment_customers"].sum()))]
    for tree in trees.itertuples(index=False):
        rows.append(_row("rules_tree_fidelity", int(tree.segment_id), float(tree.tree_fidelity),
                         int(tree.segment_customers)))
    return rows


def _row_spearman(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Spearman correlation of every row of ``a`` with the same row of ``b`` (average ranks)."""
    ranks_a = pd.DataFrame(a).rank(axis=1).to_numpy()
    ranks_b = pd.DataFrame(b).rank(axis=1).to_numpy()
    ranks_a = ranks_a - ranks_a.mean(axis=1, keepdims=True)
    ranks_b = ranks_b - ranks_b.mean(axis=1, keepdims=True)
    norm = np.sqrt((ranks_a**2).sum(axis=1) * (ranks_b**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(norm > 0, (ranks_a * ranks_b).sum(axis=1) / norm, np.nan)


def _weighted_mean(values: np.ndarray, weights: np.ndarray | None) -> float:
    present = ~np.isnan(values)
    if not present.any():
        return float("nan")
    if weights is None:
        return float(values[present].mean())
    return float(np.average(values[present], weights=weights[present]))


def _row(metric: str, segment: int | None, value: float, customers: int) -> dict:
    return {"metric": metric, "segment_id": segment, "value": value, "customers": customers,
            "description": METRICS[metric]}


def _quality_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))
    return frame.astype({"metric": "str", "segment_id": "Int32", "value": "float64",
                         "customers": "int64", "description": "str"})
