"""The synthetic bank's ground truth, schema ``raw_truth`` (read by evaluation code and tests only).

==============================  ==============================================================
table                           grain and columns
==============================  ==============================================================
customer_personas               customer: customer_id, persona (DDL from seeds_gen.contract)
customer_churn                  customer: churn_date (NULL = no churn planted up to 180 days
                                after end_date; a date after end_date = about to leave),
                                decline_start_date (gradual leavers), churn_kind ('gradual',
                                'abrupt', NULL), dip_start_date / dip_end_date (a stayer's
                                temporary decline that looks like churn: noise on purpose)
customer_purchase_process       customer: persona, purchase_rate_per_day (lambda),
                                dropout_probability (p), spend_nu (nu), mean_spend (p_spend /
                                nu, EUR), process_start_date (first purchase), dropout_date
                                (last purchase when the customer stopped buying, else NULL),
                                planted_purchases (purchase days, before decline thinning)
planted_parameters              persona x model x parameter: value, description. Models:
                                'bg_nbd' (r, alpha, a, b; days), 'gamma_gamma' (p, q, gamma; EUR),
                                'mix' (share), 'churn' (hazard_per_month, gradual_share)
dirty_transactions              damaged row: transaction_id, kind (empty unless switched on)
generator_settings              setting: value (seed, size, window, version)
==============================  ==============================================================
"""

from __future__ import annotations

import duckdb

from seeds_gen.contract import TRUTH_DDL
from seeds_gen.generator.config import BankConfig
from seeds_gen.generator.personas import PERSONAS
from seeds_gen.generator.timeline import Timeline

GENERATOR_VERSION = "1"

TRUTH_TABLES_DDL = (
    """
    create table raw_truth.customer_churn (
        customer_id VARCHAR,
        churn_date DATE,
        decline_start_date DATE,
        churn_kind VARCHAR,
        dip_start_date DATE,
        dip_end_date DATE
    )
    """,
    """
    create table raw_truth.customer_purchase_process (
        customer_id VARCHAR,
        persona VARCHAR,
        purchase_rate_per_day DOUBLE,
        dropout_probability DOUBLE,
        spend_nu DOUBLE,
        mean_spend DOUBLE,
        process_start_date DATE,
        dropout_date DATE,
        planted_purchases INTEGER
    )
    """,
    """
    create table raw_truth.planted_parameters (
        persona VARCHAR,
        model VARCHAR,
        parameter VARCHAR,
        value DOUBLE,
        description VARCHAR
    )
    """,
    """
    create table raw_truth.dirty_transactions (
        transaction_id VARCHAR,
        kind VARCHAR
    )
    """,
    """
    create table raw_truth.generator_settings (
        setting VARCHAR,
        value VARCHAR
    )
    """,
)

_DESCRIPTIONS = {
    ("bg_nbd", "r"): "shape of the gamma distribution of purchase rates (per day)",
    ("bg_nbd", "alpha"): "rate of the gamma distribution of purchase rates (days)",
    ("bg_nbd", "a"): "beta distribution of the dropout probability after a repeat purchase",
    ("bg_nbd", "b"): "beta distribution of the dropout probability after a repeat purchase",
    ("gamma_gamma", "p"): "shape of the gamma distribution of one purchase amount (EUR)",
    ("gamma_gamma", "q"): "shape of the gamma distribution of the spend rate nu",
    ("gamma_gamma", "gamma"): "rate of the gamma distribution of the spend rate nu",
    ("mix", "share"): "share of customers drawn from this persona",
    ("churn", "hazard_per_month"): "probability of leaving the bank in a month",
    ("churn", "gradual_share"): "share of leavers with a visible decline before leaving",
}


def create_truth_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema raw_truth with its (empty) tables; reset_raw_schema dropped the old one."""
    con.execute("create schema if not exists raw_truth")
    con.execute(TRUTH_DDL)
    for ddl in TRUTH_TABLES_DDL:
        con.execute(ddl)


def planted_parameter_rows(config: BankConfig) -> list[tuple[str, str, str, float, str]]:
    """(persona, model, parameter, value, description) for every persona in the mix."""
    shares = config.shares
    rows = []
    for persona in PERSONAS:
        if shares.get(persona.name, 0.0) == 0.0:
            continue
        values = {
            ("bg_nbd", "r"): persona.btyd.r,
            ("bg_nbd", "alpha"): persona.btyd.alpha,
            ("bg_nbd", "a"): persona.btyd.a,
            ("bg_nbd", "b"): persona.btyd.b,
            ("gamma_gamma", "p"): persona.spend.p,
            ("gamma_gamma", "q"): persona.spend.q,
            ("gamma_gamma", "gamma"): persona.spend.gamma,
            ("mix", "share"): shares[persona.name],
            ("churn", "hazard_per_month"): persona.churn_hazard,
            ("churn", "gradual_share"): persona.gradual_churn_share,
        }
        rows.extend(
            (persona.name, model, parameter, float(value), _DESCRIPTIONS[(model, parameter)])
            for (model, parameter), value in values.items()
        )
    return rows


def setting_rows(config: BankConfig, timeline: Timeline) -> list[tuple[str, str]]:
    return [
        ("generator_version", GENERATOR_VERSION),
        ("load_id", config.load_id),
        ("seed", str(config.seed)),
        ("customers", str(config.customers)),
        ("months", str(config.months)),
        ("window_start_date", timeline.start.isoformat()),
        ("end_date", config.end_date.isoformat()),
        ("seasonality", str(config.seasonality).lower()),
        ("persona_mix", ",".join(f"{name}={weight:g}" for name, weight in config.persona_mix)),
        ("dirty", ",".join(f"{name}={value:g}" for name, value in config.dirty.rates().items())),
        ("currency", config.currency),
    ]
