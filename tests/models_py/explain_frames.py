"""Tiny customer frames with a known reason, for the tests of models_py.explain."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from models_py.config import SegmentationConfig
from models_py.preprocessing import FittedPreprocessor
from models_py.segmentation import active_features, customer_segments_table, preprocessing_table


@dataclass(frozen=True)
class ExplainFrames:
    """The inputs every explanation reads, as the dbt models would pass them."""

    features: pd.DataFrame
    customers: pd.DataFrame
    preprocessing: pd.DataFrame
    centroids: pd.DataFrame
    segments: pd.DataFrame

    @property
    def common(self) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
        return self.features, self.customers, self.preprocessing


def separated_by_spend(
    n: int = 300, k: int = 3, seed: int = 0, inactive: int = 5
) -> ExplainFrames:
    """``k`` segments that differ only in ``spend_365d`` (levels 100, 10k, 1M, ...).

    Two noise features (normal, uniform) have the same distribution in every segment; the last
    ``inactive`` customers have no activity. The segmentation is planted rather than fitted:
    the real preprocessing, centres that differ in spend only, customers scored to the nearest
    centre by the real scoring. So spend is every customer's reason (and its only one).
    """
    rng = np.random.default_rng(seed)
    level = rng.integers(0, k, n)
    features = pd.DataFrame({
        "customer_id": [f"c{i:04d}" for i in range(n)],
        "spend_365d": rng.lognormal(np.log(100.0) + np.log(100.0) * level, 0.1),
        "noise_a": rng.normal(0, 1, n),
        "noise_b": rng.uniform(0, 1, n),
    })
    has_activity = np.ones(n, dtype=bool)
    has_activity[n - inactive:] = False
    customers = pd.DataFrame({"customer_id": features["customer_id"], "has_activity": has_activity})
    preprocessing = preprocessing_table(features, customers, SegmentationConfig())

    # Centres: each planted level's mean spend in model space (segment id = level + 1), and
    # the base mean (0 after scaling) of the noise features, so that centres differ in spend
    # only.
    fitted = FittedPreprocessor.from_frame(preprocessing)
    x = fitted.transform(active_features(features, customers))
    centers = np.zeros((k, x.shape[1]))
    centers[:, 0] = [x[level[: n - inactive] == c, 0].mean() for c in range(k)]
    centroids = pd.DataFrame([
        {"algorithm": "kmeans", "k": k, "segment_id": c + 1, "feature": name, "position": j,
         "centroid": centers[c, j], "variance": np.nan, "weight": np.nan}
        for c in range(k) for j, name in enumerate(fitted.features)
    ])
    definitions = pd.DataFrame({
        "segment_id": range(k + 1), "segment_name": ["Inactive"] + [f"s{c}" for c in range(k)],
    })
    segments = customer_segments_table(features, customers, preprocessing, centroids, definitions)
    return ExplainFrames(features, customers, preprocessing, centroids, segments)
