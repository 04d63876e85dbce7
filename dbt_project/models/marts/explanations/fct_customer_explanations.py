"""Top reasons of every customer for their segment (customer x rank).

Exact centroid-distance decomposition, vectorised; the logic lives in models_py.explain.reasons.
"""

from models_py.explain.config import ExplainConfig
from models_py.explain.reasons import customer_explanations_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ExplainConfig.from_vars(dbt.config.get("explanations"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    centroids = dbt.ref("fct_segment_centroids").df()
    segments = dbt.ref("fct_customer_segments").df()
    return customer_explanations_table(
        features, customers, preprocessing, centroids, segments, config
    )
