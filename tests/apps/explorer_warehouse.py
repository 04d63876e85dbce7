"""A tiny hand-made warehouse with the public marts the explorer reads, for the explorer tests.

Eight customers: c01-c04 in segment 1 ("Digital spenders"), c05-c07 in segment 2 ("Branch
savers"), c08 without activity in segment 0. Figures the tests check, computed by hand:

- customers 8, with activity 7 (not c08), with purchases 6 (not c07, c08);
- net spend 12,500 + 2,250 + 1,250 + 800 + 400.25 + 100 = 17,300.25; segment 1: 16,800 over
  4 customers = 4,200.00 each;
- median recency of (3, 20, 5, 90, 200, 300) = 55 days; median frequency of purchasing customers
  (40, 25, 10, 6, 5, 1) = 8;
- CLV (fct_customer_clv, BG/NBD): 6 customers modelled (c01-c06), c06 with a single purchase
  (P(alive) 1 by definition); mean P(alive) of the 5 estimated (0.9 + 0.8 + 0.5 + 0.1 + 0.2) / 5
  = 50%; CLV over 12 months 60 + 9 + 5 + 0.65 + 1 + 0.96 = 76.61 (12.77 per modelled customer),
  over 36 months twice that, 153.22; expected purchases over 12 months 36.3; segment 1: CLV 74.65,
  mean P(alive) 57.5%;
- model selection: kmeans k = 2 chosen (silhouette 0.412, weakest cluster Jaccard 0.82) among
  four fits of kmeans and gaussian_mixture.

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
        davies_bouldin double, inertia double, bic double, stability_jaccard_min double,
        stability_jaccard_mean double, n_fit bigint, n_customers bigint,
        silhouette_sample_size bigint, is_chosen boolean, choice_rule varchar, note varchar
    """,
    "fct_load_reconciliation": """
        load_id varchar, source_file varchar, target_table varchar, rows_read bigint,
        rows_loaded bigint, rows_quarantined bigint, rows_in_raw bigint, is_reconciled boolean
    """,
    "fct_customer_clv": """
        customer_id varchar, transaction_model varchar, repeat_purchases bigint,
        p_alive double, p_alive_basis varchar, expected_spend_per_purchase decimal(18, 2),
        spend_estimate_source varchar, expected_purchases_12m double,
        expected_spend_12m decimal(18, 2), clv_12m decimal(18, 2),
        clv_12m_lower decimal(18, 2), clv_12m_upper decimal(18, 2),
        expected_purchases_36m double, expected_spend_36m decimal(18, 2),
        clv_36m decimal(18, 2), clv_36m_lower decimal(18, 2), clv_36m_upper decimal(18, 2)
    """,
    "fct_clv_model_fit": """
        model varchar, parameter varchar, parameter_index integer, estimate double,
        std_error double, estimate_lower double, estimate_upper double,
        log_likelihood double, n_customers bigint, n_fit bigint, time_unit varchar,
        is_converged boolean, log_covariance double[]
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
# customer: repeat_purchases, p_alive, p_alive_basis, expected_spend_per_purchase,
# expected_purchases_12m, clv_12m. Expected spend = purchases x spend per purchase; the 36-month
# columns are twice the 12-month ones; the CLV interval runs from 0.8 to 1.2 times the CLV.
_CLV = {
    "c01": (39, 0.90, "estimated", 300.00, 20.0, 60.00),
    "c02": (24, 0.80, "estimated", 90.00, 10.0, 9.00),
    "c03": (9, 0.50, "estimated", 125.00, 4.0, 5.00),
    "c04": (5, 0.10, "estimated", 130.00, 0.5, 0.65),
    "c05": (4, 0.20, "estimated", 100.00, 1.0, 1.00),
    "c06": (0, 1.00, "single_purchase_by_definition", 120.00, 0.8, 0.96),
}
# model, parameter, estimate, log_likelihood (CDNOW's published fits, in weeks)
_CLV_FIT = [
    ("bg_nbd", "r", 0.243, -9582.4),
    ("bg_nbd", "alpha", 4.414, -9582.4),
    ("bg_nbd", "a", 0.793, -9582.4),
    ("bg_nbd", "b", 2.426, -9582.4),
    ("gamma_gamma", "p", 6.25, -4493.6),
    ("gamma_gamma", "q", 3.74, -4493.6),
    ("gamma_gamma", "gamma", 15.44, -4493.6),
]
_RULE = "highest silhouette among fits whose every cluster has Jaccard >= 0.6"
# algorithm, k, silhouette, calinski_harabasz, davies_bouldin, inertia, bic, stability_jaccard_min,
# stability_jaccard_mean, is_chosen, note
_SELECTION = [
    ("kmeans", 2, 0.412, 35.1, 0.71, 12.5, None, 0.82, 0.90, True, None),
    ("kmeans", 3, 0.305, 30.2, 0.92, 8.1, None, 0.55, 0.70, False, None),
    ("gaussian_mixture", 2, 0.398, 33.0, 0.75, None, 81.4, 0.78, 0.85, False, "k capped at 3"),
    ("gaussian_mixture", 3, 0.280, 28.7, 0.99, None, 85.2, 0.41, 0.60, False, "k capped at 3"),
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
        if "fct_customer_clv" in tables:
            con.execute(
                "insert into marts.fct_customer_clv values "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [cid, "bg_nbd", *_clv_row(cid)],
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
            "insert into marts.fct_segment_model_selection "
            "values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*row[:9], 7, 7, 7, row[9], _RULE, row[10]) for row in _SELECTION],
        )
    if "fct_clv_model_fit" in tables:
        con.executemany(
            "insert into marts.fct_clv_model_fit values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    model,
                    parameter,
                    index % 4,
                    estimate,
                    estimate / 10,
                    estimate * 0.8,
                    estimate * 1.2,
                    log_likelihood,
                    6 if model == "bg_nbd" else 5,
                    6 if model == "bg_nbd" else 5,
                    "weeks" if model == "bg_nbd" else "none",
                    True,
                    [0.01, 0.0],
                )
                for index, (model, parameter, estimate, log_likelihood) in enumerate(_CLV_FIT)
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


def _clv_row(customer_id: str) -> list[object]:
    """The fct_customer_clv columns after customer_id and transaction_model; a customer without
    purchases has nulls and the basis 'no_purchases'."""
    if customer_id not in _CLV:
        return [None, None, "no_purchases", *[None] * 12]
    repeat, p_alive, basis, per_purchase, purchases, clv = _CLV[customer_id]
    source = "conditional" if repeat else "population_mean_no_repeat_purchase"
    per_horizon = []
    for factor in (1, 2):
        value = round(clv * factor, 2)
        per_horizon += [
            purchases * factor,
            round(purchases * factor * per_purchase, 2),
            value,
            round(value * 0.8, 2),
            round(value * 1.2, 2),
        ]
    return [repeat, p_alive, basis, per_purchase, source, *per_horizon]
