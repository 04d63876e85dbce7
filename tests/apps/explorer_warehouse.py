"""A tiny hand-made warehouse with the public marts the explorer reads, for the explorer tests.

Eight customers: c01-c04 in segment 1 ("Digital spenders"), c05-c07 in segment 2 ("Branch
savers"), c08 without activity in segment 0. Figures the tests check, computed by hand:

- customers 8, with activity 7 (not c08), with purchases 6 (not c07, c08);
- net spend 12,500 + 2,250 + 1,250 + 800 + 400.25 + 100 = 17,300.25; segment 1: 16,800 over
  4 customers = 4,200.00 each;
- median recency of (3, 20, 5, 90, 200, 300) = 55 days; median frequency of purchasing customers
  (40, 25, 10, 6, 5, 1) = 8.

``variant="retail"`` is shaped like a retail log: no balances, regions, incomes or credit scores
(those columns are NULL for everyone), no dim_segments and no model-selection table.
``variant="rfm_only"`` holds dim_customers and fct_customer_rfm only; ``variant="empty"`` every
mart with no rows (a build on empty raw tables).
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

_DDL = {
    "dim_customers": """
        customer_id varchar, birth_year integer, gender varchar, region varchar,
        income_annual decimal(18, 2), joined_date date, credit_score integer,
        first_booked_date date, last_booked_date date, transactions_count bigint,
        has_activity boolean
    """,
    "fct_customer_rfm": """
        customer_id varchar, recency_days integer, frequency bigint, orders_count bigint,
        monetary decimal(18, 2), r_score integer, f_score integer, m_score integer,
        rfm_score varchar, rfm_segment varchar
    """,
    "fct_customer_features": """
        customer_id varchar, tenure_days integer, spend_365d decimal(18, 2),
        digital_share_365d double, balance_mean_6m decimal(18, 2)
    """,
    "fct_customer_segments": """
        customer_id varchar, segment_id integer, segment_name varchar,
        membership_strength double, algorithm varchar
    """,
    "dim_segments": """
        segment_id integer, segment_name varchar, customers bigint, share double,
        description varchar
    """,
    "fct_segment_profiles": """
        segment_id integer, segment_name varchar, feature varchar, segment_mean double,
        base_mean double, base_std double, z_score double
    """,
    "fct_segment_model_selection": """
        algorithm varchar, k integer, silhouette double, calinski_harabasz double,
        davies_bouldin double, inertia double, n_fit bigint, n_customers bigint,
        is_chosen boolean, choice_rule varchar
    """,
    "fct_load_reconciliation": """
        load_id varchar, source_file varchar, target_table varchar, rows_read bigint,
        rows_loaded bigint, rows_quarantined bigint, rows_in_raw bigint, is_reconciled boolean
    """,
}

# customer, segment, recency_days, frequency, monetary, r, f, m, rfm_segment, membership
_CUSTOMERS = [
    ("c01", 1, 3, 40, 12500.00, 5, 5, 5, "Champions", 0.95),
    ("c02", 1, 20, 25, 2250.00, 4, 4, 4, "Loyal", 0.80),
    ("c03", 1, 5, 10, 1250.00, 5, 3, 3, "Champions", 0.60),
    ("c04", 1, 90, 6, 800.00, 3, 2, 2, "At Risk", 0.40),
    ("c05", 2, 200, 5, 400.25, 2, 2, 1, "At Risk", 0.90),
    ("c06", 2, 300, 1, 100.00, 1, 1, 1, "Hibernating", 0.70),
    ("c07", 2, None, 0, 0.00, None, None, None, "No purchases", 0.50),
    ("c08", 0, None, 0, 0.00, None, None, None, "No purchases", 1.00),
]
# The marts each variant of the warehouse holds.
_VARIANTS = {
    "bank": set(_DDL),
    "retail": set(_DDL) - {"dim_segments", "fct_segment_model_selection"},
    "rfm_only": {"dim_customers", "fct_customer_rfm"},
    "empty": set(_DDL),
}
SEGMENT_NAMES = {0: "No activity", 1: "Digital spenders", 2: "Branch savers"}

# segment, feature, segment_mean, base_mean, base_std, z_score
_PROFILES = [
    (1, "spend_365d", 4200.0, 2471.46, 1440.5, 1.2),
    (1, "digital_share_365d", 0.8, 0.5, 0.375, 0.8),
    (1, "balance_mean_6m", None, None, None, None),
    (2, "spend_365d", 166.75, 2471.46, 1440.5, -1.6),
    (2, "digital_share_365d", 0.1, 0.5, 0.36, -1.1),
    (2, "balance_mean_6m", None, None, None, None),
]


def build_warehouse(path: Path, variant: str = "bank", extra_customers: int = 0) -> Path:
    """Write the warehouse to ``path`` (replacing any file there atomically) and close it.

    ``extra_customers`` adds that many inactive customers to segment 0, to tell two builds apart.
    """
    scratch = path.with_name(path.name + ".building")
    scratch.unlink(missing_ok=True)
    with duckdb.connect(str(scratch)) as con:
        con.execute("create schema marts")
        tables = {name: ddl for name, ddl in _DDL.items() if name in _VARIANTS[variant]}
        for name, ddl in tables.items():
            con.execute(f"create table marts.{name} ({ddl})")
        if variant != "empty":
            _fill(con, set(tables), retail=variant == "retail", extra_customers=extra_customers)
    os.replace(scratch, path)
    return path


def _fill(
    con: duckdb.DuckDBPyConnection, tables: set[str], *, retail: bool, extra_customers: int
) -> None:
    customers = list(_CUSTOMERS) + [
        (f"x{i:02d}", 0, None, 0, 0.00, None, None, None, "No purchases", 1.0)
        for i in range(extra_customers)
    ]
    for number, row in enumerate(customers):
        cid, segment, recency, frequency, monetary, r, f, m, rfm, strength = row
        active = segment != 0
        con.execute(
            "insert into marts.dim_customers values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                cid,
                None if retail else 1960 + 5 * number,
                None if retail else ("f" if number % 2 else "m"),
                None if retail else ("north" if segment == 1 else "south"),
                None if retail else 30000 + 1000 * number,
                "2020-01-01",
                None if retail else 600 + 10 * number,
                "2023-01-02" if active else None,
                "2024-12-28" if active else None,
                frequency * 3 if active else 0,
                active,
            ],
        )
        scores = None if r is None else f"{r}{f}{m}"
        con.execute(
            "insert into marts.fct_customer_rfm values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [cid, recency, frequency, frequency, monetary, r, f, m, scores, rfm],
        )
        if "fct_customer_features" in tables:
            con.execute(
                "insert into marts.fct_customer_features values (?, ?, ?, ?, ?)",
                [cid, 700, monetary, 0.5, None if retail else 1000.0 + number],
            )
        if "fct_customer_segments" in tables:
            con.execute(
                "insert into marts.fct_customer_segments values (?, ?, ?, ?, ?)",
                [cid, segment, SEGMENT_NAMES[segment], strength, "kmeans"],
            )
    if "dim_segments" in tables:
        con.execute(
            "insert into marts.dim_segments "
            "select segment_id, any_value(segment_name), count(*), "
            "count(*) / sum(count(*)) over (), "
            "case segment_id when 1 then 'Spend far above the base, mostly online.' end "
            "from marts.fct_customer_segments group by segment_id"
        )
    if "fct_segment_profiles" in tables:
        con.executemany(
            "insert into marts.fct_segment_profiles values (?, ?, ?, ?, ?, ?, ?)",
            [(s, SEGMENT_NAMES[s], *rest) for s, *rest in _PROFILES],
        )
    if "fct_segment_model_selection" in tables:
        con.executemany(
            "insert into marts.fct_segment_model_selection values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("kmeans", 2, 0.412, 35.1, 0.71, 12.5, 7, 7, True, "max silhouette"),
                ("kmeans", 3, 0.305, 30.2, 0.92, 8.1, 7, 7, False, "max silhouette"),
            ],
        )
    if "fct_load_reconciliation" in tables:
        con.executemany(
            "insert into marts.fct_load_reconciliation values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                ("load-1", "synthetic", "customers", 8, 8, 0, 8, True),
                ("load-1", "synthetic", "transactions", 120, 118, 2, 118, True),
            ],
        )
