"""Time units of the CLV models: days, weeks, and months of 30.4375 days.

The calibration summary arrives in whole days (dates differ by days). The models are fitted in
one unit (dbt var ``clv_time_unit``), and the scale parameters of the purchase and dropout rates
(``alpha`` of BG/NBD and Pareto/NBD, ``beta`` of Pareto/NBD) are times in that unit: changing the
unit rescales them and leaves the shape parameters (``r``, ``a``, ``b``, ``s``) unchanged.
Horizons are given in months and converted here, never by hand.
"""

from __future__ import annotations

import numpy as np

# Length of one unit in days. A month is the mean Gregorian month: 365.25 / 12 days.
DAYS_PER_UNIT: dict[str, float] = {"days": 1.0, "weeks": 7.0, "months": 30.4375}
TIME_UNITS: tuple[str, ...] = tuple(DAYS_PER_UNIT)
DAYS_PER_YEAR = 365.25


def check_time_unit(unit: str) -> str:
    """Return ``unit`` if it is one of :data:`TIME_UNITS`, else raise a ValueError naming them."""
    if unit not in DAYS_PER_UNIT:
        raise ValueError(f"time unit must be one of {list(TIME_UNITS)}, got {unit!r}")
    return unit


def convert_time(values: np.ndarray | float, from_unit: str, to_unit: str) -> np.ndarray:
    """Convert durations from ``from_unit`` to ``to_unit`` (float array)."""
    factor = DAYS_PER_UNIT[check_time_unit(from_unit)] / DAYS_PER_UNIT[check_time_unit(to_unit)]
    return np.asarray(values, dtype=float) * factor


def rescale_time_parameters(
    params: dict[str, float], time_parameters: tuple[str, ...], from_unit: str, to_unit: str
) -> dict[str, float]:
    """Express fitted parameters in another time unit.

    A purchase rate lambda ~ Gamma(r, alpha) per ``from_unit`` is, per ``to_unit``, the same
    rate times (days of ``to_unit`` / days of ``from_unit``), i.e. Gamma(r, alpha') with
    ``alpha' = alpha * days(from_unit) / days(to_unit)``: ``alpha`` is a duration.

    Parameters
    ----------
    params
        Parameter name -> value, in ``from_unit``.
    time_parameters
        The names whose value is a duration (``("alpha",)`` for BG/NBD, ``("alpha", "beta")``
        for Pareto/NBD); the others are unit-free and copied.
    """
    factor = float(convert_time(1.0, from_unit, to_unit))
    return {
        name: value * factor if name in time_parameters else value for name, value in params.items()
    }
