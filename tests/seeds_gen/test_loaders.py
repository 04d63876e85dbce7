"""Real-file loaders on tiny hand-made files: mappings, quarantine, reconciliation, errors."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from seeds_gen.loaders import LoadError, LoadWarning, load_files, read_mapping

RETAIL_HEADER = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
RETAIL_ROWS = [
    "536365,85123A,HEART,6,2010-12-01 08:26:00,2.55,17850,United Kingdom",
    "536365,71053,LANTERN,2,2010-12-01 08:26:00,3.39,17850,United Kingdom",
    "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,14527,United Kingdom",
    "536414,22139,,56,2010-12-01 11:52:00,0.0,,United Kingdom",
    "536981,23000,FREE,1,2011-06-01 07:37:00,0,12346,United Kingdom",
    "537000,21000,damaged,-3,2011-06-01 10:00:00,1.25,12346,United Kingdom",
    '555156,23299,"FOOD COVER, SET 2",6,2011-06-01 07:37:00,3.75,15643,United Kingdom',
]

CDNOW_TEXT = (
    " customer_id  date number_of_cds  dollar_value\r\n"
    " 00001 19970101  1   11.77\r\n"
    " 00002 19970112  1   12.00\r\n"
    " 00002 19970112  5   77.00\r\n"
    " 00003 19970102  2    0.00\r\n"
)

BANK_MAPPING = """
name: tiny_bank
sources:
  accounts:
    columns: {acct: varchar, owner: varchar, kind: varchar, opened: date}
  transactions:
    extra_columns: warn
    columns:
      id: varchar
      acct: varchar
      owner: varchar
      ts: {type: timestamp, format: "%d/%m/%Y %H:%M"}
      amt: decimal(18,2)
      cur: varchar
      chan: varchar
      cat: varchar
tables:
  customers: {derive: customer_ids}
  accounts:
    from: accounts
    columns:
      account_id: acct
      customer_id: owner
      product: {column: kind, map: {CHK: checking, SAV: savings}}
      opened_date: opened
  transactions:
    from: transactions
    columns:
      transaction_id: id
      account_id: acct
      customer_id: owner
      booked_at: ts
      amount: amt
      currency: cur
      channel: {column: chan, map: {WEB: online, APP: mobile, POS: pos}}
      category: {column: cat, map: {FOOD: groceries, PAY: salary}, otherwise: other}
