"""dbt build of the customer marts on a tiny hand-made raw warehouse.

Every value asserted here was computed by hand from the rows below (the comments show the
arithmetic). Each build gets its own warehouse, target and log folder under tmp_path, so these
tests run beside other dbt tests.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from seeds_gen.contract import create_raw_schema

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
SELECTION = [
    "source:raw",
    "path:dbt_project/models/staging",
    "path:dbt_project/models/intermediate",
    "path:dbt_project/models/marts/customers",
    "rfm_segment_map",
]
AS_OF = dt.date(2024, 6, 30)

# raw.customers: customer_id, birth_year, gender, region, income_annual, occupation,
# joined_date, credit_score. C5 and C6 are not here: C6 appears only in transactions.
CUSTOMERS = [
    ("C1", 1980, "f", "north", "50000.00", "engineer", "2020-01-01", 700),
    ("C2", 1990, "m", "south", "30000.00", "teacher", "2021-06-30", 650),
    ("C3", 1975, "f", "east", None, None, "2019-03-15", None),
    ("C4", 2000, "m", "west", "20000.00", "student", "2024-01-01", 600),
    ("C7", 1985, "f", "north", "40000.00", "nurse", "2022-01-01", 720),
]

# raw.accounts: account_id, customer_id, product, opened_date, closed_date, credit_limit,
# interest_rate, principal. The mortgage of C2 closed before as_of_date: not held.
ACCOUNTS = [
    ("A1", "C1", "checking", "2020-01-01", None, None, "0.001000", None),
    ("A1C", "C1", "credit_card", "2020-01-01", None, "1000.00", "0.190000", None),
    ("A2", "C2", "savings", "2021-06-30", None, None, "0.020000", None),
    ("A2M", "C2", "mortgage", "2010-01-01", "2024-01-31", None, "0.030000", "200000.00"),
    ("A3", "C3", "checking", "2019-03-15", None, None, "0.001000", None),
]

# raw.balances: account_id, month_end_date, balance, days_past_due. The December balance of
# A1 lies outside the 6 month ends up to 2024-06-30.
BALANCES = [
    ("A1", "2023-12-31", "50.00", None),
    ("A1", "2024-01-31", "100.00", None),
    ("A1", "2024-02-29", "200.00", None),
    ("A1", "2024-03-31", "300.00", None),
    ("A1", "2024-04-30", "400.00", None),
    ("A1", "2024-05-31", "500.00", None),
    ("A1", "2024-06-30", "600.00", None),
    ("A1C", "2024-05-31", "-250.00", 0),
    ("A1C", "2024-06-30", "-250.00", 5),
    ("A2", "2024-06-30", "1000.00", None),
]

# raw.transactions: transaction_id, account_id, customer_id, booked_at, amount, currency,
# channel, category, order_id.
TRANSACTIONS = [
    # C1: two purchase days in June (two lines on the 30th, one order of two lines on the
    # 20th), a refund, a salary, a fee, and a purchase outside the 365-day window.
    ("T01", "A1C", "C1", "2024-06-30 10:00", "-10.00", "EUR", "pos", "groceries", None),
    ("T02", "A1C", "C1", "2024-06-30 12:00", "-5.00", "EUR", "mobile", "dining", None),
    ("T03", "A1C", "C1", "2024-06-20 09:00", "-100.00", "EUR", "online", "travel", "O1"),
    ("T04", "A1C", "C1", "2024-06-20 09:05", "-50.00", "EUR", "online", "travel", "O1"),
    ("T05", "A1C", "C1", "2024-06-25 08:00", "20.00", "EUR", "online", "refund", None),
    ("T06", "A1", "C1", "2024-06-01 07:00", "2000.00", "EUR", "transfer", "salary", None),
    ("T07", "A1", "C1", "2024-06-02 07:00", "-3.00", "EUR", "branch", "fee", None),
    ("T08", "A1C", "C1", "2023-01-15 15:00", "-7.00", "EUR", "pos", "groceries", None),
    # C2: T10 carries no customer_id (resolved through A2); T11 is delivered twice.
    ("T10", "A2", None, "2024-05-31 18:00", "-40.00", "EUR", "pos", "groceries", None),
    ("T11", "A2", "C2", "2024-04-30 18:00", "-60.00", "EUR", "pos", "fuel", None),
    ("T11", "A2", "C2", "2024-04-30 18:00", "-60.00", "EUR", "pos", "fuel", None),
    # C3: ten payments of 0.10 on ten days.
    *[
        (
            f"T2{day - 1}",
            "A3",
            "C3",
            f"2024-01-{day:02d} 12:00",
            "-0.10",
            "EUR",
            "pos",
            "groceries",
            None,
        )
        for day in range(1, 11)
    ],
    # C6 (only in transactions): a purchase and a larger refund; C7: a refund only.
    ("T30", None, "C6", "2024-06-15 11:00", "-25.00", "EUR", "online", "dining", None),
    ("T31", None, "C6", "2024-06-16 11:00", "30.00", "EUR", "online", "refund", None),
    ("T32", None, "C7", "2024-06-10 11:00", "15.00", "EUR", "online", "refund", None),
    # Dirty rows, one per reason (the second T11 above is the duplicate delivery).
    ("T40", "A1", "C1", "2024-06-10 10:00", None, "EUR", "pos", "groceries", None),
    ("T41", "A1", "C1", None, "-1.00", "EUR", "pos", "groceries", None),
    ("T42", None, None, "2024-06-10 10:00", "-9.00", "EUR", "pos", "groceries", None),
    (None, "A1", "C1", "2024-06-11 10:00", "-2.00", "EUR", "pos", "groceries", None),
]

# raw.load_reconciliation and raw.quarantine: the accounts load claims 4 rows but raw holds 5.
LOADS = [
    ("L1", "synthetic", "customers", 5, 5, 0),
    ("L1", "synthetic", "transactions", 30, 28, 2),
    ("L1", "synthetic", "accounts", 4, 4, 0),
]
QUARANTINE = [
    ("L1", "synthetic", 7, "transactions", "future date", "{}"),
    ("L1", "synthetic", 9, "transactions", "null amount", "{}"),
]


def write_raw(
    warehouse: Path,
    tables: dict[str, list[tuple]],
    shuffle_seed: int | None = None,
) -> None:
    """Create the raw contract in ``warehouse`` and insert ``tables`` (name -> rows)."""
    con = duckdb.connect(str(warehouse))
    try:
        create_raw_schema(con)
        for table, rows in tables.items():
            rows = list(rows)
            if shuffle_seed is not None:
                random.Random(shuffle_seed).shuffle(rows)
            if rows:
                marks = ", ".join("?" * len(rows[0]))
                con.executemany(f"insert into raw.{table} values ({marks})", rows)
    finally:
        con.close()


def run_dbt(
    workdir: Path,
    warehouse: Path,
    command: str = "build",
    dbt_vars: dict | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run dbt on the customer marts against ``warehouse`` with its own target and logs."""
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # cautious: leave out tests of models outside SELECTION that merely ref our marts.
    cmd = [str(DBT), command, "--select", *SELECTION, "--indirect-selection", "cautious"]
    cmd += ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    return subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)


