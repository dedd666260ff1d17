"""The human report (data/08_reporting/report.md): numbers, verdicts and links to the charts."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from job_reco.columns import CLUSTER, POSITION

# Chart files, relative to data/08_reporting/ (the catalog writes them there; a test checks it).
CHART_FILES = {
    "precision_by_percentile": "charts/precision_by_percentile.png",
    "mrr_by_percentile": "charts/mrr_by_percentile.png",
    "metric_views": "charts/metric_views.png",
    "cluster_mrr": "charts/cluster_mrr.png",
    "training_curves": "charts/training_curves.png",
    "examination_curves": "charts/examination_curves.png",
}
MAX_SUMMARY_LINES = 40
MAX_POSITIONS = 20


def _number(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _percent(value: Any) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:+.1f}%"


def _interval(bounds: Any) -> str:
    if not bounds or any(b is None for b in bounds):
        return "[n/a]"
    return f"[{_percent(bounds[0])}, {_percent(bounds[1])}]"


def _verdict(bounds: Any) -> str:
    """Reading of a 95% interval of a relative lift."""
    if not bounds or any(b is None for b in bounds):
        return "undetermined"
    if bounds[0] > 0:
        return "better"
    if bounds[1] < 0:
        return "worse"
    return "no clear difference"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted key, printable value) for scalars and short lists of scalars in a nested json object."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and all(not isinstance(v, Mapping | list) for v in value):
        shown = ", ".join(_number(v) for v in value[:10]) + (", ..." if len(value) > 10 else "")
        yield prefix, shown
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, _number(value)


def _summary(title: str, value: Any) -> list[str]:
    if not value:
        return [f"## {title}", "", "Not available.", ""]
    items = list(_flatten(value))
    lines = [f"## {title}", ""] + [f"- `{key}`: {text}" for key, text in items[:MAX_SUMMARY_LINES]]
    if len(items) > MAX_SUMMARY_LINES:
        lines.append(f"- ... {len(items) - MAX_SUMMARY_LINES} more entries in the json file")
    return lines + [""]


def _data_quality_lines(data_quality: Any) -> list[str]:
    """Rows in, out and quarantined per raw table, the labeled splits, then any other scalar."""
    if not isinstance(data_quality, Mapping) or not isinstance(data_quality.get("tables"), Mapping):
        return _summary("Data quality (data_quality.json)", data_quality)
    rows = []
    for table, entry in data_quality["tables"].items():
        entry = entry if isinstance(entry, Mapping) else {}
        reasons = entry.get("quarantined") if isinstance(entry.get("quarantined"), Mapping) else {}
        rows.append([str(table), _number(entry.get("rows_in")), _number(entry.get("rows_out")),
                     _number(entry.get("rows_quarantined")),
                     ", ".join(f"{reason} {n}" for reason, n in reasons.items() if n) or "-"])
    lines = ["## Data quality (data_quality.json)", ""] + _table(
        ["table", "rows in", "rows out", "quarantined", "reasons"], rows) + [""]
    splits = data_quality.get("labeled_impressions")
    if isinstance(splits, Mapping) and all(isinstance(v, Mapping) for v in splits.values()):
        fields = ["groups", "impressions", "positives", "applications"]
        lines += _table(["labeled split", *fields], [
            [str(split), *(_number(values.get(f)) for f in fields)] for split, values in splits.items()
        ]) + [""]
    rest = {k: v for k, v in data_quality.items() if k not in ("tables", "labeled_impressions")}
    return lines + [f"- `{key}`: {text}" for key, text in _flatten(rest)] + [""]


def _cluster_report_lines(cluster_report: Any, top_words: int = 8) -> list[str]:
    """k, silhouette, and each cluster's size and characteristic words."""
    words = cluster_report.get("characteristic_words") if isinstance(cluster_report, Mapping) else None
    if not isinstance(words, Mapping):
        return _summary("Resume clusters (cluster_report.json)", cluster_report)
    sizes = cluster_report.get("sizes") if isinstance(cluster_report.get("sizes"), Mapping) else {}
    lines = ["## Resume clusters (cluster_report.json)", "",
             f"k = {_number(cluster_report.get('k'))}, silhouette {_number(cluster_report.get('silhouette'))}.", ""]
    rows = []
    for cluster, entries in words.items():
        shown = [e.get("word", "") if isinstance(e, Mapping) else str(e) for e in list(entries)[:top_words]]
        rows.append([str(cluster), _number(sizes.get(cluster)), ", ".join(shown)])
    return lines + _table(["cluster", "resumes", "characteristic words"], rows) + [""]


