"""Nodes of modeling: per-cluster NCF models trained in parallel on Spark, the ensemble, the baselines.

Data flow (docs/modeling.md):

1. `mark_validation_groups`: the latest `validation_fraction` of the training groups (in time, as
   the test split is) become the validation slice: early stopping and the choice of ensemble.
2. `assemble_model_inputs`: each impression with its resume vector, job vector and resume cluster.
3. `train_cluster_models`: `groupBy(cluster).applyInPandas`: one Spark task per cluster trains its
   NCF (`job_reco.ncf.train_ncf`) and returns weights, history and position factors as one row.
4. `build_cluster_models`, `summarise_training`, `estimate_propensity`: the driver turns those rows
   into Keras models, the training history and the examination curve.
5. `score_validation_ensembles` + `select_ensemble_mode`: every ensemble mode scored on the
   validation slice (`mapInPandas`, numpy forward pass), the best IPS-weighted MRR wins.
6. `compute_job_popularity`, `score_test_impressions`: the test split scored by the chosen
   ensemble and the four baselines, into the contract's `scored_impressions`.

Impressions never reach the driver: only per-cluster results, counts and metric sums do.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark import TaskContext
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.spark_udf import bind as _bind
from job_reco.validation import require_columns
from job_reco import metrics
from job_reco.columns import (
    CLUSTER,
    CTR_SMOOTHED,
    EMBEDDING,
    JOB_CLICKS,
    JOB_ID,
    JOB_IMPRESSIONS,
    JOB_VECTOR,
    JOB_VECTOR_MISSING,
    LABEL,
    POSITION,
    RESUME_ID,
    RESUME_VECTOR,
    RESUME_VECTOR_MISSING,
    V1_SCORED_IMPRESSIONS_COLUMNS,
    SEARCH_ID,
    SEARCHED_AT,
    SPLIT,
    SUBSET,
    TEST,
    TRAIN,
    VALIDATION,
    score_column,
)
from job_reco.ncf import (
    NCFConfig,
    build_ncf,
    check_interactions,
    configure_tensorflow,
    feature_width,
    model_features,
    model_input_layout,
    ncf_click_probability,
    ncf_weights,
    train_ncf,
    weights_from_bytes,
    weights_to_bytes,
)
from job_reco.pipelines.modeling.ensemble import ENSEMBLE_MODES, ensemble_scores
from job_reco.vectors import centre_distances, cosine_similarity, parse_centres

logger = logging.getLogger(__name__)

AUTO = "auto"
TRAINED, SKIPPED = "trained", "skipped"
MODEL_PREFIX = "cluster_"
# Groups of the validation slice are spread over this many buckets to sum IPS-MRR in parallel.
SELECTION_BUCKETS = 64
SPLIT_ACCURACY = 10_000
_UNIT = 1 << 53  # hash -> uniform in [0, 1) with 53 bits, a double's mantissa
_SLOT = "_slot"
_DRAW = "_draw"
_BUCKET = "_bucket"

TRAINING_RESULT_SCHEMA = T.StructType(
    [
        T.StructField(CLUSTER, T.IntegerType()),
        T.StructField("status", T.StringType()),
        T.StructField("spark_partition", T.IntegerType()),
        T.StructField("reason", T.StringType()),
        T.StructField("rows_available", T.LongType()),
        T.StructField("rows_train", T.LongType()),
        T.StructField("rows_validation", T.LongType()),
        T.StructField("positives", T.LongType()),
        T.StructField("epochs_run", T.IntegerType()),
        T.StructField("best_epoch", T.IntegerType()),
        T.StructField("validation_auc", T.DoubleType()),
        T.StructField("validation_loss", T.DoubleType()),
        T.StructField("seconds", T.DoubleType()),
        T.StructField("samples_per_second", T.DoubleType()),
        T.StructField("final_relu", T.BooleanType()),
        T.StructField("history", T.StringType()),
        T.StructField("weights", T.BinaryType()),
        T.StructField("examination", T.ArrayType(T.DoubleType())),
        T.StructField("position_rows", T.ArrayType(T.LongType())),
        T.StructField("position_clicks", T.ArrayType(T.LongType())),
    ]
)


def _unit_hash(*columns: str, seed: int) -> Column:
    """A uniform [0, 1) draw per row from a hash of `columns` and `seed`: same row, same draw, any partitioning."""
    hashed = F.xxhash64(*(F.col(c) for c in columns), F.lit(int(seed)))
    return F.pmod(hashed, F.lit(_UNIT)).cast("double") / float(_UNIT)


def mark_validation_groups(labeled_impressions: DataFrame, validation_fraction: float) -> DataFrame:
    """Add `subset`: "test" for the test split; "validation" for the latest training groups in time; else "train".

    The cut-off is the approximate (1 - validation_fraction) quantile of searched_at over the
    training rows; a group's rows share one searched_at, so no group is split. Test rows are never
    used for training, early stopping or choosing the ensemble.
    """
    require_columns(
        labeled_impressions,
        [SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SEARCHED_AT, SPLIT],
        "labeled_impressions",
        "data/03_primary/labeled_impressions.parquet",
    )
    if not 0 <= validation_fraction < 1:
        raise ValueError(f"modeling.validation_fraction must lie in [0, 1), got {validation_fraction}")
    micros = F.unix_micros(F.col(SEARCHED_AT))
    is_train = F.col(SPLIT) == F.lit(TRAIN)
    cutoff = None
    if validation_fraction > 0:
        cutoff = (
            labeled_impressions.filter(is_train)
            .agg(F.percentile_approx(micros, 1 - validation_fraction, SPLIT_ACCURACY))
            .first()[0]
        )
    logger.info("Validation slice: training groups searched after %s us since the epoch.", cutoff)
    is_validation = (micros > F.lit(cutoff)) if cutoff is not None else F.lit(False)
    subset = (
        F.when(F.col(SPLIT) == F.lit(TEST), F.lit(TEST))
        .when(is_train & is_validation, F.lit(VALIDATION))
        .when(is_train, F.lit(TRAIN))
    )
    return labeled_impressions.withColumn(SUBSET, subset)


def _vector_dimension(embeddings: DataFrame, name: str, path: str) -> int:
    """The one dimension of an embeddings table's vectors (error if they differ or the table is empty)."""
    low, high = embeddings.agg(F.min(F.size(EMBEDDING)), F.max(F.size(EMBEDDING))).first()
    if low is None or low != high or low < 1:
        raise ValueError(f"{name}.{EMBEDDING} should hold vectors of one dimension; got sizes {low} to {high} ({path})")
    return int(low)


