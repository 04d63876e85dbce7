"""The calibration summary (x, t_x, T, zbar per customer), checked at the boundary.

Fader-Hardie notation, one row per customer with at least one purchase occasion:

- ``x`` (frequency): repeat purchase occasions, i.e. purchase days after the first one;
- ``t_x`` (recency): time from the first to the last purchase occasion;
- ``T`` (age): time from the first purchase occasion to the end of calibration (as_of_date);
- ``zbar`` (monetary): mean spend per repeat occasion (undefined when ``x`` = 0).

The warehouse mart ``fct_clv_inputs`` holds them in whole days with the column names used as
defaults below; :func:`summary_from_frame` converts them to the model's time unit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_py.clv.units import check_time_unit, convert_time

# Column names of the mart fct_clv_inputs.
CUSTOMER_ID = "customer_id"
FREQUENCY = "repeat_purchases"
RECENCY = "days_first_to_last_purchase"
AGE = "days_since_first_purchase"
REPEAT_SPEND = "repeat_spend"


class SummaryError(ValueError):
    """The calibration summary breaks a rule of the models; the message says what to fix."""


@dataclass(frozen=True)
class CalibrationSummary:
    """Validated per-customer summary in one time unit (arrays of equal length, one per customer).

    Attributes
    ----------
    customer_id
        Customer keys (unique).
    frequency, recency, age
        ``x`` (integral, >= 0), ``t_x`` and ``T`` (0 <= t_x <= T) in ``time_unit``.
    monetary
        ``zbar``: mean spend per repeat occasion; NaN where ``x`` = 0. May be <= 0 (refunds).
    time_unit
        ``"days"``, ``"weeks"`` or ``"months"``.
    """

    customer_id: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    age: np.ndarray
    monetary: np.ndarray
    time_unit: str

    def __len__(self) -> int:
        return int(self.frequency.size)

    def subset(self, index: np.ndarray) -> CalibrationSummary:
        """The customers at ``index`` (positions or a boolean mask)."""
        return CalibrationSummary(
            self.customer_id[index],
            self.frequency[index],
            self.recency[index],
            self.age[index],
            self.monetary[index],
            self.time_unit,
        )


def summary_from_frame(
    frame: pd.DataFrame,
    time_unit: str = "weeks",
    *,
    input_unit: str = "days",
    customer_col: str = CUSTOMER_ID,
    frequency_col: str = FREQUENCY,
    recency_col: str = RECENCY,
    age_col: str = AGE,
    spend_col: str | None = REPEAT_SPEND,
    spend_is_mean: bool = False,
) -> CalibrationSummary:
    """Check a per-customer summary frame and convert it to ``time_unit``.

    Parameters
    ----------
    frame
        One row per customer with the key, ``x``, ``t_x``, ``T`` and optionally spend columns.
    time_unit
        Unit the models work in (``days``, ``weeks``, ``months`` of 30.4375 days).
    input_unit
        Unit of ``recency_col`` and ``age_col`` in ``frame`` (the mart holds days).
    spend_col
        Net spend over the repeat occasions (total, or the mean when ``spend_is_mean``); ``None``
        when there is no spend (Gamma-Gamma cannot be fitted then).

    Raises
    ------
    SummaryError
        Missing column, duplicate or null key, null / non-finite / negative values, a
        non-integral frequency, ``t_x > T``, or ``t_x > 0`` with frequency 0.
    """
    check_time_unit(time_unit)
    check_time_unit(input_unit)
    needed = [customer_col, frequency_col, recency_col, age_col]
    needed += [spend_col] if spend_col is not None else []
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise SummaryError(
            f"calibration summary lacks columns {missing}; it has {list(frame.columns)}. "
            "Pass the column names (customer_col=..., frequency_col=..., ...) or add them."
        )
    keys = frame[customer_col]
    if keys.isna().any():
        raise SummaryError(f"{customer_col} is null in {int(keys.isna().sum())} rows")
    duplicated = keys[keys.duplicated()]
    if len(duplicated):
        raise SummaryError(
            f"{customer_col} must be unique (one row per customer); "
            f"{duplicated.nunique()} repeat, e.g. {duplicated.iloc[0]!r}"
        )
    x = _numbers(frame, frequency_col, keys)
    t_x = _numbers(frame, recency_col, keys)
    age = _numbers(frame, age_col, keys)
    _check_values(x, t_x, age, keys, frequency_col, recency_col, age_col)
    monetary = _monetary(frame, spend_col, spend_is_mean, x, keys)
    return CalibrationSummary(
        customer_id=keys.to_numpy(),
        frequency=x,
        recency=convert_time(t_x, input_unit, time_unit),
        age=convert_time(age, input_unit, time_unit),
        monetary=monetary,
        time_unit=time_unit,
    )


def _numbers(frame: pd.DataFrame, column: str, keys: pd.Series) -> np.ndarray:
    """``column`` as float64; nulls and non-finite values are an error naming a customer."""
    try:
        values = pd.to_numeric(frame[column]).to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as error:
        raise SummaryError(f"{column} must be numeric: {error}") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise SummaryError(
            f"{column} is null or not finite for {int(bad.sum())} customers, "
            f"e.g. {keys.iloc[int(np.argmax(bad))]!r}"
        )
    return values


def _check_values(
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    keys: pd.Series,
    frequency_col: str,
    recency_col: str,
    age_col: str,
) -> None:
    rules = [
        (x < 0, f"{frequency_col} < 0"),
        (x != np.round(x), f"{frequency_col} is not a whole number"),
        (t_x < 0, f"{recency_col} < 0"),
        # A small tolerance for summaries rounded to 2 decimals (the published CDNOW files).
        (t_x > age + 1e-9, f"{recency_col} > {age_col} (last purchase after as_of_date?)"),
        ((x == 0) & (t_x != 0), f"{recency_col} > 0 with {frequency_col} = 0"),
    ]
    for bad, what in rules:
        if bad.any():
            raise SummaryError(
                f"{what} for {int(bad.sum())} customers, e.g. {keys.iloc[int(np.argmax(bad))]!r}"
            )


def _monetary(
    frame: pd.DataFrame,
    spend_col: str | None,
    spend_is_mean: bool,
    x: np.ndarray,
    keys: pd.Series,
) -> np.ndarray:
    """zbar per customer: NaN without repeat occasions or without a spend column."""
    if spend_col is None:
        return np.full(x.size, np.nan)
    spend = pd.to_numeric(frame[spend_col]).to_numpy(dtype=float, na_value=np.nan)
    repeat = x > 0
    bad = repeat & ~np.isfinite(spend)
    if bad.any():
        raise SummaryError(
            f"{spend_col} is null or not finite for {int(bad.sum())} customers with repeat "
            f"purchases, e.g. {keys.iloc[int(np.argmax(bad))]!r}"
        )
    zbar = np.full(x.size, np.nan)
    zbar[repeat] = spend[repeat] if spend_is_mean else spend[repeat] / x[repeat]
    return zbar
