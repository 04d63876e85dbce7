"""Read one input file through DuckDB into temporary tables, and check every value's type.

Each source becomes two temporary tables of the loader's connection:

- the *raw* table: ``source_row`` (1-based data row number, header not counted) and every column
  of the file as read (text for CSV and whitespace files, native types for Parquet);
- the *typed* table: ``source_row`` and each column the mapping lists, parsed as its type.

A value that does not parse as its column's type (text in a number column, a date in another
format, a number that would lose digits) is an error naming the rows, never a silent NULL.
"""

from __future__ import annotations

import csv
import difflib
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb

from seeds_gen.loaders._sql import first_row, ident, literal, temp_name
from seeds_gen.loaders.errors import ROWS_SHOWN, LoadError, LoadWarning, Problem, fail
from seeds_gen.loaders.mapping import Source, SourceColumn

log = logging.getLogger(__name__)

_MAGIC = {"gzip": b"\x1f\x8b", "zstd": b"\x28\xb5\x2f\xfd", "parquet": b"PAR1"}
# A byte that never separates fields: whitespace files are read one line per row, then split.
_LINE_DELIMITER = "chr(31)"


@dataclass(frozen=True)
class SourceData:
    """A source read into the connection: its temporary tables and row count."""

    source: Source
    path: Path
    raw_table: str
    typed_table: str
    rows: int

    @property
    def file(self) -> str:
        return self.path.name


def read_source(con: duckdb.DuckDBPyConnection, source: Source, path: Path) -> SourceData:
    """Read ``path`` as ``source`` says, check its header and every value's type.

    Raises
    ------
    LoadError
        The file is missing, empty, not in the stated format or compression, lacks a column,
        has an unexpected one (when the mapping says so), or holds a value of the wrong type.
    """
    compression = _check_file(source, path)
    raw_table = temp_name("raw", source.name)
    con.execute(f"drop table if exists {raw_table}")
    if source.format == "parquet":
        header = _read_parquet(con, path, raw_table)
    elif source.format == "whitespace":
        header = _read_whitespace(con, source, path, compression, raw_table)
    else:
        header = _read_csv(con, source, path, compression, raw_table)
    rows = first_row(con, f"select count(*) from {raw_table}")[0]
    if rows == 0:
        raise fail(
            path.name,
            "has no data rows" + (" (only a header)" if source.header and header else ""),
            "give a file with at least one data row (is it the right file?)",
        )
    typed_table = _type_columns(con, source, path, raw_table)
    log.info("read %s: %s rows", path.name, f"{rows:,}")
    return SourceData(source, path, raw_table, typed_table, rows)


def _check_file(source: Source, path: Path) -> str:
    """Check that the file exists, is not empty and is compressed as stated; the compression."""
    if not path.is_file():
        raise fail(path.name, f"file not found ({path})", "give the path of an existing file")
    with open(path, "rb") as handle:
        head = handle.read(4)
    if not head:
        raise fail(
            path.name,
            "is empty (0 bytes)",
            f"give a file with a header and data rows for source {source.name!r}",
        )
    if source.format == "parquet":
        if head != _MAGIC["parquet"]:
            raise fail(
                path.name,
                f"is not a Parquet file (it starts with {head!r}, not b'PAR1')",
                "give the Parquet file, or set the source's format to csv or whitespace",
            )
        return "none"
    stated = source.compression
    if stated == "auto":
        stated = {".gz": "gzip", ".gzip": "gzip", ".zst": "zstd"}.get(path.suffix.lower(), "none")
    found = next((kind for kind in ("gzip", "zstd") if head.startswith(_MAGIC[kind])), "none")
    if head.startswith(_MAGIC["parquet"]):
        found = "parquet"
    if stated != found:
        said = "its name" if source.compression == "auto" else "the mapping"
        raise fail(
            path.name,
            f"is not what {said} says: expected "
            f"{'no' if stated == 'none' else stated} compression, but the content looks like "
            f"{found if found != 'none' else 'uncompressed text'} (first bytes {head!r})",
            "give the right file, or rename it (.gz for gzip, no suffix for plain text), or set "
            "the source's compression in the mapping",
        )
    return stated


