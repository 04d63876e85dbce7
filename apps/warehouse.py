"""Where things are: the repo root, the dbt vars, the warehouse file, the main marts."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml

WAREHOUSE_ENV = "FINSEG_WAREHOUSE"
DEFAULT_WAREHOUSE = Path("warehouse") / "finseg.duckdb"

# The marts whose row counts a build reports (schema-qualified).
MAIN_MARTS = (
    "raw.transactions",
    "raw.quarantine",
    "marts.dim_customers",
    "marts.fct_customer_rfm",
    "marts.fct_customer_features",
    "marts.fct_customer_segments",
    "marts.dim_segments",
    "marts.fct_load_reconciliation",
)


def project_root() -> Path:
    """The repo root: the folder holding dbt_project.yml (finseg runs from a checkout)."""
    return Path(__file__).resolve().parents[1]


def warehouse_path(override: Path | str | None = None) -> Path:
    """The DuckDB file: an explicit path, else $FINSEG_WAREHOUSE, else warehouse/finseg.duckdb.

    A relative path is taken from the repo root, as dbt (run from the root) takes it.
    """
    raw = override or os.environ.get(WAREHOUSE_ENV) or DEFAULT_WAREHOUSE
    path = Path(raw).expanduser()
    return path if path.is_absolute() else project_root() / path


@cache
def project_vars() -> dict[str, object]:
    """The `vars` of dbt_project.yml: every setting a user can change, with its default."""
    with open(project_root() / "dbt_project.yml", encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["vars"])
