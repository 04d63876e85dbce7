"""Pareto/NBD (Schmittlein, Morrison & Colombo 1987; Fader & Hardie's 2005 implementation note).

While alive, a customer buys as a Poisson process of rate ``lambda ~ Gamma(r, alpha)``; their
lifetime is exponential with rate ``mu ~ Gamma(s, beta)`` (alpha and beta in the summary's time
unit). Parameters are in the order ``(r, alpha, s, beta)``.

The likelihood is

    L = G(r+x) alpha^r beta^s / G(r) * [ (alpha+T)^-(r+x) (beta+T)^-s + s I ]
    I = integral from t_x to T of (alpha+y)^-(r+x) (beta+y)^-(s+1) dy

and ``I = (F(t_x) - F(T)) / (r+s+x)`` with Fader-Hardie's Gaussian hypergeometric term
``F(y)``. Written through Euler's transformation, ``F(y)`` is a power of ``alpha+y`` and
``beta+y`` times ``2F1(1, c-b; c; z)`` with positive terms only, so its logarithm is stable
for heavy buyers, and ``log(F(t_x) - F(T))`` is taken as ``log F(t_x) + log1p(-exp(...))``.
There is no analytic gradient: the fit uses finite differences and, above a size, a seeded
sample of customers (see :mod:`models_py.clv.clv`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, gammaln, hyp2f1

from models_py.clv._fit import (
    FitResult,
    compress_rows,
    fit_log_params,
    log_param_covariance,
    seeded_starts,
)
from models_py.clv.summary import CalibrationSummary

MODEL = "pareto_nbd"
PARAMETERS = ("r", "alpha", "s", "beta")
TIME_PARAMETERS = ("alpha", "beta")


def _log_f(
    r: float, alpha: float, s: float, beta: float, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """log of (r+s+x) * integral from y to infinity of (alpha+u)^-(r+x) (beta+u)^-(s+1) du."""
    if alpha >= beta:
        # 2F1(r+s+x, s+1; r+s+x+1; z) (alpha+y)^-(r+s+x), z = (alpha-beta)/(alpha+y)
        z = (alpha - beta) / (alpha + y)
        series = hyp2f1(1.0, r + x, r + s + x + 1, z)
        return np.log(series) - (r + x) * np.log(alpha + y) - s * np.log(beta + y)
    # 2F1(r+s+x, r+x; r+s+x+1; z) (beta+y)^-(r+s+x), z = (beta-alpha)/(beta+y)
    z = (beta - alpha) / (beta + y)
    series = hyp2f1(1.0, s + 1, r + s + x + 1, z)
    return np.log(series) - (r + x - 1) * np.log(alpha + y) - (s + 1) * np.log(beta + y)


def _log_terms(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """log of the two bracket terms of L: alive at T, and dropped out in (t_x, T]."""
    r, alpha, s, beta = params
    log_alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    log_f_tx = _log_f(r, alpha, s, beta, x, t_x)
    log_f_t = _log_f(r, alpha, s, beta, x, age)
    with np.errstate(divide="ignore"):
        # F(t_x) >= F(T); equal (log = -inf) when the last purchase is at T.
        log_a0 = log_f_tx + np.log1p(-np.exp(np.minimum(log_f_t - log_f_tx, 0.0)))
    log_dropped = np.log(s) - np.log(r + s + x) + log_a0
    return log_alive, log_dropped


def log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under ``params = (r, alpha, s, beta)``."""
    r, alpha, s, beta = np.asarray(params, float)
    log_alive, log_dropped = _log_terms(np.asarray(params, float), x, t_x, age)
    return (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + s * np.log(beta)
        + np.logaddexp(log_alive, log_dropped)
    )


def fit(
    summary: CalibrationSummary,
    *,
    n_starts: int = 3,
    seed: int = 42,
    n_customers: int | None = None,
    start: np.ndarray | None = None,
) -> FitResult:
    """Maximum-likelihood Pareto/NBD fit on ``summary`` (all its customers).

    Arguments as in :func:`models_py.clv.bgnbd.fit`. The gradient is taken by forward
    differences, so a fit costs about five likelihood evaluations per iteration.
    """
    (x, t_x, age), weights, _ = compress_rows(summary.frequency, summary.recency, summary.age)
    total = weights.sum()

    def objective(theta: np.ndarray) -> tuple[float, None]:
        with np.errstate(over="ignore", invalid="ignore"):
            value = -(weights @ log_likelihood(np.exp(theta), x, t_x, age)) / total
        return (value if np.isfinite(value) else np.inf), None

    # Default start: r = 1 and alpha matching the mean purchase rate; a lifetime of about the
    # mean observation span.
    span = max(float(summary.age.mean()), 1e-9)
    rate = max((summary.frequency.sum() + len(summary)) / max(summary.age.sum(), 1e-9), 1e-9)
    default = np.log([1.0, 1.0 / rate, 1.0, span])
    theta, value, converged, message = fit_log_params(
        objective, seeded_starts(default, n_starts, seed, start), model=MODEL, use_gradient=False
    )
    return FitResult(
        model=MODEL,
        parameter_names=PARAMETERS,
        estimates=np.exp(theta),
        log_likelihood=-value * total,
        covariance=log_param_covariance(objective, theta, total, use_gradient=False),
        n_customers=n_customers if n_customers is not None else len(summary),
        n_fit=len(summary),
        time_unit=summary.time_unit,
        converged=converged,
        message=message,
    )


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T). Unlike BG/NBD, below 1 also for customers with x = 0."""
    x = np.asarray(x, float)
    log_alive, log_dropped = _log_terms(np.asarray(params, float), x, t_x, age)
    return expit(log_alive - log_dropped)


def conditional_expected_purchases(
    params: np.ndarray, t: np.ndarray | float, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T], in the summary's time unit.

    ``P(alive) * (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]``, with
    the bracket over ``s - 1`` taken through expm1 so that s near 1 is exact (its limit there
    is ``log((beta+T+t)/(beta+T))``).
    """
    r, alpha, s, beta = np.asarray(params, float)
    x = np.asarray(x, float)
    t = np.asarray(t, float)
    growth = np.log1p(t / (beta + age))
    near_one = abs(s - 1.0) < 1e-12
    bracket = growth if near_one else -np.expm1(-(s - 1.0) * growth) / (s - 1.0)
    rate = (r + x) / (alpha + age) * (beta + age)
    return p_alive(params, x, t_x, age) * rate * bracket


def expected_purchases(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer in (0, t]."""
    t = np.asarray(t, float)
    zero = np.zeros_like(t)
    return conditional_expected_purchases(params, t, zero, zero, zero)