def _reader_options(source: Source, compression: str) -> str:
    return f"compression={literal(compression)}, encoding={literal(source.encoding)}"


def _read_csv(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path, compression: str, table: str
) -> list[str]:
    if source.header:
        header = _parse_header(_first_line(con, source, path, compression), source)
        _check_header(header, source, path)
    else:
        header = [col.name for col in source.columns]
    columns = "{" + ", ".join(f"{literal(name)}: 'VARCHAR'" for name in header) + "}"
    loaded = temp_name("csv", source.name)
    _run_reader(
        con,
        f"create temp table {loaded} as select * from read_csv({literal(str(path))}, "
        f"columns={columns}, header={str(source.header).lower()}, "
        f"delim={literal(source.delimiter)}, quote={literal(source.quote)}, "
        f"escape={literal(source.escape)}, auto_detect=false, strict_mode=true, "
        f"{_reader_options(source, compression)})",
        source,
        path,
    )
    # rowid follows file order (DuckDB keeps insertion order); it numbers the data rows.
    con.execute(f"create temp table {table} as select rowid + 1 as source_row, * from {loaded}")
    con.execute(f"drop table {loaded}")
    return header


def _read_whitespace(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path, compression: str, table: str
) -> list[str]:
    lines = temp_name("lines", source.name)
    _run_reader(con, _lines_sql(lines, source, path, compression), source, path)
    skip = 1 if source.header else 0
    if source.header:
        first = first_row(con, f"select line from {lines} where rowid = 0")
        header = (first[0] or "").lstrip("\ufeff").split() if first else []
        _check_header(header, source, path)
    else:
        header = [col.name for col in source.columns]
    fields = ", ".join(f"fields[{n}] as {ident(name)}" for n, name in enumerate(header, 1))
    con.execute(
        f"create temp table {table} as "
        f"select source_row, len(fields) as _fields, {fields} from ("
        f"  select rowid + 1 - {skip} as source_row,"
        rf"    regexp_split_to_array(trim(line, ' ' || chr(9) || chr(13)), '[ \t]+') as fields"
        f"  from {lines} where rowid >= {skip} and trim(coalesce(line, '')) <> ''"
        f")"
    )
    con.execute(f"drop table {lines}")
    bad = con.execute(
        f"select source_row, _fields from {table} where _fields <> {len(header)} "
        f"order by source_row"
    ).fetchall()
    if bad:
        raise fail(
            path.name,
            f"has rows with a number of fields other than the header's {len(header)}",
            "correct these rows (fields are separated by spaces or tabs; a value cannot hold "
            "a space)",
            rows=tuple((row, f"{count} fields") for row, count in bad[:ROWS_SHOWN]),
            count=len(bad),
        )
    con.execute(f"alter table {table} drop column _fields")
    return header


