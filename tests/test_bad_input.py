"""Bad input through the real pipeline: raw files on disk, the project's catalog, hooks and nodes.

Each case writes a small network as users write logs (pandas' default parquet with nanosecond
timestamps, a folder of part files with millisecond timestamps, CSV where the catalog says so),
runs `data_integration` in a KedroSession (env `test`, data under a temporary folder) and checks
that the bad input either stops the run with an error naming table, file, column and expectation,
or is quarantined with a reason and counted (rows in = rows used + rows quarantined).
"""

from __future__ import annotations

import json
import shutil
from importlib.metadata import entry_points
from pathlib import Path

import pandas as pd
import pytest
import yaml

from job_reco import columns as C
from job_reco.pipelines.data_integration import quarantine
from job_reco.pipelines.data_integration.schema import RawSchemaError
from job_reco.pipelines.data_integration.split import TooFewGroupsError
from job_reco.hooks.raw_tables import MissingRawTableError, UnreadableRawTableError
from job_reco.hooks.complete_inputs import IncompleteDatasetError
from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.e2e  # each test runs data_integration in a KedroSession

T = pd.Timestamp
# The network of tests/pipelines/data_integration/test_nodes.py (two searches, four jobs), plus a
# third search s3 (Jan 3) that showed one job, clicked and applied to: a query group with one
# impression, every shown job clicked.
NETWORK = {
    "resumes": [
        ("r1", "p1", "resume one", T("2023-12-01")),
        ("r2", "p2", "resume two", T("2023-12-02")),
    ],
    "jobs": [(j, f"title {j}", f"about {j}", T("2023-11-01")) for j in ("j1", "j2", "j3", "j4")],
    "searches": [
        ("s1", "p1", "nurse", T("2024-01-01 10:00")),
        ("s2", "p2", "driver", T("2024-01-02 10:00")),
        ("s3", "p2", "cook", T("2024-01-03 10:00")),
    ],
    "impressions": [
        ("s1", "j1", 1, T("2024-01-01 10:00")),
        ("s1", "j2", 2, T("2024-01-01 10:00")),
        ("s1", "j3", 3, T("2024-01-01 10:00")),
        ("s2", "j2", 1, T("2024-01-02 10:00")),
        ("s2", "j4", 2, T("2024-01-02 10:00")),
        ("s3", "j1", 1, T("2024-01-03 10:00")),
    ],
    "clicks": [
        ("c1", "s1", "j2", T("2024-01-01 10:01")),
        ("c2", "s1", "j3", T("2024-01-01 10:02")),
        ("c3", "s2", "j4", T("2024-01-02 10:01")),
        ("c5", "s3", "j1", T("2024-01-03 10:01")),
    ],
    "applications": [
        ("a1", "r1", "j2", "c1", T("2024-01-01 10:05")),
        ("a2", "r2", "j4", "c3", T("2024-01-02 10:05")),
        ("a3", "r1", "j1", None, T("2024-01-03 09:00")),
        ("a7", "r2", "j1", "c5", T("2024-01-03 10:05")),
    ],
}
# (search, resume, job): (position, label, applied, split), worked out by hand. Three groups and
# test_fraction 0.2: the 0.8 quantile is the last search time, so the last group (s3) is test.
EXPECTED_LABELS = {
    ("s1", "r1", "j1"): (1, 0, 0, C.TRAIN),
    ("s1", "r1", "j2"): (2, 1, 1, C.TRAIN),
    ("s1", "r1", "j3"): (3, 1, 0, C.TRAIN),
    ("s2", "r2", "j2"): (1, 0, 0, C.TRAIN),
    ("s2", "r2", "j4"): (2, 1, 1, C.TRAIN),
    ("s3", "r2", "j1"): (1, 1, 1, C.TEST),
}
# One bad row per rule, and what job_reco must do with it.
BAD_ROWS = {
    "resumes": [
        (None, "p3", "no key", T("2023-12-03")),  # null key
        ("r1", "p1", "resume one, older", T("2023-11-01")),  # duplicate key (the latest is kept)
        ("r2", "p2", "resume two", T("2023-12-02")),  # exact duplicate
    ],
    "jobs": [("j1", "title j1", "about j1", T("2023-11-01"))],  # exact duplicate
    "searches": [
        ("s8", "p1", "q", "not a time"),  # unparseable timestamp
        ("s9", "p1", "q", "2999-01-01 00:00:00"),  # in the future
    ],
    "impressions": [
        ("s1", "j4", "x", "2024-01-01 10:00"),  # position as text that is no number
        ("s1", "j4", "-2", "2024-01-01 10:00"),  # position below 1
        ("s7", "j1", "1", "2024-01-01 10:00"),  # unknown search
    ],
    "clicks": [
        ("c4", "s2", "j3", T("2024-01-02 10:03")),  # click with no impression
        ("c1", "s1", "j2", T("2024-01-01 10:09")),  # duplicate click id (the first is kept)
        ("c6", None, "j1", T("2024-01-01 10:09")),  # null key
    ],
    "applications": [
        ("a4", "r1", "j3", "c99", T("2024-01-04")),  # unknown click
        ("a5", "r2", "j1", "c1", T("2024-01-04")),  # job differs from the click's
        ("a6", "r9", "j2", "c1", T("2024-01-04")),  # unknown resume
    ],
}
EXPECTED_QUARANTINE = {
    "resumes": {quarantine.NULL_KEY: 1, quarantine.DUPLICATE_KEY: 1, quarantine.EXACT_DUPLICATE: 1},
    "jobs": {quarantine.EXACT_DUPLICATE: 1},
    "searches": {quarantine.UNPARSEABLE_TIMESTAMP: 1, quarantine.FUTURE_TIMESTAMP: 1},
    "impressions": {quarantine.INVALID_POSITION: 2, quarantine.UNKNOWN_SEARCH: 1},
    "clicks": {quarantine.NO_MATCHING_IMPRESSION: 1, quarantine.DUPLICATE_KEY: 1, quarantine.NULL_KEY: 1},
    "applications": {quarantine.UNKNOWN_CLICK: 1, quarantine.JOB_DIFFERS_FROM_CLICK: 1, quarantine.UNKNOWN_RESUME: 1},
}


