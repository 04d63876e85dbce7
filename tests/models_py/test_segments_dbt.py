"""dbt build of the segmentation marts on a small raw bank with planted personas.

Slow: it runs dbt build on everything upstream and downstream of fct_customer_segments (staging,
customer marts, the Python models, the segment marts and their data tests) on a temporary
warehouse, then rebuilds the segmentation with vars given on the command line to check that they
reach the Python models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from segment_raw_bank import write_raw_bank
from sklearn.metrics import adjusted_rand_score

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"


def _dbt(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(DBT), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A raw bank of 300 customers built by dbt into a warehouse of this test's own."""
    folder = tmp_path_factory.mktemp("segments_dbt")
    warehouse = folder / "finseg.duckdb"
    write_raw_bank(str(warehouse), customers=300, seed=7)
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(warehouse),
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    # The segmentation, everything it reads and everything that reads it (cautious: no test of
    # an unrelated mart that happens to share a parent).
    _dbt(env, "build", "--select", "+fct_customer_segments+", "--indirect-selection", "cautious")
    return warehouse, env


def test_dbt_build_segments_every_customer_and_finds_the_personas(built) -> None:
    # One row per customer; dormant customers in 0; the three personas recovered (ARI >= 0.9).
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute("""
            select segments.segment_id, personas.persona
            from marts.fct_customer_segments as segments
            inner join raw_truth.customer_personas as personas
                on segments.customer_id = personas.customer_id
        """).fetchall()
        customers = con.execute("select count(*) from marts.dim_customers").fetchone()[0]
        shares = con.execute("select sum(share), sum(customers) from marts.dim_segments").fetchone()
    assert len(rows) == customers == 300
    assert all(segment == 0 for segment, persona in rows if persona == "dormant")
    active = [(segment, persona) for segment, persona in rows if persona != "dormant"]
    assert all(segment > 0 for segment, _ in active)
    ari = adjusted_rand_score([p for _, p in active], [s for s, _ in active])
    assert ari >= 0.9
    assert shares[0] == pytest.approx(1.0)
    assert shares[1] == 300


def test_dbt_python_model_tables_have_the_interface_types(built) -> None:
    # Python models carry no dbt contract: the column types of the public ones are pinned here.
    warehouse, _ = built
    with duckdb.connect(str(warehouse), read_only=True) as con:
        def types(table: str) -> dict[str, str]:
            return dict(con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?", [table]
            ).fetchall())

        assert types("fct_customer_segments") == {
            "customer_id": "VARCHAR", "segment_id": "INTEGER", "segment_name": "VARCHAR",
            "membership_strength": "DOUBLE", "algorithm": "VARCHAR",
        }
        selection = types("fct_segment_model_selection")
        assert selection["k"] == "INTEGER"
        assert selection["n_customers"] == "BIGINT"
        assert selection["is_chosen"] == "BOOLEAN"
        chosen = con.execute(
            "select count(*) from marts.fct_segment_model_selection where is_chosen"
        ).fetchone()[0]
        used = con.execute(
            "select count(*) from marts.fct_segment_profiles where is_model_feature"
        ).fetchone()[0]
    assert chosen == 1
    assert used > 0


def test_dbt_vars_reach_the_python_models(built) -> None:
    # force_k as an int and k_max as text on the command line both arrive as integers.
    # Runs last in this file: it rebuilds the segmentation of the shared warehouse.
    warehouse, env = built
    variables = {"force_k": 4, "k_min": 2, "k_max": "5", "segmentation_scaler": "robust"}
    _dbt(env, "build", "--select", "fct_segment_preprocessing+", "--vars", json.dumps(variables))
    with duckdb.connect(str(warehouse), read_only=True) as con:
        ks = con.execute(
            "select k, is_chosen from marts.fct_segment_model_selection order by k"
        ).fetchall()
        scalers = con.execute(
            "select distinct scaler from marts.fct_segment_preprocessing where is_used"
        ).fetchall()
        segments = con.execute("select max(segment_id) from marts.dim_segments").fetchone()[0]
    assert ks == [(2, False), (3, False), (4, True), (5, False)]
    assert {scaler.split(" ")[0] for (scaler,) in scalers} == {"robust"}
    assert segments == 4
