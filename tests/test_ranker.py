"""The v2 ranker (job_reco.models.ranker) on small arrays whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from job_reco.models.ranker import (
    RESIDUAL_LAYER,
    RankerConfig,
    build_ranker,
    graded_targets,
    list_length,
    pack_groups,
    ranker_scores,
    ranker_weights,
    train_ranker,
)


def test_pack_groups_pads_and_keeps_rows():
    group = np.array([7, 3, 7, 3, 3])
    features = np.arange(10, dtype=np.float32).reshape(5, 2)
    packed = pack_groups(group, features, np.arange(5.0), np.zeros(5), np.array([0, 1, 0, 0, 2.0]), list_size=4)
    # group 3 (rows 1, 3, 4) comes first, group 7 (rows 0, 2) second; slots past a group's rows are padding.
    assert packed.row.tolist() == [[1, 3, 4, -1], [0, 2, -1, -1]]
    assert packed.mask.tolist() == [[True, True, True, False], [True, True, False, False]]
    assert packed.target.tolist() == [[1, 0, 2, 0], [0, 0, 0, 0]]
    assert packed.features[0, 2].tolist() == [8.0, 9.0] and packed.features[0, 3].tolist() == [0.0, 0.0]


def test_pack_groups_refuses_a_list_longer_than_the_list_size():
    with pytest.raises(ValueError, match="at most 2"):
        pack_groups(np.zeros(3), np.zeros((3, 1)), np.zeros(3), np.zeros(3), np.zeros(3), list_size=2)


def test_list_length_is_the_longest_group_capped_at_max_position():
    assert list_length(np.array([7, 3, 7, 3, 3]), 50) == 3
    assert list_length(np.array([1, 1, 1]), 2) == 2  # pack_groups then refuses the group of 3


@pytest.mark.slow  # trains a Keras network
def test_padding_slots_do_not_change_the_trained_ranker():
    rng = np.random.default_rng(0)
    group = np.repeat(np.arange(40), 3)
    features, cosine = rng.normal(size=(120, 2)).astype(np.float32), rng.uniform(size=120)
    target = (rng.random(120) < 0.3).astype(np.float32)
    config = RankerConfig(hidden_units=(4,), cluster_embedding_dim=0, epochs=2, batch_groups=8)
    short, padded = (
        train_ranker(pack_groups(group, features, cosine, np.zeros(120), target, list_size=size), 1, config=config, seed=0)
        for size in (3, 8)
    )
    for name, arrays in short.weights.items():
        for a, b in zip(arrays, padded.weights[name], strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4)  # float rounding, amplified by Adam near 0


def test_graded_targets_weigh_gain_by_inverse_propensity():
    config = RankerConfig(click_gain=1.0, applied_gain=3.0, ips_clip=4.0)
    targets = graded_targets(
        label=np.array([1, 1, 0, 1]), applied=np.array([0, 1, 0, 0]), position=np.array([1, 2, 3, 10]),
        propensity={"1": 1.0, "2": 0.5, "3": 0.4, "10": 0.1}, config=config,
    )
    # 1 x 1; 3 x 1/0.5; 0; 1 x min(1/0.1, 4)
    assert targets.tolist() == pytest.approx([1.0, 6.0, 0.0, 4.0])


def test_untrained_ranker_ranks_as_cosine_and_numpy_matches_keras():
    config = RankerConfig(hidden_units=(8, 4), cluster_embedding_dim=2, cosine_scale=5.0)
    model = build_ranker(3, 2, config, seed=1)
    rng = np.random.default_rng(0)
    features, cosine, cluster = rng.normal(size=(6, 3)).astype(np.float32), rng.uniform(-1, 1, 6), np.array([0, 1, 0, 1, 1, 0])
    keras_scores = np.asarray(model.predict([features, cosine.astype(np.float32), cluster.astype(np.int32)], verbose=0))
    numpy_scores = ranker_scores(ranker_weights(model), features, cosine, cluster, hidden=2)
    assert numpy_scores == pytest.approx(5.0 * cosine, abs=1e-5)
    assert numpy_scores == pytest.approx(keras_scores, abs=1e-4)


@pytest.mark.slow  # trains a Keras network
def test_ranker_learns_a_side_feature_that_cosine_misses():
    """Clicks depend on cosine and on a side feature; the trained ranker must rank better than cosine."""
    rng = np.random.default_rng(3)
    n_groups, size = 600, 10
    cosine = rng.uniform(0, 1, n_groups * size)
    side = rng.normal(size=n_groups * size)
    utility = 3 * cosine + 2 * side
    group = np.repeat(np.arange(n_groups), size)
    noisy = utility + rng.gumbel(size=utility.size)
    label = np.zeros_like(utility)
    for g in range(n_groups):  # one click per group: the best noisy utility
        rows = np.flatnonzero(group == g)
        label[rows[np.argmax(noisy[rows])]] = 1
    features = np.column_stack([cosine, side]).astype(np.float32)
    config = RankerConfig(hidden_units=(8,), cluster_embedding_dim=0, epochs=8, batch_groups=32, learning_rate=0.01)
    target = graded_targets(label, np.zeros_like(label), np.ones(label.size, int), {"1": 1.0}, config)
    packed = pack_groups(group, features, cosine, np.zeros(label.size), target, list_size=size)
    trained = train_ranker(packed, 1, config=config, seed=0)
    scores = ranker_scores(trained.weights, features, cosine, np.zeros(label.size), hidden=1)

    def top1_utility(s):
        return np.mean([utility[np.flatnonzero(group == g)][np.argmax(s[group == g])] for g in range(n_groups)])

    assert top1_utility(scores) > top1_utility(cosine) + 0.5
    assert trained.samples_per_second > 0 and trained.epochs_run == 8


def test_training_keeps_the_weights_of_the_best_validation_epoch():
    rng = np.random.default_rng(1)
    group = np.repeat(np.arange(30), 4)
    features, cosine = rng.normal(size=(120, 2)).astype(np.float32), rng.uniform(size=120)
    target = (rng.random(120) < 0.3).astype(np.float32)
    packed = pack_groups(group, features, cosine, np.zeros(120), target, list_size=4)
    config = RankerConfig(hidden_units=(4,), cluster_embedding_dim=0, epochs=7, batch_groups=8, early_stopping_patience=2)
    metrics, seen = iter([0.1, 0.3, 0.5, 0.4, 0.45, 0.9]), []

    def scripted_metric(weights):  # at start 0.1, then epochs 1-4: 0.3, 0.5 (best), 0.4, 0.45 (second wait: stop)
        seen.append(weights)
        return next(metrics)

    trained = train_ranker(packed, 1, config=config, seed=0, validation_metric=scripted_metric)
    assert (trained.epochs_run, trained.best_epoch, trained.best_metric) == (4, 2, 0.5)
    assert trained.history["validation_at_start"] == [0.1] and trained.history["validation"] == [0.3, 0.5, 0.4, 0.45]
    assert trained.weights is seen[2]  # the weights the metric scored at epoch 2
    assert not np.array_equal(trained.weights[RESIDUAL_LAYER][0], seen[4][RESIDUAL_LAYER][0])


def test_learning_rate_decay_shrinks_the_steps_each_epoch():
    """With a decay, later epochs move the weights less than the first; with none, about as much."""
    rng = np.random.default_rng(4)
    group = np.repeat(np.arange(200), 5)
    features = rng.normal(size=(1000, 3)).astype(np.float32)
    label = (rng.random(1000) < 0.2).astype(float)
    moves = {}
    for decay in (1.0, 0.3):
        config = RankerConfig(hidden_units=(4,), cluster_embedding_dim=0, epochs=3, batch_groups=20, learning_rate=0.01,
                              learning_rate_decay=decay, l2=0.0)
        target = graded_targets(label, np.zeros(1000), np.ones(1000, int), {"1": 1.0}, config)
        packed = pack_groups(group, features, np.zeros(1000), np.zeros(1000), target, list_size=5)
        weights = []
        train_ranker(packed, 1, config=config, seed=0, validation_metric=lambda w: weights.append(w) or 0.0)
        step = [np.abs(weights[i + 1]["hidden_0"][0] - weights[i]["hidden_0"][0]).sum() for i in range(3)]
        moves[decay] = step[2] / step[0]
    assert moves[0.3] < 0.3 * moves[1.0]
    with pytest.raises(ValueError, match="learning_rate_decay must be in"):
        RankerConfig(learning_rate_decay=0.0)
