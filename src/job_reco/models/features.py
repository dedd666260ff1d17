"""Side features of a (resume, job, search) row beyond the document vectors: one pure function each.

Shared by modeling (inside its Spark tasks, on pandas batches) and by anything that scores a new
resume, so a feature has one definition. Each feature needs some columns of the data contract v2;
`available_features` says which can be computed from the columns a frame has, so a network that
does not log them runs with those features off.

| feature | from | definition |
|---|---|---|
| log_distance_km | resume and job latitude/longitude | log1p(haversine km); 0 and `distance_missing` = 1 if unknown |
| remote | jobs.remote | 1 for a remote ad, else 0 |
| log_years | scrubbed resume text | log1p(years of experience found in the text) |
| level, level_gap | jobs.level, years | ad level index (entry 0 .. lead 3); index minus the seeker's level by years |
| log_pay_ratio | jobs.salary_min/max | log(pay midpoint / median midpoint of ads of the same title); 0 and `pay_missing` = 1 if no pay |
| log_age_days | jobs.posted_at, searches.searched_at | log1p(days the ad had been online when searched) |
| best_section_cosine | resume section vectors | the largest cosine between the job and any one experience section |
| log_job_appeal | the training logs, the click model | log of the ad's clicks over the clicks its impressions were expected to draw, by empirical Bayes (`job_reco.models.appeal`) |
| current_section_cosine | resume section vectors | cosine between the job and the most recent experience section (the job held now) |
| current_title_match | resume text, jobs.title | share of the words of the resume's current job title that the ad's title has (level words aside) |
| past_title_match | resume text, jobs.title | the same for the resume's earlier job titles, the best of them |
| named_other_city | searches.query, resumes.city | 1 once the seeker has named a city other than their own in a query (this search or an earlier one) |
| current_title_exact | resume text, jobs.title | 1 if the resume's current job title has the ad's title key |
| past_title_exact | resume text, jobs.title | 1 if one of the resume's earlier job titles has the ad's title key |
| query_title_match | searches.query, jobs.title | share of the query's words (its city aside, `query_key`) that the ad's title has |
| query_history_match | searches.query, jobs.title | the same, the best over the seeker's queries of two words or more so far (this search and earlier ones) |
| log_title_pair_appeal | the training logs, the click model | the same for the pair (resume's current title key, ad's title key) (`title_pair_key`): how much more seekers with that title click ads of that title than the text features expect |
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from job_reco.geo import haversine_km
from job_reco.models.titles import (  # noqa: F401 - the side features' title rules, re-exported
    one_resume_title_features,
    title_containment,
    title_exact,
    title_key,
    title_key_text,
    title_pair_key,
    title_words,
)
from job_reco.text.vectors import cosine_similarity

LEVELS = ("entry", "mid", "senior", "lead")
# Years of experience at which a seeker reaches each level above entry (mid, senior, lead).
LEVEL_YEARS = (2.0, 5.0, 10.0)
_YEAR_SPAN = re.compile(
    r"\b((?:19|20)\d\d)\s*(?:-|–|—|to)\s*((?:19|20)\d\d|present|now|current|today)\b", re.IGNORECASE
)
_YEARS_STATED = re.compile(r"\b(\d{1,2})\+?\s+years?\b", re.IGNORECASE)

# Every side feature, in the order the model sees them, with the columns it needs.
# The side tables' columns, renamed from the logs' (latitude -> job_latitude, ...): side_tables writes them,
# `recommend` builds the same for the ads it ranks.
JOB_SIDE = {"latitude": "job_latitude", "longitude": "job_longitude", "remote": "remote", "level": "level"}
RESUME_SIDE = {"latitude": "resume_latitude", "longitude": "resume_longitude"}
FEATURE_COLUMNS = {
    "log_distance_km": ("resume_latitude", "resume_longitude", "job_latitude", "job_longitude"),
    "distance_missing": ("resume_latitude", "resume_longitude", "job_latitude", "job_longitude"),
    "remote": ("remote",),
    "log_years": ("years_experience",),
    "level": ("level",),
    "level_gap": ("level", "years_experience"),
    "log_pay_ratio": ("salary_mid", "pay_reference"),
    "pay_missing": ("salary_mid", "pay_reference"),
    "log_age_days": ("posted_at", "searched_at"),
    "best_section_cosine": ("resume_sections", "job_vector"),
    "log_job_appeal": ("job_appeal",),
    "current_section_cosine": ("resume_sections", "job_vector"),
    "current_title_match": ("resume_titles", "job_title"),
    "past_title_match": ("resume_titles", "job_title"),
    "named_other_city": ("named_other_city",),
    "current_title_exact": ("resume_titles", "job_title"),
    "past_title_exact": ("resume_titles", "job_title"),
    "query_title_match": ("query_key", "job_title"),
    "query_history_match": ("query_history", "job_title"),
    "log_title_pair_appeal": ("title_pair_appeal",),
}
# The features the logs' clicks give through the click model (`job_reco.models.appeal`): computed after it,
# so the click model itself does without them.
APPEAL_FEATURES = ("log_job_appeal", "log_title_pair_appeal")
SECTION_COSINES = ("best_section_cosine", "current_section_cosine")
# A heading's title ends at its first separator: "Title | Company | City | 2019-Present", "Title - Company",
# "Title at Company", "Title, Company".
_HEADING_SEPARATOR = re.compile(r"\s+[|•–—-]\s+|\s*\|\s*|\s+at\s+|\s*,\s*", re.IGNORECASE)


def available_features(columns: Sequence[str], wanted: Sequence[str] | None = None) -> list[str]:
    """The side features (of `wanted`, default all) that `columns` hold precomputed or can be computed from, in model order."""
    have = set(columns)
    names = list(FEATURE_COLUMNS) if wanted is None else [n for n in FEATURE_COLUMNS if n in set(wanted)]
    unknown = sorted(set(wanted or ()) - set(FEATURE_COLUMNS))
    if unknown:
        raise ValueError(f"unknown side features {unknown}; expected some of {list(FEATURE_COLUMNS)}")
    return [name for name in names if set(feature_inputs(name, have)) <= have]


def feature_inputs(name: str, columns: Collection[str]) -> tuple[str, ...]:
    """The columns a side feature reads from a frame with `columns`: itself when precomputed there, else its inputs.

    A feature named like its own input (remote, named_other_city) is always computed from it.
    """
    return (name,) if _precomputed(name, columns) else FEATURE_COLUMNS[name]


def _precomputed(name: str, columns: Collection[str]) -> bool:
    return name in set(columns) and name not in FEATURE_COLUMNS[name]


def years_of_experience(texts: pd.Series, *, as_of_year) -> np.ndarray:
    """Years of experience a resume states: the union of its year spans ("2016 - 2020", "2019 - present"),
    or the largest "N years" it mentions, whichever is larger; 0 if it states neither.

    `as_of_year` (one year, or one per text) ends an open span ("present") and caps every span.
    """
    out = np.zeros(len(texts), dtype=np.float64)
    years = np.broadcast_to(np.asarray(as_of_year, dtype=np.int64), (len(texts),))
    for index, text in enumerate(texts.fillna("").astype(str)):
        covered: set[int] = set()
        for start, end in _YEAR_SPAN.findall(text):
            last = int(years[index]) if not end[:1].isdigit() else int(end)
            covered.update(range(int(start), max(int(start), min(last, int(years[index])))))
        stated = max((int(n) for n in _YEARS_STATED.findall(text)), default=0)
        out[index] = float(max(len(covered), stated))
    return out


def experience_sections(text: str | None) -> list[str]:
    """The resume's experience entries: its blank-line-separated blocks that state a year span ("2016 - 2020").

    One past job each on a typical resume (a heading with its dates, then what was done there), so
    an ad can be compared with each job a career changer held instead of with their average.
    """
    blocks = re.split(r"\n\s*\n", text or "")
    return [block.strip() for block in blocks if _YEAR_SPAN.search(block)]


def section_titles(text: str | None) -> list[str]:
    """The job title of each experience section, most recent first: its first line up to the first separator."""
    titles = []
    for block in experience_sections(text):
        heading = _YEAR_SPAN.sub(" ", block.splitlines()[0]).strip()
        titles.append(_HEADING_SEPARATOR.split(heading, maxsplit=1)[0].strip())
    return titles


def query_key(queries: pd.Series, known_cities: Collection[str]) -> pd.Series:
    """A query's words without the city it ends with, as a title key ("Senior nurse San Diego" -> "nurse")."""
    lowered = queries.fillna("").astype(str).str.lower()
    city = query_city(lowered, known_cities)
    words = [query[: query.rfind(found)] if found else query for query, found in zip(lowered, city, strict=True)]
    return title_key(pd.Series(words, index=queries.index, dtype=object))


