"""`finseg load`: a bad file exits non-zero with the loader's message and writes nothing."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from apps.cli import app

HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
ROW = "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom"


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "finseg.duckdb"
    # The CLI exports the warehouse path; monkeypatch restores the variable afterwards.
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    monkeypatch.setenv("COLUMNS", "400")
    return path


def test_cli_load_reports_counts(tmp_path, warehouse):
    # A good file loads and the table of counts is printed.
    path = tmp_path / "retail.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{ROW}\n".encode(), mtime=0))
    result = CliRunner().invoke(app, ["load", "online_retail", str(path), "-w", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "transactions" in result.output
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from raw.transactions").fetchone()[0] == 1


def test_cli_load_bad_date_exits_non_zero_and_writes_nothing(tmp_path, warehouse):
    # The loader's message reaches the user; the exit code is not 0; raw is not created.
    path = tmp_path / "retail.csv"
    path.write_text(f"{HEADER}\n{ROW.replace('2010-12-01', '2010-12-41')}\n")
    result = CliRunner().invoke(app, ["load", "online_retail", str(path), "-w", str(warehouse)])
    assert result.exit_code != 0
    output = " ".join(result.output.split())
    assert "retail.csv, column 'InvoiceDate'" in output
    assert "row 1: '2010-12-41 08:26:00'" in output
    # A failed load publishes nothing: no warehouse file, and no working copy left behind.
    assert not warehouse.exists()
    assert list(warehouse.parent.glob(f".{warehouse.stem}.building*")) == []
