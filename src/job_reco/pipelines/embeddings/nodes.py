"""Nodes of the embeddings pipeline: scrub, tokenize, count, weigh and embed documents.

Spark does the per-document work (regexp_replace, StopWordsRemover, explode + groupBy, and
`mapInArrow` batches); numpy does the arithmetic inside each batch with the same functions of
`job_reco.text` that embed a new resume without Spark.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from job_reco.validation import require_columns
from job_reco import text
from job_reco.columns import (
    DESCRIPTION,
    DOC_ID,
    DOC_TYPE,
    DOC_TYPE_JOB,
    DOC_TYPE_RESUME,
    EMBEDDING,
    IS_ZERO_VECTOR,
    JOB_ID,
    RESUME_ID,
    SEEKER_ID,
    TEXT,
    TITLE,
    TOKEN_TEXT,
    TOKENS,
    UPDATED_AT,
)

logger = logging.getLogger(__name__)

TOKEN = "token"
OCCURRENCES = "occurrences"
DOCUMENTS = "documents"
RESUME_COLUMNS = (RESUME_ID, SEEKER_ID, TEXT, UPDATED_AT)
DOCUMENT_TOKENS_COLUMNS = (DOC_TYPE, DOC_ID, TOKENS)


def scrub_column(column: Column, *, name_header: bool = True) -> Column:
    """Spark version of `text.scrub_personal_data`: the same patterns, applied in the same order."""
    own_name = _own_name_pattern(column) if name_header else None
    if name_header:
        column = F.regexp_replace(column, text.NAME_HEADER_PATTERN, text.SCRUB_REPLACEMENT)
    for _, pattern in text.SCRUB_PATTERNS:
        column = F.regexp_replace(column, pattern, text.SCRUB_REPLACEMENT)
    if name_header:
        for _, pattern in text.NAME_PATTERNS:
            column = F.regexp_replace(column, pattern, text.SCRUB_REPLACEMENT)
    if own_name is not None:
        scrubbed = F.regexp_replace(column, own_name, F.lit(text.SCRUB_REPLACEMENT))
        column = F.when(own_name.isNotNull(), scrubbed).otherwise(column)
    return column


def _own_name_pattern(column: Column) -> Column:
    """Spark version of `text.own_name_pattern`: the header's words as a pattern, else null."""
    header = F.regexp_extract(column, text.NAME_HEADER_PATTERN, 0)
    words = F.filter(F.split(header, text.NAME_WORD_SEPARATOR), lambda word: F.length(word) >= 2)
    pattern = F.concat(F.lit(text.OWN_NAME_PREFIX), F.array_join(words, "|"), F.lit(text.OWN_NAME_SUFFIX))
    return F.when(header.rlike(text.OWN_NAME_HEADER_PATTERN) & (F.size(words) > 0), pattern)


def normalise_column(column: Column) -> Column:
    """Spark version of `text.normalise_text` (lower-case, fold accents, drop markup, a-z runs)."""
    column = F.translate(F.lower(F.coalesce(column, F.lit(""))), text.ACCENTED_LETTERS, text.UNACCENTED_LETTERS)
    column = F.regexp_replace(F.regexp_replace(column, text.MARKUP_PATTERN, " "), text.ENTITY_PATTERN, " ")
    return F.trim(F.regexp_replace(column, text.NON_LETTER_PATTERN, " "))


def scrub_resumes(valid_resumes: DataFrame) -> DataFrame:
    """Remove e-mails, URLs, phone numbers and street addresses from the resume texts."""
    require_columns(valid_resumes, RESUME_COLUMNS, "valid_resumes")
    # Only the contract's columns go on: an extra raw column could hold personal data.
    return valid_resumes.select(
        RESUME_ID, SEEKER_ID, scrub_column(F.col(TEXT)).alias(TEXT), UPDATED_AT
    )


