"""The README's results block, written from a run's reports (`make results-table`).

    .venv/bin/python scripts/results_table.py [--reports data/08_reporting] [--commit HASH] [--write README.md]

Reads `metrics.json` (and, when present, `architecture_selection.json` and
`data_generation_summary.json`) from `--reports` and prints the block that README.md's "What the
default run gives" shows: the network, one row per ranker in every view, the chosen model minus each
baseline with its 95% bootstrap interval, and its lift over search in the naive and debiased views.
`--write README.md` replaces the block between the two `results-table` markers of that file instead.
Every number comes from those files; nothing here is measured or rounded twice.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BEGIN = "<!-- results-table: begin (make results-table rewrites this block) -->"
END = "<!-- results-table: end -->"
LABELS = {
    "search": "search (keyword, BM25)",
    "ranker": "ranker (shared, listwise)",
    "gbdt": "gbdt (LambdaMART)",
    "ncf_original": "ncf_original (per-cluster NCF)",
    "oracle": "oracle (true relevance)",
}
ORDER = ("search", "ensemble", "ranker", "gbdt", "ncf_original", "cosine", "popularity", "random")
TRUE_CURVE = "ips_mrr_true_curve"
VIEW_NAMES = {TRUE_CURVE: "IPS-MRR true curve", "ips_mrr": "IPS-MRR learned curve", "mrr": "MRR"}


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _number(value: Any, digits: int = 3) -> str:
    return f"{value:.{digits}f}" if _finite(value) else ""


def _share(value: Any) -> str:
    return f"{value * 100:.1f}%" if _finite(value) else ""


def _bounds(bounds: Any, form) -> str:
    return f"[{form(bounds[0])}, {form(bounds[1])}]" if bounds and all(_finite(b) for b in bounds) else "[n/a]"


def _verdict(bounds: Any) -> str:
    if not bounds or not all(_finite(b) for b in bounds):
        return "undetermined"
    return "better" if bounds[0] > 0 else "worse" if bounds[1] < 0 else "not established"


def _view_name(view: str) -> str:
    return VIEW_NAMES.get(view, f"true {view.replace('ndcg', 'nDCG')}")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def _rankers(metrics: Mapping[str, Any]) -> list[str]:
    present = list(metrics["rankers"])
    return [r for r in ORDER if r in present] + [r for r in present if r not in ORDER]


def _chosen_label(selection: Mapping[str, Any] | None) -> str:
    if not selection:
        return "ensemble (chosen)"
    weight = selection.get("blend_weight")
    mode = selection["selected"] + (f" w={weight:g}" if weight is not None else "")
    return f"ensemble (chosen: {mode})"


def ranker_rows(metrics: Mapping[str, Any], selection: Mapping[str, Any] | None) -> list[str]:
    """One row per ranker: the truth views with the gap closed (generated data), then learned IPS-MRR, MRR, P@5."""
    headline, truth = metrics["headline"], metrics.get("truth") or {}
    truth_views = [v for v in headline["views"] if v not in ("ips_mrr", "mrr")] if headline["truth"] else []
    header = ["ranker"]
    for view in truth_views:
        header += [_view_name(view), "gap closed"]
    header += [_view_name("ips_mrr"), "MRR", "P@5"]
    rows = []
    for ranker in [*_rankers(metrics), *(["oracle"] if "oracle" in truth else [])]:
        values = headline["values"].get(ranker, {})
        gap = headline["gap_closed"].get(ranker, {})
        row = [_chosen_label(selection) if ranker == headline["chosen"] else LABELS.get(ranker, ranker)]
        for view in truth_views:
            closed = "100%" if ranker == "oracle" else _share(gap.get(view))
            if ranker == headline["chosen"]:
                closed += " " + _bounds(gap.get(view + "_ci95"), lambda b: f"{b * 100:.1f}")
            row += [_number(values.get(view)), closed]
        naive = metrics["rankers"].get(ranker, {})
        row += [_number(values.get("ips_mrr")), _number(values.get("mrr")), _number(naive.get("precision@5"))]
        rows.append(row)
    return _table(header, rows)


def difference_rows(metrics: Mapping[str, Any]) -> list[str]:
    """The chosen model minus each baseline in every view, with its 95% interval and what it establishes."""
    headline = metrics["headline"]
    views = headline["views"]
    rows = [[baseline, *(f"{d[v]:+.4f} {_bounds(d.get(v + '_ci95'), lambda b: f'{b:+.4f}')} {_verdict(d.get(v + '_ci95'))}"
                         if _finite(d.get(v)) else "" for v in views)]
            for baseline, d in headline["chosen_minus_baseline"].items()]
    return _table(["baseline", *(_view_name(v) for v in views)], rows)


def network_line(summary: Mapping[str, Any] | None, metrics: Mapping[str, Any]) -> str:
    """The generated network's sizes (when the run generated one) and the test split's query groups."""
    groups = f"{metrics['n_groups']:,} test query groups (search, resume)"
    if not summary:
        return groups + "."
    return (f"The network: {summary['searches']:,} searches ({summary['randomized_searches']:,} logged by the "
            f"randomized swap policy), {summary['impressions']:,} impressions, {summary['clicks']:,} clicks "
            f"(click-through rate {summary['click_through_rate'] * 100:.1f}%), {summary['applications']:,} "
            f"applications; {groups}.")


def lift_line(metrics: Mapping[str, Any]) -> str:
    """The chosen model's relative lift over search, naive and debiased."""
    lift = metrics["lift_vs_search"].get(metrics["headline"]["chosen"])
    if not lift:
        return ""

    def pct(value: float) -> str:
        return f"{value * 100:+.1f}%"

    return (f"Its lift over search: naive MRR {pct(lift['mrr'])} {_bounds(lift['mrr_ci95'], pct)}, "
            f"IPS-MRR (learned curve) {pct(lift['ips_mrr'])} {_bounds(lift['ips_mrr_ci95'], pct)}.")


