"""Accounts of one block: which products each customer holds, since when, on what terms.

Every customer has one checking account, opened on the joining date; other products follow the
persona's holding probabilities. A customer holds at most one account per product, so the
account number is ``customer number * 10 + product code`` whatever the chunking. Accounts that
existed before the window get a balance at the window start (the month end before the first
month), which is written to raw.balances as their first row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seeds_gen.contract import PRODUCTS
from seeds_gen.generator.customers import DAYS_PER_MONTH, NEVER, Customers
from seeds_gen.generator.personas import PersonaTable
from seeds_gen.generator.timeline import DAY, Timeline

CHK, SAV, TD, CC, PL, MTG, INV = range(len(PRODUCTS))
DEBT_PRODUCTS = (CC, PL, MTG)
PRE_EXISTING_PRODUCT_SHARE = 0.85  # of a pre-existing customer's products, held before the window
OPENED_AT_JOIN_SHARE = 0.6  # of a new customer's products, opened on the joining date


@dataclass
class Accounts:
    """One row per account (arrays of equal length), sorted by customer then product."""

    customer: np.ndarray  # int64 local customer index
    product: np.ndarray  # int64 code into PRODUCTS
    number: np.ndarray  # int64 global account number
    open_s: np.ndarray  # int64 seconds (midnight of the opening day; negative: before the window)
    close_s: np.ndarray  # int64 seconds; NEVER = open at the end
    opening_cents: np.ndarray  # balance at the window start (pre-existing accounts; else 0)
    credit_limit_cents: np.ndarray  # -1 = NULL
    rate_micro: np.ndarray  # annual interest rate in millionths; -1 = NULL
    principal_cents: np.ndarray  # -1 = NULL
    instalment_cents: np.ndarray  # monthly annuity of loans; 0 otherwise
    due_day: np.ndarray  # day of month of loan instalments and card repayments
    of: np.ndarray  # (customers, products) account index, -1 = not held
    renter: np.ndarray  # (customers,) bool: pays rent

    def __len__(self) -> int:
        return len(self.customer)

    @property
    def pre_existing(self) -> np.ndarray:
        return self.open_s < 0


def draw_accounts(
    rng: np.random.Generator, customers: Customers, timeline: Timeline, table: PersonaTable
) -> Accounts:
    """Draw the accounts of ``customers``."""
    n, k = len(customers), len(PRODUCTS)
    persona = customers.persona
    holds = rng.random((n, k)) < table.col("products")[persona]
    holds[:, CHK] = True

    open_day = _draw_open_days(rng, customers, timeline, (n, k))
    end_of_life = np.minimum(customers.churn_s, timeline.end_s)
    holds &= open_day * DAY < end_of_life[:, None]
    customer, product = np.nonzero(holds)  # row-major: sorted by customer, then product
    of = np.full((n, k), -1, dtype=np.int64)
    of[customer, product] = np.arange(len(customer))

    terms = _draw_terms(rng, customers, customer, product, table)
    term = terms.pop("term")
    open_s = open_day[customer, product] * DAY
    # Loans opened before the window are younger than their term.
    oldest = -np.floor((term - 1) * DAYS_PER_MONTH).astype(np.int64) * DAY
    open_s = np.where(np.isin(product, (PL, MTG)), np.maximum(open_s, oldest), open_s)
    churn = customers.churn_s[customer]
    opening = _draw_opening_balances(rng, customers, customer, product, open_s, terms, table)
    renter = (of[:, MTG] < 0) & (rng.random(n) < table.col("renter_prob")[persona])
    return Accounts(
        customer=customer.astype(np.int64),
        product=product.astype(np.int64),
        number=customers.number[customer] * 10 + product,
        open_s=open_s.astype(np.int64),
        close_s=np.where(churn < timeline.end_s, churn, NEVER).astype(np.int64),
        opening_cents=opening,
        of=of,
        renter=renter,
        **terms,
    )


def _draw_open_days(
    rng: np.random.Generator, customers: Customers, timeline: Timeline, shape: tuple[int, int]
) -> np.ndarray:
    joined = customers.joined_day[:, None]
    pre = joined < 0
    before = joined + np.floor(rng.random(shape) * (-joined)).astype(np.int64)
    later_from = np.maximum(joined, 0)
    during = later_from + np.floor(rng.random(shape) * (timeline.n_days - later_from)).astype(
        np.int64
    )
    u = rng.random(shape)
    day = np.where(
        pre,
        np.where(u < PRE_EXISTING_PRODUCT_SHARE, before, during),
        np.where(u < OPENED_AT_JOIN_SHARE, joined, during),
    )
    day[:, CHK] = customers.joined_day
    return day


def _draw_terms(
    rng: np.random.Generator,
    customers: Customers,
    customer: np.ndarray,
    product: np.ndarray,
    table: PersonaTable,
) -> dict[str, np.ndarray]:
    """Limits, rates, principals, instalments and due days, by product."""
    m = len(customer)
    persona = customers.persona[customer]
    u = rng.random(m)
    limit = np.full(m, -1, dtype=np.int64)
    overdraft = table.col("overdraft_limit")[persona] * (0.5 + u)
    limit = np.where(product == CHK, np.round(overdraft / 100) * 10_000, limit)
    card = table.col("credit_limit")[persona] * np.exp(0.4 * rng.standard_normal(m))
    limit = np.where(product == CC, np.round(card / 100) * 10_000, limit)

    rate = np.select(
        [product == CHK, product == SAV, product == TD, product == CC, product == PL,
         product == MTG],
        [0.0, 0.010 + 0.015 * u, 0.025 + 0.010 * u, 0.17 + 0.06 * u, 0.06 + 0.06 * u,
         0.025 + 0.02 * u],
        default=-1e-6,
    )
    income = np.maximum(customers.net_monthly[customer] * 12 / 0.7, 10_000)
    loan = 10_000 * np.exp(0.5 * rng.standard_normal(m))
    mortgage = income * (3 + 2 * rng.random(m))
    deposit = table.col("deposit_median")[persona] * np.exp(0.5 * rng.standard_normal(m))
    principal = np.select(
        [product == PL, product == MTG, product == TD],
        [np.round(loan / 100) * 10_000, np.round(mortgage / 1000) * 100_000,
         np.round(deposit / 1000) * 100_000],
        default=-1,
    ).astype(np.int64)
    term = np.where(product == MTG, rng.integers(240, 361, m), rng.integers(36, 85, m))
    return {
        "credit_limit_cents": limit.astype(np.int64),
        "rate_micro": np.round(rate * 1e6).astype(np.int64),
        "principal_cents": principal,
        "instalment_cents": _instalment(principal, rate, term, product),
        "due_day": np.where(product == CC, rng.integers(15, 26, m), rng.integers(1, 11, m)),
        "term": term,
    }


def _instalment(principal, rate, term, product) -> np.ndarray:
    monthly = np.maximum(rate, 1e-9) / 12
    annuity = principal * monthly / (1 - (1 + monthly) ** (-term.astype(np.float64)))
    return np.where(np.isin(product, (PL, MTG)), np.round(annuity), 0).astype(np.int64)


def _draw_opening_balances(
    rng: np.random.Generator,
    customers: Customers,
    customer: np.ndarray,
    product: np.ndarray,
    open_s: np.ndarray,
    terms: dict[str, np.ndarray],
    table: PersonaTable,
) -> np.ndarray:
    """Balance at the window start of accounts opened before it (cents; debts negative)."""
    m = len(customer)
    persona = customers.persona[customer]
    spread = np.exp(0.8 * rng.standard_normal(m))
    net = customers.net_monthly[customer]
    checking = net * table.col("buffer_months")[persona] * (0.5 + rng.random(m))
    utilisation = rng.beta(
        table.col("card_utilisation")[persona, 0], table.col("card_utilisation")[persona, 1]
    )
    # Loans: the annuity balance after the months already paid (always fewer than the term).
    paid = np.floor(-open_s / DAY / DAYS_PER_MONTH)
    monthly = np.maximum(terms["rate_micro"] / 1e6, 1e-9) / 12
    grown = (1 + monthly) ** np.maximum(paid, 0)
    principal, instalment = terms["principal_cents"], terms["instalment_cents"]
    outstanding = principal * grown - instalment * (grown - 1) / monthly
    balance = np.select(
        [product == CHK, product == SAV, product == TD, product == CC,
         np.isin(product, (PL, MTG)), product == INV],
        [checking * 100, table.col("savings_median")[persona] * spread * 100,
         terms["principal_cents"], -utilisation * terms["credit_limit_cents"],
         -np.maximum(outstanding, 0), table.col("investment_median")[persona] * spread * 100],
    )
    return np.where(open_s < 0, np.round(balance), 0).astype(np.int64)
