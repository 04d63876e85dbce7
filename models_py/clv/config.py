"""CLV settings: one frozen dataclass, built from dbt vars at the boundary.

dbt passes vars to the Python models through model config (``_clv__models.yml`` sets
``config: clv: {clv_time_unit: "{{ var('clv_time_unit') }}", ...}``; the models read
``dbt.config.get("clv")``), the way the segmentation models do. A var given on the command line
can arrive as text (``--vars '{clv_margin: "0.2"}'``), so every value is coerced and checked
here, with an error that names the var.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from models_py.clv.units import TIME_UNITS

TRANSACTION_MODELS: tuple[str, ...] = ("bg_nbd", "pareto_nbd")

# The dbt vars the CLV models read (keys of the ``clv`` config mapping).
VAR_NAMES: tuple[str, ...] = (
    "clv_time_unit",
    "clv_horizons_months",
    "clv_discount_rate_annual",
    "clv_margin",
    "clv_transaction_model",
    "clv_fit_sample_size",
    "clv_pareto_nbd_sample_size",
    "clv_seed",
    "clv_interval_level",
)


@dataclass(frozen=True)
class ClvConfig:
    """Every setting of the CLV models (dbt var in brackets).

    Parameters
    ----------
    time_unit
        Unit the models are fitted in: days, weeks or months of 30.4375 days
        (``clv_time_unit``). Only the time-scale parameters (alpha, beta) depend on it.
    horizons_months
        Horizons of the expected purchases, spend and CLV columns, in months, increasing
        (``clv_horizons_months``); each gives columns named ``..._<h>m``.
    discount_rate_annual
        Annual discount rate of the CLV, compounded continuously as ln(1 + rate)
        (``clv_discount_rate_annual``).
    margin
        Contribution per unit of spend, 0..1 (``clv_margin``).
    transaction_model
        Model behind P(alive) and the expected purchases: ``bg_nbd`` or ``pareto_nbd``
        (``clv_transaction_model``). Both are fitted and reported either way.
    fit_sample_size
        At most this many customers (a seeded sample) fit each model; everyone is scored
        (``clv_fit_sample_size``).
    pareto_nbd_sample_size
        A smaller cap for Pareto/NBD, whose likelihood has no analytic gradient and costs two
        hypergeometric functions per customer (``clv_pareto_nbd_sample_size``).
    seed
        Seed of the fit sample and of the optimiser's extra starts (``clv_seed``).
    interval_level
        Coverage of the CLV and parameter intervals, e.g. 0.9 (``clv_interval_level``).
    n_starts
        Optimiser starts per model (the default start plus seeded perturbations).
    """

    time_unit: str = "weeks"
    horizons_months: tuple[int, ...] = (12, 36)
    discount_rate_annual: float = 0.10
    margin: float = 0.01
    transaction_model: str = "bg_nbd"
    fit_sample_size: int = 100_000
    pareto_nbd_sample_size: int = 20_000
    seed: int = 42
    interval_level: float = 0.90
    n_starts: int = 3

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNITS:
            raise ValueError(
                f"var clv_time_unit must be one of {list(TIME_UNITS)}, got {self.time_unit!r}"
            )
        horizons = self.horizons_months
        if not horizons or any(h <= 0 for h in horizons) or list(horizons) != sorted(set(horizons)):
            raise ValueError(
                "var clv_horizons_months must be increasing whole months > 0, e.g. [12, 36]; "
                f"got {list(horizons)}"
            )
        if not 0 <= self.discount_rate_annual < 1:
            raise ValueError(
                f"var clv_discount_rate_annual must be in [0, 1), got {self.discount_rate_annual}"
            )
        if not 0 <= self.margin <= 1:
            raise ValueError(f"var clv_margin must be in [0, 1], got {self.margin}")
        if self.transaction_model not in TRANSACTION_MODELS:
            raise ValueError(
                f"var clv_transaction_model must be one of {list(TRANSACTION_MODELS)}, "
                f"got {self.transaction_model!r}"
            )
        for name, size in (
            ("clv_fit_sample_size", self.fit_sample_size),
            ("clv_pareto_nbd_sample_size", self.pareto_nbd_sample_size),
        ):
            if size < 1000:
                raise ValueError(f"var {name} must be at least 1000, got {size}")
        if not 0 < self.interval_level < 1:
            raise ValueError(f"var clv_interval_level must be in (0, 1), got {self.interval_level}")
        if self.n_starts < 1:
            raise ValueError(f"n_starts must be at least 1, got {self.n_starts}")

    @classmethod
    def from_vars(cls, values: Mapping[str, object] | None) -> ClvConfig:
        """Build from dbt var values (keys of ``VAR_NAMES``; an absent key keeps its default)."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(VAR_NAMES))
        if unknown:
            raise ValueError(f"unknown CLV settings {unknown}; known: {list(VAR_NAMES)}")
        default = cls()

        def get(name: str, parse: Callable[[str, object], Any], fallback: object) -> Any:
            value = values.get(name)
            return fallback if _is_null(value) else parse(name, value)

        return cls(
            time_unit=get("clv_time_unit", _text, default.time_unit),
            horizons_months=get("clv_horizons_months", _int_list, default.horizons_months),
            discount_rate_annual=get(
                "clv_discount_rate_annual", _float, default.discount_rate_annual
            ),
            margin=get("clv_margin", _float, default.margin),
            transaction_model=get("clv_transaction_model", _text, default.transaction_model),
            fit_sample_size=get("clv_fit_sample_size", _int, default.fit_sample_size),
            pareto_nbd_sample_size=get(
                "clv_pareto_nbd_sample_size", _int, default.pareto_nbd_sample_size
            ),
            seed=get("clv_seed", _int, default.seed),
            interval_level=get("clv_interval_level", _float, default.interval_level),
        )


def _is_null(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("", "null", "none")
    return value is None


def _text(name: str, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"var {name} must be text, got {value!r}")
    return value.strip()


def _float(name: str, value: object) -> float:
    if isinstance(value, bool):
        raise ValueError(f"var {name} must be a number, got {value!r}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError(f"var {name} must be a number, got {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"var {name} must be finite, got {value!r}")
    return number


def _int(name: str, value: object) -> int:
    number = _float(name, value)
    if not number.is_integer():
        raise ValueError(f"var {name} must be a whole number, got {value!r}")
    return int(number)


def _int_list(name: str, value: object) -> tuple[int, ...]:
    """A list var: a list, or its text (``"[12, 36]"`` or ``"12, 36"``)."""
    if isinstance(value, str):
        text = value.strip()
        value = yaml.safe_load(text) if text.startswith("[") else text.split(",")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"var {name} must be a list of whole numbers, got {value!r}")
    return tuple(_int(name, item) for item in value)
