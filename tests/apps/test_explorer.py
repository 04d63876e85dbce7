"""The explorer's pages, run with Streamlit's AppTest on tiny hand-made warehouses.

Each test builds its own warehouse in tmp_path and points FINSEG_WAREHOUSE at it, so tests run
side by side and never touch warehouse/finseg.duckdb. Expected figures are computed by hand in
explorer_warehouse.py.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest
from explorer_warehouse import build_warehouse
from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "apps" / "explorer" / "app.py"
PAGES = ("views/overview.py", "views/rfm.py", "views/segments.py")
# The first run imports pandas, Plotly and DuckDB; later runs take well under a second.
TIMEOUT = 60


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A full warehouse (every mart the explorer reads), configured through FINSEG_WAREHOUSE."""
    path = build_warehouse(tmp_path / "finseg.duckdb")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    return path


def _open(page: str = "views/overview.py") -> AppTest:
    """The app run from its entry point, switched to ``page``."""
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    if page != "views/overview.py":
        app.switch_page(page).run()
    return app


def _metrics(app: AppTest) -> dict[str, str]:
    return {metric.label: metric.value for metric in app.metric}


def _charts(app: AppTest) -> dict[str, list[dict]]:
    """Plotly charts of the page by key, each as its traces with arrays as plain lists."""
    return {
        chart.key: [
            {name: _decoded(value) for name, value in trace.items()}
            for trace in json.loads(chart.proto.spec)["data"]
        ]
        for chart in app.get("plotly_chart")
        if chart.key
    }


def _decoded(value: object) -> object:
    """Plotly sends numeric arrays as base64 ({"dtype", "bdata", "shape"}): decode them."""
    if isinstance(value, dict) and "bdata" in value:
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        if "shape" in value:
            array = array.reshape([int(n) for n in str(value["shape"]).split(",")])
        return array.tolist()
    return value


def _assert_clean(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]
    assert not app.error, [e.value for e in app.error]


def test_overview_shows_counts_sizes_and_profile_heatmap(bank: Path) -> None:
    """Overview: the hand-computed headline figures, the sizes bar and the z-score heatmap."""
    app = _open()
    _assert_clean(app)
    assert app.title[0].value == "Overview"
    assert _metrics(app) == {
        "Customers": "8",
        "With activity": "7",
        "With purchases": "6",
        "Net spend": "17.3k",
        "Segments": "2",
    }
    charts = _charts(app)
    heatmap = charts["profile_heatmap"][0]
    assert heatmap["type"] == "heatmap"
    assert heatmap["y"] == ["1 · Digital spenders", "2 · Branch savers"]
    # Most distinctive feature first; balance_mean_6m (NULL for everyone) left out.
    assert heatmap["x"] == ["spend 365d", "digital share 365d"]
    assert heatmap["z"] == [[1.2, 0.8], [-1.6, -1.1]]
    sizes = charts["segment_sizes"][0]
    assert sorted(sizes["x"]) == [1, 3, 4]
    assert any("kmeans with k = 2" in caption.value for caption in app.caption)


def test_rfm_page_shows_grid_and_named_segments(bank: Path) -> None:
    """RFM: headline figures, a complete 5 x 5 grid of counts and the RFM segment bars."""
    app = _open("views/rfm.py")
    _assert_clean(app)
    assert app.title[0].value == "RFM"
    assert _metrics(app) == {
        "Customers": "8",
        "With purchases": "6",
        "Net spend": "17.3k",
        "Median recency": "55 days",
        "Median frequency": "8.0",
    }
    grid = _charts(app)["rfm_grid"][0]
    assert grid["y"] == ["R1", "R2", "R3", "R4", "R5"]
    counts = grid["z"]
    assert len(counts) == 5 and all(len(row) == 5 for row in counts)
    assert sum(sum(row) for row in counts) == 6
    assert counts[4][4] == 1 and counts[4][2] == 1  # c01 (R5 F5) and c03 (R5 F3)
    bars = _charts(app)["rfm_segments"][0]
    assert dict(zip(bars["y"], bars["x"], strict=True)) == {
        "Champions": 2,
        "At Risk": 2,
        "No purchases": 2,
        "Loyal": 1,
        "Hibernating": 1,
    }


def test_rfm_page_filters_to_a_segment_and_colours_by_spend(bank: Path) -> None:
    """Picking segment 1 limits every figure to its four customers; the grid recolours."""
    app = _open("views/rfm.py")
    app.selectbox(key="rfm_segment").select(1).run()
    app.radio(key="rfm_measure").set_value("net_spend").run()
    _assert_clean(app)
    assert _metrics(app)["Customers"] == "4"
    assert _metrics(app)["Net spend"] == "16.8k"
    grid = _charts(app)["rfm_grid"][0]
    assert grid["z"][4][4] == 12500.0  # R5 F5 holds c01 alone