def build(workdir: Path, tables: dict[str, list[tuple]], **kwargs) -> Path:
    """Write ``tables`` to a fresh warehouse in ``workdir``, dbt build it, return its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "finseg.duckdb"
    write_raw(warehouse, tables, kwargs.pop("shuffle_seed", None))
    result = run_dbt(workdir, warehouse, **kwargs)
    assert result.returncode == 0, result.stdout[-5000:]
    return warehouse


def rows_by_key(warehouse: Path, relation: str, key: str = "customer_id") -> dict:
    """Rows of ``relation`` as {key value: {column: value}}."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        return {
            row[columns.index(key)]: dict(zip(columns, row, strict=True))
            for row in cursor.fetchall()
        }
    finally:
        con.close()


def fetch(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


FULL = {
    "customers": CUSTOMERS,
    "accounts": ACCOUNTS,
    "balances": BALANCES,
    "transactions": TRANSACTIONS,
    "load_reconciliation": LOADS,
    "quarantine": QUARANTINE,
}


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("full"), FULL)


def test_as_of_date_defaults_to_last_booked_date(full: Path) -> None:
    # No var: "now" is the last booked date of raw.transactions (T01, 2024-06-30).
    assert fetch(full, "select as_of_date, as_of_date_source from intermediate.int_as_of_date") == [
        (AS_OF, "last_booked_date")
    ]


