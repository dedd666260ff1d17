"""The same pipelines over Spark Connect: pyspark's own Connect server on 127.0.0.1, found by SPARK_REMOTE.

The server is the one Databricks Connect, shared clusters and serverless compute speak to: no
SparkContext on the client, every DataFrame a plan the server analyses at the first action. The
client here is `kedro run --env test --pipelines from_logs` on the tiny network's raw tables, with
nothing changed but SPARK_REMOTE; it must give the classic run's metrics and data-quality counts.
The tests of bad input then run once more over the same server and must stop with the same named
errors. The server runs `local[2]` with the project's Python for its workers; it and its JVM are
stopped at the end, whatever happened.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyspark
import pytest
import yaml

from job_reco import columns as C
from tests.conftest import PROJECT_ROOT, copy_project, run_kedro

pytestmark = [pytest.mark.spark, pytest.mark.e2e, pytest.mark.slow]
# Log lines unwrapped (Kedro's rich log handler wraps at the console's width).
WIDE = {"COLUMNS": "1000"}

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
START_TIMEOUT_S = 120
# The tests of bad input that run once more over Spark Connect, each with the error it names.
OVER_CONNECT = [
    "tests/test_bad_input.py::test_a_missing_raw_table_stops_before_any_node",
    "tests/test_bad_input.py::test_a_corrupt_parquet_file_is_named_before_any_node",
    "tests/test_bad_input.py::test_a_half_written_dataset_stops_the_next_run_and_from_nodes_resumes",
    "tests/test_raw_tables.py::test_missing_raw_tables_are_all_named_with_their_path",
    "tests/test_raw_tables.py::test_unreadable_raw_tables_are_named_with_path_and_reason",
    "tests/test_raw_tables.py::test_an_unreadable_csv_table_is_named_with_path_and_reason",
    "tests/test_raw_tables.py::test_raw_spark_dataset_reads_nanosecond_and_millisecond_parquet",
    "tests/test_part_files.py::test_a_spark_output_never_written_is_not_taken_for_half_written",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _stop(process: subprocess.Popen) -> None:
    """Stop the server's process group: spark-submit execs the JVM, whose Python workers are its children."""
    for sig, wait_s in ((signal.SIGTERM, 30), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            break
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            continue
    try:  # workers left behind by a JVM that died first
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="module")
def connect_server(tmp_path_factory):
    """sc://127.0.0.1:<free port> of a Spark Connect server (local[2], this Python for its workers)."""
    if shutil.which("java") is None:
        pytest.skip("no `java` on PATH: a Spark Connect server needs a JVM (make test installs OpenJDK 17)")
    spark_home = Path(pyspark.__file__).parent
    port = _free_port()
    log_path = tmp_path_factory.mktemp("spark_connect") / "server.log"
    env = {key: value for key, value in os.environ.items() if key not in ("SPARK_REMOTE", "SPARK_CONNECT_MODE_ENABLED")}
    env.update({
        "SPARK_HOME": str(spark_home), "SPARK_LOCAL_IP": "127.0.0.1", "PYSPARK_PYTHON": sys.executable,
        # The workers unpickle the project's functions (mapInPandas, applyInPandas) and import job_reco.
        "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT / "src"), os.environ.get("PYTHONPATH")) if p),
    })
    # The test env's static settings (conf/test/spark.yml), which a client cannot set on a server.
    command = [
        str(spark_home / "bin" / "spark-submit"), "--class", SERVER_CLASS, "--name", "job_reco Spark Connect",
        "--master", "local[2]", "--driver-memory", "2g",
        "--conf", "spark.connect.grpc.binding.address=127.0.0.1", "--conf", f"spark.connect.grpc.binding.port={port}",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.default.parallelism=2",
        "--conf", f"spark.pyspark.python={sys.executable}",
        # Progress reports every 100 ms (2 s by default), so that the tests' short queries report their stages.
        "--conf", "spark.connect.progress.reportInterval=100ms",
    ]
    with open(log_path, "w") as log:  # noqa: PTH123
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the Spark Connect server did not listen on 127.0.0.1:{port} in {START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text()[-3000:]}")
            time.sleep(1)
        yield f"sc://127.0.0.1:{port}"
    finally:
        _stop(process)


@pytest.fixture(scope="module")
def connect_run(tmp_path_factory, connect_server, tiny_project_run):
    """A project copy in which `kedro run --env test --pipelines from_logs` ran over Spark Connect.

    The raw tables (and hidden truth) are the classic tiny run's, read where it wrote them; node
    progress is logged every second so that the log shows it (a setting of the log only).
    """
    project = copy_project(tmp_path_factory.mktemp("connect_project"))
    raw, data = tiny_project_run / "data" / "01_raw", project / "data"
    (project / "conf" / "test" / "globals.yml").write_text(yaml.safe_dump(
        {"raw_root": str(raw), "spark_raw_root": str(raw), "data_root": str(data), "spark_data_root": str(data)}))
    started = time.monotonic()
    result = run_kedro(project, "run", "--env", "test", "--pipelines", "from_logs", "--params", "progress.every_s=1",
                       extra_env={"SPARK_REMOTE": connect_server, **WIDE})
    log = result.stdout + result.stderr
    (project / "kedro_run.log").write_text(f"{log}\n(wall {time.monotonic() - started:.0f} s)\n")
    if result.returncode != 0:
        pytest.fail(f"kedro run --env test --pipelines from_logs over {connect_server} failed "
                    f"({result.returncode}):\n{log[-6000:]}")
    return project, log


