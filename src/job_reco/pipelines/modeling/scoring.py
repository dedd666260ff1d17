"""Scoring with the per-cluster models: every ensemble mode on the validation slice, the choice, the test split."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import (
    CLUSTER,
    CTR_SMOOTHED,
    JOB_CLICKS,
    JOB_ID,
    JOB_IMPRESSIONS,
    JOB_VECTOR,
    LABEL,
    POSITION,
    RESUME_ID,
    RESUME_VECTOR,
    SEARCH_ID,
    SPLIT,
    SUBSET,
    TEST,
    V1_SCORED_IMPRESSIONS_COLUMNS,
    VALIDATION,
    score_column,
)
from job_reco.models.ncf import (
    cluster_model_weights,
    check_interactions,
    feature_width,
    model_features,
    ncf_click_probability,
)
from job_reco.models.features import vector_matrix
from job_reco.models.ensemble import ENSEMBLE_MODES, ensemble_scores
from job_reco.json_values import json_number
from job_reco.pipelines.modeling.inputs import _unit_hash
from job_reco.metrics.spark import ips_mrr_sums
from job_reco.spark_udf import bind as _bind
from job_reco.text.vectors import centre_distances, cosine_similarity, parse_centres

logger = logging.getLogger(__name__)

AUTO = "auto"

def _score_partitions(
    batches: Iterator[pd.DataFrame],
    *,
    models: list[tuple[int, list[np.ndarray], bool]],
    centres: np.ndarray,
    normalised: bool,
    temperature: float,
    modes: Sequence[str],
    keep: Sequence[str],
    interactions: Sequence[str],
) -> Iterator[pd.DataFrame]:
    """mapInPandas body: every model's click probability per row, combined by each mode, plus cosine."""
    model_clusters = [cluster for cluster, _, _ in models]
    for frame in batches:
        width = centres.shape[1]
        resume, job = (vector_matrix(frame[c], np.float32, width) for c in (RESUME_VECTOR, JOB_VECTOR))
        features = model_features(resume, job, interactions)
        probabilities = np.column_stack([ncf_click_probability(w, features, final_relu=relu) for _, w, relu in models])
        distances = centre_distances(resume, centres, normalised=normalised)
        # A resume without a cluster (new since clustering) goes to its nearest centre.
        known = frame[CLUSTER].to_numpy(dtype=np.float64, na_value=np.nan)
        row_clusters = np.where(np.isnan(known), np.argmin(distances, axis=1), known)
        out = frame[list(keep)].copy()
        for mode in modes:
            out[score_column(mode)] = ensemble_scores(
                mode, probabilities, model_clusters, row_clusters=row_clusters, distances=distances, temperature=temperature
            )
        out[score_column("cosine")] = cosine_similarity(resume, job)
        yield out


def _score_with_models(
    rows: DataFrame,
    cluster_models: Mapping[str, Any],
    cluster_centres: Mapping[str, Any],
    soft_temperature: float,
    modes: Sequence[str],
    keep: Sequence[str],
    network: Mapping[str, Any],
) -> DataFrame:
    """Rows scored by the given ensemble modes and cosine, in Spark (weights shipped with the task)."""
    centres, normalised = parse_centres(cluster_centres)
    models = cluster_model_weights(cluster_models)
    interactions = check_interactions(network.get("interactions"))
    width = feature_width(centres.shape[1], interactions)
    wrong = [cluster for cluster, weights, _ in models if weights[0].shape[0] != width]
    if wrong:
        raise ValueError(
            f"cluster_models {wrong} (data/06_models/ncf/) take inputs of width {models[0][1][0].shape[0]} but "
            f"modeling.network.interactions={list(interactions)} on {centres.shape[1]}-d vectors gives {width}: "
            "train and score with the same interactions"
        )
    unknown = [cluster for cluster, _, _ in models if not 0 <= cluster < centres.shape[0]]
    if unknown:
        raise ValueError(f"cluster_models has clusters {unknown} that cluster_centres (k={centres.shape[0]}) lacks")
    schema = T.StructType(
        [rows.schema[c] for c in keep]
        + [T.StructField(score_column(m), T.DoubleType()) for m in (*modes, "cosine")]
    )
    body = _bind(
        _score_partitions,
        models=models,
        centres=centres,
        normalised=normalised,
        temperature=float(soft_temperature),
        modes=tuple(modes),
        keep=tuple(keep),
        interactions=interactions,
    )
    return rows.mapInPandas(body, schema)


def score_validation_ensembles(
    model_inputs: DataFrame,
    cluster_models: Mapping[str, Any],
    cluster_centres: Mapping[str, Any],
    soft_temperature: float,
    network: Mapping[str, Any] | None = None,
) -> DataFrame:
    """The validation slice scored by every ensemble mode (score_routed, score_soft, score_average).

    `network` (modeling.network) gives the interactions the models were trained with.
    """
    validation = model_inputs.filter(F.col(SUBSET) == F.lit(VALIDATION))
    keep = (SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL)
    return _score_with_models(
        validation, cluster_models, cluster_centres, soft_temperature, ENSEMBLE_MODES, keep, network or {}
    )


