"""Settings of one synthetic bank: size, history, seed, persona mix and dirty-data switches.

Everything that changes the generated tables is in :class:`BankConfig` except the chunk size,
which only changes how many customers are held in memory at once (the output is the same).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from seeds_gen.generator.personas import DEFAULT_MIX, PERSONAS_BY_NAME

#: Default customers per random stream (see BankConfig.block_customers).
BLOCK_CUSTOMERS = 10_000

_MEMORY = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)
MAX_CUSTOMERS = 99_999_999  # customer ids are 'C' + 9 digits
MAX_MONTHS = 120


@dataclass(frozen=True)
class DirtyData:
    """Share of transactions (0 .. 0.2 each) damaged on purpose, for data-quality tests.

    All are off by default. The damaged rows reach ``raw.transactions`` (nothing is quarantined by
    the generator) so that the dbt layer's own checks can be tested; every damaged row is listed
    in ``raw_truth.dirty_transactions`` with its kind. Balances are computed from the clean
    transactions, so they no longer reconcile where a row was damaged.

    Attributes
    ----------
    duplicate_rate
        A transaction is delivered twice: a second, identical row with the same transaction_id.
    late_arrival_rate
        A transaction arrives late: its row is written after every other row of the load, out of
        customer and time order (its content is unchanged).
    null_amount_rate
        The amount is NULL.
    future_dated_rate
        booked_at is moved 1 to 90 days after ``end_date`` (with these rows present, set the dbt
        var ``as_of_date``: its default, the last booked date, would move into the future).
    unknown_category_rate
        The category is a value outside the contract ('crypto', 'gambling', 'UNKNOWN').
    """

    duplicate_rate: float = 0.0
    late_arrival_rate: float = 0.0
    null_amount_rate: float = 0.0
    future_dated_rate: float = 0.0
    unknown_category_rate: float = 0.0

    def __post_init__(self) -> None:
        for name, value in self.rates().items():
            if not 0.0 <= value <= 0.2:
                raise ValueError(f"DirtyData.{name} must be between 0 and 0.2, got {value}")

    def rates(self) -> dict[str, float]:
        """The switches by name, in a fixed order."""
        return {
            "duplicate_rate": self.duplicate_rate,
            "late_arrival_rate": self.late_arrival_rate,
            "null_amount_rate": self.null_amount_rate,
            "future_dated_rate": self.future_dated_rate,
            "unknown_category_rate": self.unknown_category_rate,
        }

    @property
    def enabled(self) -> bool:
        return any(value > 0 for value in self.rates().values())


Mix = tuple[tuple[str, float], ...]


def _as_mix(mix: Mapping[str, float] | Mix) -> Mix:
    items = tuple(mix.items()) if isinstance(mix, Mapping) else tuple(tuple(pair) for pair in mix)
    unknown = [name for name, _ in items if name not in PERSONAS_BY_NAME]
    if unknown:
        raise ValueError(
            f"persona_mix names unknown personas {unknown}; known: {sorted(PERSONAS_BY_NAME)}"
        )
    if any(weight < 0 for _, weight in items) or sum(weight for _, weight in items) <= 0:
        raise ValueError("persona_mix weights must be >= 0 with a positive sum")
    return items


@dataclass(frozen=True)
class BankConfig:
    """What to generate.

    Attributes
    ----------
    customers
        Customers ever served in the window (1 .. 99,999,999), including those who join during it
        and those who leave.
    months
        Months of history (1 .. 120), ending with the month of ``end_date``.
    seed
        Any non-negative integer. The same config gives the same tables, byte for byte.
    end_date
        Last day of the history; must be the last day of a month.
    persona_mix
        Persona name -> weight (normalised to shares); personas left out get no customers.
        A mapping is accepted and stored as a tuple of pairs.
    seasonality
        Calendar effects on card purchase timing (weekends, December, summer). With False the
        purchase process is exactly the planted BG/NBD in calendar time (for recovery tests).
    dirty
        Dirty-data switches, all off by default.
    block_customers
        Customers simulated from one random stream (block ``k`` holds customers
        ``k * block_customers + 1 ..`` and draws from ``SeedSequence(seed, spawn_key=(k, 0))``).
        Part of the definition of the output, like the seed: change it and the tables change.
        Large blocks keep numpy busy; 10,000 is a good size.
    chunk_customers
        Customers generated and written per chunk, rounded down to whole blocks (at least one).
        Bounds memory; does not change the output.
    currency
        ISO code written on every transaction.
    memory_limit
        DuckDB ``memory_limit`` while generating (restored afterwards), e.g. '1GB'; None leaves
        the connection's setting. DuckDB otherwise keeps every block it writes cached, up to 80%
        of RAM by default, and its memory grows with the size of the bank.
    """

    customers: int = 10_000
    months: int = 24
    seed: int = 42
    end_date: date = date(2025, 12, 31)
    persona_mix: Mix = DEFAULT_MIX
    seasonality: bool = True
    dirty: DirtyData = field(default_factory=DirtyData)
    block_customers: int = BLOCK_CUSTOMERS
    chunk_customers: int = 10_000
    currency: str = "EUR"
    memory_limit: str | None = "1GB"

    def __post_init__(self) -> None:
        object.__setattr__(self, "persona_mix", _as_mix(self.persona_mix))
        if not 1 <= self.customers <= MAX_CUSTOMERS:
            raise ValueError(f"customers must be 1 .. {MAX_CUSTOMERS:,}, got {self.customers}")
        if not 1 <= self.months <= MAX_MONTHS:
            raise ValueError(f"months must be 1 .. {MAX_MONTHS}, got {self.months}")
        if self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed}")
        last_day = calendar.monthrange(self.end_date.year, self.end_date.month)[1]
        if self.end_date.day != last_day:
            raise ValueError(
                f"end_date must be a month end, got {self.end_date}; "
                f"use {self.end_date.replace(day=last_day)}"
            )
        if not 1 <= self.block_customers <= 1_000_000:
            raise ValueError(f"block_customers must be 1 .. 1,000,000, got {self.block_customers}")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError(f"currency must be a 3-letter ISO code, got {self.currency!r}")
        if self.memory_limit is not None and not _MEMORY.match(self.memory_limit):
            raise ValueError(
                f"memory_limit must look like '1GB' or '512MiB', got {self.memory_limit!r}"
            )
        if self.chunk_customers <= 0:
            raise ValueError(f"chunk_customers must be positive, got {self.chunk_customers}")

    @property
    def blocks_per_chunk(self) -> int:
        return max(1, self.chunk_customers // self.block_customers)

    @property
    def load_id(self) -> str:
        """Names this dataset in raw.load_reconciliation, e.g. 'synthetic-seed42-c10000-m24'."""
        return f"synthetic-seed{self.seed}-c{self.customers}-m{self.months}"

    @property
    def shares(self) -> dict[str, float]:
        """Persona name -> share of customers (sums to 1)."""
        total = sum(weight for _, weight in self.persona_mix)
        return {name: weight / total for name, weight in self.persona_mix}
