"""The SQL page's query runner, without Streamlit: what it refuses, with which message, and the
limits it keeps (rows, time). Each test builds its own tiny warehouse in tmp_path."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from explorer_warehouse import build_warehouse

from apps.explorer import sql_runner
from apps.explorer.sql_runner import (
    QueryFailedError,
    QueryRefusedError,
    QueryTimeoutError,
    WarehouseBusyError,
    check_sql,
    hide_paths,
    read_only_connection,
    run_sql,
)

SHOWN = "warehouse/finseg.duckdb"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One warehouse for the module's read-only tests (nothing here can write to it)."""
    return build_warehouse(tmp_path_factory.mktemp("sql") / "finseg.duckdb")


@pytest.fixture
def own_warehouse(tmp_path: Path) -> Path:
    """A warehouse of the test's own, for tests that lock or write it."""
    return build_warehouse(tmp_path / "finseg.duckdb")


def test_select_returns_rows(warehouse: Path) -> None:
    """A plain SELECT returns its rows: the hand-made warehouse has 8 customers in 3 segments."""
    result = run_sql(
        warehouse,
        "select segment_id, count(*) as customers from marts.fct_customer_segments "
        "group by segment_id order by segment_id",
    )
    assert result.frame.to_dict("list") == {"segment_id": [0, 1, 2], "customers": [1, 4, 3]}
    assert not result.truncated


@pytest.mark.parametrize(
    "sql",
    [
        "from marts.dim_segments;",
        "with active as (select * from marts.dim_customers where has_activity) "
        "select count(*) from active",
        "describe marts.dim_segments",
        "summarize marts.fct_customer_rfm",
        "show all tables",
        "select * from duckdb_tables()",
        "select * from range(3)",
        "select * from information_schema.columns where table_schema = 'marts'",
        "pivot marts.dim_segments on segment_id in (1, 2) using sum(customers)",
        "-- a comment first\nselect 1",
    ],
)
def test_read_only_forms_are_allowed(warehouse: Path, sql: str) -> None:
    """Every way of reading (FROM-first, WITH, DESCRIBE, SUMMARIZE, SHOW, catalog functions)."""
    assert len(run_sql(warehouse, sql).frame) > 0


# Statement, then a piece of the message that says why it was refused.
REFUSED = [
    ("insert into marts.dim_segments (segment_id) values (9)", "INSERT changes the warehouse"),
    ("update marts.dim_customers set region = 'x'", "UPDATE changes the warehouse"),
    ("delete from marts.dim_customers", "DELETE changes the warehouse"),
    ("create table marts.copy as select 1", "CREATE changes the warehouse"),
    ("create temp table scratch (a int)", "CREATE changes the warehouse"),
    ("create macro twice(x) as 2 * x", "CREATE changes the warehouse"),
    ("drop table marts.dim_segments", "DROP changes the warehouse"),
    ("alter table marts.dim_segments add column x int", "ALTER changes the warehouse"),
    ("vacuum", "VACUUM and ANALYZE"),
    ("checkpoint", "CALL is not allowed"),
    ("begin transaction", "BEGIN, COMMIT and ROLLBACK"),
    ("attach '/tmp/other.duckdb' as other", "ATTACH is not allowed"),
    ("attach ':memory:' as scratch", "ATTACH is not allowed"),
    ("detach finseg", "DETACH is not allowed"),
    ("copy marts.dim_customers to '/tmp/customers.csv'", "COPY and EXPORT"),
    ("copy marts.dim_customers from '/tmp/customers.csv'", "COPY and EXPORT"),
    ("export database '/tmp/dump'", "COPY and EXPORT"),
    ("install httpfs", "INSTALL and LOAD"),
    ("load httpfs", "INSTALL and LOAD"),
    ("select * from read_csv('/etc/passwd')", "`read_csv` reads files"),
    ("select * from read_parquet('marts.parquet')", "`read_parquet` reads files"),
    ("select * from read_text('/etc/hostname')", "`read_text` reads files"),
    ("select count(*) from glob('/*')", "`glob` reads files"),
    ("select * from '/etc/passwd'", "reads a file by its name"),
    ("from 'customers.csv'", "reads a file by its name"),
    ("with f as (from read_json('a.json')) select * from f", "`read_json` reads files"),
    ("set threads = 1", "settings are locked"),
    ("set enable_external_access = true", "settings are locked"),
    ("reset memory_limit", "settings are locked"),
    ("pragma threads = 1", "settings are locked"),
    ("pragma database_list", "settings are locked"),
    ("use marts", "settings are locked"),
    ("select current_setting('temp_directory')", "shows how this machine is set up"),
    ("select * from duckdb_settings()", "shows how this machine is set up"),
    ("select path from duckdb_databases()", "shows how this machine is set up"),
    ("select * from duckdb_databases", "shows how this machine is set up"),
    ("select * from pragma_database_list", "shows how this machine is set up"),
    ("select * from pg_catalog.pg_settings", "shows how this machine is set up"),
    ("select * from duckdb_extensions()", "shows how this machine is set up"),
    ("select * from query('select 1')", "runs SQL given as text"),
    ("select * from query_table('marts.dim_segments')", "runs SQL given as text"),
    ("select * from test_all_types()", "`test_all_types` is not available"),
    ("pivot marts.dim_segments on segment_id using sum(customers)", "PIVOT without the list"),
    ("explain select 1", "only SELECT queries run here"),
    ("select 1; drop table marts.dim_segments", "one statement at a time (found 2)"),
    ("   ;  ", "Type a query first"),
]


