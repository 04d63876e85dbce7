"""Shared maximum-likelihood machinery: fit on log-parameters, covariance, the fit result.

Every model here has positive parameters, so the optimiser works on their logarithms (no bounds
to hit, better conditioning) and the covariance is that of the log-parameters, from the inverse
Hessian of the negative log-likelihood at the optimum. Rows are weighted: identical customers
(same x, t_x, T) are fitted once with their count as the weight.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

log = logging.getLogger(__name__)

# Objective on log-parameters: returns (mean negative log-likelihood, its gradient or None).
Objective = Callable[[np.ndarray], tuple[float, np.ndarray | None]]

# Log-parameters stay in [-LOG_BOUND, LOG_BOUND] (1e-9 .. 1e9): wide enough for any data set in
# any time unit, narrow enough that no exp() overflows.
LOG_BOUND = 21.0
# Largest |gradient| of the mean log-likelihood (per customer) accepted as converged.
GRADIENT_TOLERANCE = 1e-5


class ClvFitWarning(UserWarning):
    """A fit finished but its result needs care (not converged, singular Hessian)."""


@dataclass(frozen=True)
class FitResult:
    """One fitted model.

    Attributes
    ----------
    model
        ``"bg_nbd"``, ``"pareto_nbd"`` or ``"gamma_gamma"``.
    parameter_names
        Names in the model's order, e.g. ``("r", "alpha", "a", "b")``.
    estimates
        Parameter values, same order.
    log_likelihood
        Log-likelihood at the estimates over the customers of the fit.
    covariance
        Covariance matrix of the *log*-parameters (inverse Hessian); NaN when it is singular.
    n_customers
        Customers the model applies to (all of the summary; the repeat buyers for Gamma-Gamma).
    n_fit
        Customers the fit used (a seeded sample of ``n_customers`` when that is capped).
    time_unit
        Unit of the time parameters (``alpha``, ``beta``); ``"none"`` for Gamma-Gamma.
    converged
        The gradient of the mean log-likelihood vanished and no parameter hit its bound.
    """

    model: str
    parameter_names: tuple[str, ...]
    estimates: np.ndarray
    log_likelihood: float
    covariance: np.ndarray
    n_customers: int
    n_fit: int
    time_unit: str
    converged: bool = True
    message: str = ""

    @property
    def params(self) -> dict[str, float]:
        """Parameter name -> estimate."""
        return {n: float(v) for n, v in zip(self.parameter_names, self.estimates, strict=True)}

    @property
    def std_errors(self) -> np.ndarray:
        """Delta-method standard errors on the natural scale: estimate * sd(log estimate)."""
        return self.estimates * np.sqrt(np.clip(np.diag(self.covariance), 0.0, None))


def fit_log_params(
    objective: Objective,
    starts: list[np.ndarray],
    *,
    model: str,
    use_gradient: bool,
) -> tuple[np.ndarray, float, bool, str]:
    """Minimise ``objective`` from every start; return the best (log-params, value, ok, msg)."""
    bounds = [(-LOG_BOUND, LOG_BOUND)] * len(starts[0])
    gradient = None if use_gradient else _forward_gradient(objective)
    best = None
    for start in starts:
        result = minimize(
            objective if use_gradient else (lambda v: objective(v)[0]),
            np.clip(start, -LOG_BOUND + 1, LOG_BOUND - 1),
            jac=True if use_gradient else gradient,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9, "maxcor": 20},
        )
        log.debug("%s start %s -> %s (%s)", model, start, result.x, result.message)
        if np.isfinite(result.fun) and (best is None or result.fun < best.fun):
            best = result
    if best is None:
        raise FloatingPointError(f"{model}: the likelihood is not finite from any start")
    # L-BFGS-B often stops with "ABNORMAL" when the line search meets rounding noise at the
    # optimum; what counts is a vanishing gradient of the mean log-likelihood.
    final_gradient = objective(best.x)[1] if use_gradient else gradient(best.x)
    at_bound = bool(np.any(np.abs(best.x) >= LOG_BOUND - 1e-6))
    converged = not at_bound and float(np.max(np.abs(final_gradient))) < GRADIENT_TOLERANCE
    if not converged:
        reason = "a parameter reached its bound" if at_bound else str(best.message)
        warnings.warn(
            f"{model} fit did not converge ({reason}; largest gradient "
            f"{np.max(np.abs(final_gradient)):.2g}); estimates {np.exp(best.x)}",
            ClvFitWarning,
            stacklevel=3,
        )
    return best.x, float(best.fun), converged, str(best.message)


def _forward_gradient(objective: Objective, step: float = 1e-7) -> Callable:
    """Gradient of ``objective``'s value by forward differences (for likelihoods without one).

    Forward, not central: half the likelihood evaluations, and its error (about 1e-7 of the
    curvature) is far below the convergence tolerance.
    """

    def gradient(theta: np.ndarray) -> np.ndarray:
        base = objective(theta)[0]
        grad = np.empty_like(theta)
        for i in range(theta.size):
            shift = np.zeros_like(theta)
            shift[i] = step
            grad[i] = (objective(theta + shift)[0] - base) / step
        return grad

    return gradient


def log_param_covariance(
    objective: Objective, theta: np.ndarray, total_weight: float, *, use_gradient: bool
) -> np.ndarray:
    """Covariance of the log-parameters: inverse Hessian of the total negative log-likelihood.

    ``objective`` returns the *mean* negative log-likelihood, so the Hessian is scaled by
    ``total_weight`` (customers in the fit). The Hessian comes from central differences of the
    analytic gradient, or of the value when the model has no gradient.
    """
    k = theta.size
    hessian = np.empty((k, k))
    if use_gradient:
        step = 1e-5
        for i in range(k):
            shift = np.zeros(k)
            shift[i] = step
            hessian[i] = (objective(theta + shift)[1] - objective(theta - shift)[1]) / (2 * step)
    else:
        step = 1e-4
        f0 = objective(theta)[0]
        for i in range(k):
            for j in range(i, k):
                hessian[i, j] = hessian[j, i] = _second_difference(objective, theta, i, j, step, f0)
    hessian = (hessian + hessian.T) / 2 * total_weight
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        covariance = np.full((k, k), np.nan)
    if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) <= 0):
        warnings.warn(
            "the Hessian of the likelihood is singular or not positive definite at the "
            "estimates: standard errors and CLV intervals are NaN",
            ClvFitWarning,
            stacklevel=3,
        )
        covariance = np.full((k, k), np.nan)
    return covariance


def _second_difference(
    objective: Objective, theta: np.ndarray, i: int, j: int, step: float, f0: float
) -> float:
    def f(di: float, dj: float) -> float:
        shifted = theta.copy()
        shifted[i] += di
        shifted[j] += dj
        return objective(shifted)[0]

    if i == j:
        return (f(step, 0) - 2 * f0 + f(-step, 0)) / step**2
    return (f(step, step) - f(step, -step) - f(-step, step) + f(-step, -step)) / (4 * step**2)


def seeded_starts(
    default: np.ndarray, n_starts: int, seed: int, start: np.ndarray | None = None
) -> list[np.ndarray]:
    """Log-parameter starts: the default, then ``n_starts - 1`` seeded perturbations of it
    (sd 1 on the log scale); or only ``start`` (natural scale) when the caller gives one."""
    if start is not None:
        return [np.log(np.asarray(start, float))]
    rng = np.random.default_rng(seed)
    return [default] + [default + rng.normal(0.0, 1.0, default.size) for _ in range(n_starts - 1)]


def compress_rows(*columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Unique rows of the stacked columns, their counts, and the inverse index.

    Fitting and scoring run on the unique rows; ``values[inverse]`` maps back to customers.
    """
    stacked = np.column_stack(columns)
    unique, inverse, counts = np.unique(stacked, axis=0, return_inverse=True, return_counts=True)
    return [unique[:, i] for i in range(unique.shape[1])], counts.astype(float), inverse.ravel()
