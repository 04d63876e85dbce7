"""SHAP values of the surrogate on a stratified seeded sample (customer x segment x feature).

The logic lives in models_py.explain.shap_values (surrogate: models_py.explain.surrogate).
"""

from models_py.explain.config import ExplainConfig
from models_py.explain.shap_values import shap_sample_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ExplainConfig.from_vars(dbt.config.get("explanations"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    segments = dbt.ref("fct_customer_segments").df()
    return shap_sample_table(features, customers, preprocessing, segments, config)
