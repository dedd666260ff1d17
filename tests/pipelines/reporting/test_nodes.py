"""Reporting nodes on a hand-made scored frame whose metrics are worked out by hand below.

Two test groups (plus one train row that must be ignored):

- A = (s1, r1): positions 1..4, the click at position 2, true grades 0, 2, 1, 0.
- B = (s2, r2): positions 1..3, the click at position 3, true grades 1, 0, 3.

Rank of the click under each ranker (A, B) and the reciprocal ranks:

- search (-position): 2, 3 -> MRR (1/2 + 1/3) / 2 = 5/12
- ensemble: 1, 1 -> MRR 1
- cosine: 1, 3 -> MRR (1 + 1/3) / 2 = 2/3
- popularity (all tied -> displayed order): 2, 3 -> 5/12
- random: 4, 2 -> (1/4 + 1/2) / 2 = 3/8

Propensity {1: 1, 2: 0.5, 3: 0.25}, clip 10: the click of A (position 2) weighs 2, that of B
(position 3) 4; IPS-MRR = (2 / rank_A + 4 / rank_B) / 6:
search (1 + 4/3) / 6 = 7/18, ensemble 1, cosine (2 + 4/3) / 6 = 5/9, random (1/2 + 2) / 6 = 5/12.
"""

from __future__ import annotations

import math

import matplotlib.figure
import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from job_reco import metrics as M
from job_reco.columns import (
    CLUSTER,
    EXAMINATION,
    JOB_ID,
    LABEL,
    POSITION,
    RELEVANCE,
    RESUME_ID,
    SEARCH_ID,
    SPLIT,
    score_column,
)
from job_reco.pipelines.reporting import charts, nodes, report, summaries
from job_reco.pipelines.reporting.group_metrics import IPS_WEIGHT, N_JOBS
from job_reco.metrics.spark import GROUP_HASH

PROPENSITY = {"1": 1.0, "2": 0.5, "3": 0.25}
KS = [1, 5, 10]
PERCENTILES = list(range(10, 101, 10))
REPS = 1000
# True examination 0.8, 0.4, 0.1 -> propensity 1, 0.5, 0.125 -> click weights 2 (position 2) and 8 (position 3).
CURVE = pd.DataFrame({POSITION: [3, 1, 2], EXAMINATION: [0.1, 0.8, 0.4]})


def _scored() -> pd.DataFrame:
    rows = [
        # search_id, resume_id, job_id, position, label, ensemble, cosine, popularity, random
        ("s1", "r1", "j1", 1, 0, 0.1, 0.5, 0.3, 0.9),
        ("s1", "r1", "j2", 2, 1, 0.9, 0.8, 0.3, 0.1),
        ("s1", "r1", "j3", 3, 0, 0.2, 0.4, 0.3, 0.8),
        ("s1", "r1", "j4", 4, 0, 0.3, 0.1, 0.3, 0.7),
        ("s2", "r2", "j1", 1, 0, 0.2, 0.9, 0.3, 0.9),
        ("s2", "r2", "j5", 2, 0, 0.1, 0.8, 0.3, 0.1),
        ("s2", "r2", "j6", 3, 1, 0.7, 0.2, 0.3, 0.5),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, *(score_column(r) for r in
                                                                  ("ensemble", "cosine", "popularity", "random"))],
    )
    frame[score_column("search")] = -frame[POSITION].astype(float)
    frame[SPLIT] = "test"
    train = frame.iloc[[0]].assign(**{SEARCH_ID: "s0", SPLIT: "train"})
    return pd.concat([train, frame], ignore_index=True)


def _truth() -> pd.DataFrame:
    return pd.DataFrame(
        {
            SEARCH_ID: ["s1"] * 4 + ["s2"] * 3 + ["s0"],
            JOB_ID: ["j1", "j2", "j3", "j4", "j1", "j5", "j6", "j1"],
            RELEVANCE: [0, 0.5, 0.25, 0, 0.25, 0, 0.75, 0.5],
        }
    )


@pytest.fixture(scope="module")
def scored(spark):
    return spark.createDataFrame(_scored())


@pytest.fixture(scope="module")
def test_impressions(scored):
    return nodes.select_test_impressions(scored)


@pytest.fixture(scope="module")
def truth_impressions(spark):
    return spark.createDataFrame(_truth())


