"""The served recommender under load: concurrent HTTP clients against `mlflow models serve` with 100k ads.

    .venv/bin/python -m benchmarks.load_serving [--clients 1 4 16] [--seconds 60] [--ads 100000] [--workers 1]
                                                 [--model URI] [--project .] [--output FILE]

- Model: `--model`, else the latest registered `job_reco_recommender` of the project's registry
  (mlflow.db: `kedro run` registers one). Ads: the model's own jobs repeated under new ids up to
  `--ads` (their vectors and side columns copied, so no ad is embedded), given to the server as its
  current jobs (model config `jobs`, `job_vectors`; docs/serving.md).
- Requests: one resume each, k = 10, from the network's raw resumes (data/01_raw/resumes.parquet,
  else generated text), half of them with a "City, ST" location.
- For each client count, that many threads send requests on keep-alive connections for `--seconds`
  (and at most `--max-requests`), to 127.0.0.1 only. Figures: requests/s, latency p50/p95/p99 (ms,
  request sent to answer read), errors (any answer but a 200 with k jobs), the server's CPU time
  per request (its process tree's; what a request costs on a machine shared with other work), the
  resident memory of the server's process tree at the start and the end of each level, and the
  1-minute load average.
Not part of `make bench`: it holds a server for minutes. Run it alone (`flock /tmp/job_reco_heavy.lock`).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
K = 10


def _model_jobs(model_uri: str, tracking_uri: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The jobs and job vectors inside a logged recommender model."""
    import mlflow

    from job_reco.recommend.folder import read_model_folder
    from job_reco.serving.model import ARTIFACT

    mlflow.set_tracking_uri(tracking_uri)
    local = Path(mlflow.artifacts.download_artifacts(model_uri))
    artifacts = read_model_folder(local / "artifacts" / ARTIFACT)
    return artifacts.jobs, artifacts.job_vectors


