"""Score customers: P(alive), expected purchases and spend, discounted profit-based CLV.

For each horizon h (months, var ``clv_horizons_months``) and customer i:

- ``expected_purchases_<h>m`` = E[repeat purchases in (T, T + h] | x, t_x, T];
- ``expected_spend_<h>m`` = that times the expected spend per purchase (Gamma-Gamma);
- ``clv_<h>m`` = margin * spend per purchase * D_i(h), where D_i(h) = integral over (0, h] of
  exp(-delta u) dE_i(u) is the expected number of purchases discounted continuously at
  delta = ln(1 + annual rate) per year. By parts, D(h) = exp(-delta h) E(h) + delta times the
  integral of exp(-delta u) E(u), taken by Gauss-Legendre quadrature between the horizons.
- ``clv_<h>m_lower`` / ``_upper``: an interval for the parameter uncertainty of both models,
  by the delta method on log CLV with the covariance of the log-parameters (the two models are
  fitted separately, so their covariances are independent). It says how well the population
  parameters are known, not how much the customer's own future may vary.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import norm

from models_py.clv import bgnbd, gamma_gamma, pareto_nbd
from models_py.clv._fit import ClvFitWarning, FitResult, compress_rows
from models_py.clv.config import ClvConfig
from models_py.clv.fits import fits_from_table
from models_py.clv.summary import CUSTOMER_ID, CalibrationSummary, summary_from_frame
from models_py.clv.units import DAYS_PER_UNIT, DAYS_PER_YEAR, convert_time

log = logging.getLogger(__name__)

# Gauss-Legendre nodes per stretch between two horizons: the integrand is smooth (E(u) is
# concave and analytic in u), so 4 nodes give about 1e-5 relative error on CLV over 12 and 36
# months (8 nodes: 2e-8) at a quarter of the cost of monthly steps.
QUADRATURE_NODES = 4
# Customers scored at once (bounds memory: a few arrays of nodes x chunk floats).
CHUNK_SIZE = 50_000
# Step on the log-parameters of the forward differences behind the delta method.
DELTA_STEP = 1e-6

CONDITIONAL = {
    bgnbd.MODEL: bgnbd.conditional_expected_purchases,
    pareto_nbd.MODEL: pareto_nbd.conditional_expected_purchases,
}
P_ALIVE = {bgnbd.MODEL: bgnbd.p_alive, pareto_nbd.MODEL: pareto_nbd.p_alive}

# Values of the column p_alive_basis.
P_ALIVE_ESTIMATED = "estimated"
P_ALIVE_BY_DEFINITION = "single_purchase_by_definition"
P_ALIVE_NO_PURCHASES = "no_purchases"
P_ALIVE_NOT_FITTED = "model_not_fitted"
P_ALIVE_BASES = (
    P_ALIVE_ESTIMATED,
    P_ALIVE_BY_DEFINITION,
    P_ALIVE_NO_PURCHASES,
    P_ALIVE_NOT_FITTED,
)


def quadrature_times(horizons: np.ndarray, delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Times at which E(u) is needed, and the weights that turn E at them into D.

    Returns
    -------
    times
        The horizons, then (when ``delta > 0``) the Gauss-Legendre nodes of each stretch
        between consecutive horizons (0 first).
    weights
        Shape (len(horizons), len(times)): ``D(h_j) = weights[j] @ E(times)``, i.e.
        ``exp(-delta h) E(h) + delta * sum of node weight * exp(-delta u) * E(u)`` over the
        nodes up to ``h_j``.
    """
    horizons = np.asarray(horizons, float)
    k = horizons.size
    if delta == 0:
        return horizons, np.eye(k)
    unit_nodes, unit_weights = np.polynomial.legendre.leggauss(QUADRATURE_NODES)
    starts = np.concatenate([[0.0], horizons[:-1]])
    half = (horizons - starts) / 2
    nodes = (starts[:, None] + half[:, None] * (unit_nodes + 1)).ravel()
    node_weights = (half[:, None] * unit_weights).ravel() * delta * np.exp(-delta * nodes)
    stretch = np.repeat(np.arange(k), QUADRATURE_NODES)
    weights = np.zeros((k, k + nodes.size))
    weights[:, :k] = np.diag(np.exp(-delta * horizons))
    weights[:, k:] = (stretch[None, :] <= np.arange(k)[:, None]) * node_weights
    return np.concatenate([horizons, nodes]), weights


