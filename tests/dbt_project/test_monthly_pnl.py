"""dbt build of the monthly marts (fct_customer_monthly, fct_customer_pnl) on a tiny raw warehouse.

Every value asserted here was computed by hand from the rows below (the comments show the
arithmetic, with the default vars of dbt_project.yml: funds-transfer rate 0.03, overdraft rate
0.12, mortgage fallback rate 0.035, interchange 0.003 credit / 0.002 debit, CCF 0.1, LGD 0.85 on
checking and cards, 0.15 on mortgages, PD intercept -4.6 at score 700, 2.5 per 30 days past due).
Each build gets its own warehouse, target and log folder under tmp_path.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pytest

from seeds_gen.contract import create_raw_schema

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
SELECTION = ["+fct_customer_monthly", "+fct_customer_pnl"]
MONTHLY = "marts.fct_customer_monthly"
PNL = "marts.fct_customer_pnl"
JAN, FEB, MAR, APR = (dt.date(2024, m, d) for m, d in [(1, 31), (2, 29), (3, 31), (4, 30)])

# raw.customers: customer_id, birth_year, gender, region, income_annual, occupation,
# joined_date, credit_score. P3 appears only in transactions; P4 never transacts.
CUSTOMERS = [
    ("P1", 1980, "f", "north", "60000.00", "engineer", "2020-01-01", 700),
    ("P2", 1995, "m", "south", "30000.00", "clerk", "2024-02-10", None),
    ("P4", 1970, "f", "east", "40000.00", "teacher", "2023-06-01", 640),
]

# raw.accounts: account_id, customer_id, product, opened_date, closed_date, credit_limit,
# interest_rate, principal. MTG1 has no rate (fallback 0.035); P2 closes CHK2 on 2024-03-20.
ACCOUNTS = [
    ("CHK1", "P1", "checking", "2020-01-01", None, "1000.00", "0.000000", None),
    ("SAV1", "P1", "savings", "2021-05-01", None, None, "0.010000", None),
    ("CC1", "P1", "credit_card", "2022-01-01", None, "2000.00", "0.180000", None),
    ("MTG1", "P1", "mortgage", "2019-01-01", None, None, None, "120000.00"),
    ("CHK2", "P2", "checking", "2024-02-10", "2024-03-20", None, None, None),
]


def _balances(account: str, values: list[str | None], dpd: list[int | None]) -> list[tuple]:
    ends = ["2023-12-31", "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30"]
    return [
        (account, end, value, days)
        for end, value, days in zip(ends, values, dpd, strict=True)
        if value is not None
    ]


# raw.balances: account_id, month_end_date, balance, days_past_due. December 2023 is the
# opening balance (before the first month with a transaction). CC1 is 30 days past due in
# February. CHK2 has no row at the end of March (closed on the 20th).
NO_DPD = [None] * 5
BALANCES = [
    *_balances("CHK1", ["1000.00", "3000.00", "-200.00", "1800.00", "2200.00"], NO_DPD),
    *_balances("SAV1", ["10000.00", "10000.00", "12000.00", "12000.00", "12000.00"], NO_DPD),
    *_balances("CC1", ["-300.00", "-400.00", "-500.00", "-440.00", "-480.00"], [0, 0, 30, 0, 0]),
    *_balances(
        "MTG1",
        ["-100000.00", "-99600.00", "-99200.00", "-98800.00", "-98400.00"],
        [0, 0, 0, 0, 0],
    ),
    *_balances("CHK2", [None, None, "470.00", None, None], NO_DPD),
]

# raw.transactions: transaction_id, account_id, customer_id, booked_at, amount, currency,
# channel, category, order_id.
TRANSACTIONS = [
    # January: card purchase, debit purchase, salary, a fee without channel.
    ("T01", "CC1", "P1", "2024-01-10 12:00", "-100.00", "EUR", "pos", "groceries", None),
    ("T02", "CHK1", "P1", "2024-01-15 12:00", "-50.00", "EUR", "mobile", "dining", None),
    ("T03", "CHK1", "P1", "2024-01-25 08:00", "3000.00", "EUR", "transfer", "salary", None),
    ("T04", "CHK1", "P1", "2024-01-31 23:00", "-5.00", "EUR", None, "fee", None),
    # February: card purchase, cash at an ATM, a card repayment of 100, a refund of 20.
    ("T05", "CC1", "P1", "2024-02-05 12:00", "-200.00", "EUR", "online", "travel", None),
    ("T06", "CHK1", "P1", "2024-02-10 09:00", "-200.00", "EUR", "atm", "cash", None),
    ("T07", "CC1", "P1", "2024-02-15 09:00", "100.00", "EUR", "online", "transfer", None),
    ("T08", "CC1", "P1", "2024-02-20 09:00", "20.00", "EUR", "online", "refund", None),
    ("T09", "CHK1", "P1", "2024-02-26 08:00", "3000.00", "EUR", "transfer", "salary", None),
    ("T10", "CHK2", "P2", "2024-02-15 12:00", "-30.00", "EUR", "online", "other", None),
    # March: a transfer out at a branch, salary; P2 empties and closes CHK2.
    ("T11", "CHK1", "P1", "2024-03-05 10:00", "-500.00", "EUR", "branch", "transfer", None),
    ("T12", "CHK1", "P1", "2024-03-25 08:00", "3000.00", "EUR", "transfer", "salary", None),
    ("T13", "CHK2", "P2", "2024-03-20 10:00", "-470.00", "EUR", "mobile", "transfer", None),
    # April: P3 appears (no account); the last booked date is 2024-04-30.
    ("T14", "CC1", "P1", "2024-04-12 12:00", "-40.00", "EUR", "pos", "groceries", None),
    ("T15", "CHK1", "P1", "2024-04-25 08:00", "3000.00", "EUR", "transfer", "salary", None),
    ("T16", None, "P3", "2024-04-30 18:00", "-25.00", "EUR", "online", "dining", None),
]

FULL = {
    "customers": CUSTOMERS,
    "accounts": ACCOUNTS,
    "balances": BALANCES,
    "transactions": TRANSACTIONS,
}


def write_raw(warehouse: Path, tables: dict[str, list[tuple]], shuffle_seed: int | None = None):
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


def run_dbt(workdir: Path, warehouse: Path, dbt_vars: dict | None = None) -> None:
    """dbt build of the monthly marts and their parents, with its own target and logs."""
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(workdir / "target"),
        "DBT_LOG_PATH": str(workdir / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    # cautious: leave out tests of models outside the selection that merely ref our marts.
    cmd = [str(DBT), "build", "--select", *SELECTION, "--indirect-selection", "cautious"]
    cmd += ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:]


def build(workdir: Path, tables: dict[str, list[tuple]], **kwargs) -> Path:
    """Write ``tables`` to a fresh warehouse in ``workdir``, dbt build it, return its path."""
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse = workdir / "finseg.duckdb"
    write_raw(warehouse, tables, kwargs.pop("shuffle_seed", None))
    run_dbt(workdir, warehouse, **kwargs)
    return warehouse


def fetch(warehouse: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def rows_by_key(warehouse: Path, relation: str) -> dict[tuple[str, dt.date], dict]:
    """Rows of ``relation`` as {(customer_id, month_end_date): {column: value}}."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(f"select * from {relation}")
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    return {(row["customer_id"], row["month_end_date"]): row for row in rows}


