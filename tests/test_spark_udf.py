"""spark_udf.pandas_batches_in_arrow: mapInArrow with pandas frames whose vector columns stay Arrow-backed."""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyspark.sql import types as T

from job_reco.models.features import vector_matrix
from job_reco.spark_udf import pandas_batches_in_arrow


def _norms(batches):
    for frame in batches:
        assert isinstance(frame["vector"].dtype, pd.ArrowDtype)  # one Arrow buffer, not an array object per row
        out = frame[["id", "name"]].copy()
        out["norm"] = np.linalg.norm(vector_matrix(frame["vector"]), axis=1)
        yield out


def test_a_scorer_reads_arrow_backed_vectors_and_returns_the_schema(spark):
    rows = spark.createDataFrame(
        [(1, "a", [3.0, 4.0]), (2, None, [0.0, 1.0]), (3, "c", [1.0, 0.0])],
        "id long, name string, vector array<float>",
    ).repartition(2)
    schema = T.StructType([rows.schema["id"], rows.schema["name"], T.StructField("norm", T.DoubleType())])
    out = rows.mapInArrow(pandas_batches_in_arrow(_norms, schema), schema).toPandas().sort_values("id")
    assert out["norm"].tolist() == [5.0, 1.0, 1.0]  # |(3, 4)| = 5
    assert out["name"].tolist() == ["a", None, "c"]
    assert out["id"].dtype == np.int64
