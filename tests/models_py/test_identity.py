"""Stable segment ids: canonical order within a fit, Hungarian matching across runs."""

from __future__ import annotations

import numpy as np

from models_py.identity import canonical_ids, match_to_previous, relabel


def test_canonical_ids_number_clusters_by_size() -> None:
    # Cluster sizes 1, 3, 2 -> ids 3, 1, 2 (1 is the largest).
    labels = np.array([0, 1, 1, 1, 2, 2])
    centers = np.array([[0.0], [1.0], [2.0]])
    np.testing.assert_array_equal(canonical_ids(labels, centers), [3, 1, 2])


def test_canonical_ids_ignore_the_algorithms_numbering() -> None:
    # The same partition under permuted labels gets the same ids, equal sizes ordered by centre.
    labels = np.array([0, 0, 1, 1, 2, 2])
    centers = np.array([[5.0], [1.0], [3.0]])
    permutation = np.array([2, 0, 1])
    ids = canonical_ids(labels, centers)
    permuted_ids = canonical_ids(permutation[labels], centers[np.argsort(permutation)])
    np.testing.assert_array_equal(ids[labels], permuted_ids[permutation[labels]])
    np.testing.assert_array_equal(ids, [3, 1, 2])


def test_relabel_puts_centres_in_id_order() -> None:
    # Row i of the relabelled centres is segment i + 1.
    labels = np.array([0, 1, 1])
    centers = np.array([[9.0], [4.0]])
    segment_ids, ordered = relabel(labels, centers, canonical_ids(labels, centers))
    np.testing.assert_array_equal(segment_ids, [2, 1, 1])
    np.testing.assert_array_equal(ordered, [[4.0], [9.0]])


def test_match_to_previous_keeps_ids_and_numbers_new_segments() -> None:
    # Two centres moved a little keep their ids; one far from every old centre gets a new id.
    previous = np.array([[0.0, 0.0], [10.0, 0.0]])
    current = np.array([[10.2, 0.1], [50.0, 50.0], [0.1, -0.2]])
    ids = match_to_previous(current, previous, np.array([1, 2]), max_distance=3.0)
    np.testing.assert_array_equal(ids, [2, 3, 1])