def discounted_purchases(
    expected: Callable[[np.ndarray], np.ndarray],
    horizons: np.ndarray,
    delta: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Expected and discounted expected purchases at each horizon.

    Parameters
    ----------
    expected
        ``t -> E[purchases in (T, T + t]]`` for times ``t`` of shape (m, 1) and every
        customer: an array of shape (m, n).
    horizons
        Increasing horizons in the model's time unit.
    delta
        Continuous discount rate per model time unit (0 = no discounting).

    Returns
    -------
    purchases, discounted
        Arrays of shape (n, len(horizons)).
    """
    times, weights = quadrature_times(horizons, delta)
    values = expected(times[:, None])
    return values[: len(horizons)].T, (weights @ values).T


def score_customers(
    summary: CalibrationSummary,
    transaction_fit: FitResult,
    spend_fit: FitResult | None,
    config: ClvConfig,
) -> pd.DataFrame:
    """One row per customer of ``summary``: P(alive), expectations and CLV per horizon.

    Parameters
    ----------
    summary
        Calibration summary in ``transaction_fit.time_unit``.
    transaction_fit
        A BG/NBD or Pareto/NBD fit.
    spend_fit
        The Gamma-Gamma fit, or ``None`` (spend, CLV and their intervals are then NaN).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``transaction_model``, ``repeat_purchases``, ``p_alive``,
        ``p_alive_basis``, ``expected_spend_per_purchase``, ``spend_estimate_source`` and per
        horizon h: ``expected_purchases_<h>m``, ``expected_spend_<h>m``, ``clv_<h>m``,
        ``clv_<h>m_lower``, ``clv_<h>m_upper``. Money columns are floats here.
    """
    if summary.time_unit != transaction_fit.time_unit:
        raise ValueError(
            f"summary is in {summary.time_unit} but the {transaction_fit.model} fit in "
            f"{transaction_fit.time_unit}: build both with the same clv_time_unit"
        )
    model = transaction_fit.model
    horizons = convert_time(np.array(config.horizons_months), "months", summary.time_unit)
    delta = np.log1p(config.discount_rate_annual) * DAYS_PER_UNIT[summary.time_unit] / DAYS_PER_YEAR

    # Purchases depend on (x, t_x, T) only: score each distinct triple once.
    (x, t_x, age), _, inverse = compress_rows(summary.frequency, summary.recency, summary.age)
    purchases, discounted, var_log_discounted = _purchases_with_gradient(
        transaction_fit, x, t_x, age, horizons, delta
    )
    alive = P_ALIVE[model](transaction_fit.estimates, x, t_x, age)[inverse]
    spend, source, var_log_spend = _spend_with_gradient(spend_fit, summary)

    z = float(norm.ppf(0.5 + config.interval_level / 2))
    frame = pd.DataFrame(
        {
            CUSTOMER_ID: summary.customer_id,
            "transaction_model": model,
            "repeat_purchases": summary.frequency.astype(np.int64),
            "p_alive": alive,
            "p_alive_basis": np.where(
                (model == bgnbd.MODEL) & (summary.frequency == 0),
                P_ALIVE_BY_DEFINITION,
                P_ALIVE_ESTIMATED,
            ),
            "expected_spend_per_purchase": spend,
            "spend_estimate_source": source,
        }
    )
    for j, months in enumerate(config.horizons_months):
        clv = config.margin * spend * discounted[inverse, j]
        sd_log = np.sqrt(var_log_spend + var_log_discounted[inverse, j])
        frame[f"expected_purchases_{months}m"] = purchases[inverse, j]
        frame[f"expected_spend_{months}m"] = purchases[inverse, j] * spend
        frame[f"clv_{months}m"] = clv
        frame[f"clv_{months}m_lower"] = clv * np.exp(-z * sd_log)
        frame[f"clv_{months}m_upper"] = clv * np.exp(z * sd_log)
    return frame


def _purchases_with_gradient(
    fit: FitResult,
    x: np.ndarray,
    t_x: np.ndarray,
    age: np.ndarray,
    horizons: np.ndarray,
    delta: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected and discounted purchases, and the delta-method variance of log(discounted).

    All three of shape (n, len(horizons)); computed in chunks of :data:`CHUNK_SIZE` customers.
    """
    conditional = CONDITIONAL[fit.model]
    shifted = [
        fit.estimates * np.exp(DELTA_STEP * np.eye(fit.estimates.size)[i])
        for i in range(fit.estimates.size)
    ]
    purchases = np.empty((x.size, horizons.size))
    discounted = np.empty_like(purchases)
    variance = np.empty_like(purchases)
    for lo in range(0, x.size, CHUNK_SIZE):
        part = slice(lo, lo + CHUNK_SIZE)

        def at(params: np.ndarray, part: slice = part) -> tuple[np.ndarray, np.ndarray]:
            return discounted_purchases(
                lambda t: conditional(params, t, x[part], t_x[part], age[part]), horizons, delta
            )

        purchases[part], discounted[part] = at(fit.estimates)
        # Forward differences of log(discounted) in each log-parameter: (k, chunk, horizons).
        # A customer with nothing to discount (D = 0) has no uncertainty on the log scale.
        with np.errstate(divide="ignore", invalid="ignore"):
            log_base = np.log(discounted[part])
            gradient = np.stack([(np.log(at(p)[1]) - log_base) / DELTA_STEP for p in shifted])
        gradient = np.where(discounted[part] > 0, gradient, 0.0)
        variance[part] = np.einsum("inh,ij,jnh->nh", gradient, fit.covariance, gradient)
    return purchases, discounted, variance


def _spend_with_gradient(
    fit: FitResult | None, summary: CalibrationSummary
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Expected spend per purchase, its source, and the delta-method variance of its log."""
    n = len(summary)
    if fit is None:
        source = np.full(n, None, dtype=object)
        return np.full(n, np.nan), source, np.full(n, np.nan)
    spend, source = gamma_gamma.conditional_expected_spend(
        fit.estimates, summary.frequency, summary.monetary
    )
    gradient = []
    for i in range(fit.estimates.size):
        shifted = fit.estimates.copy()
        shifted[i] *= np.exp(DELTA_STEP)
        moved, _ = gamma_gamma.conditional_expected_spend(
            shifted, summary.frequency, summary.monetary
        )
        gradient.append((np.log(moved) - np.log(spend)) / DELTA_STEP)
    gradient = np.stack(gradient)  # (k, n)
    variance = np.einsum("in,ij,jn->n", gradient, fit.covariance, gradient)
    return spend, source.astype(object), variance


def customer_clv_table(
    inputs: pd.DataFrame,
    customers: pd.DataFrame,
    fit_table: pd.DataFrame,
    config: ClvConfig,
) -> pa.Table:
    """``fct_customer_clv``: every customer of ``customers``, scored with the fitted models.

    Parameters
    ----------
    inputs
        ``fct_clv_inputs``: one row per customer with a purchase (x, t_x, T in days, spend).
    customers
        ``dim_customers`` (at least ``customer_id``): the grain of the result.
    fit_table
        ``fct_clv_model_fit``.

    Returns
    -------
    pyarrow.Table
        Columns of :func:`score_customers`, money as DECIMAL(18,2); customers without a
        purchase have ``p_alive_basis`` 'no_purchases' and nulls elsewhere.
    """
    summary = summary_from_frame(inputs, config.time_unit)
    fits = fits_from_table(fit_table) if len(fit_table) else {}
    if len(summary) and config.transaction_model in fits:
        scored = score_customers(
            summary, fits[config.transaction_model], fits.get(gamma_gamma.MODEL), config
        )
    else:
        scored = score_customers_empty(config, len(summary))
        if len(summary):
            warnings.warn(
                f"fct_clv_model_fit has no {config.transaction_model} fit (models: "
                f"{sorted(fits)}): fct_customer_clv holds nulls; see the warnings of the fit",
                ClvFitWarning,
                stacklevel=2,
            )
            scored[CUSTOMER_ID] = summary.customer_id
            scored["repeat_purchases"] = summary.frequency
            scored["p_alive_basis"] = P_ALIVE_NOT_FITTED
    frame = customers[[CUSTOMER_ID]].merge(scored, on=CUSTOMER_ID, how="left", validate="1:1")
    frame["transaction_model"] = config.transaction_model
    frame["p_alive_basis"] = frame["p_alive_basis"].fillna(P_ALIVE_NO_PURCHASES)
    return _to_arrow(frame, config)


def score_customers_empty(config: ClvConfig, rows: int = 0) -> pd.DataFrame:
    """A frame with the columns of :func:`score_customers` and ``rows`` rows of nulls."""
    columns = [
        CUSTOMER_ID,
        "transaction_model",
        "repeat_purchases",
        "p_alive",
        "p_alive_basis",
        "expected_spend_per_purchase",
        "spend_estimate_source",
    ]
    for months in config.horizons_months:
        columns += [
            f"expected_purchases_{months}m",
            f"expected_spend_{months}m",
            f"clv_{months}m",
            f"clv_{months}m_lower",
            f"clv_{months}m_upper",
        ]
    return pd.DataFrame({column: pd.Series([None] * rows, dtype=object) for column in columns})


def _to_arrow(frame: pd.DataFrame, config: ClvConfig) -> pa.Table:
    """Typed columns: money DECIMAL(18,2) (null, never 0, where undefined), counts BIGINT."""
    money = ["expected_spend_per_purchase"]
    for months in config.horizons_months:
        money += [
            f"expected_spend_{months}m",
            f"clv_{months}m",
            f"clv_{months}m_lower",
            f"clv_{months}m_upper",
        ]
    arrays, fields = [], []
    for column in frame.columns:
        values = frame[column]
        if column in money:
            array = _decimal(values.to_numpy(dtype=float, na_value=np.nan))
        elif column == "repeat_purchases":
            array = pa.array(values.astype("Int64"), type=pa.int64())
        elif column in (CUSTOMER_ID, "transaction_model", "p_alive_basis", "spend_estimate_source"):
            array = pa.array(values.astype(object).where(values.notna(), None), type=pa.string())
        else:
            array = pa.array(
                values.to_numpy(dtype=float, na_value=np.nan), type=pa.float64(), from_pandas=True
            )
        arrays.append(array)
        fields.append(column)
    return pa.Table.from_arrays(arrays, names=fields)


def _decimal(values: np.ndarray) -> pa.Array:
    """float64 -> DECIMAL(18,2), rounded half to even on the float; NaN -> null."""
    rounded = pa.array(np.round(values, 2), mask=~np.isfinite(values), type=pa.float64())
    return rounded.cast(pa.decimal128(18, 2), safe=False)
