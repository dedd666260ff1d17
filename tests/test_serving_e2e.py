"""The served recommender end to end: the tiny run's registered model behind `mlflow models serve`, over real HTTP.

One server (a child process on a free port of 127.0.0.1) serves the whole module and is stopped
however the tests end. Its answers must equal `JobRecommender.recommend` in this process; bad
requests must get a 400 that says what was wrong while the server keeps serving; the server's log
must hold nothing of a resume's personal data. A model config (in Python and through the server's
SERVING_MODEL_CONFIG) must name the jobs to rank. A copy of the registry in another folder must load
the model with no Kedro project and no job_reco on the path, and loading and predicting must import
what the model's requirements.txt lists and no TensorFlow.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from job_reco.recommend import JobRecommender
from job_reco.serving.local_server import is_up, model_server, post_json
from job_reco.serving.registry import REGISTERED_MODEL
from tests.pipelines.recommend.test_pipeline import JOBS, NURSE_RESUME, PERSONAL

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

MODEL_URI = f"models:/{REGISTERED_MODEL}/latest"
DRIVER_RESUME = """Truck driver with a CDL-A licence and 8 years of long-haul experience: tractor-trailer,
hours of service, vehicle inspection, loading and unloading cargo.

Driver, Fast Freight 2016 - present
"""
GOOD = [{"text": NURSE_RESUME, "location": "Houston, TX", "k": 5}, {"text": DRIVER_RESUME}]


@pytest.fixture(scope="module")
def recommender(tiny_project_run) -> JobRecommender:
    return JobRecommender.load(tiny_project_run, env="test")


@pytest.fixture(scope="module")
def server(tiny_project_run, tmp_path_factory):
    log = tmp_path_factory.mktemp("model_server") / "server.log"
    with model_server(MODEL_URI, tracking_uri=f"sqlite:///{tiny_project_run / 'mlflow.db'}", log=log) as running:
        yield running


def expected(recommender: JobRecommender, item: dict, jobs=None) -> list[dict]:
    frame = recommender.recommend(item["text"], k=item.get("k", 10), resume_location=item.get("location"), jobs=jobs)
    return [{"rank": int(r.rank), "job_id": str(r.job_id), "title": str(r.title), "score": float(r.score),
             "explanation": str(r.explanation)} for r in frame.itertuples(index=False)]


def _write_folder(project: Path, folder: Path) -> Path:
    from kedro.config import OmegaConfigLoader

    from job_reco.config_loader import CONFIG_LOADER_ARGS
    from job_reco.recommend.folder import write_model_folder

    loader = OmegaConfigLoader(str(project / "conf"), env="test", **CONFIG_LOADER_ARGS)
    return write_model_folder(loader["catalog"], loader["parameters"], project, folder)


def test_a_recommender_folder_recommends_as_the_project_does_and_names_what_it_lacks(tiny_project_run, tmp_path, recommender):
    from job_reco.recommend import ArtifactError

    folder = _write_folder(tiny_project_run, tmp_path / "recommender")
    from_folder = JobRecommender.from_folder(folder)
    for item in GOOD:
        assert expected(from_folder, item) == expected(recommender, item)
    shutil.rmtree(folder / "ranker_layout")
    with pytest.raises(ArtifactError, match=r"the recommender folder .* has no ranker_layout \(.*ranker_layout/layout.json\)"):
        JobRecommender.from_folder(folder)


def test_each_training_run_registers_a_tagged_version_of_its_model(tiny_project_run):
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{tiny_project_run / 'mlflow.db'}")
    versions = client.search_model_versions(f"name='{REGISTERED_MODEL}'")
    # One version a training run (other tests train again in this project), the newest from the last run.
    assert versions and len({version.run_id for version in versions}) == len(versions)
    version = max(versions, key=lambda version: int(version.version))
    assert client.get_run(version.run_id).info.status == "FINISHED"
    selection = json.loads((tiny_project_run / "data" / "08_reporting" / "architecture_selection.json").read_text())
    metrics = json.loads((tiny_project_run / "data" / "08_reporting" / "metrics.json").read_text())
    chosen = metrics["headline"]["chosen"]
    assert version.tags["architecture"] == selection["selected"] and version.tags["test.ranker"] == chosen
    assert float(version.tags["test.ips_mrr"]) == pytest.approx(metrics["rankers"][chosen]["ips_mrr"], rel=1e-5)


@pytest.fixture
def jobs_today(tmp_path) -> Path:
    """Other jobs than the model's, as a parquet file in the contract's jobs format (no vectors)."""
    path = tmp_path / "jobs_today.parquet"
    JOBS.to_parquet(path, index=False)
    return path


def test_a_model_config_names_the_current_jobs_to_rank(tiny_project_run, jobs_today, monkeypatch, recommender):
    import mlflow

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tiny_project_run / 'mlflow.db'}")
    model = mlflow.pyfunc.load_model(MODEL_URI, model_config={"jobs": str(jobs_today)})
    [answer] = model.predict([{"text": NURSE_RESUME, "k": 6}])
    ranked = [job["job_id"] for job in answer["jobs"]]
    assert sorted(ranked) == sorted(JOBS["job_id"]) and set(ranked[:3]) == {"N1", "N2", "N3"}
    assert answer["jobs"] == expected(recommender, {"text": NURSE_RESUME, "k": 6}, jobs=JOBS)
    # The same from MLflow's environment variable, which load_model reads wherever it runs.
    monkeypatch.setenv("MLFLOW_PYFUNC_INFERENCE_CONFIG", json.dumps({"jobs": str(jobs_today)}))
    [answer] = mlflow.pyfunc.load_model(MODEL_URI).predict([{"text": NURSE_RESUME, "k": 6}])
    assert answer["jobs"] == expected(recommender, {"text": NURSE_RESUME, "k": 6}, jobs=JOBS)


def test_the_server_ranks_the_jobs_its_model_config_names(tiny_project_run, jobs_today, tmp_path, recommender):
    config = json.dumps({"jobs": str(jobs_today), "max_resumes": 1})
    with model_server(MODEL_URI, tracking_uri=f"sqlite:///{tiny_project_run / 'mlflow.db'}", log=tmp_path / "server.log",
                      env={"SERVING_MODEL_CONFIG": config}) as configured:
        status, answer = post_json(f"{configured.url}/invocations", {"inputs": [{"text": NURSE_RESUME, "k": 6}]})
        assert status == 200, answer
        assert answer["predictions"][0]["jobs"] == expected(recommender, {"text": NURSE_RESUME, "k": 6}, jobs=JOBS)
        status, answer = post_json(f"{configured.url}/invocations", {"inputs": [{"text": NURSE_RESUME}] * 2})
        assert status == 400 and "2 resumes in one request; at most 1" in answer["message"]


def test_served_answers_equal_recommend_in_process(server, recommender):
    status, answer = post_json(f"{server.url}/invocations", {"inputs": GOOD})
    assert status == 200, answer
    served = [resume["jobs"] for resume in answer["predictions"]]
    assert served == [expected(recommender, item) for item in GOOD]
    assert [len(jobs) for jobs in served] == [5, 10]


BAD_REQUESTS = {
    "no text": ({"inputs": [{"location": "Houston, TX", "k": 3}]}, r"resume 0 has no text"),
    "k of 0": ({"inputs": [{"text": DRIVER_RESUME, "k": 0}]}, r"resume 0: k is 0; give 1 to 20"),
    "k of 10,000": ({"inputs": [{"text": DRIVER_RESUME}, {"text": DRIVER_RESUME, "k": 10_000}]}, r"resume 1: k is 10000"),
    "a 5 MB body": ({"inputs": [{"text": "nurse " * 900_000}]}, r"resume 0: text has 5,400,000 characters; at most 100,000"),
    "unknown fields": ({"inputs": [{"text": DRIVER_RESUME, "colour": "red"}]}, r"unknown fields \['colour'\]"),
    "a list, not an object": ([{"text": DRIVER_RESUME}], r"must be a JSON dictionary with exactly one of the input fields"),
    "no inputs": ({"dataframe_records": [{"text": DRIVER_RESUME}]}, r"must be a dictionary with 'inputs' key"),
    "a resume that is no object": ({"inputs": ["nurse"]}, r"Expected dict, but got str"),
    "broken JSON": (b'{"inputs": [{"text": "nurse"', r"Ensure that input is a valid JSON formatted string"),
}


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_a_400_that_says_what_was_wrong_and_the_server_goes_on(server, case):
    payload, message = BAD_REQUESTS[case]
    raw = payload if isinstance(payload, bytes) else None
    status, answer = post_json(f"{server.url}/invocations", None if raw else payload, body=raw)
    assert status == 400, (status, str(answer)[:500])
    assert re.search(message, answer["message"]), answer["message"][:500]
    assert "stack_trace" not in answer and "Traceback" not in json.dumps(answer)
    assert is_up(server.url)
    status, answer = post_json(f"{server.url}/invocations", {"inputs": [{"text": DRIVER_RESUME, "k": 2}]})
    assert status == 200 and len(answer["predictions"][0]["jobs"]) == 2


def test_no_personal_data_reaches_the_servers_log(server):
    for payload in ({"inputs": [{"text": NURSE_RESUME}]}, {"inputs": [{"text": NURSE_RESUME, "k": 0}]},
                    {"inputs": [{"text": NURSE_RESUME, "location": "Atlantis, ZZ"}]}):
        post_json(f"{server.url}/invocations", payload)
    log = server.log.read_text(errors="replace")
    assert '"POST /invocations HTTP/1.1" 200' in log and '"POST /invocations HTTP/1.1" 400' in log
    found = [word for word in (*PERSONAL, "atlantis") if word in log.lower()]
    assert not found, f"the server's log holds {found}"


def _relocate_store(database: Path, old_root: Path, new_root: Path) -> None:
    """Point every path the copied tracking store holds at the copy (the store records absolute paths)."""
    with sqlite3.connect(database) as connection:
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for column in connection.execute(f"PRAGMA table_info('{table}')").fetchall():
                if column[2].upper().startswith(("VARCHAR", "TEXT")):
                    connection.execute(f"UPDATE '{table}' SET \"{column[1]}\" = REPLACE(\"{column[1]}\", ?, ?)",
                                       (str(old_root), str(new_root)))


LOAD_ELSEWHERE = textwrap.dedent("""
    import json, sys
    import mlflow
    model = mlflow.pyfunc.load_model(sys.argv[1])
    answer = model.predict(json.loads(sys.argv[2]))
    import job_reco
    print(json.dumps({"answer": answer, "job_reco": job_reco.__file__,
                      "source": mlflow.MlflowClient().get_model_version_download_uri("%s", "1")}))