def city_name(cities: pd.Series) -> pd.Series:
    """A city's name in lower case without its state ("Los Angeles, CA" -> "los angeles")."""
    return cities.fillna("").astype(str).str.split(",").str[0].str.strip().str.lower()


def query_city(queries: pd.Series, known_cities: Collection[str], max_words: int = 3) -> pd.Series:
    """The known city a query ends with ("nurse san diego" -> "san diego"), the longest that fits; None if none."""
    known = set(known_cities)
    found = []
    for query in queries.fillna("").astype(str).str.lower():
        words = re.findall(r"[a-z0-9.'-]+", query)
        hits = [" ".join(words[-n:]) for n in range(min(max_words, len(words)), 0, -1) if " ".join(words[-n:]) in known]
        found.append(hits[0] if hits else None)
    return pd.Series(found, index=queries.index, dtype=object)


def level_index(levels: pd.Series) -> np.ndarray:
    """entry 0, mid 1, senior 2, lead 3 (case-insensitive); NaN for anything else or null."""
    lookup = {name: float(i) for i, name in enumerate(LEVELS)}
    codes, distinct = pd.factorize(levels)  # a few distinct words in a million rows: each read once
    index = [lookup.get(str(level).strip().lower(), np.nan) for level in distinct]
    return np.array([*index, np.nan], dtype=np.float64)[codes]  # code -1 (null): the NaN