def _three_views(has_truth: bool) -> list[str]:
    return [
        "## Three views of the same rankings",
        "",
        "1. **Naive** (the original design's view): logged clicks are the relevance labels. A real network "
        "has it. It misleads: the logs were produced by keyword search, and people examine the top of a list "
        "far more than the bottom, so clicks pile up on the jobs search put first whatever their fit. Any "
        "ranker that departs from search's order is then scored against clicks that search's order created, "
        "and a ranker that truly puts better jobs first can look worse than search.",
        "2. **Debiased (IPS)**: each click is weighted by the inverse of its position's examination propensity "
        "(learned by modeling, clipped), so a click on a rarely examined position counts more. A real "
        "network has this view too; it is only as good as the learned examination curve.",
        "3. **Truth** (generated data only): nDCG against the true relevance the generator hid in "
        "`data/01_raw/_truth/`, and an `oracle` that sorts by it. "
        + ("Present in this run." if has_truth else "Absent in this run (real logs have no truth)."),
        "",
    ]


def _metrics_table(metrics: Mapping[str, Any]) -> list[str]:
    rankers = metrics["rankers"]
    names = list(next(iter(rankers.values())))
    truth = metrics.get("truth") or {}
    truth_key = next((k for k in next(iter(truth.values()), {}) if k.startswith("ndcg@")), None)
    header = ["ranker", *names] + ([f"true {truth_key}"] if truth_key else [])
    rows = [
        [ranker, *(_number(values[name]) for name in names)]
        + ([_number(truth.get(ranker, {}).get(truth_key))] if truth_key else [])
        for ranker, values in rankers.items()
    ]
    if truth_key and "oracle" in truth:
        oracle = truth["oracle"]
        rows.append(["oracle (true relevance)", *(_number(oracle.get(name)) for name in names), _number(oracle[truth_key])])
    lines = ["## Metrics on the test split", "", f"{metrics['n_groups']} query groups (search, resume).", ""]
    lines += _table(header, rows)
    return lines + [
        "",
        "Naive columns: every metric but `ips_mrr`. Debiased: `ips_mrr` "
        f"(weights clipped at {metrics['ips_clip']}). Truth: the last column.",
        "",
    ]


def _lift_lines(metrics: Mapping[str, Any], comparisons: Mapping[str, Any]) -> list[str]:
    lines = ["## Lift over search (relative, 95% bootstrap interval over query groups)", ""]
    rows = []
    for ranker, lift in metrics["lift_vs_search"].items():
        precision_key = next((k for k in lift if k.startswith("precision@")), None)
        rows.append([
            ranker,
            f"{_percent(lift['mrr'])} {_interval(lift['mrr_ci95'])}",
            f"{_percent(lift['ips_mrr'])} {_interval(lift['ips_mrr_ci95'])}",
            _percent(lift[precision_key]) if precision_key else "n/a",
        ])
    lines += _table(["ranker", "naive MRR lift", "IPS-MRR lift", "precision@5 lift"], rows)
    lines += ["", "## Does the ensemble beat the others?", ""]
    for baseline in ("search", "cosine", "popularity", "random"):
        if baseline not in comparisons:
            continue
        lift = comparisons[baseline]
        lines.append(
            f"- vs **{baseline}**: naive MRR {_percent(lift['mrr'])} {_interval(lift['mrr_ci95'])} "
            f"({_verdict(lift['mrr_ci95'])}); debiased IPS-MRR {_percent(lift['ips_mrr'])} "
            f"{_interval(lift['ips_mrr_ci95'])} ({_verdict(lift['ips_mrr_ci95'])})."
        )
    return lines + [
        "",
        "\"better\"/\"worse\": the whole 95% interval lies above/below zero. Where the naive and debiased "
        "views disagree, trust the debiased one (and, on generated data, the truth column).",
        "",
    ]