def tokenize_documents(scrubbed_resumes: DataFrame, valid_jobs: DataFrame) -> DataFrame:
    """One row per resume and job: doc_type, doc_id, tokens (the rules of `job_reco.text`) and token_text.

    token_text is the same tokens joined by one space, what the embedding tasks read: a parquet
    column of 120 strings per document costs the JVM far more to decode and hand to Python than one
    string (docs/embeddings.md, "Profile of the Spark path").
    """
    from pyspark.ml.feature import StopWordsRemover

    require_columns(scrubbed_resumes, (RESUME_ID, TEXT), "scrubbed_resumes")
    require_columns(valid_jobs, (JOB_ID, TITLE, DESCRIPTION), "valid_jobs")
    resumes = scrubbed_resumes.select(
        F.lit(DOC_TYPE_RESUME).alias(DOC_TYPE), F.col(RESUME_ID).alias(DOC_ID), F.col(TEXT).alias("_text")
    )
    job_document = F.concat(F.coalesce(F.col(TITLE), F.lit("")), F.lit(". "), F.coalesce(F.col(DESCRIPTION), F.lit("")))
    jobs = valid_jobs.select(
        F.lit(DOC_TYPE_JOB).alias(DOC_TYPE),
        F.col(JOB_ID).alias(DOC_ID),
        scrub_column(job_document, name_header=False).alias("_text"),
    )
    words = F.filter(
        F.split(normalise_column(F.col("_text")), " "), lambda word: F.length(word) >= text.MIN_TOKEN_LENGTH
    )
    documents = resumes.unionByName(jobs).select(DOC_TYPE, DOC_ID, words.alias("_words"))
    remover = StopWordsRemover(inputCol="_words", outputCol=TOKENS, stopWords=list(text.STOP_WORDS), caseSensitive=True)
    tokens = remover.transform(documents).select(*DOCUMENT_TOKENS_COLUMNS)
    return tokens.withColumn(TOKEN_TEXT, F.array_join(F.col(TOKENS), text.TOKEN_SEPARATOR))


def count_corpus_tokens(document_tokens: DataFrame) -> dict[str, Any]:
    """Corpus counts: per (doc_type, token) occurrences and documents; per doc_type totals.

    Only the vocabulary comes to the driver (its size is bounded by the language, not the data).
    Each count is one aggregation by (doc_type, token) of the exploded tokens (documents: of each
    document's distinct tokens; one row per document), which Spark combines before the shuffle:
    a shuffle by (document, token) first moved every token of the corpus (`large`: 13.2 s -> 5.0 s).
    """
    require_columns(document_tokens, DOCUMENT_TOKENS_COLUMNS, "document_tokens")

    def counted(tokens: Column, name: str) -> DataFrame:
        exploded = document_tokens.select(DOC_TYPE, F.explode(tokens).alias(TOKEN))
        return exploded.groupBy(DOC_TYPE, TOKEN).agg(F.count(F.lit(1)).alias(name))

    tokens = (
        counted(F.col(TOKENS), OCCURRENCES)
        .join(counted(F.array_distinct(TOKENS), DOCUMENTS), on=[DOC_TYPE, TOKEN])
        .select(DOC_TYPE, TOKEN, OCCURRENCES, DOCUMENTS)
        .toPandas()
        .astype({OCCURRENCES: "int64", DOCUMENTS: "int64"})
        .sort_values([DOC_TYPE, TOKEN], ignore_index=True)
    )
    totals = document_tokens.groupBy(DOC_TYPE).agg(
        F.count(F.lit(1)).alias("documents"),
        F.sum(F.size(TOKENS)).alias("tokens"),
        F.sum((F.size(TOKENS) == 0).cast("long")).alias("empty_documents"),
    ).collect()
    per_type = {
        row[DOC_TYPE]: {"documents": int(row["documents"]), "tokens": int(row["tokens"] or 0),
                        "empty_documents": int(row["empty_documents"] or 0)}
        for row in sorted(totals, key=lambda row: row[DOC_TYPE])
    }
    logger.info("Corpus: %s.", ", ".join(
        f"{doc_type} {v['documents']} documents / {v['tokens']} tokens" for doc_type, v in per_type.items()
    ))
    return {"tokens": tokens, "doc_types": per_type}