def seeker_level(years: np.ndarray) -> np.ndarray:
    """The level a seeker's years of experience reach (LEVEL_YEARS thresholds), as a level index."""
    return np.searchsorted(np.asarray(LEVEL_YEARS), np.asarray(years, dtype=np.float64), side="right").astype(np.float64)


def salary_midpoint(salary_min: pd.Series, salary_max: pd.Series) -> np.ndarray:
    """(min + max) / 2 of a yearly pay range; one bound alone if the other is missing; NaN if none."""
    low = pd.to_numeric(salary_min, errors="coerce").to_numpy(dtype=np.float64)
    high = pd.to_numeric(salary_max, errors="coerce").to_numpy(dtype=np.float64)
    return np.where(np.isnan(low), high, np.where(np.isnan(high), low, (low + high) / 2))


def pay_reference(titles: pd.Series, salary_mid: np.ndarray, min_ads_per_title: int) -> np.ndarray:
    """Median pay midpoint of the ads sharing each ad's title key; of all ads where fewer than `min_ads_per_title` do."""
    frame = pd.DataFrame({"key": title_key(titles).to_numpy(), "mid": salary_mid})
    grouped = frame.groupby("key")["mid"]
    median, count = frame["key"].map(grouped.median()), frame["key"].map(grouped.count())
    overall = float(np.nanmedian(salary_mid)) if np.isfinite(salary_mid).any() else np.nan
    return np.where(count.to_numpy() >= int(min_ads_per_title), median.to_numpy(dtype=np.float64), overall)


