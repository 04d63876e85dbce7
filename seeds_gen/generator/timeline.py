"""The simulated window as arrays: days, month boundaries, business days and seasonality.

Time inside the generator is an integer number of seconds since the window start (midnight UTC
of the first day of the first month); day ``d`` starts at ``d * 86_400``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from seeds_gen.generator.personas import LAST_BUSINESS_DAY

DAY = 86_400
HOUR = 3_600

# Card purchase intensity by weekday (Monday first) and by calendar month: more on Fridays and
# Saturdays, in December (gifts) and in summer; less in January. Normalised to mean 1 over the
# window, so they move purchases in time without changing how many a customer makes.
WEEKDAY_INTENSITY = np.array([0.85, 0.90, 0.95, 1.00, 1.20, 1.25, 0.85])
MONTH_INTENSITY = np.array([0.85, 0.90, 0.95, 1.0, 1.0, 1.05, 1.10, 1.10, 0.95, 0.95, 1.0, 1.35])
# Bank holidays that close the business day (month, day) every year.
HOLIDAYS = ((1, 1), (12, 25), (12, 26))


@dataclass(frozen=True)
class Timeline:
    """Calendar arrays of one window of ``months`` months ending on ``end_date``."""

    start: date
    n_days: int
    month_start_day: np.ndarray  # (months + 1,) first day of each month; last = n_days
    month_of_year: np.ndarray  # (months,) 1 .. 12
    weekday: np.ndarray  # (n_days,) 0 = Monday
    day_month: np.ndarray  # (n_days,) calendar month 1 .. 12
    is_business_day: np.ndarray  # (n_days,) bool
    cum_intensity: np.ndarray  # (n_days + 1,) cumulative purchase intensity, 0 at day 0

    @property
    def months(self) -> int:
        return len(self.month_of_year)

    @property
    def end(self) -> date:
        """The last day of the window (end_date)."""
        return self.start + timedelta(days=self.n_days - 1)

    @property
    def end_s(self) -> int:
        """Window end in seconds (exclusive): midnight after end_date."""
        return self.n_days * DAY

    @property
    def month_start_s(self) -> np.ndarray:
        return self.month_start_day.astype(np.int64) * DAY

    @property
    def start_epoch_s(self) -> int:
        """The window start as seconds since 1970-01-01 UTC."""
        return self.start_epoch_day * DAY

    @property
    def start_epoch_day(self) -> int:
        return (self.start - date(1970, 1, 1)).days

    def month_of(self, seconds: np.ndarray) -> np.ndarray:
        """Month index (0-based) of times in seconds since the window start."""
        return np.searchsorted(self.month_start_s, seconds, side="right") - 1

    def pay_day(self, month: int, code: int) -> int:
        """Day index of a salary day in ``month`` (see personas.LAST_BUSINESS_DAY)."""
        first, after = int(self.month_start_day[month]), int(self.month_start_day[month + 1])
        if code == LAST_BUSINESS_DAY:
            day, step = after - 1, -1
        elif code == 1:
            day, step = first, 1
        else:
            day, step = min(first + code - 1, after - 1), -1
        while 0 <= day < self.n_days and not self.is_business_day[day]:
            day += step
        return min(max(day, first), after - 1)

    def next_business_day(self, days: np.ndarray) -> np.ndarray:
        """The same day when it is a business day, else the next one (capped at the last day)."""
        business = np.flatnonzero(self.is_business_day)
        pos = np.searchsorted(business, days, side="left")
        return np.where(pos < len(business), business[np.minimum(pos, len(business) - 1)], days)

    def operational_day(self, operational: np.ndarray) -> np.ndarray:
        """Calendar day of points in operational (intensity-weighted) time."""
        day = np.searchsorted(self.cum_intensity, operational, side="right") - 1
        return np.clip(day, 0, self.n_days - 1)

    def to_operational(self, seconds: np.ndarray) -> np.ndarray:
        """Operational time (in intensity-weighted days) of calendar times in seconds."""
        days = seconds / DAY
        whole = np.clip(np.floor(days).astype(np.int64), 0, self.n_days - 1)
        frac = np.clip(days - whole, 0.0, 1.0)
        step = self.cum_intensity[whole + 1] - self.cum_intensity[whole]
        return self.cum_intensity[whole] + frac * step


def build_timeline(end_date: date, months: int, seasonality: bool = True) -> Timeline:
    """Arrays for the ``months`` months ending with the month of ``end_date`` (a month end)."""
    year, month = end_date.year, end_date.month - months + 1
    while month < 1:
        year, month = year - 1, month + 12
    start = date(year, month, 1)
    n_days = (end_date - start).days + 1

    starts, month_of_year = [], []
    y, m = year, month
    for _ in range(months):
        starts.append((date(y, m, 1) - start).days)
        month_of_year.append(m)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    starts.append(n_days)

    days = [start + timedelta(days=int(d)) for d in range(n_days)]
    weekday = np.array([d.weekday() for d in days], dtype=np.int8)
    holiday = np.array([(d.month, d.day) in HOLIDAYS for d in days])
    day_month = np.array([d.month for d in days], dtype=np.int8)

    intensity = np.ones(n_days)
    if seasonality:
        intensity = WEEKDAY_INTENSITY[weekday] * MONTH_INTENSITY[day_month - 1]
        intensity = intensity / intensity.mean()
    cum = np.concatenate([[0.0], np.cumsum(intensity)])

    return Timeline(
        start=start,
        n_days=n_days,
        month_start_day=np.array(starts, dtype=np.int64),
        month_of_year=np.array(month_of_year, dtype=np.int64),
        weekday=weekday,
        day_month=day_month.astype(np.int64),
        is_business_day=(weekday < 5) & ~holiday,
        cum_intensity=cum,
    )