def select_ensemble_mode(
    validation_ensemble_scores: DataFrame,
    propensity: Mapping[str, float],
    ensemble_mode: str,
    ips_clip: float,
) -> dict[str, Any]:
    """Score each ensemble mode's IPS-weighted MRR on the validation slice; pick the best ("auto") or the forced one.

    IPS-MRR = sum of w_c / rank_c over sums of w_c (job_reco.metrics), summed per bucket of groups
    in Spark (`job_reco.metrics.spark.ips_mrr_sums`), so the slice never comes to the driver. Ties go to the earlier of routed, soft, average.
    """
    if ensemble_mode != AUTO and ensemble_mode not in ENSEMBLE_MODES:
        raise ValueError(f"modeling.ensemble_mode must be 'auto' or one of {ENSEMBLE_MODES}, got {ensemble_mode!r}")
    columns = {score_column(mode): mode for mode in ENSEMBLE_MODES}
    sums = ips_mrr_sums(validation_ensemble_scores, list(columns), propensity, ips_clip)
    totals = [{"mode": columns[column], **values} for column, values in sums.items()]
    scores = {
        row["mode"]: {
            "ips_mrr": json_number(row["ips_numerator"] / row["ips_denominator"]) if row["ips_denominator"] else None,
            "mrr": json_number(row["reciprocal_rank_sum"] / row["groups"]) if row["groups"] else None,
        }
        for row in totals
    }
    first = totals[0] if totals else None
    ranked = [m for m in ENSEMBLE_MODES if m in scores and scores[m]["ips_mrr"] is not None]
    best = max(ranked, key=lambda m: (scores[m]["ips_mrr"], -ENSEMBLE_MODES.index(m))) if ranked else None
    if ensemble_mode != AUTO:
        selected, reason = ensemble_mode, "forced by modeling.ensemble_mode"
    elif best is not None:
        selected, reason = best, "highest IPS-weighted MRR on the validation slice"
    else:
        selected, reason = ENSEMBLE_MODES[0], "no validation clicks to compare on: the default, routed"
        logger.warning("Ensemble selection had no validation clicks; using %s.", selected)
    logger.info("Ensemble modes on validation (IPS-MRR): %s; selected %s.", scores, selected)
    return {
        "selected": selected,
        "requested": ensemble_mode,
        "reason": reason,
        "best_on_validation": best,
        "criterion": "ips_mrr",
        "ips_clip": float(ips_clip),
        "validation": {
            "groups": int(first["groups"]) if first else 0,
            "clicks": int(first["clicks"]) if first else 0,
            "rows": int(first["rows"]) if first else 0,
        },
        "scores": {m: scores.get(m, {"ips_mrr": None, "mrr": None}) for m in ENSEMBLE_MODES},
    }


def score_test_impressions(
    model_inputs: DataFrame,
    cluster_models: Mapping[str, Any],
    cluster_centres: Mapping[str, Any],
    ensemble_selection: Mapping[str, Any],
    job_popularity: DataFrame,
    soft_temperature: float,
    seed: int,
    network: Mapping[str, Any] | None = None,
) -> DataFrame:
    """The test split with score_ensemble (the selected mode) and the baselines: the contract's scored_impressions.

    score_search = -position; score_cosine = cosine of the resume and job vectors (0 for a zero
    vector); score_popularity = the job's smoothed train CTR (the prior for a job unseen in train);
    score_random = a seeded hash of the row's ids, uniform in [0, 1). `network` (modeling.network)
    gives the interactions the models were trained with.
    """
    mode = ensemble_selection["selected"]
    test = model_inputs.filter(F.col(SUBSET) == F.lit(TEST))
    keep = (SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SPLIT)
    scored = _score_with_models(test, cluster_models, cluster_centres, soft_temperature, (mode,), keep, network or {})
    scored = scored.withColumnRenamed(score_column(mode), score_column("ensemble"))
    impressions, clicks = job_popularity.agg(F.sum(JOB_IMPRESSIONS), F.sum(JOB_CLICKS)).first()
    prior = float(clicks) / float(impressions) if impressions else 0.0
    popularity = job_popularity.select(JOB_ID, F.col(CTR_SMOOTHED))
    with_baselines = (
        scored.join(popularity, on=JOB_ID, how="left")
        .withColumn(score_column("popularity"), F.coalesce(F.col(CTR_SMOOTHED), F.lit(prior)))
        .withColumn(score_column("search"), -F.col(POSITION).cast("double"))
        .withColumn(score_column("random"), _unit_hash(SEARCH_ID, RESUME_ID, JOB_ID, seed=seed))
    )
    casts = {score_column(r): "double" for r in ("ensemble", "cosine", "popularity", "search", "random")}
    casts.update({POSITION: "int", LABEL: "int"})
    return with_baselines.select(*(F.col(c).cast(casts[c]).alias(c) if c in casts else F.col(c) for c in V1_SCORED_IMPRESSIONS_COLUMNS))