def _group_metrics(test_impressions, truth=None, curve=None):
    graded = nodes.attach_relevance(test_impressions, truth)
    return nodes.compute_group_metrics(graded, curve, PROPENSITY, 10, KS, 10, 5, PERCENTILES)


@pytest.fixture(scope="module")
def group_metrics(test_impressions):
    return _group_metrics(test_impressions).cache()


@pytest.fixture(scope="module")
def groups(group_metrics) -> pd.DataFrame:
    return group_metrics.toPandas().sort_values(SEARCH_ID).reset_index(drop=True)


@pytest.fixture(scope="module")
def totals(group_metrics) -> pd.DataFrame:
    return nodes.sum_group_metrics(group_metrics)


@pytest.fixture(scope="module")
def replicates(group_metrics) -> pd.DataFrame:
    return nodes.bootstrap_group_metrics(group_metrics, REPS, 3)


@pytest.fixture(scope="module")
def truth_metrics_run(test_impressions, truth_impressions):
    """Sums and replicates of the truth view with the true curve."""
    graded = _group_metrics(test_impressions, truth_impressions, CURVE).cache()
    return nodes.sum_group_metrics(graded), nodes.bootstrap_group_metrics(graded, REPS, 3)


# --- select_test_impressions ------------------------------------------------------------------------


def test_select_test_impressions_keeps_only_the_test_split(test_impressions):
    assert test_impressions.count() == 7
    assert {r[SEARCH_ID] for r in test_impressions.select(SEARCH_ID).distinct().collect()} == {"s1", "s2"}


def test_select_test_impressions_names_a_missing_column(scored):
    missing = r"scored_impressions is missing columns \['score_cosine'\].*scored_impressions.parquet"
    with pytest.raises(ValueError, match=missing):
        nodes.select_test_impressions(scored.drop(score_column("cosine")))


def test_select_test_impressions_refuses_a_frame_without_test_rows(scored):
    with pytest.raises(ValueError, match=r"no row with split == 'test'.*splits present: \['train'\]"):
        nodes.select_test_impressions(scored.filter(f"{SPLIT} = 'train'"))


# --- per-group metrics on Spark and their sums -------------------------------------------------------


def test_group_metrics_has_one_row_per_group(groups):
    assert groups[[SEARCH_ID, RESUME_ID]].values.tolist() == [["s1", "r1"], ["s2", "r2"]]
    assert groups[N_JOBS].tolist() == [4, 3]
    assert groups[IPS_WEIGHT].tolist() == pytest.approx([2.0, 4.0])
    assert groups["search/mrr"].tolist() == pytest.approx([1 / 2, 1 / 3])
    assert groups["random/mrr"].tolist() == pytest.approx([1 / 4, 1 / 2])
    # search: A's click (weight 2) at rank 2, B's (weight 4) at rank 3.
    assert groups["search/ips_rr"].tolist() == pytest.approx([1.0, 4 / 3])
    assert len(set(groups[GROUP_HASH])) == 2


def test_sums_count_groups_and_skip_undefined_values(totals):
    assert summaries.n_groups(totals) == 2
    assert totals[N_JOBS].iloc[0] == 7
    assert totals["search/mrr"].iloc[0] == pytest.approx(5 / 6)


