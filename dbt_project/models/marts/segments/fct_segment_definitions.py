"""Segment names and descriptions, segment 0 (no activity) included.

The logic lives in models_py.segmentation (definitions_table) and models_py.naming.
"""

from models_py.config import SegmentationConfig
from models_py.segmentation import definitions_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = SegmentationConfig.from_vars(dbt.config.get("segmentation"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    centroids = dbt.ref("fct_segment_centroids").df()
    return definitions_table(features, customers, preprocessing, centroids, config)
