"""Ranking metrics on hand-computed examples, and cross-checks against scikit-learn."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import ndcg_score, roc_auc_score

from job_reco import metrics
from job_reco.columns import LABEL, POSITION, RESUME_ID, SEARCH_ID


def _frame(groups: list[tuple[str, list[int], list[float]]]) -> pd.DataFrame:
    """One row per job: (search_id, labels by displayed position 1..n, scores by position)."""
    rows = []
    for search_id, labels, scores in groups:
        for position, (label, score) in enumerate(zip(labels, scores, strict=True), start=1):
            rows.append({SEARCH_ID: search_id, RESUME_ID: "r1", POSITION: position, LABEL: label, "score": score})
    return pd.DataFrame(rows)


# --- ranking and ties ------------------------------------------------------------------------------


def test_ties_are_broken_by_position():
    # All scores equal: the ranking is the displayed order, so the click at position 2 has rank 2.
    frame = _frame([("s1", [0, 1, 0], [0.5, 0.5, 0.5])])
    ranked = metrics.rank_groups(frame, "score")
    assert ranked.position.tolist() == [1, 2, 3]
    assert metrics.mrr(frame, "score") == pytest.approx(0.5)


def test_partial_tie_puts_lower_position_first():
    # Scores by position: 0.2, 0.9, 0.9, 0.1 -> order positions 2, 3, 1, 4; click at position 3 -> rank 2.
    frame = _frame([("s1", [0, 0, 1, 0], [0.2, 0.9, 0.9, 0.1])])
    assert metrics.rank_groups(frame, "score").position.tolist() == [2, 3, 1, 4]
    assert metrics.mrr(frame, "score") == pytest.approx(1 / 2)


def test_rank_does_not_depend_on_row_order():
    frame = _frame([("s1", [0, 1, 0], [0.3, 0.1, 0.2]), ("s2", [1, 0], [0.0, 1.0])])
    shuffled = frame.sample(frac=1.0, random_state=3)
    assert metrics.mrr(shuffled, "score") == pytest.approx(metrics.mrr(frame, "score"))
    # s1: order 1, 3, 2 -> click rank 3; s2: order 2, 1 -> click rank 2.
    assert metrics.mrr(frame, "score") == pytest.approx((1 / 3 + 1 / 2) / 2)


# --- MRR -------------------------------------------------------------------------------------------


def test_mrr_of_a_group_whose_only_click_is_last():
    frame = _frame([("s1", [0, 0, 0, 0, 1], [5, 4, 3, 2, 1])])
    assert metrics.mrr(frame, "score") == pytest.approx(1 / 5)


def test_mrr_uses_the_first_click_only():
    # Clicks at ranks 2 and 3 -> 1/2.
    frame = _frame([("s1", [0, 1, 1], [3, 2, 1])])
    assert metrics.mrr(frame, "score") == pytest.approx(1 / 2)


def test_group_without_click_scores_zero():
    frame = _frame([("s1", [1, 0], [2, 1]), ("s2", [0, 0], [2, 1])])
    ranked = metrics.rank_groups(frame, "score")
    assert metrics.reciprocal_ranks(ranked).tolist() == [1.0, 0.0]
    assert metrics.click_counts(ranked).tolist() == [1, 0]


def test_groups_are_search_and_resume():
    # Same search, two resumes: two groups.
    frame = _frame([("s1", [0, 1], [2, 1])])
    other = frame.assign(**{RESUME_ID: "r2", LABEL: [1, 0]})
    ranked = metrics.rank_groups(pd.concat([frame, other]), "score")
    assert ranked.n_groups == 2
    assert metrics.reciprocal_ranks(ranked).tolist() == [0.5, 1.0]
    assert ranked.keys[RESUME_ID].tolist() == ["r1", "r2"]


# --- precision@k -----------------------------------------------------------------------------------


def test_precision_at_k_by_hand():
    # Ranked labels 1, 0, 1, 0, 0, 0: P@1 = 1, P@3 = 2/3, P@5 = 2/5.
    frame = _frame([("s1", [1, 0, 1, 0, 0, 0], [6, 5, 4, 3, 2, 1])])
    assert metrics.precision_at_k(frame, "score", 1) == pytest.approx(1.0)
    assert metrics.precision_at_k(frame, "score", 3) == pytest.approx(2 / 3)
    assert metrics.precision_at_k(frame, "score", 5) == pytest.approx(2 / 5)


def test_precision_at_k_longer_than_the_list_divides_by_its_length():
    # Three jobs, one click, k = 10: 1 / 3 (not 1 / 10).
    frame = _frame([("s1", [0, 1, 0], [3, 2, 1])])
    assert metrics.precision_at_k(frame, "score", 10) == pytest.approx(1 / 3)


def test_precision_is_a_mean_over_groups():
    # s1: top-2 labels 1, 1 -> 1; s2 (one job, no click in top 1... its only job unclicked) -> 0.
    frame = _frame([("s1", [1, 1, 0], [3, 2, 1]), ("s2", [0], [1])])
    assert metrics.precision_at_k(frame, "score", 2) == pytest.approx((1.0 + 0.0) / 2)


def test_precision_rejects_k_below_one():
    frame = _frame([("s1", [1], [1])])
    with pytest.raises(ValueError, match="k must be a positive integer"):
        metrics.precision_at_k(frame, "score", 0)


# --- percentiles -----------------------------------------------------------------------------------


def test_top_count_at_percentile_uses_integer_arithmetic():
    # In floats 70 * 0.01 * 10 = 7.000000000000001, whose ceil is 8; the integer rule gives 7.
    assert math.ceil(70 * 0.01 * 10) == 8
    assert metrics.top_count_at_percentile(np.array([10]), 70).tolist() == [7]
    assert metrics.top_count_at_percentile(np.array([10]), 30).tolist() == [3]
    assert metrics.top_count_at_percentile(np.array([1, 3, 7, 10, 11]), 10).tolist() == [1, 1, 1, 1, 2]
    assert metrics.top_count_at_percentile(np.array([7]), 100).tolist() == [7]


def test_precision_and_mrr_at_percentile_30_of_ten_jobs():
    # Ten jobs, clicks at ranks 3 and 4. Top 30% = 3 jobs: precision 1/3, first click inside: MRR 1/3.
    labels = [0, 0, 1, 1, 0, 0, 0, 0, 0, 0]
    frame = _frame([("s1", labels, list(range(10, 0, -1)))])
    assert metrics.precision_at_percentile(frame, "score", 30) == pytest.approx(1 / 3)
    assert metrics.mrr_at_percentile(frame, "score", 30) == pytest.approx(1 / 3)
    # Top 20% = 2 jobs: no click there, so both count 0.
    assert metrics.precision_at_percentile(frame, "score", 20) == pytest.approx(0.0)
    assert metrics.mrr_at_percentile(frame, "score", 20) == pytest.approx(0.0)
    # Top 100% = all: precision 2/10 and the plain MRR.
    assert metrics.precision_at_percentile(frame, "score", 100) == pytest.approx(0.2)
    assert metrics.mrr_at_percentile(frame, "score", 100) == pytest.approx(metrics.mrr(frame, "score"))


def test_percentile_must_be_an_integer_between_1_and_100():
    with pytest.raises(ValueError, match="percentile"):
        metrics.top_count_at_percentile(np.array([10]), 0)
    with pytest.raises(ValueError, match="percentile"):
        metrics.top_count_at_percentile(np.array([10]), 30.0)


# --- nDCG ------------------------------------------------------------------------------------------


def test_ndcg_by_hand():
    # Ranked gains 0, 2, 1: DCG = 2/log2(3) + 1/log2(4); ideal 2, 1, 0: 2/log2(2) + 1/log2(3).
    frame = _frame([("s1", [0, 2, 1], [3, 2, 1])])
    dcg = 2 / math.log2(3) + 1 / math.log2(4)
    ideal = 2 / math.log2(2) + 1 / math.log2(3)
    assert metrics.ndcg_at_k(frame, "score", 10) == pytest.approx(dcg / ideal)
    # k = 1: the top job has gain 0.
    assert metrics.ndcg_at_k(frame, "score", 1) == pytest.approx(0.0)


def test_ndcg_with_a_separate_gain_column():
    frame = _frame([("s1", [1, 0], [1, 2])]).assign(grade=[0.0, 3.0])
    # By grade the score's order (position 2 first) is ideal.
    assert metrics.ndcg_at_k(frame, "score", 10, gain_col="grade") == pytest.approx(1.0)
    assert metrics.ndcg_at_k(frame, "grade", 10, gain_col="grade") == pytest.approx(1.0)


def test_ndcg_rejects_negative_gains():
    frame = _frame([("s1", [1, 0], [1, 2])]).assign(grade=[-1.0, 3.0])
    with pytest.raises(ValueError, match="non-negative"):
        metrics.ndcg_at_k(frame, "score", 10, gain_col="grade")


# --- AUC -------------------------------------------------------------------------------------------


def test_auc_by_hand():
    # Ranked labels 0, 1, 0, 1: pairs (click above non-click): click@2 beats 1 of 2, click@4 beats 0 -> 1/4.
    frame = _frame([("s1", [0, 1, 0, 1], [4, 3, 2, 1])])
    assert metrics.auc(frame, "score") == pytest.approx(1 / 4)


def test_auc_skips_groups_with_one_class():
    frame = _frame([("s1", [1, 0], [2, 1]), ("s2", [1, 1], [2, 1]), ("s3", [0, 0], [2, 1])])
    per_group = metrics.auc_per_group(metrics.rank_groups(frame, "score"))
    assert per_group[0] == pytest.approx(1.0)
    assert np.isnan(per_group[1]) and np.isnan(per_group[2])
    assert metrics.auc(frame, "score") == pytest.approx(1.0)


def test_auc_of_tied_scores_follows_position():
    # All tied: order = positions; the click at position 1 is above both non-clicks.
    frame = _frame([("s1", [1, 0, 0], [0.0, 0.0, 0.0])])
    assert metrics.auc(frame, "score") == pytest.approx(1.0)


# --- IPS -------------------------------------------------------------------------------------------


def test_ips_weights_by_hand_with_clipping():
    propensity = {"1": 1.0, "2": 0.5, "3": 0.25, "4": 0.05}
    # 1/1 = 1, 1/0.5 = 2, 1/0.25 = 4, 1/0.05 = 20 -> clipped to 10; position 7 takes position 4's value.
    weights = metrics.ips_weights(np.array([1, 2, 3, 4, 7]), propensity, clip=10.0)
    assert weights.tolist() == pytest.approx([1.0, 2.0, 4.0, 10.0, 10.0])


def test_propensity_missing_positions_take_the_last_known_one_before():
    propensity = {1: 1.0, 3: 0.5}
    assert metrics.propensity_of_positions(np.array([1, 2, 3, 9]), propensity).tolist() == [1.0, 1.0, 0.5, 0.5]
    # A position before the first known one takes the first known value.
    assert metrics.propensity_of_positions(np.array([1]), {2: 0.8}).tolist() == [0.8]


def test_zero_propensity_gives_the_clip():
    assert metrics.ips_weights(np.array([2]), {1: 1.0, 2: 0.0}, clip=7.0).tolist() == [7.0]


def test_ips_mrr_by_hand():
    propensity = {"1": 1.0, "2": 0.5, "3": 0.25, "4": 0.05}
    # Group s1: scores put position 4 first, then 3, 2, 1; clicks at positions 1 and 4.
    #   click at position 4: rank 1, weight min(20, 10) = 10; click at position 1: rank 4, weight 1.
    # Group s2: scores tied -> displayed order; click at position 2: rank 2, weight 2.
    frame = _frame([("s1", [1, 0, 0, 1], [1, 2, 3, 4]), ("s2", [0, 1], [0, 0])])
    expected = (10 / 1 + 1 / 4 + 2 / 2) / (10 + 1 + 2)
    assert metrics.ips_mrr(frame, "score", propensity, clip=10.0) == pytest.approx(expected)
    # A looser clip: position 4 weighs 20.
    expected_20 = (20 / 1 + 1 / 4 + 2 / 2) / (20 + 1 + 2)
    assert metrics.ips_mrr(frame, "score", propensity, clip=100.0) == pytest.approx(expected_20)


def test_ips_mrr_with_flat_propensity_is_the_click_weighted_mrr():
    # Propensity 1 everywhere: each click counts 1 -> mean of 1/rank over all clicks.
    frame = _frame([("s1", [1, 0, 1], [3, 2, 1])])
    assert metrics.ips_mrr(frame, "score", {1: 1.0}) == pytest.approx((1 + 1 / 3) / 2)


def test_ips_per_group_sums_add_up_to_ips_mrr():
    frame = _frame([("s1", [1, 0, 0, 1], [1, 2, 3, 4]), ("s2", [0, 1], [0, 0])])
    propensity = {1: 1.0, 2: 0.5, 3: 0.25, 4: 0.05}
    numerator, denominator = metrics.ips_reciprocal_rank_sums(metrics.rank_groups(frame, "score"), propensity)
    assert numerator.tolist() == pytest.approx([10 + 1 / 4, 1.0])
    assert denominator.tolist() == pytest.approx([11.0, 2.0])
    assert numerator.sum() / denominator.sum() == pytest.approx(metrics.ips_mrr(frame, "score", propensity))


def test_ips_rejects_bad_propensity_and_clip():
    with pytest.raises(ValueError, match="propensity is empty"):
        metrics.ips_weights(np.array([1]), {})
    with pytest.raises(ValueError, match=">= 0"):
        metrics.ips_weights(np.array([1]), {1: -0.5})
    with pytest.raises(ValueError, match="clip must be positive"):
        metrics.ips_weights(np.array([1]), {1: 1.0}, clip=0)


# --- errors ----------------------------------------------------------------------------------------


def test_missing_column_is_named():
    frame = _frame([("s1", [1], [1])]).drop(columns=[POSITION])
    with pytest.raises(ValueError, match="position"):
        metrics.mrr(frame, "score")
    with pytest.raises(ValueError, match="score_ensemble"):
        metrics.mrr(_frame([("s1", [1], [1])]), "score_ensemble")


def test_nan_scores_are_refused_with_the_column_name():
    frame = _frame([("s1", [1, 0], [np.nan, 1.0])])
    with pytest.raises(ValueError, match="'score'.*1 NaN"):
        metrics.mrr(frame, "score")


# --- bootstrap -------------------------------------------------------------------------------------


def test_bootstrap_interval_is_seeded_and_contains_the_lift():
    rng = np.random.default_rng(0)
    baseline = rng.uniform(0.2, 0.6, 500)
    ranker = baseline * 1.1 + rng.normal(0, 0.05, 500)
    low, high = metrics.bootstrap_relative_lift(ranker, baseline, reps=300, seed=7)
    assert (low, high) == metrics.bootstrap_relative_lift(ranker, baseline, reps=300, seed=7)
    lift = metrics.relative_lift(ranker.mean(), baseline.mean())
    assert low < lift < high
    assert low == pytest.approx(0.1, abs=0.03) and high == pytest.approx(0.1, abs=0.03)


def test_bootstrap_of_identical_rankers_is_zero():
    values = np.array([1.0, 0.5, 0.25])
    assert metrics.bootstrap_relative_lift(values, values, reps=50, seed=1) == (0.0, 0.0)


def test_bootstrap_of_a_constant_ratio_is_that_ratio():
    # Ranker doubles every group: every replicate's lift is exactly 1.
    baseline = np.array([0.5, 0.25, 0.1, 1.0])
    low, high = metrics.bootstrap_relative_lift(2 * baseline, baseline, reps=50, seed=1)
    assert (low, high) == pytest.approx((1.0, 1.0))


def test_relative_lift_by_hand():
    assert metrics.relative_lift(0.6, 0.5) == pytest.approx(0.2)
    assert math.isnan(metrics.relative_lift(0.6, 0.0))


# --- cross-checks against scikit-learn on random rankings ------------------------------------------


def _random_groups(seed: int, n_groups: int, n_jobs: int, graded: bool) -> pd.DataFrame:
    """Fixed-length groups with continuous (tie-free) scores and at least one relevant job each."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4 if graded else 2, (n_groups, n_jobs))
    labels[np.arange(n_groups), rng.integers(0, n_jobs, n_groups)] = rng.integers(1, 4 if graded else 2, n_groups)
    scores = rng.normal(size=(n_groups, n_jobs))
    return pd.DataFrame(
        {
            SEARCH_ID: np.repeat([f"s{i:04d}" for i in range(n_groups)], n_jobs),
            RESUME_ID: "r1",
            POSITION: np.tile(np.arange(1, n_jobs + 1), n_groups),
            LABEL: labels.ravel(),
            "score": scores.ravel(),
        }
    )


