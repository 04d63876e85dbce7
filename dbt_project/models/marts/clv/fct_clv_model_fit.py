"""CLV model fits: one row per model (bg_nbd, pareto_nbd, gamma_gamma) and parameter.

Fitted by maximum likelihood on fct_clv_inputs; the logic lives in models_py.clv.
"""

from models_py.clv import ClvConfig, clv_model_fit_table


def model(dbt, session):
    dbt.config(materialized="table")
    config = ClvConfig.from_vars(dbt.config.get("clv"))
    inputs = dbt.ref("fct_clv_inputs").df()
    return clv_model_fit_table(inputs, config)
