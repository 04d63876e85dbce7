"""The explorer's model comparison, CLV, customer lookup and SQL pages, run with AppTest on the
tiny hand-made warehouses of explorer_warehouse.py (figures computed by hand there)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from explorer_warehouse import build_warehouse
from streamlit.testing.v1 import AppTest
from test_explorer import _assert_clean, _charts, _metrics

from apps.explorer import sql_runner

APP = Path(__file__).resolve().parents[2] / "apps" / "explorer" / "app.py"
NEW_PAGES = ("views/models.py", "views/clv.py", "views/customer.py", "views/sql.py")
TIMEOUT = 60


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The full hand-made warehouse, configured through FINSEG_WAREHOUSE."""
    path = build_warehouse(tmp_path / "finseg.duckdb")
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    return path


def _open(page: str, query_params: dict[str, str] | None = None) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for name, value in (query_params or {}).items():
        app.query_params[name] = value
    app.run()
    return app.switch_page(page).run()


def _texts(elements: object) -> str:
    return " ".join(str(element.value) for element in elements)


# --- Model comparison -----------------------------------------------------------------------


def test_models_page_marks_the_chosen_fit(bank: Path) -> None:
    """The chosen fit's figures on top, a star on it in every chart, one row marked chosen."""
    app = _open("views/models.py")
    _assert_clean(app)
    assert app.title[0].value == "Model comparison"
    assert _metrics(app) == {
        "Chosen algorithm": "kmeans",
        "Segments (k)": "2",
        "Silhouette": "0.412",
        "Weakest cluster stability": "0.82",
        "Customers segmented": "7",
    }
    charts = _charts(app)
    assert set(charts) == {
        "models_silhouette",
        "models_davies_bouldin",
        "models_stability_jaccard_min",
        "models_calinski_harabasz",
        "models_bic",
    }
    silhouette = {trace["name"]: trace for trace in charts["models_silhouette"]}
    assert silhouette["kmeans"]["y"] == [0.412, 0.305]
    assert silhouette["gaussian_mixture"]["y"] == [0.398, 0.28]
    assert (silhouette["chosen"]["x"], silhouette["chosen"]["y"]) == ([2], [0.412])
    # BIC exists for the mixture only.
    assert [trace["name"] for trace in charts["models_bic"]] == ["gaussian_mixture"]
    table = app.dataframe[0].value
    assert list(table["chosen"]) == ["", "", "★ chosen", ""]  # gaussian_mixture sorts first
    assert "Choice rule: highest silhouette" in _texts(app.caption)
    assert "Note: k capped at 3" in _texts(app.caption)


def test_models_page_filters_algorithms(bank: Path) -> None:
    """Unticking an algorithm removes its lines and rows."""
    app = _open("views/models.py")
    app.multiselect(key="models_algorithms").set_value(["kmeans"]).run()
    _assert_clean(app)
    names = [trace["name"] for trace in _charts(app)["models_silhouette"]]
    assert names == ["kmeans", "chosen"]
    assert set(app.dataframe[0].value["algorithm"]) == {"kmeans"}
    assert "models_bic" not in _charts(app)  # no kmeans fit has a BIC


def test_models_page_copes_with_an_older_selection_table(bank: Path) -> None:
    """Without the stability, BIC and note columns, the page charts what is there."""
    with duckdb.connect(str(bank)) as con:
        for column in ("bic", "stability_jaccard_min", "stability_jaccard_mean", "note"):
            con.execute(f"alter table marts.fct_segment_model_selection drop column {column}")
    app = _open("views/models.py")
    _assert_clean(app)
    assert _metrics(app)["Weakest cluster stability"] == "—"
    assert set(_charts(app)) == {
        "models_silhouette",
        "models_davies_bouldin",
        "models_calinski_harabasz",
    }


# --- CLV ------------------------------------------------------------------------------------


def test_clv_page_shows_hand_computed_figures(bank: Path) -> None:
    """Headline figures, P(alive) explained, single-purchase customers left out of the chart."""
    app = _open("views/clv.py")
    _assert_clean(app)
    assert app.title[0].value == "CLV"
    assert _metrics(app) == {
        "Customers modelled": "6",
        "Mean P(alive)": "50.0%",
        "Expected purchases, 12 months": "36",
        "CLV, 12 months": "77",
        "CLV per customer, 12 months": "12.77",
    }
    note = app.info[0].value
    assert "single purchase has P(alive) = 1 by the model's definition" in note
    assert "1 customer(s) here are in that case" in note
    charts = _charts(app)
    p_alive = charts["clv_p_alive"][0]
    assert sum(p_alive["y"]) == 5  # c01-c05; c06 (one purchase) is left out
    clv_bars = sum(sum(trace["y"]) for trace in charts["clv_clv_12m"])
    assert clv_bars == 6
    bases = app.dataframe[0].value.set_index("p_alive_basis")["customers"].to_dict()
    assert bases == {"estimated": 5, "no_purchases": 2, "single_purchase_by_definition": 1}
    fit = app.dataframe[-1].value
    assert "log_covariance" not in fit.columns
    assert fit.set_index(["model", "parameter"]).loc[("bg_nbd", "r"), "estimate"] == 0.243