def frame(table: str, rows: list[tuple]) -> pd.DataFrame:
    """Rows of a raw table as a pandas frame with the contract's column names."""
    return pd.DataFrame(rows, columns=list(C.RAW_SCHEMAS[table]))


def write_project(root: Path, tables: dict[str, pd.DataFrame], formats: dict[str, str] | None = None) -> Path:
    """A conf folder whose globals point the catalog at `root`, and the raw tables written there.

    formats: table -> "parquet" (pandas' default, nanosecond timestamps), "parts" (a folder of two
    part files, millisecond timestamps) or "csv" (the catalog entry switched to CSV with a header).
    """
    conf = root / "conf"
    shutil.copytree(PROJECT_ROOT / "conf", conf, ignore=shutil.ignore_patterns("local"), dirs_exist_ok=True)
    (conf / "local").mkdir(exist_ok=True)
    raw = root / "data" / "01_raw"
    raw.mkdir(parents=True, exist_ok=True)
    globals_ = {"raw_root": str(raw), "data_root": str(root / "data"), "spark_raw_root": str(raw),
                "spark_data_root": str(root / "data")}
    (conf / "test" / "globals.yml").write_text(yaml.safe_dump(globals_))
    catalog = {}
    for table, df in tables.items():
        kind = (formats or {}).get(table, "parquet")
        path = raw / f"{table}.{'csv' if kind == 'csv' else 'parquet'}"
        if kind == "csv":
            df.to_csv(path, index=False)
            catalog[f"raw_{table}@spark"] = {
                "type": "job_reco.datasets.raw_table.RawSparkDataset",
                "file_format": "csv",
                "filepath": str(path),
                "load_args": {"header": True},
            }
        elif kind == "parts":
            path.mkdir()
            half = (len(df) + 1) // 2
            for i, part in enumerate((df.iloc[:half], df.iloc[half:])):
                part.to_parquet(path / f"part-{i}.parquet", coerce_timestamps="ms", allow_truncated_timestamps=True)
        else:
            df.to_parquet(path)
    if catalog:
        (conf / "test" / "catalog_raw_formats.yml").write_text(yaml.safe_dump(catalog))
    return conf


