"""A small seeded raw bank for the dbt integration test of the segmentation.

Three personas with clearly different behaviour, plus customers without any transaction:

- ``saver``: checking + savings, large balances, few purchases, mostly at the branch;
- ``spender``: checking + credit card, many purchases (dining, travel) on mobile and online;
- ``borrower``: checking + mortgage, a salary, monthly loan payments, groceries by card;
- ``dormant``: a customer record and a checking account, no transaction.

It writes the raw contract (seeds_gen.contract) and the true persona to
``raw_truth.customer_personas``, so that a test can check the segments against the truth.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import numpy as np
import pandas as pd

from seeds_gen.contract import TRUTH_DDL, reset_raw_schema

PERSONAS = ("saver", "spender", "borrower", "dormant")
_START = dt.date(2023, 1, 1)
_MONTHS = 12


def write_raw_bank(path: str, customers: int = 300, seed: int = 7) -> pd.DataFrame:
    """Write the raw tables into the DuckDB file at ``path``; return customer_id and persona."""
    rng = np.random.default_rng(seed)
    ids = [f"c{i:05d}" for i in range(customers)]
    persona = np.array(PERSONAS)[rng.choice(4, size=customers, p=[0.3, 0.3, 0.3, 0.1])]
    people = pd.DataFrame({
        "customer_id": ids,
        "birth_year": rng.integers(1950, 2000, customers).astype("int32"),
        "gender": rng.choice(["f", "m"], customers),
        "region": rng.choice(["north", "south"], customers),
        "income_annual": np.round(rng.lognormal(10.5, 0.3, customers), 2),
        "occupation": "employee",
        "joined_date": pd.Timestamp(_START).date(),
        "credit_score": rng.integers(500, 850, customers).astype("int32"),
    })
    accounts = _accounts(ids, persona)
    transactions = _transactions(ids, persona, accounts, rng)
    balances = _balances(accounts, persona, rng)

    con = duckdb.connect(path)
    try:
        reset_raw_schema(con)
        con.execute("create schema if not exists raw_truth")
        con.execute(TRUTH_DDL)
        for table, frame in (
            ("customers", people),
            ("accounts", accounts),
            ("transactions", transactions),
            ("balances", balances),
        ):
            con.register("frame", frame)
            con.execute(f"insert into raw.{table} by name select * from frame")
            con.unregister("frame")
            con.execute(
                "insert into raw.load_reconciliation values (?, ?, ?, ?, ?, 0)",
                ["test", "synthetic", table, len(frame), len(frame)],
            )
        truth = pd.DataFrame({"customer_id": ids, "persona": persona})
        con.register("truth", truth)
        con.execute("insert into raw_truth.customer_personas select * from truth")
    finally:
        con.close()
    return pd.DataFrame({"customer_id": ids, "persona": persona})


def _accounts(ids: list[str], persona: np.ndarray) -> pd.DataFrame:
    second = {"saver": "savings", "spender": "credit_card", "borrower": "mortgage"}
    rows = []
    for customer, kind in zip(ids, persona, strict=True):
        rows.append((f"{customer}-chk", customer, "checking"))
        if kind in second:
            rows.append((f"{customer}-{second[kind]}", customer, second[kind]))
    frame = pd.DataFrame(rows, columns=["account_id", "customer_id", "product"])
    frame["opened_date"] = _START
    frame["credit_limit"] = np.where(frame["product"] == "credit_card", 5000.0, np.nan)
    frame["principal"] = np.where(frame["product"] == "mortgage", 250000.0, np.nan)
    return frame


def _transactions(
    ids: list[str], persona: np.ndarray, accounts: pd.DataFrame, rng: np.random.Generator
) -> pd.DataFrame:
    # (purchases per month, mean amount, categories, channels) per persona
    habits = {
        "saver": (2, 40.0, ["groceries", "other"], ["branch", "pos"]),
        "spender": (25, 90.0, ["dining", "travel", "other"], ["mobile", "online"]),
        "borrower": (10, 60.0, ["groceries", "fuel"], ["pos", "atm"]),
    }
    frames = []
    for customer, kind in zip(ids, persona, strict=True):
        if kind == "dormant":
            continue
        per_month, mean, categories, channels = habits[kind]
        n = per_month * _MONTHS
        days = rng.integers(0, 30 * _MONTHS, n)
        frame = pd.DataFrame({
            "customer_id": customer,
            "account_id": f"{customer}-chk",
            "booked_at": pd.Timestamp(_START) + pd.to_timedelta(days, unit="D"),
            "amount": -np.round(rng.gamma(4.0, mean / 4.0, n), 2),
            "currency": "EUR",
            "channel": rng.choice(channels, n),
            "category": rng.choice(categories, n),
        })
        if kind == "borrower":
            months = pd.date_range(_START, periods=_MONTHS, freq="MS")
            monthly = pd.DataFrame({
                "customer_id": customer,
                "account_id": f"{customer}-chk",
                "booked_at": np.concatenate([months, months + pd.Timedelta(days=1)]),
                "amount": np.concatenate([np.full(_MONTHS, 3200.0), np.full(_MONTHS, -1400.0)]),
                "currency": "EUR",
                "channel": "direct_debit",
                "category": ["salary"] * _MONTHS + ["loan_payment"] * _MONTHS,
            })
            frame = pd.concat([frame, monthly], ignore_index=True)
        frames.append(frame)
    transactions = pd.concat(frames, ignore_index=True)
    transactions.insert(0, "transaction_id", [f"t{i:08d}" for i in range(len(transactions))])
    return transactions


def _balances(
    accounts: pd.DataFrame, persona: np.ndarray, rng: np.random.Generator
) -> pd.DataFrame:
    level = {"saver": 60000.0, "spender": 1500.0, "borrower": 4000.0, "dormant": 300.0}
    kind_of = dict(zip(accounts["customer_id"].unique(), persona, strict=True))
    month_ends = pd.date_range(_START, periods=_MONTHS, freq="ME").date
    rows = []
    for account, customer, product in accounts[["account_id", "customer_id", "product"]].itertuples(
        index=False
    ):
        base = level[kind_of[customer]]
        if product == "mortgage":
            base = -250000.0
        elif product == "credit_card":
            base = -2500.0
        values = np.round(base * rng.lognormal(0.0, 0.1, _MONTHS), 2)
        rows.extend((account, month_end, value, 0) for month_end, value in zip(
            month_ends, values, strict=True))
    return pd.DataFrame(rows, columns=["account_id", "month_end_date", "balance", "days_past_due"])