def test_clv_page_switches_horizon_and_segment(bank: Path) -> None:
    """36 months doubles the CLV; segment 1 limits the figures to c01-c04."""
    app = _open("views/clv.py")
    app.radio(key="clv_horizon").set_value(36).run()
    _assert_clean(app)
    assert _metrics(app)["CLV, 36 months"] == "153"
    assert _metrics(app)["CLV per customer, 36 months"] == "25.54"
    app.selectbox(key="clv_segment").select(1).run()
    _assert_clean(app)
    metrics = _metrics(app)
    assert metrics["Customers modelled"] == "4"
    assert metrics["Mean P(alive)"] == "57.5%"
    assert metrics["CLV, 36 months"] == "149"  # 2 x 74.65
    by_segment = _charts(app)["clv_by_segment"][0]
    totals = dict(zip(by_segment["y"], by_segment["x"], strict=True))
    assert totals["1 · Digital spenders"] == pytest.approx(149.3)  # every segment stays shown


def test_clv_page_without_clv_marts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warehouse built before the CLV models says what to build."""
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "r.duckdb", "rfm_only")))
    app = _open("views/clv.py")
    _assert_clean(app)
    assert "marts.fct_customer_clv" in app.info[0].value


# --- Customer lookup ------------------------------------------------------------------------


def test_customer_lookup_shows_one_customer(bank: Path) -> None:
    """Typing an id shows the customer's segment, RFM, CLV and most unusual features."""
    app = _open("views/customer.py")
    _assert_clean(app)
    assert app.title[0].value == "Customer lookup"
    assert not app.header  # nothing looked up yet
    app.text_input(key="customer_id").input("c01").run()
    _assert_clean(app)
    assert app.header[0].value == "c01"
    assert _metrics(app) == {
        "Segment": "1 · Digital spenders",
        "Membership": "0.95",
        "RFM segment": "Champions",
        "Net spend": "12,500.00",
        "CLV, 12 months": "60.00",
        "P(alive)": "90.0%",
    }
    profile = dict(app.dataframe[0].value.itertuples(index=False))
    assert profile["region"] == "north"
    assert profile["annual income"] == "30,000.00"
    assert "gender" not in profile
    features = app.dataframe[-1].value
    assert features["feature"].iloc[0] == "spend_365d"  # z = (12,500 - 2,471.46) / 1,440.5
    assert features["z_score"].iloc[0] == pytest.approx(6.9618, abs=1e-4)
    assert "balance_mean_6m" in set(features["feature"])  # c01 has a balance (bank data)
    assert "Spend far above the base" in _texts(app.caption)


def test_customer_lookup_explains_a_single_purchase(bank: Path) -> None:
    """c06 bought once: its P(alive) of 1 is explained as the model's definition."""
    app = _open("views/customer.py", {"customer_id": "c06"})
    _assert_clean(app)
    assert app.header[0].value == "c06"
    assert _metrics(app)["P(alive)"] == "100.0%"
    assert "P(alive) is 1 by the model's definition" in _texts(app.caption)


def test_customer_lookup_without_purchases(bank: Path) -> None:
    """c08 never bought: not modelled, no CLV, and no crash."""
    app = _open("views/customer.py", {"customer_id": "c08"})
    _assert_clean(app)
    assert _metrics(app)["P(alive)"] == "—"
    assert "Not modelled: no purchase" in _texts(app.caption)


def test_customer_lookup_suggests_the_right_case(bank: Path) -> None:
    """An id typed in the wrong case is not found, and the page offers the right one."""
    app = _open("views/customer.py")
    app.text_input(key="customer_id").input("C01").run()
    _assert_clean(app)
    assert "No customer `C01`" in app.warning[0].value
    assert "Did you mean `c01`?" in app.warning[0].value


def test_customer_lookup_example_buttons(bank: Path) -> None:
    """The examples are the first customer of each segment, segment 0 last; a click looks up."""
    app = _open("views/customer.py")
    labels = [button.label for button in app.button]
    assert labels == ["c01", "c05", "c08"]
    app.button(key="customer_example_c05").click().run()
    _assert_clean(app)
    assert app.header[0].value == "c05"
    assert _metrics(app)["Segment"] == "2 · Branch savers"