def test_summarise_ranker_metrics_by_hand(totals):
    summary = summaries.summarise_ranker_metrics(totals, KS, 10)
    assert list(summary) == ["search", "ensemble", "cosine", "popularity", "random"]
    assert list(summary["search"]) == ["mrr", "precision@1", "precision@5", "precision@10", "ndcg@10", "auc", "ips_mrr"]
    expected_mrr = {"search": 5 / 12, "ensemble": 1.0, "cosine": 2 / 3, "popularity": 5 / 12, "random": 3 / 8}
    expected_ips = {"search": 7 / 18, "ensemble": 1.0, "cosine": 5 / 9, "popularity": 7 / 18, "random": 5 / 12}
    for ranker in summary:
        assert summary[ranker]["mrr"] == pytest.approx(expected_mrr[ranker]), ranker
        assert summary[ranker]["ips_mrr"] == pytest.approx(expected_ips[ranker]), ranker
        # Every list is shorter than 5: precision@5 = precision@10 = (1/4 + 1/3) / 2 whatever the order.
        assert summary[ranker]["precision@5"] == pytest.approx(7 / 24)
        assert summary[ranker]["precision@10"] == pytest.approx(7 / 24)
    assert summary["search"]["precision@1"] == 0.0
    assert summary["ensemble"]["precision@1"] == 1.0
    # Search: A's click ranks 2nd of 4 (above 2 of 3 non-clicks), B's 3rd of 3 (above none).
    assert summary["search"]["auc"] == pytest.approx((2 / 3 + 0) / 2)
    assert summary["search"]["ndcg@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(4)) / 2)
    assert summary["ensemble"]["ndcg@10"] == pytest.approx(1.0)


# --- bootstrap and lifts -----------------------------------------------------------------------------


def test_bootstrap_sums_are_the_poisson_weights_times_the_group_values(groups, replicates):
    weights = M.poisson_bootstrap_weights(groups[GROUP_HASH].to_numpy(), np.arange(REPS), 3)
    assert replicates.index.tolist() == list(range(REPS))
    assert replicates["search/mrr"].to_numpy() == pytest.approx(weights[0] / 2 + weights[1] / 3)
    assert replicates["search/mrr#n"].to_numpy() == pytest.approx(weights[0] + weights[1])
    assert replicates[IPS_WEIGHT].to_numpy() == pytest.approx(2 * weights[0] + 4 * weights[1])
    assert "search/precision@5" not in replicates.columns  # only what intervals need


def test_poisson_weights_have_mean_and_variance_one_and_depend_on_the_seed():
    weights = M.poisson_bootstrap_weights(np.arange(4000), np.arange(50), 7)
    assert weights.mean() == pytest.approx(1.0, abs=0.01) and weights.var() == pytest.approx(1.0, abs=0.02)
    assert (weights == M.poisson_bootstrap_weights(np.arange(4000), np.arange(50), 7)).all()
    assert (weights != M.poisson_bootstrap_weights(np.arange(4000), np.arange(50), 8)).any()
    # A group's weights do not depend on the other groups drawn with it (any bucket, any order).
    assert (M.poisson_bootstrap_weights(np.array([17]), np.arange(50), 7)[0] == weights[17]).all()


def test_lift_vs_search_by_hand(totals, replicates):
    lifts = summaries.bootstrap_lifts(totals, replicates, 5)[0]
    assert list(lifts) == ["ensemble", "cosine", "popularity", "random"]
    assert list(lifts["ensemble"]) == ["mrr", "precision@5", "ips_mrr", "mrr_ci95", "ips_mrr_ci95"]
    assert lifts["ensemble"]["mrr"] == pytest.approx((1 - 5 / 12) / (5 / 12))  # 1.4
    assert lifts["ensemble"]["ips_mrr"] == pytest.approx((1 - 7 / 18) / (7 / 18))  # 11/7
    assert lifts["ensemble"]["precision@5"] == pytest.approx(0.0)
    # Two groups weighing w_A, w_B: the lift is (w_A + w_B) / (w_A / 2 + w_B / 3) - 1, 1 when only A is
    # drawn (w_B = 0, probability e^-1 (1 - e^-1) = 0.23) and 2 when only B is: so the 2.5% and 97.5%
    # quantiles are exactly 1 and 2.
    assert lifts["ensemble"]["mrr_ci95"] == pytest.approx([1.0, 2.0])
    # Popularity ties everywhere, so it repeats search: zero lift, zero-width interval.
    assert lifts["popularity"]["mrr"] == 0.0
    assert lifts["popularity"]["ips_mrr_ci95"] == pytest.approx([0.0, 0.0], abs=1e-12)


def test_bootstrap_is_seeded(group_metrics, replicates):
    assert nodes.bootstrap_group_metrics(group_metrics, REPS, 3).equals(replicates)
    assert not nodes.bootstrap_group_metrics(group_metrics, 20, 4).equals(replicates.iloc[:20])


def test_ensemble_comparisons_cover_every_other_ranker(totals, replicates):
    comparisons = summaries.bootstrap_lifts(totals, replicates, 5)[1]
    assert set(comparisons) == {"search", "cosine", "popularity", "random"}
    # Ensemble over cosine: (1 - 2/3) / (2/3) = 0.5.
    assert comparisons["cosine"]["mrr"] == pytest.approx(0.5)


# --- percentiles -------------------------------------------------------------------------------------


def test_percentile_metrics_of_search_by_hand(totals):
    by_percentile = summaries.compute_percentile_metrics(totals, [10, 50, 100])
    search = by_percentile["search"]
    # 10%: the top 1 job of each group, never clicked.
    assert search["10"] == {"precision": 0.0, "mrr": 0.0}
    # 50%: top 2 of A (click at rank 2: precision 1/2, RR 1/2) and top 2 of B (no click).
    assert search["50"]["precision"] == pytest.approx(1 / 4)
    assert search["50"]["mrr"] == pytest.approx(1 / 4)
    assert search["100"]["precision"] == pytest.approx(7 / 24)
    assert search["100"]["mrr"] == pytest.approx(5 / 12)
    assert by_percentile["ensemble"]["10"] == {"precision": 1.0, "mrr": 1.0}


# --- truth view --------------------------------------------------------------------------------------

# Search shows gains 0, 2, 1, 0 (A) and 1, 0, 3 (B), in quarters (nDCG does not change with the scale).
SEARCH_NDCG = ((2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3)) + (1 + 3 / 2) / (3 + 1 / math.log2(3))) / 2
# The ensemble shows A as 2, 0, 1, 0 (j2, j4, j3, j1) and B as 3, 1, 0 (ideal).
ENSEMBLE_NDCG = ((2 + 1 / 2) / (2 + 1 / math.log2(3)) + 1) / 2


