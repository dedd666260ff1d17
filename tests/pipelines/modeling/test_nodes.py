"""modeling: the NCF and its PAL training, the ensemble arithmetic, the baselines and the Spark nodes.

Small hand-made inputs whose answers are worked out by hand; TensorFlow trainings are tiny.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from pyspark.sql import functions as F
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.columns import (
    CLUSTER,
    CTR_SMOOTHED,
    JOB_CLICKS,
    JOB_ID,
    JOB_IMPRESSIONS,
    JOB_VECTOR,
    JOB_VECTOR_MISSING,
    LABEL,
    POSITION,
    RESUME_ID,
    RESUME_VECTOR,
    SCORED_IMPRESSIONS_COLUMNS,
    V1_SCORED_IMPRESSIONS_COLUMNS,
    SEARCH_ID,
    SUBSET,
    TEST,
    TRAIN,
    VALIDATION,
    score_column,
)
from job_reco.models.ncf import (
    NCFConfig,
    binary_cross_entropy,
    build_ncf,
    feature_width,
    model_features,
    model_input_layout,
    ncf_click_probability,
    ncf_weights,
    roc_auc,
)
from job_reco.datasets.spark_cache import SparkCacheDataset
from job_reco.models.weights import weight_list_from_bytes, weight_list_to_bytes
from job_reco.models.ncf_training import train_ncf
from job_reco.pipelines.modeling import create_pipeline, nodes, training
from job_reco.models.ensemble import (
    average_scores,
    routed_scores,
    soft_scores,
    soft_weights,
)

LABELED_SCHEMA = (
    "search_id string, resume_id string, job_id string, position int, label int, applied int, "
    "searched_at timestamp, split string"
)
T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)


# ---------------------------------------------------------------- the network


def test_build_ncf_layer_sizes():
    model = build_ncf(100, seed=1)
    kernels = [w.shape for w in model.get_weights()[0::2]]
    assert kernels == [(100, 40), (40, 20), (20, 10), (10, 2)]
    probabilities = model.predict(np.zeros((3, 100), np.float32), verbose=0)
    assert probabilities.shape == (3, 2)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_build_ncf_initialises_weights_and_biases_from_n_0_01():
    model = build_ncf(2000, seed=3)
    kernel, bias = model.get_weights()[:2]  # 80,000 draws and 40
    assert kernel.std() == pytest.approx(0.1, abs=0.002)
    assert abs(kernel.mean()) < 0.002
    assert np.all(bias != 0) and bias.std() == pytest.approx(0.1, abs=0.05)
    # Every tensor has its own draw.
    second = model.get_weights()[2]
    assert not np.allclose(second[:20, :20], kernel[:20, :20])


def test_build_ncf_same_seed_same_network():
    first, second = build_ncf(10, seed=5).get_weights(), build_ncf(10, seed=5).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    assert not np.array_equal(first[0], build_ncf(10, seed=6).get_weights()[0])


def test_final_relu_clips_negative_logits_to_a_coin_flip():
    clipped, plain = build_ncf(4, seed=0, final_relu=True), build_ncf(4, seed=0, final_relu=False)
    weights = plain.get_weights()
    weights[-1] = np.array([-5.0, -1.0], np.float32)  # both logit biases negative
    weights[-2] = np.zeros_like(weights[-2])
    for model in (clipped, plain):
        model.set_weights(weights)
    x = np.ones((2, 4), np.float32)
    np.testing.assert_allclose(clipped.predict(x, verbose=0)[:, 1], 0.5, atol=1e-6)
    assert plain.predict(x, verbose=0)[0, 1] == pytest.approx(1 / (1 + math.exp(-4.0)), rel=1e-5)
    assert ncf_weights(clipped)[1] is True and ncf_weights(plain)[1] is False


@pytest.mark.parametrize("final_relu", [False, True])
def test_numpy_forward_equals_keras_predict(final_relu):
    model = build_ncf(12, seed=2, final_relu=final_relu, init_std=0.5)
    x = np.random.default_rng(0).normal(size=(64, 12)).astype(np.float32)
    expected = model.predict(x, verbose=0)[:, 1]
    actual = ncf_click_probability(model.get_weights(), x, final_relu=final_relu)
    np.testing.assert_allclose(actual, expected, atol=1e-6)


def test_numpy_forward_rejects_the_wrong_width():
    with pytest.raises(ValueError, match=r"\(n, 12\)"):
        ncf_click_probability(build_ncf(12).get_weights(), np.zeros((2, 5)), final_relu=False)


def test_weights_survive_bytes():
    weights = build_ncf(7, seed=1).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(weights, weight_list_from_bytes(weight_list_to_bytes(weights)), strict=True))


def test_roc_auc_by_hand():
    # Pairs (click, non-click): (0.9, 0.1) right, (0.9, 0.5) right, (0.4, 0.1) right, (0.4, 0.5) wrong.
    assert roc_auc(np.array([1, 0, 1, 0]), np.array([0.9, 0.1, 0.4, 0.5])) == pytest.approx(0.75)
    assert roc_auc(np.array([1, 0]), np.array([0.3, 0.3])) == pytest.approx(0.5)
    assert math.isnan(roc_auc(np.array([1, 1]), np.array([0.1, 0.2])))


# ---------------------------------------------------------------- interaction features


def test_model_features_by_hand():
    # r = (3, 4), j = (1, 0): product (3, 0), cosine = (3*1 + 4*0) / (5 * 1) = 0.6.
    # r = (0, 0), j = (1, 2): product (0, 0), cosine 0 (a zero vector has no direction).
    # r = (1, 1), j = (-2, -2): product (-2, -2), cosine = -4 / (sqrt 2 * sqrt 8) = -1.
    resume = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, 1.0]])
    job = np.array([[1.0, 0.0], [1.0, 2.0], [-2.0, -2.0]])
    plain = [[3, 4, 1, 0], [0, 0, 1, 2], [1, 1, -2, -2]]
    np.testing.assert_allclose(model_features(resume, job, []), plain)
    np.testing.assert_allclose(
        model_features(resume, job, ["product"]), [[3, 4, 1, 0, 3, 0], [0, 0, 1, 2, 0, 0], [1, 1, -2, -2, -2, -2]]
    )
    both = model_features(resume, job, ["product", "cosine"])
    assert both.dtype == np.float32
    np.testing.assert_allclose(
        both, [[3, 4, 1, 0, 3, 0, 0.6], [0, 0, 1, 2, 0, 0, 0], [1, 1, -2, -2, -2, -2, -1]], atol=1e-6
    )
    # The appended blocks follow the listed order.
    np.testing.assert_allclose(model_features(resume, job, ["cosine", "product"])[:, 4], [0.6, 0, -1], atol=1e-6)
    # extra columns (the ranker's side features) come last, in the same float32 matrix
    extra = np.array([[7.0], [8.0], [9.0]])
    assert model_features(resume, job, ["product"], extra=extra).tolist() == [
        [3, 4, 1, 0, 3, 0, 7], [0, 0, 1, 2, 0, 0, 8], [1, 1, -2, -2, -2, -2, 9]]


def test_feature_width_follows_the_interactions():
    assert feature_width(50, []) == 100  # the original design: resume ++ job
    assert feature_width(50, None) == 100
    assert feature_width(50, ["product"]) == 150
    assert feature_width(50, ["product", "cosine"]) == 151
    assert model_features(np.ones((3, 50)), np.ones((3, 50)), []).shape == (3, 100)
    layout = model_input_layout(2, ["product", "cosine"])
    assert layout["width"] == 7
    assert [(b["block"], b["start"], b["end"]) for b in layout["columns"]] == [
        ("resume", 0, 2), ("job", 2, 4), ("product", 4, 6), ("cosine", 6, 7)
    ]


def test_interactions_reject_unknown_repeated_and_string():
    with pytest.raises(ValueError, match="interactions"):
        NCFConfig(interactions=("dot",))
    with pytest.raises(ValueError, match="interactions"):
        feature_width(4, ["product", "product"])
    with pytest.raises(ValueError, match="must be a list"):
        NCFConfig.from_params({"interactions": "product"}, {}, position_bias="pal", max_position=10)
    assert NCFConfig.from_params({"interactions": ["product"]}, {}, position_bias="pal", max_position=10).to_dict()[
        "interactions"
    ] == ["product"]


def test_numpy_forward_equals_keras_predict_with_interactions(tmp_path):
    import keras

    rng = np.random.default_rng(1)
    resume, job = rng.normal(size=(64, 6)), rng.normal(size=(64, 6))
    resume[0] = 0.0  # a zero vector: cosine 0
    features = model_features(resume, job, ["product", "cosine"])
    model = build_ncf(feature_width(6, ["product", "cosine"]), seed=4, init_std=0.5)
    expected = model.predict(features, verbose=0)[:, 1]
    np.testing.assert_allclose(ncf_click_probability(model.get_weights(), features, final_relu=False), expected, atol=1e-6)
    # A saved and reloaded model takes the same 19-wide input.
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert loaded.input_shape == (None, 19)
    np.testing.assert_allclose(loaded.predict(features, verbose=0)[:, 1], expected, atol=1e-6)


def test_config_rejects_unknown_and_invalid_parameters():
    with pytest.raises(ValueError, match="learning_rat"):
        NCFConfig.from_params({}, {"learning_rat": 0.1}, position_bias="pal", max_position=10)
    with pytest.raises(ValueError, match="position_bias"):
        NCFConfig(position_bias="ips")


# ---------------------------------------------------------------- training


def _separable(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, rng.integers(1, 6, n), y


@pytest.mark.slow  # trains a Keras network
def test_training_learns_a_separable_problem():
    x, p, y = _separable(3000, 0)
    config = NCFConfig(position_bias="none", batch_size=128, epochs=8, learning_rate=0.01)
    trained = train_ncf(x[:2500], p[:2500], y[:2500], config=config, seed=0, validation=(x[2500:], p[2500:], y[2500:]))
    assert trained.validation_auc > 0.97
    assert roc_auc(y[2500:], ncf_click_probability(trained.weights, x[2500:], final_relu=False)) > 0.97
    assert trained.history["loss"][-1] < trained.history["loss"][0]
    assert trained.examination is None and trained.n_train == 2500 and trained.n_validation == 500


@pytest.mark.slow  # trains a Keras network
def test_training_is_reproducible():
    x, p, y = _separable(600, 1)
    config = NCFConfig(batch_size=64, epochs=2)
    first, second = (train_ncf(x, p, y, config=config, seed=7) for _ in range(2))
    assert all(np.array_equal(a, b) for a, b in zip(first.weights, second.weights, strict=True))
    assert np.array_equal(first.examination, second.examination)
    third = train_ncf(x, p, y, config=config, seed=8)
    assert not np.array_equal(first.weights[0], third.weights[0])


@pytest.mark.slow  # trains a Keras network
def test_a_reused_trainer_is_traced_once_and_trains_like_a_fresh_one():
    from job_reco.models import ncf_training

    x, p, y = _separable(600, 1)
    other_x, other_p, other_y = _separable(450, 2)  # another cluster: other rows, same width
    config = NCFConfig(batch_size=64, epochs=2)
    ncf_training._TRAINERS.clear()
    fresh = train_ncf(x, p, y, config=config, seed=7)
    train_ncf(other_x, other_p, other_y, config=config, seed=3)  # moves the weights, Adam's moments, PAL's logits
    reused = train_ncf(x, p, y, config=config, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(fresh.weights, reused.weights, strict=True))
    assert np.array_equal(fresh.examination, reused.examination) and fresh.history["loss"] == reused.history["loss"]
    (trainer,) = ncf_training._TRAINERS.values()
    assert trainer.run_epoch.experimental_get_tracing_count() == 1  # 600 and 450 rows: one trace


@pytest.mark.slow  # trains a Keras network
def test_xla_steps_train_the_same_network():
    x, p, y = _separable(300, 4)
    plain, compiled = (
        train_ncf(x, p, y, config=NCFConfig(batch_size=100, epochs=1, jit_compile=jit), seed=0) for jit in (False, True)
    )
    for a, b in zip(plain.weights, compiled.weights, strict=True):
        np.testing.assert_allclose(a, b, atol=1e-4)


@pytest.mark.slow  # trains a Keras network
def test_early_stopping_keeps_the_best_epoch():
    x, p, y = _separable(400, 2)
    y_noise = np.random.default_rng(3).integers(0, 2, 400)  # validation labels unrelated: no progress
    config = NCFConfig(position_bias="none", batch_size=32, epochs=30, early_stopping_patience=2)
    trained = train_ncf(x[:300], p[:300], y[:300], config=config, seed=0, validation=(x[300:], p[300:], y_noise[300:]))
    assert trained.epochs_run < 30
    assert trained.epochs_run - trained.best_epoch == 2
    assert trained.validation_loss == min(trained.history["val_loss"])
    kept = ncf_click_probability(trained.weights, x[300:], final_relu=config.final_relu)  # the best epoch's weights
    assert roc_auc(y_noise[300:], kept) == trained.validation_auc
    assert binary_cross_entropy(y_noise[300:], kept) == pytest.approx(trained.validation_loss, abs=1e-6)


@pytest.mark.slow  # trains a Keras network
def test_pal_recovers_a_known_examination_curve():
    rng = np.random.default_rng(0)
    n = 60_000
    x = rng.normal(size=(n, 5)).astype(np.float32)
    relevance = 1 / (1 + np.exp(-(2 * x[:, 0] - 1)))
    positions = rng.integers(1, 9, n)
    true_curve = 1 / positions_range(8) ** 0.8
    clicks = (rng.random(n) < relevance * true_curve[positions - 1]).astype(np.int64)
    config = NCFConfig(batch_size=512, epochs=12, max_position=8, learning_rate=0.005)
    trained = train_ncf(x, positions, clicks, config=config, seed=0)
    learned = trained.examination[1:9] / trained.examination[1]
    np.testing.assert_allclose(learned, true_curve, atol=0.06)
    # The naive curve (click rate by position) would be the same here, as positions are random;
    # the NCF alone still ranks by relevance.
    assert roc_auc(clicks, ncf_click_probability(trained.weights, x, final_relu=False)) > 0.7


def positions_range(n: int) -> np.ndarray:
    return np.arange(1, n + 1, dtype=np.float64)


# ---------------------------------------------------------------- ensemble arithmetic

PROBABILITIES = np.array([[0.1, 0.5, 0.9], [0.2, 0.4, 0.6]])  # 2 rows x models of clusters 0, 2, 3
MODEL_CLUSTERS = [0, 2, 3]


def test_routed_takes_the_own_cluster_model_else_the_average():
    # Row 0 is in cluster 2 (column 1); row 1 in cluster 1, which has no model: mean 0.4.
    scores = routed_scores(PROBABILITIES, MODEL_CLUSTERS, np.array([2, 1]))
    np.testing.assert_allclose(scores, [0.5, 0.4])


def test_average_is_the_mean_of_the_models():
    np.testing.assert_allclose(average_scores(PROBABILITIES), [0.5, 0.4])


def test_soft_weights_are_a_softmax_of_minus_distance_over_temperature():
    # exp(0) : exp(-ln 2) : exp(-ln 4) = 1 : 1/2 : 1/4
    weights = soft_weights(np.array([[0.0, math.log(2), math.log(4)]]), temperature=1.0)
    np.testing.assert_allclose(weights, [[4 / 7, 2 / 7, 1 / 7]])


def test_soft_scores_renormalise_to_the_clusters_that_have_models():
    weights = np.array([[0.5, 0.0, 0.25, 0.25], [0.0, 1.0, 0.0, 0.0]])  # over 4 centres; cluster 1 has no model
    # Row 0: (0.5*0.1 + 0.25*0.5 + 0.25*0.9) / 1 = 0.4; row 1: no weight on a model -> uniform mean 0.4.
    np.testing.assert_allclose(soft_scores(PROBABILITIES, weights, MODEL_CLUSTERS), [0.4, 0.4])


# ---------------------------------------------------------------- Spark nodes


def _labeled(spark, rows):
    return spark.createDataFrame(pd.DataFrame(rows, columns=LABELED_SCHEMA_COLUMNS), LABELED_SCHEMA)


LABELED_SCHEMA_COLUMNS = [part.split()[0] for part in LABELED_SCHEMA.split(", ")]


def test_mark_validation_groups_holds_out_the_latest_training_groups(spark):
    rows = [(f"s{i}", "r1", "j1", 1, 0, 0, T0 + timedelta(days=i), TRAIN) for i in range(5)]
    rows += [("s4", "r1", "j2", 2, 0, 0, T0 + timedelta(days=4), TRAIN), ("s9", "r1", "j2", 1, 1, 0, T0, TEST)]
    # Train days 0, 1, 2, 3, 4, 4: the 0.6 quantile is day 3, so the group of day 4 (two rows) is held out.
    marked = nodes.mark_validation_groups(_labeled(spark, rows), 0.4).toPandas()
    subset = dict(zip(marked[SEARCH_ID] + marked[JOB_ID], marked[SUBSET], strict=True))
    assert subset["s4j1"] == subset["s4j2"] == VALIDATION
    assert [subset[f"s{i}j1"] for i in range(4)] == [TRAIN] * 4
    assert subset["s9j2"] == TEST  # test rows stay test, however early
    no_validation = nodes.mark_validation_groups(_labeled(spark, rows), 0.0).toPandas()
    assert set(no_validation[SUBSET]) == {TRAIN, TEST}


def test_mark_validation_groups_names_a_missing_column(spark):
    frame = _labeled(spark, [("s1", "r1", "j1", 1, 0, 0, T0, TRAIN)]).drop("searched_at")
    with pytest.raises(ValueError, match="searched_at"):
        nodes.mark_validation_groups(frame, 0.1)


def _vectors(spark, key, mapping):
    return spark.createDataFrame([(k, [float(x) for x in v]) for k, v in mapping.items()], f"{key} string, embedding array<float>")


def test_assemble_model_inputs_fills_missing_vectors_with_zeros_and_flags_them(spark):
    marked = nodes.mark_validation_groups(
        _labeled(spark, [("s1", "r1", "j1", 1, 1, 0, T0, TRAIN), ("s1", "r1", "jX", 2, 0, 0, T0, TRAIN)]), 0.0
    )
    inputs = nodes.assemble_model_inputs(
        marked,
        _vectors(spark, RESUME_ID, {"r1": [1, 2]}),
        _vectors(spark, JOB_ID, {"j1": [3, 4]}),
        spark.createDataFrame([("r2", 0)], "resume_id string, cluster int"),
    ).toPandas().sort_values(JOB_ID)
    assert [list(v) for v in inputs[JOB_VECTOR]] == [[3.0, 4.0], [0.0, 0.0]]
    assert inputs[JOB_VECTOR_MISSING].tolist() == [False, True]
    assert [list(v) for v in inputs[RESUME_VECTOR]] == [[1.0, 2.0], [1.0, 2.0]]
    assert inputs[CLUSTER].isna().all()  # r1 has no cluster: scoring assigns its nearest centre


def test_assemble_model_inputs_rejects_vectors_of_different_sizes(spark):
    marked = nodes.mark_validation_groups(_labeled(spark, [("s1", "r1", "j1", 1, 1, 0, T0, TRAIN)]), 0.0)
    with pytest.raises(ValueError, match="job_embeddings"):
        nodes.assemble_model_inputs(
            marked,
            _vectors(spark, RESUME_ID, {"r1": [1, 2]}),
            _vectors(spark, JOB_ID, {"j1": [3, 4], "j2": [1, 2, 3]}),
            spark.createDataFrame([("r1", 0)], "resume_id string, cluster int"),
        )


def test_compute_job_popularity_smooths_toward_the_train_ctr(spark):
    rows = [("s1", "r1", "A", p, label, 0, T0, TRAIN) for p, label in ((1, 1), (2, 1), (3, 0), (4, 0))]
    rows += [("s2", "r1", "B", p, 0, 0, T0, TRAIN) for p in range(1, 5)]
    rows += [("s3", "r1", "B", 1, 1, 0, T0, TEST)]  # test rows never count
    popularity = nodes.compute_job_popularity(_labeled(spark, rows), 2.0).toPandas().set_index(JOB_ID)
    # prior = 2 clicks / 8 impressions = 0.25; A: (2 + 2*0.25) / (4 + 2); B: (0 + 0.5) / 6.
    assert popularity.loc["A", CTR_SMOOTHED] == pytest.approx(2.5 / 6)
    assert popularity.loc["B", CTR_SMOOTHED] == pytest.approx(0.5 / 6)
    assert popularity.loc["A", JOB_IMPRESSIONS] == 4 and popularity.loc["A", JOB_CLICKS] == 2
    assert nodes.smoothed_ctr(2, 4, 0.25, 2.0) == pytest.approx(2.5 / 6)


def _results(examinations, rows, clicks):
    return pd.DataFrame(
        {
            "status": [nodes.TRAINED] * len(rows),
            "examination": examinations,
            "position_rows": rows,
            "position_clicks": clicks,
        }
    )


def test_estimate_propensity_pools_pal_curves_by_rows_per_position():
    results = _results(
        [[0.0, 1.0, 0.5, 0.2], [0.0, 1.0, 0.8, 0.9]],
        [[0, 10, 10, 0], [0, 10, 30, 5]],
        [[0, 5, 2, 0], [0, 5, 6, 1]],
    )
    # Position 2: (10*0.5 + 30*0.8) / 40 = 0.725; position 3: only cluster 2 has rows: 0.9.
    assert nodes.estimate_propensity(results, "pal") == pytest.approx({"1": 1.0, "2": 0.725, "3": 0.9})


def test_estimate_propensity_without_pal_is_the_click_rate_ratio():
    results = _results([None, None], [[0, 10, 10, 0], [0, 10, 30, 5]], [[0, 5, 2, 0], [0, 5, 6, 1]])
    # CTR 1: 10/20 = 0.5; 2: 8/40 = 0.2 -> 0.4; 3: 1/5 = 0.2 -> 0.4.
    assert nodes.estimate_propensity(results, "none") == pytest.approx({"1": 1.0, "2": 0.4, "3": 0.4})


def _validation_scores(spark, rows):
    columns = [SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, *(score_column(m) for m in ("routed", "soft", "average"))]
    return spark.createDataFrame(pd.DataFrame(rows, columns=columns))


def test_select_ensemble_mode_picks_the_best_ips_mrr(spark):
    # One group, click at position 2: routed ranks it 1st (1/1), soft 2nd (1/2), average 3rd (1/3).
    rows = [
        ("s1", "r1", "a", 1, 0, 0.2, 0.9, 0.9),
        ("s1", "r1", "b", 2, 1, 0.9, 0.5, 0.1),
        ("s1", "r1", "c", 3, 0, 0.1, 0.1, 0.5),
    ]
    selection = nodes.select_ensemble_mode(_validation_scores(spark, rows), {"1": 1.0, "2": 0.5}, "auto", 10.0)
    assert selection["selected"] == "routed"
    assert selection["scores"]["routed"]["ips_mrr"] == pytest.approx(1.0)
    assert selection["scores"]["soft"]["ips_mrr"] == pytest.approx(0.5)
    assert selection["scores"]["average"]["ips_mrr"] == pytest.approx(1 / 3)
    assert selection["validation"] == {"groups": 1, "clicks": 1, "rows": 3}
    forced = nodes.select_ensemble_mode(_validation_scores(spark, rows), {"1": 1.0}, "average", 10.0)
    assert forced["selected"] == "average" and forced["best_on_validation"] == "routed"
    with pytest.raises(ValueError, match="ensemble_mode"):
        nodes.select_ensemble_mode(_validation_scores(spark, rows), {"1": 1.0}, "best", 10.0)


# ---------------------------------------------------------------- training on Spark and scoring


def _synthetic_network(spark, *, n_searches=400, list_length=8, dim=4, k=2, seed=0):
    """Resumes and jobs in k topics; a click = Bernoulli(examination(position) x relevance)."""
    rng = np.random.default_rng(seed)
    topics = np.eye(k, dim)
    resume_topic, job_topic = rng.integers(0, k, 60), rng.integers(0, k, 80)
    resumes = topics[resume_topic] + 0.2 * rng.normal(size=(60, dim))
    jobs = topics[job_topic] + 0.2 * rng.normal(size=(80, dim))
    rows = []
    for s in range(n_searches):
        r = int(rng.integers(60))
        for p, j in enumerate(rng.choice(80, list_length, replace=False), start=1):
            relevance = 0.8 if resume_topic[r] == job_topic[j] else 0.05
            click = int(rng.random() < relevance / p**0.8)
            split = TEST if s >= 0.8 * n_searches else TRAIN
            rows.append((f"s{s}", f"r{r}", f"j{j}", p, click, 0, T0 + timedelta(minutes=s), split))
    unit = resumes / np.linalg.norm(resumes, axis=1, keepdims=True)
    clusters = np.argmin(((unit[:, None, :] - topics[None]) ** 2).sum(-1), axis=1)
    return {
        "labeled_impressions": _labeled(spark, rows),
        "resume_embeddings": _vectors(spark, RESUME_ID, {f"r{i}": v for i, v in enumerate(resumes)}),
        "job_embeddings": _vectors(spark, JOB_ID, {f"j{i}": v for i, v in enumerate(jobs)}),
        "resume_clusters": spark.createDataFrame([(f"r{i}", int(c)) for i, c in enumerate(clusters)], "resume_id string, cluster int"),
        "cluster_centres": {"k": k, "normalised": True, "centres": topics.tolist()},
    }


MODELING_PARAMS = {
    "seed": 42,
    "position_bias": "pal",
    "max_position": 10,
    "network": {"hidden_units": [8, 4], "init_std": 0.1, "final_relu": False},
    "training": {"learning_rate": 0.01, "batch_size": 128, "epochs": 3, "early_stopping_patience": 2},
    "validation_fraction": 0.1,
    "max_rows_per_cluster": 100_000,
    "min_rows_per_cluster": 20,
    "tf_threads_per_task": 1,
    "ensemble_mode": "auto",
    "soft_temperature": 0.1,
    "ips_clip": 10.0,
    "popularity_smoothing": 5.0,
}


@pytest.fixture(scope="module")
def network(spark):
    return _synthetic_network(spark)


@pytest.fixture(scope="module")
def model_inputs(network):
    marked = nodes.mark_validation_groups(network["labeled_impressions"], 0.1)
    return nodes.assemble_model_inputs(
        marked, network["resume_embeddings"], network["job_embeddings"], network["resume_clusters"]
    )


@pytest.fixture(scope="module")
def trained(model_inputs):
    p = MODELING_PARAMS
    return nodes.train_cluster_models(
        model_inputs, p["network"], p["training"], "pal", 10, 700, 20, 1, 42
    )


def test_train_cluster_models_trains_each_cluster_in_its_own_spark_task(trained):
    results, summary = trained
    assert results[CLUSTER].tolist() == [0, 1]
    assert (results["status"] == nodes.TRAINED).all()
    assert results["spark_partition"].nunique() == 2  # one task per cluster
    assert (results["rows_train"] <= 700).all()  # the cap
    assert (results["rows_available"] > 700).any()  # ... which did bite
    assert (results["rows_validation"] > 0).all() and (results["epochs_run"] >= 1).all()
    assert summary["rows_without_cluster"] == 0
    assert all(len(weight_list_from_bytes(w)) == 6 for w in results["weights"])  # 2 hidden + output layer


def test_train_cluster_models_skips_a_cluster_below_the_minimum(model_inputs):
    p = MODELING_PARAMS
    results, _ = nodes.train_cluster_models(
        model_inputs, p["network"], {**p["training"], "epochs": 1}, "none", 10, 100_000, 10**6, 1, 42
    )
    assert (results["status"] == nodes.SKIPPED).all()
    assert "need >= 1000000 rows" in results["reason"].iloc[0]


def test_build_cluster_models_and_history(trained):
    results, summary = trained
    models = nodes.build_cluster_models(results)
    assert sorted(models) == ["cluster_0", "cluster_1"]
    first = results.iloc[0]
    x = np.random.default_rng(0).normal(size=(5, 8)).astype(np.float32)
    np.testing.assert_allclose(
        models["cluster_0"].predict(x, verbose=0)[:, 1],
        ncf_click_probability(weight_list_from_bytes(first["weights"]), x, final_relu=False),
        atol=1e-6,
    )
    history = nodes.summarise_training(results, summary)
    entry = history["clusters"]["0"]
    assert len(entry["history"]["loss"]) == entry["epochs_run"] and "val_auc" in entry["history"]
    assert entry["examination"]["1"] == 1.0
    propensity = nodes.estimate_propensity(results, "pal")
    assert propensity["1"] == 1.0 and set(propensity) == {str(p) for p in range(1, 9)}


def test_cluster_rows_orders_by_ids_and_caps_by_the_smallest_draws():
    # Rows as Spark might deliver them. By (search, resume, job) the training rows are
    # s1/r1/j1 (pos 3, draw .5), s1/r1/j2 (pos 0, draw .2), s2/r2/j1 (pos 4, draw .2), s3/r1/j9 (pos 1, draw .9);
    # the validation rows s1/r1/j3 (pos 5), s4/r2/j1 (pos 2). A cap of 2 keeps the two smallest draws (.2, .2:
    # positions 0 and 4), in id order; a cap of 1 keeps the earlier of the tie (position 0).
    frame = pd.DataFrame({
        SEARCH_ID: ["s1", "s3", "s4", "s1", "s2", "s1"], RESUME_ID: ["r1", "r1", "r2", "r1", "r2", "r1"],
        JOB_ID: ["j2", "j9", "j1", "j1", "j1", "j3"],
        SUBSET: [TRAIN, TRAIN, VALIDATION, TRAIN, TRAIN, VALIDATION], training._DRAW: [0.2, 0.9, 0.1, 0.5, 0.2, 0.0],
    })
    train, validation, available = training._cluster_rows(frame, max_rows=10)
    assert train.tolist() == [3, 0, 4, 1] and validation.tolist() == [5, 2] and available == 4
    assert training._cluster_rows(frame, max_rows=2)[0].tolist() == [0, 4]
    assert training._cluster_rows(frame, max_rows=1)[0].tolist() == [0]
    # the same rows in another order give the same rows in the same order
    shuffled = frame.iloc[[4, 2, 0, 5, 1, 3]].reset_index(drop=True)
    again, _, _ = training._cluster_rows(shuffled, max_rows=10)
    pd.testing.assert_frame_equal(shuffled.iloc[again].reset_index(drop=True), frame.iloc[train].reset_index(drop=True))


def test_training_rates_put_the_tasks_on_one_time_line():
    # two tasks on two cores: 1,000 rows x 4 epochs in 2 s (from t=10 to 12, 1.5 CPU s) and 3,000 x 2
    # in 3 s (t=11 to 14, 3 CPU s), and a skipped cluster; all tasks: 10,000 samples from t=10 to t=14
    results = pd.DataFrame({
        "status": [nodes.TRAINED, nodes.TRAINED, nodes.SKIPPED], "rows_train": [1000, 3000, 5],
        "epochs_run": [4, 2, None], "seconds": [2.0, 3.0, None], "cpu_seconds": [1.5, 3.0, None],
        "trained_from": [10.0, 11.0, None], "trained_until": [12.0, 14.0, None],
    })
    assert training._training_rates(results) == {
        "clusters_trained": 2, "samples_per_second_per_task": 2000, "samples_per_cpu_second_per_task": 2222,
        "samples_per_second_all_tasks": 2500, "training_span_s": 4.0,
    }
    assert training._training_rates(results.iloc[2:])["samples_per_second_all_tasks"] is None


def test_score_test_impressions_gives_the_contract_columns_and_baselines(spark, network, model_inputs):
    models = {"cluster_0": build_ncf(8, hidden_units=[8, 4], seed=1), "cluster_1": build_ncf(8, hidden_units=[8, 4], seed=2)}
    popularity = nodes.compute_job_popularity(network["labeled_impressions"], 5.0)
    selection = {"selected": "soft"}
    args = (model_inputs, models, network["cluster_centres"], selection, popularity, 0.1, 42)
    scored = nodes.score_test_impressions(*args).toPandas()
    assert tuple(scored.columns) == V1_SCORED_IMPRESSIONS_COLUMNS  # the v2 scores join in add_ranker_scores and score_gbdt
    expected_rows = network["labeled_impressions"].filter("split = 'test'").count()
    assert len(scored) == expected_rows and set(scored["split"]) == {TEST}
    assert (scored[score_column("search")] == -scored[POSITION]).all()
    assert scored[score_column("random")].between(0, 1).all()
    assert scored.filter(like="score_").notna().all().all()
    seen = set(popularity.toPandas()[JOB_ID])
    unseen = scored[~scored[JOB_ID].isin(seen)]
    prior = network["labeled_impressions"].filter("split = 'train'").agg({"label": "avg"}).first()[0]
    assert np.allclose(unseen[score_column("popularity")], prior)
    again = nodes.score_test_impressions(*args).toPandas()
    key = [SEARCH_ID, RESUME_ID, JOB_ID]
    pd.testing.assert_frame_equal(scored.sort_values(key, ignore_index=True), again.sort_values(key, ignore_index=True))


def test_models_with_interactions_train_and_score_on_the_same_input(network, model_inputs):
    p = MODELING_PARAMS
    interacting = {**p["network"], "interactions": ["product", "cosine"]}
    results, summary = nodes.train_cluster_models(
        model_inputs, interacting, {**p["training"], "epochs": 1}, "none", 10, 300, 20, 1, 42
    )
    assert (results["status"] == nodes.TRAINED).all()
    assert summary["model_input"]["width"] == 4 + 4 + 4 + 1  # d = 4: resume, job, product, cosine
    assert summary["config"]["interactions"] == ["product", "cosine"]
    models = nodes.build_cluster_models(results)
    assert models["cluster_0"].input_shape == (None, 13)
    scored = nodes.score_validation_ensembles(model_inputs, models, network["cluster_centres"], 0.1, interacting)
    frame = scored.toPandas()
    assert len(frame) > 0 and frame[score_column("average")].between(0, 1).all()
    # Scoring with other interactions than training is an error, not a silent wrong input.
    with pytest.raises(ValueError, match="width 13"):
        nodes.score_validation_ensembles(model_inputs, models, network["cluster_centres"], 0.1, p["network"])


def test_score_validation_ensembles_scores_every_mode(network, model_inputs):
    models = {"cluster_0": build_ncf(8, hidden_units=[8, 4], seed=1), "cluster_1": build_ncf(8, hidden_units=[8, 4], seed=2)}
    scored = nodes.score_validation_ensembles(model_inputs, models, network["cluster_centres"], 0.1).toPandas()
    assert len(scored) == model_inputs.filter(f"{SUBSET} = '{VALIDATION}'").count() > 0
    # Average = mean of the two models; routed equals one of them; all in (0, 1).
    for mode in ("routed", "soft", "average"):
        assert scored[score_column(mode)].between(0, 1).all()


class _Kept(MemoryDataset):
    """A MemoryDataset the runner does not release, so the test can read every output."""

    def _release(self) -> None:
        pass


def _v2_inputs(spark, network) -> dict:
    """What modeling v2 reads besides the v1 inputs: every search's impressions and the documents (no v2 columns)."""
    labeled = network["labeled_impressions"]
    return {
        "search_impressions": labeled.withColumn("experiment", F.lit(None).cast("string")),
        "valid_jobs": spark.createDataFrame([(f"j{i}", "Nurse", T0) for i in range(80)], "job_id string, title string, posted_at timestamp"),
        "valid_resumes": spark.createDataFrame([(f"r{i}",) for i in range(60)], "resume_id string"),
        "resume_section_embeddings": spark.createDataFrame(
            [(f"r{i}", [[1.0, 0.0, 0.0, 0.0]]) for i in range(60)], "resume_id string, resume_sections array<array<float>>"
        ),
        "scrubbed_resumes": spark.createDataFrame(
            [(f"r{i}", f"Nurse {2010 + i % 10} - present", T0) for i in range(60)], "resume_id string, text string, updated_at timestamp"
        ),
        "checked_searches": labeled.select("search_id").distinct().withColumn("query", F.lit("nurse")),
    }