"""
ACCOUNTS_CSV = "acct,owner,kind,opened\nA1,C1,CHK,2020-01-31\nA2,C2,SAV,2021-02-28\n"
TXN_HEADER = "id,acct,owner,ts,amt,cur,chan,cat"
TXN_ROWS = [
    "T1,A1,C1,01/03/2021 09:15,-12.50,EUR,POS,FOOD",
    "T2,A1,C1,31/03/2021 23:59,2500.00,EUR,WEB,PAY",
    "T3,A2,C2,01/04/2021 00:00,-3.10,EUR,APP,MISC",
]


def write(path: Path, text: str, compress: bool | None = None) -> Path:
    """Write ``text`` to ``path`` (gzip when the name ends in .gz, unless told otherwise)."""
    data = text.encode("utf-8")
    if compress if compress is not None else path.suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)
    return path


def retail_file(
    tmp_path: Path,
    rows: list[str] = RETAIL_ROWS,
    header: str = RETAIL_HEADER,
    name: str = "online_retail.csv.gz",
) -> Path:
    return write(tmp_path / name, "\n".join([header, *rows]) + "\n")


def bank_files(
    tmp_path: Path,
    rows: list[str] = TXN_ROWS,
    header: str = TXN_HEADER,
    accounts: str = ACCOUNTS_CSV,
) -> tuple[Path, dict[str, Path]]:
    mapping = write(tmp_path / "tiny_bank.yaml", BANK_MAPPING)
    files = {
        "accounts": write(tmp_path / "accounts.csv", accounts),
        "transactions": write(tmp_path / "transactions.csv", "\n".join([header, *rows]) + "\n"),
    }
    return mapping, files


@pytest.fixture
def con(tmp_path: Path):
    """A warehouse that already holds a good load, to show that a failed load writes nothing."""
    connection = duckdb.connect(str(tmp_path / "finseg.duckdb"))
    (tmp_path / "good").mkdir()
    load_files(connection, "online_retail", retail_file(tmp_path / "good"))
    yield connection
    connection.close()


def raw_state(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute(
        "select (select count(*) from raw.transactions), (select count(*) from raw.quarantine), "
        "(select list(load_id) from raw.load_reconciliation)"
    ).fetchone()


def load_error(con, mapping, files) -> str:
    """Load, expect a LoadError, check that nothing changed, and return its message."""
    before = raw_state(con)
    with pytest.raises(LoadError) as caught:
        load_files(con, mapping, files)
    assert raw_state(con) == before, "a failed load must not write anything"
    message = str(caught.value)
    assert "Fix:" in message
    return message


# --- Online Retail mapping -------------------------------------------------------------------


def test_online_retail_lines_become_purchases_refunds_and_quarantine(tmp_path):
    # Purchases are negative, cancellations positive refunds, unusable rows quarantined by reason.
    con = duckdb.connect()
    report = load_files(con, "online_retail", retail_file(tmp_path))
    rows = con.execute(
        "select transaction_id, customer_id, booked_at::varchar, amount, currency, channel, "
        "category, order_id from raw.transactions order by transaction_id"
    ).fetchall()
    assert rows == [
        (
            "536365-1",
            "17850",
            "2010-12-01 08:26:00",
            Decimal("-15.30"),
            "GBP",
            "online",
            "other",
            "536365",
        ),
        (
            "536365-2",
            "17850",
            "2010-12-01 08:26:00",
            Decimal("-6.78"),
            "GBP",
            "online",
            "other",
            "536365",
        ),
        # 07:37 in London in June is 06:37 UTC.
        (
            "555156-7",
            "15643",
            "2011-06-01 06:37:00",
            Decimal("-22.50"),
            "GBP",
            "online",
            "other",
            "555156",
        ),
        (
            "C536379-3",
            "14527",
            "2010-12-01 09:41:00",
            Decimal("27.50"),
            "GBP",
            "online",
            "refund",
            "C536379",
        ),
    ]
    quarantine = con.execute(
        "select source_row, reason, record::json->>'InvoiceNo' from raw.quarantine "
        "order by source_row"
    ).fetchall()
    assert quarantine == [
        (4, "missing customer_id", "536414"),
        (5, "unit price zero or negative", "536981"),
        (6, "negative quantity outside a cancellation", "537000"),
    ]
    table = report["transactions"]
    assert (table.rows_read, table.rows_loaded, table.rows_quarantined) == (7, 4, 3)
    assert table.quarantine_reasons == {
        "missing customer_id": 1,
        "negative quantity outside a cancellation": 1,
        "unit price zero or negative": 1,
    }


def test_online_retail_customers_derived_with_id_only(tmp_path):
    # raw.customers holds the ids of loaded lines only; every other column stays NULL.
    con = duckdb.connect()
    load_files(con, "online_retail", retail_file(tmp_path))
    customers = con.execute("select * from raw.customers order by customer_id").fetchall()
    assert customers == [(cid, *[None] * 7) for cid in ("14527", "15643", "17850")]


def test_load_reconciliation_rows_read_equal_loaded_plus_quarantined(tmp_path):
    # raw.load_reconciliation balances per table and matches what raw holds.
    con = duckdb.connect()
    report = load_files(con, "online_retail", retail_file(tmp_path))
    rows = con.execute(
        "select target_table, rows_read, rows_loaded, rows_quarantined, load_id, source_file "
        "from raw.load_reconciliation order by target_table"
    ).fetchall()
    assert rows == [
        ("customers", 3, 3, 0, report.load_id, "online_retail.csv.gz"),
        ("transactions", 7, 4, 3, report.load_id, "online_retail.csv.gz"),
    ]
    for table, read, loaded, quarantined, *_ in rows:
        assert read == loaded + quarantined
        assert con.execute(f"select count(*) from raw.{table}").fetchone()[0] == loaded
    assert report.rows() == [
        {
            "load_id": report.load_id,
            "source_file": "online_retail.csv.gz",
            "target_table": name,
            "rows_read": read,
            "rows_loaded": loaded,
            "rows_quarantined": quarantined,
        }
        for name, read, loaded, quarantined in (("transactions", 7, 4, 3), ("customers", 3, 3, 0))
    ]


def test_loading_twice_replaces_and_keeps_the_load_id(tmp_path):
    # A second load of the same file gives the same tables, not double rows.
    con = duckdb.connect()
    first = load_files(con, "online_retail", retail_file(tmp_path))
    snapshot = con.execute("select * from raw.transactions order by all").fetchall()
    second = load_files(con, "online_retail", retail_file(tmp_path))
    assert second.load_id == first.load_id
    assert con.execute("select * from raw.transactions order by all").fetchall() == snapshot
    assert con.execute("select count(*) from raw.load_reconciliation").fetchone()[0] == 2
    assert con.execute("select count(*) from raw.quarantine").fetchone()[0] == 3


def test_load_id_changes_with_the_content(tmp_path):
    # The load id is a digest of mapping and bytes: other content, other id.
    con = duckdb.connect()
    first = load_files(con, "online_retail", retail_file(tmp_path))
    other = load_files(con, "online_retail", retail_file(tmp_path, RETAIL_ROWS[:3]))
    assert other.load_id != first.load_id
    assert first.load_id.startswith("online_retail-")


def test_uncompressed_csv_loads_like_gzip(tmp_path):
    # Compression follows the file name: a plain .csv is read as text.
    con = duckdb.connect()
    report = load_files(con, "online_retail", retail_file(tmp_path, name="retail.csv"))
    assert report["transactions"].rows_loaded == 4


# --- CDNOW mapping ---------------------------------------------------------------------------


def test_cdnow_whitespace_file_loads_zero_dollar_rows_as_purchases(tmp_path):
    # Runs of spaces separate fields; CRLF ends lines; a $0 row is a zero-amount purchase.
    con = duckdb.connect()
    report = load_files(con, "cdnow", write(tmp_path / "CDNOW_master.txt.gz", CDNOW_TEXT))
    rows = con.execute(
        "select transaction_id, customer_id, booked_at::varchar, amount, currency, category "
        "from raw.transactions order by transaction_id"
    ).fetchall()
    assert rows == [
        ("00001-1", "00001", "1997-01-01 00:00:00", Decimal("-11.77"), "USD", "other"),
        ("00002-2", "00002", "1997-01-12 00:00:00", Decimal("-12.00"), "USD", "other"),
        ("00002-3", "00002", "1997-01-12 00:00:00", Decimal("-77.00"), "USD", "other"),
        ("00003-4", "00003", "1997-01-02 00:00:00", Decimal("0.00"), "USD", "other"),
    ]
    assert report["customers"].rows_loaded == 3
    assert report["transactions"].rows_quarantined == 0


def test_cdnow_row_with_missing_field_is_an_error(tmp_path):
    # A whitespace row with a field too few names its row.
    text = CDNOW_TEXT + " 00004 19970103  2\r\n"
    with pytest.raises(LoadError, match=r"row 5: '3 fields'"):
        load_files(duckdb.connect(), "cdnow", write(tmp_path / "cd.txt", text))


# --- A mapping with accounts, value maps and keys from the file ------------------------------


def test_bank_mapping_loads_accounts_and_maps_values(tmp_path):
    # Value maps turn source codes into contract values; 'otherwise' catches the rest.
    con = duckdb.connect()
    mapping, files = bank_files(tmp_path)
    report = load_files(con, mapping, files)
    assert con.execute(
        "select transaction_id, channel, category, booked_at::varchar from raw.transactions "
        "order by 1"
    ).fetchall() == [
        ("T1", "pos", "groceries", "2021-03-01 09:15:00"),
        ("T2", "online", "salary", "2021-03-31 23:59:00"),
        ("T3", "mobile", "other", "2021-04-01 00:00:00"),
    ]
    assert con.execute("select account_id, product from raw.accounts order by 1").fetchall() == [
        ("A1", "checking"),
        ("A2", "savings"),
    ]
    assert report["customers"].rows_loaded == 2
    assert sorted(report.tables) == ["accounts", "customers", "transactions"]


def test_exact_duplicate_id_is_quarantined_with_the_row_it_repeats(tmp_path):
    # The same id with the same values is kept once; the repeat goes to quarantine.
    con = duckdb.connect()
    mapping, files = bank_files(tmp_path, TXN_ROWS + [TXN_ROWS[0]])
    report = load_files(con, mapping, files)
    assert report["transactions"].quarantine_reasons == {"exact duplicate of row 1": 1}
    assert con.execute("select count(*) from raw.transactions").fetchone()[0] == 3


def test_missing_amount_is_quarantined_not_an_error(tmp_path):
    # A row valid in shape but without a required value is kept in quarantine with a reason.
    con = duckdb.connect()
    mapping, files = bank_files(tmp_path, TXN_ROWS + ["T4,A2,C2,02/04/2021 10:00,,EUR,APP,FOOD"])
    report = load_files(con, mapping, files)
    assert report["transactions"].quarantine_reasons == {"missing amount": 1}


def test_extra_column_is_ignored_with_a_warning_when_the_mapping_says_warn(tmp_path):
    # extra_columns: warn loads the file and warns with a specific category.
    mapping, files = bank_files(
        tmp_path, [row + ",x" for row in TXN_ROWS], header=TXN_HEADER + ",note"
    )
    with pytest.warns(LoadWarning, match="note"):
        report = load_files(duckdb.connect(), mapping, files)
    assert report["transactions"].rows_loaded == 3


# --- Errors: each names file, column, first rows and fix; nothing is written -----------------


def test_missing_column_names_file_column_and_header(con, tmp_path):
    # A file without CustomerID is refused before any write.
    header = RETAIL_HEADER.replace(",CustomerID", "")
    rows = [row.rsplit(",", 2)[0] + ",UK" for row in RETAIL_ROWS[:2]]
    message = load_error(con, "online_retail", retail_file(tmp_path, rows, header))
    assert "online_retail.csv.gz, column 'CustomerID': column missing" in message
    assert "'InvoiceNo'" in message


def test_renamed_column_gets_a_did_you_mean_hint(con, tmp_path):
    # A close name is suggested in the fix.
    header = RETAIL_HEADER.replace("CustomerID", "Customer ID")
    message = load_error(con, "online_retail", retail_file(tmp_path, header=header))
    assert "'CustomerID' -> 'Customer ID'?" in message


def test_extra_column_is_an_error_when_the_mapping_says_error(con, tmp_path):
    # The Online Retail mapping lists every column: another one means another file.
    rows = [row + ",web" for row in RETAIL_ROWS]
    message = load_error(
        con, "online_retail", retail_file(tmp_path, rows, RETAIL_HEADER + ",Channel")
    )
    assert "column 'Channel'" in message and "extra_columns" in message


def test_bad_date_names_row_and_value(con, tmp_path):
    # An impossible month is an error with the row and the expected format.
    rows = list(RETAIL_ROWS)
    rows[1] = rows[1].replace("2010-12-01 08:26:00", "2010-13-01 08:26:00")
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert "column 'InvoiceDate': 1 value(s) are not timestamps in format" in message
    assert "row 2: '2010-13-01 08:26:00'" in message


def test_text_in_number_column_names_row_and_value(con, tmp_path):
    # 'six' in Quantity is refused, not loaded as NULL.
    rows = list(RETAIL_ROWS)
    rows[2] = rows[2].replace(",-1,", ",six,")
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert "column 'Quantity': 1 value(s) are not whole numbers (integer)" in message
    assert "row 3: 'six'" in message


def test_fraction_in_integer_column_is_not_rounded(con, tmp_path):
    # 2.5 items would silently become 3 with a plain cast: it is an error instead.
    rows = list(RETAIL_ROWS)
    rows[0] = rows[0].replace(",6,", ",2.5,")
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert "row 1: '2.5'" in message


def test_price_with_too_many_decimals_is_not_rounded(con, tmp_path):
    # UnitPrice is decimal(18,3): a fourth decimal would be lost, so it is an error.
    rows = list(RETAIL_ROWS)
    rows[0] = rows[0].replace(",2.55,", ",2.5501,")
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert "column 'UnitPrice'" in message and "at most 3 decimal places" in message


def test_several_bad_columns_are_reported_together(con, tmp_path):
    # One error lists every column with bad values, so one fix round is enough.
    rows = list(RETAIL_ROWS)
    rows[0] = rows[0].replace(",6,", ",six,").replace("2010-12-01", "yesterday")
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert message.startswith("2 problems")
    assert "'Quantity'" in message and "'InvoiceDate'" in message


def test_duplicate_id_with_conflicting_values_names_both_rows(con, tmp_path):
    # T1 twice with different amounts cannot be resolved by the loader.
    mapping, files = bank_files(tmp_path, TXN_ROWS + [TXN_ROWS[0].replace("-12.50", "-13.00")])
    message = load_error(con, mapping, files)
    assert "transactions.csv, column 'transaction_id': duplicate transaction_id" in message
    assert "row 4: 'T1 also on row 1'" in message


def test_empty_file_is_an_error(con, tmp_path):
    # A 0-byte file is refused with its name.
    message = load_error(con, "online_retail", write(tmp_path / "empty.csv", ""))
    assert message.startswith("empty.csv: is empty (0 bytes)")


def test_header_only_file_is_an_error(con, tmp_path):
    # A header without data rows is refused (usually the wrong export).
    message = load_error(con, "online_retail", retail_file(tmp_path, rows=[]))
    assert "has no data rows (only a header)" in message


def test_text_named_gz_is_not_what_its_name_says(con, tmp_path):
    # A plain CSV named .gz is refused with what it looks like.
    path = write(tmp_path / "retail.csv.gz", RETAIL_HEADER + "\n" + RETAIL_ROWS[0], False)
    message = load_error(con, "online_retail", path)
    assert "is not what its name says: expected gzip compression" in message
    assert "uncompressed text" in message


def test_gzip_named_csv_is_not_what_its_name_says(con, tmp_path):
    # Gzip bytes in a .csv file are refused rather than parsed as garbage.
    path = write(tmp_path / "retail.csv", RETAIL_HEADER + "\n" + RETAIL_ROWS[0], True)
    message = load_error(con, "online_retail", path)
    assert "expected no compression, but the content looks like gzip" in message


def test_other_dataset_under_a_mapping_is_refused_by_its_header(con, tmp_path):
    # The CDNOW file given to the Online Retail mapping fails on its header, not later.
    path = write(tmp_path / "online_retail.csv.gz", CDNOW_TEXT)
    message = load_error(con, "online_retail", path)
    assert "columns 'InvoiceNo', 'StockCode'," in message
    assert "are missing; the header has 'customer_id  date number_of_cds  dollar_value'" in message
    retail = retail_file(tmp_path, name="retail.txt")
    message = load_error(con, "cdnow", retail)
    assert (
        "retail.txt: columns 'customer_id', 'date', 'number_of_cds', 'dollar_value' are "
        "missing; the header has 'InvoiceNo,StockCode," in message
    )


def test_parquet_named_source_that_is_csv_is_refused(con, tmp_path):
    # A mapping that expects Parquet refuses a text file by its first bytes.
    mapping = write(
        tmp_path / "pq.yaml",
        "sources:\n  t:\n    format: parquet\n    columns: {a: varchar}\n"
        "tables:\n  customers:\n    from: t\n    columns: {customer_id: a}\n",
    )
    message = load_error(con, mapping, write(tmp_path / "t.parquet", "a\n1\n"))
    assert "is not a Parquet file" in message


def test_ragged_csv_row_is_an_error(con, tmp_path):
    # A row with a field too many cannot be read; DuckDB's reason is passed on.
    rows = list(RETAIL_ROWS)
    rows[2] = rows[2] + ",extra"
    message = load_error(con, "online_retail", retail_file(tmp_path, rows))
    assert message.startswith("online_retail.csv.gz: cannot be read")


def test_unknown_channel_code_names_the_value_map(con, tmp_path):
    # 'FAX' has no entry in the channel map: error naming the value and where to add it.
    rows = [*TXN_ROWS, "T4,A2,C2,02/04/2021 10:00,-1.00,EUR,FAX,FOOD"]
    mapping, files = bank_files(tmp_path, rows)
    message = load_error(con, mapping, files)
    assert "transactions.csv, column 'channel': value(s) 'FAX' have no entry" in message
    assert "row 4: 'FAX'" in message
    assert "tables.transactions.columns.channel.map" in message


def test_unknown_category_from_an_expression_is_an_error(con, tmp_path):
    # A mapping whose expression yields a value outside the contract's categories is refused.
    mapping, files = bank_files(tmp_path)
    text = mapping.read_text().replace(
        "category: {column: cat, map: {FOOD: groceries, PAY: salary}, otherwise: other}",
        "category: lower(cat)",
    )
    mapping.write_text(text)
    message = load_error(con, mapping, files)
    assert "column 'category': unknown category value(s) 'food', 'misc', 'pay'" in message


def test_unknown_currency_is_an_error(con, tmp_path):
    # Currencies are ISO 4217 codes.
    mapping, files = bank_files(tmp_path, [TXN_ROWS[0].replace("EUR", "EUROS")])
    message = load_error(con, mapping, files)
    assert "column 'currency': unknown currency value(s) 'EUROS'" in message


def test_dangling_account_is_an_error_when_accounts_are_given(con, tmp_path):
    # A transaction on an account that the accounts file lacks is refused.
    mapping, files = bank_files(tmp_path, [*TXN_ROWS, "T4,A9,C2,02/04/2021 10:00,-1.00,EUR,POS,X"])
    message = load_error(con, mapping, files)
    assert "transactions.csv, column 'account_id': 1 row(s) refer to accounts" in message
    assert "row 4: 'A9'" in message


def test_bad_date_in_custom_format(con, tmp_path):
    # A date in another format than the mapping's is refused with the format in the message.
    mapping, files = bank_files(tmp_path, [TXN_ROWS[0].replace("01/03/2021", "2021-03-01")])
    message = load_error(con, mapping, files)
    assert "not timestamps in format '%d/%m/%Y %H:%M'" in message
    assert "row 1: '2021-03-01 09:15'" in message


# --- Mapping errors --------------------------------------------------------------------------


def test_expression_on_unknown_column_names_the_mapping_setting(con, tmp_path):
    # A typo in a column expression is reported with its place in the mapping.
    text = (
        Path(read_mapping("online_retail").path)
        .read_text()
        .replace('"-(Quantity * UnitPrice)"', '"-(Qty * UnitPrice)"')
    )
    mapping = write(tmp_path / "typo.yaml", text)
    message = load_error(con, mapping, retail_file(tmp_path))
    assert "tables.transactions.columns.amount: expression '-(Qty * UnitPrice)' fails" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("delimiter:", "delimeter:"), r"sources.transactions: unknown setting\(s\) delimeter"),
        (("amount: ", "amt: "), "amt not in raw.transactions"),
        (('      amount: "-(Quantity * UnitPrice)"\n', ""), "the contract requires amount"),
        (("UnitPrice: decimal(18,3)", "UnitPrice: money"), "unknown type 'money'"),
        (("from: transactions", "from: lines"), "from must name a source"),
    ],
)
def test_malformed_mapping_is_refused_with_the_setting(tmp_path, change, expected):
    # Mapping mistakes are caught when the mapping is read, before any file is opened.
    text = Path(read_mapping("online_retail").path).read_text()
    assert change[0] in text
    mapping = write(tmp_path / "bad.yaml", text.replace(change[0], change[1], 1))
    with pytest.raises(LoadError, match=expected) as caught:
        read_mapping(mapping)
    assert str(caught.value).startswith("bad.yaml: ")


def test_unknown_mapping_name_lists_the_shipped_ones():
    # A wrong name says which mappings exist.
    with pytest.raises(LoadError, match="cdnow, online_retail"):
        read_mapping("online_retial")


def test_files_must_match_the_mapping_sources(con, tmp_path):
    # A multi-source mapping needs each source by name.
    mapping, files = bank_files(tmp_path)
    assert "needs one file per source" in load_error(con, mapping, files["transactions"])
    assert "needs a file for source(s) 'accounts'" in load_error(
        con, mapping, {"transactions": files["transactions"]}
    )
    assert "has no source named 'txns'" in load_error(con, mapping, {**files, "txns": Path("x")})
    message = load_error(con, "online_retail", tmp_path / "nowhere.csv")
    assert message.startswith("nowhere.csv: file not found")
