"""Chart nodes: each returns the same chart twice, a matplotlib Figure (PNG) and a plotly Figure (kedro viz).

Figures are built with `matplotlib.figure.Figure` (no pyplot, no global state); the catalog saves
them (`matplotlib.MatplotlibDataset`, `plotly.JSONDataset`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from job_reco.columns import CLUSTER, POSITION

# The original's Figure 2: search as orange diamonds, the model as blue squares.
STYLE = {
    "ensemble": {"color": "#1f77b4", "marker": "s", "plotly": "square"},
    "search": {"color": "#ff7f0e", "marker": "D", "plotly": "diamond"},
    "cosine": {"color": "#2ca02c", "marker": "^", "plotly": "triangle-up"},
    "popularity": {"color": "#d62728", "marker": "o", "plotly": "circle"},
    "random": {"color": "#7f7f7f", "marker": "x", "plotly": "x"},
    "oracle": {"color": "#9467bd", "marker": "*", "plotly": "star"},
}
HISTORY_EPOCH = "epoch"
HISTORY_METRIC = "metric"
HISTORY_VALUE = "value"
# History entries that are not learning curves.
NOT_CURVES = frozenset({"seconds", "time", "lr", "learning_rate", "samples_per_second", "rows"})


def _style(ranker: str) -> dict[str, str]:
    return STYLE.get(ranker, {"color": "#17becf", "marker": "o", "plotly": "circle"})


def _percentile_chart(by_percentile: Mapping[str, Mapping[str, Mapping[str, float]]], measure: str, title: str):
    """Line-and-marker chart of `measure` against the percentile of each group's jobs, one line per ranker."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    plotly_figure = go.Figure()
    for ranker, points in by_percentile.items():
        percentiles = sorted(points, key=int)
        xs = [int(p) for p in percentiles]
        ys = [points[p][measure] for p in percentiles]
        style = _style(ranker)
        axes.plot(xs, ys, marker=style["marker"], color=style["color"], label=ranker)
        plotly_figure.add_trace(
            go.Scatter(x=xs, y=ys, mode="lines+markers", name=ranker,
                       marker={"symbol": style["plotly"], "color": style["color"], "size": 9})
        )
    label = "Precision" if measure == "precision" else "MRR"
    axes.set(xlabel="top % of each query group's jobs", ylabel=label, title=title)
    axes.set_xticks(sorted({int(p) for points in by_percentile.values() for p in points}))
    axes.grid(alpha=0.3)
    axes.legend()
    plotly_figure.update_layout(title=title, xaxis_title="top % of each query group's jobs", yaxis_title=label,
                                template="plotly_white")
    return figure, plotly_figure


def plot_precision_by_percentile(by_percentile: dict[str, dict[str, dict[str, float]]]):
    """Precision against the percentile of jobs for every ranker (the original's Figure 2a)."""
    return _percentile_chart(by_percentile, "precision", "(a) Precision by percentile of jobs (test split)")


def plot_mrr_by_percentile(by_percentile: dict[str, dict[str, dict[str, float]]]):
    """MRR against the percentile of jobs for every ranker (the original's Figure 2b)."""
    return _percentile_chart(by_percentile, "mrr", "(b) MRR by percentile of jobs (test split)")