def test_dim_customers_unions_customer_table_and_transactions(full: Path) -> None:
    # C1-C4 and C7 from raw.customers, C6 only from transactions: one row each.
    dim = rows_by_key(full, "marts.dim_customers")
    assert sorted(dim) == ["C1", "C2", "C3", "C4", "C6", "C7"]
    assert dim["C6"]["has_customer_record"] is False
    assert dim["C6"]["birth_year"] is None
    # C1: T01-T08 usable (T40, T41 and the null-id row are not), first T08, last T01.
    assert dim["C1"]["transactions_count"] == 8
    assert (dim["C1"]["first_booked_date"], dim["C1"]["last_booked_date"]) == (
        dt.date(2023, 1, 15),
        AS_OF,
    )
    # C2: T10 resolved through account A2, T11 counted once.
    assert dim["C2"]["transactions_count"] == 2
    assert dim["C4"]["has_activity"] is False
    assert dim["C4"]["transactions_count"] == 0


def test_rfm_values_match_hand_computation(full: Path) -> None:
    # recency from the last purchase day; frequency = purchase days; refunds reduce monetary.
    rfm = rows_by_key(full, "marts.fct_customer_rfm")
    got = {
        c: (r["recency_days"], r["frequency"], r["orders_count"], r["monetary"])
        for c, r in rfm.items()
    }
    assert got == {
        # days 2024-06-30, 2024-06-20, 2023-01-15; orders T01, T02, O1, T08;
        # 10 + 5 + 100 + 50 + 7 - 20 refund = 152.00
        "C1": (0, 3, 4, Decimal("152.00")),
        # days 2024-05-31 (30 days before as_of) and 2024-04-30; 40 + 60
        "C2": (30, 2, 2, Decimal("100.00")),
        # ten days in January, last 2024-01-10: 172 days before 2024-06-30; 10 x 0.10
        "C3": (172, 10, 10, Decimal("1.00")),
        "C4": (None, 0, 0, Decimal("0.00")),
        # 25.00 spent, 30.00 refunded: a net-refund customer, still scored
        "C6": (15, 1, 1, Decimal("-5.00")),
        # a refund only: no purchase occasion
        "C7": (None, 0, 0, Decimal("-15.00")),
    }
    assert rfm["C1"]["customer_age_days"] == (AS_OF - dt.date(2023, 1, 15)).days


def test_rfm_scores_and_segments_match_hand_computation(full: Path) -> None:
    # Four scored customers: percent_rank steps 0, 1/3, 2/3, 1 give scores 1, 2, 4, 5.
    rfm = rows_by_key(full, "marts.fct_customer_rfm")
    got = {
        c: (r["r_score"], r["f_score"], r["m_score"], r["rfm_score"], r["rfm_segment"])
        for c, r in rfm.items()
    }
    assert got == {
        "C1": (5, 4, 5, "545", "Champions"),
        "C2": (2, 2, 4, "224", "Hibernating"),
        "C3": (1, 5, 2, "152", "Cannot Lose Them"),
        "C4": (None, None, None, None, "No purchases"),
        "C6": (4, 1, 1, "411", "Promising"),
        "C7": (None, None, None, None, "No purchases"),
    }


