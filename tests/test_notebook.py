"""The walkthrough notebook runs top to bottom against a finished tiny run."""

from __future__ import annotations

import os

import nbformat
from nbclient import NotebookClient

from tests.conftest import PROJECT_ROOT

NOTEBOOK = PROJECT_ROOT / "notebooks" / "job_reco_walkthrough.ipynb"


def test_notebook_loads_the_catalog_through_kedros_extension():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    sources = [cell.source for cell in notebook.cells if cell.cell_type == "code"]
    assert sources[0].strip() == "%load_ext kedro.ipython"
    assert all(not cell.outputs for cell in notebook.cells if cell.cell_type == "code"), "commit it without outputs"


def test_notebook_runs_top_to_bottom(tiny_project_run, monkeypatch):
    notebook = nbformat.read(tiny_project_run / "notebooks" / NOTEBOOK.name, as_version=4)
    # The kernel inherits this environment: the tiny run's env, no telemetry, loopback Spark.
    monkeypatch.setenv("KEDRO_ENV", "test")
    monkeypatch.setenv("KEDRO_DISABLE_TELEMETRY", "1")
    monkeypatch.setenv("SPARK_LOCAL_IP", os.environ.get("SPARK_LOCAL_IP", "127.0.0.1"))
    client = NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tiny_project_run)}}
    )
    client.execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [output for output in outputs if output.output_type == "error"]
    images = [output for output in outputs if "image/png" in output.get("data", {})]
    assert len(images) >= 6, "every chart is shown"