def _percentile_lines(metrics: Mapping[str, Any]) -> list[str]:
    by_percentile = metrics["by_percentile"]
    rankers = list(by_percentile)
    percentiles = sorted(next(iter(by_percentile.values())), key=int)
    rows = [
        [f"{p}%", *(f"{_number(by_percentile[r][p]['precision'])} / {_number(by_percentile[r][p]['mrr'])}"
                    for r in rankers)]
        for p in percentiles
    ]
    return ["## Precision / MRR by percentile of each group's jobs (naive)", ""] + _table(
        ["top", *rankers], rows
    ) + ["", f"![precision]({CHART_FILES['precision_by_percentile']}) ![MRR]({CHART_FILES['mrr_by_percentile']})", ""]


def _cluster_lines(cluster_metrics: pd.DataFrame) -> list[str]:
    rows = [
        [str(row[CLUSTER]), str(row["n_groups"]), _number(row["ensemble_mrr"]), _number(row["search_mrr"]),
         _number(row["ensemble_ips_mrr"]), _number(row["search_ips_mrr"])]
        for row in cluster_metrics.to_dict("records")
    ]
    return ["## Ensemble vs search by resume cluster", ""] + _table(
        ["cluster", "groups", "ensemble MRR", "search MRR", "ensemble IPS-MRR", "search IPS-MRR"], rows
    ) + ["", f"![clusters]({CHART_FILES['cluster_mrr']})", ""]


def _examination_lines(examination_curves: pd.DataFrame) -> list[str]:
    has_true = examination_curves["true"].notna().any()
    records = examination_curves.to_dict("records")
    rows = [
        [str(row[POSITION]), _number(row["learned"])] + ([_number(row["true"])] if has_true else [])
        for row in records[:MAX_POSITIONS]
    ]
    more = ["", f"Positions {MAX_POSITIONS + 1} to {records[-1][POSITION]}: see examination_curves.csv."] if len(
        records) > MAX_POSITIONS else []
    return ["## Examination propensity by position (relative to position 1)", ""] + _table(
        ["position", "learned", *(["true"] if has_true else [])], rows
    ) + more + ["", f"![examination]({CHART_FILES['examination_curves']})", ""]


TRAINING_FIELDS = ("status", "rows_train", "positives", "epochs_run", "best_epoch", "validation_auc")


def _training_lines(training_history: Any, ensemble_selection: Any) -> list[str]:
    """Per-cluster training numbers (modeling's training_history) and the ensemble mode chosen."""
    lines = ["## Training", ""]
    clusters = training_history.get("clusters") if isinstance(training_history, Mapping) else None
    if isinstance(clusters, Mapping) and clusters:
        fields = [f for f in TRAINING_FIELDS if any(isinstance(e, Mapping) and f in e for e in clusters.values())]
        rows = [[str(c), *(_number(e.get(f)) if isinstance(e, Mapping) else "n/a" for f in fields)]
                for c, e in clusters.items()]
        lines += _table(["cluster", *fields], rows) + [""]
    if isinstance(ensemble_selection, Mapping) and ensemble_selection.get("selected"):
        lines += [f"Ensemble mode: **{ensemble_selection['selected']}** ({ensemble_selection.get('reason', '')}).", ""]
        scores = ensemble_selection.get("scores")
        if isinstance(scores, Mapping):
            lines += _table(["mode", "validation IPS-MRR", "validation MRR"], [
                [str(mode), _number(v.get("ips_mrr")), _number(v.get("mrr"))]
                for mode, v in scores.items() if isinstance(v, Mapping)
            ]) + [""]
    return lines + [f"![training]({CHART_FILES['training_curves']})", ""]


VIEW_NAMES = {"ips_mrr_true_curve": "true-curve IPS-MRR", "ips_mrr": "learned-curve IPS-MRR", "mrr": "naive MRR"}