def corpus_vocabulary(corpus_statistics: dict[str, Any]) -> pd.DataFrame:
    """token, occurrences, documents over all doc types; most frequent first, ties by token."""
    tokens = corpus_statistics["tokens"]
    vocabulary = tokens.groupby(TOKEN, as_index=False)[[OCCURRENCES, DOCUMENTS]].sum()
    return vocabulary.sort_values([OCCURRENCES, TOKEN], ascending=[False, True], ignore_index=True)


def stable_hash(word: str) -> int:
    """A hash that does not change between Python processes (gensim's `hashfxn`)."""
    import zlib

    return zlib.crc32(word.encode("utf-8"))


def train_word2vec(document_tokens: DataFrame, settings: dict[str, Any], seed: int):
    """gensim Word2Vec trained on the corpus's own token lists (driver side, one worker: seeded)."""
    from gensim.models import Word2Vec

    sentences = [
        list(row[TOKENS])
        for row in document_tokens.select(DOC_TYPE, DOC_ID, TOKENS).orderBy(DOC_TYPE, DOC_ID).toLocalIterator()
        if row[TOKENS]
    ]
    if not sentences:
        raise ValueError("document_tokens holds no token: cannot train word2vec (embeddings.word2vec.train)")
    model = Word2Vec(
        sentences,
        vector_size=int(settings.get("vector_size", 50)),
        window=int(settings.get("window", 5)),
        min_count=int(settings.get("min_count", 3)),
        sg=int(settings.get("sg", 0)),
        epochs=int(settings.get("epochs", 10)),
        seed=int(seed),
        workers=1,
        hashfxn=stable_hash,
    )
    logger.info("word2vec trained on %s documents: %s words.", len(sentences), len(model.wv.index_to_key))
    return model.wv


def load_word_vectors(
    word_vectors: Any,
    document_tokens: DataFrame,
    vectors_path: str | None,
    vectors_binary: bool | None,
    word2vec: dict[str, Any],
    seed: int,
) -> tuple[Any, dict[str, Any]]:
    """The word vectors to use and where they came from: packaged GloVe, a file, or word2vec."""
    if word2vec.get("train"):
        if vectors_path:
            raise ValueError(
                "set either embeddings.vectors_path or embeddings.word2vec.train, not both "
                f"(vectors_path={vectors_path!r})"
            )
        keyed = train_word2vec(document_tokens, word2vec, seed)
        source = {"kind": "word2vec", "words": len(keyed.index_to_key), "dimension": int(keyed.vector_size),
                  "settings": dict(word2vec), "seed": int(seed)}
        return keyed, source
    return word_vectors.load(vectors_path, binary=vectors_binary)


def build_document_embedder(
    keyed_vectors: Any,
    vectors_source: dict[str, Any],
    corpus_statistics: dict[str, Any],
    method: str,
    a: float,
    extra_words: int,
) -> text.DocumentEmbedder:
    """The embedder before component removal: vocabulary-restricted vectors and word weights."""
    vocabulary = corpus_vocabulary(corpus_statistics)
    words, n_corpus = text.select_vocabulary(
        vocabulary[TOKEN].tolist(), keyed_vectors.index_to_key, extra_words=int(extra_words),
        source_lookup=keyed_vectors.key_to_index,
    )
    counts = vocabulary.set_index(TOKEN).reindex(words, fill_value=0)
    doc_types = corpus_statistics["doc_types"].values()
    weights = text.compute_word_weights(
        method,
        counts[OCCURRENCES].to_numpy(),
        counts[DOCUMENTS].to_numpy(),
        n_tokens=sum(v["tokens"] for v in doc_types),
        n_documents=sum(v["documents"] for v in doc_types),
        a=a,
    )
    rows = np.fromiter((keyed_vectors.key_to_index[word] for word in words), dtype=np.int64, count=len(words))
    vectors = np.asarray(keyed_vectors.vectors[rows], dtype=np.float32).reshape(len(words), keyed_vectors.vector_size)
    logger.info("Embedder: %s of %s corpus words have a vector, plus %s other words; method %s.",
                n_corpus, len(vocabulary), len(words) - n_corpus, method)
    return text.DocumentEmbedder(
        method=method, words=words, vectors=vectors, weights=weights.astype(np.float32), n_corpus_words=n_corpus,
        a=float(a) if method == "sif" else None, vectors_source=dict(vectors_source),
    )


