"""Parquet exports of the public marts, for Evidence and any other Parquet reader.

After a published build, ``warehouse/exports/`` holds one ``<mart>.parquet`` per public mart in the
warehouse and ``manifest.json`` (run id, ``as_of_date``, row counts, columns and types, the chosen
segmentation, package versions). Each file is written under a temporary name and renamed, and the
manifest is written last, so a reader that trusts the manifest never sees half a file.
DuckDB 2.0 database files cannot be opened by DuckDB 1.x readers (Evidence bundles one); Parquet
can.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path

import duckdb

# The public marts of DESIGN.md: the SQL interface that exports, the explorer and analysts use.
PUBLIC_MARTS = (
    "dim_customers",
    "fct_customer_rfm",
    "fct_customer_features",
    "fct_customer_monthly",
    "fct_customer_pnl",
    "fct_clv_model_fit",
    "fct_customer_clv",
    "fct_customer_segments",
    "dim_segments",
    "fct_segment_profiles",
    "fct_segment_model_selection",
    "fct_segment_migration",
    "fct_customer_explanations",
    "fct_customer_churn",
    "fct_churn_model_evaluation",
    "fct_segment_business_metrics",
    "fct_load_reconciliation",
)
PACKAGES = ("finseg", "dbt-core", "dbt-duckdb", "duckdb", "scikit-learn", "pandas", "numpy")


def exports_dir_for(warehouse: Path) -> Path:
    """Where a warehouse's exports go: ``exports/`` beside the default ``finseg.duckdb``, and
    ``<name>_exports/`` beside any other warehouse, so that two warehouses in one folder never
    overwrite each other's exports."""
    if warehouse.name == "finseg.duckdb":
        return warehouse.parent / "exports"
    return warehouse.parent / f"{warehouse.stem}_exports"


def export_marts(warehouse: Path, exports_dir: Path) -> dict[str, object]:
    """Write every public mart that ``warehouse`` holds to Parquet, then ``manifest.json``.

    Returns the manifest. Marts that this warehouse does not (yet) have are listed under
    ``missing_marts`` rather than silently left out.
    """
    exports_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        present = {
            row[0]
            for row in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        marts = [mart for mart in PUBLIC_MARTS if mart in present]
        tables = {mart: _export_one(con, mart, exports_dir) for mart in marts}
        # A file left by an earlier build must not pass for a mart this build lacks.
        for mart in set(PUBLIC_MARTS) - set(marts):
            (exports_dir / f"{mart}.parquet").unlink(missing_ok=True)
        manifest = {
            "warehouse": warehouse.name,
            "run_id": _run_id(tables),
            "as_of_date": _as_of_date(con),
            "marts": tables,
            "missing_marts": [mart for mart in PUBLIC_MARTS if mart not in present],
            "model_choices": _model_choices(con, present),
            "package_versions": _package_versions(),
        }
    _write_atomically(exports_dir / "manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


def _export_one(con: duckdb.DuckDBPyConnection, mart: str, exports_dir: Path) -> dict[str, object]:
    target = exports_dir / f"{mart}.parquet"
    temporary = exports_dir / f".{mart}.parquet.tmp"
    # The mart name comes from PUBLIC_MARTS and the warehouse catalog, never from a user.
    con.execute(f"copy marts.{mart} to '{temporary}' (format parquet, compression zstd)")
    os.replace(temporary, target)
    rows = con.execute(f"select count(*) from marts.{mart}").fetchall()[0][0]
    columns = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'marts' and table_name = ? order by ordinal_position",
        [mart],
    ).fetchall()
    return {
        "file": target.name,
        "rows": rows,
        "columns": [{"name": name, "type": data_type} for name, data_type in columns],
    }


def _run_id(tables: dict[str, dict[str, object]]) -> str:
    """A digest of the exported files: the same build gives the same id."""
    digest = hashlib.sha256()
    for mart in sorted(tables):
        digest.update(mart.encode())
        digest.update(str(tables[mart]["rows"]).encode())
    return digest.hexdigest()[:16]


def _as_of_date(con: duckdb.DuckDBPyConnection) -> str | None:
    try:
        row = con.execute("select max(as_of_date) from intermediate.int_as_of_date").fetchall()
    except duckdb.Error:
        return None
    return None if not row or row[0][0] is None else str(row[0][0])


def _model_choices(con: duckdb.DuckDBPyConnection, present: set[str]) -> dict[str, object]:
    if "fct_segment_model_selection" not in present:
        return {}
    rows = con.execute(
        "select algorithm, k from marts.fct_segment_model_selection where is_chosen"
    ).fetchall()
    return {"segmentation": [{"algorithm": algorithm, "k": k} for algorithm, k in rows]}


def _package_versions() -> dict[str, str]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return versions


def _write_atomically(path: Path, content: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
