"""Settings of the explanations: one frozen dataclass, built from dbt vars at the boundary.

dbt passes the vars through model config (``_explanations__models.yml`` sets
``config: explanations: {explain_sample_size: "{{ var('explain_sample_size') }}", ...}``; the
model reads ``dbt.config.get("explanations")``). A var given on the command line can arrive as
text, so every value is coerced and range-checked here, with an error that names the var.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

# dbt var -> field of ExplainConfig.
VAR_FIELDS: dict[str, str] = {
    "explain_sample_size": "sample_size",
    "explain_fit_sample_size": "fit_sample_size",
    "explain_top_reasons": "top_reasons",
    "rules_max_depth": "rules_max_depth",
    "explain_seed": "seed",
}
# Inclusive ranges of the integer settings (field -> (low, high)).
_RANGES: dict[str, tuple[int, int]] = {
    "sample_size": (10, 200_000),
    "fit_sample_size": (100, 2_000_000),
    "top_reasons": (1, 20),
    "rules_max_depth": (1, 8),
}


@dataclass(frozen=True)
class ExplainConfig:
    """Every setting of the explanations (dbt var in brackets).

    Parameters
    ----------
    sample_size
        Customers of the stratified seeded SHAP sample (``explain_sample_size``); SHAP costs a
        few milliseconds per customer, so a few thousand.
    fit_sample_size
        Most customers the surrogate and the rule trees are fitted on, a stratified seeded sample
        (``explain_fit_sample_size``); everyone else measures the surrogate's fidelity.
    top_reasons
        Reasons kept per customer in ``fct_customer_explanations`` (``explain_top_reasons``).
    rules_max_depth
        Depth of each segment's rule tree, i.e. most conditions per rule (``rules_max_depth``).
    seed
        Seed of every sample and fit of the explanations (``explain_seed``).
    key
        Key column of the customer frames.
    """

    sample_size: int = 3_000
    fit_sample_size: int = 50_000
    top_reasons: int = 3
    rules_max_depth: int = 3
    seed: int = 42
    key: str = "customer_id"

    def __post_init__(self) -> None:
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            if not low <= value <= high:
                var = next(v for v, f in VAR_FIELDS.items() if f == name)
                raise ValueError(f"var {var} must be in {low} .. {high}, got {value}")

    @classmethod
    def from_vars(cls, values: Mapping[str, object] | None) -> ExplainConfig:
        """Build from dbt var values (keys of ``VAR_FIELDS``; an absent key keeps its default)."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(VAR_FIELDS))
        if unknown:
            raise ValueError(f"unknown explanation settings {unknown}; known: {list(VAR_FIELDS)}")
        defaults = cls()
        settings = {
            field: _int(var, values.get(var, getattr(defaults, field)))
            for var, field in VAR_FIELDS.items()
        }
        return cls(**settings)


def _int(name: str, value: object) -> int:
    """An integer var: an int, an integral float (3.0) or its text ("3")."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"var {name} must be an integer, got {value!r}") from None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ValueError(f"var {name} must be an integer, got {value!r}")