def assemble_model_inputs(
    modeling_impressions: DataFrame,
    resume_embeddings: DataFrame,
    job_embeddings: DataFrame,
    resume_clusters: DataFrame,
) -> DataFrame:
    """Each impression with its resume vector, job vector (float32) and resume cluster (null if none).

    A resume or job without a vector gets a zero vector and a `*_vector_missing` flag (counted by
    `train_cluster_models`), so no impression is dropped.
    """
    require_columns(resume_embeddings, [RESUME_ID, EMBEDDING], "resume_embeddings", "data/04_feature/resume_embeddings.parquet")
    require_columns(job_embeddings, [JOB_ID, EMBEDDING], "job_embeddings", "data/04_feature/job_embeddings.parquet")
    require_columns(resume_clusters, [RESUME_ID, CLUSTER], "resume_clusters", "data/04_feature/resume_clusters.parquet")
    resume_dim = _vector_dimension(resume_embeddings, "resume_embeddings", "data/04_feature/resume_embeddings.parquet")
    job_dim = _vector_dimension(job_embeddings, "job_embeddings", "data/04_feature/job_embeddings.parquet")
    if resume_dim != job_dim:
        raise ValueError(f"resume vectors have {resume_dim} dimensions and job vectors {job_dim}: they must match")
    zeros = F.array_repeat(F.lit(0.0).cast("float"), resume_dim)
    resumes = resume_embeddings.select(RESUME_ID, F.col(EMBEDDING).cast("array<float>").alias(RESUME_VECTOR))
    jobs = job_embeddings.select(JOB_ID, F.col(EMBEDDING).cast("array<float>").alias(JOB_VECTOR))
    clusters = resume_clusters.select(RESUME_ID, F.col(CLUSTER).cast("int").alias(CLUSTER))
    joined = (
        modeling_impressions.select(SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL, SPLIT, SUBSET)
        .join(resumes, on=RESUME_ID, how="left")
        .join(jobs, on=JOB_ID, how="left")
        .join(clusters, on=RESUME_ID, how="left")
    )
    return (
        joined.withColumn(RESUME_VECTOR_MISSING, F.col(RESUME_VECTOR).isNull())
        .withColumn(JOB_VECTOR_MISSING, F.col(JOB_VECTOR).isNull())
        .withColumn(RESUME_VECTOR, F.coalesce(F.col(RESUME_VECTOR), zeros))
        .withColumn(JOB_VECTOR, F.coalesce(F.col(JOB_VECTOR), zeros))
        .withColumn(POSITION, F.col(POSITION).cast("int"))
        .withColumn(LABEL, F.col(LABEL).cast("int"))
    )


