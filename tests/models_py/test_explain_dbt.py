"""dbt build of the explanation marts on a small raw bank with planted personas.

Slow: it builds everything the explanation marts read (staging, customer marts, segmentation) and
the explanation marts with their data tests (and fct_segment_profiles, to compare with) on a
temporary warehouse of its own.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from segment_raw_bank import write_raw_bank

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"
MARTS = (
    "fct_customer_explanations", "fct_segment_shap_sample", "fct_segment_feature_importance",
    "fct_segment_rules", "fct_explanation_quality",
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A raw bank of 300 customers built by dbt, explanations included, in its own warehouse."""
    folder = tmp_path_factory.mktemp("explain_dbt")
    path = folder / "finseg.duckdb"
    write_raw_bank(str(path), customers=300, seed=7)
    env = {
        **os.environ,
        "FINSEG_WAREHOUSE": str(path),
        "DBT_TARGET_PATH": str(folder / "target"),
        "DBT_LOG_PATH": str(folder / "logs"),
    }
    # fct_segment_profiles is no parent: built for the comparison of segment means.
    selection = [f"+{mart}" for mart in MARTS] + ["fct_segment_profiles"]
    result = subprocess.run(
        [str(DBT), "build", "--select", *selection, "--indirect-selection", "cautious",
         "--vars", '{"explain_sample_size": 200}'],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}"
    return path


def test_dbt_build_explains_every_customer(warehouse: Path) -> None:
    # Every customer has a rank-1 reason; dormant customers (segment 0) the has_activity rule.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = con.execute("select count(*) from marts.fct_customer_segments").fetchone()[0]
        first = con.execute(
            "select count(*) from marts.fct_customer_explanations where rank = 1"
        ).fetchone()[0]
        ruled = con.execute("""
            select count(*) filter (where explanations.feature <> 'has_activity')
            from marts.fct_customer_explanations as explanations
            where explanations.segment_id = 0
        """).fetchone()[0]
        dormant = con.execute("""
            select count(*)
            from marts.fct_customer_segments as segments
            inner join raw_truth.customer_personas as personas
                on segments.customer_id = personas.customer_id
            where personas.persona = 'dormant' and segments.segment_id = 0
        """).fetchone()[0]
    assert first == customers == 300
    assert ruled == 0
    assert dormant > 0


def test_dbt_explanations_agree_with_profiles_and_are_exact(warehouse: Path) -> None:
    # segment_mean = fct_segment_profiles.segment_mean; SHAP adds up; surrogate faithful.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        mean_gap = con.execute("""
            select max(abs(explanations.segment_mean - profiles.segment_mean))
            from marts.fct_customer_explanations as explanations
            inner join marts.fct_segment_profiles as profiles
                on explanations.segment_id = profiles.segment_id
                and explanations.feature = profiles.feature
        """).fetchone()[0]
        additivity = con.execute("""
            select max(abs(base_value + total - model_output))
            from (
                select customer_id, explained_segment_id, sum(shap_value) as total,
                    any_value(base_value) as base_value, any_value(model_output) as model_output
                from marts.fct_segment_shap_sample
                group by customer_id, explained_segment_id
            )
        """).fetchone()[0]
        quality = dict(con.execute(
            "select metric, value from marts.fct_explanation_quality where segment_id is null"
        ).fetchall())
        shares = con.execute("""
            select max(abs(total - 1)) from (
                select sum(importance_share) as total
                from marts.fct_segment_feature_importance
                group by scope, segment_id
            )
        """).fetchone()[0]
        rules = con.execute("select count(*) from marts.fct_segment_rules").fetchone()[0]
    assert mean_gap < 1e-9
    assert additivity < 1e-6
    assert quality["surrogate_fidelity_holdout"] > 0.9
    assert quality["assignment_agreement"] == 1.0
    assert shares < 1e-9
    assert rules > 0


def test_dbt_python_explanation_tables_have_the_interface_types(warehouse: Path) -> None:
    # Python models carry no dbt contract: the column types of the customer mart are pinned.
    with duckdb.connect(str(warehouse), read_only=True) as con:
        types = dict(con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_customer_explanations'"
        ).fetchall())
    assert types == {
        "customer_id": "VARCHAR", "segment_id": "INTEGER", "rank": "INTEGER",
        "feature": "VARCHAR", "contribution": "DOUBLE", "contribution_share": "DOUBLE",
        "direction": "VARCHAR", "customer_value": "DOUBLE", "segment_mean": "DOUBLE",
        "other_segment_id": "INTEGER", "other_segment_mean": "DOUBLE", "method": "VARCHAR",
    }