def test_money_is_exact_decimal_and_counts_are_integers(full: Path) -> None:
    # Ten payments of 0.10 sum to exactly 1.00; counts reach Python as int, not float.
    types = dict(
        fetch(
            full,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_customer_rfm'",
        )
    )
    assert types["monetary"] == "DECIMAL(18,2)"
    assert types["frequency"] == "BIGINT"
    ((monetary, frequency),) = fetch(
        full, "select monetary, frequency from marts.fct_customer_rfm where customer_id = 'C3'"
    )
    assert monetary == Decimal("1.00")
    assert type(frequency) is int
    double_money = fetch(
        full,
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'marts' and data_type in ('DOUBLE', 'FLOAT') and ("
        "column_name like 'spend%' and column_name not like 'spend_share%' "
        "or column_name like '%amount%' or column_name like 'inflow%' "
        "or column_name like 'outflow%' or column_name like 'monetary%' "
        "or column_name like 'balance_mean%' or column_name like 'fees%')"
        " and column_name not like '%ratio%'",
    )
    assert double_money == []


def test_features_match_hand_computation(full: Path) -> None:
    # The 365-day window of 2024-06-30 starts 2023-07-02: T08 of C1 is outside it.
    features = rows_by_key(full, "marts.fct_customer_features")
    c1 = features["C1"]
    assert c1["txn_count_365d"] == 7
    assert c1["purchase_count_365d"] == 4
    assert c1["spend_365d"] == Decimal("145.00")  # 165 purchases - 20 refund
    assert c1["avg_purchase_amount_365d"] == Decimal("41.25")  # 165 / 4
    assert c1["refund_amount_365d"] == Decimal("20.00")
    assert c1["inflow_365d"] == Decimal("2020.00")  # refund + salary
    assert c1["outflow_365d"] == Decimal("168.00")  # 165 purchases + 3 fee
    assert c1["inflow_outflow_ratio_365d"] == pytest.approx(2020 / 168)
    assert c1["digital_share_365d"] == pytest.approx(4 / 7)  # mobile + 3 online of 7
    assert c1["spend_share_groceries_365d"] == pytest.approx(10 / 165)
    assert c1["spend_share_travel_365d"] == pytest.approx(150 / 165)
    assert c1["spend_share_fuel_365d"] == 0
    assert c1["salary_inflow_365d"] == Decimal("2000.00")
    assert c1["salary_months_365d"] == 1
    assert c1["has_salary"] is False  # one month < salary_min_months (3)
    assert c1["fees_paid_365d"] == Decimal("3.00")
    assert c1["tenure_days"] == (AS_OF - dt.date(2020, 1, 1)).days
    assert (c1["days_since_first_txn"], c1["days_since_last_txn"]) == (532, 0)
    # Products open at as_of_date: C1 checking + card; C2 savings (its mortgage closed).
    assert (c1["products_held_count"], c1["has_checking"], c1["has_credit_card"]) == (2, True, True)
    c2 = features["C2"]
    assert (c2["products_held_count"], c2["has_savings"], c2["has_mortgage"]) == (1, True, False)
    # Deposit balance of C1 at the six month ends Jan-Jun: 100..600.
    assert c1["balance_mean_6m"] == Decimal("350.00")
    assert c1["balance_trend_6m"] == pytest.approx(100.0)
    assert c1["balance_volatility_6m"] == pytest.approx(35000**0.5)  # sample variance 35000
    assert c1["card_utilisation_mean_6m"] == pytest.approx(0.25)  # |-250| / 1000
    assert c1["days_past_due_max_6m"] == 5
    assert (c2["balance_mean_6m"], c2["balance_trend_6m"]) == (Decimal("1000.00"), None)
    assert c2["spend_share_fuel_365d"] == pytest.approx(0.6)
    assert c2["inflow_outflow_ratio_365d"] == 0


def test_features_of_a_customer_without_transactions(full: Path) -> None:
    # C4: zero counts and sums, null ratios and shares, no products, never past due.
    c4 = rows_by_key(full, "marts.fct_customer_features")["C4"]
    assert (c4["txn_count_365d"], c4["spend_365d"], c4["inflow_365d"]) == (0, 0, 0)
    assert c4["avg_purchase_amount_365d"] is None
    assert c4["inflow_outflow_ratio_365d"] is None
    assert c4["digital_share_365d"] is None
    assert c4["spend_share_groceries_365d"] is None
    assert c4["days_since_last_txn"] is None
    assert (c4["products_held_count"], c4["has_checking"]) == (0, False)
    assert c4["balance_mean_6m"] is None
    assert c4["days_past_due_max_6m"] == 0


def test_data_quality_lists_each_dirty_row_with_its_reason(full: Path) -> None:
    # Raw rows = usable rows + listed rows; one reason per excluded row.
    listed = sorted(
        fetch(
            full,
            "select coalesce(transaction_id, '?'), rejection_reason from marts.fct_data_quality",
        ),
    )
    assert listed == [
        ("?", "missing transaction_id"),
        ("T11", "duplicate delivery"),
        ("T40", "missing amount"),
        ("T41", "missing booked_at"),
        ("T42", "missing customer"),
    ]
    ((used,),) = fetch(full, "select count(*) from intermediate.int_transactions_classified")
    assert used + len(listed) == len(TRANSACTIONS)


def test_load_reconciliation_compares_claims_with_raw(full: Path) -> None:
    # The accounts load claims 4 rows while raw.accounts holds 5: not reconciled.
    recon = rows_by_key(full, "marts.fct_load_reconciliation", key="target_table")
    assert recon["transactions"]["rows_in_raw"] == len(TRANSACTIONS)
    assert recon["transactions"]["rows_in_quarantine"] == 2
    assert recon["transactions"]["is_reconciled"] is True
    assert recon["customers"]["is_reconciled"] is True
    assert (recon["accounts"]["rows_in_raw"], recon["accounts"]["is_reconciled"]) == (5, False)


def test_as_of_date_var_excludes_later_rows(tmp_path: Path) -> None:
    # as_of_date 2024-06-25: T01 and T02 (2024-06-30) are booked after it.
    warehouse = build(tmp_path, FULL, dbt_vars={"as_of_date": "2024-06-25"})
    assert fetch(
        warehouse, "select as_of_date, as_of_date_source from intermediate.int_as_of_date"
    ) == [(dt.date(2024, 6, 25), "var")]
    later = fetch(
        warehouse,
        "select transaction_id from marts.fct_data_quality "
        "where rejection_reason = 'booked after as_of_date' order by 1",
    )
    assert later == [("T01",), ("T02",)]
    c1 = rows_by_key(warehouse, "marts.fct_customer_rfm")["C1"]
    # days 2024-06-20 and 2023-01-15; orders O1, T08; 150 + 7 - 20 refund (2024-06-25)
    assert (c1["recency_days"], c1["frequency"], c1["orders_count"], c1["monetary"]) == (
        5,
        2,
        2,
        Decimal("137.00"),
    )
    dim = rows_by_key(warehouse, "marts.dim_customers")
    assert (dim["C1"]["last_booked_date"], dim["C1"]["transactions_count"]) == (
        dt.date(2024, 6, 25),
        6,
    )


def test_as_of_date_var_must_be_a_date(tmp_path: Path) -> None:
    # A malformed var fails at compile time, naming the value.
    warehouse = tmp_path / "finseg.duckdb"
    write_raw(warehouse, {"transactions": TRANSACTIONS[:1]})
    result = run_dbt(tmp_path, warehouse, command="compile", dbt_vars={"as_of_date": "30/06/2024"})
    assert result.returncode != 0
    assert "30/06/2024" in result.stdout


def test_conflicting_duplicate_fails_the_build_naming_the_id(tmp_path: Path) -> None:
    # T11 delivered twice with different amounts: the build stops and says which id and column.
    conflicting = [*TRANSACTIONS[:11], (*TRANSACTIONS[10][:4], "-61.00", *TRANSACTIONS[10][5:])]
    warehouse = tmp_path / "finseg.duckdb"
    write_raw(warehouse, {"transactions": conflicting})
    result = run_dbt(tmp_path, warehouse)
    assert result.returncode != 0
    assert "transaction_id T11 is delivered 3 times with conflicting values in: amount" in (
        result.stdout
    )


def test_empty_transactions_build_with_customers_only(tmp_path: Path) -> None:
    # No transactions and no as_of_date var: the marts build, every customer of raw.customers
    # is present with 'No purchases', and no feature pretends to know "now".
    warehouse = build(tmp_path, {"customers": CUSTOMERS, "accounts": ACCOUNTS})
    assert fetch(warehouse, "select as_of_date from intermediate.int_as_of_date") == [(None,)]
    rfm = rows_by_key(warehouse, "marts.fct_customer_rfm")
    assert sorted(rfm) == ["C1", "C2", "C3", "C4", "C7"]
    assert {r["rfm_segment"] for r in rfm.values()} == {"No purchases"}
    features = rows_by_key(warehouse, "marts.fct_customer_features")
    assert {f["txn_count_365d"] for f in features.values()} == {0}
    for column in ["tenure_days", "products_held_count", "has_checking", "balance_mean_6m"]:
        assert {f[column] for f in features.values()} == {None}, column
    assert fetch(warehouse, "select count(*) from marts.fct_data_quality") == [(0,)]


def test_features_hold_no_nan(full: Path) -> None:
    # A ratio or trend without its denominator is null, never NaN.
    con = duckdb.connect(str(full), read_only=True)
    try:
        cursor = con.execute("select * from marts.fct_customer_features")
        values = [v for row in cursor.fetchall() for v in row if isinstance(v, float)]
    finally:
        con.close()
    assert values and not any(math.isnan(v) for v in values)


# A transaction log as a real input gives it: raw.transactions only, customer ids, no channel,
# categories other (purchase) and refund. Many customers share recency, frequency and monetary.
def tied_transactions(seed: int, customers: int = 40) -> list[tuple]:
    """Purchases (10.00 or 20.00, sometimes two lines a day) and refunds of ``customers``."""
    rng = random.Random(seed)
    rows = []
    for number in range(customers):
        customer = f"K{number:02d}"
        frequency = rng.choice([1, 1, 1, 2, 2, 3, 5])
        last = 0 if number == 0 else rng.choice([0, 0, 3, 10, 10, 40, 200])
        days = [last + 7 * step for step in range(frequency)]
        for index, day in enumerate(days):
            booked = dt.datetime.combine(AS_OF - dt.timedelta(days=day), dt.time(12))
            lines = 2 if rng.random() < 0.3 else 1
            for line in range(lines):
                amount = rng.choice(["-10.00", "-20.00"])
                txn = f"{customer}-{index}-{line}"
                rows.append((txn, None, customer, booked, amount, None, None, "other", None))
        if rng.random() < 0.2:
            booked = dt.datetime.combine(AS_OF - dt.timedelta(days=last), dt.time(18))
            rows.append(
                (f"{customer}-r", None, customer, booked, "10.00", None, None, "refund", None)
            )
    return rows


def rfm_by_hand(rows: list[tuple]) -> dict[str, tuple[int, int, Decimal]]:
    """(recency_days, frequency, monetary) per customer, straight from the raw rows."""
    purchase_days: dict[str, set[dt.date]] = {}
    monetary: dict[str, Decimal] = {}
    for _, _, customer, booked, amount, _, _, category, _ in rows:
        amount = Decimal(amount)
        monetary[customer] = monetary.get(customer, Decimal(0)) - amount
        if category == "other":
            purchase_days.setdefault(customer, set()).add(booked.date())
    return {
        customer: ((AS_OF - max(days)).days, len(days), monetary[customer])
        for customer, days in purchase_days.items()
    }


def score_by_hand(values: dict[str, object], higher_is_better: bool = True) -> dict[str, int]:
    """least(5, 1 + floor(5 * percent_rank)), percent_rank = (values ranked below) / (n - 1)."""
    n = len(values)
    scores = {}
    for key, value in values.items():
        below = sum(
            (other < value) if higher_is_better else (other > value) for other in values.values()
        )
        scores[key] = min(5, 1 + math.floor(5 * below / (n - 1)))
    return scores


TIED = tied_transactions(seed=11)


@pytest.fixture(scope="module")
def tied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("tied"), {"transactions": TIED})


