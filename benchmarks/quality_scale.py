"""What more logs buy: the same code trained and evaluated at small, default and large (0.1M, 1M, 10M impressions).

    .venv/bin/python -m benchmarks.quality_scale [--preset small default large] [--output data/08_reporting/quality_by_scale.json]

Each preset runs `kedro run --params data_generation.preset=<preset>` end to end in a scratch copy of
the project (`bench_scale.prepare_workspace`, data/09_benchmark/quality_<preset>), as `make run` does,
and reads back what its reporting wrote: per ranker the share of the search-to-oracle gap closed on
the truth views with 95% intervals, the chosen model minus LambdaMART, the architecture chosen, each
trained model's throughput, and the truth diagnostic (`reporting/diagnostic.py`). Presets already in
the output file are kept (one preset can be run at a time); the file is rewritten with a chart beside
it (charts/quality_by_scale.png) and the table printed. `reporting` puts the table into report.md
when the file is there (`quality_by_scale`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PRESETS = ("small", "default", "large")
RANKERS = ("ensemble", "gbdt", "ranker", "cosine", "popularity")
VIEWS = ("ndcg@10", "ips_mrr_true_curve")


def workspace_of(preset: str) -> Path:
    return ROOT / "data" / "09_benchmark" / f"quality_{preset}"


def _json(path: Path) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def read_run(preset: str, data: Path, wall_s: float | None = None) -> dict:
    """The figures of one finished run from its data folder (metrics, selection, throughput, diagnostic)."""
    reporting = data / "08_reporting"
    headline = _json(reporting / "metrics.json").get("headline", {})
    summary = _json(reporting / "data_generation_summary.json")
    ranker, click, gbdt = (_json(reporting / name) for name in ("ranker_history.json", "click_model.json", "gbdt_summary.json"))
    diagnostic = _json(reporting / "truth_diagnostic.json")
    return {
        "preset": preset, "impressions": summary.get("impressions"), "searches": summary.get("searches"),
        "wall_s": wall_s, "selected": _json(reporting / "architecture_selection.json").get("selected"),
        "blend_weight": _json(reporting / "architecture_selection.json").get("blend_weight"),
        "gap_closed": {r: {v: headline.get("gap_closed", {}).get(r, {}).get(v) for v in (*VIEWS, *(f"{v}_ci95" for v in VIEWS))}
                       for r in RANKERS},
        "chosen_minus_gbdt": {key: headline.get("chosen_minus_baseline", {}).get("gbdt", {}).get(key)
                              for key in (*VIEWS, *(f"{v}_ci95" for v in VIEWS))},
        "throughput": {"ranker_samples_per_second": ranker.get("samples_per_second"),
                       "click_model_samples_per_second": click.get("samples_per_second"),
                       "gbdt_samples_per_second": gbdt.get("samples_per_second"),
                       "ranker_rows": ranker.get("rows_train")},
        "diagnostic": diagnostic.get("table"),
    }


def run_preset(preset: str) -> dict:
    """`kedro run` end to end on `preset` in a fresh scratch copy; its figures."""
    from benchmarks.bench_scale import prepare_workspace  # noqa: PLC0415

    workspace = prepare_workspace(workspace_of(preset))
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1", "PYTHONPATH": str(workspace / "src"),
           "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable}
    started = time.perf_counter()
    with (workspace / "run.log").open("w") as log:
        import subprocess  # noqa: PLC0415

        code = subprocess.call([sys.executable, "-m", "kedro", "run", "--params", f"data_generation.preset={preset}"],
                               cwd=workspace, env=env, stdout=log, stderr=subprocess.STDOUT)
    if code != 0:
        raise RuntimeError(f"kedro run on preset {preset} failed (exit {code}): see {workspace / 'run.log'}")
    return read_run(preset, workspace / "data", round(time.perf_counter() - started, 1))


def table(runs: dict) -> str:
    """Markdown: per preset, impressions, the chosen architecture and each ranker's gap closed on true nDCG@10."""
    def share(cell: dict | None, view: str) -> str:
        if not cell or cell.get(view) is None:
            return ""
        low, high = cell.get(f"{view}_ci95") or (None, None)
        return f"{100 * cell[view]:.1f}%" + (f" [{100 * low:.1f}, {100 * high:.1f}]" if low is not None else "")

    lines = ["| preset | impressions | chosen | " + " | ".join(f"{r} gap closed, true nDCG@10" for r in RANKERS[:3])
             + " | chosen - gbdt, true nDCG@10 | chosen - gbdt, true-curve IPS-MRR |", "|" + "---|" * 8]
    for preset in [p for p in (*PRESETS, *sorted(set(runs) - set(PRESETS))) if p in runs]:
        run = runs[preset]
        diff = run["chosen_minus_gbdt"]

        def delta(view: str) -> str:
            if diff.get(view) is None:
                return ""
            low, high = diff.get(f"{view}_ci95") or (float("nan"), float("nan"))
            return f"{diff[view]:+.4f} [{low:+.4f}, {high:+.4f}]"

        chosen = run["selected"] + (f" w={run['blend_weight']}" if run.get("blend_weight") else "")
        lines.append(f"| {preset} | {run['impressions']:,} | {chosen} | "
                     + " | ".join(share(run["gap_closed"].get(r), "ndcg@10") for r in RANKERS[:3])
                     + f" | {delta('ndcg@10')} | {delta('ips_mrr_true_curve')} |")
    return "\n".join(lines)


def plot(runs: dict):
    """Gap closed on true nDCG@10 against impressions (log scale), one line per ranker, 95% intervals as bars."""
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    ordered = [runs[p] for p in PRESETS if p in runs]
    figure, axis = plt.subplots(figsize=(6.5, 4.2))
    for ranker in RANKERS[:4]:
        points = [(r["impressions"], r["gap_closed"][ranker]) for r in ordered if r["gap_closed"].get(ranker, {}).get("ndcg@10") is not None]
        if not points:
            continue
        x = [p[0] for p in points]
        y = [100 * p[1]["ndcg@10"] for p in points]
        low = [100 * (p[1]["ndcg@10"] - (p[1].get("ndcg@10_ci95") or [p[1]["ndcg@10"]] * 2)[0]) for p in points]
        high = [100 * ((p[1].get("ndcg@10_ci95") or [p[1]["ndcg@10"]] * 2)[1] - p[1]["ndcg@10"]) for p in points]
        axis.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label=ranker)
    axis.set_xscale("log")
    axis.set_xlabel("impressions in the logs")
    axis.set_ylabel("share of the search-to-oracle gap closed (%), true nDCG@10")
    axis.set_title("What more logs buy (same code, presets small, default, large)")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return figure


def main() -> None:
    """Run the presets, merge them into the output JSON, write the chart, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", nargs="+", default=list(PRESETS))
    parser.add_argument("--output", default=str(ROOT / "data" / "08_reporting" / "quality_by_scale.json"))
    parser.add_argument("--read-only", action="store_true", help="read finished runs from their workspaces, run nothing")
    args = parser.parse_args()
    output = Path(args.output)
    runs = _json(output).get("runs", {})
    for preset in args.preset:
        runs[preset] = read_run(preset, workspace_of(preset) / "data") if args.read_only else run_preset(preset)
        print(f"{preset}: {json.dumps(runs[preset]['gap_closed']['ensemble'])}", flush=True)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"runs": runs, "table": table(runs)}, indent=2) + "\n")
    chart = output.parent / "charts" / "quality_by_scale.png"
    chart.parent.mkdir(parents=True, exist_ok=True)
    plot(runs).savefig(chart, dpi=120)
    print(table(runs))


if __name__ == "__main__":
    main()
