"""The keyword search (BM25 over active ads) and the randomized logging policy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from job_reco.columns import (
    EXPERIMENT,
    JOB_ID,
    POSITION,
    QUERY,
    RAW_SCHEMAS,
    SEARCH_ID,
    SHOWN_AT,
)
from job_reco.pipelines.data_generation import search
from tests.pipelines.data_generation.conftest import ts


def test_bm25_top_k_ranks_three_tiny_documents():
    corpus = ["nurse nurse aide", "truck driver", "registered nurse"]
    docs, scores = search.bm25_top_k(corpus, ["nurse", "forklift", "driver nurse"], k=3)
    # Lucene BM25 (no (k1 + 1) factor), k1 = 1.5, b = 0.75. "nurse": df = 2 of 3 documents,
    # idf = ln(1 + (3 - 2 + 0.5) / (2 + 0.5)); lengths 3, 2, 2 (mean 7/3);
    # doc 0: tf 2 -> 2 / (2 + 1.5 x (0.25 + 0.75 x 3 / (7/3))); doc 2: tf 1 at length 2.
    idf = math.log(1 + 1.5 / 2.5)
    doc0 = idf * 2 / (2 + 1.5 * (0.25 + 0.75 * 3 / (7 / 3)))
    doc2 = idf * 1 / (1 + 1.5 * (0.25 + 0.75 * 2 / (7 / 3)))
    assert docs[0].tolist() == [0, 2, -1]
    assert scores[0].tolist() == pytest.approx([doc0, doc2, 0.0], rel=1e-5)
    assert docs[1].tolist() == [-1, -1, -1]  # no word of the query occurs
    assert docs[2, 0] == 1  # "driver" is rarer than "nurse"


def test_bm25_top_k_breaks_ties_by_document_index():
    docs, scores = search.bm25_top_k(["cook", "chef", "cook"], ["cook"], k=2)
    assert docs.tolist() == [[0, 2]]
    assert scores[0, 0] == pytest.approx(scores[0, 1])


@pytest.mark.parametrize("columns", [5, 2**40])  # 2**40: the (row, score, column) key needs more than 63 bits
def test_top_k_rows_of_a_sparse_matrix_by_hand(columns):
    from scipy import sparse

    dense = np.array([
        [0.0, 2.0, 5.0, 2.0, 0.5],  # 5 > 2 = 2 (tie: column 1 before 3) > 0.5
        [0.0, 0.0, 0.0, 0.0, 0.0],  # no ad scores: nothing
        [1e-6, 0.0, 0.0, 0.0, 3e-6],  # tiny scores keep their exact order
    ], dtype=np.float32)
    stored = sparse.csr_matrix(dense)
    # each row's columns stored in decreasing order (a product of CSR matrices need not sort them)
    indices = np.concatenate([stored.indices[a:b][::-1] for a, b in zip(stored.indptr[:-1], stored.indptr[1:])])
    data = np.concatenate([stored.data[a:b][::-1] for a, b in zip(stored.indptr[:-1], stored.indptr[1:])])
    matrix = sparse.csr_matrix((data, indices.astype(np.int64), stored.indptr.astype(np.int64)), shape=(3, columns))
    docs, scores = np.full((3, 3), -1), np.zeros((3, 3))
    search._top_k_rows(matrix, 3, docs, scores)
    assert docs.tolist() == [[2, 1, 3], [-1, -1, -1], [4, 0, -1]]
    assert scores[0].tolist() == [5.0, 2.0, 2.0] and scores[1].tolist() == [0.0, 0.0, 0.0]
    assert scores[2, :2] == pytest.approx([3e-6, 1e-6])


def test_first_distinct_keeps_the_first_valid_unseen_candidates():
    candidates = np.array([[5, 3, 5, 7, 3, 9], [4, 4, 4, 4, 4, 4]])
    valid = np.array([[True, False, True, True, True, True], [False, True, True, True, True, True]])
    chosen, kept = search.first_distinct(candidates, valid, n=3)
    # row 0: 5, (3 invalid), 5 repeat, 7, 3 (first valid 3), 9 -> 5, 7, 3 ; row 1: only one distinct 4
    assert chosen[0].tolist() == [5, 7, 3]
    assert kept[0].tolist() == [True, True, True]
    assert chosen[1][kept[1]].tolist() == [4]


def test_rank_jobs_for_searches_shows_active_matches_first_then_fills(small_world):
    impressions = search.rank_jobs_for_searches(small_world["searches"], small_world["jobs"], impressions_per_search=2,
                                                n_candidates=3, active_days=60, chunk_size=1, seed=3)
    assert list(impressions.columns) == list(RAW_SCHEMAS["impressions"])
    assert impressions[POSITION].dtype == "int32"
    q1 = impressions[impressions[SEARCH_ID] == "Q1"]
    # Q1 on 10 Jan: J3 is not posted yet; "nurse" matches J1; the second slot is filled with J2.
    assert q1[JOB_ID].tolist() == ["J1", "J2"]
    assert q1[POSITION].tolist() == [1, 2]
    assert (q1[SHOWN_AT] == ts("2024-01-10 08:00")).all()
    # Q2 on 5 March: J1, J2 expired (posted > 60 days before); only J3 is active and it matches.
    assert impressions.loc[impressions[SEARCH_ID] == "Q2", JOB_ID].tolist() == ["J3"]


def test_rank_jobs_for_searches_does_not_depend_on_the_chunk_size(small_world):
    w = small_world
    one = search.rank_jobs_for_searches(w["searches"], w["jobs"], 3, 3, 60, chunk_size=1, seed=3)
    pd.testing.assert_frame_equal(one, search.rank_jobs_for_searches(w["searches"], w["jobs"], 3, 3, 60, 100, 3))


def test_rank_jobs_for_searches_names_the_missing_column(small_world):
    with pytest.raises(ValueError, match="query"):
        search.rank_jobs_for_searches(small_world["searches"].drop(columns=QUERY), small_world["jobs"], 2, 3, 60, 10, 3)


def _pages() -> tuple[pd.DataFrame, pd.DataFrame]:
    ranked = pd.DataFrame({SEARCH_ID: ["Q1"] * 4 + ["Q2"] * 3 + ["Q3"] + ["Q4"] * 2,
                           JOB_ID: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
                           POSITION: np.array([1, 2, 3, 4, 1, 2, 3, 1, 1, 2], dtype="int32")})
    searches = pd.DataFrame({SEARCH_ID: ["Q1", "Q2", "Q3", "Q4"], EXPERIMENT: ["swap_1_3", None, "swap_1_2", "swap_1_5"]})
    return ranked, searches


def test_logging_policy_swaps_position_one_with_the_logged_k_in_marked_searches_only():
    ranked, searches = _pages()
    logged = search.apply_logging_policy(ranked, searches)
    positions = dict(zip(logged[JOB_ID], logged[POSITION], strict=True))
    # Q1 swap_1_3: a <-> c; Q2 unmarked; Q3 (one ad) and Q4 (two ads, k = 5) have nothing to swap with.
    assert positions == {"a": 3, "b": 2, "c": 1, "d": 4, "e": 1, "f": 2, "g": 3, "h": 1, "i": 1, "j": 2}
    assert logged.groupby(SEARCH_ID)[POSITION].apply(lambda p: p.is_monotonic_increasing).all()


def test_logging_policy_needs_the_experiment_column():
    ranked, searches = _pages()
    with pytest.raises(ValueError, match="experiment"):
        search.apply_logging_policy(ranked, searches.drop(columns=EXPERIMENT))
