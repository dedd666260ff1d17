"""Speed of `job_reco.recommend`: load time, one resume against 100k ads, batch resumes per second.

    .venv/bin/python -m benchmarks.bench_recommend [--size tiny|quick|full] [--project .] [--env ENV]
    .venv/bin/python -m benchmarks.bench_recommend --cold-start [--runs 3] [--project .]

Artifacts: the project's last run (data/: the chosen model, the embedder, the catalog's jobs) when
it has one; otherwise synthetic ones of the same shapes (50-d vectors, the ranker's 11 side
features and 64-32 hidden units, a 200-tree LambdaMART blend, random weights): speed does not
depend on the weights' values. The job pool is the catalog's jobs repeated under new ids up to the
size's number of ads (their vectors and side columns copied), so no ad is embedded during timing.
Resumes: the generated network's raw resumes when present, else text drawn from the vocabulary.

Figures: `load_s` (JobRecommender.load, real artifacts only), `single_ms` median / p95 of
`recommend(text, k=10)` with explanations, `rank_only_ms` (the same without explanations:
`recommend_batch` of one resume), `candidates_ms` (the matrix product and top-N alone),
`batch_resumes_per_s` (`recommend_batch`, k=10); each also in CPU time of this process
(`*_cpu_ms`, `batch_resumes_per_cpu_s`), which a machine shared with other jobs inflates less than
wall time, and the 1-minute load average at the end. One process, numpy's default threads.

Cold start (`cold_start`, `--cold-start`; also in `measure` when the project has a run): what one
person waits for with `job-reco recommend --resume`: a new Python process imports
`job_reco.recommend`, runs `JobRecommender.load` on the project's default artifacts (the catalog's
jobs) and one `recommend(text, k=10, resume_location="Houston, TX")` with explanations. Figures (the
median of `runs` processes): `cold_wall_s` (the whole process, interpreter start included, timed
from outside), `cold_import_s`, `cold_load_s`, `cold_recommend_s`, their CPU time `cold_cpu_s`, the
resident memory after loading `rss_after_load_mb` and at its peak `rss_peak_mb`, and the heavy
libraries the process imported (`heavy_modules`: none of TensorFlow, Keras, xgboost, scikit-learn, SciPy, PySpark).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SIZES = {"tiny": {"ads": 2_000, "single": 5, "batch": 64, "trees": 20},
         "quick": {"ads": 100_000, "single": 30, "batch": 512, "trees": 200},
         "full": {"ads": 100_000, "single": 200, "batch": 4_096, "trees": 200}}


def synthetic_artifacts(dimension: int = 50, trees: int = 200, seed: int = 0):
    """Artifacts of the default run's shapes with random weights (no data/ needed)."""
    import xgboost

    from job_reco.models.features import FEATURE_COLUMNS
    from job_reco.models.ranker_layout import ranker_layout
    from job_reco.models.ranker import RankerConfig
    from job_reco.recommend.artifacts import Artifacts
    from job_reco.text import DocumentEmbedder

    generator = np.random.default_rng(seed)
    side = list(FEATURE_COLUMNS)
    config = RankerConfig()
    layout = ranker_layout(dimension, side, np.zeros(len(side)), np.ones(len(side)), config, n_clusters=5)
    width = layout["width"]
    shapes = {"cluster_embedding": [(5, 4)], "hidden_0": [(width + 4, 64), (64,)], "hidden_1": [(64, 32), (32,)],
              "residual": [(32, 1), (1,)]}
    weights = {name: [generator.normal(0, 0.1, s).astype(np.float32) for s in sizes] for name, sizes in shapes.items()}
    weights["cosine_scale"] = [np.array([[10.0]], np.float32)]
    x = generator.normal(size=(5_000, width + 1)).astype(np.float32)
    booster = xgboost.train({"max_depth": 6, "nthread": 1, "seed": seed}, xgboost.DMatrix(x, label=x[:, -1] + x[:, 0]), trees)
    words = [f"w{i}" for i in range(20_000)]
    embedder = DocumentEmbedder(method="mean", words=words, vectors=generator.normal(size=(len(words), dimension)).astype(np.float32),
                                weights=np.ones(len(words), np.float32), n_corpus_words=len(words))
    centres = {"k": 5, "normalised": True, "centres": generator.normal(size=(5, dimension)).tolist()}
    selection = {"selected": "blend", "blend_weight": 0.25,
                 "standardisation": {"ranker_mean": 0.0, "ranker_std": 1.0, "gbdt_mean": 0.0, "gbdt_std": 1.0}}
    return Artifacts(document_embedder=embedder, cluster_centres=centres, ranker_weights=weights, ranker_layout=layout,
                     architecture_selection=selection, gbdt_booster=bytes(booster.save_raw("json")))