@pytest.mark.parametrize("k", [1, 5, 10, 20])
def test_ndcg_matches_sklearn(k):
    frame = _random_groups(seed=k, n_groups=200, n_jobs=15, graded=True)
    labels = frame[LABEL].to_numpy().reshape(200, 15)
    scores = frame["score"].to_numpy().reshape(200, 15)
    assert metrics.ndcg_at_k(frame, "score", k) == pytest.approx(ndcg_score(labels, scores, k=k))


def test_auc_matches_sklearn_per_group():
    frame = _random_groups(seed=11, n_groups=100, n_jobs=12, graded=False)
    labels = frame[LABEL].to_numpy().reshape(100, 12)
    scores = frame["score"].to_numpy().reshape(100, 12)
    expected = [roc_auc_score(y, s) for y, s in zip(labels, scores, strict=True) if 0 < y.sum() < len(y)]
    assert metrics.auc(frame, "score") == pytest.approx(np.mean(expected))


def test_mrr_and_precision_match_a_direct_computation():
    frame = _random_groups(seed=5, n_groups=150, n_jobs=9, graded=False)
    labels = frame[LABEL].to_numpy().reshape(150, 9)
    scores = frame["score"].to_numpy().reshape(150, 9)
    ranked_labels = np.take_along_axis(labels, np.argsort(-scores, axis=1), axis=1)
    expected_mrr = np.mean([1 / (np.flatnonzero(row)[0] + 1) for row in ranked_labels])
    assert metrics.mrr(frame, "score") == pytest.approx(expected_mrr)
    assert metrics.precision_at_k(frame, "score", 5) == pytest.approx(ranked_labels[:, :5].mean())
    # Percentile 50 of 9 jobs: m = ceil(4.5) = 5.
    assert metrics.precision_at_percentile(frame, "score", 50) == pytest.approx(ranked_labels[:, :5].mean())


