"""recommend on the tiny trained project (`tiny_project_run`): ranking, errors, Spark, personal data."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from job_reco.recommend import ArtifactError, JobRecommender
from tests.conftest import copy_project

NURSE_RESUME = """Maria Gonzalez
maria.gonzalez@example.com | (555) 123-4567 | 42 Elm Street, Springfield, IL 62704

Registered nurse with 6 years of experience in patient care, medication administration and vital
signs monitoring on a busy hospital ward.

Staff Nurse, City Hospital 2019 - present
Cared for patients after surgery, administered medications, monitored vital signs.

References: Dr. Okafor, okafor@hospital.org
"""
PERSONAL = ("maria", "gonzalez", "example.com", "(555)", "123-4567", "elm street", "springfield", "62704", "okafor")
JOBS = pd.DataFrame({
    "job_id": ["N1", "N2", "N3", "T1", "T2", "T3"],
    "title": ["Registered Nurse", "Licensed Practical Nurse", "ICU Nurse", "Truck Driver",
              "Heavy and Tractor-Trailer Truck Driver", "Delivery Truck Driver"],
    "description": [
        "Provide patient care on a hospital ward, administer medications, monitor vital signs, work with physicians.",
        "Care for ill or injured patients, take vital signs and give medications under the direction of registered nurses.",
        "Critical care nursing for intensive care patients: ventilators, medication drips, patient assessment.",
        "Drive a tractor-trailer truck over long distances, load and unload cargo, keep a driving log, inspect the vehicle.",
        "Operate heavy trucks of 26,000 pounds or more, transport goods, follow traffic laws and hours of service.",
        "Deliver packages on a local route with a light truck, load the van, collect signatures from customers.",
    ],
})


@pytest.fixture(scope="module")
def recommender(tiny_project_run) -> JobRecommender:
    return JobRecommender.load(tiny_project_run, env="test")


def test_nurse_resume_ranks_nursing_ads_above_trucking_ads(recommender):
    out = recommender.recommend(NURSE_RESUME, k=6, jobs=JOBS)
    assert list(out["rank"]) == [1, 2, 3, 4, 5, 6]
    assert set(out["job_id"][:3]) == {"N1", "N2", "N3"}
    assert out["score"].is_monotonic_decreasing
    assert out["explanation"].str.contains("words: ").all()


def test_the_catalog_jobs_are_the_default(recommender):
    out = recommender.recommend(NURSE_RESUME, k=5)
    assert len(out) == 5 and set(out["job_id"]) <= set(recommender.jobs.job_id)


def test_scores_are_the_keras_models_and_xgboosts(tiny_project_run, recommender):
    """The numpy forward pass on the file's weights (no TensorFlow) scores as the Keras model; the trees as xgboost."""
    import keras
    import xgboost

    from job_reco.models.boosted_trees import BoostedTrees
    from job_reco.models.features import lambdamart_matrix
    from job_reco.models.ranker import ranker_scores
    from job_reco.recommend.resume import prepare_resumes

    table = recommender.job_table(JOBS)
    when = recommender._as_of(table, None)
    resumes = prepare_resumes([NURSE_RESUME, "Truck driver, 10 years, long haul."], recommender.embed, as_of_year=when.year,
                              max_sections=4, locations=["Houston, TX", None])
    rows = recommender._rows(resumes, np.tile(np.arange(len(table)), (2, 1)), table, when).inputs
    model = keras.models.load_model(tiny_project_run / "data" / "06_models" / "ranker" / "model.keras")
    expected = np.asarray(model.predict([rows.features, rows.cosine, rows.cluster.astype(np.int32)], verbose=0), np.float64)
    numpy_scores = ranker_scores(recommender.model.weights, rows.features, rows.cosine, rows.cluster, recommender.model.hidden)
    assert np.abs(numpy_scores - expected).max() < 1e-6
    saved = tiny_project_run / "data" / "06_models" / "gbdt" / "model.json"
    matrix = lambdamart_matrix(rows.features, rows.cosine)
    margin = np.asarray(xgboost.Booster(model_file=str(saved)).inplace_predict(matrix, predict_type="margin"), np.float64)
    assert np.array_equal(BoostedTrees.from_json(saved.read_bytes()).margin(matrix), margin)


