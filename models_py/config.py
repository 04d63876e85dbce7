"""Segmentation settings: one frozen dataclass, built from dbt vars at the boundary.

dbt passes vars to Python models through model config (``_segments__models.yml`` sets
``config: segmentation: {k_min: "{{ var('k_min') }}", ...}``; the model reads
``dbt.config.get("segmentation")``). dbt renders them natively (an int stays an int), but a var
given on the command line can still arrive as text (``--vars '{k_max: "10"}'``), so every value
is coerced and checked here, with an error that names the var.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

from models_py.preprocessing import SCALERS, PreprocessConfig
from models_py.selection import SelectionConfig

# The dbt vars the segmentation reads (the keys of the ``segmentation`` config mapping).
VAR_NAMES: tuple[str, ...] = (
    "segmentation_features",
    "segmentation_algorithms",
    "segmentation_scaler",
    "k_min",
    "k_max",
    "segmentation_seed",
    "selection_sample_size",
    "force_k",
    "force_algorithm",
    "stability_resamples",
)


@dataclass(frozen=True)
class SegmentationConfig:
    """Every setting of the segmentation (dbt var in brackets).

    Parameters
    ----------
    features
        Feature columns to cluster on; empty = every numeric one (``segmentation_features``).
    algorithms
        Algorithms to try, in order of preference on ties (``segmentation_algorithms``).
    scaler
        ``"standard"`` or ``"robust"`` (``segmentation_scaler``).
    k_min, k_max
        The k range tried (``k_min``, ``k_max``).
    seed
        Seed of every sample and fit (``segmentation_seed``).
    sample_size
        Rows of the silhouette sample (``selection_sample_size``).
    force_k, force_algorithm
        Force the choice (``force_k``, ``force_algorithm``; ``None`` = choose by the rule).
    stability_resamples
        Bootstrap resamples of the stability columns, 0 = off (``stability_resamples``).
    key
        Key column of the customer frames.
    """

    features: tuple[str, ...] = ()
    algorithms: tuple[str, ...] = ("kmeans",)
    scaler: str = "standard"
    k_min: int = 3
    k_max: int = 8
    seed: int = 42
    sample_size: int = 20_000
    force_k: int | None = None
    force_algorithm: str | None = None
    stability_resamples: int = 5
    key: str = "customer_id"

    def __post_init__(self) -> None:
        # Build both sub-configurations once so that a bad value fails here, at the boundary.
        self.preprocess_config()
        self.selection_config()

    def preprocess_config(self) -> PreprocessConfig:
        return PreprocessConfig(features=self.features, key=self.key, scaler=self.scaler)

    def selection_config(self) -> SelectionConfig:
        return SelectionConfig(
            algorithms=self.algorithms,
            k_min=self.k_min,
            k_max=self.k_max,
            seed=self.seed,
            sample_size=self.sample_size,
            force_k=self.force_k,
            force_algorithm=self.force_algorithm,
            stability_resamples=self.stability_resamples,
        )

    @classmethod
    def from_vars(cls, values: Mapping[str, object] | None) -> SegmentationConfig:
        """Build from dbt var values (keys of ``VAR_NAMES``; an absent key keeps its default)."""
        values = dict(values or {})
        unknown = sorted(set(values) - set(VAR_NAMES))
        if unknown:
            raise ValueError(f"unknown segmentation settings {unknown}; known: {list(VAR_NAMES)}")
        defaults = cls()
        scaler = _optional_str("segmentation_scaler", values.get("segmentation_scaler"))
        if scaler is not None and scaler not in SCALERS:
            raise ValueError(f"var segmentation_scaler must be one of {SCALERS}, got {scaler!r}")
        return cls(
            features=_names("segmentation_features", values.get("segmentation_features")),
            algorithms=(
                _names("segmentation_algorithms", values.get("segmentation_algorithms"))
                or defaults.algorithms
            ),
            scaler=scaler or defaults.scaler,
            k_min=_int("k_min", values.get("k_min", defaults.k_min)),
            k_max=_int("k_max", values.get("k_max", defaults.k_max)),
            seed=_int("segmentation_seed", values.get("segmentation_seed", defaults.seed)),
            sample_size=_int(
                "selection_sample_size", values.get("selection_sample_size", defaults.sample_size)
            ),
            force_k=_optional_int("force_k", values.get("force_k")),
            force_algorithm=_optional_str("force_algorithm", values.get("force_algorithm")),
            stability_resamples=_int(
                "stability_resamples",
                values.get("stability_resamples", defaults.stability_resamples),
            ),
        )


def _is_null(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("", "null", "none")
    return value is None


def _int(name: str, value: object) -> int:
    """An integer var: an int, an integral float (3.0) or its text ("3")."""
    if isinstance(value, bool) or _is_null(value):
        raise ValueError(f"var {name} must be an integer, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"var {name} must be an integer, got {value!r}") from None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise ValueError(f"var {name} must be an integer, got {value!r}")
        return int(value)
    if isinstance(value, int):
        return value
    raise ValueError(f"var {name} must be an integer, got {value!r}")


def _optional_int(name: str, value: object) -> int | None:
    return None if _is_null(value) else _int(name, value)


def _optional_str(name: str, value: object) -> str | None:
    if _is_null(value):
        return None
    if not isinstance(value, str):
        raise ValueError(f"var {name} must be text or null, got {value!r}")
    return value.strip()


def _names(name: str, value: object) -> tuple[str, ...]:
    """A list var: a list, or its text (``"['a', 'b']"`` or ``"a, b"``); null = empty."""
    if _is_null(value):
        return ()
    if isinstance(value, str):
        text = value.strip()
        value = yaml.safe_load(text) if text.startswith("[") else text.split(",")
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"var {name} must be a list of names, got {value!r}")
    return tuple(v.strip() for v in value if v.strip())
