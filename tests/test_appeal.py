"""The appeal by empirical Bayes (job_reco.models.appeal) on counts whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from job_reco.models.appeal import appeal_prior, appeal_ratio


def test_appeal_ratio_by_hand():
    # (clicks + alpha) / (mu x expected + alpha): no logs -> 1; 3 clicks where 1 was expected, alpha 2 -> 5 / 3
    assert appeal_ratio(np.array([0.0, 3.0, 0.0]), np.array([0.0, 1.0, 4.0]), 2.0, 1.0) == pytest.approx([1.0, 5 / 3, 1 / 3])
    # mu rescales a click model that expects too few clicks overall
    assert appeal_ratio(2.0, 1.0, 1.0, 2.0) == pytest.approx(1.0)


def test_appeal_prior_recovers_the_gamma_that_drew_the_appeals():
    rng = np.random.default_rng(0)
    expected = rng.uniform(0.5, 6.0, 20_000)
    for alpha in (1.5, 8.0):
        theta = rng.gamma(alpha, 1.0 / alpha, expected.size)  # mean 1
        clicks = rng.poisson(0.7 * theta * expected)  # the click model expects too many clicks: mu 0.7
        prior = appeal_prior(clicks, expected)
        assert prior["mu"] == pytest.approx(0.7, rel=0.03)
        assert prior["alpha"] == pytest.approx(alpha, rel=0.2), prior
        assert prior["keys"] == expected.size


def test_appeal_prior_without_spread_shrinks_everything_to_the_mean():
    rng = np.random.default_rng(1)
    expected = rng.uniform(0.5, 3.0, 5000)
    prior = appeal_prior(rng.poisson(expected), expected)  # every key equally appealing
    assert prior["alpha"] > 50  # the posterior of any key stays near 1
    assert appeal_prior([0, 0], [1.0, 0.0]) == {"alpha": pytest.approx(np.exp(10.0)), "mu": 1.0, "keys": 1}


def test_appeal_prior_refuses_negative_or_mismatched_counts():
    with pytest.raises(ValueError, match="non-negative"):
        appeal_prior([1, -1], [1.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        appeal_prior([1, 2], [1.0])
