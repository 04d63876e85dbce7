"""The fitted segmentation: the chosen model's centre of each segment, one row per feature.

The logic lives in models_py.segmentation (centroids_table).
"""

from models_py.config import SegmentationConfig
from models_py.segmentation import centroids_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = SegmentationConfig.from_vars(dbt.config.get("segmentation"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    selection = dbt.ref("fct_segment_model_selection").df()
    return centroids_table(features, customers, preprocessing, selection, config)
