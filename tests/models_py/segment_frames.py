"""Tiny customer frames with planted clusters, for the models_py tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def planted_blobs(
    n: int = 600, k: int = 4, p: int = 3, seed: int = 0, spread: float = 0.3
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` rows around ``k`` centres 10 apart on distinct axes; returns (x, true labels)."""
    rng = np.random.default_rng(seed)
    centers = np.zeros((k, p))
    for i in range(k):
        centers[i, i % p] = 10.0 * (1 + i // p)
    labels = rng.integers(0, k, n)
    return centers[labels] + rng.normal(scale=spread, size=(n, p)), labels


def customer_frames(
    n: int = 400, seed: int = 0, inactive: int = 20, null_share: float = 0.1
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """Features and customers for ``n`` customers in three planted personas.

    The last ``inactive`` customers have no activity; features hold a constant, an all-NULL, a
    duplicate and a column with ``null_share`` NULLs. Returns (features, customers, persona of
    every row).
    """
    rng = np.random.default_rng(seed)
    persona = rng.integers(0, 3, n)
    spend = rng.lognormal(np.log(np.array([100.0, 2_000.0, 20_000.0])[persona]), 0.2)
    features = pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in range(n)],
        "spend_365d": spend,
        "digital_share_365d": np.clip(
            rng.normal(np.array([0.1, 0.5, 0.9])[persona], 0.05), 0.0, 1.0
        ),
        "has_mortgage": np.array([False, True, False])[persona],
        "constant_feature": 7.0,
        "unsupported_feature": np.nan,
        "spend_twice": 2.0 * spend,
    })
    features.loc[rng.random(n) < null_share, "digital_share_365d"] = np.nan
    has_activity = np.ones(n, dtype=bool)
    has_activity[n - inactive:] = False
    customers = pd.DataFrame({"customer_id": features["customer_id"], "has_activity": has_activity})
    return features, customers, persona
