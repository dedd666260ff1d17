"""The scale curve: wall time, rows/s and peak memory of each pipeline as the network grows.

    .venv/bin/python -m benchmarks.bench_scale [--size quick|full|tiny] [--preset xlarge ...] [--output PATH]

Each size is a `data_generation.preset` (small ~0.1M impressions, default ~1M, large ~10M, xlarge
~100M with `--size full`). For each size, a scratch copy of the project (src, conf, pyproject.toml in
data/09_benchmark/project, its own data/) runs `kedro run --params data_generation.preset=<preset>`
end to end, as `make run` does, with a plain timestamped log. Each pipeline's wall time is the sum of
its nodes' spans (from the previous node's completion to its own, so loading and saving count), and
`startup` the time before the first node (Python imports, Kedro, MLflow, the SparkSession). Memory:
/proc is sampled every 0.25 s; `driver` is the `kedro run` Python process (the Spark driver's Python
side), `jvm` the Java processes under it (Spark's driver JVM, which runs the local executors), `tree`
the sum over the process and all its descendants (JVM and Python workers) at one instant; each
pipeline's figure is the largest sample during its nodes' spans (MB = 2^20 bytes). CPU: the machine's
busy and stolen CPU seconds from /proc/stat at each sample; `cores_busy` is the busy share of all cores
during a pipeline's spans (1.0: every core busy all the time; the figures assume nothing else runs),
`steal_s` the time the hypervisor gave our cores to someone else (noise, not our cost). Rows/s:
generated impressions / wall seconds. Size `tiny` (the CI smoke test) runs data_generation on the
tiny preset in this process instead. `--preset` runs the named presets alone (e.g. `xlarge`, 37 minutes
here).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from job_reco.progress import EveryFewSeconds

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


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds() -> tuple[float, float]:
    """The machine's (busy, stolen) CPU seconds since boot, all cores together (/proc/stat)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq) / CLOCK_TICKS, steal / CLOCK_TICKS


def rss_and_name(pid: int) -> tuple[int, str]:
    """Resident memory (bytes) and command name of a process; (0, '') if it is gone."""
    try:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    except OSError:
        return 0, ""
    return int(fields.get("VmRSS", "0 kB").split()[0]) * 1024, fields.get("Name", "").strip()


class PeakSampler(EveryFewSeconds):
    """Samples the memory of a process tree every `interval_s` in a thread; keeps the peaks in MB."""

    def __init__(self, pid: int, interval_s: float = 0.25):
        super().__init__(interval_s, name=f"memory of {pid}")
        self.pid = pid
        self.peaks = {"driver_peak_mb": 0.0, "jvm_peak_mb": 0.0, "tree_peak_mb": 0.0}
        self.samples: list[tuple[float, ...]] = []  # (time.time(), driver, jvm, tree in MB, busy s, steal s)

    def tick(self) -> None:
        """One sample of the tree's resident memory."""
        driver = jvm = tree = 0
        for pid in descendants(self.pid):
            rss, name = rss_and_name(pid)
            tree += rss
            driver += rss if pid == self.pid else 0
            jvm += rss if name == "java" else 0
        sample = tuple(round(value / MB, 1) for value in (driver, jvm, tree))
        self.samples.append((time.time(), *sample, *cpu_seconds()))
        for key, value in zip(self.peaks, sample, strict=True):
            self.peaks[key] = max(self.peaks[key], value)


def run_measured(command: list[str], cwd: Path, env: dict[str, str], log: Path, samples: list | None = None) -> dict:
    """Run `command`, its output into `log`; wall seconds, exit code and the peaks of its process tree.

    `samples`, if given, receives the start time (as a first, empty sample) and the memory timeline.
    """
    start, started_at, cpu_at_start = time.perf_counter(), time.time(), cpu_seconds()
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        with PeakSampler(process.pid) as sampler:
            returncode = process.wait()
    if samples is not None:
        samples += [(started_at, 0.0, 0.0, 0.0, *cpu_at_start), *sampler.samples]
    wall = time.perf_counter() - start
    busy, steal = (end - begin for begin, end in zip(cpu_at_start, cpu_seconds(), strict=True))
    return {"wall_s": round(wall, 1), "returncode": returncode, **sampler.peaks, **cpu_use(wall, busy, steal)}


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