def test_truth_metrics_by_hand(test_impressions, truth_impressions):
    no_curve = nodes.sum_group_metrics(_group_metrics(test_impressions, truth_impressions))
    truth = summaries.compute_truth_metrics(no_curve, 10)
    assert truth["oracle"] == pytest.approx({"ndcg@10": 1.0, "mrr": 1.0, "ips_mrr": 1.0})
    assert truth["search"]["ndcg@10"] == pytest.approx(SEARCH_NDCG)
    assert truth["ensemble"]["ndcg@10"] == pytest.approx(ENSEMBLE_NDCG)
    assert set(truth) == {"oracle", "search", "ensemble", "cosine", "popularity", "random"}
    assert "ips_mrr_true_curve" not in truth["search"]


def test_truth_ndcg_skips_groups_without_a_positive_grade(spark, test_impressions):
    no_grade_in_b = spark.createDataFrame(_truth().assign(**{RELEVANCE: [0, 0.5, 0.25, 0, 0, 0, 0, 0]}))
    truth = summaries.compute_truth_metrics(nodes.sum_group_metrics(_group_metrics(test_impressions, no_grade_in_b)), 10)
    assert truth["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert truth["search"]["ndcg@10"] == pytest.approx((2 / math.log2(3) + 1 / 2) / (2 + 1 / math.log2(3)))


def test_truth_ips_mrr_with_the_true_curve_by_hand(truth_metrics_run):
    truth = summaries.compute_truth_metrics(truth_metrics_run[0], 10)
    # search ranks the clicks 2nd (s1) and 3rd (s2); the ensemble ranks both first.
    assert truth["search"]["ips_mrr_true_curve"] == pytest.approx((2 / 2 + 8 / 3) / (2 + 8))
    assert truth["ensemble"]["ips_mrr_true_curve"] == pytest.approx(1.0)


def test_truth_view_is_empty_without_truth(totals):
    assert summaries.compute_truth_metrics(totals, 10) == {}


def test_truth_missing_grades_are_an_error(spark, test_impressions):
    partial = spark.createDataFrame(_truth().iloc[1:])
    with pytest.raises(ValueError, match="no relevance for 1 of 7 test impressions"):
        nodes.sum_group_metrics(_group_metrics(test_impressions, partial))


def test_truth_conflicting_grades_are_an_error(spark, test_impressions):
    conflicting = spark.createDataFrame(pd.concat([_truth(), _truth().iloc[[1]].assign(**{RELEVANCE: 0.9})]))
    with pytest.raises(ValueError, match=r"gives 1 of 7 test impressions more than one relevance for their \(search_id"):
        nodes.sum_group_metrics(_group_metrics(test_impressions, conflicting))


def test_truth_repeated_identical_grades_are_fine(spark, test_impressions):
    repeated = spark.createDataFrame(pd.concat([_truth(), _truth().iloc[[1]]]))
    truth = summaries.compute_truth_metrics(nodes.sum_group_metrics(_group_metrics(test_impressions, repeated)), 10)
    assert truth["search"]["ndcg@10"] == pytest.approx(SEARCH_NDCG)


def test_truth_missing_column_is_named(truth_impressions, test_impressions):
    with pytest.raises(ValueError, match=r"truth_impressions is missing columns \['relevance'\]"):
        nodes.attach_relevance(test_impressions, truth_impressions.drop(RELEVANCE))


def test_examination_curves_put_learned_beside_true_relative_to_position_1():
    true = pd.DataFrame({POSITION: [2, 1, 3, 4], EXAMINATION: [0.4, 0.8, 0.2, 0.1]})
    curves = nodes.compare_examination_curves(PROPENSITY, true)
    assert curves[POSITION].tolist() == [1, 2, 3, 4]
    assert curves["learned"].tolist()[:3] == [1.0, 0.5, 0.25] and math.isnan(curves["learned"].iloc[3])
    assert curves["true"].tolist() == pytest.approx([1.0, 0.5, 0.25, 0.125])


def test_examination_curves_without_truth_have_no_true_values():
    curves = nodes.compare_examination_curves(PROPENSITY, None)
    assert curves["learned"].tolist() == [1.0, 0.5, 0.25]
    assert curves["true"].isna().all()


# --- headline ----------------------------------------------------------------------------------------


def test_headline_gap_closed_and_differences_by_hand(truth_metrics_run):
    headline = summaries.compute_headline(*truth_metrics_run, 10)
    assert headline["truth"] is True and headline["chosen"] == "ensemble" and headline["oracle"] == "oracle"
    assert headline["views"] == ["ndcg@10", "ips_mrr_true_curve", "ips_mrr", "mrr"]
    gap = headline["gap_closed"]
    assert gap["ensemble"]["ndcg@10"] == pytest.approx((ENSEMBLE_NDCG - SEARCH_NDCG) / (1 - SEARCH_NDCG))
    assert gap["search"]["ndcg@10"] == 0.0 and gap["search"]["ndcg@10_ci95"] == [0.0, 0.0]
    # True-curve IPS-MRR: search (1 + 8/3) / 10 = 11/30, ensemble and oracle 1: the whole gap is closed.
    assert gap["ensemble"]["ips_mrr_true_curve"] == pytest.approx(1.0)
    # Naive MRR: search 5/12, cosine 2/3, oracle 1 -> (2/3 - 5/12) / (1 - 5/12) = 3/7.
    assert gap["cosine"]["mrr"] == pytest.approx(3 / 7)
    low, high = gap["cosine"]["mrr_ci95"]
    assert 0 <= low <= 3 / 7 <= high <= 1
    assert headline["values"]["oracle"]["ndcg@10"] == pytest.approx(1.0)
    assert headline["values"]["search"]["ips_mrr_true_curve"] == pytest.approx(11 / 30)
    difference = headline["chosen_minus_baseline"]["search"]
    assert difference["ndcg@10"] == pytest.approx(ENSEMBLE_NDCG - SEARCH_NDCG)
    assert difference["ips_mrr_true_curve"] == pytest.approx(1 - 11 / 30)
    assert set(headline["chosen_minus_baseline"]) == {"search", "cosine", "popularity", "random"}


def test_headline_without_truth_says_so(totals, replicates):
    headline = summaries.compute_headline(totals, replicates, 10)
    assert headline["truth"] is False and headline["gap_closed"] == {}
    assert headline["views"] == ["ips_mrr", "mrr"]
    assert "No truth tables" in headline["note"]
    assert headline["values"]["ensemble"]["ips_mrr"] == pytest.approx(1.0)


# --- clusters ----------------------------------------------------------------------------------------


def test_cluster_metrics_by_hand(spark, group_metrics):
    clusters = spark.createDataFrame(pd.DataFrame({RESUME_ID: ["r1", "r2", "r9"], CLUSTER: [0, 1, 1]}))
    table = nodes.compute_cluster_metrics(group_metrics, clusters).set_index(CLUSTER)
    assert table["n_groups"].tolist() == [1, 1]
    assert table.loc[0, "ensemble_mrr"] == 1.0 and table.loc[0, "search_mrr"] == 0.5
    # Cluster 1 is group B only: search's click at rank 3 weighs 4 -> (4/3) / 4.
    assert table.loc[1, "search_ips_mrr"] == pytest.approx(1 / 3)


def test_cluster_metrics_mark_unclustered_resumes(spark, group_metrics):
    clusters = spark.createDataFrame(pd.DataFrame({RESUME_ID: ["r1"], CLUSTER: [3]}))
    table = nodes.compute_cluster_metrics(group_metrics, clusters)
    assert table[CLUSTER].tolist() == [-1, 3]


def test_cluster_metrics_name_a_missing_column(spark, group_metrics):
    with pytest.raises(ValueError, match=r"resume_clusters is missing columns \['cluster'\]"):
        nodes.compute_cluster_metrics(group_metrics, spark.createDataFrame(pd.DataFrame({RESUME_ID: ["r1"]})))


# --- metrics.json -------------------------------------------------------------------------------------


def _metrics(totals, replicates, truth):
    return summaries.assemble_metrics(
        summaries.compute_headline(totals, replicates, 10),
        totals,
        summaries.summarise_ranker_metrics(totals, KS, 10),
        summaries.bootstrap_lifts(totals, replicates, 5)[0],
        summaries.compute_percentile_metrics(totals, PERCENTILES),
        {3: 0.25, 1: 1.0, 2: 0.5},
        10,
        truth,
    )


def test_metrics_json_has_the_contract_keys(truth_metrics_run):
    result = _metrics(*truth_metrics_run, summaries.compute_truth_metrics(truth_metrics_run[0], 10))
    assert list(result) == ["headline", "n_groups", "rankers", "lift_vs_search", "by_percentile", "propensity",
                            "ips_clip", "truth"]
    assert result["n_groups"] == 2
    assert result["propensity"] == {"1": 1.0, "2": 0.5, "3": 0.25}
    assert result["ips_clip"] == 10
    assert list(result["by_percentile"]["ensemble"]) == [str(p) for p in range(10, 101, 10)]
    assert set(result["by_percentile"]["ensemble"]["30"]) == {"precision", "mrr"}
    assert set(result["truth"]["oracle"]) == {"ndcg@10", "mrr", "ips_mrr", "ips_mrr_true_curve"}


def test_metrics_json_has_no_truth_key_on_real_logs(totals, replicates):
    assert "truth" not in _metrics(totals, replicates, {})


def test_metrics_json_writes_nan_as_null(totals, replicates):
    # Every group has a click and a non-click, so make AUC undefined by hand.
    ranker_metrics = summaries.summarise_ranker_metrics(totals, KS, 10)
    ranker_metrics["search"]["auc"] = float("nan")
    result = summaries.assemble_metrics({}, totals, ranker_metrics, {}, {}, PROPENSITY, 10, {})
    assert result["rankers"]["search"]["auc"] is None


# --- charts ------------------------------------------------------------------------------------------


def test_percentile_charts_return_a_matplotlib_and_a_plotly_figure(totals):
    by_percentile = summaries.compute_percentile_metrics(totals, [10, 50, 100])
    for plot in (charts.plot_precision_by_percentile, charts.plot_mrr_by_percentile):
        png, interactive = plot(by_percentile)
        assert isinstance(png, matplotlib.figure.Figure)
        assert isinstance(interactive, go.Figure)
        assert [trace.name for trace in interactive.data] == list(by_percentile)
    assert list(interactive.data[1].y) == [1.0, 1.0, 1.0]  # ensemble's MRR at 10, 50, 100%


def test_metric_views_chart_has_three_views_with_truth(truth_metrics_run, totals, replicates):
    truth = summaries.compute_truth_metrics(truth_metrics_run[0], 10)
    png, interactive = charts.plot_metric_views(_metrics(*truth_metrics_run, truth))
    assert isinstance(png, matplotlib.figure.Figure)
    assert [trace.name for trace in interactive.data] == ["naive MRR", "IPS MRR (debiased)", "true ndcg@10"]
    _, without_truth = charts.plot_metric_views(_metrics(totals, replicates, {}))
    assert len(without_truth.data) == 2


def test_cluster_chart_returns_figures(spark, group_metrics):
    clusters = spark.createDataFrame(pd.DataFrame({RESUME_ID: ["r1", "r2"], CLUSTER: [0, 1]}))
    table = nodes.compute_cluster_metrics(group_metrics, clusters)
    png, interactive = charts.plot_cluster_mrr(table)
    assert isinstance(png, matplotlib.figure.Figure)
    assert list(interactive.data[0].y) == [1.0, 1.0]  # ensemble MRR in clusters 0 and 1


def test_examination_chart_returns_figures():
    curves = nodes.compare_examination_curves(PROPENSITY, None)
    png, interactive = charts.plot_examination_curves(curves)
    assert isinstance(png, matplotlib.figure.Figure)
    assert [trace.name for trace in interactive.data] == ["learned examination"]


@pytest.mark.parametrize(
    "history",
    [
        {"0": {"loss": [0.7, 0.5], "val_loss": [0.8, 0.6], "auc": [0.6, 0.7]}, "1": {"loss": [0.9, 0.4]}},
        # modeling's shape: summary keys, then per cluster its numbers and a Keras-like history.
        {"clusters_trained": 2, "clusters": {
            "0": {"status": "trained", "epochs_run": 2,
                  "history": {"loss": [0.7, 0.5], "val_loss": [0.8, 0.6], "auc": [0.6, 0.7]}},
            "1": {"status": "trained", "history": {"loss": [0.9, 0.4]}, "rows_train": 10},
            "2": {"status": "skipped", "reason": "too few rows"}}},
        [{"cluster": 0, "epoch": 1, "loss": 0.7, "val_loss": 0.8, "auc": 0.6},
         {"cluster": 0, "epoch": 2, "loss": 0.5, "val_loss": 0.6, "auc": 0.7},
         {"cluster": 1, "epoch": 1, "loss": 0.9}, {"cluster": 1, "epoch": 2, "loss": 0.4}],
    ],
)
def test_history_frame_reads_every_shape(history):
    frame = charts.history_frame(history)
    assert len(frame) == 8
    loss = frame[(frame[CLUSTER] == "1") & (frame[charts.HISTORY_METRIC] == "loss")]
    assert loss[charts.HISTORY_EPOCH].tolist() == [1, 2]
    assert loss[charts.HISTORY_VALUE].tolist() == [0.9, 0.4]


def test_history_frame_reads_null_as_a_gap():
    frame = charts.history_frame({"clusters": {"0": {"history": {"val_auc": [None, 0.7]}}}})
    assert frame[charts.HISTORY_VALUE].isna().tolist() == [True, False]


def test_training_chart_returns_figures_even_without_history():
    png, interactive = charts.plot_training_curves({"0": {"loss": [0.7, 0.5], "val_loss": [0.8, 0.6]}})
    assert isinstance(png, matplotlib.figure.Figure)
    assert [trace.name for trace in interactive.data] == ["cluster 0", "cluster 0 (validation)"]
    png, interactive = charts.plot_training_curves({})
    assert isinstance(png, matplotlib.figure.Figure) and not interactive.data


# --- report ------------------------------------------------------------------------------------------


def test_report_states_the_views_the_table_and_the_verdicts(spark, group_metrics, truth_metrics_run):
    totals, replicates = truth_metrics_run
    clusters = spark.createDataFrame(pd.DataFrame({RESUME_ID: ["r1", "r2"], CLUSTER: [0, 1]}))
    text = report.write_report(
        _metrics(totals, replicates, summaries.compute_truth_metrics(totals, 10)),
        summaries.bootstrap_lifts(totals, replicates, 5)[1],
        nodes.compute_cluster_metrics(group_metrics, clusters),
        nodes.compare_examination_curves(PROPENSITY, None),
        {"clusters": {"0": {"status": "trained", "rows_train": 120, "validation_auc": 0.71}}},
        {"selected": "routed", "reason": "highest IPS-weighted MRR",
         "scores": {"routed": {"ips_mrr": 0.4, "mrr": 0.5}}},
        {"impressions": {"rows_in": 10, "quarantined": 1}},
        {"silhouette": 0.21, "clusters": {"0": {"size": 5, "top_words": ["nurse", "care"]}}},
        {},
    )
    assert text.index("## Headline") < text.index("## In short") < text.index("## Three views")
    assert "| ranker | true ndcg@10 | true-curve IPS-MRR | learned-curve IPS-MRR |" in text  # the gap closed
    assert "| ranker | true ndcg@10 | true-curve IPS-MRR | learned-curve IPS-MRR | naive MRR |" in text  # values
    assert "the oracle beats search by only 0.5833" in text  # naive MRR: oracle 1, search 5/12
    assert "| ensemble | " in text and "100.0% [100.0%, 100.0%]" in text  # true-curve IPS-MRR: the whole gap
    assert "### The chosen model (`ensemble`) minus each baseline" in text
    assert "Naive" in text and "Debiased (IPS)" in text and "Truth" in text
    assert "A real network has it" in text
    assert "| ensemble | 1.000 |" in text
    assert "| oracle (true relevance) |" in text
    assert "vs **search**: naive MRR +140.0% [+100.0%, +100.0%]" not in text  # interval is [1, 2]
    assert "vs **search**: naive MRR +140.0%" in text
    assert "`impressions.quarantined`: 1" in text  # an unknown shape is listed key by key
    assert "`clusters.0.top_words`: nurse, care" in text
    assert "charts/precision_by_percentile.png" in text
    assert "| 0 | trained | 120 | 0.710 |" in text
    assert "Ensemble mode: **routed**" in text
    assert "nan" not in text.lower().replace("nan)", "")


def test_report_on_real_logs_says_the_truth_is_absent(totals, replicates):
    text = "\n".join(report._headline_lines(_metrics(totals, replicates, {})) + report._three_views(False))
    assert "No truth tables in this run (real logs)" in text
    assert "| ranker | learned-curve IPS-MRR | naive MRR |" in text
    assert "Absent in this run" in text


def test_report_tabulates_data_quality_and_cluster_words():
    data_quality = {
        "tables": {"impressions": {"rows_in": 12, "rows_out": 10, "rows_quarantined": 2,
                                   "quarantined": {"null_key": 1, "exact_duplicate": 1, "unknown_job": 0}}},
        "labeled_impressions": {"test": {"groups": 3, "impressions": 30, "positives": 4, "applications": 3}},
        "applications_without_click": 5,
    }
    cluster_report = {"k": 2, "silhouette": 0.25, "sizes": {"0": 7, "1": 3},
                      "characteristic_words": {"0": [{"word": "nurse", "z": 3.0}, {"word": "patient", "z": 2.0}],
                                               "1": [{"word": "driver", "z": 4.0}]}}
    lines = report._data_quality_lines(data_quality) + report._cluster_report_lines(cluster_report)
    text = "\n".join(lines)
    assert "| impressions | 12 | 10 | 2 | null_key 1, exact_duplicate 1 |" in text
    assert "| test | 3 | 30 | 4 | 3 |" in text
    assert "- `applications_without_click`: 5" in text
    assert "k = 2, silhouette 0.250." in text
    assert "| 0 | 7 | nurse, patient |" in text


def test_report_tabulates_the_truth_factor_diagnostic():
    diagnostic = {"truth": True, "ndcg_k": 10, "gap_closed": {"chosen": 0.6},
                  "table": [{"factor": "occupation_factor", "weight_relative_to_occupation": 1.0,
                             "oracle_without_gap_closed": 0.25, "chosen_with_gap_closed": 0.71, "points_added": 0.11},
                            {"factor": "employer_quality", "weight_relative_to_occupation": 0.07,
                             "oracle_without_gap_closed": 0.85, "chosen_with_gap_closed": 0.7, "points_added": 0.1}]}
    text = "\n".join(report._diagnostic_lines(diagnostic))
    assert "## Where the rest of the gap lies" in text and "(the chosen model alone: 60.0%)" in text
    assert "| employer_quality | 0.07 | 85.0% | 70.0% | +10.0 |" in text
    assert report._diagnostic_lines({"truth": False}) == [] and report._diagnostic_lines(None) == []


def test_report_shows_the_scale_table_when_there_is_one():
    text = "\n".join(report._scale_lines({"runs": {}, "table": "| preset | impressions |"}))
    assert "## What more logs buy" in text and "| preset | impressions |" in text
    assert "charts/quality_by_scale.png" in text and report._scale_lines(None) == []