@pytest.mark.parametrize(("sql", "reason"), REFUSED, ids=[sql for sql, _ in REFUSED])
def test_statement_is_refused_with_a_message(warehouse: Path, sql: str, reason: str) -> None:
    """Writes, ATTACH, COPY, INSTALL/LOAD, files, settings, machine set-up: refused, saying why,
    naming no path of the machine, and the warehouse is unchanged."""
    with pytest.raises(QueryRefusedError) as refused:
        run_sql(warehouse, sql, shown_path=SHOWN)
    message = str(refused.value)
    assert reason in message
    assert "/" not in message.replace(SHOWN, "").replace("LOAD", "")  # no path of the machine
    assert run_sql(warehouse, "select count(*) as n from marts.dim_segments").frame["n"][0] == 3


# Statements the connection itself must refuse even if check_sql had let them through.
UNCHECKED = [
    "create table marts.x (a int)",
    "insert into marts.dim_segments (segment_id) values (9)",
    "attach '{tmp}/other.duckdb' as other",
    "copy (select 1) to '{tmp}/out.csv'",
    "select * from read_csv('{tmp}/finseg.duckdb')",
    "install httpfs",
    "load httpfs",
    "set enable_external_access = true",
    "set memory_limit = '100GB'",
    "reset lock_configuration",
    "select * from secret_frame",  # a Python variable in scope: replacement scans are off
]


@pytest.mark.parametrize("sql", UNCHECKED)
def test_connection_refuses_without_the_check(warehouse: Path, sql: str) -> None:
    """Behind the check, DuckDB's own settings (read-only, no external access, locked
    configuration) refuse the same statements."""
    secret_frame = pd.DataFrame({"secret": [1]})  # noqa: F841 - what the query must not see
    with read_only_connection(warehouse) as connection, pytest.raises(duckdb.Error):
        connection.execute(sql.format(tmp=warehouse.parent)).fetchall()
    assert not (warehouse.parent / "out.csv").exists()
    assert not (warehouse.parent / "other.duckdb").exists()


def test_rows_are_capped(warehouse: Path) -> None:
    """A result longer than the cap stops at the cap and says so; one as long does not."""
    capped = run_sql(warehouse, "select * from range(25)", max_rows=10)
    assert len(capped.frame) == 10 and capped.truncated
    assert capped.frame["range"].tolist() == list(range(10))
    exact = run_sql(warehouse, "select * from range(10)", max_rows=10)
    assert len(exact.frame) == 10 and not exact.truncated
    assert sql_runner.MAX_ROWS >= 1_000


def test_heavy_query_is_cut_off_by_the_time_limit(own_warehouse: Path) -> None:
    """A cross join of two ranges of 1e9 rows (1e18 pairs) is interrupted at the time limit, and
    the warehouse is free again for a writer right after."""
    started = time.perf_counter()
    with pytest.raises(QueryTimeoutError, match="time limit of 1 s"):
        run_sql(
            own_warehouse,
            "select count(*) from range(1000000000) as a cross join range(1000000000) as b",
            time_limit=1.0,
        )
    # Without the limit the query would run for days; the bound only catches a missed interrupt.
    assert time.perf_counter() - started < 30
    with duckdb.connect(str(own_warehouse)) as writer:
        writer.execute("create table marts.after_timeout (a int)")


def test_a_fast_query_is_not_interrupted_later(warehouse: Path) -> None:
    """The timer of a finished query never fires into the next one."""
    for _ in range(3):
        run_sql(warehouse, "select 1", time_limit=0.05)
        time.sleep(0.1)
    assert run_sql(warehouse, "select 42 as answer", time_limit=5).frame["answer"][0] == 42


def test_errors_show_no_machine_path(warehouse: Path) -> None:
    """A failing query's message keeps DuckDB's explanation and hides the real path."""
    with pytest.raises(QueryFailedError) as failed:
        run_sql(warehouse, "select * from marts.no_such_mart", shown_path=SHOWN)
    assert "no_such_mart does not exist" in str(failed.value)
    assert str(warehouse.parent) not in str(failed.value)
    with pytest.raises(QueryFailedError) as syntax:
        run_sql(warehouse, "selec 1")
    assert "syntax error" in str(syntax.value) and "LINE 1" in str(syntax.value)
    with pytest.raises(QueryFailedError, match=f"No warehouse at `{SHOWN}`"):
        run_sql(warehouse.parent / "missing.duckdb", "select 1", shown_path=SHOWN)


def test_results_show_the_configured_path_only(warehouse: Path) -> None:
    """Should a value hold the warehouse's real path, the result shows the configured one."""
    result = run_sql(warehouse, f"select '{warehouse}' as file", shown_path=SHOWN)
    assert result.frame["file"][0] == SHOWN


def test_hide_paths_keeps_the_configured_path() -> None:
    """Absolute paths become <path>, the warehouse's resolved path its configured one."""
    text = 'Cannot open "/srv/data/finseg.duckdb" nor "/root/.duckdb/extensions", 1/0 and a / b'
    assert hide_paths(text, "/srv/data/finseg.duckdb", SHOWN) == (
        f'Cannot open "{SHOWN}" nor "<path>", 1/0 and a / b'
    )


def test_busy_warehouse_is_a_warning(own_warehouse: Path) -> None:
    """While another process holds the write lock, the runner says so instead of failing."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "sys.stdin.read()",
            str(own_warehouse),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(WarehouseBusyError) as busy:
            run_sql(own_warehouse, "select 1", shown_path=SHOWN)
        assert busy.value.severity == "warning"
    finally:
        holder.communicate("")


def test_check_needs_no_warehouse() -> None:
    """check_sql parses on its own: it returns the one statement to run."""
    assert check_sql("select 1 as one;").strip().startswith("select 1")
