"""The algorithm registry, K-means, and nearest-centre assignment."""

from __future__ import annotations

import numpy as np
import pytest
from segment_frames import planted_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

from models_py.clustering import algorithm_names, assign_nearest, make_algorithm, score_rows


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_kmeans_recovers_planted_blobs(seed: int) -> None:
    # Four well-separated blobs are found exactly, whatever the seed.
    x, truth = planted_blobs(k=4, seed=seed)
    fit = make_algorithm("kmeans", seed=seed).fit(x, 4)
    assert adjusted_rand_score(truth, fit.labels) == pytest.approx(1.0)
    assert fit.n_fit == len(x)
    assert ((fit.membership >= 0) & (fit.membership <= 1)).all()


def test_assign_nearest_strength_hand_computed() -> None:
    # Centres at 0 and 10 on a line: x=0 -> 1, x=5 -> 0 (boundary), x=2 -> 1 - 2/8 = 0.75.
    centers = np.array([[0.0], [10.0]])
    labels, strength = assign_nearest(np.array([[0.0], [5.0], [2.0], [12.0]]), centers)
    np.testing.assert_array_equal(labels, [0, 0, 0, 1])
    np.testing.assert_allclose(strength, [1.0, 0.0, 0.75, 1 - 2 / 12])


def test_single_cluster_needs_no_algorithm() -> None:
    # k = 1: every row in cluster 0 at the mean, strength 1.
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    fit = make_algorithm("kmeans", seed=0).fit(x, 1)
    np.testing.assert_array_equal(fit.labels, [0, 0])
    np.testing.assert_allclose(fit.centers, [[2.0, 3.0]])
    np.testing.assert_array_equal(fit.membership, [1.0, 1.0])


def test_registry_names_unknown_algorithm_and_the_known_ones() -> None:
    # A typo in segmentation_algorithms says which names exist.
    assert "kmeans" in algorithm_names()
    with pytest.raises(ValueError, match="known: .*kmeans"):
        make_algorithm("kmean", seed=0)


def test_fit_rejects_nan() -> None:
    # NaN must be filled by preprocessing before clustering.
    with pytest.raises(ValueError, match="NaN"):
        make_algorithm("kmeans", seed=0).fit(np.array([[np.nan], [1.0]]), 2)


@pytest.mark.parametrize("name", ["ward", "gaussian_mixture"])
@pytest.mark.parametrize("seed", [0, 1])
def test_other_algorithms_recover_planted_blobs(name: str, seed: int) -> None:
    # Ward and the Gaussian mixture find the same four blobs K-means does.
    x, truth = planted_blobs(k=4, seed=seed)
    fit = make_algorithm(name, seed=seed).fit(x, 4)
    assert adjusted_rand_score(truth, fit.labels) == pytest.approx(1.0)
    assert ((fit.membership >= 0) & (fit.membership <= 1)).all()


def test_ward_fits_on_a_sample_above_its_cap_and_says_so() -> None:
    # 600 rows and memory for 200 (8 x 200^2 bytes): the tree is built on 200, all assigned.
    x, truth = planted_blobs(n=600, k=3, seed=4)
    algorithm = make_algorithm("ward", seed=0, max_memory_gib=8 * 200**2 / 2**30)
    fit = algorithm.fit(x, 3)
    assert fit.n_fit == 200
    assert len(fit.labels) == 600
    assert "fit on 200 of 600 rows" in fit.notes[0]
    assert adjusted_rand_score(truth, fit.labels) == pytest.approx(1.0)


def test_mixture_scoring_from_its_parameters_matches_scikit_learn() -> None:
    # score_rows with means, variances and weights gives sklearn's posterior probabilities.
    x, _ = planted_blobs(n=300, k=3, seed=2, spread=2.0)
    model = GaussianMixture(3, covariance_type="diag", random_state=0).fit(x)
    labels, strength = score_rows(x, model.means_, model.covariances_, model.weights_)
    proba = model.predict_proba(x)
    np.testing.assert_array_equal(labels, proba.argmax(axis=1))
    np.testing.assert_allclose(strength, proba.max(axis=1), atol=1e-10)


def test_mixture_records_bic_and_parameters() -> None:
    # The mixture's fit carries what scoring and the selection table need.
    x, _ = planted_blobs(k=3, seed=0)
    fit = make_algorithm("gaussian_mixture", seed=0).fit(x, 3)
    assert fit.bic is not None and np.isfinite(fit.bic)
    assert fit.variances.shape == fit.centers.shape
    assert fit.weights.sum() == pytest.approx(1.0)
