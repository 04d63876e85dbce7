"""Read-only SQL on the warehouse for people: check a query, run it within limits, explain refusals.

Used by the explorer's SQL page and usable without Streamlit (this module does not import it)::

    from apps.explorer.sql_runner import run_sql, QueryError
    result = run_sql("warehouse/finseg.duckdb", "select * from marts.dim_segments")
    result.frame  # a pandas DataFrame of at most MAX_ROWS rows

Two guards, one behind the other:

1. DuckDB itself: every query runs on its own read-only connection with external access disabled
   (no file, no network, no extension, no Python variable can be read or written), a memory limit,
   and the configuration locked so that SQL cannot undo any of it. A timer thread interrupts the
   connection when the query runs longer than the time limit; rows are capped with a LIMIT on top
   of the query.
2. This module, before the query reaches the warehouse: exactly one statement, of type SELECT
   (which includes FROM-first queries, DESCRIBE, SHOW and SUMMARIZE). DuckDB's parser classifies the
   statement and serialises its syntax tree, in which the functions and tables it names are
   checked: file readers, functions that show the machine's set-up, and SQL-from-text functions are
   refused. This check exists to give a clear message; the first guard is what holds.

Every refusal and failure is a :class:`QueryError` whose message says what to do instead and
shows no path of the machine (the warehouse appears as the path its user configured).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

# Rows a query returns at most; the result says when there were more.
MAX_ROWS = 10_000
# Seconds a query may run before its connection is interrupted.
TIME_LIMIT_SECONDS = 10.0
# Memory one query may use (DuckDB's memory_limit); beyond it the query fails with a message.
MEMORY_LIMIT = "4GB"

# Settings of every connection the runner opens. lock_configuration stops SET, RESET and PRAGMA
# from changing any of them (or any other setting) from SQL.
CONNECTION_CONFIG: Mapping[str, object] = {
    "enable_external_access": False,
    "python_enable_replacements": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "memory_limit": MEMORY_LIMIT,
    "lock_configuration": True,
}

# Table functions a query may use: generators, the catalog, JSON helpers. Every other table
# function (file readers, settings, extensions, logs, SQL from text, ...) is refused.
ALLOWED_TABLE_FUNCTIONS = frozenset(
    {
        "range",
        "generate_series",
        "unnest",
        "repeat",
        "duckdb_tables",
        "duckdb_columns",
        "duckdb_views",
        "duckdb_schemas",
        "duckdb_functions",
        "duckdb_types",
        "duckdb_keywords",
        "duckdb_constraints",
        "duckdb_indexes",
        "duckdb_sequences",
        "duckdb_dependencies",
        "pragma_table_info",
        "pragma_version",
        "json_each",
        "json_tree",
        "pg_timezone_names",
        "icu_calendar_names",
    }
)
# Functions and system views that show how the machine is set up: file paths of the databases,
# settings (directories, limits), extensions, secrets, logs, temporary files.
_MACHINE_NAMES = frozenset(
    {
        "current_setting",
        "duckdb_databases",
        "duckdb_settings",
        "duckdb_extensions",
        "duckdb_secrets",
        "duckdb_secret_types",
        "which_secret",
        "duckdb_temporary_files",
        "duckdb_logs",
        "duckdb_logs_parsed",
        "duckdb_log_contexts",
        "duckdb_memory",
        "duckdb_external_file_cache",
        "duckdb_extension_repositories",
        "pragma_database_list",
        "database_list",
        "pragma_database_size",
        "database_size",
        "pragma_storage_info",
        "storage_info",
        "pragma_metadata_info",
        "metadata_info",
        "pragma_user_agent",
        "user_agent",
        "pg_settings",
        "getenv",
        "getvariable",
        "write_log",
    }
)
# Functions that run SQL given as text or as a serialised plan: the check above cannot see inside.
_DYNAMIC_SQL = frozenset({"query", "query_table", "json_execute_serialized_sql"})
# Functions that read files (when external access allows it), refused with their own message.
_FILE_READER = re.compile(
    r"^(read_\w+|parquet_\w+|\w+_scan|sniff_csv|glob|iceberg_\w+|delta_\w+|st_read\w*|"
    r"import_database|copy_database)$"
)
# A table named like a file: `select * from 'data.csv'` or a path.
_FILE_NAME = re.compile(
    r"[/\\]|://|\.(csv|tsv|txt|parquet|json|jsonl|ndjson|gz|zst|arrow|xlsx|db|duckdb|sqlite)$",
    re.IGNORECASE,
)

_WRITES = (
    "Refused: {kind} changes the warehouse, and the SQL page only reads. Tables are built by "
    "`dbt build` (`finseg build`), never from here."
)
_SETTINGS = (
    "Refused: SET, RESET, USE and PRAGMA are not allowed; settings are locked here. Name tables "
    "with their schema (`marts.dim_customers`) instead of USE; to list a table's columns, run "
    "`describe marts.dim_customers`."
)
_FILES = (
    "Refused: COPY and EXPORT write or read files, and the SQL page touches no file of this "
    "machine. To keep a result, use the download button under it."
)
_REFUSED_STATEMENTS: dict[str, str] = {
    **dict.fromkeys(
        ("INSERT", "UPDATE", "DELETE", "CREATE", "DROP", "ALTER", "MERGE_INTO"), _WRITES
    ),
    "VACUUM": (
        "Refused: VACUUM and ANALYZE maintain the warehouse, and the SQL page only reads; "
        "`dbt build` keeps the warehouse in shape."
    ),
    "MULTI": (
        "Refused: a PIVOT without the list of its values creates a type before it reads. Name the "
        "values: `pivot marts.dim_segments on segment_id in (1, 2, 3) using sum(customers)`."
    ),
    "TRANSACTION": (
        "Refused: BEGIN, COMMIT and ROLLBACK are not needed here; every query runs alone on its "
        "own read-only connection."
    ),
    "ATTACH": (
        "Refused: ATTACH is not allowed; the SQL page reads only this warehouse (schemas marts, "
        "intermediate, staging, raw, reference)."
    ),
    "DETACH": "Refused: DETACH is not allowed; the SQL page reads only this warehouse.",
    "COPY": _FILES,
    "EXPORT": _FILES,
    "COPY_DATABASE": _FILES,
    "LOAD": (
        "Refused: INSTALL and LOAD add extensions; the SQL page runs with DuckDB's built-in "
        "functions only."
    ),
    "SET": _SETTINGS,
    "VARIABLE_SET": _SETTINGS,
    "PRAGMA": _SETTINGS,
    "CALL": (
        "Refused: CALL is not allowed; select from a table function instead, e.g. "
        "`select * from duckdb_tables()`."
    ),
}
_ONLY_SELECT = (
    "Refused: only SELECT queries run here ({kind} is not one). Start the query with SELECT, "
    "WITH, FROM, DESCRIBE, SHOW or SUMMARIZE."
)


class QueryError(Exception):
    """A query that was refused or failed; ``str(error)`` says why and what to do instead.

    ``severity`` is ``"error"`` (fix the query) or ``"warning"`` (try again, or narrow it).
    """

    severity = "error"


class QueryRefusedError(QueryError):
    """The query is not allowed on the SQL page (it would write, read files, change settings...)."""


class QueryTimeoutError(QueryError):
    """The query ran longer than the time limit and was interrupted."""

    severity = "warning"


class QueryFailedError(QueryError):
    """DuckDB could not parse, bind or run the query (a typo, a missing table, out of memory)."""


class WarehouseBusyError(QueryError):
    """Another process holds the write lock on the warehouse file."""

    severity = "warning"


@dataclass(frozen=True)
class QueryResult:
    """What a query returned: its first ``max_rows`` rows, whether there were more, its time."""

    frame: pd.DataFrame
    truncated: bool
    seconds: float
    max_rows: int


def check_sql(sql: str) -> str:
    """The one SELECT statement in ``sql``, or :class:`QueryRefusedError` saying why it cannot run.

    Parsing needs no warehouse: it runs on a private in-memory database with the same settings.
    """
    if not sql.strip().rstrip(";").strip():
        raise QueryRefusedError("Type a query first, e.g. `select * from marts.dim_segments`.")
    with duckdb.connect(":memory:", config=dict(CONNECTION_CONFIG)) as parser:
        try:
            statements = parser.extract_statements(sql)
        except duckdb.Error as error:
            raise QueryFailedError(_message(error)) from None
        if len(statements) != 1:
            raise QueryRefusedError(
                f"Refused: run one statement at a time (found {len(statements)})."
            )
        statement = statements[0]
        try:
            kind = statement.type.name
        except ValueError:  # a statement type this Python package cannot name (UPDATE EXTENSIONS)
            raise QueryRefusedError(_ONLY_SELECT.format(kind="this statement")) from None
        if kind != "SELECT":
            message = _REFUSED_STATEMENTS.get(kind, _ONLY_SELECT)
            raise QueryRefusedError(message.format(kind=kind.replace("_", " ")))
        tree = parser.execute("select json_serialize_sql(?)", [statement.query]).fetchone()[0]
    _check_tree(json.loads(tree))
    return statement.query


def _check_tree(tree: dict) -> None:
    """Refuse file readers, machine set-up and SQL-from-text anywhere in a serialised SELECT."""
    if tree.get("error"):
        raise QueryRefusedError(_ONLY_SELECT.format(kind="this statement"))
    for node in _nodes(tree):
        if node.get("type") == "TABLE_FUNCTION" and isinstance(node.get("function"), dict):
            _check_table_function(str(node["function"].get("function_name", "")).lower())
        elif node.get("type") == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            if _FILE_NAME.search(name):
                raise QueryRefusedError(
                    "Refused: the query reads a file by its name, and the SQL page reads only the "
                    "warehouse's own tables (such as `marts.fct_customer_rfm`)."
                )
            _check_name(name.lower())
        elif "function_name" in node:
            _check_name(str(node["function_name"]).lower())


def _check_table_function(name: str) -> None:
    _check_name(name)
    if name not in ALLOWED_TABLE_FUNCTIONS:
        raise QueryRefusedError(
            f"Refused: the table function `{name}` is not available here. Allowed: "
            f"{', '.join(sorted(ALLOWED_TABLE_FUNCTIONS))}."
        )


def _check_name(name: str) -> None:
    """Refuse a function or system view by name (scalar, table or view alike)."""
    if _FILE_READER.match(name):
        raise QueryRefusedError(
            f"Refused: `{name}` reads files, and the SQL page reads only the warehouse's own "
            "tables (such as `marts.fct_customer_rfm`)."
        )
    if name in _MACHINE_NAMES:
        raise QueryRefusedError(
            f"Refused: `{name}` shows how this machine is set up (paths, settings, extensions). "
            "Explore the tables with `show all tables` or `information_schema.columns` instead."
        )
    if name in _DYNAMIC_SQL:
        raise QueryRefusedError(
            f"Refused: `{name}` runs SQL given as text, which cannot be checked first; write that "
            "query itself instead."
        )


def _nodes(value: object) -> Iterator[dict]:
    """Every dict in a JSON tree, depth first."""
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def run_sql(
    path: str | Path,
    sql: str,
    *,
    shown_path: str | None = None,
    max_rows: int = MAX_ROWS,
    time_limit: float = TIME_LIMIT_SECONDS,
) -> QueryResult:
    """Check ``sql`` (:func:`check_sql`), run it read-only on the warehouse at ``path`` within the
    row and time limits, and return its first ``max_rows`` rows.

    ``shown_path`` is how the user named the warehouse (default: ``path``); messages use it and
    no other path. Raises :class:`QueryError` (refused, failed, timed out, warehouse busy).
    """
    path = str(path)
    shown = shown_path or path
    statement = check_sql(sql)
    started = time.perf_counter()
    with (
        read_only_connection(path, shown) as connection,
        _time_limit(connection, time_limit) as expired,
    ):
        try:
            frame = connection.sql(statement).limit(max_rows + 1).df()
        except duckdb.InterruptException:
            if not expired.is_set():
                raise QueryFailedError("The query was interrupted.") from None
            raise QueryTimeoutError(
                f"Stopped: the query ran longer than the time limit of {time_limit:g} s. Narrow "
                "it (a WHERE, fewer joins, an aggregate) or read a pre-aggregated mart."
            ) from None
        except duckdb.OutOfMemoryException:
            raise QueryFailedError(
                f"Stopped: the query needs more than the {MEMORY_LIMIT} of memory the SQL page "
                "allows. Aggregate first, or select fewer columns or rows."
            ) from None
        except duckdb.Error as error:
            raise QueryFailedError(_message(error, path, shown)) from None
    seconds = time.perf_counter() - started
    truncated = len(frame) > max_rows
    frame = _hide_warehouse_path(frame.head(max_rows), path, shown)
    return QueryResult(frame, truncated, seconds, max_rows)


@contextmanager
def read_only_connection(
    path: str | Path, shown: str | None = None
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A locked-down read-only connection to the warehouse (CONNECTION_CONFIG), closed on leaving.

    It holds even for SQL that :func:`check_sql` has not seen: DuckDB refuses writes, files,
    extensions and setting changes on it.
    """
    path = str(path)
    shown = shown or path
    if not Path(path).is_file():
        raise QueryFailedError(f"No warehouse at `{shown}`: build one with `make run`.")
    try:
        connection = duckdb.connect(path, read_only=True, config=dict(CONNECTION_CONFIG))
    except duckdb.IOException as error:
        if "lock" in str(error).lower():
            raise WarehouseBusyError(
                f"The warehouse at `{shown}` is busy: a process is writing it. Run the query "
                "again when it has finished."
            ) from None
        raise QueryFailedError(_message(error, path, shown)) from None
    except duckdb.Error as error:
        raise QueryFailedError(_message(error, path, shown)) from None
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def _time_limit(connection: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[threading.Event]:
    """Interrupt ``connection`` from a timer thread after ``seconds``; the yielded event is set
    when the timer fired. The timer never touches the connection once the block has left."""
    expired = threading.Event()
    lock = threading.Lock()
    finished = False

    def interrupt() -> None:
        with lock:
            if not finished:
                expired.set()
                connection.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield expired
    finally:
        with lock:
            finished = True
        timer.cancel()


_ABSOLUTE_PATH = re.compile(r"(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[\w.\-~]+[/\\])*[\w.\-~]+")


def hide_paths(text: str, path: str | None = None, shown_path: str | None = None) -> str:
    """``text`` with ``path`` written as ``shown_path`` and every other absolute path as
    ``<path>``: what an error message may show of the machine."""
    if path and shown_path:
        text = text.replace(path, shown_path)
    if not shown_path:
        return _ABSOLUTE_PATH.sub("<path>", text)
    # The configured path may itself be absolute: keep it, hide every other path.
    return shown_path.join(_ABSOLUTE_PATH.sub("<path>", piece) for piece in text.split(shown_path))


def _message(error: Exception, path: str | None = None, shown_path: str | None = None) -> str:
    """DuckDB's message without machine paths; the LINE/caret context of a syntax error stays."""
    text = str(error).strip() or type(error).__name__
    return hide_paths(text, path, shown_path)


def _hide_warehouse_path(frame: pd.DataFrame, path: str, shown: str) -> pd.DataFrame:
    """Text cells with the warehouse's resolved path written as the configured one (a second line
    of defence behind the refused catalog functions; other text is left as it is)."""
    folder = str(Path(path).parent)
    frame = frame.copy()
    for position, dtype in enumerate(frame.dtypes):
        if not _is_text(dtype):
            continue
        values = frame.iloc[:, position]
        if values.astype("string").str.contains(folder, regex=False).fillna(False).any():
            frame.iloc[:, position] = values.map(
                lambda v: (
                    v.replace(path, shown).replace(folder, "<path>") if isinstance(v, str) else v
                )
            )
    return frame


def _is_text(dtype: object) -> bool:
    return pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
