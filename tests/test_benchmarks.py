"""Smoke test of `make bench`: the benchmark code on the tiny preset, and the memory sampler."""

from __future__ import annotations

import json
import os
import sys

from benchmarks import __main__ as bench
from benchmarks.bench_scale import run_measured

ALLOCATE = "import time; block = bytearray({mb} * 2**20); block[::4096] = b'x' * len(block[::4096]); time.sleep(1.5)"


def test_the_sampler_sees_the_driver_and_its_child_processes(tmp_path):
    child = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {ALLOCATE.format(mb=150)!r}]); "
    command = [sys.executable, "-c", child + ALLOCATE.format(mb=100)]
    figures = run_measured(command, tmp_path, dict(os.environ), tmp_path / "run.log")
    assert figures["returncode"] == 0 and figures["wall_s"] >= 1.5
    assert 100 <= figures["driver_peak_mb"] < 250  # the parent's own 100 MB (plus Python), not its child's
    assert figures["tree_peak_mb"] >= figures["driver_peak_mb"] + 150
    assert figures["jvm_peak_mb"] == 0


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
