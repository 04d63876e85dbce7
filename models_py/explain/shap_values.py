"""SHAP values of the surrogate on a stratified seeded sample (fct_segment_shap_sample).

TreeExplainer (path-dependent, exact for trees) costs a few milliseconds per customer, so it runs
on a sample of ``explain_sample_size`` customers stratified by segment, never on everyone. For a
random forest the explained output is the predicted probability of each segment: a customer's
values for segment ``s`` add up, with the base value of ``s``, to that probability. shap's own
check of this (on by default, never switched off here) allows an error of 1e-2; it is checked
again here at 1e-6.

shap 0.51 returns multi-class values as one array of samples x features x classes.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shap
from sklearn.ensemble import RandomForestClassifier

from models_py.explain.config import ExplainConfig
from models_py.explain.inputs import ExplainInputs, prepare_inputs, take_strings
from models_py.explain.sampling import sample_weights, stratified_sample
from models_py.explain.surrogate import fit_surrogate

logger = logging.getLogger(__name__)

# Largest allowed |base value + sum of SHAP values - model output|.
ADDITIVITY_TOLERANCE = 1e-6
# Rows per TreeExplainer call: bounds memory and paces the progress log.
_CHUNK_ROWS = 500
SHAP_SAMPLE_COLUMNS = (
    "customer_id", "segment_id", "explained_segment_id", "feature", "feature_value",
    "shap_value", "base_value", "model_output", "sample_weight",
)


class AdditivityError(ValueError):
    """SHAP values plus the base value do not give back the model's output."""


@dataclass(frozen=True)
class ShapResult:
    """SHAP values of some rows.

    Attributes
    ----------
    values
        ``(m, p, k)``: contribution of feature ``j`` to the probability of class ``c``.
    base_values
        ``(k,)`` expected output of each class (the mean prediction over the training data).
    outputs
        ``(m, k)`` the model's predicted probabilities.
    classes
        ``(k,)`` the classes (segment ids) in the order of the last axis.
    additivity_error
        ``max |base + sum of values - output|`` over rows and classes.
    """

    values: np.ndarray
    base_values: np.ndarray
    outputs: np.ndarray
    classes: np.ndarray
    additivity_error: float


def explain_rows(model: RandomForestClassifier, x: np.ndarray) -> ShapResult:
    """Exact tree SHAP values of ``model`` on the rows of ``x`` (model space).

    Raises
    ------
    AdditivityError
        Values plus base value differ from ``model.predict_proba`` by more than 1e-6.
    """
    explainer = shap.TreeExplainer(model, feature_perturbation="tree_path_dependent")
    k, p = len(model.classes_), x.shape[1]
    values = np.empty((x.shape[0], p, k), dtype=np.float64)
    started = time.perf_counter()
    for start in range(0, x.shape[0], _CHUNK_ROWS):
        chunk = x[start : start + _CHUNK_ROWS]
        # The additivity check of shap stays on (its default).
        values[start : start + len(chunk)] = np.asarray(explainer.shap_values(chunk))
        logger.info("SHAP: %d of %d customers", start + len(chunk), x.shape[0])
    elapsed = time.perf_counter() - started
    base = np.asarray(explainer.expected_value, dtype=np.float64).reshape(k)
    outputs = model.predict_proba(x)
    error = float(np.abs(base + values.sum(axis=1) - outputs).max()) if len(x) else 0.0
    if error > ADDITIVITY_TOLERANCE:
        raise AdditivityError(
            f"SHAP values plus the base value miss the model output by {error:.3g} "
            f"(tolerance {ADDITIVITY_TOLERANCE:g}); the explainer does not match the model"
        )
    logger.info(
        "SHAP: %d customers in %.1f s (%.2f ms each), additivity error %.2g",
        x.shape[0], elapsed, 1000 * elapsed / max(x.shape[0], 1), error,
    )
    return ShapResult(values, base, outputs, np.asarray(model.classes_), error)


def shap_sample_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    segments: pd.DataFrame,
    config: ExplainConfig | None = None,
) -> pd.DataFrame:
    """SHAP values on the stratified sample, long (fct_segment_shap_sample).

    Grain: one row per sampled customer, explained segment (every segment 1..k) and feature.
    Columns: ``customer_id``, ``segment_id`` (the customer's own), ``explained_segment_id``,
    ``feature``, ``feature_value`` (own units, NULL kept), ``shap_value`` (share of the
    probability of the explained segment), ``base_value``, ``model_output`` (predicted
    probability of the explained segment: base_value + sum of shap_value), ``sample_weight``
    (segment customers / sampled customers of the segment).
    """
    config = config or ExplainConfig()
    inputs = prepare_inputs(features, customers, preprocessing, segments, config.key)
    if len(inputs.classes) < 2:
        logger.warning("fewer than two segments: no SHAP values")
        return _shap_frame({name: [] for name in SHAP_SAMPLE_COLUMNS})
    surrogate = fit_surrogate(inputs.x, inputs.segment_ids, config.fit_sample_size, config.seed)
    sample = stratified_sample(inputs.segment_ids, config.sample_size, config.seed)
    result = explain_rows(surrogate.model, inputs.x[sample])
    return long_shap_frame(inputs, sample, result)


def long_shap_frame(inputs: ExplainInputs, sample: np.ndarray, result: ShapResult) -> pd.DataFrame:
    """:class:`ShapResult` of the rows ``sample`` of ``inputs`` as the long table."""
    m, p, k = result.values.shape
    # Rows in the order customer, explained segment, feature.
    per_row = m * k * p
    customer = np.repeat(np.arange(m), k * p)
    klass = np.tile(np.repeat(np.arange(k), p), m)
    feature = np.tile(np.arange(p), m * k)
    weights = sample_weights(inputs.segment_ids, sample)
    columns = {
        "customer_id": take_strings(inputs.customer_ids[sample], customer),
        "segment_id": inputs.segment_ids[sample][customer],
        "explained_segment_id": result.classes[klass],
        "feature": take_strings(inputs.features, feature),
        "feature_value": inputs.values[sample][customer, feature],
        "shap_value": result.values.transpose(0, 2, 1).reshape(per_row),
        "base_value": result.base_values[klass],
        "model_output": result.outputs[customer, klass],
        "sample_weight": weights[customer],
    }
    return _shap_frame(columns)


def _shap_frame(columns: dict[str, object]) -> pd.DataFrame:
    frame = pd.DataFrame(columns, columns=list(SHAP_SAMPLE_COLUMNS))
    return frame.astype({
        "customer_id": "str", "segment_id": "int32", "explained_segment_id": "int32",
        "feature": "str", "feature_value": "float64", "shap_value": "float64",
        "base_value": "float64", "model_output": "float64", "sample_weight": "float64",
    })
