"""Per-cluster training (the original design): one NCF per resume cluster, each in its own Spark task.

`train_cluster_models` hands each cluster's rows to one task (`groupBy(cluster).applyInArrow`, the
vectors kept in Arrow: `spark_udf.pandas_in_arrow`),
which trains its NCF (`job_reco.models.ncf_training.train_ncf`) and returns weights, history and position factors
as one row; the driver turns those rows into Keras models, the history and PAL's curve.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pyspark import TaskContext
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from job_reco.columns import (
    CLUSTER,
    JOB_ID,
    JOB_VECTOR,
    JOB_VECTOR_MISSING,
    LABEL,
    POSITION,
    RESUME_ID,
    RESUME_VECTOR,
    RESUME_VECTOR_MISSING,
    SEARCH_ID,
    SUBSET,
    TRAIN,
    VALIDATION,
)
from job_reco.models.ncf import (
    NCFConfig,
    build_ncf,
    model_features,
    MODEL_PREFIX,
    model_input_layout,
)
from job_reco.models.weights import weight_list_from_bytes, weight_list_to_bytes
from job_reco.models.features import vector_matrix
from job_reco.json_values import json_number
from job_reco.models.ncf_training import train_ncf
from job_reco.pipelines.modeling.inputs import _unit_hash
from job_reco.spark_udf import bind as _bind
from job_reco.spark_udf import key_order, pandas_in_arrow

logger = logging.getLogger(__name__)

TRAINED, SKIPPED = "trained", "skipped"
_SLOT = "_slot"
_DRAW = "_draw"

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
        T.StructField("cpu_seconds", T.DoubleType()),
        T.StructField("trained_from", T.DoubleType()),
        T.StructField("trained_until", T.DoubleType()),
        T.StructField("final_relu", T.BooleanType()),
        T.StructField("history", T.StringType()),
        T.StructField("weights", T.BinaryType()),
        T.StructField("examination", T.ArrayType(T.DoubleType())),
        T.StructField("position_rows", T.ArrayType(T.LongType())),
        T.StructField("position_clicks", T.ArrayType(T.LongType())),
    ]
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


def _cluster_rows(frame: pd.DataFrame, max_rows: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(training rows, validation rows, training rows available) of a task's frame, as positions in it.

    Each subset is in the order of (search_id, resume_id, job_id): Spark delivers rows in no fixed
    order, and the same data must give the same arrays. Above `max_rows` training rows, those with the
    smallest seeded draws are kept (ties to the earlier row, as `nsmallest`). Only positions move: the
    vector columns are read once, by the caller (a sorted copy of the frame cost ~1 s per 350k rows).
    """
    order = key_order(frame, (SEARCH_ID, RESUME_ID, JOB_ID))
    subsets = frame[SUBSET].to_numpy()[order]
    train, validation = order[subsets == TRAIN], order[subsets == VALIDATION]
    available = len(train)
    if available > max_rows:
        kept = np.argsort(frame[_DRAW].to_numpy()[train], kind="stable")[:max_rows]
        train = train[np.sort(kept)]
    return train, validation, available


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
    train, validation, available = _cluster_rows(frame, max_rows)
    labels, positions = frame[LABEL].to_numpy(), frame[POSITION].to_numpy()
    context = TaskContext.get()
    result: dict[str, Any] = dict.fromkeys(TRAINING_RESULT_SCHEMA.fieldNames())
    result |= {
        CLUSTER: cluster,
        "spark_partition": context.partitionId() if context else None,
        "rows_available": available,
        "rows_train": len(train),
        "rows_validation": len(validation),
        "positives": int((labels[train] > 0).sum()),
        "final_relu": ncf_config.final_relu,
    }
    if len(train) < min_rows or result["positives"] == 0 or result["positives"] == len(train):
        reason = f"{len(train)} training rows with {result['positives']} clicks (need >= {min_rows} rows and both labels)"
        return pd.DataFrame([{**result, "status": SKIPPED, "reason": reason}])
    resume, job = (vector_matrix(frame[c], np.float32, dimension) for c in (RESUME_VECTOR, JOB_VECTOR))
    train_inputs, validation_inputs = (model_features(resume[rows], job[rows], ncf_config.interactions)
                                       for rows in (train, validation))
    del resume, job  # every row's vectors: not held through the training
    trained = train_ncf(
        train_inputs,
        positions[train],
        labels[train],
        config=ncf_config,
        seed=int(seed) + cluster,
        validation=(validation_inputs, positions[validation], labels[validation]) if len(validation) else None,
        threads=threads,  # a fixed TensorFlow thread count: the same data give the same weights
    )
    return pd.DataFrame([{**result, **_trained_fields(trained)}])


def _trained_fields(trained) -> dict[str, Any]:
    """The result row's fields that a trained NCF (`TrainedNCF`) fills."""
    return {
        "status": TRAINED, "reason": None, "rows_train": trained.n_train, "positives": trained.n_positive,
        "epochs_run": trained.epochs_run, "best_epoch": trained.best_epoch, "validation_auc": trained.validation_auc,
        "validation_loss": trained.validation_loss, "seconds": trained.seconds,
        "samples_per_second": trained.samples_per_second, "cpu_seconds": trained.cpu_seconds,
        "trained_from": trained.trained_from, "trained_until": trained.trained_until,
        "history": json.dumps(trained.history), "weights": weight_list_to_bytes(trained.weights),
        "examination": None if trained.examination is None else trained.examination.tolist(),
        "position_rows": trained.position_rows.tolist(), "position_clicks": trained.position_clicks.tolist(),
    }