def plot_metric_views(metrics: dict[str, Any]):
    """MRR per ranker in the naive and IPS views, and nDCG@10 against the truth where known."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    rankers = list(metrics["rankers"])
    views = {
        "naive MRR": [metrics["rankers"][r]["mrr"] for r in rankers],
        "IPS MRR (debiased)": [metrics["rankers"][r]["ips_mrr"] for r in rankers],
    }
    truth = metrics.get("truth") or {}
    ndcg_key = next((key for key in next(iter(truth.values()), {}) if key.startswith("ndcg@")), None)
    if ndcg_key:
        views[f"true {ndcg_key}"] = [truth.get(r, {}).get(ndcg_key) for r in rankers]
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.add_subplot()
    width = 0.8 / len(views)
    plotly_figure = go.Figure()
    for index, (view, values) in enumerate(views.items()):
        xs = [i + (index - (len(views) - 1) / 2) * width for i in range(len(rankers))]
        axes.bar(xs, [v if v is not None else 0.0 for v in values], width=width, label=view)
        plotly_figure.add_trace(go.Bar(x=rankers, y=values, name=view))
    axes.set_xticks(range(len(rankers)), rankers)
    axes.set(ylabel="metric value", title="Rankers in the three views (test split)")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    plotly_figure.update_layout(barmode="group", title="Rankers in the three views (test split)",
                                template="plotly_white")
    return figure, plotly_figure


def plot_cluster_mrr(cluster_metrics: pd.DataFrame):
    """MRR of the ensemble and of search within each resume cluster, naive and IPS-weighted."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure

    clusters = cluster_metrics[CLUSTER].astype(str).tolist()
    series = {
        "ensemble MRR": ("ensemble_mrr", _style("ensemble")["color"], 1.0),
        "search MRR": ("search_mrr", _style("search")["color"], 1.0),
        "ensemble IPS-MRR": ("ensemble_ips_mrr", _style("ensemble")["color"], 0.45),
        "search IPS-MRR": ("search_ips_mrr", _style("search")["color"], 0.45),
    }
    figure = Figure(figsize=(8, 4.5), layout="constrained")
    axes = figure.add_subplot()
    width = 0.8 / len(series)
    plotly_figure = go.Figure()
    for index, (name, (column, color, alpha)) in enumerate(series.items()):
        values = cluster_metrics[column].fillna(0.0).tolist()
        xs = [i + (index - (len(series) - 1) / 2) * width for i in range(len(clusters))]
        axes.bar(xs, values, width=width, color=color, alpha=alpha, label=name)
        plotly_figure.add_trace(go.Bar(x=clusters, y=values, name=name, marker={"color": color, "opacity": alpha}))
    axes.set_xticks(range(len(clusters)), clusters)
    axes.set(xlabel="resume cluster", ylabel="MRR", title="Ensemble vs search by resume cluster (test split)")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    plotly_figure.update_layout(barmode="group", title="Ensemble vs search by resume cluster (test split)",
                                xaxis_title="resume cluster", yaxis_title="MRR", template="plotly_white")
    return figure, plotly_figure


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def history_frame(training_history: Any) -> pd.DataFrame:
    """Training history in long form (cluster, epoch, metric, value), from the shapes modeling may write.

    Accepted: {cluster: {metric: [value per epoch]}} (Keras `History.history` per cluster), the same
    under a "history" key of each cluster or under a top-level "clusters" key, {cluster: [{"epoch": e,
    metric: value}]}, or a list of {"cluster": c, "epoch": e, metric: value} records.
    """
    rows: list[tuple[str, int, str, float]] = []

    def add_records(cluster: str, records: list) -> None:
        for index, record in enumerate(records):
            if isinstance(record, Mapping):
                epoch = int(record.get(HISTORY_EPOCH, index + 1))
                rows.extend((cluster, epoch, str(k), float(v)) for k, v in record.items()
                            if k not in (HISTORY_EPOCH, CLUSTER) and _is_number(v))

    def add_cluster(cluster: str, entry: Any) -> None:
        if isinstance(entry, list):
            add_records(cluster, entry)
        elif isinstance(entry, Mapping):
            inner = entry.get("history", entry)
            if isinstance(inner, list):
                add_records(cluster, inner)
                return
            for metric, values in inner.items():
                # A curve is a list of numbers; None (a NaN written as JSON null) is a gap.
                if isinstance(values, list) and values and all(_is_number(v) or v is None for v in values):
                    rows.extend((cluster, epoch, str(metric), math.nan if v is None else float(v))
                                for epoch, v in enumerate(values, start=1))

    if isinstance(training_history, list):
        for record in training_history:
            if isinstance(record, Mapping) and CLUSTER in record:
                add_records(str(record[CLUSTER]), [record])
    elif isinstance(training_history, Mapping):
        clusters = training_history.get("clusters", training_history)
        if isinstance(clusters, list):
            for index, entry in enumerate(clusters):
                cluster = entry.get(CLUSTER, index) if isinstance(entry, Mapping) else index
                add_cluster(str(cluster), entry)
        elif isinstance(clusters, Mapping):
            for cluster, entry in clusters.items():
                add_cluster(str(cluster), entry)
    return pd.DataFrame(rows, columns=[CLUSTER, HISTORY_EPOCH, HISTORY_METRIC, HISTORY_VALUE])