def test_groups_of_different_lengths_match_per_group_sklearn():
    rng = np.random.default_rng(2)
    frames, expected_ndcg = [], []
    for group in range(60):
        n_jobs = int(rng.integers(2, 25))
        grades = rng.integers(0, 3, n_jobs)
        grades[rng.integers(0, n_jobs)] = 2
        scores = rng.normal(size=n_jobs)
        expected_ndcg.append(ndcg_score([grades], [scores], k=10))
        frames.append(
            pd.DataFrame(
                {SEARCH_ID: f"s{group:03d}", RESUME_ID: "r1", POSITION: np.arange(1, n_jobs + 1),
                 LABEL: grades, "score": scores}
            )
        )
    frame = pd.concat(frames, ignore_index=True).sample(frac=1.0, random_state=0)
    assert metrics.ndcg_at_k(frame, "score", 10) == pytest.approx(np.mean(expected_ndcg))


def test_precomputed_group_codes_give_the_same_ranking():
    frame = _random_groups(seed=3, n_groups=30, n_jobs=6, graded=False).sample(frac=1.0, random_state=1)
    codes = metrics.group_codes(frame)
    with_codes = metrics.rank_groups(frame, "score", codes=codes)
    without = metrics.rank_groups(frame, "score")
    assert (with_codes.order == without.order).all() and (with_codes.rank == without.rank).all()
    with pytest.raises(ValueError, match="codes has 2 entries"):
        metrics.rank_groups(frame, "score", codes=codes[:2])
