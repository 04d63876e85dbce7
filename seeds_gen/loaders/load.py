"""Load real files into the raw contract through a column mapping: validate everything, then write.

:func:`load_files` reads every file into temporary tables, maps and checks all rows (see
``validate.py``), and only then replaces the warehouse's ``raw`` schema inside one transaction:
the raw tables, ``raw.quarantine`` (unusable rows with a reason and the source row as JSON) and
``raw.load_reconciliation`` (rows read = rows loaded + rows quarantined, per table). A problem
raises :class:`LoadError` before anything is written; loading again replaces, never doubles.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb

from seeds_gen.contract import RAW_TABLES, reset_raw_schema
from seeds_gen.loaders._sql import first_row, ident, literal, temp_name
from seeds_gen.loaders.errors import fail
from seeds_gen.loaders.mapping import Mapping, read_mapping
from seeds_gen.loaders.read import read_source
from seeds_gen.loaders.validate import StagedTable, check_foreign_keys, stage_table

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableReport:
    """What one load did to one raw table (the row written to raw.load_reconciliation)."""

    target_table: str
    source_file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    quarantine_reasons: dict[str, int]


@dataclass(frozen=True)
class LoadReport:
    """What :func:`load_files` wrote: one :class:`TableReport` per raw table it filled."""

    load_id: str
    mapping: str
    tables: dict[str, TableReport]
    seconds: float

    def __getitem__(self, table: str) -> TableReport:
        return self.tables[table]

    def __iter__(self) -> Iterator[TableReport]:
        return iter(self.tables.values())

    def rows(self) -> list[dict[str, object]]:
        """One dict per table: load_id, source_file, target_table, rows_read/loaded/quarantined."""
        return [
            {
                "load_id": self.load_id,
                "source_file": table.source_file,
                "target_table": table.target_table,
                "rows_read": table.rows_read,
                "rows_loaded": table.rows_loaded,
                "rows_quarantined": table.rows_quarantined,
            }
            for table in self.tables.values()
        ]


def load_files(
    con: duckdb.DuckDBPyConnection,
    mapping: str | Path,
    files: dict[str, Path] | dict[str, str] | Path | str,
) -> LoadReport:
    """Load files into ``raw.*`` through a mapping, replacing what the warehouse held.

    Parameters
    ----------
    con
        Open DuckDB connection in autocommit mode (no transaction of the caller's in progress).
    mapping
        A mapping name in seeds_gen/mappings (``"online_retail"``, ``"cdnow"``) or a YAML path.
    files
        One path for a mapping with one source, else ``{source name: path}``.

    Returns
    -------
    LoadReport
        Per raw table filled: rows read, loaded and quarantined (also in raw.load_reconciliation).

    Raises
    ------
    LoadError
        Naming the file, the column, the first offending rows and the fix. Nothing was written.
    """
    started = time.perf_counter()
    spec = read_mapping(mapping)
    paths = _resolve_files(spec, files)
    ordered = first_row(con, "select current_setting('preserve_insertion_order')")[0]
    # Row numbers come from insertion order: keep it for this load.
    con.execute("set preserve_insertion_order = true")
    try:
        _drop_temp_tables(con)
        data = {name: read_source(con, spec.sources[name], path) for name, path in paths.items()}
        staged = {
            table.name: stage_table(con, spec, table, data)
            for table in spec.tables.values()
            if table.derive is None and table.source in data
        }
        check_foreign_keys(con, staged)
        derived = _derive_customers(con, spec, staged)
        load_id = _load_id(spec, paths)
        tables = _write(con, load_id, staged, derived)
    finally:
        _drop_temp_tables(con)
        con.execute(f"set preserve_insertion_order = {str(bool(ordered)).lower()}")
    report = LoadReport(load_id, spec.name, tables, time.perf_counter() - started)
    for table in report:
        log.info(
            "raw.%s: %s read, %s loaded, %s quarantined",
            table.target_table,
            f"{table.rows_read:,}",
            f"{table.rows_loaded:,}",
            f"{table.rows_quarantined:,}",
        )
    return report


def _resolve_files(
    spec: Mapping, files: dict[str, Path] | dict[str, str] | Path | str
) -> dict[str, Path]:
    """Match the given files to the mapping's sources."""
    names = ", ".join(spec.sources)
    if not isinstance(files, dict):
        if len(spec.sources) != 1:
            raise fail(
                f"mapping {spec.name!r}",
                f"needs one file per source ({names}), but one file was given",
                "pass the files as SOURCE=PATH pairs (a dict {source: path} from Python)",
            )
        return {next(iter(spec.sources)): Path(files)}
    unknown = sorted(set(files) - set(spec.sources))
    if unknown:
        raise fail(
            f"mapping {spec.name!r}",
            f"has no source named {', '.join(map(repr, unknown))}",
            f"name the files by the mapping's sources: {names}",
        )
    missing = [
        name for name, source in spec.sources.items() if name not in files and not source.optional
    ]
    if missing:
        raise fail(
            f"mapping {spec.name!r}",
            f"needs a file for source(s) {', '.join(map(repr, missing))}",
            f"pass every source: {names} (optional ones may be left out)",
        )
    for table in spec.tables.values():
        absent = [join.source for join in table.joins if join.source not in files]
        if table.source in files and absent:
            raise fail(
                f"mapping {spec.name!r}",
                f"tables.{table.name} joins source(s) {', '.join(absent)}, which were not given",
                "pass those files too",
            )
    return {name: Path(path) for name, path in files.items()}


def _derive_customers(
    con: duckdb.DuckDBPyConnection, spec: Mapping, staged: dict[str, StagedTable]
) -> tuple[str, str, int] | None:
    """Customers with only an id, from the loaded rows (other columns stay NULL, never invented).

    Returns the temporary table, the file the ids come from and its row count, or None.
    """
    table = spec.tables.get("customers")
    if table is None or table.derive is None:
        return None
    parts = [
        f"select customer_id from {staged[name].table} where _reason is null"
        for name in ("transactions", "accounts")
        if name in staged
    ]
    if not parts:
        return None
    derived = temp_name("derived", "customers")
    con.execute(
        f"create or replace temp table {derived} as select distinct customer_id "
        f"from ({' union all '.join(parts)}) where customer_id is not null order by customer_id"
    )
    rows = first_row(con, f"select count(*) from {derived}")[0]
    origin = staged.get("transactions") or staged["accounts"]
    return derived, origin.data.file, rows


def _load_id(spec: Mapping, paths: dict[str, Path]) -> str:
    """Same mapping and same bytes, same load id (no wall clock: loads are reproducible)."""
    digest = hashlib.sha256(spec.text.encode("utf-8"))
    for name in sorted(paths):
        digest.update(name.encode("utf-8"))
        with open(paths[name], "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return f"{spec.name}-{digest.hexdigest()[:12]}"


def _write(
    con: duckdb.DuckDBPyConnection,
    load_id: str,
    staged: dict[str, StagedTable],
    derived: tuple[str, str, int] | None,
) -> dict[str, TableReport]:
    """Replace raw.* with the staged rows, quarantine and reconciliation, in one transaction."""
    reports = {
        name: TableReport(
            name,
            table.data.file,
            table.rows_read,
            table.rows_loaded,
            table.rows_quarantined,
            dict(sorted(table.reasons.items())),
        )
        for name, table in staged.items()
    }
    if derived is not None:
        _, file, rows = derived
        reports["customers"] = TableReport("customers", file, rows, rows, 0, {})
    con.execute("begin transaction")
    try:
        # reset_raw_schema drops raw and raw_truth, then create_raw_schema makes every table.
        reset_raw_schema(con)
        for name, table in staged.items():
            _insert_table(con, load_id, name, table)
        if derived is not None:
            con.execute(
                f"insert into raw.customers (customer_id) select customer_id from {derived[0]}"
            )
        for report in reports.values():
            con.execute(
                "insert into raw.load_reconciliation values (?, ?, ?, ?, ?, ?)",
                [
                    load_id,
                    report.source_file,
                    report.target_table,
                    report.rows_read,
                    report.rows_loaded,
                    report.rows_quarantined,
                ],
            )
        _check_written(con, reports)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return reports


def _insert_table(
    con: duckdb.DuckDBPyConnection, load_id: str, name: str, table: StagedTable
) -> None:
    columns = ", ".join(map(ident, RAW_TABLES[name].columns))
    con.execute(
        f"insert into raw.{name} ({columns}) select {columns} from {table.table} "
        "where _reason is null order by source_row"
    )
    raw_columns = [row[0] for row in con.execute(f"describe {table.data.raw_table}").fetchall()][1:]
    record = ", ".join(f"{ident(col)} := source.{ident(col)}" for col in raw_columns)
    con.execute(
        f"insert into raw.quarantine select {literal(load_id)}, {literal(table.data.file)}, "
        f"staged.source_row, {literal(name)}, staged._reason, "
        f"cast(to_json(struct_pack({record})) as varchar) "
        f"from {table.table} as staged inner join {table.data.raw_table} as source "
        "on staged.source_row = source.source_row "
        "where staged._reason is not null order by staged.source_row"
    )


def _check_written(con: duckdb.DuckDBPyConnection, reports: dict[str, TableReport]) -> None:
    """Rows read = rows loaded + rows quarantined, and raw holds exactly the rows loaded."""
    for report in reports.values():
        in_raw = first_row(con, f"select count(*) from raw.{report.target_table}")[0]
        quarantined = first_row(
            con, "select count(*) from raw.quarantine where target_table = ?", [report.target_table]
        )[0]
        balanced = report.rows_read == report.rows_loaded + report.rows_quarantined
        written = in_raw == report.rows_loaded and quarantined == report.rows_quarantined
        if not (balanced and written):
            raise RuntimeError(
                f"raw.{report.target_table} does not reconcile: read {report.rows_read}, "
                f"loaded {report.rows_loaded} (in raw {in_raw}), quarantined "
                f"{report.rows_quarantined} (in raw.quarantine {quarantined}); this is a bug"
            )


def _drop_temp_tables(con: duckdb.DuckDBPyConnection) -> None:
    names = con.execute(
        "select table_name from duckdb_tables() where temporary "
        "and table_name like '\\_finseg\\_load\\_%' escape '\\'"
    ).fetchall()
    for (name,) in names:
        con.execute(f"drop table if exists temp.{ident(name)}")