def plot_training_curves(training_history: Any):
    """Loss and AUC per epoch of each cluster's model (validation dashed) from modeling's history."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator
    from plotly.subplots import make_subplots

    history = history_frame(training_history)
    history = history[~history[HISTORY_METRIC].isin(NOT_CURVES)]
    base_metrics = sorted({m.removeprefix("val_") for m in history[HISTORY_METRIC]},
                          key=lambda m: (m != "loss", m))[:3] or ["loss"]
    figure = Figure(figsize=(5 * len(base_metrics), 4), layout="constrained")
    axes_list = figure.subplots(1, len(base_metrics), squeeze=False)[0]
    plotly_figure = make_subplots(rows=1, cols=len(base_metrics), subplot_titles=base_metrics)
    colors = [s["color"] for s in STYLE.values()]
    for col, (axes, metric) in enumerate(zip(axes_list, base_metrics, strict=True), start=1):
        for index, (cluster, frame) in enumerate(history.groupby(CLUSTER, sort=True)):
            color = colors[index % len(colors)]
            for name, dash in ((metric, "solid"), (f"val_{metric}", "dash")):
                points = frame[frame[HISTORY_METRIC] == name].sort_values(HISTORY_EPOCH)
                if points.empty:
                    continue
                label = f"cluster {cluster}" + (" (validation)" if dash == "dash" else "")
                axes.plot(points[HISTORY_EPOCH], points[HISTORY_VALUE], color=color,
                          linestyle="--" if dash == "dash" else "-", marker=".", label=label)
                plotly_figure.add_trace(
                    go.Scatter(x=points[HISTORY_EPOCH], y=points[HISTORY_VALUE], mode="lines+markers", name=label,
                               line={"color": color, "dash": dash}, legendgroup=label, showlegend=col == 1),
                    row=1, col=col,
                )
        axes.set(xlabel="epoch", title=metric)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
    if history.empty:
        axes_list[0].text(0.5, 0.5, "no training history", ha="center", va="center", transform=axes_list[0].transAxes)
    else:
        axes_list[0].legend(fontsize="small")
    figure.suptitle("Per-cluster model training")
    plotly_figure.update_layout(title="Per-cluster model training", template="plotly_white")
    return figure, plotly_figure


def plot_examination_curves(examination_curves: pd.DataFrame):
    """The examination propensity per position learned by modeling, beside the true one where known."""
    import plotly.graph_objects as go
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(7, 4.5), layout="constrained")
    axes = figure.add_subplot()
    plotly_figure = go.Figure()
    for column, style in (("learned", "-o"), ("true", "--")):
        points = examination_curves[[POSITION, column]].dropna()
        if points.empty:
            continue
        axes.plot(points[POSITION], points[column], style, label=f"{column} examination")
        plotly_figure.add_trace(go.Scatter(x=points[POSITION], y=points[column], mode="lines+markers",
                                           name=f"{column} examination"))
    axes.set(xlabel="displayed position", ylabel="examination relative to position 1",
             title="Examination propensity by position")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)
    axes.legend()
    plotly_figure.update_layout(title="Examination propensity by position", xaxis_title="displayed position",
                                yaxis_title="examination relative to position 1", template="plotly_white")
    return figure, plotly_figure
