"""Model selection: the k range and its cap, the silhouette on a sample, the choice rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from segment_frames import planted_blobs
from sklearn.metrics import silhouette_score

from models_py.selection import (
    KCappedWarning,
    SelectionConfig,
    candidate_ks,
    choose,
    sample_rows,
    select_model,
    silhouette_scores,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_silhouette_scores_match_sklearn(seed: int) -> None:
    # One distance pass for several partitions gives sklearn's silhouette for each.
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(300, 4))
    partitions = [rng.integers(0, k, 300) for k in (2, 3, 6)]
    partitions.append(np.r_[np.zeros(299, dtype=int), 1])  # a singleton cluster scores 0
    expected = [silhouette_score(x, labels) for labels in partitions]
    np.testing.assert_allclose(silhouette_scores(x, partitions), expected, atol=1e-5)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_selection_chooses_the_planted_k(seed: int) -> None:
    # Four planted blobs, k tried 2..7: the silhouette picks 4.
    x, _ = planted_blobs(k=4, seed=seed)
    result = select_model(x, SelectionConfig(k_min=2, k_max=7, seed=seed))
    table = result.table
    assert list(table["k"]) == [2, 3, 4, 5, 6, 7]
    assert table.loc[table["is_chosen"], "k"].tolist() == [4]
    assert result.chosen == ("kmeans", 4)
    assert (table["n_fit"] == len(x)).all()


def test_silhouette_sample_is_capped_and_seeded() -> None:
    # The silhouette runs on sample_size rows; the same seed draws the same rows.
    x, _ = planted_blobs(n=500, k=3)
    config = SelectionConfig(k_min=2, k_max=3, sample_size=120, seed=5)
    first, second = select_model(x, config).table, select_model(x, config).table
    assert (first["silhouette_sample_size"] == 120).all()
    pd.testing.assert_frame_equal(first, second)
    np.testing.assert_array_equal(sample_rows(500, 120, 5), sample_rows(500, 120, 5))
    assert len(np.unique(sample_rows(500, 120, 5))) == 120


def test_k_capped_when_fewer_distinct_rows_than_k() -> None:
    # Three distinct profiles and k asked 4..6: one fit with k = 3, the cap written in note.
    x = np.repeat(np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0]]), 10, axis=0)
    with pytest.warns(KCappedWarning, match="only 3 distinct"):
        table = select_model(x, SelectionConfig(k_min=4, k_max=6)).table
    assert table["k"].tolist() == [3]
    assert bool(table["is_chosen"].iloc[0])
    assert "k capped at 3" in table["note"].iloc[0]


def test_candidate_ks_cap_only_what_exceeds() -> None:
    # k above the distinct profiles is dropped; the range below it is kept.
    ks, note = candidate_ks(SelectionConfig(k_min=3, k_max=8), n_distinct=5)
    assert ks == [3, 4, 5]
    assert "only 5 distinct" in note
    assert candidate_ks(SelectionConfig(k_min=3, k_max=8), n_distinct=100) == (
        [3, 4, 5, 6, 7, 8], None,
    )


def test_force_k_overrides_the_silhouette_and_may_leave_the_range() -> None:
    # force_k = 9 outside 2..4 is fitted too, chosen, and the rule says it was forced.
    x, _ = planted_blobs(k=4, seed=0)
    table = select_model(x, SelectionConfig(k_min=2, k_max=4, force_k=9)).table
    assert table["k"].tolist() == [2, 3, 4, 9]
    assert table.loc[table["is_chosen"], "k"].tolist() == [9]
    assert table["choice_rule"].iloc[0].startswith("forced k=9")


def test_choice_ties_go_to_the_smaller_k() -> None:
    # Equal silhouettes: the smaller k wins.
    table = pd.DataFrame({
        "algorithm": ["kmeans"] * 3, "k": [3, 4, 5],
        "silhouette": [0.5, 0.7, 0.7], "silhouette_sample_size": [10] * 3,
    })
    (algorithm, k), rule = choose(table, SelectionConfig())
    assert (algorithm, k) == ("kmeans", 4)
    assert "ties to the smaller k" in rule


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"k_min": 1}, "k_min"),
        ({"k_min": 5, "k_max": 4}, "k_min"),
        ({"force_k": 1}, "force_k"),
        ({"algorithms": ("kmean",)}, "segmentation_algorithms"),
        ({"sample_size": 10}, "selection_sample_size"),
        ({"force_algorithm": "ward"}, "force_algorithm"),
    ],
)
def test_selection_config_rejects_bad_settings(settings: dict, message: str) -> None:
    # A bad var fails at the boundary, naming the var.
    with pytest.raises(ValueError, match=message):
        SelectionConfig(**settings)
