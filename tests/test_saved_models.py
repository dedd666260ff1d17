"""Saved models read without their libraries: Keras files with h5py (`keras_file`), xgboost's JSON in numpy (`boosted_trees`)."""

from __future__ import annotations

import numpy as np
import pytest

from job_reco.models.boosted_trees import BoostedTrees
from job_reco.models.keras_file import SavedWeights, read_keras_weights
from job_reco.models.ncf import cluster_model_weights, ncf_click_probability, ncf_weights
from job_reco.models.ranker import RankerConfig, ranker_scores, ranker_weights
from job_reco.models.ranker_layout import LAYOUT_VERSION, check_ranker_artifacts


@pytest.fixture(scope="module")
def saved_ranker(tmp_path_factory):
    """A ranker with trained-looking (random) weights, saved as .keras: (path, Keras model)."""
    from job_reco.models.ranker import build_ranker

    model = build_ranker(7, 3, RankerConfig(hidden_units=(5, 4), cluster_embedding_dim=2), seed=3)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in model.get_weights()])
    path = tmp_path_factory.mktemp("ranker") / "model.keras"
    model.save(path)
    return path, model


def test_the_keras_files_weights_are_the_models(saved_ranker):
    path, model = saved_ranker
    saved = read_keras_weights(path)
    expected = ranker_weights(model)
    assert set(saved.weights) == set(expected)
    assert all(np.array_equal(a, b) for name in expected for a, b in zip(saved.weights[name], expected[name], strict=True))
    assert saved.input_width("features") == 7 and saved.layers.index("hidden_0") < saved.layers.index("hidden_1")


def test_the_numpy_ranker_on_the_files_weights_gives_kerass_scores(saved_ranker):
    path, model = saved_ranker
    layout = {"layout_version": LAYOUT_VERSION, "width": 7, "vector_dimension": 2}
    weights = check_ranker_artifacts(read_keras_weights(path.read_bytes()), layout, vector_dimension=2)
    rng = np.random.default_rng(1)
    features, cosine, cluster = rng.normal(size=(50, 7)).astype(np.float32), rng.uniform(-1, 1, 50), rng.integers(0, 3, 50)
    expected = np.asarray(model.predict([features, cosine.astype(np.float32), cluster.astype(np.int32)], verbose=0), np.float64)
    assert np.abs(ranker_scores(weights, features, cosine, cluster, hidden=2) - expected).max() < 1e-6


def test_a_saved_ranker_of_another_width_is_refused(saved_ranker):
    with pytest.raises(ValueError, match="ranker_model takes 7 features but ranker_layout says 9"):
        check_ranker_artifacts(read_keras_weights(saved_ranker[0]), {"layout_version": LAYOUT_VERSION, "width": 9, "vector_dimension": 2})


def test_saved_ncfs_read_as_weights_score_as_the_keras_ones(tmp_path):
    from job_reco.models.ncf import build_ncf

    models = {}
    for cluster, relu in ((0, False), (1, True)):
        model = build_ncf(6, hidden_units=(4, 3), final_relu=relu, seed=cluster)
        model.save(tmp_path / f"cluster_{cluster}.keras")
        models[f"cluster_{cluster}"] = model
    # As a PartitionedDataset of KerasWeightsDataset gives them: load functions.
    loaders = {key: (lambda p=tmp_path / f"{key}.keras": read_keras_weights(p)) for key in models}
    from_files, from_keras = cluster_model_weights(loaders), cluster_model_weights(models)
    x = np.random.default_rng(2).normal(size=(20, 6)).astype(np.float32)
    for (c1, w1, relu1), (c2, w2, relu2) in zip(from_files, from_keras, strict=True):
        assert (c1, relu1) == (c2, relu2)
        assert np.array_equal(ncf_click_probability(w1, x, final_relu=relu1), ncf_click_probability(w2, x, final_relu=relu2))
    assert [relu for _, _, relu in from_files] == [False, True]
    with pytest.raises(ValueError, match="not an NCF"):
        ncf_weights(SavedWeights(name="x", layers=("features", "dense_0"), weights={}, input_shapes={}))


def test_a_file_that_is_not_a_keras_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "model.keras"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ValueError, match=r"model.keras is not a saved Keras model"):
        read_keras_weights(bad)


def test_the_catalog_reads_one_file_as_a_keras_model_and_as_weights(saved_ranker):
    from kedro.io import DataCatalog

    path, model = saved_ranker
    catalog = DataCatalog.from_config({
        "ranker_model@keras": {"type": "tensorflow.TensorFlowModelDataset", "filepath": str(path)},
        "ranker_model@weights": {"type": "job_reco.datasets.keras_weights.KerasWeightsDataset", "filepath": str(path)},
    })
    saved, loaded = catalog.load("ranker_model@weights"), catalog.load("ranker_model@keras")
    assert all(np.array_equal(a, b) for a, b in zip(saved.flat(), loaded.get_weights(), strict=True))
    with pytest.raises(Exception, match="read-only"):
        catalog.save("ranker_model@weights", saved)


def _booster(objective: str = "rank:ndcg", rounds: int = 25):
    import xgboost

    rng = np.random.default_rng(4)
    x = rng.normal(size=(600, 6)).astype(np.float32)
    x[rng.random(x.shape) < 0.1] = np.nan  # missing values take each split's learned direction
    label = (np.nan_to_num(x[:, 0]) + 0.5 * np.nan_to_num(x[:, 3]) > 0).astype(np.float32)
    data = xgboost.DMatrix(x, label=label, qid=np.repeat(np.arange(60), 10) if objective.startswith("rank") else None)
    params = {"objective": objective, "max_depth": 4, "eta": 0.3, "seed": 0, "nthread": 1}
    return xgboost.train(params, data, rounds)


def test_numpy_trees_give_xgboosts_margin_bit_for_bit():
    booster = _booster()
    trees = BoostedTrees.from_json(bytes(booster.save_raw("json")))
    rng = np.random.default_rng(5)
    x = (rng.normal(size=(1000, 6)) * 2).astype(np.float32)
    x[rng.random(x.shape) < 0.05] = np.nan
    expected = np.asarray(booster.inplace_predict(x, predict_type="margin"), dtype=np.float64)
    assert np.array_equal(trees.margin(x), expected)
    with pytest.raises(ValueError, match="reads 6 features"):
        trees.margin(x[:, :5])


def test_a_booster_the_numpy_trees_do_not_cover_is_scored_by_xgboost():
    from job_reco.recommend.model import load_booster

    model = bytes(_booster("binary:logistic", rounds=5).save_raw("json"))
    with pytest.raises(ValueError, match="objective 'binary:logistic'"):
        BoostedTrees.from_json(model)
    assert type(load_booster(model)).__name__ == "Booster"
    assert isinstance(load_booster(bytes(_booster().save_raw("json"))), BoostedTrees)
