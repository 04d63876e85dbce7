"""BG/NBD (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way").

While alive, a customer buys as a Poisson process of rate ``lambda ~ Gamma(r, alpha)`` (alpha
in the time unit of the summary); after every repeat purchase they drop out with probability
``p ~ Beta(a, b)``. Parameters are in the order ``(r, alpha, a, b)``.

Everything is vectorised over customers and computed in log space. The likelihood has an
analytic gradient, so a fit on a million distinct customers takes seconds.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, expit, gammaln, hyp2f1

from models_py.clv._fit import (
    FitResult,
    compress_rows,
    fit_log_params,
    log_param_covariance,
    seeded_starts,
)
from models_py.clv.summary import CalibrationSummary

MODEL = "bg_nbd"
PARAMETERS = ("r", "alpha", "a", "b")
TIME_PARAMETERS = ("alpha",)


def log_likelihood(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """Log-likelihood of each customer's (x, t_x, T) under ``params = (r, alpha, a, b)``."""
    return _log_likelihood_and_gradient(np.asarray(params, float), x, t_x, age, False)[0]


def _log_likelihood_and_gradient(
    params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray, gradient: bool
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per-customer log-likelihood and (optionally) its gradient in the natural parameters."""
    r, alpha, a, b = params
    repeat = x > 0
    # The two ways to have seen (x, t_x, T): alive at T, or dropped out right after t_x.
    log_alive = -(r + x) * np.log(alpha + age)
    b_x1 = np.where(repeat, b + x - 1, 1.0)
    log_dropped = np.where(
        repeat, np.log(a) - np.log(b_x1) - (r + x) * np.log(alpha + t_x), -np.inf
    )
    log_either = np.logaddexp(log_alive, log_dropped)
    ll = (
        gammaln(r + x)
        - gammaln(r)
        + r * np.log(alpha)
        + betaln(a, b + x)
        - betaln(a, b)
        + log_either
    )
    if not gradient:
        return ll, None
    w_alive = np.exp(log_alive - log_either)
    w_dropped = np.exp(log_dropped - log_either)
    d_r = (
        digamma(r + x)
        - digamma(r)
        + np.log(alpha)
        - w_alive * np.log(alpha + age)
        - w_dropped * np.log(alpha + t_x)
    )
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + t_x))
    common = digamma(a + b) - digamma(a + b + x)
    d_a = common + w_dropped / a
    d_b = common + digamma(b + x) - digamma(b) - w_dropped / b_x1
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


def fit(
    summary: CalibrationSummary,
    *,
    n_starts: int = 3,
    seed: int = 42,
    n_customers: int | None = None,
    start: np.ndarray | None = None,
) -> FitResult:
    """Maximum-likelihood BG/NBD fit on ``summary`` (all its customers).

    Parameters
    ----------
    summary
        Calibration summary (x, t_x, T in ``summary.time_unit``).
    n_starts
        Starts of the optimiser: a default one plus seeded perturbations; the best wins.
    start
        Parameters to start from instead (a fit on a sample); then the only start.
    n_customers
        Customers the model applies to when ``summary`` is a sample of them (for the report).
    """
    (x, t_x, age), weights, _ = compress_rows(summary.frequency, summary.recency, summary.age)
    total = weights.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        params = np.exp(theta)
        ll, grad = _log_likelihood_and_gradient(params, x, t_x, age, True)
        value = -(weights @ ll) / total
        if not np.isfinite(value):
            return np.inf, np.zeros_like(theta)
        return value, -(grad @ weights) / total * params

    # Default start: r = 1 and alpha matching the mean purchase rate; a, b near a short life.
    rate = max((summary.frequency.sum() + len(summary)) / max(summary.age.sum(), 1e-9), 1e-9)
    default = np.log([1.0, 1.0 / rate, 0.5, 2.0])
    theta, value, converged, message = fit_log_params(
        objective, seeded_starts(default, n_starts, seed, start), model=MODEL, use_gradient=True
    )
    return FitResult(
        model=MODEL,
        parameter_names=PARAMETERS,
        estimates=np.exp(theta),
        log_likelihood=-value * total,
        covariance=log_param_covariance(objective, theta, total, use_gradient=True),
        n_customers=n_customers if n_customers is not None else len(summary),
        n_fit=len(summary),
        time_unit=summary.time_unit,
        converged=converged,
        message=message,
    )


def p_alive(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """P(alive at T | x, t_x, T). Exactly 1 for x = 0: in BG/NBD a customer can only drop out
    right after a repeat purchase, so one who never repeated is alive by definition."""
    r, alpha, a, b = params
    x = np.asarray(x, float)
    repeat = x > 0
    log_odds_dead = np.where(
        repeat,
        np.log(a)
        - np.log(np.where(repeat, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + age) - np.log(alpha + t_x)),
        -np.inf,
    )
    return expit(-log_odds_dead)


def conditional_expected_purchases(
    params: np.ndarray, t: np.ndarray | float, x: np.ndarray, t_x: np.ndarray, age: np.ndarray
) -> np.ndarray:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005, eq. 10), in the summary's time unit.

    The Gaussian hypergeometric term is taken through Euler's transformation,
    ``(1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)``
    with ``z = t / (alpha + T + t)``, whose first two arguments do not grow with ``x``: the
    series stays short and accurate for heavy buyers.
    """
    r, alpha, a, b = params
    # TODO: at a == 1 exactly the formula is 0/0 (its limit is finite); a is nudged by 1e-9,
    # which costs about 1e-7 relative accuracy there. A series for the limit would remove it.
    if abs(a - 1.0) < 1e-9:
        a = 1.0 + 1e-9
    x = np.asarray(x, float)
    t = np.asarray(t, float)
    z = t / (alpha + age + t)
    tail = np.exp((a - 1) * np.log1p(-z)) * hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    return p_alive(params, x, t_x, age) * (a + b + x - 1) / (a - 1) * (1.0 - tail)


def expected_purchases(params: np.ndarray, t: np.ndarray | float) -> np.ndarray:
    """E[X(t)]: expected repeat purchases of a new customer in (0, t] (FHL 2005, eq. 9)."""
    t = np.asarray(t, float)
    zero = np.zeros_like(t)
    return conditional_expected_purchases(params, t, zero, zero, zero)


def probability_of_purchases(params: np.ndarray, t: float, n: np.ndarray) -> np.ndarray:
    """P(X(t) = n): probability of ``n`` repeat purchases of a new customer in (0, t] (eq. 8)."""
    r, alpha, a, b = params
    n = np.atleast_1d(np.asarray(n, int))
    log_p = np.log(alpha / (alpha + t))
    log_q = np.log(t / (alpha + t))
    log_nbd = gammaln(r + n) - gammaln(r) - gammaln(n + 1) + r * log_p + n * log_q
    first = np.exp(betaln(a, b + n) - betaln(a, b) + log_nbd)
    out = np.empty(n.size)
    for i, count in enumerate(n):
        j = np.arange(count)
        partial = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + r * log_p + j * log_q)
        dropped = np.exp(betaln(a + 1, b + count - 1) - betaln(a, b)) if count > 0 else 0.0
        out[i] = first[i] + dropped * (1.0 - partial.sum())
    return out
