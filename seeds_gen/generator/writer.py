"""Blocks of numpy arrays -> Arrow tables -> DuckDB, one chunk at a time (never row by row).

Money travels as integer cents and becomes ``DECIMAL(18,2)`` without floating point: the Arrow
decimal buffer is built from the cents directly. Identifiers travel as integers and are formatted
by DuckDB: ``C000000042`` (customer), ``A0000000421`` (customer number * 10 + product code),
``T00000001234`` (transaction, numbered in customer and time order), ``O00000001234`` (the order
of an online purchase and its refund: O + the purchase's number). At most 12 characters, which
DuckDB stores inline. Codes travel as Arrow dictionaries.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa

from seeds_gen.contract import CHANNELS, PRODUCTS
from seeds_gen.generator.config import BankConfig
from seeds_gen.generator.customers import CHURN_NONE, GENDERS, REGIONS, occupation_names
from seeds_gen.generator.dirty import ALL_CATEGORIES, KINDS
from seeds_gen.generator.personas import PERSONA_NAMES, PersonaTable
from seeds_gen.generator.simulate import Block, Columns
from seeds_gen.generator.timeline import Timeline

RAW_COUNTED = ("customers", "accounts", "transactions", "balances")
CHURN_KINDS = ("none", "gradual", "abrupt")  # by code; "none" is written as NULL

# Target table and, per target column, the SQL expression over the Arrow columns. Inserted
# through a relation (never a registered view: inside a transaction DuckDB keeps every view's
# Arrow table alive until commit, so memory would grow with the bank).
_TARGETS: dict[str, tuple[str, dict[str, str]]] = {
    "customers": ("raw.customers", {
        "customer_id": "printf('C%09d', number)",
        "birth_year": "birth_year",
        "gender": "cast(gender as varchar)",
        "region": "cast(region as varchar)",
        "income_annual": "income_annual",
        "occupation": "cast(occupation as varchar)",
        "joined_date": "joined_date",
        "credit_score": "credit_score",
    }),
    "accounts": ("raw.accounts", {
        "account_id": "printf('A%010d', number)",
        "customer_id": "printf('C%09d', customer)",
        "product": "cast(product as varchar)",
        "opened_date": "opened_date",
        "closed_date": "closed_date",
        "credit_limit": "credit_limit",
        "interest_rate": "interest_rate",
        "principal": "principal",
    }),
    "transactions": ("raw.transactions", {
        "transaction_id": "printf('T%011d', txn)",
        "account_id": "printf('A%010d', account)",
        "customer_id": "printf('C%09d', customer)",
        "booked_at": "cast(booked_at as timestamp)",
        "amount": "amount",
        "currency": "{currency}",
        "channel": "cast(channel as varchar)",
        "category": "cast(category as varchar)",
        "order_id": "case when order_number is not null then printf('O%011d', order_number) end",
    }),
    "balances": ("raw.balances", {
        "account_id": "printf('A%010d', account)",
        "month_end_date": "month_end_date",
        "balance": "balance",
        "days_past_due": "days_past_due",
    }),
    "customer_personas": ("raw_truth.customer_personas", {
        "customer_id": "printf('C%09d', number)",
        "persona": "cast(persona as varchar)",
    }),
    "customer_churn": ("raw_truth.customer_churn", {
        "customer_id": "printf('C%09d', number)",
        "churn_date": "churn_date",
        "decline_start_date": "decline_start_date",
        "churn_kind": "cast(churn_kind as varchar)",
        "dip_start_date": "dip_start_date",
        "dip_end_date": "dip_end_date",
    }),
    "customer_purchase_process": ("raw_truth.customer_purchase_process", {
        "customer_id": "printf('C%09d', number)",
        "persona": "cast(persona as varchar)",
        "purchase_rate_per_day": "purchase_rate_per_day",
        "dropout_probability": "dropout_probability",
        "spend_nu": "spend_nu",
        "mean_spend": "mean_spend",
        "process_start_date": "process_start_date",
        "dropout_date": "dropout_date",
        "planted_purchases": "planted_purchases",
    }),
    "dirty_transactions": ("raw_truth.dirty_transactions", {
        "transaction_id": "printf('T%011d', txn)",
        "kind": "cast(kind as varchar)",
    }),
}


# --- Arrow builders ----------------------------------------------------------------------


def _validity(null: np.ndarray | None) -> tuple[pa.Buffer | None, int]:
    if null is None or not null.any():
        return None, 0
    return pa.py_buffer(np.packbits(~null, bitorder="little")), int(null.sum())


def decimal_array(units: np.ndarray, precision: int, scale: int, null=None) -> pa.Array:
    """Arrow decimal128 from integer units of 10**-scale (cents for scale 2), exactly."""
    units = np.asarray(units, dtype=np.int64)
    words = np.empty((len(units), 2), dtype=np.int64)
    words[:, 0] = units
    words[:, 1] = units >> 63  # sign extension to 128 bits (little endian)
    validity, nulls = _validity(null)
    return pa.Array.from_buffers(
        pa.decimal128(precision, scale), len(units), [validity, pa.py_buffer(words)], nulls
    )


def _fixed(kind: pa.DataType, values: np.ndarray, dtype, null=None) -> pa.Array:
    values = np.ascontiguousarray(values, dtype=dtype)
    validity, nulls = _validity(null)
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)], nulls)


def date_array(epoch_days: np.ndarray, null=None) -> pa.Array:
    return _fixed(pa.date32(), epoch_days, np.int32, null)


def codes_array(codes: np.ndarray, names: tuple, null=None) -> pa.Array:
    indices = _fixed(pa.int8(), codes, np.int8, null)
    return pa.DictionaryArray.from_arrays(indices, pa.array(names, type=pa.string()))


def int_array(values: np.ndarray, dtype=np.int64, null=None) -> pa.Array:
    kind = pa.int32() if dtype == np.int32 else pa.int64()
    return _fixed(kind, values, dtype, null)


# --- the writer --------------------------------------------------------------------------


class RawWriter:
    """Writes blocks into raw.* and raw_truth.*, counts rows, and numbers transactions."""

    def __init__(self, con: duckdb.DuckDBPyConnection, config: BankConfig,
                 timeline: Timeline) -> None:
        self.con, self.config, self.timeline = con, config, timeline
        self.counts = dict.fromkeys(RAW_COUNTED, 0) | {
            "customer_personas": 0, "customer_churn": 0, "customer_purchase_process": 0,
            "dirty_transactions": 0,
        }
        self.next_transaction = 0
        self.late: list[pa.Table] = []
        self.occupations = occupation_names(PersonaTable())
        self._projections: dict[str, str] = {}

    def insert(self, name: str, table: pa.Table) -> None:
        """Insert an Arrow table into its target, columns in the target's order."""
        target, expressions = _TARGETS[name]
        if target not in self._projections:
            schema, table_name = target.split(".")
            columns = [row[0] for row in self.con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position",
                [schema, table_name],
            ).fetchall()]
            currency = f"'{self.config.currency}'"
            self._projections[target] = ", ".join(
                expressions[column].format(currency=currency) for column in columns
            )
        self.con.from_arrow(table).project(self._projections[target]).insert_into(target)
        self.counts[name] += table.num_rows

    def write_chunk(self, blocks: list[Block]) -> None:
        """Insert one chunk (consecutive blocks) into every table, in customer order."""
        customers = _concat([b.customers for b in blocks])
        self.insert("customers", self._customers(customers))
        self.insert("customer_personas", pa.table({
            "number": int_array(customers["number"]),
            "persona": codes_array(customers["persona"], PERSONA_NAMES),
        }))
        self.insert("accounts", self._accounts(_concat([b.accounts for b in blocks])))

        numbered, late, damaged = [], [], []
        for block in blocks:
            offset = self.next_transaction
            numbered.append(_numbered(block.transactions, offset))
            if block.late:
                late.append(_numbered(block.late, offset))
            if block.damage_log:
                damaged.append({"txn": block.damage_log["seq"] + offset,
                                "kind": block.damage_log["kind"]})
            self.next_transaction += block.transactions_unique
        self.insert("transactions", self._transactions(_concat(numbered)))
        if late:
            self.late.append(self._transactions(_concat(late)))
        if damaged:
            log = _concat(damaged)
            self.insert("dirty_transactions", pa.table({
                "txn": int_array(log["txn"]), "kind": codes_array(log["kind"], KINDS)}))

        self.insert("balances", self._balances(_concat([b.balances for b in blocks])))
        self.insert("customer_churn", self._churn(_concat([b.churn for b in blocks])))
        self.insert("customer_purchase_process",
                    self._purchase_truth(_concat([b.purchase_truth for b in blocks])))

    def write_late(self) -> None:
        """Rows delivered late (dirty switch): after every other row of the load."""
        for table in self.late:
            self.insert("transactions", table)
        self.late = []

    # --- table builders --------------------------------------------------------------------

    def _customers(self, c: Columns) -> pa.Table:
        return pa.table({
            "number": int_array(c["number"]),
            "birth_year": int_array(c["birth_year"], np.int32),
            "gender": codes_array(c["gender"], GENDERS),
            "region": codes_array(c["region"], REGIONS),
            "income_annual": decimal_array(c["income_cents"], 18, 2, c["income_cents"] < 0),
            "occupation": codes_array(c["occupation"], self.occupations),
            "joined_date": date_array(c["joined_day"]),
            "credit_score": int_array(c["credit_score"], np.int32),
        })

    def _accounts(self, a: Columns) -> pa.Table:
        return pa.table({
            "number": int_array(a["number"]),
            "customer": int_array(a["customer"]),
            "product": codes_array(a["product"], PRODUCTS),
            "opened_date": date_array(a["opened_day"]),
            "closed_date": date_array(a["closed_day"], a["closed_day"] < 0),
            "credit_limit": decimal_array(a["credit_limit_cents"], 18, 2,
                                          a["credit_limit_cents"] < 0),
            "interest_rate": decimal_array(a["rate_micro"], 9, 6, a["rate_micro"] < 0),
            "principal": decimal_array(a["principal_cents"], 18, 2, a["principal_cents"] < 0),
        })

    def _transactions(self, t: Columns) -> pa.Table:
        epoch = self.timeline.start_epoch_s + t["time"]
        return pa.table({
            "txn": int_array(t["txn"]),
            "account": int_array(t["account"]),
            "customer": int_array(t["customer"]),
            "booked_at": _fixed(pa.timestamp("s"), epoch, np.int64),
            "amount": decimal_array(t["amount"], 18, 2, t["amount_null"]),
            "channel": codes_array(t["channel"], CHANNELS, t["channel"] < 0),
            "category": codes_array(t["category"], ALL_CATEGORIES),
            "order_number": int_array(t["order_number"], null=t["order_number"] < 0),
        })

    def _balances(self, b: Columns) -> pa.Table:
        return pa.table({
            "account": int_array(b["account"]),
            "month_end_date": date_array(b["month_end_day"]),
            "balance": decimal_array(b["balance"], 18, 2),
            "days_past_due": int_array(b["days_past_due"], np.int32, b["days_past_due"] < 0),
        })

    def _churn(self, c: Columns) -> pa.Table:
        return pa.table({
            "number": int_array(c["number"]),
            "churn_date": date_array(c["churn_day"], c["churn_day"] < 0),
            "decline_start_date": date_array(c["decline_day"], c["decline_day"] < 0),
            "churn_kind": codes_array(c["kind"], CHURN_KINDS, c["kind"] == CHURN_NONE),
            "dip_start_date": date_array(c["dip_start_day"], c["dip_start_day"] < 0),
            "dip_end_date": date_array(c["dip_end_day"], c["dip_end_day"] < 0),
        })

    def _purchase_truth(self, p: Columns) -> pa.Table:
        return pa.table({
            "number": int_array(p["number"]),
            "persona": codes_array(p["persona"], PERSONA_NAMES),
            "purchase_rate_per_day": pa.array(p["rate"]),
            "dropout_probability": pa.array(p["dropout"]),
            "spend_nu": pa.array(p["nu"]),
            "mean_spend": pa.array(p["mean_spend"]),
            "process_start_date": date_array(p["start_day"], p["start_day"] < 0),
            "dropout_date": date_array(p["dropout_day"], p["dropout_day"] < 0),
            "planted_purchases": int_array(p["purchases"], np.int32),
        })


def _numbered(t: Columns, offset: int) -> Columns:
    """Global transaction numbers; an order is numbered after its purchase."""
    out = dict(t)
    out["txn"] = t["seq"] + offset
    out["order_number"] = np.where(t["order_ref"] >= 0, t["order_ref"] + offset, -1)
    return out


def _concat(parts: list[Columns]) -> Columns:
    if len(parts) == 1:
        return parts[0]
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}
