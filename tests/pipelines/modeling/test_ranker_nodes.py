"""modeling v2 nodes (side tables, job CTR, click model, ranker artifacts, architecture choice) on hand-made data."""

from __future__ import annotations

import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F

from job_reco.columns import CLUSTER, JOB_ID, LABEL, POSITION, RESUME_ID, SEARCH_ID, SUBSET, TRAIN, VALIDATION
from job_reco.pipelines.modeling.ranker_inputs import (
    APPLIED,
    attach_appeal,
    compute_job_appeal_counts,
    compute_recent_job_counts,
    compute_title_pair_appeal_counts,
    mark_training_subsets,
    precompute_side_features,
)
from job_reco.models.ranker_layout import (
    LAYOUT_VERSION,
    build_ranker_artifacts,
    check_ranker_artifacts,
    check_vector_blocks,
    ranker_layout,
    row_inputs,
    side_offset,
)
from job_reco.models.weights import weights_from_bytes
from job_reco.pipelines.modeling.ranker_scoring import select_architecture
from job_reco.pipelines.modeling.side_tables import build_job_side_table, build_resume_side_table, build_search_side_table
from job_reco.pipelines.modeling.ranker_training import (
    _click_model_task,
    _ranker_task,
)
from job_reco.models.ranker import RankerConfig, ranker_scores


