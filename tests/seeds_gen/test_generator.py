"""The synthetic bank's core properties: determinism, keys, reconciliation, the contract."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest

from seeds_gen.contract import CATEGORIES, CHANNELS, PRODUCTS, RAW_TABLES
from seeds_gen.generator import PERSONA_NAMES, BankConfig, DirtyData, write_synthetic_bank
from seeds_gen.generator.bank import iter_chunks

SMALL = {"customers": 600, "months": 12, "block_customers": 200, "chunk_customers": 400}
TABLES = (
    "raw.customers",
    "raw.accounts",
    "raw.transactions",
    "raw.balances",
    "raw.load_reconciliation",
    "raw_truth.customer_personas",
    "raw_truth.customer_churn",
    "raw_truth.customer_purchase_process",
    "raw_truth.planted_parameters",
    "raw_truth.generator_settings",
)


def generate(path, **settings) -> tuple[duckdb.DuckDBPyConnection, dict[str, int]]:
    con = duckdb.connect(str(path))
    counts = write_synthetic_bank(con, BankConfig(**(SMALL | settings)))
    return con, counts


def table_contents(con: duckdb.DuckDBPyConnection) -> dict:
    """Every generated table as Arrow, in stored row order."""
    return {name: con.sql(f"select * from {name}").to_arrow_table() for name in TABLES}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    con, counts = generate(tmp_path_factory.mktemp("bank") / "bank.duckdb", seed=11)
    yield con, counts
    con.close()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def test_same_seed_gives_identical_tables(tmp_path):
    # Two runs with the same config write the same rows in the same order, table by table.
    first, _ = generate(tmp_path / "a.duckdb", seed=3)
    second, _ = generate(tmp_path / "b.duckdb", seed=3)
    a, b = table_contents(first), table_contents(second)
    for name in TABLES:
        assert a[name].equals(b[name]), name


def test_different_seed_gives_different_tables(tmp_path):
    # Another seed draws other customers and other transactions.
    first, _ = generate(tmp_path / "a.duckdb", seed=3)
    second, _ = generate(tmp_path / "b.duckdb", seed=4)
    a, b = table_contents(first), table_contents(second)
    assert not a["raw.transactions"].equals(b["raw.transactions"])
    assert not a["raw.customers"].equals(b["raw.customers"])


def test_chunk_size_does_not_change_output(tmp_path):
    # One block per chunk, or all blocks in one chunk: the same tables.
    small, _ = generate(tmp_path / "a.duckdb", seed=5, chunk_customers=200)
    whole, _ = generate(tmp_path / "b.duckdb", seed=5, chunk_customers=10_000)
    a, b = table_contents(small), table_contents(whole)
    for name in TABLES:
        assert a[name].equals(b[name]), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_keys_unique_and_foreign_keys_resolve(tmp_path, seed):
    # Every key is unique and every reference points at an existing row, whatever the seed.
    con, _ = generate(tmp_path / "bank.duckdb", seed=seed)
    for table in RAW_TABLES.values():
        key = ", ".join(table.key)
        duplicates = scalar(
            con, f"select count(*) from (select {key} from raw.{table.name} "
            f"group by all having count(*) > 1)"
        )
        assert duplicates == 0, table.name
        nulls = " or ".join(f"{column} is null" for column in table.key)
        assert scalar(con, f"select count(*) from raw.{table.name} where {nulls}") == 0
    dangling = {
        "accounts.customer_id": "select count(*) from raw.accounts "
        "anti join raw.customers using (customer_id)",
        "transactions.account_id": "select count(*) from raw.transactions "
        "anti join raw.accounts using (account_id)",
        "transactions.customer_id": "select count(*) from raw.transactions "
        "anti join raw.customers using (customer_id)",
        "transactions account owner": "select count(*) from raw.transactions t "
        "join raw.accounts a using (account_id) where a.customer_id <> t.customer_id",
        "balances.account_id": "select count(*) from raw.balances "
        "anti join raw.accounts using (account_id)",
        "personas": "select count(*) from raw.customers "
        "anti join raw_truth.customer_personas using (customer_id)",
        "order_id": "select count(*) from raw.transactions where order_id is not null "
        "and 'T' || substr(order_id, 2) not in (select transaction_id from raw.transactions)",
    }
    for name, sql in dangling.items():
        assert scalar(con, sql) == 0, name


def test_balances_reconcile_with_transactions(bank):
    # Month-end balance = previous month end + the month's signed amounts, for every account and
    # month; an account's first row is the sum of its first month, unless it is the opening
    # snapshot of an account held before the window.
    con, _ = bank
    window_start = scalar(
        con, "select cast(value as date) from raw_truth.generator_settings "
        "where setting = 'window_start_date'"
    )
    sql = """
        with rows_numbered as (
            select
                account_id, month_end_date, balance,
                lag(balance) over (partition by account_id order by month_end_date) as previous,
                lag(month_end_date) over (partition by account_id order by month_end_date)
                    as previous_date
            from raw.balances
        ),
        flows as (
            select account_id, last_day(cast(booked_at as date)) as month_end_date,
                sum(amount) as flow
            from raw.transactions
            group by all
        ),
        joined as (
            select rows_numbered.*, coalesce(flows.flow, 0) as flow
            from rows_numbered
            left join flows using (account_id, month_end_date)
        )
        select
            count(*) filter (where previous is not null and balance <> previous + flow),
            count(*) filter (where previous is null and month_end_date >= ? and balance <> flow),
            count(*) filter (where previous is not null
                             and previous_date <> last_day(month_end_date - interval 1 month)),
            count(*)
        from joined
    """
    bad_next, bad_first, gaps, rows = con.execute(sql, [window_start]).fetchone()
    assert rows > 0
    assert (bad_next, bad_first, gaps) == (0, 0, 0)
    # No transaction falls in a month without a balance row of its account.
    orphans = scalar(con, """
        select count(*) from (
            select distinct account_id, last_day(cast(booked_at as date)) as month_end_date
            from raw.transactions
        ) anti join raw.balances using (account_id, month_end_date)
    """)
    assert orphans == 0


def test_transactions_follow_the_contract(bank):
    # Purchases are negative, in the purchase categories, at pos/online/mobile; refunds are
    # positive; every channel and category is in the contract; money has two decimals.
    con, _ = bank
    purchase = "category in ('groceries', 'dining', 'travel', 'fuel', 'other')"
    assert scalar(con, f"select count(*) from raw.transactions where {purchase}") > 1000
    checks = {
        "purchase sign": f"{purchase} and amount >= 0",
        "purchase channel": f"{purchase} and channel not in ('pos', 'online', 'mobile')",
        "refund sign": "category = 'refund' and amount <= 0",
        "category": f"category not in {tuple(CATEGORIES)}",
        "channel": f"channel not in {tuple(CHANNELS)}",
        "currency": "currency <> 'EUR'",
        "null amount": "amount is null or booked_at is null",
    }
    for name, condition in checks.items():
        assert scalar(con, f"select count(*) from raw.transactions where {condition}") == 0, name
    assert scalar(con, f"select count(*) from raw.accounts where product not in {PRODUCTS}") == 0
    types = dict(con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = 'transactions'"
    ).fetchall())
    assert types["amount"] == "DECIMAL(18,2)" and types["transaction_id"] == "VARCHAR"


def test_transactions_are_written_in_customer_and_time_order(bank):
    # Stored order: customer, then booked_at (what makes later aggregation cheap).
    con, _ = bank
    customer, booked = con.execute(
        "select customer_id, epoch(booked_at) from raw.transactions"
    ).fetchnumpy().values()
    same = customer[1:] == customer[:-1]
    assert (customer[1:] >= customer[:-1]).all()
    assert (booked[1:][same] >= booked[:-1][same]).all()


def test_history_covers_the_window_and_customers_join_across_it(bank):
    # Transactions lie in the months ending at end_date; joining dates spread over the window.
    con, _ = bank
    first, last = con.execute(
        "select min(booked_at), max(booked_at) from raw.transactions"
    ).fetchone()
    assert first.date() >= date(2025, 1, 1) and last.date() <= date(2025, 12, 31)
    joined_in_window = con.execute(
        "select count(distinct month(joined_date)) from raw.customers "
        "where joined_date >= '2025-01-01'"
    ).fetchone()[0]
    assert joined_in_window == 12
    assert scalar(con, "select count(*) from raw.customers where joined_date < '2025-01-01'") > 0


def test_load_reconciliation_has_one_row_per_raw_table(bank):
    # rows_read = rows_loaded = rows in the table; nothing quarantined; the documented load id.
    con, counts = bank
    rows = con.execute(
        "select target_table, load_id, source_file, rows_read, rows_loaded, rows_quarantined "
        "from raw.load_reconciliation order by target_table"
    ).fetchall()
    assert [row[0] for row in rows] == sorted(RAW_TABLES)
    for table, load_id, source, read, loaded, quarantined in rows:
        assert load_id == "synthetic-seed11-c600-m12" and source == "synthetic"
        in_raw = scalar(con, f"select count(*) from raw.{table}")
        assert read == loaded == in_raw == counts[table] and quarantined == 0


def test_truth_covers_every_customer_and_persona(bank):
    # One persona and one churn row per customer; BG/NBD and Gamma-Gamma parameters per persona.
    con, counts = bank
    assert counts["customer_personas"] == counts["customers"] == 600
    personas = {row[0] for row in con.execute(
        "select distinct persona from raw_truth.customer_personas").fetchall()}
    assert personas == set(PERSONA_NAMES)
    planted = con.execute(
        "select model, count(distinct persona), count(*) from raw_truth.planted_parameters "
        "group by model order by model"
    ).fetchall()
    assert planted == [("bg_nbd", 7, 28), ("churn", 7, 14), ("gamma_gamma", 7, 21), ("mix", 7, 7)]
    assert scalar(con, "select count(*) from raw_truth.customer_churn") == 600
    assert scalar(con, "select count(*) from raw_truth.customer_purchase_process") == 600


def test_progress_is_reported_after_every_chunk(tmp_path):
    # progress(done, total) after each chunk, ending at the total.
    calls = []
    con = duckdb.connect(str(tmp_path / "bank.duckdb"))
    write_synthetic_bank(con, BankConfig(**SMALL), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(400, 600), (600, 600)]


def test_generating_again_replaces_the_dataset(tmp_path):
    # A second load replaces the first (no doubling), with the second config's sizes.
    con, _ = generate(tmp_path / "bank.duckdb", seed=1)
    write_synthetic_bank(con, BankConfig(**(SMALL | {"customers": 300})))
    assert scalar(con, "select count(*) from raw.customers") == 300
    assert scalar(con, "select count(*) from raw.load_reconciliation") == 4


def test_failed_generation_leaves_the_previous_dataset(tmp_path):
    # Everything is one transaction: an error in a progress callback rolls the new load back.
    con, counts = generate(tmp_path / "bank.duckdb", seed=1)

    def fail(done, total):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        write_synthetic_bank(con, BankConfig(**(SMALL | {"customers": 300})), progress=fail)
    assert scalar(con, "select count(*) from raw.customers") == counts["customers"]


def test_dirty_switches_damage_rows_and_leave_the_rest_unchanged(tmp_path):
    # Each switch damages about its rate of rows, logged in raw_truth.dirty_transactions; the
    # undamaged rows are exactly the rows of the clean bank with the same seed.
    dirty = DirtyData(0.01, 0.01, 0.01, 0.01, 0.01)
    clean_con, clean = generate(tmp_path / "clean.duckdb", seed=9)
    con, counts = generate(tmp_path / "dirty.duckdb", seed=9, dirty=dirty)
    kinds = dict(con.execute(
        "select kind, count(*) from raw_truth.dirty_transactions group by kind").fetchall())
    assert set(kinds) == {"duplicate", "late_arrival", "null_amount", "future_dated",
                          "unknown_category"}
    for kind, rows in kinds.items():
        assert 0.005 < rows / clean["transactions"] < 0.02, kind
    assert counts["transactions"] == clean["transactions"] + kinds["duplicate"]

    duplicated = scalar(con, "select count(*) from (select transaction_id from raw.transactions "
                             "group by all having count(*) > 1)")
    assert duplicated == kinds["duplicate"]
    distinct_rows = scalar(con, "select count(*) from (select distinct * from raw.transactions)")
    assert distinct_rows == clean["transactions"]  # duplicates are identical deliveries
    damaged_ids = {
        "null_amount": "amount is null",
        "future_dated": "booked_at >= '2026-01-01'",
        "unknown_category": f"category not in {tuple(CATEGORIES)}",
    }
    for kind, condition in damaged_ids.items():
        ids = scalar(con, f"select count(distinct transaction_id) from raw.transactions "
                          f"where {condition}")
        assert ids == kinds[kind], kind

    con.close()
    clean_con.execute(f"attach '{tmp_path / 'dirty.duckdb'}' as dirty_db (read_only)")
    changed = scalar(clean_con, """
        select count(*) from (
            select * from raw.transactions
            anti join dirty_db.raw_truth.dirty_transactions using (transaction_id)
            except
            select * from dirty_db.raw.transactions
        )
    """)
    assert changed == 0


def test_late_rows_are_written_after_the_others(tmp_path):
    # Late deliveries sit at the end of raw.transactions, out of customer order.
    con, _ = generate(tmp_path / "bank.duckdb", seed=2, dirty=DirtyData(late_arrival_rate=0.01))
    ids = con.execute("select transaction_id from raw.transactions").fetchnumpy()["transaction_id"]
    late = {row[0] for row in con.execute(
        "select transaction_id from raw_truth.dirty_transactions").fetchall()}
    positions = np.flatnonzero(np.isin(ids, list(late)))
    assert len(positions) == len(late) > 0
    assert positions.min() >= len(ids) - len(late)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"end_date": date(2025, 12, 30)}, "month end"),
        ({"months": 0}, "months"),
        ({"customers": 0}, "customers"),
        ({"persona_mix": {"astronaut": 1.0}}, "unknown personas"),
        ({"persona_mix": {"retiree": 0.0}}, "positive sum"),
        ({"chunk_customers": 0}, "chunk_customers"),
    ],
)
def test_config_rejects_bad_settings(settings, message):
    # Settings are checked when the config is built, with a message saying what to fix.
    with pytest.raises(ValueError, match=message):
        BankConfig(**settings)


def test_dirty_rates_are_bounded():
    # A damage rate above 20% is refused, naming the switch.
    with pytest.raises(ValueError, match="null_amount_rate"):
        DirtyData(null_amount_rate=0.5)


def test_config_defaults_match_the_documented_bank():
    # The default bank: 10,000 customers, 24 months to 2025-12-31, seed 42, no dirt.
    config = BankConfig()
    assert (config.customers, config.months, config.seed) == (10_000, 24, 42)
    assert config.end_date == date(2025, 12, 31)
    assert config.load_id == "synthetic-seed42-c10000-m24"
    assert not config.dirty.enabled
    assert abs(sum(config.shares.values()) - 1) < 1e-12


def test_iter_chunks_yields_blocks_in_customer_order():
    # Chunks hold consecutive blocks; customer numbers run from 1 without gaps.
    config = BankConfig(**(SMALL | {"customers": 450}))
    numbers = np.concatenate([
        block.customers["number"] for blocks in iter_chunks(config) for block in blocks
    ])
    assert (numbers == np.arange(1, 451)).all()
