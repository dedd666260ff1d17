"""The behaviour model: each factor by hand, then their product per impression on a hand-made world."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from job_reco.columns import (
    APPLICATION_ID,
    ATTRACTIVENESS,
    CLICK_ID,
    CLICK_PROBABILITY,
    DISTANCE_FACTOR,
    DISTANCE_KM,
    EMPLOYER_QUALITY,
    EXAMINATION,
    FRESHNESS_FACTOR,
    JOB_ID,
    LEVEL_FACTOR,
    MATCH_GRADE,
    NOISE,
    OCCUPATION_FACTOR,
    PAY_FACTOR,
    POSITION,
    RAW_SCHEMAS,
    RELEVANCE,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    TRUTH_IMPRESSIONS_COLUMNS,
    TRUTH_JOBS_COLUMNS,
)
from job_reco.pipelines.data_generation import behaviour
from job_reco.geo import haversine_km
from tests.pipelines.data_generation.conftest import DALLAS, HOUSTON, ts

BEHAVIOUR = {
    "eta": 1.0, "base_attractiveness": 1.0, "occupation_factor_by_grade": [0.1, 0.2, 0.5, 1.0],
    "other_occupation_weight": 0.5, "distance_scale_km": 50.0, "distance_floor": 0.1,
    "level_underqualified_factor": 0.5, "level_overqualified_factor": 0.8, "pay_elasticity": 1.0,
    "pay_factor_range": [0.5, 2.0], "pay_hidden_factor": 0.9, "freshness_half_life_days": 10.0, "noise_sigma": 0.0,
}


def test_match_grade_follows_the_soc_hierarchy():
    seeker = ["29-1141.00", "29-1141.00", "29-1141.00", "29-1141.00", None, "53-3032.00"]
    job = ["29-1141.00", "29-1171.00", "29-2061.00", "53-3032.00", "29-1141.00", None]
    # same code; same minor group 29-1; same major group 29; different major; missing; missing
    assert behaviour.match_grade(seeker, job).tolist() == [3, 2, 1, 0, 0, 0]
    assert behaviour.match_grade([], []).tolist() == []


def test_examination_is_one_over_position_to_the_eta_and_rejects_position_zero():
    assert behaviour.examination_probability(np.array([1, 2, 4]), eta=0.7) == pytest.approx(
        [1.0, 2 ** -0.7, 4 ** -0.7])
    with pytest.raises(ValueError, match="1-based"):
        behaviour.examination_probability(np.array([0, 1]), eta=0.7)


def test_occupation_factor_takes_the_best_occupation_with_others_discounted():
    grades = np.array([[3, 0, 0], [1, 3, 0], [0, 0, 2], [0, 0, 0]])
    got = behaviour.occupation_factor(grades, [0.1, 0.2, 0.5, 1.0], other_weight=0.5)
    # 1.0; max(0.2, 0.5 x 1.0); max(0.1, 0.05, 0.5 x 0.5); 0.1
    assert got.tolist() == pytest.approx([1.0, 0.5, 0.25, 0.1])
    with pytest.raises(ValueError, match="4 values"):
        behaviour.occupation_factor(grades, [0.1, 1.0], 0.5)


def test_distance_factor_decays_from_one_to_the_floor_and_exempts():
    got = behaviour.distance_factor(np.array([0.0, 50.0, 5000.0, 5000.0]), 50.0, 0.1,
                                    exempt=np.array([False, False, False, True]))
    assert got.tolist() == pytest.approx([1.0, 0.1 + 0.9 / math.e, 0.1, 1.0])


def test_level_factor_penalises_each_level_of_gap():
    # seeker mid (1): ads entry, mid, senior, lead
    got = behaviour.level_factor(np.array([1, 1, 1, 1]), np.array([0, 1, 2, 3]), under=0.5, over=0.8)
    assert got.tolist() == pytest.approx([0.8, 1.0, 0.5, 0.25])


def test_pay_factor_rises_with_pay_and_is_clipped_or_hidden():
    shown = np.array([60000.0, 30000.0, 120000.0, 480000.0, np.nan, np.nan])
    actual = np.array([61000.0, 30000.0, 120000.0, 480000.0, 60000.0, 120000.0])
    got = behaviour.pay_factor(shown, actual, np.full(6, 60000.0), elasticity=2.0, value_range=[0.3, 3.0], hidden=0.8)
    # 1; 0.25 -> 0.3; 4 -> 3; 64 -> 3; no pay shown: the actual pay's factor (1, 3 after the clip) x 0.8
    assert got.tolist() == pytest.approx([1.0, 0.3, 3.0, 3.0, 0.8, 2.4])


def test_freshness_halves_every_half_life():
    assert behaviour.freshness_factor(np.array([0.0, 10.0, 30.0, -1.0]), 10.0).tolist() == pytest.approx(
        [1.0, 0.5, 0.125, 1.0])


def test_mean_one_lognormal_has_mean_one():
    draws = behaviour.mean_one_lognormal(0.5, 200_000, np.random.default_rng(0))
    assert draws.mean() == pytest.approx(1.0, abs=0.01)


def test_score_impressions_multiplies_the_factors_by_hand(small_world):
    w = small_world
    impressions = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2", "Q2"], JOB_ID: ["J1", "J2", "J2", "J3"],
                                POSITION: np.array([1, 2, 1, 2], dtype="int32")})
    truth = behaviour.score_impressions(impressions, w["searches"], w["seekers"], w["truth_jobs"], w["jobs"],
                                        BEHAVIOUR, seed=1)
    assert list(truth.columns) == list(TRUTH_IMPRESSIONS_COLUMNS)
    km = haversine_km(HOUSTON[0], HOUSTON[1], DALLAS[0], DALLAS[1])
    assert 350 < km < 380
    age_q1, age_q2_j2, age_q2_j3 = 9 + 8 / 24, 64 + 9 / 24, 4 + 9 / 24  # days from posting to search
    # S2's secondary occupation is J3's: grade 3 at weight 0.5; its primary shares J3's minor group: 0.5.
    assert truth[MATCH_GRADE].tolist() == [3, 0, 3, 3]
    assert truth[OCCUPATION_FACTOR].tolist() == pytest.approx([1.0, 0.1, 1.0, 0.5])
    assert truth[DISTANCE_KM].tolist() == pytest.approx([0.0, km, 0.0, km], abs=1e-6)
    # S2 relocates: exempt from distance.
    assert truth[DISTANCE_FACTOR].tolist() == pytest.approx([1.0, 0.1 + 0.9 * math.exp(-km / 50), 1.0, 1.0])
    # S1 mid: J1 mid, J2 senior (one above); S2 lead: J2 senior (one below), J3 entry (three below).
    assert truth[LEVEL_FACTOR].tolist() == pytest.approx([1.0, 0.5, 0.8, 0.8**3])
    # shown pay 60k and 50k against 60k (S1) and 50k (S2); J3 shows no pay: its 45k midpoint x 0.9.
    assert truth[PAY_FACTOR].tolist() == pytest.approx([1.0, 50 / 60, 1.0, 0.9 * 45 / 50])
    assert truth[FRESHNESS_FACTOR].tolist() == pytest.approx(
        [0.5 ** (age_q1 / 10), 0.5 ** (age_q1 / 10), 0.5 ** (age_q2_j2 / 10), 0.5 ** (age_q2_j3 / 10)])
    assert truth[EMPLOYER_QUALITY].tolist() == [1.0, 2.0, 2.0, 0.5]
    product = truth[[OCCUPATION_FACTOR, DISTANCE_FACTOR, LEVEL_FACTOR, PAY_FACTOR, FRESHNESS_FACTOR,
                     EMPLOYER_QUALITY]].prod(axis=1)
    assert truth[RELEVANCE].tolist() == pytest.approx(product.clip(upper=1.0).tolist())
    assert truth[NOISE].tolist() == [1.0] * 4  # sigma 0
    assert truth[EXAMINATION].tolist() == pytest.approx([1.0, 0.5, 1.0, 0.5])
    assert truth[ATTRACTIVENESS].tolist() == pytest.approx(truth[RELEVANCE].tolist())
    assert truth[CLICK_PROBABILITY].tolist() == pytest.approx((truth[EXAMINATION] * truth[RELEVANCE]).tolist())


def test_relevance_leaves_out_position_and_noise(small_world):
    w = small_world
    impressions = pd.DataFrame({SEARCH_ID: ["Q1", "Q1"], JOB_ID: ["J1", "J2"], POSITION: np.array([1, 2], "int32")})
    noisy = behaviour.score_impressions(impressions, w["searches"], w["seekers"], w["truth_jobs"], w["jobs"],
                                        {**BEHAVIOUR, "noise_sigma": 0.5}, seed=1)
    swapped = behaviour.score_impressions(impressions.assign(**{POSITION: np.array([2, 1], "int32")}), w["searches"],
                                          w["seekers"], w["truth_jobs"], w["jobs"], BEHAVIOUR, seed=2)
    assert noisy[RELEVANCE].tolist() == pytest.approx(swapped[RELEVANCE].tolist())
    assert noisy[ATTRACTIVENESS].tolist() == pytest.approx((noisy[RELEVANCE] * noisy[NOISE]).clip(upper=1).tolist())


def test_score_impressions_names_an_unknown_search_and_a_missing_knob(small_world):
    w = small_world
    impressions = pd.DataFrame({SEARCH_ID: ["Q9"], JOB_ID: ["J1"], POSITION: np.array([1], dtype="int32")})
    with pytest.raises(ValueError, match="impressions.search_id"):
        behaviour.score_impressions(impressions, w["searches"], w["seekers"], w["truth_jobs"], w["jobs"], BEHAVIOUR, 1)
    with pytest.raises(ValueError, match="distance_floor"):
        behaviour.score_impressions(impressions, w["searches"], w["seekers"], w["truth_jobs"], w["jobs"],
                                    {k: v for k, v in BEHAVIOUR.items() if k != "distance_floor"}, 1)


def test_select_truth_jobs_keeps_the_latent_columns(small_world):
    assert list(behaviour.select_truth_jobs(small_world["truth_jobs"]).columns) == list(TRUTH_JOBS_COLUMNS)


def test_examination_curve_lists_every_position():
    curve = behaviour.build_examination_curve(eta=1.0, impressions_per_search=4)
    assert curve[POSITION].tolist() == [1, 2, 3, 4]
    assert curve[POSITION].dtype == "int32"
    assert curve[EXAMINATION].tolist() == pytest.approx([1.0, 0.5, 1 / 3, 0.25])


def test_simulate_clicks_follows_click_probability(small_world):
    truth = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                          POSITION: np.array([1, 2, 1], dtype="int32"), CLICK_PROBABILITY: [1.0, 0.0, 1.0]})
    clicks = behaviour.simulate_clicks(truth, small_world["searches"], seed=5)
    assert list(clicks.columns) == list(RAW_SCHEMAS["clicks"])
    assert clicks[[SEARCH_ID, JOB_ID]].values.tolist() == [["Q1", "J1"], ["Q2", "J3"]]
    assert (clicks["clicked_at"].to_numpy() > small_world["searches"][SEARCHED_AT].to_numpy()).all()


def test_simulate_applications_applies_by_grade_with_the_seekers_resume(small_world):
    w = small_world
    truth = pd.DataFrame({SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                          MATCH_GRADE: np.array([3, 0, 3], dtype="int8")})
    clicks = pd.DataFrame({CLICK_ID: ["C1", "C2", "C3"], SEARCH_ID: ["Q1", "Q1", "Q2"], JOB_ID: ["J1", "J2", "J3"],
                           "clicked_at": [ts("2024-01-10 08:01"), ts("2024-01-10 08:02"), ts("2024-03-05 09:01")]})
    apps = behaviour.simulate_applications(clicks, truth, w["searches"], w["seekers"], w["truth_jobs"], w["jobs"],
                                           [0.0, 0.0, 0.0, 1.0], 0.0, "2024-01-01", 5, seed=7)
    assert list(apps.columns) == list(RAW_SCHEMAS["applications"])
    assert apps[[RESUME_ID, JOB_ID, CLICK_ID]].values.tolist() == [["R1", "J1", "C1"], ["R2", "J3", "C3"]]
    external = behaviour.simulate_applications(clicks.iloc[:1], truth, w["searches"], w["seekers"], w["truth_jobs"],
                                               w["jobs"], [0, 0, 0, 1.0], 0.5, "2024-01-01", 5, 7)
    assert len(external) == 2 and external[CLICK_ID].isna().sum() == 1 and external[APPLICATION_ID].is_unique