def test_recommend_imports_neither_tensorflow_nor_xgboost(tiny_project_run, tmp_path):
    resume = tmp_path / "resume.txt"
    resume.write_text(NURSE_RESUME)
    code = (
        "import sys\n"
        "from job_reco.recommend import JobRecommender\n"
        f"recommender = JobRecommender.load({str(tiny_project_run)!r}, env='test')\n"
        f"out = recommender.recommend(open({str(resume)!r}).read(), k=3, resume_location='Houston, TX')\n"
        "assert len(out) == 3\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'xgboost', 'sklearn', 'pyspark') if m in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == "[]"


def test_the_cli_prints_the_answer_and_nothing_else(tiny_project_run, tmp_path):
    resume = tmp_path / "resume.txt"
    resume.write_text(NURSE_RESUME)
    run = subprocess.run([sys.executable, "-m", "job_reco", "recommend", "--resume", str(resume), "--location", "Houston, TX",
                          "--top", "3", "--env", "test"], cwd=tiny_project_run, env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stderr == "", run.stderr[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].split() == ["rank", "job_id", "title", "score", "why"] and len(lines) == 4
    assert all("words: " in line for line in lines[1:])


def test_missing_artifacts_say_what_to_run(tmp_path):
    (tmp_path / "empty").mkdir()
    project = copy_project(tmp_path / "empty")
    with pytest.raises(ArtifactError, match=r"architecture_selection is missing \(.*08_reporting/architecture_selection.json\): run `kedro run`"):
        JobRecommender.load(project, env="test")


def test_an_embedder_of_another_width_is_one_clear_error(tiny_project_run):
    from job_reco.recommend.artifacts import assemble_artifacts, load_project_catalog

    project = load_project_catalog(tiny_project_run, env="test")
    embedder = project.require("document_embedder")
    narrow = type(embedder)(method=embedder.method, words=embedder.words, vectors=embedder.vectors[:, :25],
                            weights=embedder.weights, n_corpus_words=embedder.n_corpus_words)

    def require(name):
        return narrow if name == "document_embedder" else project.require(name)

    with pytest.raises(ArtifactError, match=r"disagree on the document-vector width .*'document_embedder': 25"):
        assemble_artifacts(require, project.optional, project.params)


def test_the_pipeline_on_spark_gives_the_local_answer(tiny_project_run, spark, recommender, caplog):
    from job_reco.pipelines.recommend.nodes import ARTIFACTS, build_recommender, collect_recommend_artifacts, recommend_for_resumes
    from job_reco.recommend.artifacts import load_project_catalog

    project = load_project_catalog(tiny_project_run, env="test")
    models = collect_recommend_artifacts(*(project.catalog.load(name) for name in ARTIFACTS))
    built = build_recommender(models, project.require("recommend_jobs"), project.require("recommend_job_vectors"),
                              project.params["recommend"], project.params["modeling"], project.params["embeddings"]["max_sections"])
    resumes = pd.DataFrame({"resume_id": ["r1", "r2", "r3"], "text": [NURSE_RESUME, "Truck driver, 10 years, long haul.", ""],
                            "city": ["Houston", None, None], "state": ["TX", None, None]})
    on_spark = recommend_for_resumes(spark.createDataFrame(resumes), built, 4).toPandas()
    with caplog.at_level(logging.INFO, logger="job_reco.progress"):
        local = recommender.recommend_batch(resumes, 4)
    # progress for people, in the log
    assert [m for m in caplog.messages if m.startswith("recommend_batch: 3 / 3 resumes (100%)")]
    key = ["resume_id", "rank"]
    pd.testing.assert_frame_equal(on_spark.sort_values(key).reset_index(drop=True),
                                  local.sort_values(key).reset_index(drop=True), check_dtype=False)
    assert sorted(on_spark.groupby("resume_id").size()) == [4, 4, 4]


def test_recommend_on_spark_writes_the_batch_and_fills_its_progress_bar(tiny_project_run, spark, recommender,
                                                                      tmp_path, capsys):
    from job_reco.recommend.spark_run import run_on_spark

    resumes = tmp_path / "resumes.parquet"
    pd.DataFrame({"resume_id": ["r1", "r2"], "text": [NURSE_RESUME, "Truck driver, 10 years, long haul."]}).to_parquet(resumes)
    output = tmp_path / "recommendations.parquet"
    assert run_on_spark(recommender, str(resumes), 3, str(output), project=tiny_project_run, env="test") == 6
    # The bar reads the session's stages (a classic session's status tracker here) and ends full.
    done, total = re.findall(r"Spark tasks.*?(\d+)/(\d+)", capsys.readouterr().out)[-1]
    assert done == total != "0"
    assert sorted(pd.read_parquet(output).groupby("resume_id").size()) == [3, 3]


def test_no_personal_data_in_output_or_logs(tiny_project_run, recommender, caplog, tmp_path):
    with caplog.at_level(logging.DEBUG):
        out = recommender.recommend(NURSE_RESUME, k=10, resume_location="Houston, TX")
    text = (out.to_json() + caplog.text).lower()
    assert not [p for p in PERSONAL if p in text]
    resume = tmp_path / "resume.txt"
    resume.write_text(NURSE_RESUME)
    batch = tmp_path / "resumes.parquet"
    pd.DataFrame({"resume_id": ["r1"], "text": [NURSE_RESUME]}).to_parquet(batch)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    runs = [
        subprocess.run([sys.executable, "-m", "job_reco", "recommend", "--resume", str(resume), "--format", "json",
                        "--env", "test", "--verbose"], cwd=tiny_project_run, env=env, capture_output=True, text=True, timeout=600),
        subprocess.run([sys.executable, "-m", "job_reco", "recommend", "--resumes", str(batch), "--output", str(tmp_path / "recs.parquet"),
                        "--env", "test", "--verbose"], cwd=tiny_project_run, env=env, capture_output=True, text=True, timeout=600),
    ]
    for run in runs:
        assert run.returncode == 0, run.stderr[-3000:]
        assert not [p for p in PERSONAL if p in (run.stdout + run.stderr).lower()]
    assert '"rank": 1' in runs[0].stdout and '"reasons"' in runs[0].stdout and '"side_features"' in runs[0].stdout
    written = pd.read_parquet(tmp_path / "recs.parquet")
    assert list(written.columns) == ["resume_id", "rank", "job_id", "score"] and len(written) == 10
