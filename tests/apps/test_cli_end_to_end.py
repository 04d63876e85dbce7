"""End to end through the `finseg` command: raw data -> dbt build -> segments, on a temp warehouse.

These run the real pipeline (generator or loader, then `dbt build` with every test), so they are
marked slow; CI runs them all the same.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from apps.cli import app
from apps.warehouse import project_root

SHARED_DATA = project_root().parent / "shared" / "data"
ONLINE_RETAIL = SHARED_DATA / "online_retail" / "online_retail.csv.gz"
CDNOW = SHARED_DATA / "cdnow" / "CDNOW_master.txt.gz"

pytestmark = pytest.mark.slow


@pytest.fixture
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse, dbt target and log folder of this test's own, so tests can run side by side."""
    warehouse = tmp_path / "finseg.duckdb"
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    return warehouse


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(app, list(args), env=dict(os.environ))
    assert result.exit_code == 0, f"finseg {' '.join(args)} failed:\n{result.output}"
    return result.output


def _assert_every_customer_has_one_segment(con: duckdb.DuckDBPyConnection) -> None:
    customers = con.execute("select count(*) from marts.dim_customers").fetchone()[0]
    segmented = con.execute(
        "select count(*), count(distinct customer_id), count(segment_id) "
        "from marts.fct_customer_segments"
    ).fetchone()
    assert customers > 0
    assert segmented == (customers, customers, customers)
    sizes = con.execute("select sum(customers), sum(share) from marts.dim_segments").fetchone()
    assert sizes[0] == customers
    assert sizes[1] == pytest.approx(1.0)


def _assert_loads_reconcile(con: duckdb.DuckDBPyConnection) -> None:
    unreconciled = con.execute(
        "select * from marts.fct_load_reconciliation "
        "where not is_reconciled or rows_read <> rows_loaded + rows_quarantined"
    ).fetchall()
    assert unreconciled == []


def test_synthetic_bank_builds_to_segments(isolated_env: Path) -> None:
    """A small synthetic bank goes through generate + dbt build to one segment per customer."""
    output = _invoke("run", "--customers", "600", "--months", "12", "--seed", "7")
    assert "Segmentation:" in output
    with duckdb.connect(str(isolated_env), read_only=True) as con:
        _assert_every_customer_has_one_segment(con)
        _assert_loads_reconcile(con)
        raw_customers = con.execute("select count(*) from raw.customers").fetchone()[0]
        assert raw_customers == 600
        chosen = con.execute(
            "select k from marts.fct_segment_model_selection where is_chosen"
        ).fetchall()
        assert len(chosen) == 1
        # Segment ids run 1..k for active customers; 0 is kept for customers without activity.
        ids = {
            row[0] for row in con.execute("select segment_id from marts.dim_segments").fetchall()
        }
        assert set(range(1, chosen[0][0] + 1)) <= ids
        _assert_exports_match(con, isolated_env.parent / "exports")


def _assert_exports_match(con: duckdb.DuckDBPyConnection, exports: Path) -> None:
    """Every exported Parquet file holds the rows that its mart holds, as the manifest says."""
    manifest = json.loads((exports / "manifest.json").read_text())
    assert "fct_customer_segments" in manifest["marts"]
    for mart, entry in manifest["marts"].items():
        in_warehouse = con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
        in_parquet = con.execute(
            "select count(*) from read_parquet(?)", [str(exports / entry["file"])]
        ).fetchall()[0][0]
        assert entry["rows"] == in_warehouse == in_parquet, mart


def test_cli_build_rejects_unknown_var(isolated_env: Path) -> None:
    """A typo in a var name is an error that names it, not a silently ignored setting."""
    result = CliRunner().invoke(app, ["build", "--var", "k_maxx=4"], env=dict(os.environ))
    assert result.exit_code != 0
    assert "k_maxx" in result.output


@pytest.mark.skipif(not ONLINE_RETAIL.exists(), reason=f"needs {ONLINE_RETAIL}")
def test_online_retail_loads_and_builds(isolated_env: Path) -> None:
    """The real, dirty Online Retail log loads with quarantine and builds to segments."""
    _invoke("load", "online_retail", str(ONLINE_RETAIL))
    _invoke("build")
    with duckdb.connect(str(isolated_env), read_only=True) as con:
        _assert_loads_reconcile(con)
        read, loaded, quarantined = con.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_quarantined) "
            "from marts.fct_load_reconciliation where target_table = 'transactions'"
        ).fetchone()
        assert read == 541_909
        assert loaded + quarantined == read
        missing_customer = con.execute(
            "select count(*) from raw.quarantine where reason ilike '%customer%'"
        ).fetchone()[0]
        assert missing_customer == 135_080
        # 4,372 customer ids occur; one of them has only zero-price lines, all quarantined.
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] == 4_371
        _assert_every_customer_has_one_segment(con)


@pytest.mark.skipif(not CDNOW.exists(), reason=f"needs {CDNOW}")
def test_cdnow_loads_and_builds(isolated_env: Path) -> None:
    """CDNOW's 69,659 purchases of 23,570 customers load and build to segments."""
    _invoke("load", "cdnow", str(CDNOW))
    _invoke("build")
    with duckdb.connect(str(isolated_env), read_only=True) as con:
        _assert_loads_reconcile(con)
        assert con.execute("select count(*) from raw.transactions").fetchone()[0] == 69_659
        assert con.execute("select count(*) from marts.dim_customers").fetchone()[0] == 23_570
        _assert_every_customer_has_one_segment(con)
