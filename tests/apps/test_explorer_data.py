"""The explorer's data access, number formatting and charts, without running a page."""

from __future__ import annotations

import io
import math
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from explorer_warehouse import build_warehouse

from apps.explorer import charts, data, queries
from apps.explorer import format as fmt


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> data.Warehouse:
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "finseg.duckdb")))
    return data.open_warehouse()


def test_default_path_is_shown_as_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without FINSEG_WAREHOUSE the explorer names the default relative path, no machine path."""
    monkeypatch.delenv("FINSEG_WAREHOUSE", raising=False)
    assert data.configured_path() == "warehouse/finseg.duckdb"


def test_open_warehouse_lists_marts_and_columns(warehouse: data.Warehouse) -> None:
    """The catalog holds every mart with its columns in table order."""
    assert set(warehouse.marts) == set(data.REQUIRED_COLUMNS)
    assert warehouse.marts["dim_segments"][:2] == ("segment_id", "segment_name")
    assert warehouse.has("fct_customer_segments", "membership_strength")
    assert not warehouse.has("fct_customer_segments", "no_such_column")
    assert not warehouse.has("fct_customer_churn")


def test_connections_are_read_only_and_closed(warehouse: data.Warehouse) -> None:
    """A query cannot write, and after it the file is free for a writer (a build)."""
    with pytest.raises(data.WarehouseError):
        data.run_query(warehouse.path, warehouse.shown_path, "create table marts.x (a int)")
    with duckdb.connect(warehouse.path) as writer:  # fails if a reader still held the file
        writer.execute("create table marts.x (a int)")


def test_values_travel_as_parameters(warehouse: data.Warehouse) -> None:
    """A hostile segment value is only ever compared as a value, never run as SQL."""
    hostile = "1; drop table marts.dim_segments"
    with pytest.raises(data.WarehouseError, match="Conversion Error"):
        queries.segment_customers(warehouse, hostile)  # type: ignore[arg-type]
    assert data.open_warehouse().has("dim_segments")


def test_segment_csv_holds_every_customer_without_gender(warehouse: data.Warehouse) -> None:
    """The CSV download lists every customer of the segment, strongest first, without gender."""
    csv = queries.segment_customers_csv(warehouse, 1).decode("utf-8")
    frame = pd.read_csv(io.StringIO(csv))
    assert list(frame["customer_id"]) == ["c01", "c02", "c03", "c04"]
    assert "gender" not in frame.columns
    assert frame.loc[0, "rfm_segment"] == "Champions"
    assert ",12500.00," in csv.splitlines()[1]  # money keeps its two decimals


def test_segment_preview_is_capped(warehouse: data.Warehouse) -> None:
    """The page preview stops at its limit; the download does not."""
    assert len(queries.segment_customers(warehouse, 1, limit=2)) == 2
    parquet = pq.read_table(io.BytesIO(queries.segment_customers_parquet(warehouse, 1)))
    assert parquet.num_rows == 4
    assert parquet.schema.field("monetary").type == pa.decimal128(18, 2)


def test_downloads_leave_out_columns_without_values(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a retail-like warehouse the export has no all-NULL region or income columns."""
    path = build_warehouse(tmp_path / "retail.duckdb", "retail")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    header = queries.segment_customers_csv(data.open_warehouse(), 1).decode().splitlines()[0]
    assert "region" not in header and "income_annual" not in header
    assert header.startswith("customer_id,segment_id,segment_name,membership_strength")


def test_rfm_grid_has_every_cell(warehouse: data.Warehouse) -> None:
    """The grid has all 25 cells, empty ones with zero customers, and counts add up."""
    grid = queries.rfm_grid(warehouse)
    assert len(grid) == 25
    assert grid["customers"].sum() == 6
    cell = grid[(grid.r_score == 5) & (grid.f_score == 5)].iloc[0]
    assert (cell.customers, cell.net_spend) == (1, 12500.0)


def test_segment_profiles_drop_features_without_values(warehouse: data.Warehouse) -> None:
    """A feature whose z-score is NULL for every segment is left out."""
    profiles = queries.segment_profiles(warehouse)
    assert set(profiles["feature"]) == {"spend_365d", "digital_share_365d"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (12345.6, "12,346"),
        (np.int64(1234567), "1,234,567"),
        (Decimal("-1234.6"), "-1,235"),
        (None, fmt.MISSING),
        (float("nan"), fmt.MISSING),
        (pd.NA, fmt.MISSING),
        ("12", fmt.MISSING),
    ],
)
def test_number_uses_thousands_separators(value: object, expected: str) -> None:
    """Counts read with separators; missing values read as a dash, never 'nan'."""
    assert fmt.number(value) == expected


def test_formats_for_a_person() -> None:
    """Money, compact sizes, shares, signed z-scores and days read as a person writes them."""
    assert fmt.money(Decimal("-1234.5")) == "-1,234.50"
    assert fmt.money(10, currency="EUR") == "EUR 10.00"
    assert fmt.compact(17300.25) == "17.3k"
    assert fmt.compact(2_500_000) == "2.5M"
    assert fmt.compact(950) == "950"
    assert fmt.percent(0.1234) == "12.3%"
    assert fmt.signed(1.234) == "+1.23"
    assert fmt.days(1) == "1 day"
    assert fmt.days(55.0) == "55 days"
    assert fmt.segment_label(3, "Digital savers") == "3 · Digital savers"
    assert fmt.segment_label(3, math.nan) == "Segment 3"


def test_profile_heatmap_orders_features_by_distinctiveness() -> None:
    """The heatmap's columns run from the largest |z| down and can be capped."""
    profiles = pd.DataFrame(
        {
            "segment_id": [1, 1, 1, 2, 2, 2],
            "segment_name": ["a"] * 3 + ["b"] * 3,
            "feature": ["x", "y", "z"] * 2,
            "z_score": [0.1, -2.5, 1.0, -0.1, 2.0, -0.3],
            "segment_mean": [1.0] * 6,
            "base_mean": [1.0] * 6,
        }
    )
    figure = charts.profile_heatmap(profiles, max_features=2)
    assert list(figure.data[0].x) == ["y", "z"]
    assert figure.data[0].zmid == 0
