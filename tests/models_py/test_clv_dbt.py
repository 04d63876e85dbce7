"""dbt build of the CLV marts (fct_clv_inputs, fct_clv_model_fit, fct_customer_clv).

Slow: each fixture builds ``+fct_customer_clv`` (staging, customer marts, the CLV marts and
their data tests) into a warehouse of its own. One warehouse holds the CDNOW 1/10 sample loaded
with the project's loader, built with as_of_date = the calibration end: the fit must reproduce
the published values there too. The other holds a small hand-made bank whose summary is
computed by hand: same-day purchases, refunds, a net-refund customer, a customer without
purchases.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from clv_cdnow import CALIBRATION_END, CDNOW, sample_master_file

from seeds_gen.contract import create_raw_schema
from seeds_gen.loaders import load_files

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2024, 6, 30)


def run_dbt(folder: Path, warehouse: Path, dbt_vars: dict, *args: str) -> None:
    """``dbt build --select +fct_customer_clv`` (or ``args``) on ``warehouse``, own target/logs."""
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    selection = args or ("--select", "+fct_customer_clv")
    command = [sys.executable, "-m", "dbt.cli.main", "build", *selection]
    # cautious: leave out the tests of models outside the selection that merely ref ours.
    command += ["--indirect-selection", "cautious", "--vars", json.dumps(dbt_vars)]
    command += ["--project-dir", str(ROOT), "--profiles-dir", str(ROOT)]
    result = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:]


def fetch(warehouse: Path, sql: str) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


# --- CDNOW -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cdnow(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (CDNOW / "CDNOW_master.txt.gz").exists():
        pytest.skip(f"CDNOW files not found under {CDNOW.resolve()}")
    folder = tmp_path_factory.mktemp("clv_cdnow")
    warehouse = folder / "finseg.duckdb"
    con = duckdb.connect(str(warehouse))
    try:
        load_files(con, "cdnow", sample_master_file(folder))
    finally:
        con.close()
    run_dbt(folder, warehouse, {"as_of_date": CALIBRATION_END})
    return warehouse


def test_dbt_fit_on_cdnow_reproduces_the_published_values(cdnow):
    # Through loader, SQL marts and the dbt Python model: BG/NBD within 0.005 (LL 0.1),
    # Gamma-Gamma within 0.02 / 0.02 / 0.05, Pareto/NBD within 1e-3 / 1e-2 relative.
    reference = json.loads((CDNOW / "reference_values.json").read_text())
    fit = fetch(cdnow, "select * from marts.fct_clv_model_fit")
    estimates = {(row.model, row.parameter): row.estimate for row in fit.itertuples()}
    log_likelihood = fit.groupby("model")["log_likelihood"].first()
    bg = reference["bg_nbd"]["published"]
    for name in ("r", "alpha", "a", "b"):
        assert estimates["bg_nbd", name] == pytest.approx(bg[name], abs=0.005), name
    assert log_likelihood["bg_nbd"] == pytest.approx(bg["log_likelihood"], abs=0.1)
    gg = reference["gamma_gamma"]["published"]
    for name, tolerance in (("p", 0.02), ("q", 0.02), ("gamma", 0.05)):
        assert estimates["gamma_gamma", name] == pytest.approx(gg[name], abs=tolerance), name
    pnbd = reference["pareto_nbd"]["published"]
    for name, rtol in (("r", 1e-3), ("alpha", 1e-3), ("s", 1e-2), ("beta", 1e-2)):
        assert estimates["pareto_nbd", name] == pytest.approx(pnbd[name], rel=rtol), name
    assert log_likelihood["pareto_nbd"] == pytest.approx(pnbd["log_likelihood"], abs=0.1)
    assert set(fit["time_unit"]) == {"weeks", "none"}
    assert fit["is_converged"].all()


def test_dbt_cdnow_inputs_and_scores_cover_every_customer(cdnow):
    # 2,357 customers, 2,457 repeat occasions, 946 repeat buyers; single buyers alive (= 1).
    inputs = fetch(cdnow, "select * from marts.fct_clv_inputs")
    assert len(inputs) == 2357
    assert inputs["repeat_purchases"].sum() == 2457
    assert (inputs["repeat_purchases"] > 0).sum() == 946
    scores = fetch(cdnow, "select * from marts.fct_customer_clv")
    assert len(scores) == 2357
    single = scores["repeat_purchases"] == 0
    assert (scores.loc[single, "p_alive"] == 1).all()
    assert (scores.loc[single, "p_alive_basis"] == "single_purchase_by_definition").all()
    assert scores.loc[~single, "p_alive"].lt(1).all()


def test_dbt_cdnow_worked_example_customer(cdnow):
    # Sample customer 1 (master id 00004) is the paper's x = 2, t_x = 30.43, T = 38.86.
    inputs = fetch(cdnow, "select * from marts.fct_clv_inputs where customer_id = '00004'")
    assert inputs.loc[0, "repeat_purchases"] == 2
    assert inputs.loc[0, "days_first_to_last_purchase"] / 7 == pytest.approx(30.43, abs=0.005)
    assert inputs.loc[0, "days_since_first_purchase"] / 7 == pytest.approx(38.86, abs=0.005)
    scores = fetch(cdnow, "select p_alive from marts.fct_customer_clv where customer_id = '00004'")
    assert scores.loc[0, "p_alive"] == pytest.approx(0.7266, abs=2e-3)


# --- a small hand-made bank ------------------------------------------------------------------

# (customer, day offset from 2024-01-01, signed amount, category). Purchases are negative.
HAND_ROWS = [
    # A: two purchases on day 0 (one occasion), then days 9 and 31; a refund on day 35.
    ("A", 0, -10.00, "groceries"),
    ("A", 0, -5.00, "dining"),
    ("A", 9, -20.00, "fuel"),
    ("A", 31, -30.00, "travel"),
    ("A", 35, 10.00, "refund"),
    # B: one purchase only.
    ("B", 4, -12.00, "groceries"),
    # C: refunds after the first day outweigh the repeat purchases (net -3.00).
    ("C", 1, -10.00, "groceries"),
    ("C", 19, -5.00, "dining"),
    ("C", 24, 8.00, "refund"),
    # D: no purchase at all, a salary and a bill.
    ("D", 3, 1000.00, "salary"),
    ("D", 5, -50.00, "utilities"),
    # E: the first purchase refunded the same day (not counted in repeat spend), one repeat.
    ("E", 2, -40.00, "groceries"),
    ("E", 2, 40.00, "refund"),
    ("E", 14, -25.00, "dining"),
]
# By hand, as of 2024-06-30 (day 181): customer -> (x, t_x days, T days, repeat spend).
HAND_SUMMARY = {
    "A": (2, 31, 181, 40.00),
    "B": (0, 0, 177, 0.00),
    "C": (1, 18, 180, -3.00),
    "E": (1, 12, 179, 25.00),
}


def _crowd_rows(customers: int, seed: int) -> list[tuple[str, int, float, str]]:
    """Purchases of simulated customers (about 1 a month, some stop), so that fits exist."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(customers):
        start = int(rng.integers(0, 60))
        rate = rng.gamma(1.0, 1 / 30.0)
        stop = start + int(rng.exponential(200))
        day = start
        while day <= min(stop, 181):
            rows.append((f"S{i:03d}", day, -round(float(rng.gamma(4.0, 10.0)), 2), "groceries"))
            day += 1 + int(rng.exponential(1 / max(rate, 1e-3)))
    return rows


