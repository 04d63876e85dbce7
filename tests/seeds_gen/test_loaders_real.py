"""The shipped mappings on the real shared files: counts that PROVENANCE.md documents."""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from seeds_gen.loaders import LoadReport, load_files

# CI checks out ../shared beside the clone, as on a developer's machine.
DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
RETAIL = DATA / "online_retail" / "online_retail.csv.gz"
CDNOW = DATA / "cdnow" / "CDNOW_master.txt.gz"

pytestmark = pytest.mark.slow


def _needs(path: Path) -> pytest.MarkDecorator:
    return pytest.mark.skipif(
        not path.exists(),
        reason=f"{path.name} not found under {DATA.resolve()}: the shared data sets are "
        "expected in ../shared/data beside the repository",
    )


@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> tuple[duckdb.DuckDBPyConnection, LoadReport, float]:
    if not RETAIL.exists():
        pytest.skip(f"{RETAIL.name} not found under {DATA.resolve()}")
    con = duckdb.connect(str(tmp_path_factory.mktemp("retail") / "finseg.duckdb"))
    started = time.perf_counter()
    report = load_files(con, "online_retail", RETAIL)
    seconds = time.perf_counter() - started
    yield con, report, seconds
    con.close()


@_needs(RETAIL)
def test_online_retail_counts_reconcile_with_provenance(retail):
    # 541,909 lines: 135,080 without customer and 40 free lines quarantined, the rest loaded.
    con, report, _ = retail
    table = report["transactions"]
    assert (table.rows_read, table.rows_loaded, table.rows_quarantined) == (
        541_909,
        406_789,
        135_120,
    )
    assert table.quarantine_reasons == {
        "missing customer_id": 135_080,
        "unit price zero or negative": 40,
    }
    assert (
        con.execute(
            "select sum(rows_read - rows_loaded - rows_quarantined) from raw.load_reconciliation"
        ).fetchone()[0]
        == 0
    )
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 135_120


@_needs(RETAIL)
def test_online_retail_purchases_match_published_revenue(retail):
    # 397,884 purchase lines of 4,338 customers worth 8,911,407.90 GBP (PROVENANCE.md).
    con, _, _ = retail
    purchases = con.execute(
        "select count(*), count(distinct customer_id), sum(amount) from raw.transactions "
        "where category = 'other'"
    ).fetchone()
    assert purchases == (397_884, 4_338, Decimal("-8911407.90"))
    refunds = con.execute(
        "select count(*), min(amount) > 0 from raw.transactions where category = 'refund'"
    ).fetchone()
    assert refunds == (8_905, True)
    # Customers with a loaded line: 4,372 have an id, one of them only free lines.
    assert con.execute("select count(*) from raw.customers").fetchone()[0] == 4_371


@_needs(RETAIL)
def test_online_retail_row_numbers_follow_the_file(retail):
    # The first and last data rows keep their numbers (ids are invoice + row).
    con, _, _ = retail
    ends = con.execute(
        "select transaction_id, amount from raw.transactions "
        "where transaction_id in ('536365-1', '581587-541909') order by booked_at"
    ).fetchall()
    # Row 1: 6 x 2.55; row 541,909: 3 x 4.95 (the file's last line).
    assert ends == [("536365-1", Decimal("-15.30")), ("581587-541909", Decimal("-14.85"))]
    # June is British Summer Time: 07:37 on the invoice is 06:37 UTC.
    booked = con.execute(
        "select booked_at::varchar from raw.transactions where transaction_id = '555156-209030'"
    ).fetchone()[0]
    assert booked == "2011-06-01 06:37:00"


@_needs(RETAIL)
def test_online_retail_load_time_against_a_plain_read(retail, record_property):
    # Benchmark: the full load (validation, quarantine, write) against DuckDB reading the file.
    _, _, seconds = retail
    started = time.perf_counter()
    duckdb.connect().execute(
        f"select count(*) from read_csv('{RETAIL}', all_varchar=true)"
    ).fetchone()
    baseline = time.perf_counter() - started
    ratio = seconds / baseline
    record_property("online_retail_load_seconds", round(seconds, 2))
    record_property("online_retail_load_ratio_to_plain_read", round(ratio, 1))
    print(f"online retail load {seconds:.2f} s = {ratio:.1f} x a plain read ({baseline:.2f} s)")
    # A loose guard against a row-by-row regression (which would be hundreds of times slower).
    assert ratio < 50


@_needs(CDNOW)
def test_cdnow_counts_and_zero_dollar_purchases(tmp_path):
    # 69,659 purchases of 23,570 customers, the 80 zero-dollar rows kept as zero amounts.
    con = duckdb.connect(str(tmp_path / "finseg.duckdb"))
    report = load_files(con, "cdnow", CDNOW)
    table = report["transactions"]
    assert (table.rows_read, table.rows_loaded, table.rows_quarantined) == (69_659, 69_659, 0)
    assert report["customers"].rows_loaded == 23_570
    assert con.execute(
        "select count(*) filter (where amount = 0), count(distinct customer_id), "
        "min(booked_at)::date::varchar, max(booked_at)::date::varchar from raw.transactions"
    ).fetchone() == (80, 23_570, "1997-01-01", "1998-06-30")
    # 2,068 rows share customer and day with an earlier row; each stays its own transaction.
    same_day = con.execute(
        "select count(*) - count(distinct (customer_id, booked_at)) from raw.transactions"
    ).fetchone()[0]
    assert same_day == 2_068


@_needs(CDNOW)
def test_cdnow_loaded_twice_replaces(tmp_path):
    # Loading the same file again leaves one copy.
    con = duckdb.connect(str(tmp_path / "finseg.duckdb"))
    load_files(con, "cdnow", CDNOW)
    load_files(con, "cdnow", CDNOW)
    assert con.execute("select count(*) from raw.transactions").fetchone()[0] == 69_659
    assert con.execute("select count(*) from raw.load_reconciliation").fetchone()[0] == 2
