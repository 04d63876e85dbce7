"""The raw contract: the tables (schema ``raw``) that the dbt pipeline reads.

Synthetic and real data enter the warehouse the same way: every writer calls
:func:`create_raw_schema` first, so all raw tables exist with these exact types even when an
input supplies only some of them (the marts then leave what is missing empty, and say so).

Money is ``DECIMAL(18,2)``; timestamps are UTC ``TIMESTAMP``; keys are ``VARCHAR`` so that any
bank's identifiers fit. ``raw.quarantine`` keeps rows that were valid in shape but unusable, with a
reason, and ``raw.load_reconciliation`` records rows read = rows loaded + rows quarantined for every
table of every load.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

MONEY = "DECIMAL(18,2)"

PRODUCTS = (
    "checking",
    "savings",
    "term_deposit",
    "credit_card",
    "personal_loan",
    "mortgage",
    "investment",
)
CHANNELS = ("branch", "atm", "online", "mobile", "pos", "direct_debit", "transfer")
CATEGORIES = (
    "salary",
    "groceries",
    "dining",
    "travel",
    "fuel",
    "utilities",
    "rent",
    "cash",
    "fee",
    "interest",
    "loan_payment",
    "refund",
    "transfer",
    "other",
)


@dataclass(frozen=True)
class RawTable:
    """One table of the raw contract: its name, ordered columns and key."""

    name: str
    columns: dict[str, str]
    key: tuple[str, ...]
    required: tuple[str, ...]

    def ddl(self, schema: str = "raw") -> str:
        cols = ",\n    ".join(f"{name} {sql_type}" for name, sql_type in self.columns.items())
        return f"create table if not exists {schema}.{self.name} (\n    {cols}\n)"


CUSTOMERS = RawTable(
    name="customers",
    columns={
        "customer_id": "VARCHAR",
        "birth_year": "INTEGER",
        "gender": "VARCHAR",
        "region": "VARCHAR",
        "income_annual": MONEY,
        "occupation": "VARCHAR",
        "joined_date": "DATE",
        "credit_score": "INTEGER",
    },
    key=("customer_id",),
    required=("customer_id",),
)

ACCOUNTS = RawTable(
    name="accounts",
    columns={
        "account_id": "VARCHAR",
        "customer_id": "VARCHAR",
        "product": "VARCHAR",
        "opened_date": "DATE",
        "closed_date": "DATE",
        "credit_limit": MONEY,
        "interest_rate": "DECIMAL(9,6)",
        "principal": MONEY,
    },
    key=("account_id",),
    required=("account_id", "customer_id", "product"),
)

# order_id is an optional extension of the contract: it groups the lines of one order (an
# invoice in a retail log) so that the order count can be shown beside purchase occasions.
TRANSACTIONS = RawTable(
    name="transactions",
    columns={
        "transaction_id": "VARCHAR",
        "account_id": "VARCHAR",
        "customer_id": "VARCHAR",
        "booked_at": "TIMESTAMP",
        "amount": MONEY,
        "currency": "VARCHAR",
        "channel": "VARCHAR",
        "category": "VARCHAR",
        "order_id": "VARCHAR",
    },
    key=("transaction_id",),
    required=("transaction_id", "customer_id", "booked_at", "amount"),
)

BALANCES = RawTable(
    name="balances",
    columns={
        "account_id": "VARCHAR",
        "month_end_date": "DATE",
        "balance": MONEY,
        "days_past_due": "INTEGER",
    },
    key=("account_id", "month_end_date"),
    required=("account_id", "month_end_date", "balance"),
)

RAW_TABLES: dict[str, RawTable] = {
    table.name: table for table in (CUSTOMERS, ACCOUNTS, TRANSACTIONS, BALANCES)
}

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
    load_id VARCHAR,        -- the load that read the row
    source_file VARCHAR,    -- file name (no directory), or 'synthetic'
    source_row BIGINT,      -- 1-based data row number in the file (header not counted)
    target_table VARCHAR,   -- raw table the row was meant for
    reason VARCHAR,         -- why it was not loaded, in words
    record VARCHAR          -- the source row as JSON text, unchanged
)
"""

LOAD_RECONCILIATION_DDL = """
create table if not exists raw.load_reconciliation (
    load_id VARCHAR,
    source_file VARCHAR,
    target_table VARCHAR,
    rows_read BIGINT,
    rows_loaded BIGINT,
    rows_quarantined BIGINT
)
"""

TRUTH_DDL = """
create table if not exists raw_truth.customer_personas (
    customer_id VARCHAR,
    persona VARCHAR
)
"""


def create_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema ``raw`` with every contract table (empty where absent) and the load tables."""
    con.execute("create schema if not exists raw")
    for table in RAW_TABLES.values():
        con.execute(table.ddl())
    con.execute(QUARANTINE_DDL)
    con.execute(LOAD_RECONCILIATION_DDL)


def reset_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Drop and recreate ``raw`` and ``raw_truth`` so that a new load replaces the previous one.

    A warehouse holds one dataset at a time: loading the same file twice does not double it.
    """
    con.execute("drop schema if exists raw cascade")
    con.execute("drop schema if exists raw_truth cascade")
    create_raw_schema(con)