def t(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_mark_training_subsets_uses_the_evaluation_groups_cutoff(spark):
    search_rows = spark.createDataFrame(
        [("s1", t("2024-01-01 00:00"), TRAIN), ("s2", t("2024-01-05 00:00"), TRAIN), ("s3", t("2024-01-09 00:00"), TRAIN),
         ("s4", t("2024-02-01 00:00"), "test")],
        "search_id string, searched_at timestamp, split string",
    )
    modeling = spark.createDataFrame(
        [("g1", t("2024-01-02 00:00"), TRAIN), ("g2", t("2024-01-05 00:00"), VALIDATION), ("g3", t("2024-02-02 00:00"), "test")],
        "search_id string, searched_at timestamp, subset string",
    )
    marked = {r[SEARCH_ID]: r[SUBSET] for r in mark_training_subsets(search_rows, modeling).collect()}
    # validation starts at the first validation group's time (5 Jan); the test period is left out
    assert marked == {"s1": TRAIN, "s2": VALIDATION, "s3": VALIDATION}


def test_build_job_side_table_pay_reference_by_title(spark):
    jobs = spark.createDataFrame(
        [("j1", "Senior Nurse", 60000.0, 80000.0), ("j2", "nurse", 40000.0, 60000.0), ("j3", "Junior Nurse", None, 50000.0),
         ("j4", "Truck Driver", 30000.0, 30000.0), ("j5", "Welder", None, None)],
        "job_id string, title string, salary_min double, salary_max double",
    ).withColumn("posted_at", __import__("pyspark.sql.functions", fromlist=["lit"]).lit(t("2024-01-01 00:00")))
    side = {r[JOB_ID]: r for r in build_job_side_table(jobs, min_ads_per_title=2).collect()}
    # nurse midpoints 70k, 50k, 50k -> median 50k; the driver's title has one ad -> all ads' median (50k of 70, 50, 50, 30)
    assert side["j1"]["salary_mid"] == 70000.0 and side["j1"]["pay_reference"] == 50000.0
    assert side["j4"]["pay_reference"] == 50000.0
    assert side["j5"]["salary_mid"] is None
    assert "job_latitude" not in side["j1"].asDict()  # not logged: not made up


def test_build_job_side_table_without_pay_columns(spark):
    jobs = spark.createDataFrame([("j1", "Nurse", t("2024-01-01 00:00"), 51.5, -0.1)],
                                 "job_id string, title string, posted_at timestamp, latitude double, longitude double")
    assert build_job_side_table(jobs, 5).columns == [JOB_ID, "posted_at", "job_title", "job_latitude", "job_longitude"]


def test_build_resume_side_table_reads_years_and_location(spark):
    scrubbed = spark.createDataFrame(
        [("r1", "Nurse 2015 - 2020\nCarer 2020 - present", t("2024-03-01 00:00")), ("r2", "no dates", t("2024-03-01 00:00"))],
        "resume_id string, text string, updated_at timestamp",
    )
    valid = spark.createDataFrame([("r1", 51.5, -0.1), ("r2", None, None)], "resume_id string, latitude double, longitude double")
    side = {r[RESUME_ID]: r for r in build_resume_side_table(valid, scrubbed).collect()}
    assert side["r1"]["years_experience"] == 9.0  # 2015..2023
    assert side["r1"]["resume_latitude"] == 51.5 and side["r2"]["years_experience"] == 0.0
    assert side["r1"]["resume_titles"] == ["Nurse"] and side["r2"]["resume_titles"] == []


def test_search_side_table_flags_a_seeker_from_their_first_query_naming_another_city(spark):
    impressions = spark.createDataFrame(
        [("s1", "r1", t("2024-01-01 00:00"), "j1"), ("s1", "r1", t("2024-01-01 00:00"), "j2"),
         ("s2", "r1", t("2024-01-02 00:00"), "j1"), ("s3", "r1", t("2024-01-03 00:00"), "j1"),
         ("s4", "r2", t("2024-01-01 00:00"), "j1"), ("s5", "r3", t("2024-01-01 00:00"), "j1")],
        "search_id string, resume_id string, searched_at timestamp, job_id string",
    )
    searches = spark.createDataFrame(
        [("s1", "nurse"), ("s2", "nurse san diego"), ("s3", "nurse"), ("s4", "welder Boston"), ("s5", None)],
        "search_id string, query string",
    )
    resumes = spark.createDataFrame([("r1", "Boston, MA"), ("r2", "Boston, MA"), ("r3", None)], "resume_id string, city string")
    jobs = spark.createDataFrame([("j1", "San Diego, CA"), ("j2", "Boston, MA")], "job_id string, city string")
    flags = {r[SEARCH_ID]: r["named_other_city"] for r in build_search_side_table(impressions, searches, resumes, jobs).collect()}
    # r1 names San Diego in s2: flagged from s2 on, not before; r2 names their own city; r3 types no query
    assert flags == {"s1": 0.0, "s2": 1.0, "s3": 1.0, "s4": 0.0, "s5": 0.0}


def test_search_side_table_keeps_each_query_and_the_seekers_titled_queries_so_far(spark):
    impressions = spark.createDataFrame(
        [("s1", "r1", t("2024-01-01 00:00")), ("s2", "r1", t("2024-01-02 00:00")), ("s3", "r1", t("2024-01-03 00:00")),
         ("s4", "r1", t("2024-01-04 00:00")), ("s5", "r2", t("2024-01-01 00:00"))],
        "search_id string, resume_id string, searched_at timestamp",
    )
    searches = spark.createDataFrame(
        [("s1", "nurse"), ("s2", "Senior Truck Driver Boston"), ("s3", "registered nurse"), ("s4", "truck driver"), ("s5", None)],
        "search_id string, query string",
    )
    resumes = spark.createDataFrame([("r1", "Boston, MA"), ("r2", "Boston, MA")], "resume_id string, city string")
    side = {r[SEARCH_ID]: r for r in build_search_side_table(impressions, searches, resumes, resumes).collect()}
    # the city and the level word leave the query's key; one-word queries stay out of the history
    assert [side[s]["query_key"] for s in ("s1", "s2", "s3", "s5")] == ["nurse", "truck driver", "registered nurse", ""]
    assert side["s1"]["query_history"] == [] and side["s2"]["query_history"] == ["truck driver"]
    # never a later search's query; each key once
    assert side["s4"]["query_history"] == ["registered nurse", "truck driver"] and side["s5"]["query_history"] == []


def test_search_side_table_is_off_without_a_query_column(spark):
    impressions = spark.createDataFrame([("s1", "r1", t("2024-01-01 00:00"))], "search_id string, resume_id string, searched_at timestamp")
    searches = spark.createDataFrame([("s1",)], "search_id string")
    resumes = spark.createDataFrame([("r1", "Boston, MA")], "resume_id string, city string")
    assert build_search_side_table(impressions, searches, resumes, resumes).columns == [SEARCH_ID]


def _appeal_rows(spark):
    """Training rows of j1 and j2 with their expected clicks, one evaluation (test) row and one validation row."""
    rows = spark.createDataFrame(
        [("s1", "r1", "j1", 1, 1, "training", TRAIN, "nurse | nurse"), ("s2", "r2", "j1", 2, 0, "training", TRAIN, "cook | nurse"),
         ("s3", "r3", "j1", 2, 1, "training", VALIDATION, "nurse | nurse"), ("s4", "r4", "j2", 1, 0, "training", TRAIN, None),
         ("s5", "r5", "j1", 1, 0, "evaluation", "test", "nurse | nurse"),
         ("s6", "r6", "j1", 1, 0, "evaluation", VALIDATION, "nurse | nurse")],
        "search_id string, resume_id string, job_id string, position int, label int, source string, subset string, title_pair string",
    )
    propensity = {"1": 1.0, "2": 0.5}
    # the click model's P(click | seen) of each training row; expected = propensity(position) x that
    probability = {"s1": 0.8, "s2": 0.4, "s3": 0.6, "s4": 0.5}
    expected = spark.createDataFrame(
        [(r[SEARCH_ID], r[RESUME_ID], r[JOB_ID], r[SUBSET], r[LABEL], propensity[str(r[POSITION])], r["title_pair"],
          propensity[str(r[POSITION])] * probability[r[SEARCH_ID]]) for r in rows.filter("source = 'training'").collect()],
        "search_id string, resume_id string, job_id string, subset string, label int, examination double, title_pair string, "
        "expected_clicks double",
    )
    return rows, expected, propensity


def test_appeal_counts_of_jobs_and_title_pairs_by_hand(spark):
    rows, expected, propensity = _appeal_rows(spark)
    training = rows.filter("source = 'training'")
    jobs = {r[JOB_ID]: r for r in compute_job_appeal_counts(training, expected, propensity, max_position=2).collect()}
    # j1: subset train s1 (click, 1 x 0.8) and s2 (0.5 x 0.4); all adds s3 (click, 0.5 x 0.6)
    assert (jobs["j1"]["clicks_train"], jobs["j1"]["expected_train"]) == (1.0, pytest.approx(1.0))
    assert (jobs["j1"]["clicks_all"], jobs["j1"]["expected_all"]) == (2.0, pytest.approx(1.3))
    assert (jobs["j2"]["clicks_train"], jobs["j2"]["expected_train"]) == (0.0, pytest.approx(0.5))
    pairs = {r["title_pair"]: r for r in compute_title_pair_appeal_counts(expected).collect()}
    assert set(pairs) == {"nurse | nurse", "cook | nurse"}  # s4 names no title pair
    assert (pairs["nurse | nurse"]["clicks_train"], pairs["nurse | nurse"]["expected_train"]) == (1.0, pytest.approx(0.8))
    assert (pairs["nurse | nurse"]["clicks_all"], pairs["nurse | nurse"]["expected_all"]) == (2.0, pytest.approx(1.1))


def test_job_appeal_counts_scale_the_sampled_rows_match_rate_to_every_impression(spark):
    rows, expected, propensity = _appeal_rows(spark)
    # s2 was not sampled into ranker_inputs: j1's match rate comes from s1 alone (0.8 / 1), its examinations from both
    counts = compute_job_appeal_counts(rows.filter("source = 'training'"), expected.filter("search_id != 's2'"), propensity, 2)
    j1 = {r[JOB_ID]: r for r in counts.collect()}["j1"]
    assert j1["clicks_train"] == 1.0 and j1["expected_train"] == pytest.approx(1.5 * 0.8)


def test_recent_job_counts_count_every_strictly_earlier_search(spark):
    search_impressions = spark.createDataFrame(
        [("s1", "j1", 1, 1, t("2024-01-01 00:00")), ("s3", "j1", 2, 1, t("2024-01-05 00:00")),
         ("s7", "j1", 1, 0, t("2024-01-05 00:00")), ("s8", "j2", 1, 1, t("2024-01-06 00:00")),
         ("s5", "j1", 1, 0, t("2024-02-01 00:00")), ("s9", "j1", 1, 1, t("2024-02-02 00:00"))],
        "search_id string, job_id string, position int, label int, searched_at timestamp",
    )
    expected = spark.createDataFrame([("j1", TRAIN, 1.0, 0.8)], "job_id string, subset string, examination double, "
                                     "expected_clicks double")
    recent = {(r[SEARCH_ID], r[JOB_ID]): (r["recent_clicks"], r["recent_expected"]) for r in
              compute_recent_job_counts(search_impressions, expected, {"1": 1.0, "2": 0.5}, 2).collect()}
    # the first search sees nothing; s3 and s7 share a time: each sees s1 (click, examined 1) but not the other
    assert recent[("s1", "j1")] == (0.0, 0.0)
    assert recent[("s3", "j1")] == recent[("s7", "j1")] == (1.0, pytest.approx(1.0 * 0.8))
    # s5 sees s1, s3 (click, examined 0.5) and s7 (examined 1), at j1's match rate 0.8; s9 sees s5 too
    assert recent[("s5", "j1")] == (2.0, pytest.approx(2.5 * 0.8)) and recent[("s9", "j1")] == (2.0, pytest.approx(3.5 * 0.8))
    # j2 has no earlier search (and no sampled row: it would get the average match rate, 0.8 here)
    assert recent[("s8", "j2")] == (0.0, 0.0)


def test_attach_appeal_shows_a_row_only_the_clicks_of_earlier_searches(spark):
    """One ad and one title pair: what each row's appeal may count, and that no later label reaches it."""
    rows = spark.createDataFrame(
        [("s1", "j1", 1, "training", TRAIN, t("2024-01-01 00:00"), "nurse | nurse"),
         ("s2", "j1", 0, "training", TRAIN, t("2024-01-02 00:00"), "nurse | nurse"),
         ("s3", "j1", 1, "training", TRAIN, t("2024-01-02 00:00"), "nurse | nurse"),
         ("s6", "j1", 0, "training", TRAIN, t("2024-01-03 00:00"), None),
         ("s4", "j1", 1, "training", VALIDATION, t("2024-01-05 00:00"), "nurse | nurse"),
         ("s5", "j1", 0, "evaluation", "test", t("2024-02-01 00:00"), "nurse | nurse")],
        "search_id string, job_id string, label int, source string, subset string, searched_at timestamp, title_pair string",
    ).withColumn(RESUME_ID, F.concat(F.lit("r"), F.col(SEARCH_ID)))
    # the job's counts of earlier searches (compute_recent_job_counts, tested above), by hand
    recent = spark.createDataFrame([("s1", "j1", 0.0, 0.0), ("s2", "j1", 1.0, 0.5), ("s5", "j1", 3.0, 2.0)],
                                   "search_id string, job_id string, recent_clicks double, recent_expected double")
    priors = {"job": {"alpha": 2.0, "mu": 1.0}, "title_pair": {"alpha": 1.0, "mu": 0.5}}

    def appeal(frame):
        # each training row: expected 0.5
        expected = frame.filter("source = 'training'").select(SEARCH_ID, RESUME_ID, JOB_ID, SUBSET, LABEL, "title_pair",
                                                              F.lit(0.5).alias("expected_clicks"))
        pairs = compute_title_pair_appeal_counts(expected)
        out = attach_appeal(frame, expected, pairs, recent, priors)
        return {r[SEARCH_ID]: (r["job_appeal"], r["title_pair_appeal"]) for r in out.collect()}

    got = appeal(rows)
    # the job, for every row: its earlier searches' counts, (clicks + 2) / (expected + 2); none known: 1
    assert [got[s][0] for s in ("s1", "s2", "s5", "s3")] == [1.0, pytest.approx(3 / 2.5), pytest.approx(5 / 4), 1.0]
    # the title pair, (clicks + 1) / (0.5 x expected + 1): s1 is the pair's first row; s2 and s3 share a time and
    # see s1 alone (1 click of 0.5), whichever of them was clicked; no pair: 1
    assert got["s1"][1] == 1.0 and got["s2"][1] == got["s3"][1] == pytest.approx(2 / 1.25) and got["s6"][1] == 1.0
    # a validation row: subset train's 2 clicks of 1.5; a test row: the whole training period's 3 of 2.0
    assert got["s4"][1] == pytest.approx(3 / 1.75) and got["s5"][1] == pytest.approx(4 / 2.0)
    # a row's own label, or a later row's, moves nothing of its features; an earlier row's does
    assert appeal(rows.withColumn(LABEL, F.when(F.col(SEARCH_ID).isin("s2", "s3", "s4", "s5"), 1 - F.col(LABEL))
                                  .otherwise(F.col(LABEL))))["s2"] == got["s2"]
    assert appeal(rows.withColumn(LABEL, F.when(F.col(SEARCH_ID) == "s1", 0).otherwise(F.col(LABEL))))["s2"] != got["s2"]


def _correlated_logs(n_searches: int, seed: int):
    """Searches whose order follows relevance (plus noise) and clicks = examination(position) x relevance."""
    rng = np.random.default_rng(seed)
    size, d = 10, 4
    true_curve = 1.0 / np.arange(1, size + 1) ** 0.8
    rows = []
    for s in range(n_searches):
        resume = rng.normal(size=d)
        jobs = rng.normal(size=(size, d))
        utility = jobs @ resume / d
        relevance = 1 / (1 + np.exp(-(2.0 * utility - 1.0)))
        order = np.argsort(-(utility + rng.normal(0, 0.3, size)))  # search puts relevant jobs first
        for position, j in enumerate(order, start=1):
            click = rng.random() < true_curve[position - 1] * relevance[j]
            rows.append((f"s{s:05d}", f"r{s:05d}", f"s{s}j{j}", position, int(click), 0,
                         TRAIN if s < 0.9 * n_searches else VALIDATION, 0, resume.astype(np.float32), jobs[j].astype(np.float32)))
    frame = pd.DataFrame(rows, columns=[SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, APPLIED, SUBSET, CLUSTER,
                                        "resume_vector", "job_vector"])
    return frame, {str(p): float(true_curve[p - 1] / true_curve[0]) for p in range(1, size + 1)}


@pytest.mark.slow  # trains a Keras network
def test_click_model_recovers_a_known_curve_when_position_and_relevance_correlate():
    frame, true_curve = _correlated_logs(3000, seed=5)
    config = {"hidden_units": (16, 8), "learning_rate": 0.01, "examination_learning_rate": 0.05, "batch_size": 512,
              "epochs": 20, "early_stopping_patience": 3, "position_bias": "pal", "max_position": 10,
              "interactions": ()}
    # the relevance is a dot product of the vectors: the model needs their blocks, not only cosine
    result = _click_model_task(frame, side=[], config=config, max_rows=10**6, seed=1,
                               blocks=["resume_vector", "job_vector", "product"])
    curve = json.loads(result["summary"].iloc[0])["curve"]
    errors = {p: abs(curve[p] / true_curve[p] - 1) for p in true_curve if p != "1"}
    # Click-rate ratios confound the two (search's top jobs are also the relevant ones): they
    # are far too steep. The click model separates them: on average within 15% of the truth and
    # at most a third of the ratios' error (the deepest positions have ~150 clicks each here).
    naive = frame.groupby(POSITION)[LABEL].mean()
    naive_errors = [abs(naive[int(p)] / naive[1] / true_curve[p] - 1) for p in errors]
    assert np.mean(naive_errors) > 0.3
    assert np.mean(list(errors.values())) < min(0.15, np.mean(naive_errors) / 3), errors


@pytest.mark.slow  # trains a Keras network
def test_ranker_task_artifacts_describe_themselves_and_round_trip(tmp_path):
    import keras

    frame, curve = _correlated_logs(200, seed=2)
    config = RankerConfig(hidden_units=(8,), epochs=2, cluster_embedding_dim=2).to_dict()
    result = _ranker_task(frame, side=[], config=config, propensity=curve, n_clusters=3, max_rows=10**6, max_position=10, seed=0,
                          blocks=["product", "job_vector", "resume_vector"]).iloc[0]
    layout = json.loads(result["layout"])
    assert layout["vector_dimension"] == 4 and layout["width"] == 12 and layout["side_features"] == []
    assert layout["blocks"] == ["resume_vector", "job_vector", "product"]  # in VECTOR_BLOCKS order
    assert layout["architecture"] == "shared_residual_listwise" and layout["n_clusters"] == 3
    model, saved_layout = build_ranker_artifacts({"weights": weights_from_bytes(result["weights"]), "layout": layout})
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    weights = check_ranker_artifacts(loaded, saved_layout, vector_dimension=4)
    features, cosine, cluster = np.random.default_rng(0).normal(size=(5, 12)).astype(np.float32), np.linspace(-1, 1, 5), np.zeros(5)
    original = ranker_scores(weights_from_bytes(result["weights"]), features, cosine, cluster, 1)
    assert ranker_scores(weights, features, cosine, cluster, 1) == pytest.approx(original, abs=1e-6)


def test_row_inputs_builds_the_layouts_vector_blocks_then_the_side_features():
    resume, job = np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([[3.0, 1.0], [1.0, 0.0]])
    frame = pd.DataFrame({"resume_vector": list(resume), "job_vector": list(job), CLUSTER: [1, None], "remote": [1.0, 0.0]})
    config = RankerConfig(hidden_units=(4,))
    plain = ranker_layout(2, ["remote"], [0.5], [0.5], config, n_clusters=2)
    features, cosine, cluster = row_inputs(frame, plain)
    # no vector block: the side feature alone (standardised), the vectors reach the model through cosine
    assert plain["blocks"] == [] and plain["width"] == 1 and side_offset(plain) == 0
    assert features.tolist() == [[1.0], [-1.0]] and cluster.tolist() == [1, 0]
    assert cosine == pytest.approx([5 / math.sqrt(5 * 10), 0.0])
    product = ranker_layout(2, ["remote"], [0.5], [0.5], config, n_clusters=2, blocks=["product"])
    features, _, _ = row_inputs(frame, product)
    assert product["width"] == 3 and side_offset(product) == 2
    assert features.tolist() == [[3.0, 2.0, 1.0], [0.0, 0.0, -1.0]]


def test_check_vector_blocks_refuses_unknown_or_repeated_blocks():
    assert check_vector_blocks(None) == [] and check_vector_blocks(["product", "resume_vector"]) == ["resume_vector", "product"]
    with pytest.raises(ValueError, match="modeling.vector_blocks must list some of"):
        check_vector_blocks(["title_vector"])
    with pytest.raises(ValueError, match="each at most once"):
        check_vector_blocks(["product", "product"])


def test_check_ranker_artifacts_refuses_what_does_not_fit():
    from job_reco.models.ranker import build_ranker

    model = build_ranker(12, 2, RankerConfig(hidden_units=(4,)), seed=0)
    layout = {"layout_version": LAYOUT_VERSION, "width": 12, "vector_dimension": 4}
    with pytest.raises(ValueError, match="layout_version 1.*retrain"):
        check_ranker_artifacts(model, {**layout, "layout_version": 1})
    with pytest.raises(ValueError, match="takes 12 features but ranker_layout says 15"):
        check_ranker_artifacts(model, {**layout, "width": 15})
    with pytest.raises(ValueError, match="trained on 4-d document vectors, these are 300-d"):
        check_ranker_artifacts(model, layout, vector_dimension=300)


def test_select_architecture_on_validation():
    selection = {"selected": "soft", "scores": {"soft": {"ips_mrr": 0.30}}}

    def candidates(**scores):
        return {"ips_mrr": scores, "standardisation": {"ranker_mean": 0.0}}

    chosen = select_architecture(selection, candidates(ranker=0.31, **{"blend:0.5": 0.33}), "auto")
    assert (chosen["selected"], chosen["blend_weight"]) == ("blend", 0.5)
    assert chosen["standardisation"] == {"ranker_mean": 0.0}
    assert select_architecture(selection, candidates(ranker=0.30), "auto")["selected"] == "per_cluster"  # ties: the original
    assert select_architecture(selection, candidates(ranker=0.9), "per_cluster")["selected"] == "per_cluster"
    forced = select_architecture(selection, candidates(ranker=0.9, **{"blend:0.25": 0.2, "blend:0.75": 0.25}), "blend")
    assert (forced["selected"], forced["blend_weight"]) == ("blend", 0.75)
    with pytest.raises(ValueError, match="modeling.architecture"):
        select_architecture(selection, candidates(ranker=0.3), "deep")
    assert math.isclose(select_architecture(selection, candidates(ranker=None), "auto")["validation_ips_mrr"]["per_cluster"], 0.30)


def test_count_swap_interventions_by_hand(spark):
    from job_reco.pipelines.modeling.propensity_nodes import count_swap_interventions

    rows = spark.createDataFrame(
        [("s1", 1, 1, None), ("s1", 2, 0, None), ("s2", 1, 0, None),
         ("s3", 1, 0, "swap_1_3"), ("s3", 3, 1, "swap_1_3"), ("s4", 3, 0, "swap_1_3")],
        "search_id string, position int, label int, experiment string",
    )
    # one fold: ordinary first ads 2 shown, 1 clicked; first ads shown at 3: 2 shown, 1 clicked
    assert count_swap_interventions(rows, n_folds=1) == {"folds": {"0": {"counts": {"3": [2, 1]}, "baseline": [2, 1]}}}
    assert count_swap_interventions(rows.drop("experiment"), n_folds=1) == {}


def test_select_propensity_keeps_the_estimator_that_predicts_held_out_swaps():
    from job_reco.pipelines.modeling.propensity_nodes import select_propensity

    rng = np.random.default_rng(2)
    folds = {str(f): {"counts": {str(k): [80, int(rng.binomial(80, 0.3 * k**-0.9))] for k in range(2, 11)}, "baseline": [5000, 1500]}
             for f in range(5)}
    steep = {"curve": {str(k): k**-2.0 for k in range(1, 11)}}
    curve, report = select_propensity(steep, {"folds": folds}, max_position=10)
    assert report["selected"] == "swap_power_law" and report["randomized_first_ads"] == 5 * 9 * 80
    assert curve["10"] == pytest.approx(10**-0.9, rel=0.25)
    # without a randomized slice the click model's curve is kept
    curve, report = select_propensity(steep, {}, max_position=10)
    assert report["selected"] == "click_model" and curve["2"] == 0.25


def test_precompute_side_features_replaces_bulky_inputs_by_feature_columns(spark):
    rows = spark.createDataFrame(
        [("s1", "j1", ["Senior Nurse", "Cook"], "Nurse (Remote)", True, 1.0),
         ("s2", "j2", [], "Welder", None, None)],
        "search_id string, job_id string, resume_titles array<string>, job_title string, remote boolean, named_other_city double",
    )
    out = precompute_side_features(rows)
    assert "resume_titles" not in out.columns and "job_title" not in out.columns
    got = {r[SEARCH_ID]: r for r in out.collect()}
    # s1: "nurse" is the current title's one word and the ad has it; "cook" is not in the ad; remote ad
    assert (got["s1"]["current_title_match"], got["s1"]["past_title_match"], got["s1"]["remote"]) == (1.0, 0.0, 1.0)
    assert got["s2"]["remote"] == 0.0  # an unknown remote flag counts as on-site
    assert got["s1"]["named_other_city"] == 1.0 and got["s2"]["named_other_city"] == 0.0  # unknown -> 0
    assert got["s2"]["current_title_match"] == 0.0
    # the key of the title-pair appeal: the current title's key and the ad's; none without a current title
    assert got["s1"]["title_pair"] == "nurse | nurse" and got["s2"]["title_pair"] is None
    assert got["s1"]["current_title_exact"] == 1.0 and got["s1"]["past_title_exact"] == 0.0


def test_sample_searches_keeps_whole_searches_and_only_above_the_cap(spark):
    from job_reco.pipelines.modeling.ranker_inputs import sample_searches

    rows = spark.createDataFrame([(f"s{s}", f"j{j}") for s in range(200) for j in range(5)], "search_id string, job_id string")
    same, total = sample_searches(rows, 1000, seed=1)
    assert total == 1000 and same is rows  # at or under the cap: untouched
    sampled, total = sample_searches(rows, 500, seed=1)
    kept = sampled.groupBy("search_id").count().collect()
    assert total == 1000 and {r["count"] for r in kept} == {5}  # whole searches (5 rows each), never part of one
    assert 60 <= len(kept) <= 140  # about half of the 200 searches (hash share 0.5)
    again, _ = sample_searches(rows, 500, seed=1)
    assert sorted(r["search_id"] for r in again.select("search_id").distinct().collect()) == sorted(r["search_id"] for r in kept)


def test_assemble_ranker_inputs_samples_training_searches_and_keeps_only_scored_evaluation_groups(spark):
    from job_reco.pipelines.modeling.ranker_inputs import TRAINING_SOURCE, assemble_ranker_inputs

    columns = "search_id string, resume_id string, job_id string, position int, label int, applied int, searched_at timestamp, split string, subset string"
    when = t("2024-02-01 00:00")
    training = spark.createDataFrame(
        [(f"s{s}", "r1", f"j{p}", p, int(p == 1), 0, when, TRAIN, TRAIN) for s in range(40) for p in (1, 2)], columns
    )
    evaluation = spark.createDataFrame(
        [("e1", "r1", "j1", 1, 1, 0, when, TRAIN, TRAIN), ("e2", "r1", "j1", 1, 0, 0, when, TRAIN, VALIDATION),
         ("e3", "r1", "j2", 1, 1, 1, when, "test", "test")], columns,
    )
    resumes = spark.createDataFrame([("r1", [1.0, 0.0])], "resume_id string, embedding array<double>")
    jobs = spark.createDataFrame([("j1", [1.0, 0.0]), ("j2", [0.0, 1.0])], "job_id string, embedding array<double>")
    clusters = spark.createDataFrame([("r1", 0)], "resume_id string, cluster int")
    sections = spark.createDataFrame([("r1", [[0.0, 1.0]])], "resume_id string, resume_sections array<array<float>>")

    def assemble(max_rows: int):
        return assemble_ranker_inputs(
            training, evaluation, resumes, jobs, clusters, jobs.select(JOB_ID), resumes.select(RESUME_ID), sections,
            training.select(SEARCH_ID).distinct(), max_training_rows=max_rows, seed=3,
        ).toPandas()

    everything = assemble(80)
    # 80 training rows at the cap: all kept; of the evaluation groups, validation (e2) and test (e3) only
    assert (everything[TRAINING_SOURCE] == "training").sum() == 80
    assert sorted(everything.loc[everything[TRAINING_SOURCE] == "evaluation", SEARCH_ID]) == ["e2", "e3"]
    # the section cosine is computed and the bulky sections dropped: j2 = (0, 1) is the section's direction
    assert "resume_sections" not in everything and everything.set_index(SEARCH_ID).loc["e3", "best_section_cosine"] == pytest.approx(1.0)
    sampled = assemble(40)
    kept = sampled[sampled[TRAINING_SOURCE] == "training"].groupby(SEARCH_ID).size()
    assert set(kept) == {2} and 8 <= len(kept) <= 32  # whole searches, about half of the 40 (hash share 0.5)
    assert sorted(sampled.loc[sampled[TRAINING_SOURCE] == "evaluation", SEARCH_ID]) == ["e2", "e3"]


def test_gbdt_task_runs_xgboost_on_n_jobs_threads_under_sparks_one_thread_limit(monkeypatch):
    import xgboost
    from threadpoolctl import threadpool_info, threadpool_limits

    from job_reco.pipelines.modeling.gbdt import _fit_booster

    seen = []
    train = xgboost.train

    def recording_train(*args, **kwargs):
        seen.extend(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")
        return train(*args, **kwargs)

    monkeypatch.setattr(xgboost, "train", recording_train)
    rng = np.random.default_rng(0)
    features, gain = rng.normal(size=(100, 3)).astype(np.float32), rng.integers(0, 3, 100)
    qid = np.repeat(np.arange(20), 5)  # the last 4 groups validate
    # Spark's Python workers run with OMP_NUM_THREADS=spark.task.cpus (1), which caps xgboost's threads
    with threadpool_limits(limits=1, user_api="openmp"):
        model = _fit_booster(features, gain, qid, 80, {"n_estimators": 2, "max_depth": 2, "n_jobs": 2}, seed=0)
    assert seen and set(seen) == {2}
    assert model.num_boosted_rounds() == 2


def test_gbdt_booster_is_the_one_xgbrankers_fit_gives():
    import xgboost

    from job_reco.pipelines.modeling.gbdt import _fit_booster

    rng = np.random.default_rng(2)
    features, gain = rng.normal(size=(400, 5)).astype(np.float32), rng.integers(0, 3, 400)
    qid = np.repeat(np.arange(40), 10)  # the last 8 groups validate
    settings = {"n_estimators": 30, "max_depth": 3, "learning_rate": 0.3, "tree_method": "hist", "eval_metric": "ndcg@10",
                "early_stopping_rounds": 3, "n_jobs": 1}
    ranker = xgboost.XGBRanker(objective="rank:ndcg", random_state=5, **settings)
    ranker.fit(features[:320], gain[:320], qid=qid[:320], eval_set=[(features[320:], gain[320:])], eval_qid=[qid[320:]],
               verbose=False)
    booster = _fit_booster(features, gain, qid, 320, settings, seed=5)
    assert bytes(booster.save_raw("json")) == bytes(ranker.get_booster().save_raw("json"))
    assert booster.best_iteration == ranker.best_iteration and booster.num_boosted_rounds() < 30  # it stopped early


def test_gbdt_task_puts_training_rows_first_each_part_sorted_by_group_and_job():
    from job_reco.pipelines.modeling.gbdt import _GAIN, _IS_VALIDATION, _fit_booster, _fit_task, gbdt_features

    rng = np.random.default_rng(1)
    n = 24  # 6 (search, resume) groups of 4 jobs; the groups of s2 validate
    ordered = pd.DataFrame({SEARCH_ID: np.repeat(["s1", "s2", "s3"], 8), RESUME_ID: np.tile(np.repeat(["r1", "r2"], 4), 3),
                            JOB_ID: [f"j{i % 4}" for i in range(n)],
                            "resume_vector": list(rng.normal(size=(n, 2))), "job_vector": list(rng.normal(size=(n, 2))),
                            _GAIN: rng.integers(0, 3, n), _IS_VALIDATION: (np.arange(n) >= 8) & (np.arange(n) < 16)})
    layout = {"vector_dimension": 2, "blocks": ["resume_vector", "job_vector", "product"], "side_features": [], "side_mean": [],
              "side_std": []}
    settings = {"n_estimators": 3, "max_depth": 2, "n_jobs": 1}
    shuffled = ordered.sample(frac=1.0, random_state=3).reset_index(drop=True)
    result = _fit_task(shuffled, layout=layout, settings=settings, seed=0)
    by_hand_order = np.r_[0:8, 16:24, 8:16]  # s1's and s3's groups train, then s2's validate
    by_hand = _fit_booster(gbdt_features(ordered, layout)[by_hand_order], ordered[_GAIN].to_numpy()[by_hand_order],
                           np.repeat(np.arange(6), 4), 16, settings, seed=0)
    assert result["booster"].iloc[0] == bytes(by_hand.save_raw("json"))
    assert result["trees"].iloc[0] == 3
    assert result["rows"].iloc[0] == 16 and result["seconds"].iloc[0] > 0  # the training rows and the fit's time


def test_score_expected_clicks_is_examination_times_the_click_models_probability(spark):
    from job_reco.models.ncf import ncf_click_probability
    from job_reco.pipelines.modeling.ranker_training import click_model_inputs, score_expected_clicks

    rows = pd.DataFrame({SEARCH_ID: ["s1", "s1", "s2", "s3"], RESUME_ID: ["r1", "r1", "r2", "r3"], JOB_ID: ["j1", "j2", "j1", "j2"],
                         POSITION: [1, 2, 1, 3], LABEL: [1, 0, 0, 0], APPLIED: [0, 0, 0, 0], SUBSET: [TRAIN, TRAIN, VALIDATION, "test"],
                         "source": ["training", "training", "training", "evaluation"], CLUSTER: [0, 0, 1, 1],
                         "resume_vector": [[1.0, 0.0]] * 4, "job_vector": [[1.0, 0.0], [0.6, 0.8], [1.0, 0.0], [0.0, 1.0]],
                         "remote": [1.0, 0.0, 0.0, 1.0], "title_pair": ["a | a", None, "b | a", "c | b"]})
    layout = {"vector_dimension": 2, "blocks": [], "side_features": ["remote"], "side_mean": [0.5], "side_std": [0.5]}
    rng = np.random.default_rng(0)  # a 2-4-2 NCF on (remote, cosine)
    weights = [rng.normal(size=(2, 4)).astype(np.float32), np.zeros(4, np.float32), rng.normal(size=(4, 2)).astype(np.float32),
               np.zeros(2, np.float32)]
    state = {"weights": weights, "layout": layout, "final_relu": False}
    propensity = {"1": 1.0, "2": 0.5, "3": 0.25}
    out = score_expected_clicks(spark.createDataFrame(rows), state, propensity, 3).toPandas()
    training = rows[rows["source"] == "training"]
    probability = ncf_click_probability(weights, click_model_inputs(training, layout), final_relu=False)
    examination = {"s1j1": 1.0, "s1j2": 0.5, "s2j1": 1.0}  # propensity(position)
    by_hand = dict(zip(training[SEARCH_ID] + training[JOB_ID], probability, strict=True))
    # the training rows only, both subsets; each keeps its keys, label and title pair
    assert sorted(out[SEARCH_ID] + out[JOB_ID]) == ["s1j1", "s1j2", "s2j1"]
    for _, row in out.iterrows():
        key = row[SEARCH_ID] + row[JOB_ID]
        assert row["examination"] == examination[key]
        assert row["expected_clicks"] == pytest.approx(examination[key] * by_hand[key], rel=1e-6)
    assert set(out["title_pair"].dropna()) == {"a | a", "b | a"}


def test_fit_appeal_priors_fits_each_table_on_subset_train(spark):
    rng = np.random.default_rng(3)
    expected = rng.uniform(0.5, 4.0, 3000)
    clicks = rng.poisson(rng.gamma(5.0, 1 / 5.0, expected.size) * expected)
    table = pd.DataFrame({JOB_ID: [f"j{i:04d}" for i in range(expected.size)], "clicks_train": clicks.astype(float),
                          "expected_train": expected, "clicks_all": clicks.astype(float) + 1, "expected_all": expected + 1})
    pairs = spark.createDataFrame(pd.DataFrame({"title_pair": ["a | a", "a | b"], "clicks_train": [0.0, 1.0],
                                                "expected_train": [1.0, 1.0], "clicks_all": [0.0, 1.0], "expected_all": [1.0, 1.0]}))
    from job_reco.pipelines.modeling.ranker_inputs import fit_appeal_priors

    priors = fit_appeal_priors(spark.createDataFrame(table), pairs)
    assert priors["job"]["alpha"] == pytest.approx(5.0, rel=0.35) and priors["job"]["keys"] == 3000
    assert priors["title_pair"]["mu"] == pytest.approx(0.5)  # 1 click where 2 were expected
    # the same counts in another order and partitioning give the same prior to the last bit
    shuffled = spark.createDataFrame(table.sample(frac=1.0, random_state=1)).repartition(7)
    assert fit_appeal_priors(shuffled, pairs) == priors
