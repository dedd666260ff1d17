"""job_reco.datasets.word_vectors: GloVe / word2vec file loaders and the packaged GloVe dataset."""

from __future__ import annotations

import numpy as np
import pytest
from kedro.io import DatasetError

from job_reco.datasets.word_vectors import (
    WordVectorsDataset,
    WordVectorSource,
    keyed_vectors_from_arrays,
    load_vectors_file,
)


def test_glove_text_file(tmp_path):
    path = tmp_path / "tiny_glove.txt"
    path.write_text("nurse 0.1 0.2 0.3\ncare -1 0 1.5\n", encoding="utf-8")
    keyed = load_vectors_file(str(path))
    assert keyed.vector_size == 3  # read from the file
    assert keyed.index_to_key == ["nurse", "care"]
    assert keyed["care"] == pytest.approx([-1.0, 0.0, 1.5])


def test_word2vec_text_file_with_header(tmp_path):
    path = tmp_path / "tiny_w2v.txt"
    path.write_text("2 4\nnurse 1 2 3 4\ncare 5 6 7 8\n", encoding="utf-8")
    keyed = load_vectors_file(str(path))
    assert keyed.vector_size == 4
    assert keyed["nurse"] == pytest.approx([1, 2, 3, 4])


def test_word2vec_binary_file_by_extension(tmp_path):
    path = tmp_path / "tiny.bin"
    keyed_vectors_from_arrays(["nurse", "care"], np.array([[1, 2], [3, 4]], dtype=np.float32)).save_word2vec_format(
        str(path), binary=True
    )
    keyed = load_vectors_file(str(path))
    assert keyed.vector_size == 2
    assert keyed["care"] == pytest.approx([3, 4])


def test_gensim_kv_file(tmp_path):
    path = tmp_path / "tiny.kv"
    keyed_vectors_from_arrays(["nurse"], np.array([[1, 2, 3]], dtype=np.float32)).save(str(path))
    assert load_vectors_file(str(path))["nurse"] == pytest.approx([1, 2, 3])


def test_missing_file_names_parameter(tmp_path):
    with pytest.raises(DatasetError, match="embeddings.vectors_path"):
        load_vectors_file(str(tmp_path / "nope.txt"))


def test_malformed_file_names_parameter(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("nurse 0.1 0.2\ncare 0.3\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="embeddings.vectors_path"):
        load_vectors_file(str(path))


def test_source_prefers_the_file(tmp_path):
    path = tmp_path / "tiny_glove.txt"
    path.write_text("nurse 0.1 0.2\n", encoding="utf-8")
    keyed, description = WordVectorSource().load(str(path))
    assert description == {"kind": "file", "path": str(path), "words": 1, "dimension": 2}
    assert keyed.index_to_key == ["nurse"]


def test_packaged_glove_dataset():
    dataset = WordVectorsDataset()
    assert dataset.exists()
    keyed, description = dataset.load().load(None)
    assert (len(keyed.index_to_key), keyed.vector_size) == (400_000, 50)
    assert description["kind"] == "package" and description["dimension"] == 50
    assert keyed.index_to_key[:3] == ["the", ",", "."]
    # Stanford's glove.6B.50d.txt: "the 0.418 0.24968 -0.41242 ..."
    assert keyed["the"][:3] == pytest.approx([0.418, 0.24968, -0.41242])
    assert keyed.vectors.dtype == np.float32


def test_dataset_is_read_only():
    with pytest.raises(DatasetError, match="read-only"):
        WordVectorsDataset().save(object())


def test_missing_package_named():
    with pytest.raises(DatasetError, match="no_such_glove_package"):
        WordVectorSource(package="no_such_glove_package").load(None)


def test_a_value_that_is_no_number_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("nurse 0.1 0.2\ncare 0.3 n/a\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad.txt.*line 2: value 'n/a' is not a number"):
        load_vectors_file(str(path))


def test_a_short_line_of_a_word2vec_file_is_named_with_its_line(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("2 3\nnurse 0.1 0.2 0.3\ncare 0.3 0.4\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"line 3 holds 2 values, expected 3"):
        load_vectors_file(str(path))
