"""The scale curve: wall time, rows/s and peak memory of each pipeline as the network grows.

    .venv/bin/python -m benchmarks.bench_scale [--size quick|full|tiny]

Each size is a `data_generation.preset` (small ~0.1M impressions, default ~1M, large ~10M, xlarge
~100M with `--size full`). For each size, a scratch copy of the project (src, conf, pyproject.toml in
data/09_benchmark/project, its own data/) runs every pipeline in the registry's order as its own
`kedro run --pipelines <name> --params data_generation.preset=<preset>`, so each pipeline's wall time
includes one Kedro and Spark start (about 10-15 s). Memory: /proc is sampled every 0.25 s while a run
lasts; `driver` is the `kedro run` Python process (the Spark driver's Python side), `jvm` the Java
processes under it (Spark's driver JVM, which runs the local executors), `tree` the sum over the
process and all its descendants (JVM and Python workers) at one instant; each figure is the largest
sample (MB = 2^20 bytes). Rows/s: generated impressions / wall seconds of the pipeline.
Size `tiny` (the CI smoke test) runs data_generation on the tiny preset in this process instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Self

ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = ROOT / "data" / "09_benchmark" / "project"
SIZES = {"quick": ("small", "default", "large"), "full": ("small", "default", "large", "xlarge")}
DATA_LAYERS = ("01_raw", "02_intermediate", "03_primary", "04_feature", "05_model_input", "06_models",
               "07_model_output", "08_reporting")
MB = 2**20


def _children() -> dict[int, list[int]]:
    """{parent pid: child pids} of every process /proc lists now."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(entry.path, "stat").read_text()
            except OSError:  # the process ended while we looked
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            tree.setdefault(parent, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it."""
    tree, found, pending = _children(), [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        pending += tree.get(current, [])
    return found


def rss_and_name(pid: int) -> tuple[int, str]:
    """Resident memory (bytes) and command name of a process; (0, '') if it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return 0, ""
    return int(fields.get("VmRSS", "0 kB").split()[0]) * 1024, fields.get("Name", "").strip()


class PeakSampler:
    """Samples the memory of a process tree every `interval_s` in a thread; keeps the peaks in MB."""

    def __init__(self, pid: int, interval_s: float = 0.25):
        self.pid, self.interval_s = pid, interval_s
        self.peaks = {"driver_peak_mb": 0.0, "jvm_peak_mb": 0.0, "tree_peak_mb": 0.0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        driver = jvm = tree = 0
        for pid in descendants(self.pid):
            rss, name = rss_and_name(pid)
            tree += rss
            driver += rss if pid == self.pid else 0
            jvm += rss if name == "java" else 0
        for key, value in zip(self.peaks, (driver, jvm, tree)):
            self.peaks[key] = max(self.peaks[key], round(value / MB, 1))

    def _run(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_measured(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> dict:
    """Run `command`, its output into `log`; wall seconds, exit code and the peaks of its process tree."""
    start = time.perf_counter()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakSampler(process.pid) as sampler:
            returncode = process.wait()
    return {"wall_s": round(time.perf_counter() - start, 1), "returncode": returncode, **sampler.peaks}


def prepare_workspace(workspace: Path = WORKSPACE) -> Path:
    """A fresh scratch copy of what `kedro run` needs, with empty data layers."""
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", workspace)
    ignore = shutil.ignore_patterns("*.egg-info", "__pycache__")
    shutil.copytree(ROOT / "src", workspace / "src", ignore=ignore)
    shutil.copytree(ROOT / "conf", workspace / "conf", ignore=shutil.ignore_patterns("local"))
    (workspace / "conf" / "local").mkdir()
    for layer in DATA_LAYERS:
        (workspace / "data" / layer).mkdir(parents=True)
    return workspace


def run_preset(preset: str, pipelines: tuple[str, ...], workspace: Path = WORKSPACE) -> dict:
    """Every pipeline as its own `kedro run` on `preset` in a fresh workspace; figures per pipeline."""
    workspace = prepare_workspace(workspace)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(workspace / "src"),
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    figures: dict[str, dict] = {}
    for name in pipelines:
        command = [sys.executable, "-m", "kedro", "run", "--pipelines", name, "--params",
                   f"data_generation.preset={preset}"]
        figures[name] = run_measured(command, workspace, env, workspace / f"{name}.log")
        print(f"  {preset}: kedro run --pipelines {name}: {figures[name]}", flush=True)
        if figures[name]["returncode"] != 0:
            tail = (workspace / f"{name}.log").read_text()[-2000:]
            return {"preset": preset, "pipelines": figures, "error": f"kedro run --pipelines {name} failed: {tail}"}
    summary = json.loads((workspace / "data/08_reporting/data_generation_summary.json").read_text())
    return _with_rates(preset, summary, figures)


def _with_rates(preset: str, summary: dict, figures: dict[str, dict]) -> dict:
    """One size's row: impressions, per-pipeline figures with rows/s, and the totals."""
    impressions = int(summary["impressions"])
    for values in figures.values():
        values.pop("returncode", None)
        values["rows_per_s"] = round(impressions / max(values["wall_s"], 1e-9))
    return {
        "preset": preset, "impressions": impressions, "searches": int(summary["searches"]), "pipelines": figures,
        "total_wall_s": round(sum(v["wall_s"] for v in figures.values()), 1),
        **{key: max(v[key] for v in figures.values()) for key in ("driver_peak_mb", "jvm_peak_mb", "tree_peak_mb")},
    }


def run_tiny_in_process() -> dict:
    """data_generation on the tiny preset in this process (SequentialRunner, in memory): the smoke size."""
    from benchmarks.bench_generation import time_generation

    with PeakSampler(os.getpid()) as sampler:
        start = time.perf_counter()
        summary = time_generation("tiny")
        wall = time.perf_counter() - start
    figures = {"data_generation": {"wall_s": round(wall, 1), **sampler.peaks}}
    return _with_rates("tiny", summary, figures)


def machine() -> dict:
    """The CPU, cores and memory the figures come from."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                      if line.startswith("MemTotal")))
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
            "python": sys.version.split()[0]}


def measure(size: str = "quick") -> dict:
    """The scale curve at `size` (tiny | quick | full): one row per preset."""
    if size == "tiny":
        return {"size": size, "machine": machine(), "curve": [run_tiny_in_process()]}
    if size not in SIZES:
        raise ValueError(f"bench_scale size must be tiny, quick or full; got {size!r}")
    from job_reco.pipeline_registry import FROM_LOGS

    # What `kedro run` runs (recommend runs on request, on resumes a run does not make: bench_recommend)
    pipelines = ("data_generation", *FROM_LOGS)
    curve = [run_preset(preset, pipelines) for preset in SIZES[size]]
    return {"size": size, "machine": machine(), "pipelines": list(pipelines), "curve": curve}


def table(figures: dict) -> str:
    """The scale curve as a text table: one line per preset and pipeline, then the totals."""
    lines = [(f"{'preset':8} {'impressions':>12} {'pipeline':18} {'wall s':>8} {'rows/s':>10} "
              f"{'driver MB':>10} {'jvm MB':>8} {'tree MB':>8}")]
    for row in figures["curve"]:
        if "error" in row:
            lines.append(f"{row['preset']:8} failed: {row['error'][:300]}")
            continue
        for name, v in [*row["pipelines"].items(), ("total", {**row, "wall_s": row["total_wall_s"],
                        "rows_per_s": round(row["impressions"] / max(row["total_wall_s"], 1e-9))})]:
            lines.append(f"{row['preset']:8} {row['impressions']:>12,} {name:18} {v['wall_s']:>8.1f} "
                         f"{v['rows_per_s']:>10,} {v['driver_peak_mb']:>10,.0f} {v['jvm_peak_mb']:>8,.0f} "
                         f"{v['tree_peak_mb']:>8,.0f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="quick", choices=["tiny", "quick", "full"])
    args = parser.parse_args([] if __name__ != "__main__" else None)
    print(table(measure(args.size)))


if __name__ == "__main__":
    main()
