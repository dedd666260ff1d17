"""Nodes of the clustering pipeline: K-means (k-means||) on resume vectors, and what each group is.

`job_reco.text.vectors.nearest_centre` and `characteristic_word_scores` are pure numpy/pandas: the first assigns a new
resume to a cluster without Spark (from `cluster_centres`), the second is the word statistic the
report uses.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.validation import require_columns
from job_reco.columns import CLUSTER, DOC_ID, DOC_TYPE, DOC_TYPE_RESUME, EMBEDDING, IS_ZERO_VECTOR, RESUME_ID, TOKENS

logger = logging.getLogger(__name__)

FEATURES = "features"
PREDICTION = "prediction"
TOKEN = "token"


def resume_features(resume_embeddings: DataFrame, normalise: bool) -> DataFrame:
    """resume_id, is_zero_vector and `features` (ML vector, unit length when `normalise`)."""
    from pyspark.ml.feature import Normalizer
    from pyspark.ml.functions import array_to_vector

    require_columns(resume_embeddings, (RESUME_ID, EMBEDDING), "resume_embeddings")
    zero = F.col(IS_ZERO_VECTOR) if IS_ZERO_VECTOR in resume_embeddings.columns else F.lit(False)
    vectors = resume_embeddings.select(
        RESUME_ID, F.coalesce(zero, F.lit(False)).alias(IS_ZERO_VECTOR), array_to_vector(EMBEDDING).alias("_vector")
    )
    if normalise:
        # A zero vector stays zero (Spark's Normalizer leaves it as it is).
        return Normalizer(p=2.0, inputCol="_vector", outputCol=FEATURES).transform(vectors).drop("_vector")
    return vectors.withColumnRenamed("_vector", FEATURES)


def _kmeans(k: int, seed: int, max_iter: int, tol: float):
    from pyspark.ml.clustering import KMeans

    return KMeans(
        k=int(k), seed=int(seed), maxIter=int(max_iter), tol=float(tol), initMode="k-means||",
        featuresCol=FEATURES, predictionCol=PREDICTION,
    )


def fit_kmeans(resume_embeddings: DataFrame, k: int, seed: int, max_iter: int, tol: float, normalise: bool):
    """Spark K-means (k-means|| initialisation) on the resume vectors that are not zero."""
    training = resume_features(resume_embeddings, normalise).filter(~F.col(IS_ZERO_VECTOR))
    model = _kmeans(k, seed, max_iter, tol).fit(training)
    summary = model.summary
    logger.info("K-means: k=%s (%s centres), %s iterations, training cost %.4g.",
                k, len(model.clusterCenters()), summary.numIter, summary.trainingCost)
    if len(model.clusterCenters()) < k:
        logger.warning("K-means found only %s distinct centres for k=%s.", len(model.clusterCenters()), k)
    return model


def assign_clusters(resume_embeddings: DataFrame, kmeans_model: Any, normalise: bool) -> DataFrame:
    """resume_id, cluster (int) for every resume, zero vectors included (nearest centre)."""
    features = resume_features(resume_embeddings, normalise)
    return kmeans_model.transform(features).select(RESUME_ID, F.col(PREDICTION).cast("int").alias(CLUSTER))


def cluster_resumes(
    resume_embeddings: DataFrame, k: int, seed: int, max_iter: int, tol: float, normalise: bool
) -> tuple[DataFrame, dict[str, Any], dict[str, Any]]:
    """Fit K-means and give resume_clusters, cluster_centres and the fit's summary.

    The Spark model itself stays inside this node (it cannot be copied between nodes); its centres
    are all a later step needs.
    """
    model = fit_kmeans(resume_embeddings, k, seed, max_iter, tol, normalise)
    summary = {"iterations": int(model.summary.numIter), "training_cost": float(model.summary.trainingCost),
               "training_sizes": sorted(int(size) for size in model.summary.clusterSizes)}
    return assign_clusters(resume_embeddings, model, normalise), export_cluster_centres(model, normalise), summary


def export_cluster_centres(kmeans_model: Any, normalise: bool) -> dict[str, Any]:
    """{"k", "normalised", "centres"}: enough to assign a new resume with `job_reco.text.vectors.nearest_centre`."""
    centres = [[float(x) for x in centre] for centre in kmeans_model.clusterCenters()]
    return {
        "k": len(centres),
        "normalised": bool(normalise),
        "distance": "euclidean",
        "dimension": len(centres[0]) if centres else 0,
        "centres": centres,
    }


def _silhouettes(predictions: DataFrame) -> dict[str, float]:
    from pyspark.ml.evaluation import ClusteringEvaluator

    scores = {}
    for name, measure in (("silhouette", "squaredEuclidean"), ("silhouette_cosine", "cosine")):
        evaluator = ClusteringEvaluator(featuresCol=FEATURES, predictionCol=PREDICTION, metricName="silhouette",
                                        distanceMeasure=measure)
        scores[name] = float(evaluator.evaluate(predictions))
    return scores


def score_clustering(resume_embeddings: DataFrame, resume_clusters: DataFrame, normalise: bool) -> dict[str, Any]:
    """Cluster sizes, zero-vector resumes, and silhouettes (squared Euclidean in the fitted space,
    and cosine) over the resumes that have a vector."""
    require_columns(resume_clusters, (RESUME_ID, CLUSTER), "resume_clusters")
    joined = resume_features(resume_embeddings, normalise).join(resume_clusters, RESUME_ID)
    sizes = {int(row[CLUSTER]): int(row["count"]) for row in joined.groupBy(CLUSTER).count().collect()}
    n_zero = joined.filter(F.col(IS_ZERO_VECTOR)).count()
    scored = joined.filter(~F.col(IS_ZERO_VECTOR)).withColumn(PREDICTION, F.col(CLUSTER).cast("double"))
    silhouettes = _silhouettes(scored) if len(sizes) > 1 else {"silhouette": None, "silhouette_cosine": None}
    logger.info("Clusters: sizes %s; silhouette %s (cosine %s).", dict(sorted(sizes.items())),
                silhouettes["silhouette"], silhouettes["silhouette_cosine"])
    return {
        "sizes": {str(cluster): sizes[cluster] for cluster in sorted(sizes)},
        "zero_vector_resumes": int(n_zero),
        **silhouettes,
    }


def sweep_k(
    resume_embeddings: DataFrame, k_values: list[int], k: int, kmeans_summary: dict[str, Any],
    clustering_scores: dict[str, Any], seed: int, max_iter: int, tol: float, normalise: bool,
) -> list[dict[str, Any]]:
    """Silhouettes, sizes and training cost of K-means for each k of `k_values`, in that order.

    The model's own k is not fitted again: `cluster_resumes` fitted it on the same rows with the same
    settings and `score_clustering` scored it (the same figures; a third of the sweep's time).
    """
    results = {}
    if int(k) in k_values:
        results[int(k)] = {"k": int(k), "silhouette": clustering_scores["silhouette"],
                           "silhouette_cosine": clustering_scores["silhouette_cosine"],
                           "training_cost": kmeans_summary["training_cost"], "sizes": kmeans_summary["training_sizes"]}
    others = [value for value in k_values if int(value) != int(k)]
    if others:
        training = resume_features(resume_embeddings, normalise).filter(~F.col(IS_ZERO_VECTOR)).cache()
        try:
            for value in others:
                model = _kmeans(value, seed, max_iter, tol).fit(training)
                results[int(value)] = {"k": int(value), **_silhouettes(model.transform(training)),
                                       "training_cost": float(model.summary.trainingCost),
                                       "sizes": sorted(int(size) for size in model.summary.clusterSizes)}
        finally:
            training.unpersist()
    for value in k_values:
        logger.info("k=%s: silhouette %s (cosine %s).", value, results[int(value)]["silhouette"],
                    results[int(value)]["silhouette_cosine"])
    return [results[int(value)] for value in k_values]


def characteristic_word_scores(
    counts: pd.DataFrame, cluster_sizes: dict[int, int], *, min_documents: int, top_n: int, alpha: float = 0.5
) -> dict[str, list[dict[str, Any]]]:
    """Most characteristic words of each cluster: the z-score of the log-odds ratio of a word's
    document frequency in the cluster against the other resumes (Monroe et al. 2008, smoothed by
    `alpha`).

    counts: cluster, token, documents (resumes of the cluster holding the token), total (resumes
    of all clusters holding it). With x1 of n1 resumes in the cluster and x2 of n2 outside:
        lor = ln((x1+a)/(n1-x1+a)) - ln((x2+a)/(n2-x2+a)),
        z   = lor / sqrt(1/(x1+a) + 1/(n1-x1+a) + 1/(x2+a) + 1/(n2-x2+a)).
    Words in fewer than `min_documents` of the cluster's resumes are left out. Top `top_n` by z
    (ties by word), each with its z, its share of the cluster's resumes and its lift
    (share in the cluster / share overall).
    """
    total_resumes = sum(cluster_sizes.values())
    result: dict[str, list[dict[str, Any]]] = {str(cluster): [] for cluster in sorted(cluster_sizes)}
    if counts.empty:
        return result
    frame = counts.copy()
    n1 = frame["cluster"].map(cluster_sizes).astype(float)
    x1 = frame["documents"].astype(float)
    x2 = frame["total"].astype(float) - x1
    n2 = total_resumes - n1
    lor = np.log((x1 + alpha) / (n1 - x1 + alpha)) - np.log((x2 + alpha) / (n2 - x2 + alpha))
    se = np.sqrt(1 / (x1 + alpha) + 1 / (n1 - x1 + alpha) + 1 / (x2 + alpha) + 1 / (n2 - x2 + alpha))
    frame["z"] = lor / se
    frame["share"] = x1 / n1
    frame["lift"] = frame["share"] / (frame["total"] / total_resumes)
    frame = frame[frame["documents"] >= min_documents].sort_values(
        ["cluster", "z", "token"], ascending=[True, False, True]
    )
    for cluster, group in frame.groupby("cluster", sort=True):
        result[str(int(cluster))] = [
            {"word": row.token, "z": round(float(row.z), 4), "share": round(float(row.share), 4),
             "lift": round(float(row.lift), 4), "documents": int(row.documents)}
            for row in group.head(top_n).itertuples()
        ]
    return result


def find_characteristic_words(
    document_tokens: DataFrame, resume_clusters: DataFrame, min_documents: int, top_n: int
) -> dict[str, list[dict[str, Any]]]:
    """The words that set each cluster's resumes apart, so a person can read what each group is.

    Spark counts, per cluster and word, the resumes holding it; only (cluster, word) pairs seen in at
    least `min_documents` resumes reach the driver (at most k x vocabulary rows).
    """
    require_columns(document_tokens, (DOC_TYPE, DOC_ID, TOKENS), "document_tokens")
    resumes = document_tokens.filter(F.col(DOC_TYPE) == DOC_TYPE_RESUME).select(
        F.col(DOC_ID).alias(RESUME_ID), F.array_distinct(TOKENS).alias(TOKENS)
    )
    clustered = resumes.join(resume_clusters.select(RESUME_ID, CLUSTER), RESUME_ID)
    sizes = {int(row[CLUSTER]): int(row["count"]) for row in clustered.groupBy(CLUSTER).count().collect()}
    per_cluster = (
        clustered.select(CLUSTER, F.explode(TOKENS).alias(TOKEN))
        .groupBy(CLUSTER, TOKEN)
        .agg(F.count(F.lit(1)).alias("documents"))
    )
    totals = per_cluster.groupBy(TOKEN).agg(F.sum("documents").alias("total"))
    counts = (
        per_cluster.filter(F.col("documents") >= int(min_documents))
        .join(totals, TOKEN)
        .toPandas()
        .rename(columns={CLUSTER: "cluster"})
    )
    return characteristic_word_scores(counts, sizes, min_documents=int(min_documents), top_n=int(top_n))


def report_clusters(
    cluster_centres: dict[str, Any],
    kmeans_summary: dict[str, Any],
    clustering_scores: dict[str, Any],
    characteristic_words: dict[str, list[dict[str, Any]]],
    k_sweep: list[dict[str, Any]],
    seed: int,
    max_iter: int,
) -> dict[str, Any]:
    """cluster_report: sizes, silhouettes, characteristic words per cluster, and the k sweep."""
    return {
        "k": cluster_centres["k"],
        "normalised": cluster_centres["normalised"],
        "seed": int(seed),
        "max_iter": int(max_iter),
        **kmeans_summary,
        **clustering_scores,
        "characteristic_words": characteristic_words,
        "k_sweep": k_sweep,
    }
