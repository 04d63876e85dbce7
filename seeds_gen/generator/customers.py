"""Customers of one block: persona, demographics, when they join, and when (and how) they leave.

Leaving is planted before anything else so that every later step can show it coming. A
*gradual* leaver has a decline phase of 2 to 6 months before the churn date: the salary moves
away (70%), balances are drawn down, card purchases thin out and move from digital channels to
the POS, fees rise. An *abrupt* leaver shows nothing. As noise, 8% of the customers who stay go
through a *dip* of 1.5 to 4 months that looks like the start of a decline (a salary gap in 30%
of dips), then recover. Churn dates up to 180 days after ``end_date`` are planted too, so the
last months hold customers who are about to leave.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds_gen.generator.personas import PersonaTable
from seeds_gen.generator.timeline import DAY, HOUR, Timeline

NEVER = np.int64(2**62)  # a time after every other (no churn, account never closed)
GENDERS = ("F", "M", "X")
GENDER_WEIGHTS = (0.49, 0.49, 0.02)
REGIONS = ("capital", "north", "south", "east", "west", "central")
REGION_WEIGHTS = (0.25, 0.15, 0.18, 0.14, 0.14, 0.14)
NET_INCOME_RATIO = 0.7  # net monthly income = gross annual * ratio / 12
INCOME_MISSING_SHARE = 0.03  # income_annual is NULL (not declared) for this share
CHURN_HORIZON_DAYS = 180  # churn dates this long after end_date are still planted
DIP_SHARE = 0.08
DAYS_PER_MONTH = 30.44

CHURN_NONE, CHURN_GRADUAL, CHURN_ABRUPT = 0, 1, 2


@dataclass
class Customers:
    """One row per customer of the block (arrays of equal length)."""

    number: np.ndarray  # int64, global customer number (1-based)
    persona: np.ndarray  # int64 code into PERSONAS
    birth_year: np.ndarray
    gender: np.ndarray  # code into GENDERS
    region: np.ndarray  # code into REGIONS
    occupation: np.ndarray  # code into the block's occupation names
    income_cents: np.ndarray  # int64, -1 = NULL
    credit_score: np.ndarray
    joined_day: np.ndarray  # int64 day relative to the window start (negative: before it)
    start_s: np.ndarray  # first second the customer can transact in the window
    churn_s: np.ndarray  # leaves at this time (17:00 of the churn day); NEVER = stays
    churn_kind: np.ndarray  # CHURN_NONE / CHURN_GRADUAL / CHURN_ABRUPT
    stress_start_s: np.ndarray  # decline (leavers) or dip (stayers); NEVER = none
    stress_end_s: np.ndarray
    gap_start_s: np.ndarray  # salary not paid in [gap_start_s, gap_end_s)
    gap_end_s: np.ndarray
    net_monthly: np.ndarray  # float EUR, whether or not it is paid into this bank
    has_salary: np.ndarray  # bool
    bonus: np.ndarray  # bool, December salary doubled

    def __len__(self) -> int:
        return len(self.number)

    def ramp(self, index: np.ndarray, time: np.ndarray) -> np.ndarray:
        """Stress level 0 .. 1 of customers ``index`` at ``time``: rises linearly over the phase."""
        start, end = self.stress_start_s[index], self.stress_end_s[index]
        inside = (time >= start) & (time < end)
        length = np.maximum(end - start, 1).astype(np.float64)
        return np.where(inside, (time - start) / length, 0.0)

    @property
    def leaving(self) -> np.ndarray:
        """Customers whose stress phase ends in churn."""
        return self.churn_kind == CHURN_GRADUAL


def occupation_names(table: PersonaTable) -> tuple[str, ...]:
    """Every occupation of every persona, in a fixed order (the codes of Customers.occupation)."""
    names: list[str] = []
    for persona in table.personas:
        names.extend(name for name, _ in persona.occupations if name not in names)
    return tuple(names)


def draw_customers(
    rng: np.random.Generator,
    numbers: np.ndarray,
    shares: np.ndarray,
    timeline: Timeline,
    table: PersonaTable,
) -> Customers:
    """Draw the customers numbered ``numbers`` with persona shares ``shares`` (by persona code)."""
    n = len(numbers)
    persona = rng.choice(len(shares), size=n, p=shares)
    end_year = timeline.end.year

    # Demographics. Gender and region do not depend on the persona (nothing to find there).
    low, high = table.col("age")[persona, 0], table.col("age")[persona, 1]
    age = np.floor(low + rng.random(n) * (high - low + 1)).astype(np.int64)
    income = np.exp(np.log(table.col("income_median")[persona]) +
                    table.col("income_sigma")[persona] * rng.standard_normal(n))
    income_cents = (np.round(income / 100) * 10_000).astype(np.int64)
    income_cents[rng.random(n) < INCOME_MISSING_SHARE] = -1
    mean, sd = table.col("credit_score")[persona, 0], table.col("credit_score")[persona, 1]
    credit_score = np.clip(np.round(mean + sd * rng.standard_normal(n)), 300, 850)

    # Joining: before the window (tenure up to 30 years, after age 18) or during it.
    pre = rng.random(n) < table.col("pre_existing_share")[persona]
    max_tenure = np.clip(age - 18 - timeline.n_days / 365, 0.2, 30) * 365
    joined_before = -np.ceil(30 + rng.random(n) * max_tenure).astype(np.int64)
    joined_during = rng.integers(0, timeline.n_days, n)
    joined_day = np.where(pre, joined_before, joined_during)
    start_s = np.maximum(joined_day, 0) * DAY

    churn = _draw_churn(rng, persona, start_s, pre, timeline, table)
    has_salary = rng.random(n) < table.col("salary_prob")[persona]
    return Customers(
        number=numbers.astype(np.int64),
        persona=persona.astype(np.int64),
        birth_year=(end_year - age).astype(np.int32),
        gender=rng.choice(len(GENDERS), size=n, p=GENDER_WEIGHTS),
        region=rng.choice(len(REGIONS), size=n, p=REGION_WEIGHTS),
        occupation=_draw_occupation(rng, persona, table),
        income_cents=income_cents,
        credit_score=credit_score.astype(np.int32),
        joined_day=joined_day,
        start_s=start_s,
        net_monthly=income * NET_INCOME_RATIO / 12,
        has_salary=has_salary,
        bonus=has_salary & (rng.random(n) < table.col("bonus_prob")[persona]),
        **churn,
    )


def _draw_occupation(
    rng: np.random.Generator, persona: np.ndarray, table: PersonaTable
) -> np.ndarray:
    names = occupation_names(table)
    weights = np.zeros((len(table.personas), len(names)))
    for code, p in enumerate(table.personas):
        for name, weight in p.occupations:
            weights[code, names.index(name)] = weight
    weights /= weights.sum(axis=1, keepdims=True)
    cum = np.cumsum(weights, axis=1)[persona]
    return np.minimum((rng.random(len(persona))[:, None] > cum).sum(axis=1), len(names) - 1)


def _draw_churn(
    rng: np.random.Generator,
    persona: np.ndarray,
    start_s: np.ndarray,
    pre_existing: np.ndarray,
    timeline: Timeline,
    table: PersonaTable,
) -> dict[str, np.ndarray]:
    """Churn time and kind, the stress phase (decline or dip) and the salary gap."""
    n = len(persona)
    # Time to churn: exponential with the persona's monthly hazard; joiners stay 45 days at least.
    mean_days = DAYS_PER_MONTH / table.col("churn_hazard")[persona]
    days = rng.exponential(mean_days) + np.where(pre_existing, 0, 45)
    churn_day = start_s // DAY + np.floor(days).astype(np.int64)
    planted = churn_day < timeline.n_days + CHURN_HORIZON_DAYS
    churn_s = np.where(planted, churn_day * DAY + 17 * HOUR, NEVER)
    gradual = planted & (rng.random(n) < table.col("gradual_churn_share")[persona])
    kind = np.where(planted, np.where(gradual, CHURN_GRADUAL, CHURN_ABRUPT), CHURN_NONE)

    # Decline of gradual leavers: 60 .. 180 days before churn.
    decline = rng.integers(60, 181, n) * DAY
    stress_start = np.where(gradual, churn_s - decline, NEVER)
    stress_end = np.where(gradual, churn_s, NEVER)
    moved = gradual & (rng.random(n) < 0.7)
    gap_start = np.where(moved, stress_start + (rng.random(n) * 0.6 * decline).astype(np.int64),
                         NEVER)
    gap_end = np.full(n, NEVER)  # a leaver's salary does not come back

    # Dips of stayers: 45 .. 120 days anywhere in the window, then recovery.
    dip = ~planted & (rng.random(n) < DIP_SHARE)
    dip_len = rng.integers(45, 121, n) * DAY
    dip_start = start_s + (rng.random(n) * np.maximum(timeline.end_s - start_s, 0)).astype(np.int64)
    stress_start = np.where(dip, dip_start, stress_start)
    stress_end = np.where(dip, dip_start + dip_len, stress_end)
    dip_gap = dip & (rng.random(n) < 0.3)
    gap_start = np.where(dip_gap, dip_start + dip_len // 4, gap_start)
    gap_end = np.where(dip_gap, dip_start + dip_len, gap_end)
    return {
        "churn_s": churn_s.astype(np.int64),
        "churn_kind": kind.astype(np.int8),
        "stress_start_s": stress_start.astype(np.int64),
        "stress_end_s": stress_end.astype(np.int64),
        "gap_start_s": gap_start.astype(np.int64),
        "gap_end_s": gap_end.astype(np.int64),
    }