def age_days(posted_at: pd.Series, searched_at: pd.Series) -> np.ndarray:
    """Days between the ad's posting and the search, at least 0; NaN if either is missing."""
    # cache=False: the cache check walks the first rows in Python, per batch
    delta = pd.to_datetime(searched_at, utc=True, cache=False) - pd.to_datetime(posted_at, utc=True, cache=False)
    days = delta.dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan) / 86400.0
    return np.where(np.isnan(days), np.nan, np.maximum(days, 0.0))


def lambdamart_matrix(features: np.ndarray, cosine: np.ndarray) -> np.ndarray:
    """float32 (n, width + 1): what LambdaMART reads, the ranker's features plus cosine (modeling and recommend)."""
    return np.concatenate([features, np.asarray(cosine)[:, None]], axis=1, dtype=np.float32)


def vector_matrix(vectors: pd.Series, dtype: type = np.float64, dimension: int = 0) -> np.ndarray:
    """A column of equal-length vectors as one (n, d) matrix; an Arrow-backed column without a copy per row.

    `dimension`: the width of the (0, d) matrix of an empty column.
    """
    if not len(vectors):
        return np.zeros((0, dimension), dtype=dtype)
    if isinstance(vectors.dtype, pd.ArrowDtype) and not vectors.isna().any():
        import pyarrow as pa  # noqa: PLC0415

        lists = pa.array(vectors.array)
        chunks = lists.chunks if isinstance(lists, pa.ChunkedArray) else [lists]  # a task's input: one chunk per batch
        flat = np.concatenate([chunk.flatten().to_numpy(zero_copy_only=False) for chunk in chunks])
        return flat.astype(dtype, copy=False).reshape(len(lists), -1)
    return np.stack(vectors.to_numpy()).astype(dtype, copy=False)