def _partition_slots(spark, n_partitions: int) -> list[int]:
    """Ints s_0..s_{n-1} such that Spark's hash partitioning into n sends s_i to partition i.

    `repartition(n, col)` places a row in pmod(murmur3(col), n), the same as `F.hash`; hashing the
    cluster numbers themselves can put two clusters in one task (and AQE may merge small ones), so
    each cluster gets the slot key of its own partition and trains in its own task.
    """
    candidates = spark.range(0, 64 * n_partitions + 64).select(F.col("id").cast("int").alias(_SLOT))
    found = (
        candidates.withColumn("part", F.pmod(F.hash(F.col(_SLOT)), F.lit(n_partitions)))
        .groupBy("part")
        .agg(F.min(_SLOT).alias(_SLOT))
        .collect()
    )
    slots = {row["part"]: row[_SLOT] for row in found}
    if len(slots) < n_partitions:  # pragma: no cover - murmur3 covers every residue long before that
        raise RuntimeError(f"could not find hash slots for {n_partitions} partitions")
    return [slots[part] for part in range(n_partitions)]


def _stack(column: pd.Series, width: int) -> np.ndarray:
    """An object column of equal-length arrays as one (n, width) float32 matrix."""
    if len(column) == 0:
        return np.zeros((0, width), dtype=np.float32)
    return np.stack(column.to_numpy()).astype(np.float32, copy=False)


