"""Numbers for a person: thousands separators, money, percentages, compact sizes.

Every function takes a value that may be missing (``None``, ``NaN``, ``pd.NA``) and returns
:data:`MISSING` for it, so pages never print ``nan``. Import this module as ``fmt`` so that it does
not shadow the built-in ``format``.
"""

from __future__ import annotations

import math
from decimal import Decimal
from numbers import Real

MISSING = "—"

# d3-format strings for Plotly hover labels, matching the functions below.
D3_NUMBER = ",.0f"
D3_MONEY = ",.2f"
D3_PERCENT = ".1%"

_COMPACT_STEPS = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _as_float(value: object) -> float | None:
    """The value as a finite float, or None when it is missing or not a number."""
    if value is None or isinstance(value, bool | str):
        return None
    if not isinstance(value, Real | Decimal):
        try:
            value = float(value)  # numpy scalars and pandas' NA land here
        except (TypeError, ValueError):
            return None
    number = float(value)
    return number if math.isfinite(number) else None


def number(value: object, decimals: int = 0) -> str:
    """``12345.6`` -> ``"12,346"``; ``decimals`` digits after the point."""
    number_ = _as_float(value)
    return MISSING if number_ is None else f"{number_:,.{decimals}f}"


def money(value: object, currency: str | None = None, decimals: int = 2) -> str:
    """``-1234.5`` -> ``"-1,234.50"``, or ``"EUR -1,234.50"`` with a currency code."""
    text = number(value, decimals)
    return f"{currency} {text}" if currency and text != MISSING else text


def compact(value: object, decimals: int = 1) -> str:
    """``1234567`` -> ``"1.2M"``; values under a thousand keep no decimals (``"950"``)."""
    number_ = _as_float(value)
    if number_ is None:
        return MISSING
    for step, suffix in _COMPACT_STEPS:
        if abs(number_) >= step:
            return f"{number_ / step:,.{decimals}f}{suffix}"
    return f"{number_:,.0f}"


def percent(share: object, decimals: int = 1) -> str:
    """A share between 0 and 1 as a percentage: ``0.1234`` -> ``"12.3%"``."""
    number_ = _as_float(share)
    return MISSING if number_ is None else f"{100 * number_:,.{decimals}f}%"


def signed(value: object, decimals: int = 2) -> str:
    """A value with its sign always shown, for z-scores: ``1.234`` -> ``"+1.23"``."""
    number_ = _as_float(value)
    return MISSING if number_ is None else f"{number_:+,.{decimals}f}"


def days(value: object) -> str:
    """A number of days: ``1`` -> ``"1 day"``, ``12.4`` -> ``"12 days"``."""
    number_ = _as_float(value)
    if number_ is None:
        return MISSING
    rounded = round(number_)
    return f"{rounded:,} day" if rounded == 1 else f"{rounded:,} days"


def feature_label(feature: str) -> str:
    """A feature column name as words: ``spend_share_groceries_365d`` -> ``"spend share groceries
    365d"``. The window and unit stay, since they say what the number means."""
    return feature.replace("_", " ")


def segment_label(segment_id: object, segment_name: object) -> str:
    """``(3, "Digital savers")`` -> ``"3 · Digital savers"``; the id alone when there is no name."""
    ident = number(segment_id)
    if segment_name is None or (isinstance(segment_name, float) and math.isnan(segment_name)):
        return f"Segment {ident}"
    return f"{ident} · {segment_name}"