# A plain log with epoch seconds: the node spans are read back from it.
LOGGING = """version: 1
disable_existing_loggers: false
formatters:
  stamped: {format: "%(created).3f %(name)s %(levelname)s %(message)s"}
handlers:
  plain: {class: logging.StreamHandler, formatter: stamped, stream: "ext://sys.stdout"}
loggers:
  kedro: {level: INFO}
  job_reco: {level: INFO}
  py4j: {level: WARN}
root: {handlers: [plain], level: WARNING}
"""
COMPLETED = re.compile(r"^(\d+\.\d+) \S+ INFO Completed node: (\S+)$")
FIRST_NODE = re.compile(r"^(\d+\.\d+) \S+ INFO (Loading data from|Running node:)")
MEMORY_KEYS = ("driver_peak_mb", "jvm_peak_mb", "tree_peak_mb")
SLOWEST_NODES = 8  # listed per size with their wall time and memory peaks


def node_spans(log_lines: list[str], started_at: float) -> list[tuple[str, float, float]]:
    """(node, start, end) per completed node, each from the previous completion to its own; 'startup' first."""
    first = next((float(m[1]) for m in map(FIRST_NODE.match, log_lines) if m), None)
    spans, previous = [], first
    if first is not None:
        spans.append(("startup", started_at, first))
    for found in filter(None, map(COMPLETED.match, log_lines)):
        end = float(found[1])
        spans.append((found[2], previous, end))
        previous = end
    return spans


def cpu_use(seconds: float, busy: float, steal: float, cores: int | None = None) -> dict[str, float]:
    """`cores_busy` and `steal_s` of `seconds` of wall time with `busy` and `steal` CPU seconds; {} without time."""
    if seconds <= 0:
        return {}
    return {"cores_busy": round(busy / (seconds * (cores or os.cpu_count())), 2), "steal_s": round(steal, 1)}


def pipeline_figures(spans: list[tuple[str, float, float]], samples: list[tuple[float, ...]],
                     pipeline_of: dict[str, str] | None, cores: int | None = None) -> dict[str, dict]:
    """Per pipeline (and 'startup'): wall seconds over its nodes' spans, the memory peaks and CPU use within them.

    `pipeline_of=None`: the same per node. CPU use counts from each span's first sample to its last.
    """
    figures: dict[str, dict] = {}
    cpu: dict[str, list[float]] = {}  # name: [seconds sampled, busy s, steal s]
    for node, start, end in spans:
        name = node if pipeline_of is None or node == "startup" else pipeline_of.get(node, "other")
        entry = figures.setdefault(name, {"wall_s": 0.0, **dict.fromkeys(MEMORY_KEYS, 0.0)})
        entry["wall_s"] += end - start
        within = [s for s in samples if start <= s[0] <= end]
        for sample in within:
            for key, value in zip(MEMORY_KEYS, sample[1:4], strict=True):
                entry[key] = max(entry[key], value)
        if len(within) >= 2:
            totals = cpu.setdefault(name, [0.0, 0.0, 0.0])
            for i, column in enumerate((0, 4, 5)):
                totals[i] += within[-1][column] - within[0][column]
    for name, entry in figures.items():
        entry["wall_s"] = round(entry["wall_s"], 1)
        seconds, busy, steal = cpu.get(name, (0.0, 0.0, 0.0))
        entry.update(cpu_use(seconds, busy, steal, cores))
    return figures


def run_preset(preset: str, pipelines: tuple[str, ...], workspace: Path = WORKSPACE) -> dict:
    """`kedro run` end to end on `preset` in a fresh workspace; figures per pipeline and in total."""
    from job_reco.pipeline_registry import project_pipelines

    workspace = prepare_workspace(workspace)
    (workspace / "logging.yml").write_text(LOGGING)
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(workspace / "src"),
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable,
           "KEDRO_LOGGING_CONFIG": str(workspace / "logging.yml")}
    command = [sys.executable, "-m", "kedro", "run", "--params", f"data_generation.preset={preset}"]
    samples: list[tuple[float, ...]] = []
    total = run_measured(command, workspace, env, workspace / "run.log", samples)
    print(f"  {preset}: kedro run: {total}", flush=True)
    if total.pop("returncode") != 0:
        return {"preset": preset, "error": f"kedro run failed: {(workspace / 'run.log').read_text()[-2000:]}"}
    pipeline_of = {node.name: name for name, pipe in project_pipelines().items() if name in pipelines for node in pipe.nodes}
    spans = node_spans((workspace / "run.log").read_text().splitlines(), samples[0][0])
    found = pipeline_figures(spans, samples[1:], pipeline_of)
    figures = {name: found[name] for name in ("startup", *pipelines, "other") if name in found}
    summary = json.loads((workspace / "data/08_reporting/data_generation_summary.json").read_text())
    nodes = pipeline_figures(spans, samples[1:], None)
    slowest = dict(sorted(nodes.items(), key=lambda item: -item[1]["wall_s"])[:SLOWEST_NODES])
    return {**_with_rates(preset, summary, figures, total), "slowest_nodes": slowest}


