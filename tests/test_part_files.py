"""Part files written one part at a time: `_SUCCESS` after the last part, and a half-written folder of
data_generation's stops the next run (CompleteInputsHook), while a user's own raw folder is not checked."""

from __future__ import annotations

import pandas as pd
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline, node

from kedro_datasets.spark import SparkDataset

from job_reco.datasets.part_files import PartFilesDataset
from job_reco.datasets.raw_table import RawSparkDataset
from job_reco.hooks.complete_inputs import dataset_writers, incomplete_inputs


def _parts(path) -> PartFilesDataset:
    return PartFilesDataset(path=str(path), dataset="pandas.ParquetDataset", filename_suffix=".parquet", overwrite=True)


def test_the_marker_comes_after_the_last_part_and_readers_skip_it(tmp_path):
    folder = tmp_path / "impressions.parquet"
    seen = []

    def part(i):
        seen.append(((folder / "_SUCCESS").exists(), (folder / "_STARTED").exists()))  # begun, not finished
        return pd.DataFrame({"x": [i]})

    _parts(folder).save({"part-00000": lambda: part(0), "part-00001": lambda: part(1)})
    assert seen == [(False, True), (False, True)]
    assert (folder / "_SUCCESS").exists() and not (folder / "_STARTED").exists()
    assert sorted(_parts(folder).load()) == ["part-00000", "part-00001"]
    assert pd.read_parquet(folder)["x"].tolist() == [0, 1]


def test_a_half_written_generated_table_is_named_with_its_writer(tmp_path):
    folder = tmp_path / "impressions.parquet"
    _parts(folder).save({"part-00000": pd.DataFrame({"x": [0]}), "part-00001": pd.DataFrame({"x": [1]})})
    generate = Pipeline([node(lambda: None, None, "raw_impressions@parts", name="log_impression_parts")])
    read = Pipeline([node(lambda df: df, "raw_impressions@spark", "out", name="read")])
    catalog = DataCatalog({"raw_impressions@parts": _parts(folder),
                           "raw_impressions@spark": RawSparkDataset(filepath=str(folder), file_format="parquet")})
    writers = dataset_writers(generate + read)
    assert incomplete_inputs(read, catalog, writers) == []
    (folder / "_SUCCESS").unlink()
    (folder / "_STARTED").touch()  # what an interrupted generation leaves: begun, never finished
    assert incomplete_inputs(read, catalog, writers) == [
        f"raw_impressions@spark ({folder}), written by node log_impression_parts"]
    # the user's own part files at the generator's path (no marker at all) are theirs: not refused
    (folder / "_STARTED").unlink()
    assert incomplete_inputs(read, catalog, writers) == []
    # a user's own logs elsewhere (no _SUCCESS) are theirs: not checked
    own = tmp_path / "own_logs"
    _parts(own).save({"part-00000": pd.DataFrame({"x": [0]})})
    (own / "_SUCCESS").unlink()
    catalog["raw_impressions@spark"] = RawSparkDataset(filepath=str(own), file_format="parquet")
    assert incomplete_inputs(read, catalog, writers) == []


def test_a_spark_output_never_written_is_not_taken_for_half_written(spark, tmp_path):
    # On Spark Connect, SparkDataset.exists() says yes to a missing path (its read is lazy there).
    folder = tmp_path / "labeled_impressions.parquet"
    write = Pipeline([node(lambda: None, None, "labeled_impressions", name="restore_impressions")])
    read = Pipeline([node(lambda df: df, "labeled_impressions", "out", name="read")])
    catalog = DataCatalog({"labeled_impressions": SparkDataset(filepath=str(folder), file_format="parquet")})
    writers = dataset_writers(write + read)
    assert incomplete_inputs(read, catalog, writers) == []
    spark.createDataFrame([(1,)], "x int").write.parquet(str(folder))
    (folder / "_SUCCESS").unlink()  # what an interrupted write leaves
    assert incomplete_inputs(read, catalog, writers) == [
        f"labeled_impressions ({folder}), written by node restore_impressions"]
