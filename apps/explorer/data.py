"""Data access of the explorer: short-lived read-only connections, cached query results.

The explorer never holds the warehouse open: each query opens a read-only DuckDB connection,
reads, and closes it, so that a build (one writer) is never blocked for longer than a query.
Results are cached with ``st.cache_data`` on the query, its parameters and the file's version
(modification time, size, inode), so a rebuilt or swapped-in warehouse shows its new data on the
next interaction. Values always travel as ``?`` parameters; the only names put into SQL text are
mart and column names taken from this module or from the warehouse's own catalog.

Every problem a user can fix is a :class:`WarehouseError` whose message says what to do and names
no path other than the warehouse path the user configured.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import pandas as pd
import pyarrow as pa
import streamlit as st

from apps.explorer.sql_runner import hide_paths
from apps.warehouse import DEFAULT_WAREHOUSE, WAREHOUSE_ENV, warehouse_path

MARTS = "marts"

# Marts the explorer reads (schema `marts`), with the columns it cannot do without. Other
# columns are optional: a page leaves out what a warehouse lacks or holds only NULLs for.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "dim_customers": ("customer_id",),
    "fct_customer_rfm": (
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "rfm_segment",
    ),
    "fct_customer_features": ("customer_id",),
    "fct_customer_segments": ("customer_id", "segment_id", "segment_name"),
    "dim_segments": ("segment_id", "segment_name", "customers"),
    "fct_segment_profiles": ("segment_id", "feature", "z_score"),
    "fct_segment_model_selection": ("algorithm", "k", "is_chosen"),
    "fct_load_reconciliation": ("target_table", "rows_read", "rows_loaded", "rows_quarantined"),
    "fct_customer_clv": ("customer_id", "p_alive", "p_alive_basis"),
    "fct_clv_model_fit": ("model", "parameter", "estimate"),
}


class WarehouseError(Exception):
    """A problem with the warehouse that the user can fix; ``str(error)`` says how.

    ``severity`` is ``"error"`` (nothing can be shown) or ``"warning"`` (try again later).
    """

    severity = "error"


class WarehouseMissingError(WarehouseError):
    """No file at the configured warehouse path."""


class WarehouseBusyError(WarehouseError):
    """A build holds the write lock on the warehouse."""

    severity = "warning"


class WarehouseUnreadableError(WarehouseError):
    """The file exists but DuckDB cannot read it (not a warehouse, a newer format, ...)."""


class MartMissingError(WarehouseError):
    """A mart (or a column the explorer needs) is not in the warehouse."""


def configured_path() -> str:
    """The warehouse path as the user configured it: $FINSEG_WAREHOUSE or the default.

    This is the only path the explorer shows; it resolves it with :func:`warehouse_path`.
    """
    return os.environ.get(WAREHOUSE_ENV) or str(DEFAULT_WAREHOUSE)


@dataclass(frozen=True)
class Warehouse:
    """One version of the warehouse file and the marts it holds.

    ``version`` (modification time in ns, size, inode) changes whenever a build rewrites or swaps
    the file; it is part of every cache key. ``marts`` maps mart name to its column names.
    """

    path: str
    shown_path: str
    version: tuple[int, int, int]
    marts: Mapping[str, tuple[str, ...]]

    def has(self, mart: str, *columns: str) -> bool:
        """Whether the mart exists with these columns (and those the explorer requires)."""
        present = self.marts.get(mart)
        if present is None:
            return False
        return all(column in present for column in (*REQUIRED_COLUMNS.get(mart, ()), *columns))

    def require(self, mart: str) -> None:
        """Raise :class:`MartMissingError` unless the mart exists with its required columns."""
        if mart not in self.marts:
            raise MartMissingError(
                f"The warehouse at `{self.shown_path}` has no `{MARTS}.{mart}` yet: "
                "run `make run` (or `dbt build`) to build it."
            )
        missing = [c for c in REQUIRED_COLUMNS.get(mart, ()) if c not in self.marts[mart]]
        if missing:
            raise MartMissingError(
                f"`{MARTS}.{mart}` in the warehouse at `{self.shown_path}` lacks the column(s) "
                f"{', '.join(missing)}: rebuild it with `dbt build`."
            )


def open_warehouse() -> Warehouse:
    """The configured warehouse and its marts; raises :class:`WarehouseError` with a fix."""
    shown = configured_path()
    path = warehouse_path(shown)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise WarehouseMissingError(
            f"No warehouse at `{shown}`: run `make run` to build one, or set "
            f"{WAREHOUSE_ENV} to the path of an existing warehouse."
        ) from None
    if not path.is_file():
        raise WarehouseUnreadableError(
            f"`{shown}` is not a file: set {WAREHOUSE_ENV} to a .duckdb file."
        )
    version = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    catalog = _cached_query(str(path), shown, version, _CATALOG_SQL, (MARTS,))
    marts: dict[str, list[str]] = {}
    for table, column in catalog.itertuples(index=False):
        marts.setdefault(table, []).append(column)
    if not marts:
        raise MartMissingError(
            f"The warehouse at `{shown}` holds no marts yet: run `make run` "
            "(or `dbt build`) to build them."
        )
    return Warehouse(str(path), shown, version, {k: tuple(v) for k, v in marts.items()})


def query(warehouse: Warehouse, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Run a read-only query with ``?`` parameters; cached until the warehouse changes."""
    return _cached_query(
        warehouse.path, warehouse.shown_path, warehouse.version, sql, tuple(params)
    )