def run_pipeline(conf: Path, pipelines: list[str], **kwargs) -> None:
    """`kedro run --env test --pipelines ...` in this process, with the project's settings and hooks."""
    from kedro.framework.project import settings
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(PROJECT_ROOT)
    # Only the project's own hooks: an installed plugin's (experiment tracking) keeps state between
    # the runs of one process and is not what these tests are about.
    plugins = {ep.dist.metadata["Name"] for ep in entry_points(group="kedro.hooks") if ep.dist is not None}
    settings.set("DISABLE_HOOKS_FOR_PLUGINS", tuple(sorted(plugins)))
    with KedroSession.create(
        project_path=PROJECT_ROOT, env="test", conf_source=str(conf), runtime_params=kwargs.pop("runtime_params", None)
    ) as session:
        session.run(pipeline_names=pipelines, **kwargs)


def good_tables(**overrides: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The network above as pandas frames, some tables replaced."""
    return {table: overrides.get(table, frame(table, rows)) for table, rows in NETWORK.items()}


# --- inputs that stop the run ---------------------------------------------------------------


def test_a_missing_raw_table_stops_before_any_node(spark, tmp_path):
    tables = good_tables()
    del tables["clicks"]
    conf = write_project(tmp_path, tables)
    with pytest.raises(MissingRawTableError) as error:
        run_pipeline(conf, ["data_integration"])
    assert f"clicks (raw_clicks@spark -> {tmp_path}/data/01_raw/clicks.parquet)" in str(error.value)
    assert not (tmp_path / "data" / "02_intermediate").exists()


def test_a_missing_column_names_table_column_expectation_and_file(spark, tmp_path):
    conf = write_project(tmp_path, good_tables(jobs=frame("jobs", NETWORK["jobs"]).drop(columns=[C.TITLE])))
    with pytest.raises(RawSchemaError) as error:
        run_pipeline(conf, ["data_integration"])
    message = str(error.value)
    assert "jobs is missing columns ['title']; expected ['job_id', 'title', 'description', 'posted_at']" in message
    assert f"{tmp_path}/data/01_raw/jobs.parquet" in message


def test_a_column_of_a_type_that_cannot_be_cast_names_what_arrived(spark, tmp_path):
    impressions = frame("impressions", NETWORK["impressions"]).assign(position=True)
    conf = write_project(tmp_path, good_tables(impressions=impressions))
    with pytest.raises(RawSchemaError) as error:
        run_pipeline(conf, ["data_integration"])
    message = str(error.value)
    assert "impressions.position has type boolean; expected int" in message
    assert f"{tmp_path}/data/01_raw/impressions.parquet" in message


def test_a_corrupt_parquet_file_is_named_before_any_node(spark, tmp_path):
    conf = write_project(tmp_path, good_tables())
    corrupt = tmp_path / "data" / "01_raw" / "searches.parquet"
    corrupt.write_bytes(corrupt.read_bytes()[:40])
    with pytest.raises(UnreadableRawTableError) as error:
        run_pipeline(conf, ["data_integration"])
    message = str(error.value)
    # Spark's own error, as a classic session (Py4JJavaError: org.apache.spark.SparkException) or Spark Connect names it.
    assert f"searches (raw_searches@spark -> {corrupt}): " in message and "SparkException: " in message
    assert "Could not read footer" in message
    assert "\tat org.apache" not in message


def test_an_empty_table_stops_naming_it_and_its_file(spark, tmp_path):
    conf = write_project(tmp_path, good_tables(applications=frame("applications", NETWORK["applications"]).iloc[:0]))
    with pytest.raises(RawSchemaError) as error:
        run_pipeline(conf, ["data_integration"])
    message = str(error.value)
    assert "applications has no rows; expected at least one (" in message
    assert f"{tmp_path}/data/01_raw/applications.parquet)" in message


def test_groups_that_all_share_one_search_time_stop_the_split(spark, tmp_path):
    same_time = [(s, p, q, T("2024-01-01 10:00")) for s, p, q, _ in NETWORK["searches"]]
    conf = write_project(tmp_path, good_tables(searches=frame("searches", same_time)))
    with pytest.raises(TooFewGroupsError, match=r"all 3 query groups were searched at the same time"):
        run_pipeline(conf, ["data_integration"])


# --- inputs that are accepted, quarantined and counted ---------------------------------------


def _as_text(df: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Some columns as text, the way a CSV or a careless export holds them."""
    return df.assign(**{c: df[c].astype(str).where(df[c].notna(), None) for c in columns})


@pytest.fixture(scope="module")
def messy_run(spark, tmp_path_factory) -> Path:
    """data_integration on the network plus one row per bad-input rule, in three file layouts."""
    root = tmp_path_factory.mktemp("messy")
    tables = {}
    for table, rows in NETWORK.items():
        good = frame(table, rows)
        if table in ("searches", "impressions"):
            good = _as_text(good, [c for c, kind in C.RAW_SCHEMAS[table].items() if kind != "string"])
        tables[table] = pd.concat([good, frame(table, BAD_ROWS[table])], ignore_index=True)
    conf = write_project(root, tables, formats={"searches": "csv", "impressions": "parts"})
    run_pipeline(conf, ["data_integration"])
    (root / "tables.json").write_text(json.dumps({t: len(df) for t, df in tables.items()}))
    return root


def test_messy_network_gives_the_hand_computed_labels(messy_run):
    labeled = pd.read_parquet(messy_run / "data/03_primary/labeled_impressions.parquet")
    found = {
        (r.search_id, r.resume_id, r.job_id): (r.position, r.label, r.applied, r.split)
        for r in labeled.itertuples()
    }
    assert found == EXPECTED_LABELS


def test_every_bad_row_is_quarantined_with_its_reason_and_counted(messy_run):
    quality = json.loads((messy_run / "data/08_reporting/data_quality.json").read_text())
    for table, expected in EXPECTED_QUARANTINE.items():
        counted = {rule: n for rule, n in quality["tables"][table]["quarantined"].items() if n}
        assert counted == expected, table
        quarantine = pd.read_parquet(messy_run / f"data/02_intermediate/quarantine/{table}.parquet")
        assert quarantine[C.REASON].value_counts().to_dict() == expected, table
    searches = pd.read_parquet(messy_run / "data/02_intermediate/quarantine/searches.parquet")
    assert set(searches[C.SEARCHED_AT]) == {"not a time", "2999-01-01 00:00:00"}


def test_rows_in_equal_rows_used_plus_rows_quarantined_for_every_table(messy_run):
    written = json.loads((messy_run / "tables.json").read_text())
    quality = json.loads((messy_run / "data/08_reporting/data_quality.json").read_text())
    data = messy_run / "data"
    for table in C.RAW_TABLES:
        counts = quality["tables"][table]
        checked = pd.read_parquet(data / f"02_intermediate/checked/{table}.parquet")
        used = int(checked[C.REASON].isna().sum())
        quarantined = len(pd.read_parquet(data / f"02_intermediate/quarantine/{table}.parquet"))
        assert counts["rows_in"] == written[table] == used + quarantined, table
        assert (counts["rows_used"], counts["rows_quarantined"]) == (used, quarantined), table
    assert len(pd.read_parquet(data / "02_intermediate/resumes.parquet")) == quality["tables"]["resumes"]["rows_used"]
    assert len(pd.read_parquet(data / "02_intermediate/jobs.parquet")) == quality["tables"]["jobs"]["rows_used"]


def test_degenerate_query_groups_are_kept_and_counted(messy_run):
    quality = json.loads((messy_run / "data/08_reporting/data_quality.json").read_text())
    groups = quality["labeled_impressions"]["all"]
    # (s3, r2) showed one job and it was clicked: one impression, every shown job clicked.
    assert groups["groups_with_one_impression"] == 1
    assert groups["groups_all_clicked"] == 1
    assert groups["groups_none_clicked"] == 0


def test_a_word_vector_file_with_a_wrong_width_line_names_file_and_line(messy_run, tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("nurse 0.1 0.2 0.3\ndriver 0.4 0.5\ncook 0.6 0.7 0.8\n")
    with pytest.raises(Exception) as error:
        run_pipeline(
            messy_run / "conf",
            ["embeddings"],
            runtime_params={"embeddings": {"vectors_path": str(vectors)}},
        )
    assert f"word vectors file '{vectors}'" in str(error.value)
    assert "line 2 holds 2 values, expected 3" in str(error.value)
    # The failed node's inputs, with the paths the catalog gives them (job_reco.hooks.input_locations).
    tokens = messy_run / "data/02_intermediate/document_tokens.parquet"
    read = f"node embeddings.load_word_vectors read: word_vectors -> WordVectorsDataset; document_tokens -> {tokens}"
    assert read in error.value.__notes__


def test_a_word_vector_file_with_a_malformed_line_names_file_and_line(messy_run, tmp_path):
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("nurse 0.1 0.2 0.3\ndriver 0.4 zero 0.5\n")
    with pytest.raises(Exception) as error:
        run_pipeline(
            messy_run / "conf",
            ["embeddings"],
            runtime_params={"embeddings": {"vectors_path": str(vectors)}},
        )
    assert f"word vectors file '{vectors}'" in str(error.value)
    assert "line 2: value 'zero' is not a number" in str(error.value)


# --- an interrupted run ---------------------------------------------------------------------
# Kept last in this module: it rewrites the messy run's outputs (identically).


def test_a_half_written_dataset_stops_the_next_run_and_from_nodes_resumes(messy_run):
    data = messy_run / "data"
    labeled_before = pd.read_parquet(data / "03_primary/labeled_impressions.parquet")
    quality_before = json.loads((data / "08_reporting/data_quality.json").read_text())
    # What an interrupted write of labeled_impressions leaves: some part files, no _SUCCESS.
    written = data / "03_primary/labeled_impressions.parquet"
    (written / "_SUCCESS").unlink()
    for part in sorted(written.glob("part-*"))[1:]:
        part.unlink()
    resume_from_quality = {"from_nodes": ["data_integration.summarise_data_quality"]}
    for pipelines, options in ((["modeling"], {}), (["data_integration"], resume_from_quality)):
        with pytest.raises(IncompleteDatasetError) as error:
            run_pipeline(messy_run / "conf", pipelines, **options)
        message = str(error.value)
        assert f"labeled_impressions ({written}), written by node data_integration.restore_impressions" in message
        # restore_impressions reads in-memory split groups: the resume starts where all inputs are files.
        assert "kedro run --from-nodes data_integration.join_clicks_to_applications`" in message

    run_pipeline(messy_run / "conf", ["data_integration"], from_nodes=["data_integration.join_clicks_to_applications"])
    assert (written / "_SUCCESS").exists()
    labeled_after = pd.read_parquet(data / "03_primary/labeled_impressions.parquet")
    key = [C.SEARCH_ID, C.RESUME_ID, C.JOB_ID]
    pd.testing.assert_frame_equal(
        labeled_after.sort_values(key, ignore_index=True), labeled_before.sort_values(key, ignore_index=True)
    )
    assert json.loads((data / "08_reporting/data_quality.json").read_text()) == quality_before