def test_segments_page_drills_into_a_segment(bank: Path) -> None:
    """Segments: the first active segment by default, its figures, profile and customers."""
    app = _open("views/segments.py")
    _assert_clean(app)
    assert app.title[0].value == "Segments"
    assert app.header[0].value == "1 · Digital spenders"
    assert _metrics(app) == {
        "Customers": "4",
        "Share of the base": "50.0%",
        "Net spend per customer": "4,200.00",
        "Mean membership": "0.69",
    }
    profile = _charts(app)["segment_profile"][0]
    assert profile["y"] == ["digital share 365d", "spend 365d"]  # largest |z| on top
    customers = app.dataframe[-1].value
    assert list(customers["customer_id"]) == ["c01", "c02", "c03", "c04"]
    assert "gender" not in customers.columns
    labels = [button.label for button in app.download_button]
    assert labels == ["Download CSV", "Download Parquet"]
    assert any("4 rows" in caption.value for caption in app.caption)


def test_segments_page_copes_with_segment_zero(bank: Path) -> None:
    """Segment 0 (no activity) has no profile: the page says so instead of failing."""
    app = _open("views/segments.py")
    app.selectbox(key="segments_segment").select(0).run()
    _assert_clean(app)
    assert app.header[0].value == "0 · No activity"
    assert any("no feature profile" in info.value for info in app.info)
    assert list(app.dataframe[-1].value["customer_id"]) == ["c08"]


def test_segment_choice_carries_across_pages(bank: Path) -> None:
    """A segment picked on the RFM page is the one the Segments page opens on."""
    app = _open("views/rfm.py")
    app.selectbox(key="rfm_segment").select(2).run()
    app.switch_page("views/segments.py").run()
    _assert_clean(app)
    assert app.header[0].value == "2 · Branch savers"


@pytest.mark.parametrize("page", PAGES)
def test_pages_cope_with_a_retail_warehouse(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without dim_segments, model selection, balances or regions, every page still renders."""
    monkeypatch.setenv(
        "FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "retail.duckdb", "retail"))
    )
    app = _open(page)
    _assert_clean(app)
    assert app.metric[0].value in {"8", "4"}
    if page == "views/overview.py":
        heatmap = _charts(app)["profile_heatmap"][0]
        assert "balance mean 6m" not in heatmap["x"]
        assert _metrics(app)["Segments"] == "2"  # counted from the segments without dim_segments
    if page == "views/segments.py":
        columns = set(app.dataframe[-1].value.columns)
        assert "region" not in columns and "income_annual" not in columns  # all NULL


@pytest.mark.parametrize("page", PAGES)
def test_pages_cope_with_rfm_marts_only(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only customers and RFM built, Overview and RFM render; Segments says what to build."""
    monkeypatch.setenv(
        "FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "rfm.duckdb", "rfm_only"))
    )
    app = _open(page)
    assert not app.exception
    if page == "views/segments.py":
        assert "marts.dim_segments" in app.error[0].value
        assert "dbt build" in app.error[0].value
    else:
        assert not app.error
        assert app.metric[0].value == "8"


@pytest.mark.parametrize("page", PAGES)
def test_pages_cope_with_empty_marts(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Marts without rows (a build on empty raw data): no exception, no error, a hint."""
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "empty.duckdb", "empty")))
    app = _open(page)
    _assert_clean(app)
    if page == "views/overview.py":
        assert _metrics(app)["Customers"] == "0"
        assert "hold no customers" in app.warning[0].value
    else:
        assert app.info  # "no segments" / "no purchases" instead of empty charts


@pytest.mark.parametrize("page", PAGES)
def test_missing_warehouse_gives_a_friendly_error(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file at the configured path: an error naming that path and `make run`, no traceback."""
    configured = str(tmp_path / "nowhere" / "finseg.duckdb")
    monkeypatch.setenv("FINSEG_WAREHOUSE", configured)
    app = _open(page)
    assert not app.exception
    assert len(app.error) == 1
    message = app.error[0].value
    assert f"No warehouse at `{configured}`" in message
    assert "make run" in message


def test_warehouse_without_marts_gives_a_friendly_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A DuckDB file with no marts schema (raw data only) asks for a build."""
    path = tmp_path / "raw_only.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw; create table raw.customers (customer_id varchar)")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    app = _open()
    assert not app.exception
    assert "holds no marts yet" in app.error[0].value


def test_unreadable_file_hides_machine_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that is not a DuckDB database: an error naming only the configured path."""
    path = tmp_path / "not_a_warehouse.duckdb"
    path.write_text("hello")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    app = _open()
    assert not app.exception
    message = app.error[0].value
    assert f"`{path}`" in message
    assert message.replace(str(path), "").count("/") == 0


def test_busy_warehouse_gives_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """While another process holds the write lock (a build), pages warn and do not crash."""
    path = build_warehouse(tmp_path / "busy.duckdb")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        app = _open()
        assert not app.exception
        assert not app.error
        assert "is busy" in app.warning[0].value
    finally:
        holder.communicate("")
    # Once the build is done, the next run shows the data.
    app.run()
    _assert_clean(app)
    assert _metrics(app)["Customers"] == "8"


def test_rebuilt_warehouse_shows_new_data(bank: Path) -> None:
    """A warehouse swapped in by a new build shows on the next run (the cache follows the file)."""
    app = _open()
    assert _metrics(app)["Customers"] == "8"
    build_warehouse(bank, extra_customers=3)
    app.run()
    _assert_clean(app)
    assert _metrics(app)["Customers"] == "11"