def _train_cluster_task(
    key: tuple,
    frame: pd.DataFrame,
    *,
    config: dict[str, Any],
    seed: int,
    max_rows: int,
    min_rows: int,
    threads: int | None,
    dimension: int,
) -> pd.DataFrame:
    """One Spark task: train the NCF of one cluster on its rows and return one result row."""
    cluster = int(key[-1])
    ncf_config = NCFConfig(**config)
    # Spark delivers rows in no fixed order: sort them so the same data gives the same arrays.
    frame = frame.sort_values([SEARCH_ID, RESUME_ID, JOB_ID], kind="mergesort", ignore_index=True)
    train = frame[frame[SUBSET] == TRAIN]
    available = len(train)
    if available > max_rows:  # exact cap: the rows with the smallest seeded draws
        train = train.nsmallest(max_rows, _DRAW).sort_index()
    validation = frame[frame[SUBSET] == VALIDATION]
    context = TaskContext.get()
    result: dict[str, Any] = dict.fromkeys(TRAINING_RESULT_SCHEMA.fieldNames())
    result |= {
        CLUSTER: cluster,
        "spark_partition": context.partitionId() if context else None,
        "rows_available": available,
        "rows_train": len(train),
        "rows_validation": len(validation),
        "positives": int((train[LABEL] > 0).sum()),
        "final_relu": ncf_config.final_relu,
    }
    if len(train) < min_rows or result["positives"] == 0 or result["positives"] == len(train):
        reason = f"{len(train)} training rows with {result['positives']} clicks (need >= {min_rows} rows and both labels)"
        return pd.DataFrame([{**result, "status": SKIPPED, "reason": reason}])
    configure_tensorflow(threads)  # before TensorFlow does any work in this worker
    interactions = ncf_config.interactions

    def features(rows: pd.DataFrame) -> np.ndarray:
        return model_features(_stack(rows[RESUME_VECTOR], dimension), _stack(rows[JOB_VECTOR], dimension), interactions)

    trained = train_ncf(
        features(train),
        train[POSITION].to_numpy(),
        train[LABEL].to_numpy(),
        config=ncf_config,
        seed=int(seed) + cluster,
        validation=(
            (features(validation), validation[POSITION].to_numpy(), validation[LABEL].to_numpy())
            if len(validation)
            else None
        ),
    )
    result.update(
        status=TRAINED,
        reason=None,
        rows_train=trained.n_train,
        positives=trained.n_positive,
        epochs_run=trained.epochs_run,
        best_epoch=trained.best_epoch,
        validation_auc=trained.validation_auc,
        validation_loss=trained.validation_loss,
        seconds=trained.seconds,
        samples_per_second=trained.samples_per_second,
        history=json.dumps(trained.history),
        weights=weights_to_bytes(trained.weights),
        examination=None if trained.examination is None else trained.examination.tolist(),
        position_rows=trained.position_rows.tolist(),
        position_clicks=trained.position_clicks.tolist(),
    )
    return pd.DataFrame([result])


