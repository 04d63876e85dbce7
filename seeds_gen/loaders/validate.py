"""Map typed source rows to a raw table and check them against the contract, before any write.

For one raw table, :func:`stage_table` evaluates the mapping's column expressions and quarantine
rules over the typed source (one temporary table, ``source_row`` plus the contract columns plus
``_reason``: NULL for a row to load, else why it is quarantined), then checks:

- every expression result fits its contract type and every value map covers the values met;
- rows without a required contract column are quarantined (``missing <column>``);
- channel, category, product and currency values belong to the contract's lists;
- keys are unique: an exact duplicate (same key, same values) is quarantined with the row it
  repeats; a duplicate key with different values is an error.

:func:`check_foreign_keys` then checks references between the staged tables. Problems a user must
fix raise :class:`LoadError`; nothing has been written at that point.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import duckdb

from seeds_gen.contract import CATEGORIES, CHANNELS, PRODUCTS, RAW_TABLES
from seeds_gen.loaders._sql import first_row, ident, literal, temp_name
from seeds_gen.loaders.errors import ROWS_SHOWN, LoadError, Problem, fail
from seeds_gen.loaders.mapping import Mapping, TableMapping
from seeds_gen.loaders.read import SourceData

# ISO 4217 codes in use (test and "no currency" codes left out).
CURRENCIES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD BTN
    BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK
    JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK
    MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
    PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB
    TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF XCD
    XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
    """.split()  # noqa: SIM905 (a block of codes reads better than 170 quoted strings)
)

# Contract columns whose values must come from a fixed list.
ALLOWED_VALUES: dict[tuple[str, str], tuple[str, ...]] = {
    ("transactions", "channel"): CHANNELS,
    ("transactions", "category"): CATEGORIES,
    ("transactions", "currency"): tuple(sorted(CURRENCIES)),
    ("accounts", "product"): PRODUCTS,
}

# Which staged table a column refers to, when that table is given: (table, column) -> parent.
FOREIGN_KEYS: dict[tuple[str, str], tuple[str, str]] = {
    ("transactions", "account_id"): ("accounts", "account_id"),
    ("transactions", "customer_id"): ("customers", "customer_id"),
    ("accounts", "customer_id"): ("customers", "customer_id"),
    ("balances", "account_id"): ("accounts", "account_id"),
}


@dataclass
class StagedTable:
    """A raw table mapped and checked, waiting in a temporary table to be written."""

    name: str
    table: str  # temporary table: source_row, contract columns, _reason
    data: SourceData
    rows_read: int
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def rows_quarantined(self) -> int:
        return sum(self.reasons.values())

    @property
    def rows_loaded(self) -> int:
        return self.rows_read - self.rows_quarantined


def stage_table(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: TableMapping,
    data: dict[str, SourceData],
) -> StagedTable:
    """Map one raw table from its source(s), quarantine unusable rows and check the rest."""
    primary = data[str(table.source)]
    mapped = _map_rows(con, mapping, table, data)
    staged = _cast_rows(con, mapping, table, primary, mapped)
    _check_allowed_values(con, table, staged)
    _handle_duplicates(con, table, staged)
    reasons = con.execute(
        f"select _reason, count(*) from {staged.table} where _reason is not null "
        "group by _reason order by _reason"
    ).fetchall()
    staged.reasons = Counter(dict(reasons))
    return staged


def _from_clause(table: TableMapping, data: dict[str, SourceData]) -> str:
    primary = data[str(table.source)]
    clause = f"{primary.typed_table} as {ident(primary.source.name)}"
    for join in table.joins:
        other = data[join.source].typed_table
        clause += (
            f" left join (select * exclude (source_row) from {other}) as {ident(join.source)}"
            f" on ({join.on})"
        )
    return clause


def _map_rows(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: TableMapping,
    data: dict[str, SourceData],
) -> str:
    """Evaluate column expressions and quarantine rules; a temp table of raw results."""
    primary = data[str(table.source)]
    source_row = f"{ident(primary.source.name)}.source_row"
    expressions = {f"columns.{col.name}": col.expr for col in table.columns}
    expressions |= {f"quarantine rule {rule.reason!r}": rule.when for rule in table.quarantine}
    rule = "null"
    if table.quarantine:
        whens = " ".join(f"when ({r.when}) then {literal(r.reason)}" for r in table.quarantine)
        rule = f"case {whens} end"
    select = ", ".join(f"({col.expr}) as {ident('e:' + col.name)}" for col in table.columns)
    mapped = temp_name("mapped", table.name)
    from_clause = _from_clause(table, data)
    try:
        con.execute(
            f"create or replace temp table {mapped} as select {source_row} as source_row, "
            f"{select}, {rule} as _rule from {from_clause}"
        )
    except duckdb.Error as error:
        raise _expression_error(con, mapping, table, expressions, from_clause) from error
    _check_join_fanout(con, mapping, table, primary, mapped)
    return mapped