@pytest.fixture(scope="module")
def tied_shuffled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("tied_shuffled"), {"transactions": TIED}, shuffle_seed=3)


def test_rfm_scores_follow_the_percent_rank_rule(tied: Path) -> None:
    # Scores recomputed in Python from the raw rows equal the mart's, ties included.
    expected = rfm_by_hand(TIED)
    rfm = rows_by_key(tied, "marts.fct_customer_rfm")
    got = {c: (r["recency_days"], r["frequency"], r["monetary"]) for c, r in rfm.items()}
    assert got == expected
    r_expected = score_by_hand({c: v[0] for c, v in expected.items()}, higher_is_better=False)
    f_expected = score_by_hand({c: v[1] for c, v in expected.items()})
    m_expected = score_by_hand({c: v[2] for c, v in expected.items()})
    assert {c: r["r_score"] for c, r in rfm.items()} == r_expected
    assert {c: r["f_score"] for c, r in rfm.items()} == f_expected
    assert {c: r["m_score"] for c, r in rfm.items()} == m_expected


def test_rfm_scores_equal_values_equally(tied: Path) -> None:
    # Within every group of equal values there is exactly one score, and the fixture has ties.
    for value, score in [
        ("recency_days", "r_score"),
        ("frequency", "f_score"),
        ("monetary", "m_score"),
    ]:
        groups = fetch(
            tied,
            f"select {value}, count(*), count(distinct {score}) "
            f"from marts.fct_customer_rfm group by {value}",
        )
        assert max(size for _, size, _ in groups) >= 6
        assert {scores for _, _, scores in groups} == {1}


