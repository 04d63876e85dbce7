"""Segment of every customer of dim_customers, scored with the fitted segmentation.

The logic lives in models_py.segmentation (customer_segments_table): no refit here.
"""

from models_py.segmentation import customer_segments_table


def model(dbt, session):
    dbt.config(materialized="table")
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    centroids = dbt.ref("fct_segment_centroids").df()
    definitions = dbt.ref("fct_segment_definitions").df()
    return customer_segments_table(features, customers, preprocessing, centroids, definitions)
