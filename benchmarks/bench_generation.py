"""Time data_generation on a preset, and print the realism figures of docs/data_generation.md.

    .venv/bin/python -m benchmarks.bench_generation [--preset default] [--figures-only]

Timing: the whole data_generation pipeline (SequentialRunner) with the conf/base parameters and the
chosen preset; the tables written in parts go to part files in a temporary folder (as in a run, one
part in memory), the others stay in memory. Figures: read from what a `kedro run` wrote
(data/01_raw, data/01_raw/_truth, data/08_reporting/metrics.json): CTR by position, and the
position-corrected CTR (clicks / sum of the true examination probabilities of the impressions, i.e.
the CTR had every ad been shown at position 1) by distance, level gap, ad age and pay, each computed
from the logged columns; then the truth view of metrics.json.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from kedro.config import OmegaConfigLoader
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from job_reco.pipelines.data_generation import create_pipeline
from job_reco.geo import haversine_km

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "01_raw"
LEVEL_YEARS = [0, 2, 5, 10]


class KeptDataset(MemoryDataset):
    """A MemoryDataset the runner cannot release, so the summary can be read after the run."""

    def _release(self) -> None:
        pass


def time_generation(preset: str) -> dict:
    """Run data_generation on `preset` (part files in a temporary folder); its summary and wall seconds."""
    with tempfile.TemporaryDirectory(prefix="bench_generation_") as folder:
        return _time_generation(preset, Path(folder))


def _time_generation(preset: str, folder: Path) -> dict:
    """Run data_generation on `preset`, `@parts` tables written under `folder`."""
    from kedro_datasets.partitions import PartitionedDataset

    loader = OmegaConfigLoader(str(ROOT / "conf"), base_env="base", default_run_env="base")
    params = {**loader["parameters"]["data_generation"], "preset": preset}
    pipeline = create_pipeline()
    catalog = DataCatalog.from_config({k: v for k, v in loader["catalog"].items()
                                       if k in ("onet_occupations", "esco_skills", "esco_occupations")})
    for name in pipeline.all_outputs():
        catalog[name] = MemoryDataset(copy_mode="assign")
        if name.endswith("@parts"):
            catalog[name] = PartitionedDataset(path=str(folder / name), dataset="pandas.ParquetDataset",
                                               filename_suffix=".parquet", overwrite=True)
    catalog["data_generation_summary"] = KeptDataset(copy_mode="assign")

    def flat(prefix: str, block: dict):
        for key, value in block.items():
            yield prefix + key, value
            if isinstance(value, dict):
                yield from flat(f"{prefix}{key}.", value)

    for name, value in flat("params:data_generation.", params):
        catalog[name] = MemoryDataset(value, copy_mode="assign")
    start = time.perf_counter()
    SequentialRunner().run(pipeline, catalog)
    seconds = time.perf_counter() - start
    return {"preset": preset, "seconds": round(seconds, 1), **catalog.load("data_generation_summary")}


def _impressions() -> pd.DataFrame:
    """Clean impressions with their logged features, clicks and the true examination of their position."""
    read = lambda name: pd.read_parquet(RAW / f"{name}.parquet")
    truth = pd.read_parquet(RAW / "_truth" / "impressions.parquet")
    rows = (truth[["search_id", "job_id", "position", "examination", "match_grade"]]
            .merge(read("searches")[["search_id", "seeker_id", "searched_at", "experiment"]], on="search_id")
            .merge(read("resumes")[["seeker_id", "text", "latitude", "longitude"]], on="seeker_id")
            .merge(read("jobs").drop(columns=["title", "description"]), on="job_id", suffixes=("", "_job")))
    clicks = read("clicks").drop_duplicates(["search_id", "job_id"])[["search_id", "job_id"]].assign(clicked=1)
    rows = rows.merge(clicks, on=["search_id", "job_id"], how="left").fillna({"clicked": 0})
    rows["km"] = haversine_km(rows["latitude"], rows["longitude"], rows["latitude_job"], rows["longitude_job"])
    years = rows["text"].str.extract(r"with (\d+) years? of experience", expand=False).astype(float)
    years = years.where(~rows["text"].str.contains("with under 1 year"), 0.0)
    seeker_level = np.searchsorted(LEVEL_YEARS, years, side="right") - 1
    job_level = rows["level"].map({"entry": 0, "mid": 1, "senior": 2, "lead": 3})
    rows["level_gap"] = np.where(years.isna(), np.nan, job_level - seeker_level)
    rows["age_days"] = (rows["searched_at"] - rows["posted_at"]).dt.total_seconds() / 86400
    return rows


def _corrected(rows: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Impressions, CTR and position-corrected CTR (clicks / sum of examination) per group."""
    grouped = rows.groupby(by, observed=True)
    return pd.DataFrame({"impressions": grouped.size(), "ctr": grouped["clicked"].mean(),
                         "ctr_at_position_1": grouped["clicked"].sum() / grouped["examination"].sum()}).round(4)


