"""Examination-curve estimators (job_reco.models.propensity) on counts worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from job_reco.models.propensity import (
    choose_curve,
    cross_fitted_log_likelihood,
    curve_errors,
    pool,
    swap_curve,
    swap_log_likelihood,
    swap_power_law,
)


def test_swap_curve_divides_by_the_first_ads_rate_at_position_one():
    # first ads at position 1: 100 of 400 clicked (r = 0.25); shown at 2: 30 of 200; at 5: 10 of 100
    curve = swap_curve({2: (200, 30), 5: (100, 10), 7: (0, 0)}, (400, 100))
    assert curve == pytest.approx({"1": 1.0, "2": 0.6, "5": 0.4})


def test_swap_curve_needs_clicks_at_position_one():
    with pytest.raises(ValueError, match="position 1"):
        swap_curve({2: (10, 1)}, (10, 0))


def test_swap_log_likelihood_by_hand():
    # r = 0.5; position 2 with theta 0.4: p = 0.2, 1 click of 2: log(0.2) + log(0.8)
    value = swap_log_likelihood({"1": 1.0, "2": 0.4}, {2: (2, 1)}, (10, 5))
    assert value == pytest.approx(math.log(0.2) + math.log(0.8))
    assert math.isnan(swap_log_likelihood({"1": 1.0}, {}, (10, 5)))


def test_cross_fitting_prefers_the_curve_that_predicts_held_out_clicks():
    rng = np.random.default_rng(0)
    r, n = 0.3, 60
    folds = [({k: (n, float(rng.binomial(n, r / k))) for k in range(2, 11)}, (4000.0, 1200.0)) for _ in range(5)]
    estimators = {
        "click_model": lambda counts, baseline: {str(k): 1 / k**2 for k in range(1, 11)},  # too steep
        "swap_power_law": lambda counts, baseline: swap_power_law(counts, baseline, 10),
    }
    scores = cross_fitted_log_likelihood(estimators, folds)
    assert choose_curve(scores) == "swap_power_law" and scores["swap_power_law"] > scores["click_model"]
    # no randomized slice: nothing to score, the click model stays
    assert choose_curve(cross_fitted_log_likelihood(estimators, [])) == "click_model"


def test_pool_adds_folds_up():
    counts, baseline = pool([({2: (10.0, 1.0)}, (100.0, 30.0)), ({2: (5.0, 2.0), 3: (4.0, 0.0)}, (50.0, 10.0))])
    assert counts == {2: (15.0, 3.0), 3: (4.0, 0.0)} and baseline == (150.0, 40.0)


def test_curve_errors():
    assert curve_errors({"1": 1.0, "2": 0.55, "3": 0.3}, {"1": 1.0, "2": 0.5, "4": 0.2}) == pytest.approx({"1": 0.0, "2": 0.1})


def test_swap_power_law_recovers_eta_from_few_swaps():
    rng = np.random.default_rng(1)
    r, eta = 0.3, 0.9
    counts = {k: (40.0, float(rng.binomial(40, r * k**-eta))) for k in range(2, 21)}  # ~40 first ads per k
    curve = swap_power_law(counts, (40000, 12000), max_position=20)
    fitted = -math.log(curve["10"]) / math.log(10)
    assert fitted == pytest.approx(eta, abs=0.2)
    assert list(curve) == [str(k) for k in range(1, 21)] and curve["1"] == 1.0
    with pytest.raises(ValueError, match="position 1"):
        swap_power_law({}, (0, 0), 20)


def test_one_standard_error_rule_prefers_the_simpler_curve_unless_the_folds_confirm_the_gain():
    simplest_first = ("swap_power_law", "click_model")
    noisy = {"click_model": [-18.0] * 5, "swap_power_law": [-19.0, -18.0, -19.0, -17.0, -18.0]}
    # the click model wins by 1 in all (-90 vs -91), fold by fold 1, 0, 1, -1, 0: the standard error of
    # the total difference is sd 0.837 x sqrt(5) = 1.87 > 1, so the simpler power law is kept
    totals = {name: sum(v) for name, v in noisy.items()}
    assert choose_curve(totals, folds=noisy, simplest_first=simplest_first) == "swap_power_law"
    # a gain of 0.5 on every fold (2.5 in all, no spread) stands: the click model
    steady = {"click_model": [-18.0] * 5, "swap_power_law": [-18.5] * 5}
    assert choose_curve({n: sum(v) for n, v in steady.items()}, folds=steady, simplest_first=simplest_first) == "click_model"
    assert choose_curve(totals) == "click_model"  # without folds: the highest total


def test_swaps_recover_the_curve_where_search_orders_by_relevance_and_click_rates_do_not():
    # Search ranks ads by relevance: the ad at rank i is clicked, once seen, with 0.5 x i^-0.7; seen with k^-0.9.
    rng = np.random.default_rng(3)
    eta, positions, searches = 0.9, np.arange(1, 21), 40_000
    relevance = 0.5 * positions**-0.7
    clicks = rng.binomial(searches, relevance * positions**-eta)
    naive = {str(k): clicks[k - 1] / clicks[0] for k in positions}  # click rate by position, relative to 1
    naive_eta = -math.log(naive["10"]) / math.log(10)
    assert naive_eta == pytest.approx(eta + 0.7, abs=0.15)  # relevance and position confounded: far too steep
    # The randomized slice: search's first ad swapped to k (uniform 2..20), 100 searches per k.
    swapped = {int(k): (100.0, float(rng.binomial(100, relevance[0] * k**-eta))) for k in positions[1:]}
    baseline = (float(searches), float(rng.binomial(searches, relevance[0])))
    curve = swap_power_law(swapped, baseline, max_position=20)
    assert -math.log(curve["10"]) / math.log(10) == pytest.approx(eta, abs=0.15)
    errors = curve_errors(curve, {str(k): float(k**-eta) for k in positions})
    assert max(abs(e) for e in errors.values()) < max(abs(v / k**-eta - 1) for k, v in ((int(p), naive[p]) for p in naive))
