"""How far the explanations can be trusted (metric x segment).

The logic lives in models_py.explain.quality (refits the surrogate: same rows, same seed).
"""

from models_py.explain.config import ExplainConfig
from models_py.explain.quality import explanation_quality_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ExplainConfig.from_vars(dbt.config.get("explanations"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    centroids = dbt.ref("fct_segment_centroids").df()
    segments = dbt.ref("fct_customer_segments").df()
    shap_sample = dbt.ref("fct_segment_shap_sample").df()
    explanations = dbt.ref("fct_customer_explanations").project(
        "customer_id, segment_id, rank, feature, other_segment_id"
    ).filter("rank = 1").df()
    rules = dbt.ref("fct_segment_rules").df()
    return explanation_quality_table(
        features, customers, preprocessing, centroids, segments,
        shap_sample, explanations, rules, config,
    )