def _read_parquet(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> list[str]:
    source_path = literal(str(path))
    try:
        con.execute(
            f"create temp table {table} as select file_row_number + 1 as source_row, "
            f"* exclude (file_row_number) from read_parquet({source_path}, file_row_number=true)"
        )
    except duckdb.Error as error:
        raise fail(
            path.name, f"cannot be read as Parquet ({_first(error)})", "give a valid Parquet file"
        ) from error
    return [row[0] for row in con.execute(f"describe {table}").fetchall()][1:]


def _lines_sql(table: str, source: Source, path: Path, compression: str) -> str:
    return (
        f"create temp table {table} as select * from read_csv({literal(str(path))}, "
        f"columns={{'line': 'VARCHAR'}}, header=false, delim={_LINE_DELIMITER}, quote='', "
        f"escape='', auto_detect=false, {_reader_options(source, compression)})"
    )


def _first_line(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path, compression: str
) -> str:
    """The file's first line, read through DuckDB (so any compression and encoding works)."""
    probe = temp_name("header", source.name)
    _run_reader(con, _lines_sql(probe, source, path, compression) + " limit 1", source, path)
    row = first_row(con, f"select line from {probe}")
    con.execute(f"drop table {probe}")
    return (row[0] or "") if row else ""


def _parse_header(line: str, source: Source) -> list[str]:
    reader = csv.reader(
        [line.lstrip("\ufeff")],
        delimiter=source.delimiter,
        quotechar=source.quote or None,
        escapechar=None if source.escape == source.quote else source.escape or None,
    )
    return [name.strip() for name in next(reader, [])]


def _check_header(header: list[str], source: Source, path: Path) -> None:
    """Missing columns are errors; extra columns follow the source's ``extra_columns``."""
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise fail(
            path.name,
            f"has duplicated column names in its header: {', '.join(duplicated)}",
            "give every column a distinct name",
        )
    expected = [col.name for col in source.columns]
    missing = [name for name in expected if name not in header]
    if missing:
        unexpected = [name for name in header if name not in expected]
        hints = [
            f"{name!r} -> {close[0]!r}?"
            for name in missing
            if (close := difflib.get_close_matches(name, unexpected, n=1, cutoff=0.6))
        ]
        several = len(missing) > 1
        raise fail(
            path.name,
            (
                f"columns {', '.join(map(repr, missing))} are missing"
                if several
                else "column missing"
            )
            + f"; the header has {', '.join(map(repr, header[:20]))}",
            f"give the file the mapping expects (source {source.name!r} needs "
            f"{', '.join(expected)}), or rename the column in the file or in the mapping"
            + (f" ({'; '.join(hints)})" if hints else ""),
            column=None if several else missing[0],
        )
    extra = [name for name in header if name not in expected]
    if extra and source.extra_columns == "error":
        raise fail(
            path.name,
            f"has column(s) the mapping does not list: {', '.join(map(repr, extra))}",
            f"add them to sources.{source.name}.columns, or set "
            f"sources.{source.name}.extra_columns to 'ignore' or 'warn'",
            column=extra[0],
        )
    if extra and source.extra_columns == "warn":
        warnings.warn(
            f"{path.name}: ignoring column(s) the mapping does not list: {', '.join(extra)}",
            LoadWarning,
            stacklevel=4,
        )


def _run_reader(con: duckdb.DuckDBPyConnection, sql: str, source: Source, path: Path) -> None:
    """Run a DuckDB reader statement; a reader error becomes a LoadError with a fix."""
    try:
        con.execute(sql)
    except duckdb.Error as error:
        message = _first(error)
        if "unicode" in message.lower() or "encoding" in message.lower():
            fix = f"set sources.{source.name}.encoding to the file's encoding (e.g. latin-1)"
        else:
            fix = (
                f"check that the file is {source.format} with delimiter "
                f"{source.delimiter!r} and quote {source.quote!r} as the mapping says, that "
                "every row has the header's number of fields, and that values holding the "
                "delimiter, a quote or a line break are quoted"
            )
        raise fail(path.name, f"cannot be read ({message})", fix) from error


def _first(error: Exception) -> str:
    """The useful part of a DuckDB error: its lines before the option dump and generic advice."""
    kept = []
    for line in (line.strip() for line in str(error).splitlines()):
        if line.startswith(("Possible fixes", "file =", "*")):
            break
        if line:
            kept.append(line)
    return " ".join(kept)[:400]


# A time of day followed by a UTC offset ('Z', '+01', '-05:30'): such values are moved to UTC.
_OFFSET = r"'\d:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$'"


def _typed_sql(
    source: Source, column: SourceColumn, raw: str, raw_type: str = "VARCHAR"
) -> tuple[str, str]:
    """SQL for the typed value of ``column`` and the condition 'value present but unparseable'.

    Timestamps end up in UTC whatever the session's time zone: values with an offset (or a
    ``%z`` format, or a Parquet TIMESTAMPTZ) are converted; values without one are taken as UTC.
    """
    nulls = ", ".join(literal(value) for value in source.null_values)
    text = f"cast({raw} as varchar)"
    value = f"(case when {text} in ({nulls}) then null else {raw} end)" if nulls else raw
    if source.decimal_separator != "." and (column.is_exact_number or column.type == "double"):
        value = f"replace(cast({value} as varchar), {literal(source.decimal_separator)}, '.')"
    if column.is_temporal and raw_type.startswith("TIMESTAMP WITH TIME ZONE"):
        typed = f"cast(timezone('UTC', {value}) as {column.type})"
    elif column.is_temporal and column.formats:
        formats = "[" + ", ".join(literal(fmt) for fmt in column.formats) + "]"
        typed = f"try_strptime(cast({value} as varchar), {formats})"
        if any("%z" in fmt or "%Z" in fmt for fmt in column.formats):
            typed = f"timezone('UTC', {typed})"
        typed = f"cast({typed} as {column.type})"
    elif column.type == "timestamp":
        with_offset = f"timezone('UTC', try_cast({value} as timestamptz))"
        typed = (
            f"(case when regexp_matches(cast({value} as varchar), {_OFFSET}) "
            f"then {with_offset} else try_cast({value} as timestamp) end)"
        )
    else:
        typed = f"try_cast({value} as {column.type})"
    bad = f"({value} is not null and {typed} is null)"
    if column.is_exact_number:
        # try_cast rounds '12.5' to 13 for an integer: a value that changes is not the type.
        precise = "decimal(38,12)" if column.type.startswith("decimal") else "decimal(38,6)"
        changed = f"{typed} is distinct from try_cast({value} as {precise})"
        bad = f"({bad} or ({value} is not null and {changed}))"
    return typed, bad


def _type_columns(
    con: duckdb.DuckDBPyConnection, source: Source, path: Path, raw_table: str
) -> str:
    """Create the typed table; raise one LoadError listing every column with unparseable values."""
    typed_table = temp_name("typed", source.name)
    raw_types = dict(
        con.execute(f"select column_name, column_type from (describe {raw_table})").fetchall()
    )
    parts, flags = [], []
    for number, column in enumerate(source.columns):
        typed, bad = _typed_sql(source, column, ident(column.name), raw_types[column.name])
        parts.append(f"{typed} as {ident(column.name)}")
        flags.append(f"{bad} as _bad_{number}")
    con.execute(
        f"create or replace temp table {typed_table} as "
        f"select source_row, {', '.join(parts)}, {', '.join(flags)} from {raw_table}"
    )
    counts = first_row(
        con,
        "select "
        + ", ".join(f"count(*) filter (where _bad_{n})" for n in range(len(flags)))
        + f" from {typed_table}",
    )
    problems = []
    for number, (column, count) in enumerate(zip(source.columns, counts, strict=True)):
        if not count:
            continue
        rows = con.execute(
            f"select raw.source_row, cast(raw.{ident(column.name)} as varchar) "
            f"from {raw_table} as raw inner join {typed_table} as typed "
            f"on raw.source_row = typed.source_row "
            f"where typed._bad_{number} order by raw.source_row limit {ROWS_SHOWN}"
        ).fetchall()
        problems.append(
            Problem(
                file=path.name,
                column=column.name,
                what=f"{count:,} value(s) are not {_describe(column)}",
                fix=_type_fix(source, column),
                rows=tuple(rows),
                count=count,
            )
        )
    if problems:
        raise LoadError(problems)
    drop = ", ".join(f"_bad_{n}" for n in range(len(flags)))
    con.execute(
        f"create or replace temp table {typed_table} as "
        f"select * exclude ({drop}) from {typed_table}"
    )
    return typed_table


def _describe(column: SourceColumn) -> str:
    if column.is_temporal and column.formats:
        return f"{column.type}s in format {' or '.join(map(repr, column.formats))}"
    if column.is_temporal:
        return f"ISO {column.type}s (YYYY-MM-DD{' HH:MM:SS' if column.type == 'timestamp' else ''})"
    if column.type.startswith("decimal"):
        scale = column.type.rstrip(")").split(",")[1]
        return f"numbers with at most {scale} decimal places ({column.type})"
    if column.is_exact_number:
        return f"whole numbers ({column.type})"
    return f"of type {column.type}"


def _type_fix(source: Source, column: SourceColumn) -> str:
    where = f"sources.{source.name}.columns.{column.name}"
    if column.is_temporal:
        return f"correct these values in the file, or set {where}.format to the file's format"
    return (
        f"correct these values in the file, or change the type in {where} (values listed in "
        f"sources.{source.name}.null_values count as empty)"
    )
