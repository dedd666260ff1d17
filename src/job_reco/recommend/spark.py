"""Recommendations for many resumes on Spark: the recommender travels with the tasks, each batch is numpy (mapInPandas)."""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from job_reco.columns import RESUME_ID, TEXT
from job_reco.recommend.recommender import LOCATION_COLUMNS, JobRecommender
from job_reco.spark_udf import bind

RECOMMENDATIONS_SCHEMA = f"{RESUME_ID} string, rank int, job_id string, score double"


def _recommend_batches(batches: Iterator[pd.DataFrame], *, recommender: JobRecommender, k: int) -> Iterator[pd.DataFrame]:
    for frame in batches:
        out = recommender.recommend_batch(frame, k)
        yield out.astype({RESUME_ID: str, "rank": "int32", "job_id": str, "score": "float64"})


def recommend_on_spark(resumes: DataFrame, recommender: JobRecommender, k: int) -> DataFrame:
    """resume_id, rank, job_id, score for every row of `resumes` (resume_id, text[, city, state, latitude, longitude])."""
    missing = [c for c in (RESUME_ID, TEXT) if c not in resumes.columns]
    if missing:
        raise ValueError(f"resumes is missing columns {missing}; expected {RESUME_ID}, {TEXT}[, {', '.join(LOCATION_COLUMNS)}], got {resumes.columns}")
    columns = [F.col(RESUME_ID).cast("string").alias(RESUME_ID), TEXT, *(c for c in LOCATION_COLUMNS if c in resumes.columns)]
    body = bind(_recommend_batches, recommender=recommender, k=int(k))
    return resumes.select(*columns).mapInPandas(body, RECOMMENDATIONS_SCHEMA)
