"""Entry points of the segmentation: the functions the dbt Python models call.

Fitting and scoring are separate steps, each writing one table, so that the fitted model can
score customers without a refit (and, later, in SQL). Function -> mart (grain) <- what it reads:

- :func:`preprocessing_table` -> fct_segment_preprocessing (feature) <- features, customers;
- :func:`model_selection_table` -> fct_segment_model_selection (algorithm x k) <- features,
  customers, preprocessing;
- :func:`centroids_table` -> fct_segment_centroids (segment x feature) <- features, customers,
  preprocessing, model selection (refits the chosen model: same rows, order and seed);
- :func:`definitions_table` -> fct_segment_definitions (segment 0..k: name, description) <-
  features, customers, preprocessing, centroids;
- :func:`customer_segments_table` -> fct_customer_segments (customer) <- features, customers,
  preprocessing, centroids, definitions (scoring only).

``features`` is ``marts.fct_customer_features`` (customer_id + numeric features) and
``customers`` is ``marts.dim_customers`` (customer_id, has_activity). Customers with activity and
a features row are clustered; every other customer of ``customers`` is segment 0, "Inactive".
:func:`segment` runs the whole chain in memory.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_py.clustering import make_algorithm, score_rows
from models_py.config import SegmentationConfig
from models_py.identity import INACTIVE_SEGMENT_ID, canonical_ids, in_id_order
from models_py.naming import INACTIVE_DESCRIPTION, INACTIVE_SEGMENT_NAME, name_segments
from models_py.preprocessing import FeatureWarning, FittedPreprocessor, Preprocessor
from models_py.selection import empty_selection_table, select_model

logger = logging.getLogger(__name__)

# Private name of dim_customers.has_activity while joined to the features.
_ACTIVITY = "__finseg_has_activity"
# The algorithm column of customers assigned by the no-activity rule rather than by a model.
RULE_ALGORITHM = "rule"
CENTROID_COLUMNS = (
    "algorithm", "k", "segment_id", "feature", "position", "centroid", "variance", "weight",
)
DEFINITION_COLUMNS = ("segment_id", "segment_name", "description", "algorithm", "k")
CUSTOMER_SEGMENT_COLUMNS = (
    "customer_id", "segment_id", "segment_name", "membership_strength", "algorithm",
)


@dataclass(frozen=True)
class SegmentationResult:
    """Every table of one segmentation run (see the module docstring for grains)."""

    preprocessing: pd.DataFrame
    model_selection: pd.DataFrame
    centroids: pd.DataFrame
    definitions: pd.DataFrame
    customer_segments: pd.DataFrame


def segment(
    features: pd.DataFrame, customers: pd.DataFrame, config: SegmentationConfig | None = None
) -> SegmentationResult:
    """Run the whole segmentation in memory, exactly as the chain of dbt models does."""
    config = config or SegmentationConfig()
    preprocessing = preprocessing_table(features, customers, config)
    selection = model_selection_table(features, customers, preprocessing, config)
    centroids = centroids_table(features, customers, preprocessing, selection, config)
    definitions = definitions_table(features, customers, preprocessing, centroids, config)
    assigned = customer_segments_table(features, customers, preprocessing, centroids, definitions)
    return SegmentationResult(preprocessing, selection, centroids, definitions, assigned)


def active_features(
    features: pd.DataFrame, customers: pd.DataFrame, key: str = "customer_id"
) -> pd.DataFrame:
    """Features of the customers to cluster: activity and a features row; sorted by key.

    Rows are sorted so that the fit does not depend on the order a query returned them in.

    Raises
    ------
    KeyError
        A frame lacks ``key``, or ``customers`` lacks ``has_activity``.
    ValueError
        A key is NULL or repeated.
    """
    _check_key(features, key, "fct_customer_features")
    _check_key(customers, key, "dim_customers")
    if "has_activity" not in customers.columns:
        raise KeyError("dim_customers must have a has_activity column")
    # A hash join: Series.isin on Arrow-backed strings is slow (a Python loop in pandas 3).
    flags = customers[[key, "has_activity"]].rename(columns={"has_activity": _ACTIVITY})
    merged = features.merge(flags, on=key, how="left", sort=False)
    unknown = merged[_ACTIVITY].isna() & ~features[key].isna().to_numpy()
    if unknown.any():
        warnings.warn(
            f"{int(unknown.sum())} customers of the features mart are not in dim_customers "
            f"(e.g. {merged.loc[unknown, key].iloc[0]!r}); they are not segmented",
            FeatureWarning,
            stacklevel=2,
        )
    active = merged[merged[_ACTIVITY].fillna(False).astype(bool)].drop(columns=_ACTIVITY)
    return active.sort_values(key, kind="stable").reset_index(drop=True)


def preprocessing_table(
    features: pd.DataFrame, customers: pd.DataFrame, config: SegmentationConfig
) -> pd.DataFrame:
    """Fit the preprocessing on the active customers (fct_segment_preprocessing, feature grain)."""
    active = active_features(features, customers, config.key)
    return Preprocessor(config.preprocess_config()).fit(active).to_frame()


def model_selection_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    config: SegmentationConfig,
) -> pd.DataFrame:
    """Fit and score every algorithm x k (fct_segment_model_selection)."""
    active = active_features(features, customers, config.key)
    if active.empty:
        logger.warning("no customers with activity: nothing to segment")
        return empty_selection_table()
    fitted = FittedPreprocessor.from_frame(preprocessing, config.key)
    if not fitted.features:
        raise ValueError(
            "no usable feature: every candidate feature was dropped (all NULL, constant or "
            "duplicate); see marts.fct_segment_preprocessing and var segmentation_features"
        )
    x = fitted.transform(active)
    return select_model(x, config.selection_config()).table


def centroids_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    selection: pd.DataFrame,
    config: SegmentationConfig,
) -> pd.DataFrame:
    """Refit the chosen model and write its centres (fct_segment_centroids, segment x feature).

    The fit is the same one the selection scored: same rows, same order, same seed. Segment ids
    are canonical (1 = largest cluster, see :mod:`models_py.identity`).
    """
    chosen = selection[selection["is_chosen"].astype(bool)]
    if chosen.empty:
        return _centroid_frame([])
    algorithm, k = str(chosen["algorithm"].iloc[0]), int(chosen["k"].iloc[0])
    active = active_features(features, customers, config.key)
    fitted = FittedPreprocessor.from_frame(preprocessing, config.key)
    fit = make_algorithm(algorithm, seed=config.seed).fit(fitted.transform(active), k)

    # Canonical ids: row i of every parameter array becomes segment i + 1.
    ids = canonical_ids(fit.labels, fit.centers)
    centers = in_id_order(fit.centers, ids)
    variances = None if fit.variances is None else in_id_order(fit.variances, ids)
    weights = None if fit.weights is None else in_id_order(fit.weights[:, None], ids)
    rows = [
        {
            "algorithm": algorithm,
            "k": fit.k,
            "segment_id": segment,
            "feature": feature,
            "position": position,
            "centroid": float(centers[segment - 1, position]),
            "variance": None if variances is None else float(variances[segment - 1, position]),
            "weight": None if weights is None else float(weights[segment - 1, 0]),
        }
        for segment in range(1, fit.k + 1)
        for position, feature in enumerate(fitted.features)
    ]
    return _centroid_frame(rows)


def definitions_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    centroids: pd.DataFrame,
    config: SegmentationConfig,
) -> pd.DataFrame:
    """Name and describe every segment, 0 included (fct_segment_definitions, segment grain)."""
    inactive = {
        "segment_id": INACTIVE_SEGMENT_ID, "segment_name": INACTIVE_SEGMENT_NAME,
        "description": INACTIVE_DESCRIPTION, "algorithm": RULE_ALGORITHM, "k": None,
    }
    if centroids.empty:
        return _definition_frame(pd.DataFrame([inactive]))
    active = active_features(features, customers, config.key)
    fitted = FittedPreprocessor.from_frame(preprocessing, config.key)
    x = fitted.transform(active)
    segment_ids, parameters = _parameters(centroids, fitted.features)
    labels, _ = score_rows(x, *parameters)
    named = name_segments(x, segment_ids[labels], active, fitted.features)
    named["algorithm"] = str(centroids["algorithm"].iloc[0])
    named["k"] = int(centroids["k"].iloc[0])
    return _definition_frame(pd.concat([pd.DataFrame([inactive]), named], ignore_index=True))


def customer_segments_table(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    centroids: pd.DataFrame,
    definitions: pd.DataFrame,
    key: str = "customer_id",
) -> pd.DataFrame:
    """Score every customer of ``customers`` with the fitted model (fct_customer_segments).

    Active customers go to the nearest centre, membership_strength ``1 - d_own / d_next`` (1 at
    the centre, 0 on a boundary); for a Gaussian mixture to the most probable component,
    membership_strength its posterior probability. Every other customer is segment 0, strength 1.
    """
    _check_key(customers, key, "dim_customers")
    out = pd.DataFrame({key: customers[key].sort_values(kind="stable").to_numpy()})
    out["segment_id"] = INACTIVE_SEGMENT_ID
    out["membership_strength"] = 1.0
    out["algorithm"] = RULE_ALGORITHM
    if not centroids.empty:
        active = active_features(features, customers, key)
        fitted = FittedPreprocessor.from_frame(preprocessing, key)
        segment_ids, parameters = _parameters(centroids, fitted.features)
        labels, strength = score_rows(fitted.transform(active), *parameters)
        position = pd.Index(out[key]).get_indexer(active[key])
        out.loc[position, "segment_id"] = segment_ids[labels]
        out.loc[position, "membership_strength"] = strength
        out.loc[position, "algorithm"] = str(centroids["algorithm"].iloc[0])
    names = definitions.set_index("segment_id")["segment_name"]
    out["segment_name"] = out["segment_id"].map(names)
    if out["segment_name"].isna().any():
        raise ValueError("fct_segment_definitions lacks a segment that customers were assigned to")
    out["segment_id"] = out["segment_id"].astype("int32")
    out["membership_strength"] = out["membership_strength"].astype("float64")
    return out[list(CUSTOMER_SEGMENT_COLUMNS)]


def _parameters(
    centroids: pd.DataFrame, features: list[str]
) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray | None, np.ndarray | None]]:
    """Segment ids ``(k,)`` and the model: centres ``(k, p)`` in ``features`` order, and for a
    mixture its variances ``(k, p)`` and weights ``(k,)`` (else ``None``)."""
    def wide(values: str) -> pd.DataFrame:
        table = centroids.pivot(index="segment_id", columns="feature", values=values)
        return table.sort_index()[features]

    found = sorted(centroids["feature"].unique())
    if found != sorted(features):
        raise ValueError(
            "the centroids and the preprocessing name different features; rebuild both: "
            f"centroids {found}, preprocessing {sorted(features)}"
        )
    centers = wide("centroid")
    variances = weights = None
    if centroids["variance"].notna().any():
        variances = wide("variance").to_numpy(dtype=np.float64)
        weights = centroids.groupby("segment_id")["weight"].first().sort_index().to_numpy(
            dtype=np.float64
        )
    ids = centers.index.to_numpy(dtype=np.int64)
    return ids, (centers.to_numpy(dtype=np.float64), variances, weights)


def _check_key(frame: pd.DataFrame, key: str, name: str) -> None:
    if key not in frame.columns:
        raise KeyError(f"{name} must have a {key} column; it has {list(frame.columns)}")
    if frame[key].isna().any():
        raise ValueError(f"{name}.{key} holds NULLs")
    if frame[key].duplicated().any():
        example = frame.loc[frame[key].duplicated(), key].iloc[0]
        raise ValueError(f"{name}.{key} is not unique (e.g. {example!r} repeats)")


def _centroid_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=list(CENTROID_COLUMNS))
    return frame.astype({"algorithm": "str", "k": "int32", "segment_id": "int32",
                         "feature": "str", "position": "int32", "centroid": "float64",
                         "variance": "float64", "weight": "float64"})


def _definition_frame(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame[list(DEFINITION_COLUMNS)].copy()
    frame["segment_id"] = frame["segment_id"].astype("int32")
    frame["k"] = frame["k"].astype("Int32")
    return frame.sort_values("segment_id").reset_index(drop=True)
