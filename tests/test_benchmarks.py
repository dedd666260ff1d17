"""Smoke test of `make bench`: the benchmark code on the tiny preset, and the memory sampler."""

from __future__ import annotations

import json
import os
import sys

import pytest

from benchmarks import __main__ as bench
from benchmarks.bench_scale import node_spans, pipeline_figures, run_measured

ALLOCATE = "import time; block = bytearray({mb} * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"


def test_the_sampler_sees_the_driver_and_its_child_processes(tmp_path):
    child = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {ALLOCATE.format(mb=150)!r}]); "
    command = [sys.executable, "-c", child + ALLOCATE.format(mb=100)]
    figures = run_measured(command, tmp_path, dict(os.environ), tmp_path / "run.log")
    assert figures["returncode"] == 0 and figures["wall_s"] >= 1.5
    assert 100 <= figures["driver_peak_mb"] < 250  # the parent's own 100 MB (plus Python), not its child's
    assert figures["tree_peak_mb"] >= figures["driver_peak_mb"] + 150
    assert figures["jvm_peak_mb"] == 0


@pytest.mark.e2e  # `kedro run` of the tiny preset in a subprocess
def test_make_bench_on_the_tiny_preset_writes_the_json_and_the_table(tmp_path, capsys):
    output = tmp_path / "benchmark.json"
    bench.main(["--size", "tiny", "--output", str(output)])
    run = json.loads(output.read_text())
    broken = {name: f["error"] for name, f in run["results"].items()
              if "error" in f and not f["error"].startswith("no measure")}
    assert not broken, broken
    row = run["results"]["bench_scale"]["curve"][0]
    assert row["preset"] == "tiny" and 10_000 < row["impressions"] < 30_000
    generation = row["pipelines"]["data_generation"]
    assert generation["wall_s"] > 0 and generation["rows_per_s"] > 0 and generation["driver_peak_mb"] > 50
    printed = capsys.readouterr().out
    assert "data_generation" in printed and f"{row['impressions']:,}" in printed and str(output) in printed


def test_node_spans_and_pipeline_figures_by_hand():
    log = [
        "100.000 kedro.framework.session INFO Kedro project job_reco",
        "112.000 kedro.io.data_catalog INFO Loading data from raw_jobs (ParquetDataset)...",
        "112.500 kedro.pipeline.node INFO Running node: make_jobs: make_jobs([params]) -> [raw_jobs]",
        "120.000 kedro.runner.sequential_runner INFO Completed node: make_jobs",
        "121.000 kedro.pipeline.node INFO Running node: join_logs: join_logs([raw_jobs]) -> [joined]",
        "130.500 kedro.runner.sequential_runner INFO Completed node: join_logs",
    ]
    spans = node_spans(log, started_at=98.0)
    # startup: process start (98) to the first load (112); each node from the previous completion to its own
    assert spans == [("startup", 98.0, 112.0), ("make_jobs", 112.0, 120.0), ("join_logs", 120.0, 130.5)]
    # (time, driver, jvm, tree MB, the machine's busy and stolen CPU seconds so far)
    samples = [(99.0, 300.0, 0.0, 300.0, 10.0, 0.0), (115.0, 900.0, 400.0, 1500.0, 20.0, 0.0),
               (119.0, 700.0, 400.0, 1200.0, 26.0, 1.0), (121.0, 800.0, 2000.0, 3100.0, 28.0, 1.0),
               (125.0, 800.0, 1000.0, 2100.0, 36.0, 1.5)]
    figures = pipeline_figures(spans, samples, {"make_jobs": "data_generation", "join_logs": "data_integration"}, cores=2)
    # make_jobs sampled from 115 to 119: 6 busy s in 4 s on 2 cores; join_logs 121-125: 8 in 4
    assert figures == {
        "startup": {"wall_s": 14.0, "driver_peak_mb": 300.0, "jvm_peak_mb": 0.0, "tree_peak_mb": 300.0},
        "data_generation": {"wall_s": 8.0, "driver_peak_mb": 900.0, "jvm_peak_mb": 400.0, "tree_peak_mb": 1500.0,
                            "cores_busy": 0.75, "steal_s": 1.0},
        "data_integration": {"wall_s": 10.5, "driver_peak_mb": 800.0, "jvm_peak_mb": 2000.0, "tree_peak_mb": 3100.0,
                             "cores_busy": 1.0, "steal_s": 0.5},
    }


def test_quality_scale_reads_a_finished_run_and_tabulates_it(tmp_path):
    from benchmarks.quality_scale import read_run, table

    reporting = tmp_path / "08_reporting"
    reporting.mkdir()
    cell = {"ndcg@10": 0.7, "ndcg@10_ci95": [0.68, 0.72], "ips_mrr_true_curve": 0.65, "ips_mrr_true_curve_ci95": [0.6, 0.7]}
    headline = {"gap_closed": {"ensemble": cell, "gbdt": {**cell, "ndcg@10": 0.6}},
                "chosen_minus_baseline": {"gbdt": {"ndcg@10": 0.01, "ndcg@10_ci95": [0.005, 0.015]}}}
    files = {"metrics.json": {"headline": headline}, "data_generation_summary.json": {"impressions": 1_000_000},
             "architecture_selection.json": {"selected": "blend", "blend_weight": 0.5},
             "ranker_history.json": {"samples_per_second": 1e6, "rows_train": 700_000}}
    for name, content in files.items():
        (reporting / name).write_text(json.dumps(content))
    run = read_run("default", tmp_path, wall_s=100.0)
    assert run["impressions"] == 1_000_000 and run["selected"] == "blend" and run["throughput"]["ranker_samples_per_second"] == 1e6
    assert run["gap_closed"]["ranker"]["ndcg@10"] is None and run["diagnostic"] is None  # absent: left empty
    text = table({"default": run})
    assert "| default | 1,000,000 | blend w=0.5 | 70.0% [68.0, 72.0] | 60.0% [68.0, 72.0] |  | +0.0100 [+0.0050, +0.0150] |  |" in text