def joined_tokens(document_tokens: DataFrame) -> Column:
    """The tokens as one space-joined string, named `tokens`: the form in which the Spark path hands them to Python.

    Read from token_text (`tokenize_documents` stores it), or joined here for a document_tokens without it.
    """
    if TOKEN_TEXT in document_tokens.columns:
        return F.col(TOKEN_TEXT).alias(TOKENS)
    return F.array_join(F.col(TOKENS), text.TOKEN_SEPARATOR).alias(TOKENS)


def _gram_batches(batches, embedder: text.DocumentEmbedder):
    """mapInArrow: X^T X of each batch's document vectors (before component removal)."""
    for batch in batches:
        vectors, _ = text.embed_token_lists(batch.column(TOKENS), embedder, remove_component=False)
        gram = text.gram_matrix(vectors)
        yield pa.RecordBatch.from_arrays(
            [pa.array([gram.ravel()], type=pa.list_(pa.float64())), pa.array([batch.num_rows], type=pa.int64())],
            names=["gram", "documents"],
        )


def fit_common_component(
    document_tokens: DataFrame, base_document_embedder: text.DocumentEmbedder, remove_first_component: bool
) -> text.DocumentEmbedder:
    """Add the first principal component of all document vectors (SIF's common component)."""
    if not remove_first_component:
        return base_document_embedder.with_component(None)
    # The embedder travels inside the task's closure (no SparkContext broadcast: Spark Connect has none).
    rows = (
        document_tokens.select(joined_tokens(document_tokens))
        .mapInArrow(partial(_gram_batches, embedder=base_document_embedder), "gram array<double>, documents long")
        .collect()
    )
    dimension = base_document_embedder.dimension
    gram = np.zeros((dimension, dimension))
    for row in rows:
        gram += np.asarray(row["gram"], dtype=np.float64).reshape(dimension, dimension)
    component = text.first_principal_component(gram)
    if component is None:
        logger.warning("No document has a known word: no common component to remove.")
    return base_document_embedder.with_component(component)


def _embed_batches(batches, embedder: text.DocumentEmbedder):
    """mapInArrow: doc_id, embedding (float32 list), is_zero_vector for each batch of tokens."""
    dimension = embedder.dimension
    for batch in batches:
        vectors, is_zero = text.embed_token_lists(batch.column(TOKENS), embedder)
        offsets = pa.array(np.arange(0, (len(vectors) + 1) * dimension, dimension, dtype=np.int32))
        embedding = pa.ListArray.from_arrays(offsets, pa.array(vectors.ravel(), type=pa.float32()))
        yield pa.RecordBatch.from_arrays(
            [batch.column(DOC_ID), embedding, pa.array(is_zero, type=pa.bool_())],
            names=[DOC_ID, EMBEDDING, IS_ZERO_VECTOR],
        )