def _training_row_counts(rows: DataFrame) -> dict[str, Any]:
    """Training and validation rows per cluster, and those without a cluster or with a missing vector."""
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
    return summary


def _rows_by_slot(rows: DataFrame, rows_by_cluster: Mapping[str, Mapping[str, int]], max_rows: int, seed: int) -> DataFrame:
    """The rows each cluster's task reads, under the slot key of its own partition; a seeded draw
    samples a cluster's rows down to about 1.05 x `max_rows` (the task caps exactly)."""
    clusters = [int(c) for c in rows_by_cluster]
    fraction = {c: min(1.0, 1.05 * max_rows / max(1, rows_by_cluster[str(c)][TRAIN])) for c in clusters}
    slots = _partition_slots(rows.sparkSession, len(clusters))
    slot_of = F.create_map(*(F.lit(x) for c, s in zip(clusters, slots, strict=True) for x in (c, s)))
    fraction_of = F.create_map(*(F.lit(x) for c in clusters for x in (c, fraction[c])))
    return (
        rows.filter(F.col(CLUSTER).isNotNull())
        .withColumn(_DRAW, _unit_hash(SEARCH_ID, RESUME_ID, JOB_ID, seed=seed))
        .filter(F.col(_DRAW) < fraction_of[F.col(CLUSTER)])
        .select(slot_of[F.col(CLUSTER)].alias(_SLOT), CLUSTER, SUBSET, SEARCH_ID, RESUME_ID, JOB_ID, POSITION, LABEL,
                _DRAW, RESUME_VECTOR, JOB_VECTOR)
        .repartition(len(clusters), F.col(_SLOT))
    )


def _log_training(results: pd.DataFrame) -> None:
    """One line per cluster, and the clusters' rate on one time line."""
    for row in results.itertuples():
        logger.info(
            "cluster %d: %s, %d training rows, %s epochs, validation AUC %s, %.0f samples/s (%.0f per CPU second)",
            row.cluster, row.status, row.rows_train, row.epochs_run, row.validation_auc, row.samples_per_second or 0,
            (row.rows_train * row.epochs_run / row.cpu_seconds) if row.cpu_seconds else 0,
        )
    rates = _training_rates(results)
    if rates["samples_per_second_all_tasks"]:
        logger.info("all clusters: %d samples/s on the cores together, over %.1f s", rates["samples_per_second_all_tasks"],
                    rates["training_span_s"])


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
    summary = _training_row_counts(rows)
    if not summary["rows_by_cluster"]:
        raise ValueError("no training rows with a resume cluster: labeled_impressions x resume_clusters is empty")
    dimension = len(model_inputs.select(RESUME_VECTOR).first()[0])
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
        _rows_by_slot(rows, summary["rows_by_cluster"], max_rows_per_cluster, seed)
        .groupBy(_SLOT, CLUSTER)
        .applyInArrow(pandas_in_arrow(task, TRAINING_RESULT_SCHEMA, with_key=True), TRAINING_RESULT_SCHEMA)
        .toPandas()
        .sort_values(CLUSTER, ignore_index=True)
    )
    summary["config"] = config.to_dict()
    # What every saved model (data/06_models/ncf/*.keras) takes as its `features` input.
    summary["model_input"] = model_input_layout(dimension, config.interactions)
    summary["seed"] = int(seed)
    summary["max_rows_per_cluster"] = int(max_rows_per_cluster)
    _log_training(results)
    return results, summary


def build_cluster_models(cluster_training_results: pd.DataFrame) -> dict[str, Any]:
    """Keras models {"cluster_<c>": model} rebuilt from the weights the training tasks returned."""
    models = {}
    for row in cluster_training_results[cluster_training_results["status"] == TRAINED].itertuples():
        weights = weight_list_from_bytes(row.weights)
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
                validation_auc=json_number(row.validation_auc),
                validation_loss=json_number(row.validation_loss),
                seconds=round(float(row.seconds), 3),
                samples_per_second=round(float(row.samples_per_second)),
                cpu_seconds=round(float(row.cpu_seconds), 3),
                trained_from=round(float(row.trained_from), 3),
                trained_until=round(float(row.trained_until), 3),
                history={k: [json_number(v) for v in values] for k, values in json.loads(row.history).items()},
            )
            if row.examination is not None:
                entry["examination"] = _curve(row.examination, row.position_rows)
        clusters[str(int(row.cluster))] = entry
    return {**dict(training_data_summary), **_training_rates(cluster_training_results), "clusters": clusters}


def _training_rates(cluster_training_results: pd.DataFrame) -> dict[str, Any]:
    """Samples (rows x epochs) per second of the training loops: per task, per CPU second, and of all tasks together."""
    trained = cluster_training_results[cluster_training_results["status"] == TRAINED]
    if not len(trained):
        return {"clusters_trained": 0, "samples_per_second_per_task": None, "samples_per_cpu_second_per_task": None,
                "samples_per_second_all_tasks": None, "training_span_s": None}
    total_rows = float((trained["rows_train"] * trained["epochs_run"]).sum())
    # All tasks on one time line, from the first epoch's start to the last task's end: what the cores
    # together did, the pauses between a worker's clusters (reading the next one's rows) included.
    span = float(trained["trained_until"].max() - trained["trained_from"].min())
    return {
        "clusters_trained": int(len(trained)),
        "samples_per_second_per_task": round(total_rows / float(trained["seconds"].sum())),
        # Per CPU second of the training loops: what one free core gives, whatever else the machine runs.
        "samples_per_cpu_second_per_task": round(total_rows / float(trained["cpu_seconds"].sum())),
        "samples_per_second_all_tasks": round(total_rows / span) if span > 0 else None,
        "training_span_s": round(span, 3),
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
