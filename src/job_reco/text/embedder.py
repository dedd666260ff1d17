"""Word weights and SIF document vectors: the embedder a run fits, and `embed_texts` for a new text.

`recommend` embeds a NEW resume with `embed_texts(texts, embedder)` and gets the vector the
embeddings pipeline would have given it.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from job_reco.text.tokens import _STOP_WORD_SET, _TOKEN, TOKEN_RULES_VERSION, prepare_text, tokenize


# --- word weights --------------------------------------------------------------------------------

METHODS = ("sif", "mean", "tfidf")


def compute_word_weights(
    method: str,
    occurrences: np.ndarray,
    documents: np.ndarray,
    *,
    n_tokens: int,
    n_documents: int,
    a: float = 1e-3,
) -> np.ndarray:
    """Weight of each word in a document vector, from corpus counts.

    - `mean`: 1.
    - `sif` (smooth inverse frequency, Arora et al. 2017): a / (a + p(w)), p(w) = occurrences of w
      / all tokens of the corpus. A word the corpus never saw has p(w) = 0, weight 1.
    - `tfidf`: idf(w) = ln((1 + N) / (1 + df(w))) + 1 (N documents, df(w) documents holding w;
      scikit-learn's smooth idf); the term frequency enters through the average.

    Returns float64 weights, one per word, in the order of `occurrences`.
    """
    occurrences = np.asarray(occurrences, dtype=np.float64)
    documents = np.asarray(documents, dtype=np.float64)
    if method == "mean":
        return np.ones_like(occurrences)
    if method == "sif":
        if a <= 0:
            raise ValueError(f"embeddings.sif_a must be > 0, got {a}")
        probability = occurrences / n_tokens if n_tokens > 0 else np.zeros_like(occurrences)
        return a / (a + probability)
    if method == "tfidf":
        return np.log((1.0 + n_documents) / (1.0 + documents)) + 1.0
    raise ValueError(f"embeddings.method must be one of {list(METHODS)}, got {method!r}")


# --- document vectors ----------------------------------------------------------------------------


@dataclass(eq=False)
class DocumentEmbedder:
    """Everything needed to embed a new document without Spark (pickled as `document_embedder`).

    The document vector of tokens t_1..t_n is  sum_i w(t_i) v(t_i) / n_known  over the tokens
    found in `words` (n_known of them; others are out of vocabulary and skipped), minus its
    projection on `component` when one was removed. A document with no known token is the zero
    vector. `mean` is the plain average; `sif` is Arora et al.'s SIF embedding; `tfidf` is the
    tf-idf weighted sum divided by the document's length.

    `words[:n_corpus_words]` are the corpus words that have a vector; the rest are the most
    frequent other words of the vector source (weights as for an unseen word), so a new resume's
    words outside the corpus still count.
    """

    method: str
    words: list[str]
    vectors: np.ndarray  # (len(words), dimension) float32
    weights: np.ndarray  # (len(words),) float32
    n_corpus_words: int
    a: float | None = None
    component: np.ndarray | None = None  # (dimension,) unit vector, or None
    vectors_source: dict[str, Any] = field(default_factory=dict)
    token_rules_version: str = TOKEN_RULES_VERSION

    @property
    def dimension(self) -> int:
        """Length of the document vectors."""
        return int(self.vectors.shape[1])

    def with_component(self, component: np.ndarray | None) -> DocumentEmbedder:
        """A copy that removes `component` (a unit vector) from every document vector."""
        return DocumentEmbedder(
            method=self.method,
            words=self.words,
            vectors=self.vectors,
            weights=self.weights,
            n_corpus_words=self.n_corpus_words,
            a=self.a,
            component=None if component is None else np.asarray(component, dtype=np.float32),
            vectors_source=self.vectors_source,
            token_rules_version=self.token_rules_version,
        )


TOKEN_SEPARATOR = " "  # tokens are runs of a-z (`tokenize`), so one space joins and splits them losslessly


def _as_list_array(token_lists: Any):
    """A pyarrow list<string> array from Arrow data (lists, or strings of space-joined tokens) or Python lists."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(token_lists, pa.ChunkedArray):
        token_lists = token_lists.combine_chunks()
    if isinstance(token_lists, (pa.ListArray, pa.LargeListArray)):
        return token_lists
    if isinstance(token_lists, (pa.StringArray, pa.LargeStringArray)):
        # "" (a document without tokens) splits into [""], a word no vocabulary holds: a zero vector.
        return pc.split_pattern(token_lists, TOKEN_SEPARATOR)
    return pa.array([list(tokens) if tokens is not None else None for tokens in token_lists],
                    type=pa.list_(pa.string()))


def embed_token_lists(
    token_lists: Any, embedder: DocumentEmbedder, *, remove_component: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Document vectors of many token lists at once: (float32 (n, d) matrix, bool zero flags).

    `token_lists` is a pyarrow list<string> array, a pyarrow string array of space-joined tokens
    (what the Spark path hands over: see `embeddings.nodes.joined_tokens`) or a sequence of token
    lists. Vectorised: one hash look-up of all tokens in pyarrow, one sparse (documents x words) count matrix times the weighted word vectors; no Python call per word.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    from scipy import sparse

    lists = _as_list_array(token_lists)
    n_docs = len(lists)
    lengths = pc.fill_null(pc.list_value_length(lists), 0).to_numpy(zero_copy_only=False)
    flat = lists.flatten()
    vocabulary = pa.array(embedder.words, type=flat.type)
    index = pc.fill_null(pc.index_in(flat, value_set=vocabulary), -1).to_numpy(zero_copy_only=False)
    document = np.repeat(np.arange(n_docs), lengths.astype(np.int64))
    known = index >= 0
    counts = np.bincount(document[known], minlength=n_docs)
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    occurrence = sparse.csr_array(
        (np.ones(int(known.sum()), dtype=np.float32), index[known], indptr),
        shape=(n_docs, len(embedder.words)),
    )
    weighted = embedder.vectors * embedder.weights[:, None].astype(np.float32)
    sums = np.asarray(occurrence @ weighted, dtype=np.float64)
    is_zero = counts == 0
    vectors = sums / np.maximum(counts, 1)[:, None]
    if remove_component and embedder.component is not None:
        component = embedder.component.astype(np.float64)
        vectors -= np.outer(vectors @ component, component)
    vectors[is_zero] = 0.0
    return vectors.astype(np.float32), is_zero


def embed_texts(
    texts: Iterable[str | None], embedder: DocumentEmbedder, *, scrubbed: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Embed new raw texts (e.g. a new resume) exactly as the pipeline embeds its documents.

    `scrubbed`: the texts are pieces of an already scrubbed text (a resume's experience sections):
    tokenized only, as the pipeline tokenizes a scrubbed document. Scrubbing a piece again would
    apply the rules anchored at a text's start (a first line that is a name) to a job heading.
    """
    if embedder.token_rules_version != TOKEN_RULES_VERSION:
        raise ValueError(
            f"document_embedder was built with token rules version {embedder.token_rules_version!r}; "
            f"this code applies version {TOKEN_RULES_VERSION!r}: rerun the embeddings pipeline"
        )
    return embed_token_lists([tokenize(text) if scrubbed else prepare_text(text) for text in texts], embedder)


def first_principal_component(gram: np.ndarray) -> np.ndarray | None:
    """Unit eigenvector of the largest eigenvalue of X^T X (X's first right singular vector).

    The sign is fixed (largest-magnitude coordinate positive) so the result is deterministic.
    None when the matrix is all zeros (no document had a known word).
    """
    gram = np.asarray(gram, dtype=np.float64)
    if not np.any(gram):
        return None
    _, eigenvectors = np.linalg.eigh((gram + gram.T) / 2.0)
    component = eigenvectors[:, -1]
    if component[np.argmax(np.abs(component))] < 0:
        component = -component
    return component


def gram_matrix(vectors: np.ndarray) -> np.ndarray:
    """X^T X of document vectors, in float64 (summed over batches to fit the component)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors.T @ vectors


def select_vocabulary(
    corpus_words: Sequence[str],
    source_words: Sequence[str],
    *,
    extra_words: int,
    source_lookup: Container[str] | None = None,
) -> tuple[list[str], int]:
    """Words the embedder keeps: corpus words with a vector (in corpus order), then up to
    `extra_words` of the source's other words that the tokenizer can produce (a-z, long enough,
    not stop words), in the source's order (most frequent first for GloVe and word2vec files).
    Returns (words, number of corpus words among them).

    `source_lookup` (e.g. KeyedVectors.key_to_index) answers `word in source` quickly.
    """
    lookup = source_lookup if source_lookup is not None else set(source_words)
    kept = [word for word in corpus_words if word in lookup]
    kept_set = set(kept)
    extra: list[str] = []
    if extra_words > 0:
        for word in source_words:
            if len(extra) >= extra_words:
                break
            if word not in kept_set and _TOKEN.fullmatch(word) and word not in _STOP_WORD_SET:
                extra.append(word)
    return kept + extra, len(kept)