def _view_name(view: str) -> str:
    return VIEW_NAMES.get(view, f"true {view}")


def _share(value: Any) -> str:
    return "n/a" if value is None or not math.isfinite(value) else f"{value * 100:.1f}%"


def _difference(value: Any, bounds: Any) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    shown = "[n/a]" if not bounds or any(b is None for b in bounds) else f"[{bounds[0]:+.4f}, {bounds[1]:+.4f}]"
    return f"{value:+.4f} {shown} ({_verdict(bounds)})"


def _headline_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The answer first: the share of the search-to-oracle gap closed, and the chosen model minus each baseline."""
    headline = metrics.get("headline")
    if not headline:
        return []
    views, chosen = headline["views"], headline["chosen"]
    lines = ["## Headline: how much of the search-to-oracle gap each ranker closes", ""]
    if headline["truth"]:
        lines += [
            "Share of the gap between keyword search (0%) and the oracle that sorts by the true relevance (100%), "
            "in each view, with its 95% bootstrap interval over query groups. The truth views come first (generated "
            "data only); learned-curve IPS-MRR is all that real logs allow; naive MRR is the original design's view.",
            "",
        ]
        shown = [view for view in views if view != "mrr"]
        rows = [[ranker, *(f"{_share(gap[view])} [{_share(gap[view + '_ci95'][0])}, {_share(gap[view + '_ci95'][1])}]"
                           for view in shown)] for ranker, gap in headline["gap_closed"].items()]
        lines += _table(["ranker", *(_view_name(v) for v in shown)], rows) + [""]
        values = headline["values"]
        lines += [f"Not shown as a share: naive MRR, where the oracle beats search by only "
                  f"{_number(values['oracle']['mrr'] - values['search']['mrr'], 4)} (the clicks were made on search's "
                  "order), so shares there are large and unstable (`headline.gap_closed.<ranker>.mrr` in metrics.json).", ""]
    else:
        lines += ["No truth tables in this run (real logs): the gap to an oracle cannot be measured, and the truth "
                  "views are absent. Learned-curve IPS-MRR and naive MRR, with 95% bootstrap intervals:", ""]
    rows = [[ranker, *(f"{_number(v[view], 4)} [{_number(v[view + '_ci95'][0], 4)}, {_number(v[view + '_ci95'][1], 4)}]"
                       for view in views)] for ranker, v in headline["values"].items()]
    lines += _table(["ranker", *(_view_name(v) for v in views)], rows) + [""]
    lines += [f"### The chosen model (`{chosen}`) minus each baseline (95% bootstrap interval)", ""]
    rows = [[baseline, *(_difference(d[view], d[view + "_ci95"]) for view in views)]
            for baseline, d in headline["chosen_minus_baseline"].items()]
    lines += _table(["baseline", *(_view_name(v) for v in views)], rows)
    return lines + ["", "\"better\"/\"worse\": the whole interval lies above/below zero. " + headline["note"], ""]


def _summary_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The answer first: does the ensemble beat search, in each view."""
    lift = metrics["lift_vs_search"].get("ensemble")
    if not lift:
        return []
    lines = [
        "## In short",
        "",
        f"On {metrics['n_groups']} test query groups, the ensemble against keyword search:",
        "",
        f"- naive MRR (the original design's view): {_percent(lift['mrr'])} {_interval(lift['mrr_ci95'])}, "
        f"{_verdict(lift['mrr_ci95'])};",
        f"- debiased IPS-MRR: {_percent(lift['ips_mrr'])} {_interval(lift['ips_mrr_ci95'])}, "
        f"{_verdict(lift['ips_mrr_ci95'])};",
    ]
    truth = metrics.get("truth") or {}
    ndcg_key = next((k for k in truth.get("ensemble", {}) if k.startswith("ndcg@")), None)
    if ndcg_key and "search" in truth:
        lines.append(
            f"- against the truth: {ndcg_key} {_number(truth['ensemble'][ndcg_key])} for the ensemble, "
            f"{_number(truth['search'][ndcg_key])} for search, {_number(truth.get('oracle', {}).get(ndcg_key))} "
            "for the oracle."
        )
    return lines + ["", "Intervals: 95% bootstrap over query groups.", ""]


