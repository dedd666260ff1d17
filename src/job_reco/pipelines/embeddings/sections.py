"""One vector per experience section of each resume (a career changer's past jobs, each on its own)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd
from pyspark.sql import DataFrame

from job_reco.columns import RESUME_ID, TEXT
from job_reco.models.features import experience_sections
from job_reco.spark_udf import bind
from job_reco.text import DocumentEmbedder, embed_texts

RESUME_SECTIONS = "resume_sections"


def _section_batches(batches: Iterator[pd.DataFrame], *, embedder: DocumentEmbedder, max_sections: int) -> Iterator[pd.DataFrame]:
    for frame in batches:
        sections = [experience_sections(text)[:max_sections] for text in frame[TEXT]]
        # One call per batch: `embed_texts` hashes the whole vocabulary each time it is called.
        flat = [section for resume in sections for section in resume]
        vectors = embed_texts(flat, embedder, scrubbed=True)[0] if flat else np.zeros((0, embedder.dimension), dtype=np.float32)
        bounds = np.cumsum([0, *map(len, sections)])
        stacks = [vectors[start:end].tolist() for start, end in zip(bounds[:-1], bounds[1:], strict=True)]
        yield pd.DataFrame({RESUME_ID: frame[RESUME_ID], RESUME_SECTIONS: stacks})


def embed_resume_sections(scrubbed_resumes: DataFrame, document_embedder: DocumentEmbedder, max_sections: int) -> DataFrame:
    """resume_id, resume_sections (array of vectors, most recent section first; empty if none is found).

    Sections come from the scrubbed text (`job_reco.models.features.experience_sections`) and are tokenized
    and embedded exactly as whole scrubbed documents are (`job_reco.text.embed_texts(scrubbed=True)`);
    the embedder travels with the task.
    """
    body = bind(_section_batches, embedder=document_embedder, max_sections=int(max_sections))
    return scrubbed_resumes.select(RESUME_ID, TEXT).mapInPandas(
        body, f"{RESUME_ID} string, {RESUME_SECTIONS} array<array<float>>"
    )