def test_customer_lookup_on_a_small_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With only customers and RFM built, the lookup shows what there is."""
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(build_warehouse(tmp_path / "r.duckdb", "rfm_only")))
    app = _open("views/customer.py", {"customer_id": "c02"})
    _assert_clean(app)
    assert _metrics(app) == {"RFM segment": "Loyal", "Net spend": "2,250.00"}


# --- SQL ------------------------------------------------------------------------------------


def _run_sql(app: AppTest, sql: str) -> AppTest:
    app.text_area[0].input(sql)
    return next(button for button in app.button if button.label == "Run").click().run()


def test_sql_page_runs_a_query(bank: Path) -> None:
    """The default query lists the segments; a typed one shows its rows and a download."""
    app = _open("views/sql.py")
    _assert_clean(app)
    assert app.title[0].value == "SQL"
    assert "marts.dim_segments" in app.text_area[0].value
    _run_sql(app, "select count(*) as customers from marts.dim_customers")
    _assert_clean(app)
    assert app.dataframe[0].value["customers"].tolist() == [8]
    assert "1 row in" in _texts(app.caption)
    assert [button.label for button in app.download_button] == ["Download CSV"]


def test_sql_page_refuses_a_write_with_a_message(bank: Path) -> None:
    """A write is refused with its reason, as a message, not a traceback."""
    app = _open("views/sql.py")
    _run_sql(app, "drop table marts.dim_segments")
    assert not app.exception
    assert "DROP changes the warehouse" in app.error[0].value
    with duckdb.connect(str(bank), read_only=True) as con:
        assert con.execute("select count(*) from marts.dim_segments").fetchone()[0] == 3


def test_sql_page_shows_syntax_errors_without_paths(bank: Path) -> None:
    """A typo shows DuckDB's message and the caret under it; no machine path appears."""
    app = _open("views/sql.py")
    _run_sql(app, "selec * from marts.dim_segments")
    assert not app.exception
    assert "syntax error" in app.error[0].value
    assert "LINE 1" in app.code[0].value
    _run_sql(app, "select * from marts.missing_mart")
    assert str(bank.parent) not in app.error[0].value


def test_sql_page_caps_rows_and_time(bank: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the row cap the page says it cut the result; past the time limit it stops."""
    monkeypatch.setattr(sql_runner, "MAX_ROWS", 5)
    monkeypatch.setattr(sql_runner, "TIME_LIMIT_SECONDS", 1.0)
    app = _open("views/sql.py")
    _run_sql(app, "select * from range(20)")
    _assert_clean(app)
    assert len(app.dataframe[0].value) == 5
    assert "Showing the first 5 rows" in app.warning[0].value
    _run_sql(app, "select count(*) from range(1000000000) a cross join range(1000000000) b")
    assert not app.exception
    assert "time limit of 1 s" in app.warning[0].value


def test_sql_page_examples_fill_the_editor(bank: Path) -> None:
    """Picking an example puts its query into the editor."""
    app = _open("views/sql.py")
    app.selectbox(key="sql_example").select("Columns of a mart").run()
    assert app.text_area[0].value == "describe marts.fct_customer_features"
    _run_sql(app, app.text_area[0].value)
    _assert_clean(app)
    assert "spend_365d" in app.dataframe[0].value["column_name"].tolist()


# --- Every new page on every kind of warehouse ----------------------------------------------


@pytest.mark.parametrize("variant", ["retail", "rfm_only", "empty"])
@pytest.mark.parametrize("page", NEW_PAGES)
def test_new_pages_cope_with_partial_warehouses(
    page: str, variant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Missing marts (retail, RFM only) or marts without rows: no exception and no error."""
    path = build_warehouse(tmp_path / f"{variant}.duckdb", variant)
    monkeypatch.setenv("FINSEG_WAREHOUSE", str(path))
    app = _open(page, {"customer_id": "c01"} if variant != "empty" else None)
    _assert_clean(app)
    assert app.title


@pytest.mark.parametrize("page", NEW_PAGES)
def test_new_pages_without_a_warehouse(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No file at the configured path: one friendly error naming it, no traceback."""
    configured = str(tmp_path / "nowhere" / "finseg.duckdb")
    monkeypatch.setenv("FINSEG_WAREHOUSE", configured)
    app = _open(page)
    assert not app.exception
    assert len(app.error) == 1
    assert f"No warehouse at `{configured}`" in app.error[0].value