def _write_bank(warehouse: Path) -> None:
    rows = HAND_ROWS + _crowd_rows(300, seed=3)
    frame = pd.DataFrame(
        {
            "transaction_id": [f"T{i:05d}" for i in range(len(rows))],
            "account_id": None,
            "customer_id": [row[0] for row in rows],
            "booked_at": [datetime(2024, 1, 1, 12) + timedelta(days=row[1]) for row in rows],
            "amount": [row[2] for row in rows],
            "currency": "EUR",
            "channel": "pos",
            "category": [row[3] for row in rows],
            "order_id": None,
        }
    )
    con = duckdb.connect(str(warehouse))
    try:
        create_raw_schema(con)
        con.register("hand_rows", frame)
        con.execute(
            "insert into raw.transactions select transaction_id, account_id, customer_id, "
            "booked_at, cast(amount as decimal(18, 2)), currency, channel, category, order_id "
            "from hand_rows"
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def bank(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("clv_bank")
    warehouse = folder / "finseg.duckdb"
    _write_bank(warehouse)
    run_dbt(folder, warehouse, {"as_of_date": AS_OF.isoformat()})
    return folder, warehouse


def test_dbt_inputs_match_the_hand_computed_summary(bank):
    # Same-day purchases are one occasion, refunds are none and reduce repeat spend only when
    # booked after the first day; D, without purchases, has no row.
    _, warehouse = bank
    inputs = fetch(
        warehouse,
        "select * from marts.fct_clv_inputs where customer_id in ('A', 'B', 'C', 'D', 'E')",
    ).set_index("customer_id")
    assert set(inputs.index) == set(HAND_SUMMARY)
    for customer, (x, t_x, age, spend) in HAND_SUMMARY.items():
        row = inputs.loc[customer]
        got = (row.repeat_purchases, row.days_first_to_last_purchase)
        assert got + (row.days_since_first_purchase,) == (x, t_x, age), customer
        assert float(row.repeat_spend) == pytest.approx(spend), customer
    assert float(inputs.loc["A", "mean_repeat_spend"]) == 20.00
    assert float(inputs.loc["A", "first_purchase_spend"]) == 15.00


def test_dbt_scores_state_how_each_customer_was_scored(bank):
    # B: alive by definition; C: population mean spend (net refunds); D: no purchases, nulls.
    _, warehouse = bank
    scores = fetch(warehouse, "select * from marts.fct_customer_clv").set_index("customer_id")
    customers = fetch(warehouse, "select customer_id from marts.dim_customers")
    assert len(scores) == len(customers)
    assert scores.loc["B", "p_alive"] == 1.0
    assert scores.loc["B", "p_alive_basis"] == "single_purchase_by_definition"
    assert scores.loc["C", "spend_estimate_source"] == "population_mean_non_positive_repeat_spend"
    assert (
        scores.loc["C", "expected_spend_per_purchase"]
        == scores.loc["B", "expected_spend_per_purchase"]
    )
    assert scores.loc["A", "spend_estimate_source"] == "conditional"
    assert scores.loc["D", "p_alive_basis"] == "no_purchases"
    assert pd.isna(scores.loc["D", "p_alive"]) and pd.isna(scores.loc["D", "clv_36m"])


def test_dbt_money_columns_are_decimal(bank):
    # Expected spend and CLV are DECIMAL(18,2), counts BIGINT; no DOUBLE holds money.
    _, warehouse = bank
    types = fetch(
        warehouse,
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = 'fct_customer_clv'",
    ).set_index("column_name")["data_type"]
    for column in ("expected_spend_per_purchase", "expected_spend_12m", "clv_36m", "clv_36m_lower"):
        assert types[column] == "DECIMAL(18,2)", column
    assert types["repeat_purchases"] == "BIGINT"


def test_dbt_vars_reach_the_python_models(bank):
    # Days instead of weeks multiply alpha by 7; a horizon of 6 months renames the columns;
    # Pareto/NBD drives the scores when chosen. Last in this file: it rebuilds the shared
    # warehouse with other vars.
    folder, warehouse = bank
    weeks = fetch(warehouse, "select * from marts.fct_clv_model_fit")
    run_dbt(
        folder,
        warehouse,
        {
            "as_of_date": AS_OF.isoformat(),
            "clv_time_unit": "days",
            "clv_horizons_months": [6],
            "clv_transaction_model": "pareto_nbd",
        },
        "--select",
        "fct_clv_model_fit",
        "fct_customer_clv",
    )
    days = fetch(warehouse, "select * from marts.fct_clv_model_fit")
    alpha = {
        frame["time_unit"].iloc[0]: frame.set_index(["model", "parameter"])["estimate"]
        for frame in (weeks, days)
    }
    assert alpha["days"]["bg_nbd", "alpha"] == pytest.approx(
        7 * alpha["weeks"]["bg_nbd", "alpha"], rel=1e-3
    )
    assert alpha["days"]["bg_nbd", "r"] == pytest.approx(alpha["weeks"]["bg_nbd", "r"], rel=1e-3)
    scores = fetch(warehouse, "select * from marts.fct_customer_clv")
    assert {"expected_purchases_6m", "clv_6m", "clv_6m_upper"} <= set(scores.columns)
    assert "clv_36m" not in scores.columns
    assert set(scores["transaction_model"]) == {"pareto_nbd"}
