"""P(alive), expected purchases and spend, and discounted CLV of every customer of dim_customers.

Scored with the fits of fct_clv_model_fit (no refit); the logic lives in models_py.clv.
"""

from models_py.clv import ClvConfig, customer_clv_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig.from_vars(dbt.config.get("clv"))
    inputs = dbt.ref("fct_clv_inputs").df()
    customers = dbt.ref("dim_customers").project("customer_id").df()
    fits = dbt.ref("fct_clv_model_fit").df()
    return customer_clv_table(inputs, customers, fits, config)