def print_figures() -> None:
    """The realism figures and the truth table of the last `kedro run`."""
    rows = _impressions()
    print("CTR by position:\n", _corrected(rows, pd.cut(rows["position"], [0, 3, 7, 10, 20],
                                                         labels=["1-3", "4-7", "8-10", "11-20"])).to_string())
    top, low = rows["position"] <= 3, rows["position"].between(8, 10)
    print(f"ratio CTR 1-3 / 8-10: {rows.loc[top, 'clicked'].mean() / rows.loc[low, 'clicked'].mean():.1f}")
    randomized = rows[rows["experiment"].notna()]
    print(f"randomized searches: {randomized['search_id'].nunique()}, impressions {len(randomized)}")
    local = rows[~rows["remote"]]
    print("distance (ads not remote):\n", _corrected(local, pd.cut(local["km"], [-1, 10, 50, 200, 1000, 1e5],
          labels=["<10 km", "10-50", "50-200", "200-1000", ">1000"])).to_string())
    print("remote:\n", _corrected(rows, rows["remote"]).to_string())
    same = local[local["match_grade"] == 3]
    print("distance, ads of the seeker's own occupation (truth: match grade 3):\n", _corrected(same, pd.cut(
          same["km"], [-1, 10, 50, 200, 1000, 1e5], labels=["<10 km", "10-50", "50-200", "200-1000", ">1000"])
          ).to_string())
    print("occupation match grade (truth):\n", _corrected(rows, rows["match_grade"]).to_string())
    print("level gap (ad level - resume level from its years):\n", _corrected(rows, rows["level_gap"]).to_string())
    print("ad age at search time (days):\n", _corrected(rows, pd.cut(rows["age_days"], [-1, 7, 14, 30, 45, 60],
          labels=["0-7", "7-14", "14-30", "30-45", "45-60"])).to_string())
    print("pay shown:\n", _corrected(rows, rows["salary_max"].notna()).to_string())
    shown = rows[rows["salary_max"].notna()]
    rank = shown.groupby("level")["salary_max"].rank(pct=True)
    print("shown pay, quartile within the ad's level:\n", _corrected(shown, pd.cut(rank, [0, .25, .5, .75, 1],
          labels=["Q1", "Q2", "Q3", "Q4"])).to_string())
    metrics = json.loads((ROOT / "data/08_reporting/metrics.json").read_text())
    truth = pd.DataFrame(metrics["truth"]).T
    print("truth view (test split):\n", truth.round(4).to_string())
    print_room()


def print_room() -> None:
    """True nDCG@10 on the scored test impressions of scores built from the true factor forms: what a
    model that learned those forms exactly could reach with cosine standing in for the occupation."""
    from job_reco import metrics as ranking

    scored = pd.read_parquet(ROOT / "data/07_model_output/scored_impressions.parquet")
    rows = scored.merge(pd.read_parquet(RAW / "_truth" / "impressions.parquet"), on=["search_id", "job_id"],
                        suffixes=("", "_truth"))
    observed = rows[["distance_factor", "level_factor", "pay_factor", "freshness_factor"]].prod(axis=1)
    cosine = (rows["score_cosine"] - rows["score_cosine"].min()) / np.ptp(rows["score_cosine"])
    scores = {
        "cosine^3 x distance x level x pay x freshness": cosine**3 * observed,
        "the same x employer quality": cosine**3 * observed * rows["employer_quality"],
        "all factors but the occupation": observed * rows["employer_quality"],
        "all factors but employer quality": observed * rows["occupation_factor"],
    }
    codes = ranking.group_codes(rows)
    for name, score in scores.items():
        ranked = ranking.rank_groups(rows.assign(score=score.to_numpy()), "score", codes=codes)
        ndcg = ranking.ndcg_at_k_per_group(ranked, ranked.ranked(rows["relevance"]), 10).mean()
        print(f"true nDCG@10 of {name}: {ndcg:.4f}")
    print(f"correlation of cosine and the occupation factor: {np.corrcoef(cosine, rows['occupation_factor'])[0, 1]:.3f}")


def measure(size: str = "quick") -> dict:
    """data_generation's wall time and impressions/s on the tiny (size tiny), default (quick) or large
    (full) preset."""
    preset = {"tiny": "tiny", "quick": "default", "full": "large"}[size]
    figures = time_generation(preset)
    return {**figures, "impressions_per_s": round(figures["impressions"] / max(figures["seconds"], 1e-9))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="default")
    parser.add_argument("--figures-only", action="store_true")
    args = parser.parse_args([] if __name__ != "__main__" else None)
    if not args.figures_only:
        print(time_generation(args.preset), flush=True)
    if (ROOT / "data/08_reporting/metrics.json").exists() and (RAW / "_truth" / "impressions.parquet").exists():
        print_figures()


if __name__ == "__main__":
    main()