def _section_vectors(sections: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(every section vector of every row as one (m, d) float64 matrix, the row of each), each row's sections in order."""
    if isinstance(sections.dtype, pd.ArrowDtype):  # list<list<float>> from Arrow: flattened in C++
        import pyarrow as pa  # noqa: PLC0415
        import pyarrow.compute as pc  # noqa: PLC0415

        lists = pa.array(sections.array)
        rows = pc.list_parent_indices(lists).to_numpy().astype(np.int64)
        inner = lists.flatten()
        if len(rows) and inner.null_count == 0 and pc.min_max(pc.list_value_length(inner))["min"].as_py() > 0:
            return inner.flatten().to_numpy(zero_copy_only=False).astype(np.float64).reshape(len(inner), -1), rows
        sections = pd.Series(lists.to_pylist(), dtype=object)
    counts = np.array([0 if stack is None else len(stack) for stack in sections], dtype=np.int64)
    if not counts.sum():
        return np.zeros((0, 0)), np.zeros(0, dtype=np.int64)
    vectors = np.stack([np.asarray(v, dtype=np.float64) for stack in sections if stack is not None for v in list(stack)])
    return vectors, np.repeat(np.arange(len(counts)), counts)


def section_cosines(sections: pd.Series, job_vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best_section_cosine, current_section_cosine) of each row, from one cosine per section.

    best: the largest cosine between the job vector and any of the resume's non-zero section vectors;
    current: the cosine with the most recent (first) section. 0 without such a section. Vectorised:
    every section of every row in one matrix, one row-wise cosine, then the largest and the first per row.
    """
    sections = sections if isinstance(sections, pd.Series) else pd.Series(sections)
    vectors, rows = _section_vectors(sections)
    best, current = np.full(len(sections), -np.inf), np.zeros(len(sections))
    if len(rows):
        valid = np.linalg.norm(vectors, axis=1) > 0
        cosine = np.zeros(len(rows))
        cosine[valid] = cosine_similarity(vectors[valid], np.asarray(job_vectors, dtype=np.float64)[rows[valid]])
        np.maximum.at(best, rows[valid], cosine[valid])
        first = np.r_[True, rows[1:] != rows[:-1]]
        current[rows[first]] = cosine[first]
    return np.where(np.isinf(best), 0.0, best), current


def best_section_cosine(sections: pd.Series, job_vectors: np.ndarray, *, first_only: bool = False) -> np.ndarray:
    """Per row, the largest cosine between the job vector and any of the resume's non-zero section vectors (0 if none).

    `first_only`: the most recent section alone (current_section_cosine). See `section_cosines`.
    """
    best, current = section_cosines(sections, job_vectors)
    return current if first_only else best


def _zero_if_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), 0.0, values)


def side_feature_matrix(frame: pd.DataFrame, names: Sequence[str]) -> np.ndarray:
    """The (n, len(names)) float32 matrix of the named side features for the rows of `frame` (precomputed columns as they are)."""
    missing = sorted({c for n in names for c in feature_inputs(n, frame.columns)} - set(frame.columns))
    if missing:
        raise ValueError(f"side features {list(names)} need columns {missing} that the rows lack")
    cache: dict[str, np.ndarray] = {}

    def column(name: str) -> np.ndarray:
        if name not in cache and name in SECTION_COSINES and not _precomputed(name, frame.columns):
            # the one place they are computed, both at once (`_compute` has no rule for them)
            cosines = section_cosines(frame["resume_sections"], vector_matrix(frame["job_vector"]))
            cache.update(zip(SECTION_COSINES, cosines, strict=True))
        if name not in cache:
            cache[name] = frame[name].to_numpy(dtype=np.float64) if _precomputed(name, frame.columns) else _compute(frame, name)
        return cache[name]

    return np.column_stack([column(n) for n in names] or [np.zeros((len(frame), 0))]).astype(np.float32)


def _compute(frame: pd.DataFrame, name: str) -> np.ndarray:
    """One side feature's column (see the module's table)."""
    number = lambda c: pd.to_numeric(frame[c], errors="coerce").to_numpy(dtype=np.float64)  # noqa: E731
    if name in ("log_distance_km", "distance_missing"):
        km = haversine_km(number("resume_latitude"), number("resume_longitude"), number("job_latitude"), number("job_longitude"))
        return np.isnan(km).astype(np.float64) if name == "distance_missing" else _zero_if_nan(np.log1p(km))
    if name == "remote":
        return frame["remote"].astype("boolean").fillna(False).to_numpy(dtype=np.float64)
    if name == "log_years":
        return np.log1p(_zero_if_nan(number("years_experience")))
    if name in ("level", "level_gap"):
        level = level_index(frame["level"])
        if name == "level":
            return np.where(np.isnan(level), 1.0, level)  # an unknown level counts as mid
        return _zero_if_nan(level - seeker_level(_zero_if_nan(number("years_experience"))))
    if name in ("log_pay_ratio", "pay_missing"):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.log(number("salary_mid") / number("pay_reference"))
        ratio = np.where(np.isfinite(ratio), ratio, np.nan)
        return np.isnan(ratio).astype(np.float64) if name == "pay_missing" else _zero_if_nan(ratio)
    if name == "log_age_days":
        return np.log1p(_zero_if_nan(age_days(frame["posted_at"], frame["searched_at"])))
    if name in ("current_title_match", "past_title_match"):
        return title_containment(frame["resume_titles"], frame["job_title"], current=name == "current_title_match")
    if name in ("current_title_exact", "past_title_exact"):
        return title_exact(frame["resume_titles"], frame["job_title"], current=name == "current_title_exact")
    if name == "query_title_match":
        queries = [[query] if isinstance(query, str) and query else [] for query in frame["query_key"]]
        return title_containment(pd.Series(queries, index=frame.index, dtype=object), frame["job_title"], current=None)
    if name == "query_history_match":
        return title_containment(frame["query_history"], frame["job_title"], current=None)
    if name == "named_other_city":
        return _zero_if_nan(number("named_other_city"))
    if name in ("log_job_appeal", "log_title_pair_appeal"):
        ratio = number(FEATURE_COLUMNS[name][0])
        return _zero_if_nan(np.log(np.maximum(ratio, 1e-6)))
    raise ValueError(f"unknown side feature {name!r}")
