"""embed_resume_sections: one vector per dated block of a resume, embedded like a whole document."""

from __future__ import annotations

import numpy as np
import pytest

from job_reco.pipelines.embeddings.sections import RESUME_SECTIONS, embed_resume_sections
from job_reco.text import DocumentEmbedder


def test_embed_resume_sections_by_hand(spark):
    embedder = DocumentEmbedder(
        method="mean", words=["nurse", "cook"], vectors=np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32),
        weights=np.ones(2, dtype=np.float32), n_corpus_words=2,
    )
    resumes = spark.createDataFrame(
        [("r1", "SUMMARY\nnurse cook\n\nNurse | 2019-Present\n- nurse\n\nCook | 2015 - 2019\n- cook cook nurse"),
         ("r2", "no dated section at all"),
         # a heading of capitalised words alone on its line: a job title, not the seeker's name
         ("r3", "SUMMARY\ncook\n\nNurse Cook\n2019 - 2021\n- nurse")],
        "resume_id string, text string",
    )
    found = {r["resume_id"]: r[RESUME_SECTIONS] for r in embed_resume_sections(resumes, embedder, max_sections=4).collect()}
    # section 1: nurse, nurse -> (1, 0); section 2: cook, cook, cook, nurse -> (0.25, 0.75)
    assert [list(v) for v in found["r1"]] == [pytest.approx([1.0, 0.0]), pytest.approx([0.25, 0.75])]
    assert found["r2"] == []
    # the section's text is already scrubbed: tokenized only, its heading kept (nurse, cook, nurse)
    assert [list(v) for v in found["r3"]] == [pytest.approx([2 / 3, 1 / 3])]
    capped = embed_resume_sections(resumes, embedder, max_sections=1).filter("resume_id = 'r1'").first()[RESUME_SECTIONS]
    assert len(capped) == 1