_CATALOG_SQL = """
select table_name, column_name
from information_schema.columns
where table_catalog = current_database() and table_schema = ?
order by table_name, ordinal_position
"""


@st.cache_data(max_entries=512, show_spinner=False)
def _cached_query(
    path: str,
    shown_path: str,
    version: tuple[int, int, int],
    sql: str,
    params: tuple[object, ...],
) -> pd.DataFrame:
    """:func:`run_query`, cached; ``version`` only keys the cache (a new file, a new entry)."""
    del version
    return run_query(path, shown_path, sql, params)


def run_query(path: str, shown_path: str, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
    """Open the warehouse read-only, run one query, close it; errors become WarehouseError."""
    with _reading(path, shown_path) as connection:
        return connection.sql(sql, params=list(params)).df()


def run_arrow(path: str, shown_path: str, sql: str, params: Sequence[object] = ()) -> pa.Table:
    """:func:`run_query` returning Arrow, which keeps DECIMAL money exact (for downloads)."""
    with _reading(path, shown_path) as connection:
        return connection.sql(sql, params=list(params)).to_arrow_table()


@contextmanager
def _reading(path: str, shown_path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, closed on leaving; DuckDB errors become WarehouseError."""
    try:
        with duckdb.connect(
            path, read_only=True, config={"enable_external_access": False}
        ) as connection:
            yield connection
    except duckdb.CatalogException as error:
        raise MartMissingError(
            f"A mart changed while the explorer read it ({_first_line(error, path, shown_path)}): "
            "reload the page; if this stays, rebuild with `dbt build`."
        ) from None
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(
                f"The warehouse at `{shown_path}` is busy: a build is writing it. "
                "Reload the page when the build has finished."
            ) from None
        raise WarehouseUnreadableError(
            f"Cannot read the warehouse at `{shown_path}`: {_first_line(error, path, shown_path)}. "
            "Rebuild it with `make run`."
        ) from None
    except duckdb.Error as error:
        raise WarehouseUnreadableError(
            f"Reading the warehouse at `{shown_path}` failed: "
            f"{_first_line(error, path, shown_path)}."
        ) from None


def _first_line(error: Exception, path: str, shown_path: str) -> str:
    """The error's first line with the resolved warehouse path shown as configured and any other
    machine path hidden."""
    line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return hide_paths(line, path, shown_path)


def optional_column(
    warehouse: Warehouse, mart_name: str, column: str, cast: str | None = None
) -> str:
    """``column`` (cast to a type when asked) if the mart has it, else ``null as column``."""
    if not warehouse.has(mart_name, column):
        return f"null as {ident(column)}"
    if cast is None:
        return ident(column)
    return f"cast({ident(column)} as {cast}) as {ident(column)}"


def ident(name: str) -> str:
    """A quoted SQL identifier, for mart and column names taken from the warehouse's catalog."""
    return '"' + name.replace('"', '""') + '"'


def mart(name: str) -> str:
    """The qualified, quoted name of a mart: ``marts."dim_segments"``."""
    return f"{MARTS}.{ident(name)}"


def written_at() -> str | None:
    """When the configured warehouse file was last written (``2025-12-03 16:41 UTC``), or None
    when there is no file."""
    try:
        stat = warehouse_path(configured_path()).stat()
    except OSError:
        return None
    return pd.Timestamp(stat.st_mtime_ns, unit="ns", tz="UTC").strftime("%Y-%m-%d %H:%M UTC")