""" % REGISTERED_MODEL)


def test_a_copy_of_the_registry_elsewhere_loads_the_model_without_the_project(tiny_project_run, tmp_path, recommender):
    elsewhere = tmp_path / "registry_copy"
    elsewhere.mkdir()
    shutil.copy(tiny_project_run / "mlflow.db", elsewhere / "mlflow.db")
    shutil.copytree(tiny_project_run / "mlruns", elsewhere / "mlruns")
    _relocate_store(elsewhere / "mlflow.db", tiny_project_run, elsewhere)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{elsewhere / 'mlflow.db'}", TF_CPP_MIN_LOG_LEVEL="3")
    result = subprocess.run([sys.executable, "-c", LOAD_ELSEWHERE, MODEL_URI, json.dumps(GOOD)], cwd=elsewhere, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded["source"].startswith(str(elsewhere))
    assert f"{os.sep}code{os.sep}job_reco{os.sep}" in loaded["job_reco"]  # the model's own copy of the code
    assert [resume["jobs"] for resume in loaded["answer"]] == [expected(recommender, item) for item in GOOD]


LOAD_AND_TRACE = textwrap.dedent("""
    import builtins, importlib, json, sys
    import mlflow
    direct = set()
    plain_import, import_module = builtins.__import__, importlib.import_module

    def note(importer, name):
        if importer.startswith(("job_reco", "code_model_")) and not name.startswith("."):
            direct.add(name.split(".")[0])

    def traced_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 0:
            note((globals or {}).get("__name__", ""), name)
        return plain_import(name, globals, locals, fromlist, level)

    def traced_import_module(name, package=None):
        note(sys._getframe(1).f_globals.get("__name__", ""), name)
        return import_module(name, package)

    builtins.__import__, importlib.import_module = traced_import, traced_import_module
    model = mlflow.pyfunc.load_model(sys.argv[1], model_config={"jobs": sys.argv[2]})
    model.predict(json.loads(sys.argv[3]))
    builtins.__import__, importlib.import_module = plain_import, import_module
    requirements = open(mlflow.pyfunc.get_model_dependencies(sys.argv[1])).read().split()
    print(json.dumps({"direct": sorted(direct - set(sys.stdlib_module_names) - {"job_reco"}), "requirements": requirements,
                      "loaded": sorted({name.split(".")[0] for name in sys.modules})}))