def results_block(reports: Path, commit: str) -> list[str]:
    """The block between the README's markers, from the files of one run."""
    def read(name: str) -> Any:
        path = reports / name
        return json.loads(path.read_text()) if path.exists() else None

    metrics = read("metrics.json")
    if metrics is None:
        raise SystemExit(f"no metrics.json in {reports}: run `make run` (or `kedro run`) first")
    return [
        BEGIN,
        f"Commit `{commit}`, `make run`. " + network_line(read("data_generation_summary.json"), metrics),
        "",
        *ranker_rows(metrics, read("architecture_selection.json")),
        "",
        "The chosen model minus each baseline (95% bootstrap interval over query groups):",
        "",
        *difference_rows(metrics),
        "",
        lift_line(metrics),
        END,
    ]


def head_commit() -> str:
    """The short hash of HEAD, or "unknown" outside a git checkout."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], check=False, cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def replace_block(text: str, block: list[str], path: Path) -> str:
    """`text` with the block between the markers replaced; an error naming the file when a marker is missing."""
    pattern = re.compile(re.escape(BEGIN) + r".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{path} has no results-table markers; expected a line {BEGIN!r} and a line {END!r}")
    return pattern.sub(lambda _: "\n".join(block), text, count=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=Path, default=ROOT / "data" / "08_reporting")
    parser.add_argument("--commit", default=None, help="the commit the run was made with (default: HEAD)")
    parser.add_argument("--write", type=Path, default=None, help="a markdown file whose marked block to replace")
    args = parser.parse_args(argv)
    block = results_block(args.reports, args.commit or head_commit())
    if args.write is None:
        sys.stdout.write("\n".join(block) + "\n")
        return
    args.write.write_text(replace_block(args.write.read_text(), block, args.write))
    print(f"{args.write}: results block rewritten from {args.reports}")


if __name__ == "__main__":
    main()
