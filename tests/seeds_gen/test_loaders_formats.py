"""Reader options of the mapping format: Parquet, joins, encodings, separators and null markers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from seeds_gen.loaders import LoadError, load_files

# A Berka-like layout: accounts, and the link table that names each account's owner.
JOIN_MAPPING = """
sources:
  account:
    columns: {account_id: integer, opened: date}
  disp:
    columns: {disp_id: integer, client_id: integer, account_id: integer, type: varchar}
tables:
  accounts:
    from: account
    joins:
      - source: disp
        on: "disp.account_id = account.account_id and disp.type = 'OWNER'"
    columns:
      account_id: "cast(account.account_id as varchar)"
      customer_id: "cast(disp.client_id as varchar)"
      product: {value: checking}
      opened_date: opened
  customers: {derive: customer_ids}
"""
ACCOUNT_CSV = "account_id,opened\n1,1993-01-01\n2,1994-05-31\n"
DISP_CSV = "disp_id,client_id,account_id,type\n1,10,1,OWNER\n2,11,1,DISPONENT\n3,12,2,OWNER\n"

EUROPEAN_MAPPING = """
sources:
  transactions:
    delimiter: ";"
    encoding: {encoding}
    decimal_separator: ","
    null_values: ["", "NA"]
    columns:
      id: varchar
      client: varchar
      day: {{type: date, format: ["%d.%m.%Y", "%Y-%m-%d"]}}
      amount: decimal(18,2)
      note: varchar
tables:
  transactions:
    from: transactions
    columns:
      transaction_id: id
      customer_id: client
      booked_at: day
      amount: amount
      category: {{value: other}}
"""
EUROPEAN_CSV = (
    "id;client;day;amount;note\n1;Müller;31.12.2020;-1234,56;Café\n2;NA;2021-01-02;5,00;NA\n"
)

PARQUET_MAPPING = """
sources:
  transactions:
    format: parquet
    columns: {id: bigint, client: varchar, ts: timestamp, amount: 'decimal(18,2)', n: integer}
tables:
  transactions:
    from: transactions
    columns:
      transaction_id: "cast(id as varchar)"
      customer_id: client
      booked_at: ts
      amount: amount
