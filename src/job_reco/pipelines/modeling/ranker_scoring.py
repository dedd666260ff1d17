"""Scoring with the v2 ranker (numpy forward pass in mapInArrow batches), its saved artifacts, and the model choice.

The ranker is saved as a Keras model (`ranker_model`, data/06_models/ranker/model.keras) beside its
input layout (`ranker_layout`, layout.json): feature blocks, side features with their
standardisation, vector dimension, architecture. Scoring reads both and refuses a pair that
does not fit, so a model is never fed inputs it was not trained on.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import SCORED_IMPRESSIONS_COLUMNS, JOB_ID, LABEL, POSITION, RESUME_ID, SEARCH_ID, SUBSET, VALIDATION, score_column
from job_reco.pipelines.modeling.ranker_inputs import TRAINING_SOURCE
from job_reco.models.ranker import ranker_scores
from job_reco.models.ranker_layout import check_ranker_artifacts, row_inputs
from job_reco.pipelines.modeling.ranker_training import ranker_columns
from job_reco.metrics.spark import ips_mrr_sums
from job_reco.spark_udf import bind, pandas_batches_in_arrow

logger = logging.getLogger(__name__)

RANKER = "ranker"
PER_CLUSTER = "per_cluster"
ARCHITECTURES = (PER_CLUSTER, RANKER, "blend")


def _score_batches(batches: Iterator[pd.DataFrame], *, weights, layout, keep) -> Iterator[pd.DataFrame]:
    for frame in batches:
        features, cosine, cluster = row_inputs(frame, layout)
        out = frame[list(keep)].copy()
        # Rounded to 1e-6: a float32 network whose last bits differ between two TensorFlow processes
        # (observed: 7e-9) must still give the same scores, and so the same blend, run after run.
        out[score_column(RANKER)] = np.round(ranker_scores(weights, features, cosine, cluster, len(layout["hidden_units"])), 6)
        out[score_column("cosine")] = cosine.astype(np.float64)
        yield out


def score_ranker_rows(rows: DataFrame, model: Any, layout: Mapping[str, Any], keep: tuple[str, ...]) -> DataFrame:
    """`rows` with score_ranker (and score_cosine, the same cosine the ranker starts from)."""
    weights = check_ranker_artifacts(model, layout, len(rows.select("resume_vector").first()[0]))
    side, columns = ranker_columns(rows, layout["side_features"])
    missing = sorted(set(layout["side_features"]) - set(side))
    if missing:
        raise ValueError(f"the ranker needs side features {missing}, whose columns these rows lack (ranker_inputs)")
    schema = T.StructType([rows.schema[c] for c in keep] + [T.StructField(score_column(n), T.DoubleType()) for n in (RANKER, "cosine")])
    body = bind(_score_batches, weights=weights, layout=dict(layout), keep=tuple(keep))
    return rows.select(*sorted(set(columns) | set(keep))).mapInArrow(pandas_batches_in_arrow(body, schema), schema)


BLEND = "blend"


def blend_column(weight: float, stats: Mapping[str, float]) -> F.Column:
    """weight x standardised score_ranker + (1 - weight) x standardised score_gbdt (statistics of the validation rows)."""
    ranker = (F.col(score_column(RANKER)) - F.lit(stats["ranker_mean"])) / F.lit(stats["ranker_std"])
    gbdt = (F.col(score_column("gbdt")) - F.lit(stats["gbdt_mean"])) / F.lit(stats["gbdt_std"])
    return F.lit(float(weight)) * ranker + F.lit(1.0 - float(weight)) * gbdt


def score_validation_candidates(
    ranker_inputs: DataFrame,
    ranker_model: Any,
    ranker_layout: Mapping[str, Any],
    gbdt_model: Any,
    propensity: Mapping[str, float],
    ips_clip: float,
    blend_weights: list[float],
) -> dict[str, Any]:
    """IPS-weighted MRR on the validation slice's evaluation groups of the ranker and of its blends with LambdaMART.

    A blend is w x ranker + (1 - w) x gbdt, each standardised by its mean and deviation over these
    rows (saved, so the test split is scored with the same numbers); w = 0 would be the baseline
    alone and is not a candidate.
    """
    from job_reco.pipelines.modeling.gbdt import predict_gbdt  # noqa: PLC0415

    rows = ranker_inputs.filter((F.col(TRAINING_SOURCE) == "evaluation") & (F.col(SUBSET) == F.lit(VALIDATION)))
    keys = (SEARCH_ID, RESUME_ID, JOB_ID)
    scored = score_ranker_rows(rows, ranker_model, ranker_layout, (*keys, POSITION, LABEL)).drop(score_column("cosine"))
    scored = scored.join(predict_gbdt(rows, gbdt_model, ranker_layout, keys), on=list(keys)).cache()
    moments = scored.agg(*(F.mean(score_column(n)).alias(f"{n}_mean") for n in (RANKER, "gbdt")),
                         *(F.stddev_pop(score_column(n)).alias(f"{n}_std") for n in (RANKER, "gbdt"))).first()
    # Rounded: the last bits of a Spark sum depend on the partitioning; the blend must not.
    stats = {key: float(f"{float(moments[key] or 0.0):.9g}") for key in ("ranker_mean", "gbdt_mean", "ranker_std", "gbdt_std")}
    stats = {key: (value if not key.endswith("_std") or value > 0 else 1.0) for key, value in stats.items()}
    weights = [float(w) for w in blend_weights if 0 < float(w) < 1]
    candidates = {score_column(RANKER): RANKER, **{f"_blend_{i}": f"{BLEND}:{w}" for i, w in enumerate(weights)}}
    for i, w in enumerate(weights):
        scored = scored.withColumn(f"_blend_{i}", blend_column(w, stats))
    sums = ips_mrr_sums(scored, list(candidates), propensity, ips_clip)
    scored.unpersist()
    values = {candidates[c]: (float(v["ips_numerator"] / v["ips_denominator"]) if v["ips_denominator"] else None)
              for c, v in sums.items()}
    return {"ips_mrr": values, "standardisation": stats, "ips_clip": float(ips_clip)}


def select_architecture(
    ensemble_selection: Mapping[str, Any], validation_candidates: Mapping[str, Any], architecture: str
) -> dict[str, Any]:
    """Which model's score becomes score_ensemble: "auto" = the highest validation IPS-MRR (earlier candidates win ties).

    Candidates: per_cluster (the original design's ensemble, its best mode), ranker, and
    blend:<w> (ranker with LambdaMART); `architecture` forces per_cluster, ranker or blend (its best w).
    """
    per_cluster = ensemble_selection["scores"][ensemble_selection["selected"]]["ips_mrr"]
    scores = {PER_CLUSTER: per_cluster, **validation_candidates["ips_mrr"]}
    if architecture != "auto" and architecture not in ARCHITECTURES:
        raise ValueError(f"modeling.architecture must be 'auto' or one of {ARCHITECTURES}, got {architecture!r}")
    allowed = [c for c in scores if scores[c] is not None and (architecture == "auto" or c.split(":")[0] == architecture)]
    selected = max(allowed, key=lambda c: (scores[c], -list(scores).index(c))) if allowed else PER_CLUSTER
    reason = "highest IPS-weighted MRR on the validation slice's evaluation groups"
    if architecture != "auto":
        reason = f"forced by modeling.architecture ({architecture}); {reason} among its variants"
    logger.info("Architectures on validation (IPS-MRR): %s; selected %s.", scores, selected)
    return {
        "selected": selected.split(":")[0],
        "blend_weight": float(selected.split(":")[1]) if selected.startswith(BLEND) else None,
        "standardisation": validation_candidates["standardisation"],
        "requested": architecture,
        "reason": reason,
        "validation_ips_mrr": scores,
    }


def add_ranker_scores(
    scored_original: DataFrame,
    ranker_inputs: DataFrame,
    ranker_model: Any,
    ranker_layout: Mapping[str, Any],
    architecture_selection: Mapping[str, Any],
) -> DataFrame:
    """The test split's scores plus score_ranker; score_ncf_original keeps the per-cluster ensemble, score_ensemble the chosen model.

    `scored_original` already has score_gbdt (a blend needs it).
    """
    test = ranker_inputs.filter((F.col(TRAINING_SOURCE) == "evaluation") & (F.col(SUBSET) == F.lit("test")))
    keys = (SEARCH_ID, RESUME_ID, JOB_ID)
    ranked = score_ranker_rows(test, ranker_model, ranker_layout, keys).drop(score_column("cosine"))
    joined = scored_original.withColumn(score_column("ncf_original"), F.col(score_column("ensemble"))).join(
        ranked, on=list(keys), how="left"
    )
    # A row without both vectors gets no ranker score: it goes last, and is counted.
    joined = joined.withColumn(score_column(RANKER), F.coalesce(F.col(score_column(RANKER)), F.lit(-1e9)))
    if architecture_selection["selected"] == RANKER:
        joined = joined.withColumn(score_column("ensemble"), F.col(score_column(RANKER)))
    elif architecture_selection["selected"] == BLEND:
        blend = blend_column(architecture_selection["blend_weight"], architecture_selection["standardisation"])
        joined = joined.withColumn(score_column("ensemble"), blend.cast("double"))
    return joined.select(*SCORED_IMPRESSIONS_COLUMNS)
