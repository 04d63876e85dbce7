"""Fit every CLV model on a calibration summary, and the fit table (``fct_clv_model_fit``).

The fit table has one row per model and parameter and carries everything scoring needs
(estimates and the covariance of the log-parameters), so ``fct_customer_clv`` scores from it
without refitting, as the segmentation marts do with their centroids.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy.stats import norm

from models_py.clv import bgnbd, gamma_gamma, pareto_nbd
from models_py.clv._fit import ClvFitWarning, FitResult
from models_py.clv.config import ClvConfig
from models_py.clv.summary import CalibrationSummary, summary_from_frame

log = logging.getLogger(__name__)

# Customers of the pilot fit that chooses the start of a large fit (see fit_models).
PILOT_SIZE = 5_000

# Columns of fct_clv_model_fit, in order.
FIT_COLUMNS: tuple[str, ...] = (
    "model",
    "parameter",
    "parameter_index",
    "estimate",
    "std_error",
    "estimate_lower",
    "estimate_upper",
    "log_likelihood",
    "n_customers",
    "n_fit",
    "time_unit",
    "is_converged",
    "log_covariance",
)


def fit_sample(summary: CalibrationSummary, size: int, seed: int) -> CalibrationSummary:
    """``summary`` itself, or a seeded sample of ``size`` customers (in their original order)."""
    if len(summary) <= size:
        return summary
    rng = np.random.default_rng(seed)
    return summary.subset(np.sort(rng.choice(len(summary), size=size, replace=False)))


def fit_models(summary: CalibrationSummary, config: ClvConfig) -> dict[str, FitResult]:
    """Fit BG/NBD, Pareto/NBD and Gamma-Gamma; returns model name -> fit.

    BG/NBD and Gamma-Gamma are fitted on one seeded sample of at most
    ``config.fit_sample_size`` customers (Gamma-Gamma on its repeat buyers with a positive
    mean repeat spend), Pareto/NBD on at most ``config.pareto_nbd_sample_size`` of them. Above
    :data:`PILOT_SIZE` customers the seeded multi-start search runs on a pilot sample and the
    fit on the whole sample starts from its result: one start instead of several, fewer
    iterations, same optimum.
    """
    sample = fit_sample(summary, config.fit_sample_size, config.seed)
    samples = {
        bgnbd.MODEL: sample,
        pareto_nbd.MODEL: fit_sample(sample, config.pareto_nbd_sample_size, config.seed),
        gamma_gamma.MODEL: sample,
    }
    n_customers = {
        bgnbd.MODEL: len(summary),
        pareto_nbd.MODEL: len(summary),
        gamma_gamma.MODEL: int(gamma_gamma.fit_mask(summary.frequency, summary.monetary).sum()),
    }
    fits: dict[str, FitResult] = {}
    for model, fitter in FITTERS.items():
        started = time.perf_counter()
        data = samples[model]
        try:
            fits[model] = fitter(
                data,
                n_starts=config.n_starts,
                seed=config.seed,
                n_customers=n_customers[model],
                start=_pilot_start(fitter, data, config),
            )
        except (ValueError, FloatingPointError) as error:
            # Too few usable customers (a tiny or purchase-free input): leave the model out.
            warnings.warn(f"{model} not fitted: {error}", ClvFitWarning, stacklevel=2)
            continue
        log.info(
            "%s fitted on %d of %d customers in %.2f s: %s",
            model,
            fits[model].n_fit,
            n_customers[model],
            time.perf_counter() - started,
            fits[model].params,
        )
    return fits


def _pilot_start(
    fitter: Callable[..., FitResult], data: CalibrationSummary, config: ClvConfig
) -> np.ndarray | None:
    """Estimates of a multi-start fit on a pilot sample of ``data``; None when ``data`` is
    small (it gets the multi-start search itself) or the pilot fit is impossible."""
    pilot = fit_sample(data, PILOT_SIZE, config.seed)
    if len(pilot) == len(data):
        return None
    # The pilot only picks a start: its warnings would repeat or contradict the real fit's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ClvFitWarning)
        try:
            return fitter(pilot, n_starts=config.n_starts, seed=config.seed).estimates
        except (ValueError, FloatingPointError):
            return None


def _fit_gamma_gamma(summary: CalibrationSummary, **kwargs: object) -> FitResult:
    return gamma_gamma.fit(summary.frequency, summary.monetary, **kwargs)


FITTERS: dict[str, Callable[..., FitResult]] = {
    bgnbd.MODEL: bgnbd.fit,
    pareto_nbd.MODEL: pareto_nbd.fit,
    gamma_gamma.MODEL: _fit_gamma_gamma,
}


def _finite_or_null(value: float) -> float | None:
    """NaN or infinity (a singular Hessian) is stored as NULL: unknown, not a number."""
    value = float(value)
    return value if np.isfinite(value) else None


def model_fit_table(fits: dict[str, FitResult], config: ClvConfig) -> pa.Table:
    """The fit table: one row per model x parameter (columns :data:`FIT_COLUMNS`).

    ``estimate_lower`` / ``estimate_upper`` is the ``config.interval_level`` interval from the
    normal approximation on the log scale; ``log_covariance`` is the parameter's row of the
    covariance matrix of the log-parameters (in ``parameter_index`` order).
    """
    z = float(norm.ppf(0.5 + config.interval_level / 2))
    rows = []
    for fit in fits.values():
        sd_log = np.sqrt(np.clip(np.diag(fit.covariance), 0.0, None))
        for i, name in enumerate(fit.parameter_names):
            rows.append(
                {
                    "model": fit.model,
                    "parameter": name,
                    "parameter_index": i,
                    "estimate": float(fit.estimates[i]),
                    "std_error": _finite_or_null(fit.std_errors[i]),
                    "estimate_lower": _finite_or_null(fit.estimates[i] * np.exp(-z * sd_log[i])),
                    "estimate_upper": _finite_or_null(fit.estimates[i] * np.exp(z * sd_log[i])),
                    "log_likelihood": float(fit.log_likelihood),
                    "n_customers": int(fit.n_customers),
                    "n_fit": int(fit.n_fit),
                    "time_unit": fit.time_unit,
                    "is_converged": bool(fit.converged),
                    "log_covariance": [_finite_or_null(v) for v in fit.covariance[i]],
                }
            )
    schema = pa.schema(
        [
            ("model", pa.string()),
            ("parameter", pa.string()),
            ("parameter_index", pa.int32()),
            ("estimate", pa.float64()),
            ("std_error", pa.float64()),
            ("estimate_lower", pa.float64()),
            ("estimate_upper", pa.float64()),
            ("log_likelihood", pa.float64()),
            ("n_customers", pa.int64()),
            ("n_fit", pa.int64()),
            ("time_unit", pa.string()),
            ("is_converged", pa.bool_()),
            ("log_covariance", pa.list_(pa.float64())),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def fits_from_table(table: pd.DataFrame | pa.Table) -> dict[str, FitResult]:
    """Rebuild the fits from a fit table (as written by :func:`model_fit_table`).

    Raises
    ------
    ValueError
        A column is missing, a model lacks parameters, or the table is empty.
    """
    frame = table.to_pandas() if isinstance(table, pa.Table) else table
    missing = [c for c in FIT_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"fit table lacks columns {missing}; build fct_clv_model_fit first")
    if frame.empty:
        raise ValueError("fit table is empty: fct_clv_model_fit has no fitted model")
    fits = {}
    for model, rows in frame.sort_values(["model", "parameter_index"]).groupby("model"):
        names = tuple(rows["parameter"])
        covariance = np.array([np.asarray(v, dtype=float) for v in rows["log_covariance"]])
        if covariance.shape != (len(names), len(names)):
            raise ValueError(f"fit table: covariance of {model} is not {len(names)} x {len(names)}")
        first = rows.iloc[0]
        fits[str(model)] = FitResult(
            model=str(model),
            parameter_names=names,
            estimates=rows["estimate"].to_numpy(dtype=float),
            log_likelihood=float(first["log_likelihood"]),
            covariance=covariance,
            n_customers=int(first["n_customers"]),
            n_fit=int(first["n_fit"]),
            time_unit=str(first["time_unit"]),
            converged=bool(first["is_converged"]),
        )
    return fits


def clv_model_fit_table(inputs: pd.DataFrame, config: ClvConfig) -> pa.Table:
    """``fct_clv_model_fit`` from ``fct_clv_inputs`` (one row per customer with a purchase).

    An input without customers gives an empty table with the right columns.
    """
    summary = summary_from_frame(inputs, config.time_unit)
    if len(summary) == 0:
        log.warning("no customer with a purchase: fct_clv_model_fit is empty")
        return model_fit_table({}, config)
    return model_fit_table(fit_models(summary, config), config)
