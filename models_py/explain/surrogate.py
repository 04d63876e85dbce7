"""The surrogate: a classifier that predicts the segment from the features, for SHAP to explain.

The segments come from distances to centres; SHAP's exact tree algorithm needs a tree ensemble.
A random forest trained to reproduce the segments stands between the two, and its fidelity (the
share of customers it puts in their own segment) says how far its explanations can be trusted.
scikit-learn's GradientBoostingClassifier is refused by SHAP above two classes; a random forest's
output is the probability of each segment, so its SHAP values read as shares of probability.

The forest is fitted on a stratified seeded sample of the segmented customers (at most
``fit_sample_size`` and at most 70% of them) in model space; the customers left out measure its
fidelity. Trees are invariant to the monotone transforms of the preprocessing, so model space
loses nothing against the features' own units.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from sklearn.ensemble import RandomForestClassifier

from models_py.explain.sampling import stratified_sample

logger = logging.getLogger(__name__)

# Share of the segmented customers the surrogate may be fitted on; the rest measure fidelity.
MAX_FIT_SHARE = 0.7
# Forest settings. TreeExplainer's cost grows with trees x leaves x depth^2: capping each tree
# at 128 leaves and depth 10 keeps it near 5 ms per customer however many customers the forest
# is fitted on (uncapped, depth 10 on 50k customers cost 33 ms), for about 2 points of
# fidelity on 7 overlapping segments (0.935 against 0.953).
N_ESTIMATORS = 100
MAX_DEPTH = 10
MAX_LEAF_NODES = 128
MIN_SAMPLES_LEAF = 3


@dataclass(frozen=True)
class SurrogateFit:
    """A fitted surrogate and its fidelity.

    Attributes
    ----------
    model
        The fitted forest; ``model.classes_`` are the segment ids.
    fit_rows, holdout_rows
        Sorted row indices it was fitted on and measured on.
    fidelity_fit, fidelity_holdout
        Share of the fit (holdout) rows predicted in their own segment; NaN without rows.
    recall_holdout
        Segment id -> share of that segment's holdout rows predicted in it (NaN without rows).
    """

    model: RandomForestClassifier
    fit_rows: np.ndarray
    holdout_rows: np.ndarray
    fidelity_fit: float
    fidelity_holdout: float
    recall_holdout: dict[int, float]


def fit_surrogate(
    x: np.ndarray, segment_ids: np.ndarray, fit_sample_size: int, seed: int
) -> SurrogateFit:
    """Fit the forest on a stratified sample of ``(x, segment_ids)`` and measure its fidelity.

    Parameters
    ----------
    x
        ``(n, p)`` features in model space.
    segment_ids
        ``(n,)`` segment of every row (at least two distinct).
    fit_sample_size
        Most rows to fit on.
    seed
        Seed of the sample and of the forest.

    Raises
    ------
    ValueError
        Fewer than two segments: there is nothing to tell apart.
    """
    classes = np.unique(segment_ids)
    if len(classes) < 2:
        raise ValueError(f"the surrogate needs at least two segments, got {classes.tolist()}")
    size = min(fit_sample_size, int(MAX_FIT_SHARE * len(segment_ids)))
    fit_rows = stratified_sample(segment_ids, size, seed)
    holdout_rows = np.setdiff1d(np.arange(len(segment_ids)), fit_rows)

    model = RandomForestClassifier(
        n_estimators=N_ESTIMATORS,
        max_depth=MAX_DEPTH,
        max_leaf_nodes=MAX_LEAF_NODES,
        min_samples_leaf=MIN_SAMPLES_LEAF,
        random_state=seed,
        n_jobs=-1,
    )
    model.fit(x[fit_rows], segment_ids[fit_rows])

    # Fidelity: agreement of the forest's segment with the segmentation's.
    fit_hits = model.predict(x[fit_rows]) == segment_ids[fit_rows]
    holdout_pred = model.predict(x[holdout_rows]) if len(holdout_rows) else np.empty(0)
    holdout_true = segment_ids[holdout_rows]
    recall = {
        int(c): _mean(holdout_pred[holdout_true == c] == c) for c in classes
    }
    fit = SurrogateFit(
        model=model,
        fit_rows=fit_rows,
        holdout_rows=holdout_rows,
        fidelity_fit=_mean(fit_hits),
        fidelity_holdout=_mean(holdout_pred == holdout_true),
        recall_holdout=recall,
    )
    logger.info(
        "surrogate: random forest on %d customers, fidelity %.3f on %d held out",
        len(fit_rows), fit.fidelity_holdout, len(holdout_rows),
    )
    return fit


def _mean(hits: np.ndarray) -> float:
    return float(np.mean(hits)) if len(hits) else float("nan")