def _synthetic_jobs(embedder, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    generator = np.random.default_rng(seed)
    words = np.array(embedder.words)
    jobs = pd.DataFrame({
        "job_id": [f"S{i:07d}" for i in range(n)], "title": [" ".join(generator.choice(words, 3)) for _ in range(n)],
        "description": [" ".join(generator.choice(words, 60)) for _ in range(n)],
        "latitude": generator.uniform(25, 48, n), "longitude": generator.uniform(-122, -70, n),
        "remote": generator.random(n) < 0.1, "level": generator.choice(["entry", "mid", "senior", "lead"], n),
        "salary_min": generator.uniform(30e3, 90e3, n), "posted_at": pd.Timestamp("2026-01-01", tz="UTC") - pd.to_timedelta(generator.integers(0, 60, n), "D"),
    })
    jobs["salary_max"] = jobs["salary_min"] * 1.3
    vectors = pd.DataFrame({"job_id": jobs["job_id"], "embedding": list(generator.normal(size=(n, embedder.dimension)).astype(np.float32))})
    return jobs, vectors


def _repeat_jobs(jobs: pd.DataFrame, vectors: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The catalog's jobs repeated under new ids up to n ads, with their vectors."""
    copies = -(-n // len(jobs))
    big = pd.concat([jobs.assign(job_id=jobs["job_id"].astype(str) + f"-{c}") for c in range(copies)], ignore_index=True).iloc[:n]
    vec = pd.concat([vectors.assign(job_id=vectors["job_id"].astype(str) + f"-{c}") for c in range(copies)], ignore_index=True)
    return big, vec


def _resumes(project: Path, embedder, n: int, seed: int) -> list[str]:
    raw = project / "data" / "01_raw" / "resumes.parquet"
    if raw.exists():
        texts = pd.read_parquet(raw, columns=["text"])["text"].dropna()
        return texts.sample(n=min(n, len(texts)), random_state=seed, replace=len(texts) < n).tolist()
    generator = np.random.default_rng(seed)
    return [" ".join(generator.choice(np.array(embedder.words[:5_000]), 120)) for _ in range(n)]


def _recommender(project: Path, env: str | None, ads: int, trees: int = 200):
    """(recommender over `ads` ads, load seconds or None, source)."""
    from job_reco.recommend import ArtifactError, JobRecommender, RecommendSettings

    try:
        started = time.perf_counter()
        recommender = JobRecommender.load(project, env, catalog_jobs=False)
        load_s = time.perf_counter() - started
        from job_reco.recommend.artifacts import load_project_catalog

        catalog = load_project_catalog(project, env)
        jobs, vectors = _repeat_jobs(catalog.require("recommend_jobs"), catalog.require("recommend_job_vectors"), ads)
        source = "last run"
    except ArtifactError:
        recommender = JobRecommender(synthetic_artifacts(trees=trees), RecommendSettings())
        jobs, vectors = _synthetic_jobs(recommender.embedder, ads, 1)
        load_s, source = None, "synthetic"
    recommender.jobs = recommender.job_table(jobs, known_vectors=vectors)
    return recommender, load_s, source


HEAVY_MODULES = ("tensorflow", "keras", "xgboost", "sklearn", "scipy", "pyspark", "sqlalchemy")
# Run in a new process: argv = project, env ("-" for none), resume file, location.
_COLD_START = """
import json, sys, time
started, cpu = time.perf_counter(), time.process_time()
from job_reco.recommend import JobRecommender
imported = time.perf_counter()
recommender = JobRecommender.load(sys.argv[1], None if sys.argv[2] == "-" else sys.argv[2])
loaded = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
rss_after_load = int(status["VmRSS"].split()[0]) / 1024
recommender.recommend(open(sys.argv[3]).read(), k=10, resume_location=sys.argv[4])
done = time.perf_counter()
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"cold_import_s": imported - started, "cold_load_s": loaded - imported, "cold_recommend_s": done - loaded,
                  "cold_cpu_s": time.process_time() - cpu, "rss_after_load_mb": rss_after_load,
                  "rss_peak_mb": int(status["VmHWM"].split()[0]) / 1024, "ads": len(recommender.jobs),
                  "heavy_modules": sorted(m for m in %r if m in sys.modules)}))
""" % (HEAVY_MODULES,)


def cold_start(project: str | Path = ROOT, env: str | None = None, runs: int = 3, location: str = "Houston, TX") -> dict:
    """Median figures of `runs` new processes that load the default artifacts and answer one resume (module docstring)."""
    import subprocess
    import sys
    import tempfile

    project = Path(project).resolve()
    text = _resumes(project, None, 1, seed=7)[0] if (project / "data" / "01_raw" / "resumes.parquet").exists() else \
        "Registered nurse, 7 years of patient care and medication administration on a hospital ward."
    figures: list[dict] = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as resume:
        resume.write(text)
        resume.flush()
        for _ in range(int(runs)):
            started = time.perf_counter()
            run = subprocess.run([sys.executable, "-c", _COLD_START, str(project), env or "-", resume.name, location],
                                 capture_output=True, text=True, env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}, timeout=600)
            wall = time.perf_counter() - started
            if run.returncode != 0:
                raise RuntimeError(f"the cold-start process failed ({run.returncode}): {run.stderr[-2000:]}")
            figures.append({**json.loads(run.stdout.strip().splitlines()[-1]), "cold_wall_s": wall})
    out = {key: round(float(np.median([f[key] for f in figures])), 3) for key in figures[0] if key not in ("heavy_modules", "ads")}
    out.update({"runs": int(runs), "ads": figures[0]["ads"], "heavy_modules": figures[0]["heavy_modules"],
                "cold_wall_s_each": [round(f["cold_wall_s"], 3) for f in figures], "load_average_1min": round(os.getloadavg()[0], 2)})
    return out


def measure(size: str = "quick", project: str | Path = ROOT, env: str | None = None) -> dict:
    """JSON-safe figures of one size (see the module docstring)."""
    spec = SIZES[size]
    recommender, load_s, source = _recommender(Path(project), env, spec["ads"], spec["trees"])
    texts = _resumes(Path(project), recommender.embedder, spec["batch"], seed=7)
    recommender.recommend(texts[0], k=10)  # warm-up: first calls build lookups
    timings: dict[str, list[tuple[float, float]]] = {"single": [], "rank_only": [], "candidates": []}

    def timed(name: str, call) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        call()
        timings[name].append((time.perf_counter() - wall, time.process_time() - cpu))

    for text in texts[: spec["single"]]:
        timed("single", lambda: recommender.recommend(text, k=10))
        timed("rank_only", lambda: recommender.recommend_batch(pd.DataFrame({"resume_id": ["r"], "text": [text]}), 10))
        timed("candidates", lambda: recommender.candidates(recommender.jobs.vectors[:1], recommender.jobs))
    batch = pd.DataFrame({"resume_id": [f"r{i}" for i in range(len(texts))], "text": texts})
    wall, cpu = time.perf_counter(), time.process_time()
    recommender.recommend_batch(batch, 10)
    batch_s, batch_cpu = time.perf_counter() - wall, time.process_time() - cpu
    figures = {
        "size": size, "artifacts": source, "architecture": recommender.model.selected, "ads": len(recommender.jobs),
        "candidates_per_resume": recommender.settings.candidates, "load_s": None if load_s is None else round(load_s, 2),
        "load_average_1min": round(os.getloadavg()[0], 2), "cpus": os.cpu_count(),
    }
    for name, values in timings.items():
        walls, cpus = np.array(values).T * 1000
        figures.update({f"{name}_ms_median": round(float(np.median(walls)), 2), f"{name}_ms_p95": round(float(np.percentile(walls, 95)), 2),
                        f"{name}_cpu_ms_median": round(float(np.median(cpus)), 2)})
    figures.update({"batch_resumes": len(texts), "batch_resumes_per_s": round(len(texts) / batch_s, 1),
                    "batch_resumes_per_cpu_s": round(len(texts) / batch_cpu, 1)})
    if source == "last run":
        figures["cold_start"] = cold_start(project, env, runs=1 if size == "tiny" else 3)
    return figures


def main() -> None:
    """Print the figures of one size as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--project", default=str(ROOT))
    parser.add_argument("--env", default=None)
    parser.add_argument("--cold-start", action="store_true", help="only the cold-start figures (new processes)")
    parser.add_argument("--runs", type=int, default=3, help="cold-start processes (the median is reported)")
    args, _ = parser.parse_known_args()
    figures = cold_start(args.project, args.env, args.runs) if args.cold_start else measure(args.size, args.project, args.env)
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