def test_shuffled_raw_rows_change_nothing(tied: Path, tied_shuffled: Path) -> None:
    # The same rows inserted in another order give the same marts, row for row.
    for relation in [
        "marts.dim_customers",
        "marts.fct_customer_rfm",
        "marts.fct_customer_features",
    ]:
        original = fetch(tied, f"select * from {relation} order by customer_id")
        shuffled = fetch(tied_shuffled, f"select * from {relation} order by customer_id")
        assert original == shuffled, relation


def test_transactions_only_input_leaves_unsupported_features_null(tied: Path) -> None:
    # Without accounts, balances, channels, salaries or fees those features are null for all.
    features = rows_by_key(tied, "marts.fct_customer_features")
    unsupported = [
        "products_held_count",
        "has_checking",
        "has_credit_card",
        "balance_mean_6m",
        "balance_trend_6m",
        "balance_volatility_6m",
        "card_utilisation_mean_6m",
        "days_past_due_max_6m",
        "digital_share_365d",
        "salary_inflow_365d",
        "salary_months_365d",
        "has_salary",
        "fees_paid_365d",
        "tenure_days",
    ]
    for column in unsupported:
        assert {f[column] for f in features.values()} == {None}, column
    assert all(
        f["spend_share_other_365d"] == 1 for f in features.values() if f["purchase_count_365d"] > 0
    )
