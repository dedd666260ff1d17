"""Nodes of the clustering pipeline on separable toy vectors and a hand example of words."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from job_reco.columns import CLUSTER, DOC_ID, DOC_TYPE, EMBEDDING, IS_ZERO_VECTOR, RESUME_ID, TOKENS
from job_reco.pipelines.clustering import nodes
from job_reco.text.vectors import nearest_centre

EMBEDDINGS_SCHEMA = f"{RESUME_ID} string, {EMBEDDING} array<float>, {IS_ZERO_VECTOR} boolean"
ANGLES = {"a": 0.0, "b": 2 * math.pi / 3, "c": 4 * math.pi / 3}


def toy_vectors(per_blob: int = 30, seed: int = 0) -> list[tuple[str, list[float], bool]]:
    """Three blobs by direction (0, 120, 240 degrees), lengths 1 to 3, plus one zero vector."""
    rng = np.random.default_rng(seed)
    rows = []
    for blob, angle in ANGLES.items():
        for i in range(per_blob):
            length = rng.uniform(1.0, 3.0)
            jitter = rng.normal(0.0, 0.05, 2)
            vector = length * np.array([math.cos(angle), math.sin(angle)]) + jitter
            rows.append((f"{blob}{i:02d}", [float(x) for x in vector], False))
    rows.append(("zero", [0.0, 0.0], True))
    return rows


@pytest.fixture(scope="module")
def embeddings(spark):
    return spark.createDataFrame(toy_vectors(), EMBEDDINGS_SCHEMA).repartition(2).cache()


@pytest.fixture(scope="module")
def model(embeddings):
    return nodes.fit_kmeans(embeddings, 3, 7, 20, 1e-4, True)


@pytest.fixture(scope="module")
def clusters(embeddings, model):
    return {row[RESUME_ID]: row[CLUSTER] for row in nodes.assign_clusters(embeddings, model, True).collect()}


def test_separable_clusters_recovered(clusters):
    by_blob = {blob: {clusters[rid] for rid in clusters if rid.startswith(blob) and rid != "zero"} for blob in "abc"}
    assert all(len(found) == 1 for found in by_blob.values())  # each blob in one cluster
    assert len(set().union(*by_blob.values())) == 3  # three different clusters


def test_zero_vector_resume_gets_a_cluster(clusters):
    assert len(clusters) == 91 and "zero" in clusters
    assert isinstance(clusters["zero"], int)


def test_same_seed_same_centres(embeddings, model):
    again = nodes.fit_kmeans(embeddings, 3, 7, 20, 1e-4, True)
    np.testing.assert_array_equal(np.array(model.clusterCenters()), np.array(again.clusterCenters()))


def test_export_cluster_centres(model):
    centres = nodes.export_cluster_centres(model, True)
    assert (centres["k"], centres["normalised"], centres["dimension"]) == (3, True, 2)
    assert len(centres["centres"]) == 3 and all(len(c) == 2 for c in centres["centres"])
    assert all(isinstance(x, float) for c in centres["centres"] for x in c)


def test_nearest_centre_equals_spark(model, clusters):
    centres = nodes.export_cluster_centres(model, True)
    rows = toy_vectors()
    predicted = nearest_centre(np.array([vector for _, vector, _ in rows]), centres)
    assert predicted.tolist() == [clusters[rid] for rid, _, _ in rows]


def test_nearest_centre_by_hand():
    plain = {"k": 2, "normalised": False, "centres": [[0.0, 0.0], [10.0, 0.0]]}
    # 1 is nearer 0, 9 nearer 10, 5 is a tie -> the lower cluster
    assert nearest_centre(np.array([[1.0, 0.0], [9.0, 0.0], [5.0, 0.0]]), plain).tolist() == [0, 1, 0]
    unit = {"k": 2, "normalised": True, "centres": [[1.0, 0.0], [0.0, 1.0]]}
    # (0.1, 3) scaled to unit length is near (0, 1); the zero vector stays zero: tie -> 0
    assert nearest_centre(np.array([[0.1, 3.0], [0.0, 0.0]]), unit).tolist() == [1, 0]
    with pytest.raises(ValueError, match="3 dimensions"):
        nearest_centre(np.zeros((1, 3)), unit)


def test_score_clustering(embeddings, model):
    resume_clusters = nodes.assign_clusters(embeddings, model, True)
    scores = nodes.score_clustering(embeddings, resume_clusters, True)
    assert sorted(scores["sizes"].values())[0] >= 30 and sum(scores["sizes"].values()) == 91
    assert scores["zero_vector_resumes"] == 1
    assert scores["silhouette"] > 0.9 and scores["silhouette_cosine"] > 0.9


def test_fit_kmeans_missing_column_named(embeddings):
    with pytest.raises(ValueError, match=r"resume_embeddings is missing columns \['embedding'\]"):
        nodes.fit_kmeans(embeddings.drop(EMBEDDING), 3, 7, 20, 1e-4, True)


def test_sweep_k(embeddings):
    sweep = nodes.sweep_k(embeddings, [2, 3], 5, {}, {}, 7, 20, 1e-4, True)
    assert [entry["k"] for entry in sweep] == [2, 3]
    assert sweep[1]["silhouette"] > sweep[0]["silhouette"]  # the true k scores best
    assert sum(sweep[1]["sizes"]) == 90  # zero vectors are not fitted
    assert nodes.sweep_k(embeddings, [], 5, {}, {}, 7, 20, 1e-4, True) == []


def test_sweep_k_takes_the_models_own_k_from_its_fit_and_scores(embeddings):
    resume_clusters, _, summary = nodes.cluster_resumes(embeddings, 3, 7, 20, 1e-4, True)
    scores = nodes.score_clustering(embeddings, resume_clusters, True)
    fitted = nodes.sweep_k(embeddings, [3], 5, {}, {}, 7, 20, 1e-4, True)[0]  # k=3 fitted by the sweep itself
    reused = nodes.sweep_k(embeddings, [3, 2], 3, summary, scores, 7, 20, 1e-4, True)
    assert [entry["k"] for entry in reused] == [3, 2]
    assert reused[0] == fitted  # the same figures as a fit of its own
    sentinel = {"silhouette": 0.125, "silhouette_cosine": 0.25, "training_cost": 0.5, "training_sizes": [1, 2]}
    own = nodes.sweep_k(embeddings, [3], 3, sentinel, sentinel, 7, 20, 1e-4, True)
    assert own == [{"k": 3, "silhouette": 0.125, "silhouette_cosine": 0.25, "training_cost": 0.5, "sizes": [1, 2]}]


# --- characteristic words, by hand ----------------------------------------------------------------
# Cluster 0: r0, r1 hold nurse, care; r2, r3 hold nurse.  Cluster 1: r4, r5 hold code, care; r6, r7 code.
# nurse in cluster 0: x1 = 4 of n1 = 4, x2 = 0 of n2 = 4; alpha = 0.5:
#   lor = ln(4.5 / 0.5) - ln(0.5 / 4.5) = 2 ln 9,  se = sqrt(1/4.5 + 1/0.5 + 1/0.5 + 1/4.5)
# care in cluster 0: x1 = 2 of 4, x2 = 2 of 4: lor = 0, z = 0; lift = (2/4) / (4/8) = 1.
Z_ALL_VS_NONE = 2 * math.log(9) / math.sqrt(2 / 4.5 + 4)


def _expected_words():
    return {
        "0": [{"word": "nurse", "z": round(Z_ALL_VS_NONE, 4), "share": 1.0, "lift": 2.0, "documents": 4},
              {"word": "care", "z": 0.0, "share": 0.5, "lift": 1.0, "documents": 2}],
        "1": [{"word": "code", "z": round(Z_ALL_VS_NONE, 4), "share": 1.0, "lift": 2.0, "documents": 4},
              {"word": "care", "z": 0.0, "share": 0.5, "lift": 1.0, "documents": 2}],
    }


def test_characteristic_word_scores_by_hand():
    counts = pd.DataFrame(
        {"cluster": [0, 0, 1, 1], "token": ["nurse", "care", "code", "care"], "documents": [4, 2, 4, 2],
         "total": [4, 4, 4, 4]}
    )
    assert nodes.characteristic_word_scores(counts, {0: 4, 1: 4}, min_documents=2, top_n=2) == _expected_words()
    # min_documents drops words seen in fewer resumes of the cluster
    assert nodes.characteristic_word_scores(counts, {0: 4, 1: 4}, min_documents=3, top_n=5) == {
        "0": [_expected_words()["0"][0]], "1": [_expected_words()["1"][0]]}


def test_find_characteristic_words_on_spark(spark):
    resume_tokens = {"r0": ["nurse", "nurse", "care"], "r1": ["care", "nurse"], "r2": ["nurse"], "r3": ["nurse"],
                     "r4": ["code", "care"], "r5": ["code", "care"], "r6": ["code"], "r7": ["code", "code"]}
    rows = [("resume", rid, tokens) for rid, tokens in resume_tokens.items()]
    rows.append(("job", "r0", ["code", "code"]))  # a job's words never count
    document_tokens = spark.createDataFrame(rows, f"{DOC_TYPE} string, {DOC_ID} string, {TOKENS} array<string>")
    resume_clusters = spark.createDataFrame([(rid, int(rid[1]) // 4) for rid in resume_tokens],
                                            f"{RESUME_ID} string, {CLUSTER} int")
    assert nodes.find_characteristic_words(document_tokens, resume_clusters, 2, 2) == _expected_words()


def test_cluster_resumes_gives_clusters_centres_and_summary(embeddings, model, clusters):
    resume_clusters, centres, summary = nodes.cluster_resumes(embeddings, 3, 7, 20, 1e-4, True)
    assert {row[RESUME_ID]: row[CLUSTER] for row in resume_clusters.collect()} == clusters
    np.testing.assert_array_equal(np.array(centres["centres"]), np.array(model.clusterCenters()))
    assert summary["iterations"] >= 1 and summary["training_cost"] > 0
    assert summary["training_sizes"] == sorted(summary["training_sizes"]) and sum(summary["training_sizes"]) == 90


def test_report_clusters(model):
    centres = nodes.export_cluster_centres(model, True)
    summary = {"iterations": 3, "training_cost": 1.5}
    report = nodes.report_clusters(centres, summary, {"sizes": {"0": 1}, "silhouette": 0.5}, {"0": []}, [], 7, 20)
    assert report["k"] == 3 and report["normalised"] is True and report["seed"] == 7
    assert report["silhouette"] == 0.5 and report["k_sweep"] == [] and report["iterations"] >= 1
