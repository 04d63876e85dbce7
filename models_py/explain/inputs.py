"""The frames every explanation reads, gathered and checked once.

The segmented customers are the customers with activity and a features row (the rows the
segmentation clustered, :func:`models_py.segmentation.active_features`), sorted by key. Their
features are turned into model space with the recorded preprocessing, exactly as the segmentation
scored them, and their segment comes from ``fct_customer_segments``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from models_py.identity import INACTIVE_SEGMENT_ID
from models_py.preprocessing import FittedPreprocessor
from models_py.segmentation import active_features


@dataclass(frozen=True)
class ExplainInputs:
    """The segmented customers in model space and in their own units.

    Attributes
    ----------
    customer_ids
        ``(n,)`` keys of the customers in segments 1..k, sorted.
    x
        ``(n, p)`` features in model space (filled, transformed, scaled), no NaN.
    values
        ``(n, p)`` the same features in their own units, NaN where NULL.
    segment_ids
        ``(n,)`` int64 segment of each customer (1..k, from ``fct_customer_segments``).
    features
        The ``p`` features the segmentation uses, in model order.
    preprocessor
        The recorded preprocessing (fill value, transform, centre, scale per feature).
    segment_names
        Name of every segment of ``fct_customer_segments``, 0 included.
    rule_customers
        ``customer_id``, ``has_activity`` of the customers in segment 0 (assigned by rule).
    boolean_features
        The features that are boolean columns of ``fct_customer_features``.
    """

    customer_ids: np.ndarray
    x: np.ndarray
    values: np.ndarray
    segment_ids: np.ndarray
    features: list[str]
    preprocessor: FittedPreprocessor
    segment_names: dict[int, str]
    rule_customers: pd.DataFrame
    boolean_features: frozenset[str]

    @property
    def classes(self) -> np.ndarray:
        """The segment ids present among the segmented customers, ascending."""
        return np.unique(self.segment_ids)


def prepare_inputs(
    features: pd.DataFrame,
    customers: pd.DataFrame,
    preprocessing: pd.DataFrame,
    segments: pd.DataFrame,
    key: str = "customer_id",
) -> ExplainInputs:
    """Gather the segmented customers (see :class:`ExplainInputs`).

    Parameters
    ----------
    features
        ``fct_customer_features``: one row per customer, ``key`` + numeric features.
    customers
        ``dim_customers``: ``key``, ``has_activity``.
    preprocessing
        ``fct_segment_preprocessing`` (feature grain).
    segments
        ``fct_customer_segments``: one row per customer, ``key``, ``segment_id``, ``segment_name``.

    Raises
    ------
    KeyError
        ``segments`` lacks a column.
    ValueError
        A customer of segments 1..k has no activity or no features row: the segmentation marts
        are older than the features; rebuild them.
    """
    absent = [c for c in (key, "segment_id", "segment_name") if c not in segments.columns]
    if absent:
        raise KeyError(f"fct_customer_segments lacks columns {absent}")
    names = (
        segments.drop_duplicates("segment_id").set_index("segment_id")["segment_name"].to_dict()
    )
    segment_of = segments[[key, "segment_id"]]

    # Segment 0 is assigned by rule: those customers are listed, not explained by a model.
    ruled = segment_of[segment_of["segment_id"] == INACTIVE_SEGMENT_ID][[key]]
    activity = customers[[key, "has_activity"]]
    rule_customers = ruled.merge(activity, on=key, how="left").sort_values(key, kind="stable")

    fitted = FittedPreprocessor.from_frame(preprocessing, key)
    active = active_features(features, customers, key)
    active = active.merge(segment_of, on=key, how="left", sort=False)
    active = active[active["segment_id"].fillna(INACTIVE_SEGMENT_ID) != INACTIVE_SEGMENT_ID]
    active = active.reset_index(drop=True)
    expected = int((segment_of["segment_id"] != INACTIVE_SEGMENT_ID).sum())
    if len(active) != expected:
        raise ValueError(
            f"{expected - len(active)} customers of fct_customer_segments are in a segment "
            "1..k but have no activity or no features row; rebuild the segmentation marts "
            "(dbt build --select fct_segment_preprocessing+)"
        )
    values = _values(active, fitted.features)
    return ExplainInputs(
        customer_ids=active[key].to_numpy(dtype=object),
        x=fitted.transform(active) if fitted.features else np.empty((len(active), 0)),
        values=values,
        segment_ids=active["segment_id"].to_numpy(dtype=np.int64),
        features=fitted.features,
        preprocessor=fitted,
        segment_names={int(k): str(v) for k, v in names.items()},
        rule_customers=rule_customers.rename(columns={key: "customer_id"}).reset_index(drop=True),
        boolean_features=frozenset(
            name for name in fitted.features if _is_boolean(active[name])
        ),
    )


def segment_means(inputs: ExplainInputs) -> tuple[np.ndarray, np.ndarray]:
    """Mean of every feature per segment in its own units, NULLs ignored.

    The same figure as ``fct_segment_profiles.segment_mean``.

    Returns
    -------
    tuple of numpy.ndarray
        ``(k,)`` segment ids (ascending) and ``(k, p)`` means (NaN where a segment has only
        NULLs).
    """
    frame = pd.DataFrame(inputs.values, columns=range(len(inputs.features)))
    means = frame.groupby(inputs.segment_ids).mean()
    return means.index.to_numpy(dtype=np.int64), means.to_numpy(dtype=np.float64)


def feature_kinds(inputs: ExplainInputs) -> dict[str, str]:
    """Kind of every feature in its own units: ``boolean`` (a boolean column), ``binary``
    (numbers 0 and 1 only), ``integer`` (whole numbers only) or ``continuous``."""
    kinds = {}
    for j, name in enumerate(inputs.features):
        present = inputs.values[:, j][~np.isnan(inputs.values[:, j])]
        if name in inputs.boolean_features:
            kinds[name] = "boolean"
        elif np.isin(present, (0.0, 1.0)).all():
            kinds[name] = "binary"
        elif np.array_equal(present, np.round(present)):
            kinds[name] = "integer"
        else:
            kinds[name] = "continuous"
    return kinds


def take_strings(values: np.ndarray | list[str], index: np.ndarray) -> pd.Series:
    """``values[index]`` as a pandas string column, taken in Arrow (fast for millions)."""
    taken = pa.array(values, type=pa.string()).take(pa.array(index, type=pa.int64()))
    return pd.Series(taken, dtype="str")


def _is_boolean(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return True
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "boolean"


def _values(frame: pd.DataFrame, names: list[str]) -> np.ndarray:
    """Columns ``names`` as float64 (booleans 0/1, decimals as floats), NaN for NULL."""
    out = np.empty((len(frame), len(names)), dtype=np.float64)
    for j, name in enumerate(names):
        out[:, j] = frame[name].to_numpy(dtype=np.float64, na_value=np.nan)
    return out