"""


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding)
    return path


def test_join_takes_the_owner_of_each_account(tmp_path):
    # A lookup join fills customer_id from a link table; the filter keeps one match per row.
    con = duckdb.connect()
    mapping = _write(tmp_path / "berka.yaml", JOIN_MAPPING)
    files = {
        "account": _write(tmp_path / "account.csv", ACCOUNT_CSV),
        "disp": _write(tmp_path / "disp.csv", DISP_CSV),
    }
    report = load_files(con, mapping, files)
    accounts = con.execute(
        "select account_id, customer_id from raw.accounts order by account_id"
    ).fetchall()
    assert accounts == [("1", "10"), ("2", "12")]
    assert report["customers"].rows_loaded == 2
    assert report["accounts"].source_file == "account.csv"


def test_join_matching_several_rows_is_an_error(tmp_path):
    # Without the OWNER filter account 1 has two matches: the join would double it.
    mapping = _write(tmp_path / "berka.yaml", JOIN_MAPPING.replace(" and disp.type = 'OWNER'", ""))
    files = {
        "account": _write(tmp_path / "account.csv", ACCOUNT_CSV),
        "disp": _write(tmp_path / "disp.csv", DISP_CSV),
    }
    with pytest.raises(LoadError, match=r"matches several rows.*row 1: '2 matches'"):
        load_files(duckdb.connect(), mapping, files)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
def test_european_csv_with_semicolons_commas_and_na(tmp_path, encoding):
    # ';' fields, ',' decimals, 'NA' as empty, two date formats, and the file's encoding.
    con = duckdb.connect()
    mapping = _write(tmp_path / "eu.yaml", EUROPEAN_MAPPING.format(encoding=encoding))
    report = load_files(con, mapping, _write(tmp_path / "eu.csv", EUROPEAN_CSV, encoding))
    assert con.execute(
        "select customer_id, booked_at::date::varchar, amount from raw.transactions"
    ).fetchall() == [("Müller", "2020-12-31", Decimal("-1234.56"))]
    assert report["transactions"].quarantine_reasons == {"missing customer_id": 1}


def test_wrong_encoding_names_the_setting(tmp_path):
    # A latin-1 file read as UTF-8 is refused with the encoding setting as the fix.
    mapping = _write(tmp_path / "eu.yaml", EUROPEAN_MAPPING.format(encoding="utf-8"))
    path = _write(tmp_path / "eu.csv", EUROPEAN_CSV, "latin-1")
    with pytest.raises(LoadError, match="sources.transactions.encoding"):
        load_files(duckdb.connect(), mapping, path)


def test_parquet_source_keeps_native_types(tmp_path):
    # A Parquet file's typed columns load without text round trips; row numbers start at 1.
    con = duckdb.connect()
    path = tmp_path / "t.parquet"
    con.execute(
        "copy (select * from (values "
        "(7, 'C1', timestamp '2021-01-01 00:00:00', -1.25::decimal(18,2), 3), "
        "(8, null, timestamp '2021-01-02 23:59:59', 2.00::decimal(18,2), 1)) "
        f"as t(id, client, ts, amount, n)) to '{path}' (format parquet)"
    )
    report = load_files(con, _write(tmp_path / "pq.yaml", PARQUET_MAPPING), path)
    assert con.execute("select transaction_id, amount from raw.transactions").fetchall() == [
        ("7", Decimal("-1.25"))
    ]
    assert con.execute("select source_row, reason from raw.quarantine").fetchall() == [
        (2, "missing customer_id")
    ]
    assert report["transactions"].rows_read == 2


def test_parquet_fraction_in_integer_column_is_an_error(tmp_path):
    # A double 2.5 in a column declared integer is refused, not rounded.
    con = duckdb.connect()
    path = tmp_path / "t.parquet"
    con.execute(
        "copy (select 7 as id, 'C1' as client, timestamp '2021-01-01' as ts, "
        f"1.0::decimal(18,2) as amount, 2.5::double as n) to '{path}' (format parquet)"
    )
    with pytest.raises(LoadError, match=r"t.parquet, column 'n'.*row 1: '2.5'"):
        load_files(con, _write(tmp_path / "pq.yaml", PARQUET_MAPPING), path)


def test_unquoted_decimal_in_a_flow_mapping_gets_a_hint(tmp_path):
    # YAML splits {a: decimal(18,2)} at the comma; the error says to quote the type.
    mapping = _write(
        tmp_path / "m.yaml",
        "sources:\n  t:\n    columns: {a: varchar, b: decimal(18,2)}\n"
        "tables:\n  customers:\n    from: t\n    columns: {customer_id: a}\n",
    )
    with pytest.raises(LoadError, match=r"quote it: 'decimal\(18,2\)'"):
        load_files(duckdb.connect(), mapping, tmp_path / "t.csv")


def test_expression_failing_on_a_row_names_the_setting(tmp_path):
    # A cast that fails on one row's value (not on the column) still names the expression.
    mapping = _write(
        tmp_path / "m.yaml",
        "sources:\n  t:\n    columns: {a: varchar, b: varchar}\n"
        "tables:\n  customers:\n    from: t\n"
        "    columns: {customer_id: a, credit_score: 'cast(b as integer)'}\n",
    )
    path = _write(tmp_path / "t.csv", "a,b\nc1,700\nc2,good\n")
    with pytest.raises(LoadError, match=r"columns.credit_score: expression 'cast\(b as integer\)'"):
        load_files(duckdb.connect(), mapping, path)


def test_timestamps_with_offsets_become_utc_whatever_the_session_zone(tmp_path):
    # '+01:00' and 'Z' are moved to UTC; naive values are UTC; the session zone plays no part.
    con = duckdb.connect()
    con.execute("set TimeZone = 'America/New_York'")
    mapping = _write(
        tmp_path / "m.yaml",
        "sources:\n  t:\n    columns: {id: varchar, who: varchar, ts: timestamp}\n"
        "tables:\n  transactions:\n    from: t\n"
        "    columns: {transaction_id: id, customer_id: who, booked_at: ts, amount: '0'}\n",
    )
    path = _write(
        tmp_path / "t.csv",
        "id,who,ts\n1,a,2021-06-01 00:30:00+01:00\n2,a,2021-06-01T10:00:00Z\n"
        "3,a,2021-06-01 23:59:59\n4,a,2021-06-01\n",
    )
    load_files(con, mapping, path)
    assert [
        row[0]
        for row in con.execute(
            "select booked_at::varchar from raw.transactions order by transaction_id"
        ).fetchall()
    ] == [
        "2021-05-31 23:30:00",
        "2021-06-01 10:00:00",
        "2021-06-01 23:59:59",
        "2021-06-01 00:00:00",
    ]