def train_cluster_models(
    model_inputs: DataFrame,
    network: Mapping[str, Any],
    training: Mapping[str, Any],
    position_bias: str,
    max_position: int,
    max_rows_per_cluster: int,
    min_rows_per_cluster: int,
    tf_threads_per_task: int | None,
    seed: int,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Train one NCF per resume cluster, each in its own Spark task; return their results and row counts.

    Rows of a cluster above `max_rows_per_cluster` are sampled out (seeded hash draw, then an exact
    cap in the task). Training rows without a cluster or with a missing vector are counted, not hidden.
    """
    config = NCFConfig.from_params(network, training, position_bias=position_bias, max_position=max_position)
    rows = model_inputs.filter(F.col(SUBSET).isin(TRAIN, VALIDATION))
    counts = (
        rows.groupBy(CLUSTER, SUBSET)
        .agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(F.col(RESUME_VECTOR_MISSING).cast("long")).alias("resume_missing"),
            F.sum(F.col(JOB_VECTOR_MISSING).cast("long")).alias("job_missing"),
        )
        .collect()
    )
    summary = {
        "rows_without_cluster": sum(r["rows"] for r in counts if r[CLUSTER] is None),
        "rows_missing_resume_vector": sum(r["resume_missing"] for r in counts),
        "rows_missing_job_vector": sum(r["job_missing"] for r in counts),
        "rows_by_cluster": {
            str(c): {s: sum(r["rows"] for r in counts if r[CLUSTER] == c and r[SUBSET] == s) for s in (TRAIN, VALIDATION)}
            for c in sorted({r[CLUSTER] for r in counts if r[CLUSTER] is not None})
        },
    }
    if summary["rows_without_cluster"]:
        logger.warning("%d training rows have no resume cluster and are left out of training.", summary["rows_without_cluster"])
    if summary["rows_missing_resume_vector"] or summary["rows_missing_job_vector"]:
        logger.warning(
            "Training rows with a zero vector for lack of an embedding: %d resume, %d job.",
            summary["rows_missing_resume_vector"],
            summary["rows_missing_job_vector"],
        )
    clusters = [int(c) for c in summary["rows_by_cluster"]]
    if not clusters:
        raise ValueError("no training rows with a resume cluster: labeled_impressions x resume_clusters is empty")
    fraction = {
        c: min(1.0, 1.05 * max_rows_per_cluster / max(1, summary["rows_by_cluster"][str(c)][TRAIN])) for c in clusters
    }
    slots = _partition_slots(model_inputs.sparkSession, len(clusters))
    slot_of = F.create_map(*(F.lit(x) for c, s in zip(clusters, slots, strict=True) for x in (c, s)))
    fraction_of = F.create_map(*(F.lit(x) for c in clusters for x in (c, fraction[c])))
    dimension = len(model_inputs.select(RESUME_VECTOR).first()[0])
    sampled = (
        rows.filter(F.col(CLUSTER).isNotNull())
        .withColumn(_DRAW, _unit_hash(SEARCH_ID, RESUME_ID, JOB_ID, seed=seed))
        .filter(F.col(_DRAW) < fraction_of[F.col(CLUSTER)])
        .select(
            slot_of[F.col(CLUSTER)].alias(_SLOT),
            CLUSTER,
            SUBSET,
            SEARCH_ID,
            RESUME_ID,
            JOB_ID,
            POSITION,
            LABEL,
            _DRAW,
            RESUME_VECTOR,
            JOB_VECTOR,
        )
    )
    task = _bind(
        _train_cluster_task,
        with_key=True,
        config={**config.to_dict(), "hidden_units": tuple(config.hidden_units)},
        seed=seed,
        max_rows=max_rows_per_cluster,
        min_rows=min_rows_per_cluster,
        threads=tf_threads_per_task,
        dimension=dimension,
    )
    results = (
        sampled.repartition(len(clusters), F.col(_SLOT))
        .groupBy(_SLOT, CLUSTER)
        .applyInPandas(task, TRAINING_RESULT_SCHEMA)
        .toPandas()
        .sort_values(CLUSTER, ignore_index=True)
    )
    summary["config"] = config.to_dict()
    # What every saved model (data/06_models/ncf/*.keras) takes as its `features` input.
    summary["model_input"] = model_input_layout(dimension, config.interactions)
    summary["seed"] = int(seed)
    summary["max_rows_per_cluster"] = int(max_rows_per_cluster)
    for row in results.itertuples():
        logger.info(
            "cluster %d: %s, %d training rows, %s epochs, validation AUC %s, %.0f samples/s",
            row.cluster, row.status, row.rows_train, row.epochs_run, row.validation_auc, row.samples_per_second or 0,
        )
    return results, summary


def build_cluster_models(cluster_training_results: pd.DataFrame) -> dict[str, Any]:
    """Keras models {"cluster_<c>": model} rebuilt from the weights the training tasks returned."""
    models = {}
    for row in cluster_training_results[cluster_training_results["status"] == TRAINED].itertuples():
        weights = weights_from_bytes(row.weights)
        model = build_ncf(
            weights[0].shape[0],
            hidden_units=[w.shape[1] for w in weights[0:-2:2]],
            final_relu=bool(row.final_relu),
        )
        model.set_weights(weights)
        models[f"{MODEL_PREFIX}{int(row.cluster)}"] = model
    if not models:
        raise ValueError("no cluster had enough training rows to train a model; see training_history")
    return models


def _json_number(value: Any) -> Any:
    """A number for JSON: NaN and missing become None."""
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _curve(values: Sequence[float], rows: Sequence[int]) -> dict[str, float]:
    """{"position": value} for the positions (>= 1) that had training rows."""
    return {str(p): float(values[p]) for p in range(1, len(values)) if rows[p] > 0}


def summarise_training(cluster_training_results: pd.DataFrame, training_data_summary: Mapping[str, Any]) -> dict:
    """training_history: per cluster the rows, epochs, validation AUC, loss/AUC per epoch and position curve."""
    clusters = {}
    for row in cluster_training_results.itertuples():
        entry = {
            "status": row.status,
            "reason": row.reason,
            "rows_available": int(row.rows_available),
            "rows_train": int(row.rows_train),
            "rows_validation": int(row.rows_validation),
            "positives": int(row.positives),
            "spark_partition": None if pd.isna(row.spark_partition) else int(row.spark_partition),
        }
        if row.status == TRAINED:
            entry.update(
                epochs_run=int(row.epochs_run),
                best_epoch=int(row.best_epoch),
                validation_auc=_json_number(row.validation_auc),
                validation_loss=_json_number(row.validation_loss),
                seconds=round(float(row.seconds), 3),
                samples_per_second=round(float(row.samples_per_second)),
                history={k: [_json_number(v) for v in values] for k, values in json.loads(row.history).items()},
            )
            if row.examination is not None:
                entry["examination"] = _curve(row.examination, row.position_rows)
        clusters[str(int(row.cluster))] = entry
    trained = cluster_training_results[cluster_training_results["status"] == TRAINED]
    total_rows = float((trained["rows_train"] * trained["epochs_run"]).sum())
    return {
        **dict(training_data_summary),
        "clusters_trained": int(len(trained)),
        "samples_per_second_per_task": round(total_rows / float(trained["seconds"].sum())) if len(trained) else None,
        "clusters": clusters,
    }


def estimate_propensity(cluster_training_results: pd.DataFrame, position_bias: str) -> dict[str, float]:
    """The examination curve {"1": 1.0, "2": ..}: PAL's learned factors, pooled over clusters.

    "pal": each cluster's P(seen | p) / P(seen | 1), averaged over clusters weighted by that
    cluster's training rows at position p. "none": no curve was learned, so the click-through
    rate at p over the rate at position 1 in the training rows; that ratio mixes examination with
    relevance (search puts better jobs on top), so it overstates the position effect.
    """
    trained = cluster_training_results[cluster_training_results["status"] == TRAINED]
    rows = np.array([list(r) for r in trained["position_rows"]], dtype=np.float64)
    if rows.size == 0:
        raise ValueError("no trained cluster: cannot estimate the examination curve")
    total_rows = rows.sum(axis=0)
    if position_bias == "pal":
        curves = np.array([list(e) for e in trained["examination"]], dtype=np.float64)
        pooled = (rows * curves).sum(axis=0) / np.where(total_rows > 0, total_rows, 1.0)
    else:
        clicks = np.array([list(c) for c in trained["position_clicks"]], dtype=np.float64).sum(axis=0)
        ctr = clicks / np.where(total_rows > 0, total_rows, 1.0)
        if total_rows[1] == 0 or ctr[1] == 0:
            raise ValueError("no clicks at position 1 in the training rows: cannot scale click rates by position")
        pooled = ctr / ctr[1]
    if total_rows[1] == 0:
        raise ValueError("no training rows at position 1: the examination curve has no reference")
    curve = _curve(pooled, total_rows)
    curve["1"] = 1.0
    return curve


def _model_weights(cluster_models: Mapping[str, Any]) -> list[tuple[int, list[np.ndarray], bool]]:
    """(cluster, weights, final_relu) per model, sorted by cluster; loads lazily saved partitions."""
    import keras  # noqa: PLC0415

    found = []
    for key, value in cluster_models.items():
        model = value if isinstance(value, keras.Model) else value()
        weights, final_relu = ncf_weights(model)
        found.append((int(str(key).removeprefix(MODEL_PREFIX)), weights, final_relu))
    if not found:
        raise ValueError("cluster_models is empty (data/06_models/ncf/)")
    return sorted(found, key=lambda item: item[0])


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
        resume, job = _stack(frame[RESUME_VECTOR], width), _stack(frame[JOB_VECTOR], width)
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
    models = _model_weights(cluster_models)
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


def _ips_sums(frame: pd.DataFrame, *, propensity: Mapping[str, float], clip: float) -> pd.DataFrame:
    """applyInPandas body: per mode, the IPS-MRR numerator and denominator and the MRR sum of one bucket of groups."""
    rows = []
    for mode in ENSEMBLE_MODES:
        ranked = metrics.rank_groups(frame, score_column(mode))
        numerator, denominator = metrics.ips_reciprocal_rank_sums(ranked, propensity, clip)
        rows.append(
            {
                "mode": mode,
                "ips_numerator": float(numerator.sum()),
                "ips_denominator": float(denominator.sum()),
                "reciprocal_rank_sum": float(metrics.reciprocal_ranks(ranked).sum()),
                "groups": int(ranked.n_groups),
                "clicks": int((frame[LABEL] > 0).sum()),
                "rows": len(frame),
            }
        )
    return pd.DataFrame(rows)


def select_ensemble_mode(
    validation_ensemble_scores: DataFrame,
    propensity: Mapping[str, float],
    ensemble_mode: str,
    ips_clip: float,
) -> dict[str, Any]:
    """Score each ensemble mode's IPS-weighted MRR on the validation slice; pick the best ("auto") or the forced one.

    IPS-MRR = sum of w_c / rank_c over sums of w_c (job_reco.metrics), summed per bucket of groups
    in Spark, so the slice never comes to the driver. Ties go to the earlier of routed, soft, average.
    """
    if ensemble_mode != AUTO and ensemble_mode not in ENSEMBLE_MODES:
        raise ValueError(f"modeling.ensemble_mode must be 'auto' or one of {ENSEMBLE_MODES}, got {ensemble_mode!r}")
    schema = "mode string, ips_numerator double, ips_denominator double, reciprocal_rank_sum double, groups long, clicks long, rows long"
    bucket = F.pmod(F.xxhash64(F.col(SEARCH_ID), F.col(RESUME_ID)), F.lit(SELECTION_BUCKETS))
    totals = (
        validation_ensemble_scores.withColumn(_BUCKET, bucket)
        .groupBy(_BUCKET)
        .applyInPandas(_bind(_ips_sums, propensity=dict(propensity), clip=float(ips_clip)), schema)
        .groupBy("mode")
        .agg(*(F.sum(c).alias(c) for c in ("ips_numerator", "ips_denominator", "reciprocal_rank_sum", "groups", "clicks", "rows")))
        .collect()
    )
    scores = {
        row["mode"]: {
            "ips_mrr": _json_number(row["ips_numerator"] / row["ips_denominator"]) if row["ips_denominator"] else None,
            "mrr": _json_number(row["reciprocal_rank_sum"] / row["groups"]) if row["groups"] else None,
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


def smoothed_ctr(clicks: np.ndarray | float, impressions: np.ndarray | float, prior: float, smoothing: float):
    """(clicks + m * prior) / (impressions + m): the CTR shrunk toward the prior by m pseudo-impressions."""
    return (np.asarray(clicks, dtype=np.float64) + smoothing * prior) / (np.asarray(impressions, dtype=np.float64) + smoothing)


def compute_job_popularity(labeled_impressions: DataFrame, popularity_smoothing: float) -> DataFrame:
    """Per job in the train split: impressions, clicks, ctr_smoothed = (clicks + m * prior) / (impressions + m).

    prior = the global click-through rate of the train split; m = popularity_smoothing.
    """
    require_columns(labeled_impressions, [JOB_ID, LABEL, SPLIT], "labeled_impressions", "data/03_primary/labeled_impressions.parquet")
    if popularity_smoothing < 0:
        raise ValueError(f"modeling.popularity_smoothing must be >= 0, got {popularity_smoothing}")
    train = labeled_impressions.filter(F.col(SPLIT) == F.lit(TRAIN))
    prior = train.agg(F.avg(F.col(LABEL).cast("double"))).first()[0]
    if prior is None:
        raise ValueError("labeled_impressions has no train rows: cannot compute job popularity")
    counts = train.groupBy(JOB_ID).agg(
        F.count(F.lit(1)).alias(JOB_IMPRESSIONS), F.sum(F.col(LABEL).cast("long")).alias(JOB_CLICKS)
    )
    m = float(popularity_smoothing)
    ctr = (F.col(JOB_CLICKS) + F.lit(m * prior)) / (F.col(JOB_IMPRESSIONS) + F.lit(m))
    return counts.withColumn(CTR_SMOOTHED, ctr.cast("double"))


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