def _expression_error(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: TableMapping,
    expressions: dict[str, str],
    from_clause: str,
) -> LoadError:
    """Find which mapping expression fails (when binding, else on some row) and say so."""
    for limit in (" limit 0", ""):
        for where, expr in expressions.items():
            try:
                con.execute(
                    f"select count(({expr})) from (select * from {from_clause}{limit})"
                ).fetchall()
            except duckdb.Error as error:
                return fail(
                    f"mapping {mapping.name!r}",
                    f"tables.{table.name}.{where}: expression {expr!r} fails "
                    f"({' '.join(str(error).split('LINE 1:')[0].split())[:300]})",
                    "correct the expression (DuckDB SQL over the source columns and "
                    "source_row; it runs on every row, quarantined or not, so use try_cast "
                    "where a value may not convert)",
                )
    return fail(
        f"mapping {mapping.name!r}",
        f"tables.{table.name}: the joins fail",
        "check the 'on' conditions in the table's 'joins'",
    )


def _check_join_fanout(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: TableMapping,
    primary: SourceData,
    mapped: str,
) -> None:
    if not table.joins:
        return
    repeated = con.execute(
        f"select source_row, count(*) from {mapped} group by source_row having count(*) > 1 "
        "order by source_row"
    ).fetchall()
    if repeated:
        raise fail(
            primary.file,
            f"a join of mapping {mapping.name!r} (tables.{table.name}.joins) matches several "
            "rows of the joined source for one row",
            "make the join condition match at most one row (a lookup), e.g. add a filter",
            rows=tuple((row, f"{count} matches") for row, count in repeated[:ROWS_SHOWN]),
            count=len(repeated),
        )


def _cast_rows(
    con: duckdb.DuckDBPyConnection,
    mapping: Mapping,
    table: TableMapping,
    primary: SourceData,
    mapped: str,
) -> StagedTable:
    """Cast to contract types, apply value maps, give each row its quarantine reason or NULL."""
    contract = RAW_TABLES[table.name]
    given = {col.name: col for col in table.columns}
    values, flags = [], []
    for name, sql_type in contract.columns.items():
        if name not in given:
            values.append(f"cast(null as {sql_type}) as {ident(name)}")
            continue
        raw = ident("e:" + name)
        value = given[name].mapped_sql(raw)
        values.append(f"try_cast({value} as {sql_type}) as {ident(name)}")
        flags.append(
            f"({value} is not null and try_cast({value} as {sql_type}) is null)"
            f" as {ident('bad:' + name)}"
        )
        unmapped = given[name].unmapped_sql(raw)
        if unmapped:
            flags.append(f"{unmapped} as {ident('unmapped:' + name)}")
    missing = " ".join(
        f"when {ident(name)} is null then {literal('missing ' + name)}"
        for name in contract.required
    )
    staged_table = temp_name("staged", table.name)
    con.execute(
        f"create or replace temp table {staged_table} as "
        f"select *, coalesce(_rule, case {missing} end) as _reason from ("
        f"select source_row, _rule, {', '.join(values + flags)} from {mapped})"
    )
    problems = []
    for flag in [col for col in _columns(con, staged_table) if ":" in col]:
        kind, name = flag.split(":", 1)
        rows = con.execute(
            f"select source_row, cast({ident('e:' + name)} as varchar) from {mapped} "
            f"where source_row in (select source_row from {staged_table} "
            f"where {ident(flag)} and _rule is null) order by source_row"
        ).fetchall()
        if rows:
            problems.append(_cast_problem(mapping, table, primary, kind, name, rows))
    if problems:
        raise LoadError(problems)
    keep = [col for col in _columns(con, staged_table) if ":" not in col and col != "_rule"]
    con.execute(
        f"create or replace temp table {staged_table} as "
        f"select {', '.join(map(ident, keep))} from {staged_table}"
    )
    con.execute(f"drop table {mapped}")
    return StagedTable(table.name, staged_table, primary, rows_read=primary.rows)


def _cast_problem(
    mapping: Mapping,
    table: TableMapping,
    primary: SourceData,
    kind: str,
    name: str,
    rows: list[tuple[int, object]],
) -> Problem:
    where = f"tables.{table.name}.columns.{name}"
    sql_type = RAW_TABLES[table.name].columns[name]
    if kind == "unmapped":
        distinct = sorted({str(value) for _, value in rows})
        return Problem(
            file=primary.file,
            column=name,
            what=f"value(s) {', '.join(map(repr, distinct[:10]))} have no entry in the "
            f"mapping's value map ({where}.map)",
            fix=f"add each value under {where}.map (or give {where}.otherwise) in mapping "
            f"{mapping.name!r}",
            rows=tuple(rows[:ROWS_SHOWN]),
            count=len(rows),
        )
    return Problem(
        file=primary.file,
        column=name,
        what=f"the mapping's expression gives values that are not {sql_type}",
        fix=f"correct the rows, or the expression in {where} of mapping {mapping.name!r}",
        rows=tuple(rows[:ROWS_SHOWN]),
        count=len(rows),
    )


