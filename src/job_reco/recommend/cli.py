"""`job-reco recommend`: the best jobs for one resume (a table or JSON) or for a parquet file of resumes.

    job-reco recommend --resume FILE.txt [--jobs JOBS.parquet] [--top 10] [--format table|json] [--location "Houston, TX"]
    job-reco recommend --resumes RESUMES.parquet [--jobs JOBS.parquet] [--top 10] --output RECS.parquet

Without --jobs, the catalog's jobs. A batch of at least `recommend.spark_min_resumes` resumes (or
--spark) runs on Spark (mapInPandas); smaller ones in this process, with a progress bar. Missing
or incompatible artifacts give one message that says what to run (exit status 2). Nothing of a
resume is logged; INFO logs are off unless --verbose. The table's "why" gives the reasons in words
(`explain.py`) and the matched words; --format json adds each reason's effect on the score and the
raw side-feature contributions.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click

from job_reco.recommend.artifacts import ArtifactError


def _quiet(verbose: bool) -> None:
    """stdout is the answer, stderr stays clean: libraries' warnings off; the project's and Kedro's INFO logs on
    stderr with --verbose only. TensorFlow is never imported (`job_reco.recommend.model`), so none of its lines."""
    import warnings  # noqa: PLC0415

    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    if not verbose:
        logging.disable(logging.INFO)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    for name in ("job_reco", "kedro"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.INFO)
        logger.addHandler(handler)


def _read_jobs(path: str | None):
    if path is None:
        return None
    import pandas as pd  # noqa: PLC0415

    return pd.read_parquet(path)


def _table(frame) -> str:
    """rank, job_id, title, score and the explanation, as aligned text."""
    lines = [f"{'rank':>4}  {'job_id':<12} {'title':<40} {'score':>8}  why"]
    for row in frame.itertuples(index=False):
        lines.append(f"{row.rank:>4}  {str(row.job_id):<12} {str(row.title)[:40]:<40} {row.score:>8.3f}  {row.explanation}")
    return "\n".join(lines)


def _as_json(frame) -> str:
    records = []
    for row in frame.itertuples(index=False):
        records.append({
            "rank": int(row.rank), "job_id": str(row.job_id), "title": str(row.title), "score": float(row.score),
            "cosine": round(float(row.cosine), 6),
            "reasons": [{"reason": text, "effect": round(float(e), 3)} for text, e in row.reasons],
            "matched_words": [{"resume_word": r, "ad_word": a, "cosine": c} for r, a, c in row.matched_words],
            "side_features": [{"feature": n, "effect": e} for n, e in row.side_features],
        })
    return json.dumps(records, indent=2)


def _single(recommender, resume: str, jobs, top: int, output_format: str, location: str | None) -> None:
    text = Path(resume).read_text(encoding="utf-8", errors="replace")
    frame = recommender.recommend(text, k=top, jobs=jobs, resume_location=location)
    click.echo(_as_json(frame) if output_format == "json" else _table(frame))


def _local_batch(recommender, resumes, jobs, top: int):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn  # noqa: PLC0415

    table = recommender.candidate_jobs(jobs)
    columns = ("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, transient=False) as progress:
        task = progress.add_task("resumes", total=len(resumes))
        return recommender.recommend_batch(resumes, top, table, progress=lambda n: progress.advance(task, n))


def _spark_batch(recommender, resumes_path: str, jobs, top: int, output: str, project: Path, env: str | None) -> int:
    from job_reco.recommend.spark_run import run_on_spark  # noqa: PLC0415

    if jobs is not None:
        recommender.jobs = recommender.job_table(jobs)
    return run_on_spark(recommender, resumes_path, top, output, project=project, env=env)


@click.command(name="recommend")
@click.option("--resume", "resume", type=click.Path(exists=True, dir_okay=False), help="a resume as a text file")
@click.option("--resumes", "resumes", type=click.Path(exists=True), help="parquet: resume_id, text[, city, state, latitude, longitude]")
@click.option("--jobs", "jobs", type=click.Path(exists=True), help="parquet in the contract's jobs format (default: the catalog's jobs)")
@click.option("--top", "top", type=click.IntRange(min=1), default=None, help="jobs per resume (default recommend.top_k)")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--location", "location", default=None, help='the seeker\'s place for --resume: "City, ST" (US)')
@click.option("--output", "output", type=click.Path(), help="parquet for --resumes: resume_id, rank, job_id, score")
@click.option("--spark/--no-spark", "spark", default=None, help="run a batch on Spark (default: from recommend.spark_min_resumes)")
@click.option("--project", "project", type=click.Path(exists=True, file_okay=False), default=".", show_default=True)
@click.option("--env", "env", default=None, help="Kedro configuration env (e.g. test)")
@click.option("--verbose", is_flag=True, help="show INFO logs")
def recommend(resume, resumes, jobs, top, output_format, location, output, spark, project, env, verbose) -> None:
    """The best jobs for a new resume (--resume) or for a parquet file of resumes (--resumes, --output)."""
    _quiet(verbose)
    if (resume is None) == (resumes is None):
        raise click.UsageError("give exactly one of --resume FILE.txt or --resumes RESUMES.parquet")
    if resumes is not None and output is None:
        raise click.UsageError("--resumes needs --output RECS.parquet")
    try:
        _run(resume, resumes, jobs, top, output_format, location, output, spark, Path(project), env)
    except (ArtifactError, ValueError) as error:
        click.echo(f"job-reco recommend: {error}", err=True)
        sys.exit(2)


def _run(resume, resumes, jobs, top, output_format, location, output, spark, project: Path, env) -> None:
    from job_reco.recommend.recommender import JobRecommender  # noqa: PLC0415

    job_frame = _read_jobs(jobs)
    recommender = JobRecommender.load(project, env, catalog_jobs=job_frame is None)
    top = top or int((recommender.artifacts.params.get("recommend") or {}).get("top_k", 10))
    if resume is not None:
        _single(recommender, resume, job_frame, top, output_format, location)
        return
    import pandas as pd  # noqa: PLC0415
    import pyarrow.parquet as pq  # noqa: PLC0415

    n_resumes = pq.ParquetDataset(resumes).read(columns=[]).num_rows
    threshold = int((recommender.artifacts.params.get("recommend") or {}).get("spark_min_resumes", 5000))
    if spark or (spark is None and n_resumes >= threshold):
        written = _spark_batch(recommender, resumes, job_frame, top, output, project, env)
    else:
        result = _local_batch(recommender, pd.read_parquet(resumes), job_frame, top)
        result.to_parquet(output, index=False)
        written = len(result)
    click.echo(f"wrote {written} recommendations for {n_resumes} resumes to {output}", err=True)
