"""Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005; Fader & Hardie 2013).

Each purchase of a customer is ``Gamma(p, nu)``; ``nu ~ Gamma(q, gamma)`` across customers, so
the mean spend per purchase is ``p * gamma / (q - 1)`` in the population. The model is fitted on
the customers with repeat purchases (x > 0) from x and zbar, the mean spend of the repeat
purchases; it needs zbar > 0, so customers whose refunds leave a non-positive mean are left out
of the fit (and get the population mean when scored). Parameters: ``(p, q, gamma)``.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy.special import digamma, gammaln

from models_py.clv._fit import (
    ClvFitWarning,
    FitResult,
    compress_rows,
    fit_log_params,
    log_param_covariance,
    seeded_starts,
)

MODEL = "gamma_gamma"
PARAMETERS = ("p", "q", "gamma")

# How each customer's expected spend per purchase was obtained (column spend_estimate_source).
SOURCE_CONDITIONAL = "conditional"
SOURCE_NO_REPEAT = "population_mean_no_repeat_purchase"
SOURCE_NON_POSITIVE = "population_mean_non_positive_repeat_spend"
SPEND_SOURCES = (SOURCE_CONDITIONAL, SOURCE_NO_REPEAT, SOURCE_NON_POSITIVE)


def fit_mask(x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """The customers Gamma-Gamma is fitted on: repeat purchases and a positive mean spend."""
    return (np.asarray(x) > 0) & (np.nan_to_num(np.asarray(zbar, float), nan=0.0) > 0)


def log_likelihood(params: np.ndarray, x: np.ndarray, zbar: np.ndarray) -> np.ndarray:
    """Log-density of each customer's zbar given x (x > 0, zbar > 0) under ``(p, q, gamma)``."""
    return _log_likelihood_and_gradient(np.asarray(params, float), x, zbar, False)[0]


def _log_likelihood_and_gradient(
    params: np.ndarray, x: np.ndarray, zbar: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    p, q, gamma = params
    px = p * x
    log_total = np.log(gamma + x * zbar)
    ll = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * log_total
    )
    if not gradient:
        return ll, None
    d_p = x * (digamma(px + q) - digamma(px) + np.log(zbar) + np.log(x) - log_total)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + x * zbar)
    return ll, np.stack([d_p, d_q, d_gamma])


def fit(
    x: np.ndarray,
    zbar: np.ndarray,
    *,
    n_starts: int = 3,
    seed: int = 42,
    n_customers: int | None = None,
    start: np.ndarray | None = None,
) -> FitResult:
    """Maximum-likelihood Gamma-Gamma fit on the customers of :func:`fit_mask`.

    Parameters
    ----------
    x, zbar
        Repeat purchases and mean repeat spend per customer (any customers; the others are
        left out here).
    n_customers
        Customers the fit stands for when ``x`` is a sample (for the report).
    start
        Parameters to start from instead of the default and seeded starts (a fit on a sample).
    """
    keep = fit_mask(x, zbar)
    if keep.sum() < 3:
        raise ValueError(
            f"Gamma-Gamma needs at least 3 customers with repeat purchases and positive "
            f"repeat spend; got {int(keep.sum())}"
        )
    (xs, zs), weights, _ = compress_rows(np.asarray(x, float)[keep], np.asarray(zbar)[keep])
    total = weights.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        ll, grad = _log_likelihood_and_gradient(params, xs, zs, True)
        value = -(weights @ ll) / total
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return value, -(grad @ weights) / total * params

    # Default start: moments of zbar with a moderate shape (mean = p * gamma / (q - 1)).
    mean = float(np.average(zs, weights=weights))
    default = np.log([2.0, 3.0, mean])
    theta, value, converged, message = fit_log_params(
        objective, seeded_starts(default, n_starts, seed, start), model=MODEL, use_gradient=True
    )
    estimates = np.exp(theta)
    if estimates[1] <= 1:
        warnings.warn(
            f"Gamma-Gamma q = {estimates[1]:.3g} <= 1: the population mean spend is infinite; "
            "customers without a usable repeat spend get a null expected spend",
            ClvFitWarning,
            stacklevel=2,
        )
    return FitResult(
        model=MODEL,
        parameter_names=PARAMETERS,
        estimates=estimates,
        log_likelihood=-value * total,
        covariance=log_param_covariance(objective, theta, total, use_gradient=True),
        n_customers=n_customers if n_customers is not None else int(keep.sum()),
        n_fit=int(keep.sum()),
        time_unit="none",
        converged=converged,
        message=message,
    )


def population_mean_spend(params: np.ndarray) -> float:
    """E[spend per purchase] of a customer about whom nothing is known: p gamma / (q - 1).
    NaN when q <= 1 (the mean does not exist)."""
    p, q, gamma = params
    return float(p * gamma / (q - 1)) if q > 1 else float("nan")


def conditional_expected_spend(
    params: np.ndarray, x: np.ndarray, zbar: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """E[spend per purchase | x, zbar] and how it was obtained, per customer.

    Customers in :func:`fit_mask` get ``p (gamma + x zbar) / (p x + q - 1)``, a weighted mean
    of the population mean and their own zbar. The others get the population mean: those
    without repeat purchases (the formula gives it at x = 0) and those whose refunds leave a
    non-positive mean repeat spend (outside the model). Never raises.

    Returns
    -------
    spend, source
        Float array, and a string array of :data:`SPEND_SOURCES`.
    """
    p, q, gamma = params
    x = np.asarray(x, float)
    zbar = np.asarray(zbar, float)
    usable = fit_mask(x, zbar)
    spend = np.full(x.size, population_mean_spend(params))
    safe_z = np.where(usable, zbar, 0.0)
    conditional = p * (gamma + x * safe_z) / (p * x + q - 1)
    spend[usable] = conditional[usable]
    source = np.where(
        usable, SOURCE_CONDITIONAL, np.where(x > 0, SOURCE_NON_POSITIVE, SOURCE_NO_REPEAT)
    )
    return spend, source