def _with_rates(preset: str, summary: dict, figures: dict[str, dict], total: dict | None = None) -> dict:
    """One size's row: impressions, per-pipeline figures with rows/s, and the whole run's figures."""
    impressions = int(summary["impressions"])
    total = total or {"wall_s": round(sum(v["wall_s"] for v in figures.values()), 1),
                      **{key: max(v[key] for v in figures.values()) for key in MEMORY_KEYS}}
    for values in figures.values():
        values["rows_per_s"] = round(impressions / max(values["wall_s"], 1e-9))
    return {"preset": preset, "impressions": impressions, "searches": int(summary["searches"]), "pipelines": figures,
            "total_wall_s": total["wall_s"], **{key: total[key] for key in MEMORY_KEYS},
            **{f"total_{key}": total[key] for key in ("cores_busy", "steal_s") if key in total}}


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


def measure(size: str = "quick", presets: tuple[str, ...] | None = None) -> dict:
    """The scale curve at `size` (tiny | quick | full): one row per preset; or of `presets` alone when given."""
    if size == "tiny" and not presets:
        return {"size": size, "machine": machine(), "curve": [run_tiny_in_process()]}
    if size not in SIZES and not presets:
        raise ValueError(f"bench_scale size must be tiny, quick or full; got {size!r}")
    from job_reco.pipeline_registry import FROM_LOGS

    # What `kedro run` runs (recommend runs on request, on resumes a run does not make: bench_recommend)
    pipelines = ("data_generation", *FROM_LOGS)
    curve = [run_preset(preset, pipelines) for preset in presets or SIZES[size]]
    return {"size": size if not presets else "presets", "machine": machine(), "pipelines": list(pipelines), "curve": curve}


def table(figures: dict) -> str:
    """The scale curve as a text table: one line per preset and pipeline, then the totals."""
    lines = [(f"{'preset':8} {'impressions':>12} {'pipeline':18} {'wall s':>8} {'rows/s':>10} "
              f"{'driver MB':>10} {'jvm MB':>8} {'tree MB':>8} {'busy':>5} {'steal s':>7}")]
    for row in figures["curve"]:
        if "error" in row:
            lines.append(f"{row['preset']:8} failed: {row['error'][:300]}")
            continue
        total = {**row, "wall_s": row["total_wall_s"], "rows_per_s": round(row["impressions"] / max(row["total_wall_s"], 1e-9)),
                 "cores_busy": row.get("total_cores_busy"), "steal_s": row.get("total_steal_s")}
        for name, v in [*row["pipelines"].items(), ("total", total)]:
            busy = "" if v.get("cores_busy") is None else f"{v['cores_busy']:.0%}"
            steal = "" if v.get("steal_s") is None else f"{v['steal_s']:.1f}"
            lines.append(f"{row['preset']:8} {row['impressions']:>12,} {name:18} {v['wall_s']:>8.1f} "
                         f"{v['rows_per_s']:>10,} {v['driver_peak_mb']:>10,.0f} {v['jvm_peak_mb']:>8,.0f} "
                         f"{v['tree_peak_mb']:>8,.0f} {busy:>5} {steal:>7}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="quick", choices=["tiny", "quick", "full"])
    parser.add_argument("--preset", action="append", choices=SIZES["full"],
                        help="run this data_generation preset only (repeatable), e.g. --preset xlarge")
    parser.add_argument("--output", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args([] if __name__ != "__main__" else None)
    figures = measure(args.size, tuple(args.preset) if args.preset else None)
    if args.output:
        args.output.write_text(json.dumps(figures, indent=2) + "\n")
    print(table(figures))


if __name__ == "__main__":
    main()