def embed_documents(
    document_tokens: DataFrame, document_embedder: text.DocumentEmbedder
) -> tuple[DataFrame, DataFrame]:
    """Resume and job vectors (float32 arrays of one dimension), zero vectors flagged, none dropped."""
    require_columns(document_tokens, DOCUMENT_TOKENS_COLUMNS, "document_tokens")
    schema = f"{DOC_ID} string, {EMBEDDING} array<float>, {IS_ZERO_VECTOR} boolean"
    # Captured in the closure, as modeling does: works on Spark Connect, which has no SparkContext.
    embed = partial(_embed_batches, embedder=document_embedder)

    def embedded(doc_type: str, id_column: str) -> DataFrame:
        documents = document_tokens.filter(F.col(DOC_TYPE) == doc_type).select(DOC_ID, joined_tokens(document_tokens))
        return documents.mapInArrow(embed, schema).withColumnRenamed(DOC_ID, id_column)

    return embedded(DOC_TYPE_RESUME, RESUME_ID), embedded(DOC_TYPE_JOB, JOB_ID)


def _zero_vector_counts(embeddings: DataFrame) -> dict[str, int]:
    row = embeddings.agg(
        F.count(F.lit(1)).alias("documents"), F.sum(F.col(IS_ZERO_VECTOR).cast("long")).alias("zero")
    ).collect()[0]
    return {"documents": int(row["documents"]), "zero_vector_documents": int(row["zero"] or 0)}


def report_embeddings(
    corpus_statistics: dict[str, Any],
    document_embedder: text.DocumentEmbedder,
    resume_embeddings: DataFrame,
    job_embeddings: DataFrame,
) -> dict[str, Any]:
    """Vocabulary, out-of-vocabulary rates, zero-vector documents, method and vectors source."""
    tokens = corpus_statistics["tokens"]
    known_words = set(document_embedder.words[: document_embedder.n_corpus_words])
    known = tokens[TOKEN].isin(known_words)
    vocabulary = corpus_vocabulary(corpus_statistics)
    by_type = {}
    for doc_type, embeddings in ((DOC_TYPE_RESUME, resume_embeddings), (DOC_TYPE_JOB, job_embeddings)):
        rows = tokens[DOC_TYPE] == doc_type
        n_tokens = int(tokens.loc[rows, OCCURRENCES].sum())
        oov_tokens = int(tokens.loc[rows & ~known, OCCURRENCES].sum())
        counts = _zero_vector_counts(embeddings)
        by_type[doc_type] = {
            **counts,
            "tokens": n_tokens,
            "vocabulary_size": int(rows.sum()),
            "oov_token_rate": oov_tokens / n_tokens if n_tokens else 0.0,
            "oov_type_rate": float((rows & ~known).sum() / rows.sum()) if rows.sum() else 0.0,
        }
        if counts["zero_vector_documents"]:
            logger.warning("%s of %s %s documents have no known word: zero vectors, flagged %s, kept.",
                           counts["zero_vector_documents"], counts["documents"], doc_type, IS_ZERO_VECTOR)
    n_tokens = int(vocabulary[OCCURRENCES].sum())
    known_all = vocabulary[TOKEN].isin(known_words)
    report = {
        "method": document_embedder.method,
        "sif_a": document_embedder.a,
        "dimension": document_embedder.dimension,
        "first_component_removed": document_embedder.component is not None,
        "vectors_source": document_embedder.vectors_source,
        "token_rules_version": document_embedder.token_rules_version,
        "vocabulary_size": len(vocabulary),
        "vocabulary_with_vectors": document_embedder.n_corpus_words,
        "embedder_words": len(document_embedder.words),
        "tokens": n_tokens,
        "oov_token_rate": float(vocabulary.loc[~known_all, OCCURRENCES].sum() / n_tokens) if n_tokens else 0.0,
        "oov_type_rate": float((~known_all).mean()) if len(vocabulary) else 0.0,
        "zero_vector_documents": sum(v["zero_vector_documents"] for v in by_type.values()),
        "doc_types": by_type,
    }
    logger.info("Embeddings: %s-d %s vectors; out of vocabulary: %.1f%% of tokens, %.1f%% of word types.",
                report["dimension"], report["method"], 100 * report["oov_token_rate"], 100 * report["oov_type_rate"])
    return report
