"""Preprocessing of the segmentation features: one row per candidate feature.

Fitted on the customers with activity; the logic lives in models_py.segmentation.
"""

from models_py.config import SegmentationConfig
from models_py.segmentation import preprocessing_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = SegmentationConfig.from_vars(dbt.config.get("segmentation"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    return preprocessing_table(features, customers, config)
