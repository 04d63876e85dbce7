"""Quoting for the SQL the loaders build (identifiers, literals, temporary table names)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb


def ident(name: str) -> str:
    """A double-quoted DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: object) -> str:
    """A DuckDB literal for a YAML scalar (string, number, boolean, date or None)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return repr(value) if not isinstance(value, Decimal) else str(value)
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


def temp_name(kind: str, name: str) -> str:
    """Name of a loader's temporary table (``kind`` is a short tag: raw, typed, mapped...)."""
    safe = "".join(ch if ch.isalnum() else "_" for ch in name)
    return ident(f"_finseg_load_{kind}_{safe}")


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple:
    """The first row of a query, reading the whole result so that the connection is free again.

    (DuckDB 2 keeps a result open after ``fetchone()``, which blocks ``con.sql`` afterwards.)
    Returns an empty tuple for an empty result.
    """
    rows = con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    return rows[0] if rows else ()
