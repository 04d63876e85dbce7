"""Model selection: one row per algorithm and k, with its scores and the choice.

The logic lives in models_py.segmentation (model_selection_table).
"""

from models_py.config import SegmentationConfig
from models_py.segmentation import model_selection_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = SegmentationConfig.from_vars(dbt.config.get("segmentation"))
    features = dbt.ref("fct_customer_features").df()
    customers = dbt.ref("dim_customers").project("customer_id, has_activity").df()
    preprocessing = dbt.ref("fct_segment_preprocessing").df()
    return model_selection_table(features, customers, preprocessing, config)