def cents(value: float) -> Decimal:
    """Round half away from zero to cents, as DuckDB's cast to DECIMAL(18,2) does."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def default_probability(score: int, days_past_due: int) -> float:
    """pnl_pd_* defaults: logit = -4.6 - 1.5 * (score - 700) / 100 + 2.5 * dpd / 30."""
    logit = -4.6 - 1.5 * (score - 700) / 100 + 2.5 * days_past_due / 30
    return 1 / (1 + math.exp(-logit))


@pytest.fixture(scope="module")
def full(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("full"), FULL)


def test_month_ends_run_from_the_first_data_month_to_the_last_month_end(
    full: Path, tmp_path: Path
) -> None:
    # First usable transaction in January 2024; as_of_date 2024-04-30 is itself a month end.
    # The December 2023 balances are opening balances, not a month of the calendar.
    ends = fetch(full, "select month_end_date from intermediate.int_month_ends order by 1")
    assert [end for (end,) in ends] == [JAN, FEB, MAR, APR]
    # as_of_date 2024-04-15: April is not over, so March is the last month end.
    partial = build(tmp_path, FULL, dbt_vars={"as_of_date": "2024-04-15"})
    assert fetch(partial, f"select max(month_end_date) from {MONTHLY}") == [(MAR,)]


def test_customers_enter_the_panel_at_their_start_and_stay(full: Path) -> None:
    # P1 joined long ago: the first month of data. P2 joined 2024-02-10 and stays after closing
    # everything. P3 (transactions only) first transacts 2024-04-30. P4 never transacts.
    months = {}
    for customer, end in fetch(full, f"select customer_id, month_end_date from {MONTHLY}"):
        months.setdefault(customer, []).append(end)
    assert {c: sorted(m) for c, m in months.items()} == {
        "P1": [JAN, FEB, MAR, APR],
        "P2": [FEB, MAR, APR],
        "P3": [APR],
        "P4": [JAN, FEB, MAR, APR],
    }


def test_monthly_snapshot_matches_hand_computation(full: Path) -> None:
    # P1 at the end of March: the 3-month window is January to March.
    monthly = rows_by_key(full, MONTHLY)
    march = monthly[("P1", MAR)]
    assert (march["txn_count_1m"], march["txn_count_3m"]) == (2, 11)  # 4 + 5 + 2
    assert (march["purchase_count_1m"], march["purchase_count_3m"]) == (0, 3)
    assert march["spend_3m"] == Decimal("330.00")  # 100 + 50 + 200 - 20
    assert march["inflow_3m"] == Decimal("9120.00")  # 3000 + (100 + 20 + 3000) + 3000
    assert march["outflow_3m"] == Decimal("1055.00")  # (100 + 50 + 5) + (200 + 200) + 500
    # Channels known: 3 in January (the fee has none), 5 in February, 2 in March; digital 1 + 3.
    assert march["digital_share_1m"] == 0
    assert march["digital_share_3m"] == pytest.approx(4 / 10)
    assert (march["salary_inflow_1m"], march["salary_inflow_3m"]) == (3000, 9000)
    assert march["salary_months_3m"] == 3
    assert (march["fees_paid_1m"], march["fees_paid_3m"]) == (Decimal("0.00"), Decimal("5.00"))
    assert (march["accounts_open_count"], march["products_open_count"]) == (4, 4)
    assert (march["has_mortgage"], march["has_personal_loan"]) == (True, False)
    # Deposits (CHK1 + SAV1): 13000, 11800, 13800 at the ends of January to March.
    assert march["deposit_balance"] == Decimal("13800.00")
    assert march["deposit_balance_mean_3m"] == Decimal("12866.67")  # 38600 / 3
    assert march["deposit_balance_change_3m"] is None  # no month end 3 months earlier
    assert monthly[("P1", APR)]["deposit_balance_change_3m"] == Decimal("1200.00")  # 14200 - 13000
    assert march["loan_balance"] == Decimal("99240.00")  # 440 card + 98800 mortgage
    assert march["investment_balance"] is None
    assert march["card_utilisation"] == pytest.approx(440 / 2000)
    assert (march["days_past_due"], march["days_past_due_max_3m"]) == (0, 30)
    assert march["days_since_last_txn"] == 6  # salary on 2024-03-25
    assert march["days_since_first_txn"] == 81  # first transaction on 2024-01-10
    assert march["tenure_days"] == (MAR - dt.date(2020, 1, 1)).days
    # February: in the window's first months the _3m columns are null.
    february = monthly[("P1", FEB)]
    assert (february["txn_count_1m"], february["txn_count_3m"]) == (5, None)
    assert february["spend_3m"] is None and february["days_past_due_max_3m"] is None
    assert february["digital_share_1m"] == pytest.approx(3 / 5)
    assert (february["days_past_due"], february["card_utilisation"]) == (30, 0.25)
    assert february["deposit_balance"] == Decimal("11800.00")  # -200 overdraft + 12000


def test_monthly_snapshot_of_leavers_and_newcomers(full: Path) -> None:
    # P2 closed CHK2 on 2024-03-20: open at the end of February, not at the end of March.
    monthly = rows_by_key(full, MONTHLY)
    assert (monthly[("P2", FEB)]["accounts_open_count"], monthly[("P2", FEB)]["has_checking"]) == (
        1,
        True,
    )
    march = monthly[("P2", MAR)]
    assert (march["accounts_open_count"], march["products_open_count"]) == (0, 0)
    assert march["has_checking"] is False
    assert march["deposit_balance"] is None  # no balance row at the end of March
    assert march["tenure_days"] == (MAR - dt.date(2024, 2, 10)).days
    # P4: in the panel with zero activity and no product; P3: no customer record, no accounts.
    p4 = monthly[("P4", MAR)]
    assert (p4["txn_count_3m"], p4["spend_3m"], p4["accounts_open_count"]) == (0, 0, 0)
    assert (p4["days_since_last_txn"], p4["days_past_due"]) == (None, 0)
    p3 = monthly[("P3", APR)]
    assert (p3["txn_count_1m"], p3["spend_1m"], p3["tenure_days"]) == (1, Decimal("25.00"), None)


def test_pnl_matches_hand_computation_for_february(full: Path) -> None:
    # P1 in February, account by account (monthly accrual = annual rate / 12).
    pnl = rows_by_key(full, PNL)[("P1", FEB)]
    # CHK1: 3000 -> -200: credit part (3000 + 0) / 2 = 1500 earns 1500 x 0.03 / 12 = 3.75;
    #   drawn part (0 + 200) / 2 = 100 earns 100 x (0.12 - 0.03) / 12 = 0.75 (overdraft).
    # SAV1: 10000 -> 12000: 11000 x (0.03 - 0.01) / 12 = 18.3333.
    # CC1: -400 -> -500: drawn 450 funded at 0.03; interest on last month's 400 less the
    #   month's repayment of 100 (the refund is not one): (300 x 0.18 - 450 x 0.03) / 12 = 3.375.
    # MTG1: -99600 -> -99200: 99400 x (0.035 - 0.03) / 12 = 41.4167.
    assert pnl["deposit_balance_average"] == Decimal("12500.00")  # 1500 + 11000
    assert pnl["loan_balance_average"] == Decimal("99950.00")  # 100 + 450 + 99400
    assert pnl["nii_deposits"] == Decimal("22.08")  # 3.75 + 18.3333
    assert pnl["nii_loans"] == Decimal("45.54")  # 0.75 + 3.375 + 41.4167
    assert pnl["fee_income"] == Decimal("0.00")
    assert pnl["interchange_income"] == Decimal("0.54")  # card (200 - 20) x 0.003
    assert pnl["revenue"] == Decimal("68.16")
    # Channels: 4 online or transfer x 0.10 + 1 ATM x 0.80; 4 accounts x 1.50.
    assert (pnl["channel_cost"], pnl["account_cost"]) == (Decimal("1.20"), Decimal("6.00"))
    assert pnl["cost_to_serve"] == Decimal("7.20")
    # Exposure at the end of February: CHK1 200 + 0.1 x 800, CC1 500 + 0.1 x 1500, MTG1 99200.
    assert pnl["exposure_at_default"] == Decimal("100130.00")
    # Score 700 (the reference), worst days past due 30: logit -4.6 + 2.5.
    probability = default_probability(700, 30)
    assert pnl["probability_of_default_12m"] == pytest.approx(probability, rel=1e-12)
    loss_at_default = 0.85 * 280 + 0.85 * 650 + 0.15 * 99200  # 15670.5
    assert pnl["expected_credit_loss"] == cents(probability * loss_at_default / 12)
    assert pnl["contribution"] == Decimal("68.16") - Decimal("7.20") - pnl["expected_credit_loss"]


def test_pnl_matches_hand_computation_for_january(full: Path) -> None:
    # January starts from the December 2023 opening balances.
    pnl = rows_by_key(full, PNL)[("P1", JAN)]
    # CHK1 1000 -> 3000: 2000 x 0.03 / 12 = 5; SAV1 10000 x 0.02 / 12 = 16.6667.
    # CC1 -300 -> -400, no repayment: (300 x 0.18 - 350 x 0.03) / 12 = 3.625.
    # MTG1 -100000 -> -99600: 99800 x 0.005 / 12 = 41.5833.
    assert (pnl["nii_deposits"], pnl["nii_loans"]) == (Decimal("21.67"), Decimal("45.21"))
    assert pnl["fee_income"] == Decimal("5.00")
    assert pnl["interchange_income"] == Decimal("0.40")  # 100 x 0.003 + 50 x 0.002 (debit)
    assert pnl["channel_cost"] == Decimal("0.18")  # pos 0.03 + mobile 0.05 + transfer 0.10
    # CHK1 0 + 0.1 x 1000, CC1 400 + 0.1 x 1600, MTG1 99600; no days past due.
    assert pnl["exposure_at_default"] == Decimal("100260.00")
    probability = default_probability(700, 0)  # 1 / (1 + e^4.6), about 1%
    assert pnl["probability_of_default_12m"] == pytest.approx(probability, rel=1e-12)
    loss_at_default = 0.85 * 100 + 0.85 * 560 + 0.15 * 99600  # 15501
    assert pnl["expected_credit_loss"] == cents(probability * loss_at_default / 12)


def test_pnl_of_a_new_customer_who_leaves(full: Path) -> None:
    # P2's CHK2 opens 2024-02-10 (opening balance 0) with 470 at the end of February, and
    # closes 2024-03-20 (no row: closing balance 0). No rate: the checking fallback, 0.
    pnl = rows_by_key(full, PNL)
    february, march, april = (pnl[("P2", end)] for end in (FEB, MAR, APR))
    assert february["nii_deposits"] == Decimal("0.59")  # (0 + 470) / 2 x 0.03 / 12 = 0.5875
    assert march["nii_deposits"] == Decimal("0.59")  # (470 + 0) / 2 x 0.03 / 12
    assert february["interchange_income"] == Decimal("0.06")  # 30 x 0.002
    # No credit limit and nothing drawn: no exposure, no PD, no loss.
    assert (february["exposure_at_default"], february["probability_of_default_12m"]) == (0, None)
    assert february["expected_credit_loss"] == Decimal("0.00")
    # Open during March (cost of the account), gone in April.
    assert (march["account_cost"], april["account_cost"]) == (Decimal("1.50"), Decimal("0.00"))
    assert february["contribution"] == Decimal("-0.95")  # 0.59 + 0.06 - 0.10 - 1.50
    assert april["contribution"] == Decimal("0.00")


def test_pnl_parts_add_up_to_contribution(full: Path) -> None:
    # Every row: revenue and cost are their parts, contribution = revenue - cost - loss, exactly.
    rows = rows_by_key(full, PNL).values()
    assert len(rows) == 12

    def part(row: dict, column: str) -> Decimal:
        return row[column] if row[column] is not None else Decimal(0)

    for row in rows:
        revenue = sum(
            part(row, c) for c in ["nii_deposits", "nii_loans", "fee_income", "interchange_income"]
        )
        cost = part(row, "channel_cost") + part(row, "account_cost")
        assert row["revenue"] == revenue
        assert row["cost_to_serve"] == cost
        assert row["contribution"] == revenue - cost - part(row, "expected_credit_loss")


def test_monthly_and_pnl_share_their_rows(full: Path) -> None:
    # One panel (int_customer_month_ends) under both marts.
    monthly = set(rows_by_key(full, MONTHLY))
    assert monthly == set(rows_by_key(full, PNL))
    assert len(monthly) == 12


def test_money_is_decimal_and_counts_are_integers(full: Path) -> None:
    # Money columns are DECIMAL(18,2); counts BIGINT; no DOUBLE holds money.
    types = dict(
        fetch(
            full,
            "select table_name || '.' || column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' "
            "and table_name in ('fct_customer_monthly', 'fct_customer_pnl')",
        )
    )
    doubles = {column for column, kind in types.items() if kind == "DOUBLE"}
    assert doubles == {
        "fct_customer_monthly.digital_share_1m",
        "fct_customer_monthly.digital_share_3m",
        "fct_customer_monthly.card_utilisation",
        "fct_customer_pnl.probability_of_default_12m",
    }
    for column in ["spend_3m", "deposit_balance", "loan_balance", "fees_paid_1m"]:
        assert types[f"fct_customer_monthly.{column}"] == "DECIMAL(18,2)"
    for column in ["nii_deposits", "expected_credit_loss", "contribution"]:
        assert types[f"fct_customer_pnl.{column}"] == "DECIMAL(18,2)"
    assert types["fct_customer_monthly.txn_count_3m"] == "BIGINT"


# Changes to everything booked after 2024-02-29: amounts, a deleted row, new rows (including a
# new customer's first transaction and the first investment balance), and other balances.
def _changed_after_february() -> dict[str, list[tuple]]:
    cutoff = dt.date(2024, 2, 29)
    transactions = []
    for row in TRANSACTIONS:
        booked = dt.date.fromisoformat(row[3][:10])
        if booked <= cutoff:
            transactions.append(row)
        elif row[0] != "T12":  # March salary deleted
            transactions.append((*row[:4], str(Decimal(row[4]) * 3), *row[5:]))
    transactions += [
        ("T90", "CHK1", "P1", "2024-03-01 00:00", "-999.00", "EUR", "branch", "fee", None),
        ("T91", None, "P9", "2024-03-02 10:00", "-10.00", "EUR", "pos", "fuel", None),
    ]
    balances = [
        (account, end, value if end <= "2024-02-29" else str(Decimal(value) - 1), dpd)
        for account, end, value, dpd in BALANCES
    ]
    accounts = [*ACCOUNTS, ("INV1", "P1", "investment", "2024-03-10", None, None, None, None)]
    balances.append(("INV1", "2024-03-31", "5000.00", None))
    return {**FULL, "transactions": transactions, "balances": balances, "accounts": accounts}


def _rows_up_to(warehouse: Path, relation: str, end: dt.date) -> list[tuple]:
    return fetch(
        warehouse,
        f"select * from {relation} where month_end_date <= date '{end}' "
        "order by customer_id, month_end_date",
    )


def test_rows_booked_after_a_month_end_leave_its_snapshot_unchanged(
    full: Path, tmp_path: Path
) -> None:
    # Point in time: change everything after February; every row up to February is identical.
    changed = build(tmp_path, _changed_after_february())
    for relation in [MONTHLY, PNL]:
        before = _rows_up_to(full, relation, FEB)
        assert before and before == _rows_up_to(changed, relation, FEB), relation
    # ... while March did change (the test would pass vacuously otherwise).
    assert _rows_up_to(full, MONTHLY, MAR) != _rows_up_to(changed, MONTHLY, MAR)


def test_an_earlier_as_of_date_rebuilds_the_same_months(full: Path, tmp_path: Path) -> None:
    # Rebuilding with as_of_date at the end of February gives exactly the rows up to February.
    earlier = build(tmp_path, FULL, dbt_vars={"as_of_date": "2024-02-29"})
    for relation in [MONTHLY, PNL]:
        assert _rows_up_to(earlier, relation, APR) == _rows_up_to(full, relation, FEB), relation


def test_rebuilding_the_same_input_changes_nothing(full: Path, tmp_path: Path) -> None:
    # The same rows inserted in another order, built twice: identical marts, row for row.
    shuffled = build(tmp_path, FULL, shuffle_seed=7)
    first = {r: _rows_up_to(shuffled, r, APR) for r in [MONTHLY, PNL]}
    run_dbt(tmp_path, shuffled)
    for relation in [MONTHLY, PNL]:
        again = _rows_up_to(shuffled, relation, APR)
        assert again == first[relation] == _rows_up_to(full, relation, APR), relation


def test_transactions_only_input_leaves_unsupported_columns_null(tmp_path: Path) -> None:
    # Without accounts, balances, channels, salaries or fees those columns are null for all,
    # and the P&L is what the transactions support: interchange only.
    rows = [
        (f"X{i}", None, "K1", f"{day} 12:00", "-100.00", None, None, "other", None)
        for i, day in enumerate(["2024-01-10", "2024-02-10", "2024-03-31"])
    ]
    warehouse = build(tmp_path, {"transactions": rows})
    monthly = rows_by_key(warehouse, MONTHLY)
    assert sorted(monthly) == [("K1", JAN), ("K1", FEB), ("K1", MAR)]
    for column in [
        "digital_share_1m",
        "salary_inflow_3m",
        "fees_paid_1m",
        "accounts_open_count",
        "has_checking",
        "deposit_balance",
        "card_utilisation",
        "days_past_due",
        "tenure_days",
    ]:
        assert {row[column] for row in monthly.values()} == {None}, column
    assert monthly[("K1", MAR)]["spend_3m"] == Decimal("300.00")
    pnl = rows_by_key(warehouse, PNL)[("K1", MAR)]
    for column in ["nii_deposits", "nii_loans", "fee_income", "channel_cost", "account_cost"]:
        assert pnl[column] is None, column
    assert pnl["expected_credit_loss"] is None
    assert pnl["interchange_income"] == Decimal("0.20")  # 100 x 0.002 (no card account)
    assert pnl["contribution"] == Decimal("0.20")


def test_synthetic_bank_builds_with_every_test_passing(tmp_path: Path) -> None:
    # A small synthetic bank: the build (every dbt test of the two marts) passes, and each
    # customer's rows cover the months from their start to the end.
    from seeds_gen.generator import BankConfig, write_synthetic_bank

    warehouse = tmp_path / "finseg.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        write_synthetic_bank(con, BankConfig(customers=300, months=6, seed=5))
    finally:
        con.close()
    run_dbt(tmp_path, warehouse)
    ((months, customers, rows),) = fetch(
        warehouse,
        f"select count(distinct month_end_date), count(distinct customer_id), count(*) "
        f"from {MONTHLY}",
    )
    assert (months, customers) == (6, 300)
    assert fetch(warehouse, f"select count(*) from {PNL}") == [(rows,)]
    gaps = fetch(
        warehouse,
        f"select customer_id from {MONTHLY} group by customer_id "
        "having count(*) <> date_diff('month', min(month_end_date), max(month_end_date)) + 1",
    )
    assert gaps == []