def _check_allowed_values(
    con: duckdb.DuckDBPyConnection, table: TableMapping, staged: StagedTable
) -> None:
    problems = []
    for (table_name, column), allowed in ALLOWED_VALUES.items():
        if table_name != table.name or column not in {col.name for col in table.columns}:
            continue
        listed = ", ".join(literal(value) for value in allowed)
        rows = con.execute(
            f"select source_row, {ident(column)} from {staged.table} where _reason is null "
            f"and {ident(column)} is not null and {ident(column)} not in ({listed}) "
            "order by source_row"
        ).fetchall()
        if rows:
            unknown = sorted({str(value) for _, value in rows})
            shown = ", ".join(allowed) if len(allowed) <= 20 else "ISO 4217 codes such as GBP"
            problems.append(
                Problem(
                    file=staged.data.file,
                    column=column,
                    what=f"unknown {column} value(s) {', '.join(map(repr, unknown[:10]))} "
                    f"(the contract allows {shown})",
                    fix=f"map them to allowed values with tables.{table.name}.columns.{column}"
                    ".map in the mapping, or correct the file",
                    rows=tuple(rows[:ROWS_SHOWN]),
                    count=len(rows),
                )
            )
    if problems:
        raise LoadError(problems)


def _handle_duplicates(
    con: duckdb.DuckDBPyConnection, table: TableMapping, staged: StagedTable
) -> None:
    """Quarantine exact repeats of a key; raise on a key repeated with different values."""
    key = RAW_TABLES[table.name].key
    keys = ", ".join(map(ident, key))
    total, distinct = first_row(
        con, f"select count(*), count(distinct ({keys})) from {staged.table} where _reason is null"
    )
    if total == distinct:
        return
    others = [col for col in RAW_TABLES[table.name].columns if col not in key]
    same = (
        " and ".join(f"{ident(col)} is not distinct from {ident('first:' + col)}" for col in others)
        or "true"
    )
    firsts = ", ".join(
        f"first_value({ident(col)}) over by_key as {ident('first:' + col)}" for col in others
    )
    repeats = con.execute(
        f"select source_row, first_row, {same} as is_exact, {keys} from ("
        f"select *, first_value(source_row) over by_key as first_row, {firsts} "
        f"from {staged.table} where _reason is null "
        f"window by_key as (partition by {keys} order by source_row "
        f"rows between unbounded preceding and current row)"
        f") where source_row <> first_row order by source_row"
    ).fetchall()
    conflicts = [row for row in repeats if not row[2]]
    if conflicts:
        key_name = " + ".join(key)
        raise fail(
            staged.data.file,
            f"duplicate {key_name} with conflicting values ({len(conflicts):,} row(s) repeat "
            "the key of an earlier row with other values)",
            f"give each {key_name} one row, or make the mapping build a unique {key_name} "
            f"(tables.{table.name}.columns)",
            column=key[0],
            rows=tuple(
                (row[0], f"{'/'.join(map(str, row[3:]))} also on row {row[1]}")
                for row in conflicts[:ROWS_SHOWN]
            ),
            count=len(conflicts),
        )
    con.execute(
        f"update {staged.table} set _reason = 'exact duplicate of row ' || first_row "
        f"from (select unnest(?) as dup_row, unnest(?) as first_row) as dups "
        f"where {staged.table}.source_row = dups.dup_row",
        [[row[0] for row in repeats], [row[1] for row in repeats]],
    )


def check_foreign_keys(con: duckdb.DuckDBPyConnection, staged: dict[str, StagedTable]) -> None:
    """Every reference to a table the input gives must point at a loaded row of it."""
    problems = []
    for (child, column), (parent, parent_key) in FOREIGN_KEYS.items():
        if child not in staged or parent not in staged:
            continue
        rows = con.execute(
            f"select source_row, {ident(column)} from {staged[child].table} "
            f"where _reason is null and {ident(column)} is not null and {ident(column)} not in ("
            f"select {ident(parent_key)} from {staged[parent].table} where _reason is null) "
            "order by source_row"
        ).fetchall()
        if rows:
            problems.append(
                Problem(
                    file=staged[child].data.file,
                    column=column,
                    what=f"{len(rows):,} row(s) refer to {parent} that are not loaded from "
                    f"{staged[parent].data.file} (dangling reference)",
                    fix=f"add the missing {parent} to {staged[parent].data.file} (or correct "
                    f"{column}); a row quarantined in {staged[parent].data.file} counts as "
                    "missing",
                    rows=tuple(rows[:ROWS_SHOWN]),
                    count=len(rows),
                )
            )
    if problems:
        raise LoadError(problems)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    return [row[0] for row in con.execute(f"describe {table}").fetchall()]
