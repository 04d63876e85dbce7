"""Column mappings: a YAML file says how one kind of input file becomes tables of the raw contract.

A mapping has two parts (``seeds_gen/mappings/online_retail.yaml`` is a commented example):

``sources``
    The files, by a name the caller uses to pass them (``files={"transactions": path}``; a single
    path goes to a mapping's only source). Per source: the reader (``format``: csv, whitespace or
    parquet, with ``delimiter``, ``quote``, ``escape``, ``header``, ``encoding``, ``compression``,
    ``null_values``, ``decimal_separator``), what to do with columns the mapping does not list
    (``extra_columns``: error, warn or ignore) and every expected column with its type
    (varchar, integer, bigint, double, boolean, decimal(p,s), date, timestamp) and, for dates, the
    ``format`` (strptime codes; a list tries each in turn). A value that does not parse as its
    type is an error, not a NULL.

``tables``
    Per raw table (names and columns from ``seeds_gen.contract``): ``from`` a source, optional
    ``joins`` to other sources (lookups, at most one match per row), the ``columns`` (a DuckDB SQL
    expression over the source columns and ``source_row``, the 1-based data row number; or
    ``{value: constant}``; or ``{column: name}``; any of them with a ``map`` of source values to
    contract values and an ``otherwise``), and ``quarantine`` rules (``reason`` + ``when``, a SQL
    condition; the first matching rule names the reason). A table may instead be derived:
    ``customers: {derive: customer_ids}`` makes one row per customer id of the loaded rows, other
    columns NULL. Contract columns not listed are NULL.

Checks that no mapping can switch off (``validate.py``): a row without a required contract
column is quarantined as ``missing <column>``; channel, category, product and currency must be
contract values (map them); a key repeated with identical values is quarantined as
``exact duplicate of row N``, a key repeated with other values is an error; references to
accounts or customers must exist when the input gives those tables.

A mapping holds SQL that runs inside the warehouse connection: load only mappings you trust.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from seeds_gen.contract import RAW_TABLES
from seeds_gen.loaders._sql import ident, literal
from seeds_gen.loaders.errors import fail

MAPPINGS_DIR = Path(__file__).resolve().parents[1] / "mappings"

FORMATS = ("csv", "whitespace", "parquet")
COMPRESSIONS = ("auto", "gzip", "zstd", "none")
ENCODINGS = ("utf-8", "utf-16", "latin-1")
EXTRA_COLUMNS = ("error", "warn", "ignore")
DERIVATIONS = ("customer_ids",)
_TYPE_PATTERN = re.compile(
    r"^(varchar|integer|bigint|smallint|double|boolean|date|timestamp"
    r"|decimal\(\s*\d{1,2}\s*,\s*\d{1,2}\s*\))$",
    re.IGNORECASE,
)
_NAME_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_SOURCE_KEYS = {
    "format", "delimiter", "quote", "escape", "header", "encoding", "compression",
    "null_values", "decimal_separator", "extra_columns", "optional", "columns", "description",
}  # fmt: skip
_TABLE_KEYS = {"from", "joins", "columns", "quarantine", "derive", "description"}
_COLUMN_KEYS = {"expr", "column", "value", "map", "otherwise", "description"}


@dataclass(frozen=True)
class SourceColumn:
    """A column the source file must have, with the type its values must parse as."""

    name: str
    type: str
    formats: tuple[str, ...] = ()

    @property
    def is_temporal(self) -> bool:
        return self.type in ("date", "timestamp")

    @property
    def is_exact_number(self) -> bool:
        return self.type in ("integer", "bigint", "smallint") or self.type.startswith("decimal")


@dataclass(frozen=True)
class Source:
    """One input file: how to read it and which columns it holds."""

    name: str
    columns: tuple[SourceColumn, ...]
    format: str = "csv"
    delimiter: str = ","
    quote: str = '"'
    escape: str = '"'
    header: bool = True
    encoding: str = "utf-8"
    compression: str = "auto"
    null_values: tuple[str, ...] = ("",)
    decimal_separator: str = "."
    extra_columns: str = "error"
    optional: bool = False


@dataclass(frozen=True)
class TargetColumn:
    """How one contract column is computed: a SQL expression, optionally through a value map."""

    name: str
    expr: str
    value_map: dict[str, object] | None = None
    otherwise: str | None = None  # SQL literal for unmapped values; None: unmapped is an error

    def mapped_sql(self, raw: str) -> str:
        """SQL giving the contract value from ``raw`` (the expression's result)."""
        if self.value_map is None:
            return raw
        whens = " ".join(
            f"when {literal(key)} then {literal(value)}" for key, value in self.value_map.items()
        )
        return f"case cast({raw} as varchar) {whens} else {self.otherwise or 'null'} end"

    def unmapped_sql(self, raw: str) -> str | None:
        """SQL condition true where the value map has no entry and no ``otherwise`` applies."""
        if self.value_map is None or self.otherwise is not None:
            return None
        keys = ", ".join(literal(key) for key in self.value_map) or "null"
        return f"({raw} is not null and cast({raw} as varchar) not in ({keys}))"


@dataclass(frozen=True)
class QuarantineRule:
    reason: str
    when: str


@dataclass(frozen=True)
class Join:
    source: str
    on: str


@dataclass(frozen=True)
class TableMapping:
    """How one raw table is filled: from a source (``source``) or derived (``derive``)."""

    name: str
    source: str | None
    columns: tuple[TargetColumn, ...] = ()
    joins: tuple[Join, ...] = ()
    quarantine: tuple[QuarantineRule, ...] = ()
    derive: str | None = None


@dataclass(frozen=True)
class Mapping:
    """A validated column mapping (see the module docstring for the YAML format)."""

    name: str
    description: str
    path: Path | None
    text: str
    sources: dict[str, Source]
    tables: dict[str, TableMapping]


def available_mappings() -> list[str]:
    """Names of the mappings shipped in seeds_gen/mappings."""
    return sorted(path.stem for path in MAPPINGS_DIR.glob("*.yaml"))


def read_mapping(mapping: str | Path) -> Mapping:
    """Read and validate a mapping: a name in seeds_gen/mappings or a path to a YAML file.

    Raises
    ------
    LoadError
        The file is missing, is not YAML, or breaks the format (the message names the setting).
    """
    path = _mapping_path(mapping)
    text = path.read_text(encoding="utf-8")
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise fail(path.name, f"is not valid YAML ({error})", "correct the YAML syntax") from error
    return parse_mapping(document, name=path.stem, path=path, text=text)


def parse_mapping(document: Any, name: str, path: Path | None = None, text: str = "") -> Mapping:
    """Validate a mapping already read from YAML (a dict) and return it."""
    label = path.name if path else f"mapping {name!r}"
    _expect(isinstance(document, dict), label, "the top level must be a mapping of settings")
    _unknown(document, {"name", "description", "sources", "tables"}, label, "top level")
    name = str(document.get("name") or name)
    sources_doc = document.get("sources")
    _expect(isinstance(sources_doc, dict) and sources_doc, label, "'sources' must list the files")
    sources = {key: _parse_source(key, value, label) for key, value in sources_doc.items()}
    tables_doc = document.get("tables")
    _expect(isinstance(tables_doc, dict) and tables_doc, label, "'tables' must list raw tables")
    tables = {key: _parse_table(key, value, label, sources) for key, value in tables_doc.items()}
    return Mapping(
        name=name,
        description=str(document.get("description") or ""),
        path=path,
        text=text or yaml.safe_dump(document, sort_keys=True),
        sources=sources,
        tables=tables,
    )


def _mapping_path(mapping: str | Path) -> Path:
    candidate = Path(mapping)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise fail(
                candidate.name,
                "mapping file not found",
                f"give an existing YAML path, or one of: {', '.join(available_mappings())}",
            )
        return candidate
    shipped = MAPPINGS_DIR / f"{mapping}.yaml"
    if not shipped.is_file():
        raise fail(
            str(mapping),
            "is neither a mapping name nor a YAML file",
            f"use one of {', '.join(available_mappings())}, or the path to a .yaml mapping",
        )
    return shipped


def _parse_source(name: str, doc: Any, label: str) -> Source:
    where = f"sources.{name}"
    _expect(bool(_NAME_PATTERN.match(str(name))), label, f"{where}: use letters, digits and _")
    _expect(isinstance(doc, dict), label, f"{where} must be a mapping of reader settings")
    _unknown(doc, _SOURCE_KEYS, label, where)
    columns_doc = doc.get("columns")
    _expect(
        isinstance(columns_doc, dict) and columns_doc,
        label,
        f"{where}.columns must list every expected column with its type",
    )
    columns = tuple(
        _parse_source_column(key, value, label, where) for key, value in columns_doc.items()
    )
    _expect(
        all(col.name != "source_row" for col in columns),
        label,
        f"{where}.columns: 'source_row' is reserved for the row number; rename the column",
    )
    settings = {key: doc[key] for key in _SOURCE_KEYS - {"columns", "description"} if key in doc}
    for key, allowed in (
        ("format", FORMATS),
        ("compression", COMPRESSIONS),
        ("encoding", ENCODINGS),
        ("extra_columns", EXTRA_COLUMNS),
    ):
        if key in settings:
            settings[key] = str(settings[key]).lower()
            _expect(settings[key] in allowed, label, f"{where}.{key} must be one of {allowed}")
    for key in ("header", "optional"):
        if key in settings:
            _expect(isinstance(settings[key], bool), label, f"{where}.{key} must be true or false")
    if "null_values" in settings:
        values = settings["null_values"]
        values = values if isinstance(values, list) else [values]
        settings["null_values"] = tuple("" if v is None else str(v) for v in values)
    for key in ("delimiter", "quote", "escape", "decimal_separator"):
        if key in settings:
            settings[key] = "" if settings[key] is None else str(settings[key])
    return Source(name=name, columns=columns, **settings)


def _parse_source_column(name: Any, doc: Any, label: str, where: str) -> SourceColumn:
    where = f"{where}.columns.{name}"
    formats: tuple[str, ...] = ()
    if isinstance(doc, dict):
        _unknown(doc, {"type", "format", "description"}, label, where)
        sql_type, fmt = doc.get("type", "varchar"), doc.get("format")
        if fmt is not None:
            formats = tuple(str(f) for f in (fmt if isinstance(fmt, list) else [fmt]))
    else:
        sql_type = "varchar" if doc is None else doc
    sql_type = re.sub(r"\s+", "", str(sql_type).lower())
    hint = ""
    if sql_type.startswith("decimal(") and not sql_type.endswith(")"):
        hint = " (in a {...} flow mapping, quote it: 'decimal(18,2)')"
    _expect(
        bool(_TYPE_PATTERN.match(sql_type)),
        label,
        f"{where}: unknown type {sql_type!r}{hint}; use varchar, integer, bigint, smallint, "
        "double, boolean, decimal(p,s), date or timestamp",
    )
    _expect(
        not formats or sql_type in ("date", "timestamp"),
        label,
        f"{where}: 'format' applies to date and timestamp columns only",
    )
    return SourceColumn(name=str(name), type=sql_type, formats=formats)


def _parse_table(name: str, doc: Any, label: str, sources: dict[str, Source]) -> TableMapping:
    where = f"tables.{name}"
    _expect(
        name in RAW_TABLES,
        label,
        f"{where}: not a raw table; the raw contract has {', '.join(RAW_TABLES)}",
    )
    _expect(isinstance(doc, dict), label, f"{where} must be a mapping")
    _unknown(doc, _TABLE_KEYS, label, where)
    if "derive" in doc:
        _expect(
            name == "customers" and doc["derive"] in DERIVATIONS and "from" not in doc,
            label,
            f"{where}.derive: only 'customers: {{derive: customer_ids}}' is supported, "
            "without 'from'",
        )
        return TableMapping(name=name, source=None, derive=str(doc["derive"]))
    source = doc.get("from")
    _expect(source in sources, label, f"{where}.from must name a source ({', '.join(sources)})")
    joins = tuple(_parse_join(item, label, where, sources) for item in doc.get("joins") or [])
    columns_doc = doc.get("columns") or {}
    _expect(isinstance(columns_doc, dict), label, f"{where}.columns must be a mapping")
    contract = RAW_TABLES[name]
    unknown = [col for col in columns_doc if col not in contract.columns]
    _expect(
        not unknown,
        label,
        f"{where}.columns: {', '.join(map(str, unknown))} not in raw.{name} "
        f"(its columns: {', '.join(contract.columns)})",
    )
    columns = tuple(
        _parse_target(col, columns_doc[col], label, f"{where}.columns.{col}")
        for col in contract.columns
        if col in columns_doc and columns_doc[col] is not None
    )
    missing = [col for col in contract.required if col not in {c.name for c in columns}]
    _expect(
        not missing,
        label,
        f"{where}.columns: the contract requires {', '.join(missing)}; map it from the source",
    )
    rules_doc = doc.get("quarantine") or []
    _expect(isinstance(rules_doc, list), label, f"{where}.quarantine must be a list of rules")
    rules = []
    for number, rule in enumerate(rules_doc, 1):
        ok = isinstance(rule, dict) and set(rule) == {"reason", "when"}
        _expect(ok, label, f"{where}.quarantine rule {number}: give exactly 'reason' and 'when'")
        rules.append(QuarantineRule(reason=str(rule["reason"]), when=str(rule["when"])))
    return TableMapping(
        name=name, source=str(source), columns=columns, joins=joins, quarantine=tuple(rules)
    )


def _parse_join(doc: Any, label: str, where: str, sources: dict[str, Source]) -> Join:
    if isinstance(doc, dict) and True in doc:
        # YAML 1.1 reads a bare `on:` key as the boolean true.
        doc = {("on" if key is True else key): value for key, value in doc.items()}
    ok = isinstance(doc, dict) and set(doc) == {"source", "on"} and doc["source"] in sources
    _expect(ok, label, f"{where}.joins: each join needs 'source' (a source name) and 'on'")
    return Join(source=str(doc["source"]), on=str(doc["on"]))


def _parse_target(name: str, doc: Any, label: str, where: str) -> TargetColumn:
    if not isinstance(doc, dict):
        return TargetColumn(name=name, expr=str(doc))
    _unknown(doc, _COLUMN_KEYS, label, where)
    given = [key for key in ("expr", "column", "value") if key in doc]
    _expect(len(given) == 1, label, f"{where}: give exactly one of expr, column or value")
    if "expr" in doc:
        expr = str(doc["expr"])
    elif "column" in doc:
        expr = ident(str(doc["column"]))
    else:
        expr = literal(doc["value"])
    value_map = doc.get("map")
    _expect(
        value_map is None or isinstance(value_map, dict),
        label,
        f"{where}.map must map source values to contract values",
    )
    _expect(
        value_map is not None or "otherwise" not in doc,
        label,
        f"{where}.otherwise applies only with a 'map'",
    )
    return TargetColumn(
        name=name,
        expr=expr,
        value_map=None if value_map is None else {str(k): v for k, v in value_map.items()},
        otherwise=literal(doc["otherwise"]) if "otherwise" in doc else None,
    )


def _expect(condition: bool, label: str, what: str) -> None:
    if not condition:
        raise fail(label, what, "correct the mapping (format in seeds_gen/loaders/mapping.py)")


def _unknown(doc: dict, allowed: set[str], label: str, where: str) -> None:
    extra = sorted(str(key) for key in doc if key not in allowed)
    _expect(
        not extra,
        label,
        f"{where}: unknown setting(s) {', '.join(extra)}; allowed: {', '.join(sorted(allowed))}",
    )
