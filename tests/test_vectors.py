"""Vector geometry (job_reco.vectors): one home for cosine, centres and the nearest centre."""

from __future__ import annotations

import math

import numpy as np
import pytest

from job_reco.vectors import centre_distances, cosine_similarity, nearest_centre, parse_centres


def test_nearest_centre_normalises_first_when_asked():
    centres = np.array([[1.0, 0.0], [0.0, 1.0]])
    np.testing.assert_array_equal(nearest_centre(np.array([[10.0, 1.0], [0.1, 0.2]]), {"k": 2, "normalised": True, "centres": centres.tolist()}), [0, 1])
    # (3, 4) -> (0.6, 0.8): distance to (1, 0) is sqrt(0.4^2 + 0.8^2) = sqrt(0.8); unnormalised sqrt(2^2 + 4^2).
    vector = np.array([[3.0, 4.0]])
    assert centre_distances(vector, centres, normalised=True)[0, 0] == pytest.approx(math.sqrt(0.8))
    assert centre_distances(vector, centres, normalised=False)[0, 0] == pytest.approx(math.sqrt(20.0))
    # A zero vector stays zero: at distance 1 from both unit centres.
    np.testing.assert_allclose(centre_distances(np.array([[0.0, 0.0]]), centres, normalised=True), [[1.0, 1.0]])


def test_parse_centres_names_the_missing_key():
    with pytest.raises(ValueError, match="normalised"):
        parse_centres({"k": 1, "centres": [[0.0]]})


def test_cosine_is_zero_for_a_zero_vector():
    left = np.array([[1.0, 0.0], [0.0, 0.0], [1.0, 1.0]])
    right = np.array([[1.0, 0.0], [1.0, 0.0], [-1.0, -1.0]])
    np.testing.assert_allclose(cosine_similarity(left, right), [1.0, 0.0, -1.0])
