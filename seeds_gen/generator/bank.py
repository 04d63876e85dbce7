"""Generate a synthetic bank into a DuckDB warehouse: the one entry point of the generator."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import duckdb
import numpy as np

from seeds_gen.contract import reset_raw_schema
from seeds_gen.generator.config import BankConfig
from seeds_gen.generator.personas import PERSONA_NAMES, PersonaTable
from seeds_gen.generator.simulate import Block, simulate_block
from seeds_gen.generator.timeline import Timeline, build_timeline
from seeds_gen.generator.truth import create_truth_schema, planted_parameter_rows, setting_rows
from seeds_gen.generator.writer import RAW_COUNTED, RawWriter

logger = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def persona_shares(config: BankConfig) -> np.ndarray:
    """Shares by persona code (position in PERSONAS); personas not in the mix get 0."""
    shares = config.shares
    return np.array([shares.get(name, 0.0) for name in PERSONA_NAMES])


def iter_chunks(config: BankConfig, timeline: Timeline | None = None) -> Iterator[list[Block]]:
    """Simulate the bank chunk by chunk (lists of consecutive blocks), without writing it.

    The next chunk is simulated in a worker thread while the caller consumes the current one,
    so at most two chunks are in memory.
    """
    timeline = timeline or build_timeline(config.end_date, config.months, config.seasonality)
    table, shares = PersonaTable(), persona_shares(config)
    n_blocks = -(-config.customers // config.block_customers)
    per_chunk = config.blocks_per_chunk

    def chunk(first: int) -> list[Block]:
        last = min(first + per_chunk, n_blocks)
        return [simulate_block(config, timeline, table, shares, b) for b in range(first, last)]

    starts = range(0, n_blocks, per_chunk)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="finseg-generator") as pool:
        pending = pool.submit(chunk, starts[0])
        for next_start in [*starts[1:], None]:
            blocks = pending.result()
            if next_start is not None:
                pending = pool.submit(chunk, next_start)
            yield blocks


def write_synthetic_bank(
    con: duckdb.DuckDBPyConnection,
    config: BankConfig | None = None,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Replace the warehouse's raw data with a synthetic bank.

    Resets ``raw`` and ``raw_truth`` (seeds_gen.contract.reset_raw_schema), then fills
    raw.customers, raw.accounts, raw.transactions and raw.balances chunk by chunk in customer
    (and time) order, writes the ground truth (see seeds_gen.generator.truth) and one
    raw.load_reconciliation row per raw table. Everything happens in one transaction: a failure
    leaves the previous dataset in place. DuckDB's ``memory_limit`` is set to
    ``config.memory_limit`` meanwhile and restored afterwards.

    Parameters
    ----------
    con
        An open, writable DuckDB connection with no transaction in progress.
    config
        What to generate; ``BankConfig()`` (10,000 customers, 24 months, seed 42) by default.
    progress
        Called as ``progress(customers_done, customers_total)`` after every chunk. It may query
        ``con`` (inside the open transaction) but must fetch what it executes.

    Returns
    -------
    dict
        Table name -> rows written: customers, accounts, transactions, balances,
        customer_personas, customer_churn, customer_purchase_process, dirty_transactions.
    """
    config = config or BankConfig()
    timeline = build_timeline(config.end_date, config.months, config.seasonality)
    started = time.perf_counter()
    with _memory_limit(con, config.memory_limit):
        counts = _write_all(con, config, timeline, progress)
    logger.info(
        "synthetic bank %s: %s in %.1f s", config.load_id,
        ", ".join(f"{name} {rows:,}" for name, rows in counts.items()),
        time.perf_counter() - started,
    )
    return counts


@contextmanager
def _memory_limit(con: duckdb.DuckDBPyConnection, limit: str | None) -> Iterator[None]:
    """Bound DuckDB's buffer pool while generating; restore the previous limit afterwards."""
    if limit is None:
        yield
        return
    previous = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    con.execute(f"set memory_limit = '{limit}'")  # format checked by BankConfig
    try:
        yield
    finally:
        con.execute(f"set memory_limit = '{previous}'")


def _write_all(con, config: BankConfig, timeline: Timeline, progress: Progress | None) -> dict:
    con.begin()
    try:
        reset_raw_schema(con)
        create_truth_schema(con)
        writer = RawWriter(con, config, timeline)
        done = 0
        for blocks in iter_chunks(config, timeline):
            writer.write_chunk(blocks)
            done += sum(len(block.customers["number"]) for block in blocks)
            if progress is not None:
                progress(done, config.customers)
        writer.write_late()
        _write_metadata(con, config, timeline, writer.counts)
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return dict(writer.counts)


def _write_metadata(con, config: BankConfig, timeline: Timeline, counts: dict[str, int]) -> None:
    con.executemany(
        "insert into raw_truth.planted_parameters values (?, ?, ?, ?, ?)",
        planted_parameter_rows(config),
    )
    con.executemany(
        "insert into raw_truth.generator_settings values (?, ?)", setting_rows(config, timeline)
    )
    # The generator quarantines nothing: dirty rows reach raw.transactions on purpose.
    con.executemany(
        "insert into raw.load_reconciliation values (?, 'synthetic', ?, ?, ?, 0)",
        [(config.load_id, name, counts[name], counts[name]) for name in RAW_COUNTED],
    )