def _diagnostic_lines(diagnostic: Mapping[str, Any] | None) -> list[str]:
    """Per factor of the true relevance: the chosen score's weight, the oracle without it, the chosen model with it."""
    if not diagnostic or not diagnostic.get("table"):
        return []
    k = diagnostic["ndcg_k"]
    lines = ["## Where the rest of the gap lies (truth_diagnostic.json)", "",
             f"On the test split, each factor of the generator's relevance: the chosen score's weight on its logarithm "
             f"within query groups, relative to the occupation factor's (the truth weighs them all 1); the share of the "
             f"gap on true nDCG@{k} that an oracle without the factor closes; and the share the chosen model closes given "
             f"the factor perfectly (the chosen model alone: {_share(diagnostic['gap_closed']['chosen'])}).", ""]
    rows = [[row["factor"], _number(row["weight_relative_to_occupation"], 2), _share(row["oracle_without_gap_closed"]),
             _share(row["chosen_with_gap_closed"]), f"{100 * row['points_added']:+.1f}"] for row in diagnostic["table"]]
    lines += _table(["factor", "chosen's weight / occupation's", "oracle without it", "chosen with it perfectly",
                     "points added"], rows)
    return lines + [""]


def _scale_lines(quality_by_scale: Mapping[str, Any] | None) -> list[str]:
    """What more logs buy (benchmarks/quality_scale.py): the same code at each preset, when that file is there."""
    if not quality_by_scale or not quality_by_scale.get("table"):
        return []
    return ["## What more logs buy (quality_by_scale.json)", "",
            "The same code trained and evaluated at each preset of the generated network (`python -m "
            "benchmarks.quality_scale`): share of the search-to-oracle gap closed on true nDCG@10 with its 95% interval, "
            "and the chosen model minus LambdaMART.", "", "![quality by scale](charts/quality_by_scale.png)", "",
            quality_by_scale["table"], ""]


def write_report(
    metrics: dict[str, Any],
    ensemble_comparisons: dict[str, Any],
    cluster_metrics: pd.DataFrame,
    examination_curves: pd.DataFrame,
    training_history: dict[str, Any],
    ensemble_selection: dict[str, Any],
    data_quality: dict[str, Any],
    cluster_report: dict[str, Any],
    embedding_report: dict[str, Any],
    truth_diagnostic: dict[str, Any] | None = None,
    quality_by_scale: dict[str, Any] | None = None,
) -> str:
    """A short markdown report of the evaluation, for a review; no personal data."""
    lines = [
        "# job_reco evaluation report",
        "",
        "Rankers: `ensemble` (the chosen model: the architecture modeling selected on validation), `search` (the "
        "logged keyword-search order), `cosine` (resume-job vector cosine), `popularity` (smoothed click-through "
        "rate), `random`; from modeling v2 also `ranker`, `ncf_original` (the original per-cluster NCF ensemble) "
        "and `gbdt` (LambdaMART). "
        "All metrics on the test split; definitions in docs/reporting.md.",
        "",
        f"![three views]({CHART_FILES['metric_views']})",
        "",
    ]
    lines += _headline_lines(metrics)
    lines += _diagnostic_lines(truth_diagnostic)
    lines += _scale_lines(quality_by_scale)
    lines += _summary_lines(metrics)
    lines += _three_views("truth" in metrics)
    lines += _metrics_table(metrics)
    lines += _lift_lines(metrics, ensemble_comparisons)
    lines += _percentile_lines(metrics)
    lines += _cluster_lines(cluster_metrics)
    lines += _examination_lines(examination_curves)
    lines += _training_lines(training_history, ensemble_selection)
    lines += _data_quality_lines(data_quality)
    lines += _cluster_report_lines(cluster_report)
    lines += _summary("Embeddings (embedding_report.json)", embedding_report)
    return "\n".join(lines)
