"""Segmentation settings built from dbt vars: coerced, checked, named in errors."""

from __future__ import annotations

import pytest

from models_py.config import SegmentationConfig


def test_from_vars_coerces_text_and_integral_floats() -> None:
    # Vars given on the command line as text, or as 3.0, become ints; lists may be text.
    config = SegmentationConfig.from_vars({
        "k_min": "2", "k_max": 6.0, "segmentation_seed": 7, "selection_sample_size": "5000",
        "force_k": "null", "segmentation_features": "['spend_365d', 'has_mortgage']",
        "segmentation_algorithms": ["kmeans"], "force_algorithm": None,
        "segmentation_scaler": "robust",
    })
    assert (config.k_min, config.k_max, config.seed, config.sample_size) == (2, 6, 7, 5000)
    assert config.force_k is None
    assert config.features == ("spend_365d", "has_mortgage")
    assert config.scaler == "robust"


def test_from_vars_defaults_when_absent() -> None:
    # No config (a model run outside dbt) means the defaults of dbt_project.yml.
    assert SegmentationConfig.from_vars(None) == SegmentationConfig()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"k_min": 2.5}, "k_min must be an integer"),
        ({"k_max": True}, "k_max must be an integer"),
        ({"force_k": "five"}, "force_k must be an integer"),
        ({"segmentation_scaler": "minmax"}, "segmentation_scaler"),
        ({"segmentation_features": 3}, "segmentation_features"),
        ({"k_mx": 3}, "unknown segmentation settings"),
    ],
)
def test_from_vars_rejects_bad_values_naming_the_var(values: dict, message: str) -> None:
    # A bad value fails before any fit, with the var's name.
    with pytest.raises(ValueError, match=message):
        SegmentationConfig.from_vars(values)
