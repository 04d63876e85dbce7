"""Dirty-data switches: damage a share of a block's transactions on purpose (off by default).

Damage is drawn from its own random stream, so the clean rows of a dirty bank are the rows of
the clean bank with the same seed. See config.DirtyData for what each switch does.
"""

from __future__ import annotations

import numpy as np

from seeds_gen.contract import CATEGORIES
from seeds_gen.generator.config import DirtyData
from seeds_gen.generator.timeline import DAY

DIRTY_CATEGORIES = ("crypto", "gambling", "UNKNOWN")  # outside the contract on purpose
ALL_CATEGORIES = CATEGORIES + DIRTY_CATEGORIES
KINDS = ("duplicate", "late_arrival", "null_amount", "future_dated", "unknown_category")


def damage(
    rng: np.random.Generator, rows: dict[str, np.ndarray], dirty: DirtyData, end_s: int
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Damage transaction ``rows`` (columns of equal length, with ``seq`` numbering them).

    Returns the rows to write in place, the rows delivered late, and the damage log
    (``seq`` and ``kind`` code into KINDS).
    """
    n = len(rows["seq"])
    rows = {name: column.copy() for name, column in rows.items()}
    log_seq, log_kind = [], []

    def pick(rate: float, kind: str) -> np.ndarray:
        chosen = np.flatnonzero(rng.random(n) < rate)
        log_seq.append(rows["seq"][chosen])
        log_kind.append(np.full(len(chosen), KINDS.index(kind), dtype=np.int8))
        return chosen

    rows["amount_null"][pick(dirty.null_amount_rate, "null_amount")] = True
    future = pick(dirty.future_dated_rate, "future_dated")
    rows["time"][future] = end_s + rng.integers(DAY, 91 * DAY, len(future))
    unknown = pick(dirty.unknown_category_rate, "unknown_category")
    rows["category"][unknown] = len(CATEGORIES) + rng.integers(0, len(DIRTY_CATEGORIES),
                                                               len(unknown))
    copies = np.ones(n, dtype=np.int64)
    copies[pick(dirty.duplicate_rate, "duplicate")] = 2
    rows = {name: np.repeat(column, copies) for name, column in rows.items()}

    late_mask = rng.random(len(rows["seq"])) < dirty.late_arrival_rate
    log_seq.append(rows["seq"][late_mask])
    log_kind.append(np.full(late_mask.sum(), KINDS.index("late_arrival"), dtype=np.int8))
    late = {name: column[late_mask] for name, column in rows.items()}
    kept = {name: column[~late_mask] for name, column in rows.items()}
    log = {"seq": np.concatenate(log_seq), "kind": np.concatenate(log_kind)}
    return kept, late, log