def many_ads(jobs: pd.DataFrame, vectors: pd.DataFrame, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """`jobs` repeated under new ids (`<id>-<copy>`) up to n ads, with their vectors."""
    copies = -(-n // len(jobs))
    big = pd.concat([jobs.assign(job_id=jobs["job_id"].astype(str) + f"-{c}") for c in range(copies)], ignore_index=True).iloc[:n]
    vec = pd.concat([vectors.assign(job_id=vectors["job_id"].astype(str) + f"-{c}") for c in range(copies)], ignore_index=True)
    return big, vec[vec["job_id"].isin(set(big["job_id"]))]


def requests(project: Path, n: int, seed: int = 7) -> list[bytes]:
    """n request bodies of one resume each (k = 10), half with a location."""
    raw = project / "data" / "01_raw" / "resumes.parquet"
    generator = np.random.default_rng(seed)
    if raw.exists():
        texts = pd.read_parquet(raw, columns=["text"])["text"].dropna().sample(n, replace=True, random_state=seed).tolist()
    else:
        words = np.array("nurse patient care driver truck cargo software python data analyst sales customer".split())
        texts = [" ".join(generator.choice(words, 120)) for _ in range(n)]
    cities = ["Houston, TX", "Chicago, IL", "Seattle, WA", "Miami, FL"]
    bodies = []
    for i, text in enumerate(texts):
        item = {"text": text, "k": K, **({"location": cities[i % len(cities)]} if i % 2 else {})}
        bodies.append(json.dumps({"inputs": [item]}).encode("utf-8"))
    return bodies


def _client(url: str, bodies: list[bytes], stop_at: float, budget: list[int], lock: threading.Lock,
            latencies: list[float], errors: list[str]) -> None:
    """Send bodies in turn on one keep-alive connection until `stop_at` or the shared request budget is spent."""
    address = urlparse(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
    i = 0
    while time.monotonic() < stop_at:
        with lock:
            if budget[0] <= 0:
                break
            budget[0] -= 1
        body = bodies[i % len(bodies)]
        i += 1
        started = time.perf_counter()
        try:
            connection.request("POST", "/invocations", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            payload = response.read()
            elapsed = time.perf_counter() - started
            if response.status != 200 or len(json.loads(payload)["predictions"][0]["jobs"]) != K:
                errors.append(f"HTTP {response.status}")
        except (OSError, http.client.HTTPException, ValueError, KeyError) as error:
            elapsed = time.perf_counter() - started
            errors.append(type(error).__name__)
            connection.close()
            connection = http.client.HTTPConnection(address.hostname, address.port, timeout=120)
        latencies.append(elapsed)
    connection.close()


def check_served_ads(url: str, body: bytes, job_ids: set[str]) -> None:
    """Fail unless the server ranks the ads it was given (its answer's jobs are among `job_ids`)."""
    from job_reco.serving.local_server import post_json

    status, answer = post_json(f"{url}/invocations", body=body)
    served = {job["job_id"] for resume in answer["predictions"] for job in resume["jobs"]} if status == 200 else set()
    if not served or not served <= job_ids:
        raise RuntimeError(f"the server does not rank the {len(job_ids):,} ads it was given (HTTP {status}): "
                           "is the model logged with its model config (job_reco.serving.model.MODEL_CONFIG)?")


def load_level(url: str, pid: int, bodies: list[bytes], clients: int, seconds: float, max_requests: int) -> dict:
    """One level of load: `clients` threads for `seconds`; throughput, latency percentiles, errors, memory."""
    from job_reco.serving.local_server import process_tree_cpu_s, process_tree_rss_mb

    rss_start, cpu_start = process_tree_rss_mb(pid), process_tree_cpu_s(pid)
    latencies: list[float] = []
    errors: list[str] = []
    lock, budget = threading.Lock(), [max_requests]
    started = time.monotonic()
    stop_at = started + seconds
    threads = [threading.Thread(target=_client, args=(url, bodies[c::clients], stop_at, budget, lock, latencies, errors))
               for c in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.monotonic() - started
    cpu_s = process_tree_cpu_s(pid) - cpu_start
    ms = np.array(latencies) * 1000
    return {
        "clients": clients, "seconds": round(wall, 1), "requests": len(latencies), "errors": len(errors),
        "error_kinds": sorted(set(errors)), "requests_per_s": round(len(latencies) / wall, 1),
        "latency_ms_p50": round(float(np.percentile(ms, 50)), 1), "latency_ms_p95": round(float(np.percentile(ms, 95)), 1),
        "latency_ms_p99": round(float(np.percentile(ms, 99)), 1), "latency_ms_max": round(float(ms.max()), 1),
        "server_cpu_ms_per_request": round(1000 * cpu_s / max(len(latencies), 1), 1),
        "server_rss_mb_start": round(rss_start, 1), "server_rss_mb_end": round(process_tree_rss_mb(pid), 1),
        "load_average_1min": round(os.getloadavg()[0], 2),
    }


def measure(*, project: Path, model_uri: str, ads: int, clients: list[int], seconds: float, max_requests: int,
            workers: int = 1, log: Path | None = None) -> dict:
    """Serve the model over `ads` ads and run each client level in turn (see the module docstring)."""
    from job_reco.serving.local_server import model_server

    tracking_uri = f"sqlite:///{project / 'mlflow.db'}"
    jobs, vectors = many_ads(*_model_jobs(model_uri, tracking_uri), ads)
    bodies = requests(project, 2_000)
    with tempfile.TemporaryDirectory(prefix="load_serving_") as tmp:
        jobs_path, vectors_path = Path(tmp) / "jobs.parquet", Path(tmp) / "job_vectors.parquet"
        jobs.to_parquet(jobs_path, index=False)
        vectors.to_parquet(vectors_path, index=False)
        config = json.dumps({"jobs": str(jobs_path), "job_vectors": str(vectors_path)})
        log = log or Path(tmp) / "server.log"
        started = time.monotonic()
        with model_server(model_uri, tracking_uri=tracking_uri, log=log, workers=workers,
                          env={"SERVING_MODEL_CONFIG": config}) as server:
            ready_s = time.monotonic() - started
            check_served_ads(server.url, bodies[0], set(jobs["job_id"]))
            load_level(server.url, server.pid, bodies, 1, min(5.0, seconds), 50)  # warm-up
            levels = []
            for n in clients:
                levels.append(load_level(server.url, server.pid, bodies, n, seconds, max_requests))
                print(json.dumps(levels[-1]), flush=True)  # each level as it ends: a stopped run keeps what it measured
    return {"model": model_uri, "ads": len(jobs), "k": K, "workers": workers, "server_ready_s": round(ready_s, 1),
            "cpus": os.cpu_count(), "levels": levels}


def main(argv: list[str] | None = None) -> None:
    """Print the figures as JSON (and write them to --output)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, default=ROOT)
    parser.add_argument("--model", default="models:/job_reco_recommender/latest")
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-requests", type=int, default=20_000, help="per level")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (mlflow models serve -w)")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args(argv)
    figures = measure(project=args.project.resolve(), model_uri=args.model, ads=args.ads, clients=args.clients,
                      seconds=args.seconds, max_requests=args.max_requests, workers=args.workers)
    text = json.dumps(figures, indent=2)
    print(text)
    if args.output:
        args.output.write_text(text + "\n")


if __name__ == "__main__":
    main()
