"""The truth-factor diagnostic (reporting/diagnostic.py) on hand-made groups whose answers are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from job_reco import metrics
from job_reco.columns import FACTOR_COLUMNS, JOB_ID, LABEL, POSITION, RELEVANCE, RESUME_ID, SEARCH_ID, score_column
from job_reco.pipelines.reporting.diagnostic import diagnose_truth_factors


def _frames(spark, score_of_logs):
    rng = np.random.default_rng(7)
    n_groups, size = 40, 5
    rows = n_groups * size
    factors = {f: np.exp(rng.normal(0, 0.5, rows)) for f in FACTOR_COLUMNS}
    logs = {f: np.log(v) for f, v in factors.items()}
    relevance = np.minimum(0.05 * np.prod(list(factors.values()), axis=0), 1.0)
    frame = pd.DataFrame({SEARCH_ID: np.repeat([f"s{g:02d}" for g in range(n_groups)], size),
                          RESUME_ID: np.repeat([f"r{g:02d}" for g in range(n_groups)], size),
                          JOB_ID: [f"j{i}" for i in range(rows)], POSITION: np.tile(np.arange(1, size + 1), n_groups),
                          LABEL: 0, score_column("ensemble"): score_of_logs(logs)})
    truth = pd.DataFrame({SEARCH_ID: frame[SEARCH_ID], JOB_ID: frame[JOB_ID], RELEVANCE: relevance, **factors})
    return frame, truth, logs


def _ndcg(frame: pd.DataFrame, score: np.ndarray, relevance: np.ndarray) -> float:
    scored = frame[[SEARCH_ID, RESUME_ID, POSITION, LABEL]].assign(_s=score)
    ranked = metrics.rank_groups(scored, "_s")
    return float(metrics.ndcg_at_k_per_group(ranked, relevance[ranked.order], 3).mean())


def test_diagnostic_reads_a_scores_weights_and_the_oracles_without_each_factor(spark):
    frame, truth, logs = _frames(spark, lambda logs: 2 * logs["occupation_factor"] + logs["distance_factor"])
    got = diagnose_truth_factors(spark.createDataFrame(frame), spark.createDataFrame(truth), 3)
    weights = got["weights"]["ensemble"]
    # the score is exactly 2 x log occupation + 1 x log distance: the within-group fit finds it
    assert weights["occupation_factor"] == pytest.approx(2.0) and weights["distance_factor"] == pytest.approx(1.0)
    assert weights["employer_quality"] == pytest.approx(0.0, abs=1e-9) and got["r2"]["ensemble"] == pytest.approx(1.0)
    assert got["weights_relative_to_occupation"]["ensemble"]["distance_factor"] == pytest.approx(0.5)
    relevance = truth[RELEVANCE].to_numpy()
    search, oracle = _ndcg(frame, -frame[POSITION].to_numpy(float), relevance), 1.0
    assert got["ndcg@3"]["oracle"] == pytest.approx(oracle) and got["ndcg@3"]["search"] == pytest.approx(search)
    total = sum(logs.values())
    for f in FACTOR_COLUMNS:  # the oracle without f ranks by the other factors' product
        assert got["ndcg@3"][f"without:{f}"] == pytest.approx(_ndcg(frame, total - logs[f], relevance))
    row = {r["factor"]: r for r in got["table"]}["employer_quality"]
    assert row["oracle_without_gap_closed"] == pytest.approx((got["ndcg@3"]["without:employer_quality"] - search) / (1 - search))
    # the chosen score plus a perfect factor it ignored ranks better than the score alone, at the best weight tried
    # (in units of its weight on log occupation, 2): the truth's weight, 1 x log quality, is m = 0.5
    multiple = round(row["chosen_with_weight"] / got["with_unit"], 6)
    assert got["with_unit"] == pytest.approx(2.0) and row["points_added"] > 0.05 and multiple in (0.25, 0.5, 1.0)
    assert row["chosen_with_gap_closed"] == pytest.approx(got["gap_closed"][f"with:employer_quality:{multiple}"])
    # a weight of 0 is among those tried: a factor never lowers the chosen model's share
    assert all(r["points_added"] >= 0 for r in got["table"])


def test_diagnostic_of_the_truth_itself_weighs_every_factor_alike(spark):
    frame, truth, _ = _frames(spark, lambda logs: sum(logs.values()))
    got = diagnose_truth_factors(spark.createDataFrame(frame), spark.createDataFrame(truth), 3)
    assert all(w == pytest.approx(1.0) for w in got["weights_relative_to_occupation"]["ensemble"].values())
    assert got["gap_closed"]["chosen"] == pytest.approx(1.0)


def test_diagnostic_on_real_logs_says_there_is_no_truth(spark):
    frame, _, _ = _frames(spark, lambda logs: logs["occupation_factor"])
    assert diagnose_truth_factors(spark.createDataFrame(frame), None, 3) == {"truth": False}
