"""A new resume as the model sees it: scrubbed first, then its vector, experience sections, years and place.

The text is scrubbed of personal data (`job_reco.text.scrub_personal_data`, the embeddings
pipeline's rule) before anything else reads it; only the scrubbed text's tokens and numbers go on,
and nothing of it is logged. The seeker's place comes from the optional location only (the scrub
removes addresses from the text): (latitude, longitude), {"latitude", "longitude"}, or
{"city", "state"} / "City, ST" looked up among the US cities the generator draws from (GeoNames,
`job_reco/us_cities.csv`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from job_reco.models.features import experience_sections, section_titles, years_of_experience
from job_reco.text import DocumentEmbedder, scrub_personal_data, tokenize


@dataclass
class PreparedResume:
    """What the recommender keeps of one resume (no raw text)."""

    vector: np.ndarray  # (d,) float32
    sections: list[np.ndarray]  # one vector per experience section, newest first
    years: float
    latitude: float
    longitude: float
    tokens: list[str]  # of the scrubbed text, for explanations
    titles: list[str] = field(default_factory=list)  # the job title of each experience section, newest first
    place: str | None = None  # the city of the location the request gave ("Houston"), for explanations

    @property
    def has_location(self) -> bool:
        return bool(np.isfinite(self.latitude) and np.isfinite(self.longitude))


class FewDocumentEmbedder:
    """`embed_token_lists` for a few documents at a time: the same arithmetic over only the words they hold.

    `embed_token_lists` hashes the whole vocabulary (60k words) on each call and multiplies a SciPy
    sparse matrix, which costs more than embedding one resume (and SciPy's import more than both).
    Here each document's weighted word vectors are summed in float32 in token order, as the sparse
    product sums them, then divided, projected and flagged as there: the same vectors, bit for bit
    (tested against `embed_texts`).
    """

    def __init__(self, embedder: DocumentEmbedder) -> None:
        self.embedder = embedder
        self.index = {word: i for i, word in enumerate(embedder.words)}

    def __call__(self, token_lists: Sequence[Sequence[str]]) -> np.ndarray:
        e = self.embedder
        rows = [[self.index[t] for t in tokens or () if t in self.index] for tokens in token_lists]
        counts = np.array([len(r) for r in rows], dtype=np.int64)
        sums = np.zeros((len(rows), e.dimension), dtype=np.float32)
        for row, words in enumerate(rows):
            if words:  # accumulate adds row after row (a plain sum would add pairwise)
                weighted = e.vectors[words] * e.weights[words][:, None].astype(np.float32)
                sums[row] = np.add.accumulate(weighted, axis=0)[-1]
        vectors = sums.astype(np.float64) / np.maximum(counts, 1)[:, None]
        if e.component is not None:
            component = e.component.astype(np.float64)
            vectors -= np.outer(vectors @ component, component)
        vectors[counts == 0] = 0.0
        return vectors.astype(np.float32)


@lru_cache(maxsize=1)
def _city_table() -> dict[str, tuple[float, float]]:
    from job_reco.geo import read_us_places  # noqa: PLC0415

    return read_us_places()


def city_coordinates(city: str, state: str | None = None) -> tuple[float, float]:
    """(latitude, longitude) of a US city ("Houston", "TX" or "Houston, TX"; a city that already ends with
    its state, as the contract's resumes.city does, takes it once); a clear error if unknown."""
    key = str(city).strip().lower()
    if state and not key.endswith(f", {str(state).strip().lower()}"):
        key = f"{key}, {str(state).strip().lower()}"
    table = _city_table()
    if key not in table:
        raise ValueError(f"unknown city {key!r}: give 'City, ST' of a US city with 15,000+ inhabitants, or latitude and longitude")
    return table[key]


def resolve_location(location: Any) -> tuple[float, float]:
    """(latitude, longitude) from None (unknown: NaN, NaN), a pair, a mapping, or "City, ST"."""
    if location is None:
        return np.nan, np.nan
    if isinstance(location, str):
        return city_coordinates(location)
    if isinstance(location, Mapping):
        lat, lon = location.get("latitude"), location.get("longitude")
        if lat is not None and lon is not None and not (pd.isna(lat) or pd.isna(lon)):
            return float(lat), float(lon)
        if location.get("city") is not None and not pd.isna(location.get("city")):
            state = location.get("state")
            return city_coordinates(str(location["city"]), None if state is None or pd.isna(state) else str(state))
        return np.nan, np.nan
    lat, lon = location
    return float(lat), float(lon)


def place_name(location: Any) -> str | None:
    """The city a request's location names ("Houston, TX" -> "Houston"); None for coordinates or none."""
    if isinstance(location, str):
        return location.split(",")[0].strip() or None
    if isinstance(location, Mapping) and location.get("city") is not None and not pd.isna(location.get("city")):
        return str(location["city"]).split(",")[0].strip() or None
    return None


def prepare_resumes(
    texts: list[str | None], embed: FewDocumentEmbedder, *, as_of_year: int, max_sections: int, locations: list[Any]
) -> list[PreparedResume]:
    """Scrub, then embed each resume and its sections and read its years (as the pipelines do)."""
    scrubbed = [scrub_personal_data(text) for text in texts]
    tokens = [tokenize(text) for text in scrubbed]
    vectors = embed(tokens)
    years = years_of_experience(pd.Series(scrubbed, dtype=object), as_of_year=int(as_of_year))
    out = []
    for index, text in enumerate(scrubbed):
        sections = experience_sections(text)[: int(max_sections)]
        # As embeddings' `embed_resume_sections`: each section of the scrubbed text tokenized as a document.
        section_vectors = embed([tokenize(s) for s in sections]) if sections else np.zeros((0, embed.embedder.dimension))
        lat, lon = resolve_location(locations[index])
        out.append(PreparedResume(vectors[index], list(section_vectors), float(years[index]), lat, lon, tokens[index],
                                  section_titles(text)[: int(max_sections)], place_name(locations[index])))
    return out
