"""One block of customers, simulated from its own random stream into table-shaped arrays.

Block ``k`` holds customers ``k * block_customers + 1 ..`` and draws from
``SeedSequence(seed, spawn_key=(k, 0))`` (damage from ``(k, 1)``), so a block's tables depend on
the seed and the block number only: never on the chunk size or on other blocks. Rows come out
in customer order, and transactions in customer and time order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from seeds_gen.generator.accounts import DEBT_PRODUCTS, draw_accounts
from seeds_gen.generator.config import BankConfig
from seeds_gen.generator.customers import NEVER, draw_customers
from seeds_gen.generator.dirty import damage
from seeds_gen.generator.events import EventBuffer, Events
from seeds_gen.generator.ledger import run_ledger
from seeds_gen.generator.personas import PersonaTable
from seeds_gen.generator.purchases import card_purchases
from seeds_gen.generator.timeline import DAY, Timeline
from seeds_gen.generator.transactions import book_exogenous

Columns = dict[str, np.ndarray]


@dataclass
class Block:
    """Table-shaped arrays of one block. Transaction ``seq`` numbers count from 0 in the block."""

    customers: Columns
    accounts: Columns
    transactions: Columns
    balances: Columns
    churn: Columns
    purchase_truth: Columns
    transactions_unique: int  # distinct seq numbers (rows before duplicates)
    late: Columns = field(default_factory=dict)
    damage_log: Columns = field(default_factory=dict)


def block_rng(seed: int, block: int, stream: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(block, stream)))


def simulate_block(
    config: BankConfig, timeline: Timeline, table: PersonaTable, shares: np.ndarray, block: int
) -> Block:
    """Simulate block number ``block`` of the bank described by ``config``."""
    first = block * config.block_customers + 1
    numbers = np.arange(first, min(first + config.block_customers, config.customers + 1))
    rng = block_rng(config.seed, block, 0)

    customers = draw_customers(rng, numbers, shares, timeline, table)
    accounts = draw_accounts(rng, customers, timeline, table)
    buffer = EventBuffer()
    truth = card_purchases(rng, customers, accounts, timeline, table, buffer)
    book_exogenous(rng, customers, accounts, timeline, table, buffer)
    ledger = run_ledger(rng, customers, accounts, timeline, table, buffer)
    events = _in_customer_time_order(buffer.events(), accounts.customer)

    day0 = timeline.start_epoch_day
    dip = (customers.stress_start_s < NEVER) & ~customers.leaving
    result = Block(
        customers={
            "number": customers.number,
            "birth_year": customers.birth_year,
            "gender": customers.gender,
            "region": customers.region,
            "income_cents": customers.income_cents,
            "occupation": customers.occupation,
            "joined_day": day0 + customers.joined_day,
            "credit_score": customers.credit_score,
            "persona": customers.persona,
        },
        accounts={
            "number": accounts.number,
            "customer": customers.number[accounts.customer],
            "product": accounts.product,
            "opened_day": day0 + accounts.open_s // DAY,
            "closed_day": np.where(ledger.close_s < NEVER, day0 + ledger.close_s // DAY, -1),
            "credit_limit_cents": accounts.credit_limit_cents,
            "rate_micro": accounts.rate_micro,
            "principal_cents": accounts.principal_cents,
        },
        transactions=_transaction_columns(events, accounts, customers.number),
        balances=_balance_rows(ledger, accounts, timeline),
        churn={
            "number": customers.number,
            "churn_day": np.where(customers.churn_s < NEVER, day0 + customers.churn_s // DAY, -1),
            "decline_day": np.where(
                customers.leaving, day0 + customers.stress_start_s // DAY, -1
            ),
            "kind": customers.churn_kind,
            "dip_start_day": np.where(dip, day0 + customers.stress_start_s // DAY, -1),
            "dip_end_day": np.where(dip, day0 + customers.stress_end_s // DAY, -1),
        },
        purchase_truth={
            "number": customers.number,
            "persona": customers.persona,
            "rate": truth.rate,
            "dropout": truth.dropout,
            "nu": truth.nu,
            "mean_spend": truth.mean_spend,
            "start_day": np.where(truth.start_s >= 0, day0 + truth.start_s // DAY, -1),
            "dropout_day": np.where(truth.dropout_s >= 0, day0 + truth.dropout_s // DAY, -1),
            "purchases": truth.purchases,
        },
        transactions_unique=len(events),
    )
    if config.dirty.enabled:
        dirty_rng = block_rng(config.seed, block, 1)
        result.transactions, result.late, result.damage_log = damage(
            dirty_rng, result.transactions, config.dirty, timeline.end_s
        )
    return result


def _in_customer_time_order(events: Events, owner: np.ndarray) -> Events:
    """Sort by customer, then time (stable); order references follow the purchases."""
    customer = owner[events.account]
    order = np.argsort((customer << 40) | events.time, kind="stable")
    sorted_events = events.take(order)
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    ref = sorted_events.order_ref
    sorted_events.order_ref = np.where(ref >= 0, position[np.maximum(ref, 0)], -1)
    return sorted_events


def _transaction_columns(events: Events, accounts, numbers: np.ndarray) -> Columns:
    return {
        "seq": np.arange(len(events), dtype=np.int64),
        "account": accounts.number[events.account],
        "customer": numbers[accounts.customer[events.account]],
        "time": events.time,
        "amount": events.amount,
        "amount_null": np.zeros(len(events), dtype=bool),
        "channel": events.channel,
        "category": events.category,
        "order_ref": events.order_ref,
    }


def _balance_rows(ledger, accounts, timeline: Timeline) -> Columns:
    """One row per account and month end where the account was open (row-major: account
    order, then month)."""
    account, column = np.nonzero(ledger.has_row)
    month_end = np.concatenate([[0], timeline.month_start_day[1:]]) - 1  # day before window: -1
    is_debt = np.isin(accounts.product[account], DEBT_PRODUCTS)
    return {
        "account": accounts.number[account],
        "month_end_day": timeline.start_epoch_day + month_end[column],
        "balance": ledger.balance[account, column],
        "days_past_due": np.where(is_debt, ledger.days_past_due[account, column], -1),
    }
