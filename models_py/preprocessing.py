"""Feature preprocessing for segmentation: which features, how they are filled, transformed, scaled.

Every decision is recorded per feature, so that a data scientist can see it in
``marts.fct_segment_preprocessing`` and so that the fitted parameters (fill value, transform,
centre, scale) can score new customers without refitting, in Python or in SQL:

    x_model = (transform(coalesce(x, impute_value)) - center) / scale

where ``transform`` is the identity or the signed log ``sign(x) * ln(1 + |x|)``.

The steps run in this order on the rows given to :meth:`Preprocessor.fit` (the active
customers):

1. candidate features: the configured list, or every numeric or boolean column but the key;
2. a feature that is NULL for everyone is dropped (the input cannot support it);
3. missing values are filled with the feature's median;
4. a feature with one value only (zero variance) is dropped;
5. a skewed feature (absolute sample skewness above a threshold, more than two distinct values,
   values beyond [-1, 1]) is transformed with the signed log if that lowers the skewness;
6. a feature perfectly correlated with an earlier kept one (absolute Pearson r at or above a
   threshold) is dropped as a duplicate;
7. kept features are scaled: standard (mean, standard deviation) or robust (median, IQR; the
   standard deviation where the IQR is 0, as for a flag held by few customers).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)

Scaler = Literal["standard", "robust"]
SCALERS: tuple[str, ...] = ("standard", "robust")
TRANSFORMS: tuple[str, ...] = ("none", "signed_log1p")

# Columns of the preprocessing table, in order (fct_segment_preprocessing).
PREPROCESSING_COLUMNS: tuple[str, ...] = (
    "feature",
    "position",
    "is_used",
    "decision",
    "reason",
    "null_share",
    "impute_value",
    "skewness",
    "transform",
    "scaler",
    "center",
    "scale",
)


class FeatureWarning(UserWarning):
    """A feature could not be used as configured (missing, all NULL, constant, duplicate)."""


@dataclass(frozen=True)
class PreprocessConfig:
    """Settings of :class:`Preprocessor`.

    Parameters
    ----------
    features
        Feature columns to use, in order; empty means every numeric or boolean column but ``key``.
    key
        The key column of the input frame (one row per key).
    scaler
        ``"standard"`` (mean, standard deviation) or ``"robust"`` (median, interquartile range).
    skew_threshold
        Absolute sample skewness above which a non-binary feature gets the signed log, when the
        log lowers it (money spread over orders of magnitude by a few groups can have a modest
        skewness and still need the log).
    correlation_threshold
        Absolute Pearson correlation at or above which a later feature is a duplicate of an
        earlier kept one and is dropped.
    """

    features: tuple[str, ...] = ()
    key: str = "customer_id"
    scaler: Scaler = "standard"
    skew_threshold: float = 0.5
    correlation_threshold: float = 0.999

    def __post_init__(self) -> None:
        if self.scaler not in SCALERS:
            raise ValueError(f"scaler must be one of {SCALERS}, got {self.scaler!r}")
        if self.skew_threshold <= 0:
            raise ValueError(f"skew_threshold must be > 0, got {self.skew_threshold}")
        if not 0 < self.correlation_threshold <= 1:
            raise ValueError(
                f"correlation_threshold must be in (0, 1], got {self.correlation_threshold}"
            )


@dataclass(frozen=True)
class FeatureDecision:
    """What preprocessing decided for one candidate feature, and its fitted parameters."""

    feature: str
    position: int
    is_used: bool
    decision: str
    reason: str
    null_share: float
    impute_value: float | None = None
    skewness: float | None = None
    transform: str = "none"
    scaler: str | None = None
    center: float | None = None
    scale: float | None = None


@dataclass(frozen=True)
class FittedPreprocessor:
    """A fitted preprocessing: one :class:`FeatureDecision` per candidate feature."""

    decisions: tuple[FeatureDecision, ...]
    key: str = "customer_id"
    _used: tuple[FeatureDecision, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_used", tuple(d for d in self.decisions if d.is_used))

    @property
    def features(self) -> list[str]:
        """The features the model uses, in order (the columns of :meth:`transform`)."""
        return [d.feature for d in self._used]

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        """Fill, transform and scale the used features of ``frame``.

        Parameters
        ----------
        frame
            One row per customer with at least the used feature columns.

        Returns
        -------
        numpy.ndarray
            ``(len(frame), len(self.features))`` float64 array in model space, without NaN.
        """
        missing = [name for name in self.features if name not in frame.columns]
        if missing:
            raise KeyError(
                f"columns {missing} were used to fit the segmentation but are missing from the "
                "frame to score; rebuild the preprocessing on the current features"
            )
        out = np.empty((len(frame), len(self._used)), dtype=np.float64)
        for j, decision in enumerate(self._used):
            values = _as_float(frame[decision.feature])
            values = np.where(np.isnan(values), decision.impute_value, values)
            values = _apply_transform(values, decision.transform)
            out[:, j] = (values - decision.center) / decision.scale
        return out

    def to_frame(self) -> pd.DataFrame:
        """The decisions as a table, one row per candidate feature (fct_segment_preprocessing)."""
        rows = [{name: getattr(d, name) for name in PREPROCESSING_COLUMNS} for d in self.decisions]
        frame = pd.DataFrame(rows, columns=list(PREPROCESSING_COLUMNS))
        frame["position"] = frame["position"].astype("int32")
        frame["is_used"] = frame["is_used"].astype(bool)
        for name in ("null_share", "impute_value", "skewness", "center", "scale"):
            frame[name] = frame[name].astype("float64")
        return frame

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, key: str = "customer_id") -> FittedPreprocessor:
        """Rebuild a fitted preprocessing from :meth:`to_frame` output (e.g. read from the mart)."""
        absent = [name for name in PREPROCESSING_COLUMNS if name not in frame.columns]
        if absent:
            raise KeyError(f"preprocessing table lacks columns {absent}")
        decisions = []
        for row in frame.sort_values("position").to_dict("records"):
            values = {name: _none_if_nan(row[name]) for name in PREPROCESSING_COLUMNS}
            values["position"] = int(values["position"])
            values["is_used"] = bool(values["is_used"])
            decisions.append(FeatureDecision(**values))
        return cls(decisions=tuple(decisions), key=key)


class Preprocessor:
    """Chooses, fills, transforms and scales features; see the module docstring for the steps.

    Parameters
    ----------
    config
        The settings; defaults to :class:`PreprocessConfig()`.
    """

    def __init__(self, config: PreprocessConfig | None = None) -> None:
        self.config = config or PreprocessConfig()

    def fit(self, frame: pd.DataFrame) -> FittedPreprocessor:
        """Fit on ``frame`` (one row per ``config.key``, the rows the model is fit on)."""
        names = candidate_features(frame, self.config.features, self.config.key)
        decisions: list[FeatureDecision] = []
        columns: dict[str, np.ndarray] = {}
        for position, name in enumerate(names):
            decision, values = self._fit_one(name, position, _as_float(frame[name]))
            decisions.append(decision)
            if values is not None:
                columns[name] = values
        decisions = _drop_duplicates(decisions, columns, self.config.correlation_threshold)
        decisions = [self._fit_scale(d, columns[d.feature]) if d.is_used else d for d in decisions]

        fitted = FittedPreprocessor(decisions=tuple(decisions), key=self.config.key)
        # A feature the user listed and cannot have is worth a warning; with every feature
        # (the default) dropping the unusable ones is expected and only logged.
        dropped = [d for d in decisions if not d.is_used]
        if self.config.features and dropped:
            warnings.warn(
                "segmentation_features not used: "
                + "; ".join(f"{d.feature} ({d.reason})" for d in dropped),
                FeatureWarning,
                stacklevel=2,
            )
        logger.info(
            "preprocessing: %d of %d candidate features used (%s scaling)",
            len(fitted.features), len(names), self.config.scaler,
        )
        return fitted

    def _fit_one(
        self, name: str, position: int, values: np.ndarray
    ) -> tuple[FeatureDecision, np.ndarray | None]:
        """Steps 2-5 for one feature: the decision and the filled, transformed values (if kept)."""
        n = len(values)
        nulls = int(np.isnan(values).sum())
        null_share = nulls / n if n else 1.0
        base = FeatureDecision(name, position, False, "", "", null_share)

        # All NULL: the input cannot support this feature.
        if nulls == n:
            return replace(base, decision="dropped_all_null",
                           reason="NULL for every customer: the input does not support it"), None

        # Fill missing values with the median (in the feature's own units).
        # TODO: many NULLs filled with one value can gather into a small cluster of their own
        # (seen with 10% NULL digital shares in tests); a missing-value indicator or a fill
        # per neighbourhood would avoid it, at the price of one more feature or a second pass.
        fill = float(np.nanmedian(values))
        values = np.where(np.isnan(values), fill, values)

        # One value only: nothing to separate customers by.
        if values.min() == values.max():
            return replace(base, decision="dropped_zero_variance", impute_value=fill,
                           reason=f"one value only ({values[0]:g}) after filling NULLs"), None

        # Skewed, non-binary features beyond [-1, 1] get the signed log where it helps.
        skewness = _skewness(values)
        transform, note = "none", ""
        if (
            abs(skewness) > self.config.skew_threshold
            and np.abs(values).max() > 1
            and len(np.unique(values[: min(n, 10_000)])) > 2
        ):
            logged = signed_log1p(values)
            skewness_logged = _skewness(logged)
            if abs(skewness_logged) < abs(skewness):
                transform, values = "signed_log1p", logged
                note = f"; skewness {skewness:.2f}, {skewness_logged:.2f} after signed log"
            else:
                note = f"; skewness {skewness:.2f}, the signed log would not reduce it"
        reason = (f"{nulls} NULLs filled with the median {fill:g}" if nulls else "no NULLs") + note
        decision = replace(base, is_used=True, decision="used", reason=reason,
                           impute_value=fill, skewness=skewness, transform=transform)
        return decision, values

    def _fit_scale(self, decision: FeatureDecision, values: np.ndarray) -> FeatureDecision:
        """Step 7: centre and scale of one kept feature."""
        scaler = self.config.scaler
        if scaler == "robust":
            q25, median, q75 = np.percentile(values, [25, 50, 75])
            center, scale = float(median), float(q75 - q25)
            if scale == 0:
                scale = float(values.std())
                scaler = "robust (IQR 0: standard deviation)"
        else:
            center, scale = float(values.mean()), float(values.std())
        if not scale > 0:
            # Unreachable after the zero-variance step, kept as a guard against float underflow.
            scale = 1.0
        return replace(decision, scaler=scaler, center=center, scale=scale)


def candidate_features(frame: pd.DataFrame, features: Sequence[str], key: str) -> list[str]:
    """The candidate feature columns: ``features`` checked against ``frame``, or all numeric ones.

    Raises
    ------
    KeyError
        A configured feature is not a column of ``frame``.
    TypeError
        A configured feature is neither numeric nor boolean.
    """
    if key not in frame.columns:
        raise KeyError(f"key column {key!r} is missing; columns are {list(frame.columns)}")
    if features:
        missing = [name for name in features if name not in frame.columns]
        if missing:
            raise KeyError(
                f"segmentation_features {missing} are not columns of the features mart; "
                f"available: {sorted(c for c in frame.columns if c != key)}"
            )
        wrong = [name for name in features if not _is_numeric(frame[name])]
        if wrong:
            raise TypeError(f"segmentation_features {wrong} are not numeric or boolean")
        return list(dict.fromkeys(features))
    return [name for name in frame.columns if name != key and _is_numeric(frame[name])]


def signed_log1p(values: np.ndarray) -> np.ndarray:
    """``sign(x) * ln(1 + |x|)``: a log that keeps the sign and maps 0 to 0."""
    return np.sign(values) * np.log1p(np.abs(values))


def _apply_transform(values: np.ndarray, transform: str) -> np.ndarray:
    if transform == "signed_log1p":
        return signed_log1p(values)
    if transform == "none":
        return values
    raise ValueError(f"unknown transform {transform!r}; expected one of {TRANSFORMS}")


def _drop_duplicates(
    decisions: list[FeatureDecision], columns: dict[str, np.ndarray], threshold: float
) -> list[FeatureDecision]:
    """Step 6: drop a used feature perfectly correlated with an earlier used one."""
    used = [d.feature for d in decisions if d.is_used]
    if len(used) < 2:
        return decisions
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = np.corrcoef(np.column_stack([columns[name] for name in used]), rowvar=False)
    kept: list[int] = []
    duplicate_of: dict[str, tuple[str, float]] = {}
    for j, name in enumerate(used):
        match = next((i for i in kept if abs(corr[i, j]) >= threshold), None)
        if match is None:
            kept.append(j)
        else:
            duplicate_of[name] = (used[match], float(corr[match, j]))
    out = []
    for decision in decisions:
        if decision.feature in duplicate_of:
            other, r = duplicate_of[decision.feature]
            decision = replace(decision, is_used=False, decision="dropped_duplicate",
                               reason=f"duplicate of {other} (Pearson r {r:.4f})",
                               transform="none")
        out.append(decision)
    return out


def _skewness(values: np.ndarray) -> float:
    """Sample skewness (biased, as scipy.stats.skew); 0 for a constant."""
    centred = values - values.mean()
    m2 = float(np.mean(centred**2))
    if m2 == 0:
        return 0.0
    return float(np.mean(centred**3) / m2**1.5)


def _is_numeric(series: pd.Series) -> bool:
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return True
    if series.dtype == object:
        # Decimals and NULL-holding booleans can arrive as Python objects.
        kind = pd.api.types.infer_dtype(series, skipna=True)
        return kind in ("boolean", "integer", "floating", "decimal", "mixed-integer-float")
    return False


def _as_float(series: pd.Series) -> np.ndarray:
    """A numeric, boolean or decimal column as float64 with NaN for NULL."""
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _none_if_nan(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value
