"""Vector geometry (job_reco.text.vectors): one home for cosine, centres and the nearest centre."""

from __future__ import annotations

import math

import numpy as np
import pytest

from job_reco.text.vectors import centre_distances, cosine_similarity, nearest_centre, parse_centres


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


def test_cosine_in_chunks_of_rows_gives_every_row_the_same_value():
    rng = np.random.default_rng(3)
    left, right = rng.standard_normal((10, 4)).astype(np.float32), rng.standard_normal((10, 4)).astype(np.float32)
    left[4] = 0.0
    whole = cosine_similarity(left, right)
    for rows in (1, 3, 10, 64):  # a chunk of one row, a ragged last chunk, one chunk, more than the rows
        assert np.array_equal(cosine_similarity(left, right, rows_per_chunk=rows), whole)
    assert whole[4] == 0.0 and cosine_similarity(left[:0], right[:0]).shape == (0,)