""")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_loading_and_predicting_import_what_the_model_requires_and_no_tensorflow(tiny_project_run, jobs_today):
    from importlib.metadata import packages_distributions

    from packaging.requirements import Requirement

    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env.update(MLFLOW_TRACKING_URI=f"sqlite:///{tiny_project_run / 'mlflow.db'}")
    requests = [*GOOD, {"text": NURSE_RESUME, "location": {"latitude": 40.7, "longitude": -74.0}, "k": 3}]
    result = subprocess.run([sys.executable, "-c", LOAD_AND_TRACE, MODEL_URI, str(jobs_today), json.dumps(requests)],
                            cwd=tiny_project_run, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    traced = json.loads(result.stdout.strip().splitlines()[-1])
    distributions = {module: {_canonical(d) for d in names} for module, names in packages_distributions().items()}
    required = {_canonical(Requirement(line).name) for line in traced["requirements"]}
    unlisted = {module: sorted(distributions.get(module, {module})) for module in traced["direct"]
                if not distributions.get(module, {module}) & required}
    assert not unlisted, f"job_reco imports {unlisted}, which the model's requirements.txt does not list"
    loaded = set().union(*(distributions.get(module, set()) for module in traced["loaded"]))
    assert not required - loaded, f"requirements.txt lists {sorted(required - loaded)}, which loading and predicting never import"
    assert not {"tensorflow", "keras", "xgboost"} & set(traced["loaded"])
