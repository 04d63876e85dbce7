"""Customer lifetime value: BG/NBD, Pareto/NBD and Gamma-Gamma fitted by maximum likelihood.

- :mod:`~models_py.clv.summary`: the calibration summary (x, t_x, T, zbar), checked at the boundary;
- :mod:`~models_py.clv.bgnbd`, :mod:`~models_py.clv.pareto_nbd`, :mod:`~models_py.clv.gamma_gamma`:
  likelihoods, fits and per-customer predictions, vectorised;
- :mod:`~models_py.clv.fits`: fit all models, the fit table ``fct_clv_model_fit``;
- :mod:`~models_py.clv.clv`: P(alive), expected purchases and spend, discounted CLV with an
  interval, the table ``fct_customer_clv``;
- :mod:`~models_py.clv.units`: days, weeks and months of 30.4375 days.

Checked against the published CDNOW fits (tests/models_py/test_clv_cdnow.py).
"""

from models_py.clv._fit import ClvFitWarning, FitResult
from models_py.clv.clv import customer_clv_table, discounted_purchases, score_customers
from models_py.clv.config import ClvConfig
from models_py.clv.fits import clv_model_fit_table, fit_models, fits_from_table, model_fit_table
from models_py.clv.summary import CalibrationSummary, SummaryError, summary_from_frame

__all__ = [
    "CalibrationSummary",
    "ClvConfig",
    "ClvFitWarning",
    "FitResult",
    "SummaryError",
    "clv_model_fit_table",
    "customer_clv_table",
    "discounted_purchases",
    "fit_models",
    "fits_from_table",
    "model_fit_table",
    "score_customers",
    "summary_from_frame",
]
