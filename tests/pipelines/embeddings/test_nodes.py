"""Nodes of the embeddings pipeline on small hand-made Spark frames."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from job_reco import text
from job_reco.columns import (
    DESCRIPTION,
    DOC_ID,
    DOC_TYPE,
    EMBEDDING,
    IS_ZERO_VECTOR,
    JOB_ID,
    POSTED_AT,
    RESUME_ID,
    SEEKER_ID,
    TEXT,
    TITLE,
    TOKEN_TEXT,
    TOKENS,
    UPDATED_AT,
)
from job_reco.datasets.word_vectors import keyed_vectors_from_arrays
from job_reco.pipelines.embeddings import nodes
from tests.pipelines.embeddings.test_text import NOT_PERSONAL, SCRUB_CASES, _faker_resumes

T0 = dt.datetime(2024, 1, 1)
RESUME_SCHEMA = f"{RESUME_ID} string, {SEEKER_ID} string, {TEXT} string, {UPDATED_AT} timestamp"
JOB_SCHEMA = f"{JOB_ID} string, {TITLE} string, {DESCRIPTION} string, {POSTED_AT} timestamp"
TOKENS_SCHEMA = f"{DOC_TYPE} string, {DOC_ID} string, {TOKENS} array<string>"

RESUME_TEXTS = {
    "r1": "Jane Doe\njane.doe@example.com | (555) 123-4567\nNurse; patient care nurse.",
    "r2": "Python developer. Visit www.dev.io",
    "r3": "",
    "r4": None,
}
JOBS = {"j1": ("Night Nurse", "Patient care <b>at night</b>."), "j2": ("Developer", None)}
# What the token rules give (worked out by hand).
EXPECTED_TOKENS = {
    ("resume", "r1"): ["nurse", "patient", "care", "nurse"],
    ("resume", "r2"): ["python", "developer", "visit"],
    ("resume", "r3"): [],
    ("resume", "r4"): [],
    ("job", "j1"): ["night", "nurse", "patient", "care", "night"],
    ("job", "j2"): ["developer"],
}
# Hand 2-d word vectors; "night" and "visit" have none; "hospital" is outside the corpus.
SOURCE_WORDS = ["nurse", "patient", "care", "developer", "python", "hospital"]
SOURCE_VECTORS = np.array([[1, 0], [1, 1], [0, 1], [-1, 0], [-1, -1], [0, 2]], dtype=np.float32)


class HandVectors:
    """Stands in for WordVectorSource: hand vectors, or a 'file' when a path is given."""

    def load(self, vectors_path=None, *, binary=None):
        keyed = keyed_vectors_from_arrays(SOURCE_WORDS, SOURCE_VECTORS)
        return keyed, {"kind": "hand", "path": vectors_path, "words": 6, "dimension": 2}


@pytest.fixture(scope="module")
def resumes(spark):
    return spark.createDataFrame(
        [(rid, f"s{rid}", body, T0) for rid, body in RESUME_TEXTS.items()], RESUME_SCHEMA
    )


@pytest.fixture(scope="module")
def jobs(spark):
    return spark.createDataFrame([(jid, title, body, T0) for jid, (title, body) in JOBS.items()], JOB_SCHEMA)


@pytest.fixture(scope="module")
def document_tokens(spark):
    return spark.createDataFrame([(t, d, tokens) for (t, d), tokens in EXPECTED_TOKENS.items()], TOKENS_SCHEMA)


@pytest.fixture(scope="module")
def corpus_statistics(document_tokens):
    return nodes.count_corpus_tokens(document_tokens)


def _embedder(corpus_statistics, method="mean", extra_words=0, a=0.1):
    keyed, source = HandVectors().load()
    return nodes.build_document_embedder(keyed, source, corpus_statistics, method, a, extra_words)


def _by_id(df, id_column):
    return {row[id_column]: row for row in df.collect()}


# --- scrub ---------------------------------------------------------------------------------------


def test_scrub_resumes_removes_contacts_and_keeps_columns(spark, resumes):
    extra = resumes.withColumn("email", resumes[TEXT])
    scrubbed = nodes.scrub_resumes(extra)
    assert scrubbed.columns == [RESUME_ID, SEEKER_ID, TEXT, UPDATED_AT]  # the extra column is not carried
    rows = _by_id(scrubbed, RESUME_ID)
    assert rows["r1"][TEXT] == " \n  |  \nNurse; patient care nurse."
    assert rows["r2"][TEXT] == "Python developer. Visit  "
    assert rows["r3"][TEXT] == "" and rows["r4"][TEXT] is None
    assert scrubbed.count() == 4


def test_scrub_resumes_missing_column_named(resumes):
    with pytest.raises(ValueError, match=r"valid_resumes is missing columns \['text'\]"):
        nodes.scrub_resumes(resumes.drop(TEXT))


def test_spark_scrub_equals_python_scrub(spark):
    faker_texts = [body for body, _ in _faker_resumes(100, seed=11)]
    texts = [raw for raw, _ in SCRUB_CASES] + NOT_PERSONAL + faker_texts
    frame = spark.createDataFrame(
        [(str(i), "s", body, T0) for i, body in enumerate(texts)], RESUME_SCHEMA
    )
    rows = _by_id(nodes.scrub_resumes(frame), RESUME_ID)
    for i, body in enumerate(texts):
        assert rows[str(i)][TEXT] == text.scrub_personal_data(body), body


# --- tokens --------------------------------------------------------------------------------------


def test_tokenize_documents_by_hand(spark, resumes, jobs):
    tokens = nodes.tokenize_documents(nodes.scrub_resumes(resumes), jobs)
    assert tokens.columns == [DOC_TYPE, DOC_ID, TOKENS, TOKEN_TEXT]
    assert all(row[TOKEN_TEXT] == " ".join(row[TOKENS]) for row in tokens.collect())  # what embedding reads
    got = {(row[DOC_TYPE], row[DOC_ID]): list(row[TOKENS]) for row in tokens.collect()}
    assert got == EXPECTED_TOKENS  # empty and missing texts are kept, with no token


def test_tokenize_documents_missing_job_column_named(resumes, jobs):
    with pytest.raises(ValueError, match=r"valid_jobs is missing columns \['description'\]"):
        nodes.tokenize_documents(nodes.scrub_resumes(resumes), jobs.drop(DESCRIPTION))


def test_spark_tokens_equal_python_tokens(spark):
    texts = [raw for raw, _ in SCRUB_CASES] + NOT_PERSONAL + [
        "<p>The Registered&nbsp;Nurse's duties: caring for 12 patients/day &amp; résumé-writing! I'm a RN.</p>",
        "Ça va? NAÏVE Café-au-lait; ÉCOLE Zürich Łódź İstanbul straße",
        "pay < 50k and > 30k <a href='x'>Link</a> &#169; &copy;",
    ] + [body for body, _ in _faker_resumes(50, seed=3)]
    resumes = spark.createDataFrame([(str(i), "s", body, T0) for i, body in enumerate(texts)], RESUME_SCHEMA)
    jobs = spark.createDataFrame([(str(i), body[:12], body, T0) for i, body in enumerate(texts)], JOB_SCHEMA)
    got = {(row[DOC_TYPE], row[DOC_ID]): list(row[TOKENS])
           for row in nodes.tokenize_documents(nodes.scrub_resumes(resumes), jobs).collect()}
    for i, body in enumerate(texts):
        assert got[("resume", str(i))] == text.prepare_text(body), body
        assert got[("job", str(i))] == text.prepare_job(body[:12], body), body


def test_stop_words_are_sparks_default_english_list(spark):
    from pyspark.ml.feature import StopWordsRemover

    assert list(text.STOP_WORDS) == StopWordsRemover.loadDefaultStopWords("english")


# --- counts and weights --------------------------------------------------------------------------


def test_count_corpus_tokens_by_hand(corpus_statistics):
    tokens = corpus_statistics["tokens"].set_index([DOC_TYPE, nodes.TOKEN])
    assert tokens.loc[("resume", "nurse")].tolist() == [2, 1]  # occurrences, documents
    assert tokens.loc[("job", "night")].tolist() == [2, 1]
    assert tokens.loc[("job", "nurse")].tolist() == [1, 1]
    assert len(tokens) == 11
    assert corpus_statistics["doc_types"] == {
        "job": {"documents": 2, "tokens": 6, "empty_documents": 0},
        "resume": {"documents": 4, "tokens": 7, "empty_documents": 2},
    }


def test_build_document_embedder_vocabulary_and_sif_weights(corpus_statistics):
    embedder = _embedder(corpus_statistics, method="sif", extra_words=1, a=0.1)
    # corpus words by occurrences (ties by word), those with a vector; then one extra source word
    assert embedder.words == ["nurse", "care", "developer", "patient", "python", "hospital"]
    assert embedder.n_corpus_words == 5
    # 13 tokens: nurse 3, care 2, python 1, hospital 0 -> a / (a + p)
    expected = [0.1 / (0.1 + 3 / 13), 0.1 / (0.1 + 2 / 13), 0.1 / (0.1 + 2 / 13), 0.1 / (0.1 + 2 / 13),
                0.1 / (0.1 + 1 / 13), 1.0]
    assert embedder.weights == pytest.approx(expected, rel=1e-6)
    assert embedder.vectors[5] == pytest.approx([0, 2])
    assert embedder.vectors_source["kind"] == "hand"


def test_load_word_vectors_refuses_path_and_word2vec(document_tokens):
    with pytest.raises(ValueError, match="embeddings.vectors_path or embeddings.word2vec.train"):
        nodes.load_word_vectors(HandVectors(), document_tokens, "/x/glove.txt", None, {"train": True}, 1)


def test_load_word_vectors_uses_the_source(document_tokens):
    keyed, source = nodes.load_word_vectors(HandVectors(), document_tokens, "/x/v.txt", None, {"train": False}, 1)
    assert source["path"] == "/x/v.txt" and keyed.vector_size == 2


def test_word2vec_training_is_deterministic(spark):
    corpus = [("resume", f"r{i}", ["nurse", "patient", "care", "hospital", "shift"][i % 3:] * 3) for i in range(30)]
    tokens = spark.createDataFrame(corpus, TOKENS_SCHEMA)
    settings = {"train": True, "vector_size": 8, "window": 2, "min_count": 1, "epochs": 3}
    first, source = nodes.load_word_vectors(None, tokens, None, None, settings, 5)
    second, _ = nodes.load_word_vectors(None, tokens, None, None, settings, 5)
    assert source["kind"] == "word2vec" and first.vector_size == 8
    assert first.index_to_key == second.index_to_key
    np.testing.assert_array_equal(first.vectors, second.vectors)


# --- vectors -------------------------------------------------------------------------------------


def test_embed_documents_by_hand_zero_vectors_flagged_not_dropped(corpus_statistics, document_tokens):
    embedder = _embedder(corpus_statistics, method="mean")
    resumes, jobs = nodes.embed_documents(document_tokens, embedder)
    assert resumes.columns == [RESUME_ID, EMBEDDING, IS_ZERO_VECTOR]
    assert jobs.columns == [JOB_ID, EMBEDDING, IS_ZERO_VECTOR]
    assert dict(resumes.dtypes)[EMBEDDING] == "array<float>"
    r, j = _by_id(resumes, RESUME_ID), _by_id(jobs, JOB_ID)
    assert set(r) == {"r1", "r2", "r3", "r4"} and set(j) == {"j1", "j2"}
    # r1 [nurse, patient, care, nurse] -> ((1,0) + (1,1) + (0,1) + (1,0)) / 4
    assert r["r1"][EMBEDDING] == pytest.approx([0.75, 0.5])
    # r2 [python, developer, visit]: visit unknown -> ((-1,-1) + (-1,0)) / 2
    assert r["r2"][EMBEDDING] == pytest.approx([-1.0, -0.5])
    assert r["r3"][EMBEDDING] == [0.0, 0.0] and r["r3"][IS_ZERO_VECTOR]
    assert r["r4"][EMBEDDING] == [0.0, 0.0] and r["r4"][IS_ZERO_VECTOR]
    assert not r["r1"][IS_ZERO_VECTOR]
    # j1 [night, nurse, patient, care, night] -> ((1,0) + (1,1) + (0,1)) / 3
    assert j["j1"][EMBEDDING] == pytest.approx([2 / 3, 2 / 3])
    assert j["j2"][EMBEDDING] == pytest.approx([-1.0, 0.0])


def test_embed_documents_missing_column_named(document_tokens, corpus_statistics):
    with pytest.raises(ValueError, match=r"document_tokens is missing columns \['tokens'\]"):
        nodes.embed_documents(document_tokens.drop(TOKENS), _embedder(corpus_statistics))


def test_fit_common_component_is_first_singular_vector(corpus_statistics, document_tokens):
    embedder = nodes.fit_common_component(document_tokens, _embedder(corpus_statistics), True)
    documents = np.array([[0.75, 0.5], [-1.0, -0.5], [2 / 3, 2 / 3], [-1.0, 0.0]])  # the non-zero mean vectors
    expected = np.linalg.svd(documents)[2][0]
    assert abs(float(embedder.component @ expected)) == pytest.approx(1.0, abs=1e-6)
    assert nodes.fit_common_component(document_tokens, embedder, False).component is None


def test_spark_vectors_equal_python_vectors(spark, resumes, jobs):
    tokens = nodes.tokenize_documents(nodes.scrub_resumes(resumes), jobs)
    statistics = nodes.count_corpus_tokens(tokens)
    embedder = nodes.fit_common_component(tokens, _embedder(statistics, method="sif", extra_words=1), True)
    spark_resumes, spark_jobs = nodes.embed_documents(tokens, embedder)
    rows = _by_id(spark_resumes, RESUME_ID)
    python, is_zero = text.embed_texts(list(RESUME_TEXTS.values()), embedder)
    for i, resume_id in enumerate(RESUME_TEXTS):
        np.testing.assert_allclose(rows[resume_id][EMBEDDING], python[i], rtol=1e-6, atol=1e-7)
        assert rows[resume_id][IS_ZERO_VECTOR] == is_zero[i]
    job_rows = _by_id(spark_jobs, JOB_ID)
    job_python, _ = text.embed_token_lists([text.prepare_job(*JOBS[j]) for j in JOBS], embedder)
    for i, job_id in enumerate(JOBS):
        np.testing.assert_allclose(job_rows[job_id][EMBEDDING], job_python[i], rtol=1e-6, atol=1e-7)


def test_report_embeddings_by_hand(corpus_statistics, document_tokens):
    embedder = _embedder(corpus_statistics, method="mean", extra_words=1)
    resumes, jobs = nodes.embed_documents(document_tokens, embedder)
    report = nodes.report_embeddings(corpus_statistics, embedder, resumes, jobs)
    # 7 word types, 5 with vectors (night, visit have none); 13 tokens, night x2 + visit x1 unknown
    assert report["vocabulary_size"] == 7 and report["vocabulary_with_vectors"] == 5
    assert report["oov_type_rate"] == pytest.approx(2 / 7)
    assert report["oov_token_rate"] == pytest.approx(3 / 13)
    assert report["doc_types"]["resume"] == {
        "documents": 4, "zero_vector_documents": 2, "tokens": 7, "vocabulary_size": 6,
        "oov_token_rate": pytest.approx(1 / 7), "oov_type_rate": pytest.approx(1 / 6),
    }
    assert report["doc_types"]["job"]["oov_token_rate"] == pytest.approx(2 / 6)
    assert report["zero_vector_documents"] == 2
    assert (report["method"], report["dimension"], report["embedder_words"]) == ("mean", 2, 6)