V2_PARAMS = {
    "architecture": "auto",
    "blend_weights": [0.5],
    "propensity_folds": 2,
    "side_features": None,
    "vector_blocks": [],
    "max_training_rows": 100_000,
    "min_ads_per_title": 2,
    "ranker": {"hidden_units": [8], "epochs": 2, "batch_groups": 16},
    "gbdt": {"n_estimators": 5, "max_depth": 3, "eval_metric": "ndcg@10", "early_stopping_rounds": 2},
    "max_gbdt_rows": 100_000,
}


def test_pipeline_runs_on_an_in_memory_catalog(spark, network):
    data = {name: MemoryDataset(value, copy_mode="assign") for name, value in {**network, **_v2_inputs(spark, network)}.items()}
    params = {**MODELING_PARAMS, **V2_PARAMS, "training": {**MODELING_PARAMS["training"], "epochs": 1}}
    for key, value in params.items():
        data[f"params:modeling.{key}"] = MemoryDataset(value, copy_mode="assign")
    data["params:ips_clip"] = MemoryDataset(10.0)
    outputs = ("cluster_models@keras", "training_history", "propensity", "ensemble_selection", "scored_impressions@spark",
               "architecture_selection", "ranker_layout")
    catalog = DataCatalog({**data, **{name: _Kept(copy_mode="assign") for name in outputs},
                           "ranker_inputs": SparkCacheDataset()})  # as conf/base/catalog_modeling.yml
    SequentialRunner().run(create_pipeline(), catalog)
    scored = catalog.load("scored_impressions@spark").toPandas()
    assert tuple(scored.columns) == SCORED_IMPRESSIONS_COLUMNS
    assert scored[[score_column(r) for r in ("ranker", "gbdt", "ncf_original")]].notna().all().all()
    chosen = catalog.load("architecture_selection")
    if chosen["selected"] == "blend":  # the same standardised mix of the two scores
        stats = chosen["standardisation"]
        mix = 0.5 * (scored[score_column("ranker")] - stats["ranker_mean"]) / stats["ranker_std"] + 0.5 * (
            scored[score_column("gbdt")] - stats["gbdt_mean"]) / stats["gbdt_std"]
        assert np.allclose(scored[score_column("ensemble")], mix)
    else:
        same = score_column("ranker") if chosen["selected"] == "ranker" else score_column("ncf_original")
        assert (scored[score_column("ensemble")] == scored[same]).all()
    # The documents log no v2 columns: the ranker runs on cosine, years, ad age, the appeals and what the
    # resume text, ad titles and queries give (sections, titles); no resume city, so no named_other_city.
    assert catalog.load("ranker_layout")["side_features"] == [
        "log_years", "log_age_days", "best_section_cosine", "log_job_appeal", "current_section_cosine",
        "current_title_match", "past_title_match", "current_title_exact", "past_title_exact", "query_title_match",
        "query_history_match", "log_title_pair_appeal"]
    assert sorted(catalog.load("cluster_models@keras")) == ["cluster_0", "cluster_1"]
    selection = catalog.load("ensemble_selection")
    assert selection["selected"] in ("routed", "soft", "average") and selection["validation"]["rows"] > 0
    assert catalog.load("propensity")["1"] == 1.0
    assert catalog.load("training_history")["clusters_trained"] == 2
