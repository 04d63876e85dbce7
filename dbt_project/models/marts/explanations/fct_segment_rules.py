"""Readable rules per segment from a shallow one-vs-rest tree (segment x rule).

The logic lives in models_py.explain.rules.
"""

from models_py.explain.config import ExplainConfig
from models_py.explain.rules import segment_rules_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ExplainConfig.from_vars(dbt.config.get("explanations"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    segments = dbt.ref("fct_customer_segments").df()
    return segment_rules_table(features, customers, preprocessing, segments, config)
