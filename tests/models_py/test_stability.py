"""Bootstrap stability: Jaccard matching and the stability of planted and over-split clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segment_frames import planted_blobs

from models_py.selection import SelectionConfig, choose, select_model
from models_py.stability import bootstrap_stability, jaccard_best_match, summarise


def test_jaccard_best_match_hand_computed() -> None:
    # Reference {0,1,2} {3,4}; other {0,1} {2,3,4}: J = max(2/3, 1/4) and max(0, 2/3).
    reference = np.array([0, 0, 0, 1, 1])
    other = np.array([0, 0, 1, 1, 1])
    np.testing.assert_allclose(jaccard_best_match(reference, other, 2), [2 / 3, 2 / 3])


def test_jaccard_best_match_is_one_for_a_relabelled_partition() -> None:
    # The same partition under other labels matches perfectly.
    reference = np.array([0, 0, 1, 1, 2])
    np.testing.assert_allclose(jaccard_best_match(reference, (reference + 1) % 3, 3), 1.0)


@pytest.mark.parametrize("seed", [0, 1])
def test_planted_clusters_are_stable_and_an_over_split_one_is_not(seed: int) -> None:
    # Three planted blobs: k=3 comes back every time; k=6 splits blobs arbitrarily.
    x, truth = planted_blobs(n=300, k=3, seed=seed, spread=1.0)
    fits = {k: select_model(x, SelectionConfig(k_min=k, k_max=k, stability_resamples=0))
            .chosen_fit.labels for k in (3, 6)}
    stability = bootstrap_stability(x, fits, "kmeans", resamples=8, seed=seed)
    lowest_3, _ = summarise(stability[3])
    lowest_6, _ = summarise(stability[6])
    assert lowest_3 > 0.95
    assert lowest_6 < lowest_3


def test_choice_prefers_fits_whose_clusters_are_all_trusted() -> None:
    # k=5 has the best silhouette but an untrusted cluster (0.4): k=4 is chosen.
    table = pd.DataFrame({
        "algorithm": ["kmeans"] * 3, "k": [3, 4, 5],
        "silhouette": [0.5, 0.6, 0.7], "silhouette_sample_size": [10] * 3,
        "stability_jaccard_min": [0.9, 0.8, 0.4],
    })
    (_, k), rule = choose(table, SelectionConfig())
    assert k == 4
    assert "bootstrap Jaccard >= 0.6" in rule


def test_selection_table_reports_stability() -> None:
    # With resamples the two columns are filled and within 0..1.
    x, _ = planted_blobs(n=300, k=3, seed=2)
    table = select_model(x, SelectionConfig(k_min=2, k_max=4, stability_resamples=3)).table
    assert table["stability_jaccard_min"].between(0, 1).all()
    assert (table["stability_jaccard_min"] <= table["stability_jaccard_mean"]).all()
    assert table.loc[table["is_chosen"], "k"].tolist() == [3]