def test_from_logs_over_spark_connect_gives_the_classic_metrics_and_quality_counts(connect_run, tiny_project_run):
    project, _ = connect_run
    for report in ("metrics.json", "data_quality.json"):
        classic = json.loads((tiny_project_run / "data" / "08_reporting" / report).read_text())
        remote = json.loads((project / "data" / "08_reporting" / report).read_text())
        assert remote == classic, report


def _scores(project: Path) -> pd.DataFrame:
    """scored_impressions in a fixed row order."""
    frame = pd.read_parquet(project / "data/07_model_output/scored_impressions.parquet")
    return frame.sort_values([C.SEARCH_ID, C.RESUME_ID, C.JOB_ID], ignore_index=True)


def test_from_logs_over_spark_connect_scores_every_impression_as_the_classic_run(connect_run, tiny_project_run):
    """The same parameters give the same scores, run after run (here: a second run, over Spark Connect)."""
    project, _ = connect_run
    first, again = _scores(tiny_project_run), _scores(project)
    learned = [c for c in ("score_ranker", "score_ensemble", "score_ncf_original") if c in first.columns]
    pd.testing.assert_frame_equal(again.drop(columns=learned), first.drop(columns=learned), check_exact=True)
    # TensorFlow's float32 outputs may differ in their last bits between two processes (oneDNN picks its
    # kernels per process), so a score rounded to 1e-6 can land on either side of a rounding boundary; the
    # metrics are identical to the last digit (above), and the learned scores agree to 1e-5.
    pd.testing.assert_frame_equal(again[learned], first[learned], check_exact=False, rtol=1e-5, atol=1e-5)


def test_the_run_used_spark_connect_and_named_the_settings_left_to_the_server_once(connect_run, connect_server):
    _, log = connect_run
    (line,) = [line for line in log.splitlines() if f"Spark Connect session at {connect_server}" in line]
    assert "left to the server: spark.master (static)" in line and "spark.driver.memory (static)" in line
    for unwanted in ("CANNOT_MODIFY_CONFIG", "CANNOT_CONFIGURE_SPARK_CONNECT_MASTER", "JVM_ATTRIBUTE_NOT_SUPPORTED",
                     "Traceback"):
        assert unwanted not in log, unwanted


def test_node_progress_is_logged_over_spark_connect(connect_run):
    _, log = connect_run
    # SparkProgressHook's lines, from the server's progress reports: "<node>: done / total Spark tasks (..%)"
    lines = re.findall(r"(\w+): ([\d,]+) / ([\d,]+) Spark tasks", log)
    assert lines, "no Spark task progress in the log"
    assert any(int(total.replace(",", "")) > 0 for _, _, total in lines)


def test_recommend_on_spark_over_spark_connect_fills_its_progress_bar(connect_run, connect_server, tmp_path):
    project, _ = connect_run
    resumes = tmp_path / "resumes.parquet"
    pd.DataFrame({"resume_id": ["r1", "r2"], "text": ["Registered nurse, ICU, ten years.", "Truck driver, long haul."]}
                 ).to_parquet(resumes)
    output = tmp_path / "recommendations.parquet"
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYSPARK_PYTHON": sys.executable, "SPARK_REMOTE": connect_server,
           **WIDE}
    result = subprocess.run(
        [sys.executable, "-m", "job_reco", "recommend", "--resumes", str(resumes), "--output", str(output), "--top", "3",
         "--spark", "--env", "test"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    text = result.stdout + result.stderr
    assert result.returncode == 0, text[-4000:]
    assert "JVM_ATTRIBUTE_NOT_SUPPORTED" not in text and "Traceback" not in text
    bars = re.findall(r"Spark tasks.*?(\d+)/(\d+)", text)
    assert bars and bars[-1][0] == bars[-1][1] != "0", text[-2000:]
    written = pd.read_parquet(output)
    assert sorted(written.groupby("resume_id").size()) == [3, 3]


def test_bad_input_stops_with_the_same_named_errors_over_spark_connect(connect_server, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--basetemp", str(tmp_path / "runs"),
         *OVER_CONNECT],
        cwd=PROJECT_ROOT, env={**os.environ, "SPARK_REMOTE": connect_server}, capture_output=True, text=True,
        timeout=900)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    assert f"{len(OVER_CONNECT)} passed" in summary, summary
