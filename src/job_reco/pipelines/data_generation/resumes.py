"""Resume writers: one resume per seeker from its occupations' resume material, dated before its first search.

The material (`documents.py`): the descriptions of the nearest ESCO occupations, turned into
first-person lines or bullets, the resume half of the ESCO skills, and past job titles with years;
no sentence of it occurs in an ad.
"""

from __future__ import annotations

import itertools
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from job_reco.columns import (
    CITY,
    LATITUDE,
    LONGITUDE,
    OCCUPATION_CODE,
    RAW_SCHEMAS,
    RESUME_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    STATE,
    TERTIARY_OCCUPATION_CODE,
    TEXT,
    UPDATED_AT,
    YEARS_OF_EXPERIENCE,
)
from job_reco.geo import STATE_NAME
from job_reco.pipelines.data_generation import draws
from job_reco.pipelines.data_generation import vocabulary as voc
from job_reco.pipelines.data_generation.documents import RESUME_LINES, RESUME_SKILLS
from job_reco.pipelines.data_generation.draws import DAY, HOUR, SECOND
from job_reco.pipelines.data_generation.sampling import AD_TITLE, MAJOR_GROUP, level_index
from job_reco.validation import require_columns

RESUME_COLUMNS = (*RAW_SCHEMAS["resumes"], CITY, STATE, LATITUDE, LONGITUDE)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _fake_contact_blocks(cities: pd.Series, seed: int, generator: np.random.Generator) -> pd.Series:
    """Per resume a fake name, street address, e-mail and phone (Faker pools + numpy), as 3 lines."""
    n, idx = len(cities), cities.index
    pools = draws.faker_pools(seed + draws.STREAMS["resumes"], max(50, min(3000, n // 3)))

    def pool(name: str) -> pd.Series:
        return pd.Series(pools[name][generator.integers(0, len(pools[name]), n)], index=idx)

    def numbers(low: int, high: int) -> pd.Series:
        return pd.Series(generator.integers(low, high, n), index=idx).astype(str)

    first, last = pool("first"), pool("last")
    email = (first.str.lower() + np.array([".", "_", ""], dtype=object)[generator.integers(0, 3, n)]
             + last.str.lower().str.replace(r"[^a-z]", "", regex=True)
             + numbers(0, 100).where(generator.random(n) < 0.5, "") + "@" + pool("domain"))
    phone = draws.fill_choice(voc.PHONE_FORMATS, generator.integers(0, len(voc.PHONE_FORMATS), n), idx,
                              a=numbers(201, 990), b=numbers(200, 1000), c=numbers(0, 10000).str.zfill(4))
    address = numbers(1, 9999) + " " + pool("street") + ", " + cities + " " + numbers(10000, 99999)
    return first + " " + last + "\n" + address + "\n" + email + " | " + phone


def _career(seekers: pd.DataFrame, occ_index: pd.Index, short: np.ndarray, generator) -> tuple[np.ndarray, ...]:
    """Per seeker and section (most recent first, up to 3): occupation index (-1: no section) and
    (start, end) years as counts of years before now, from the seeker's occupations and total years."""
    n = len(seekers)
    occupations = np.column_stack([occ_index.get_indexer(seekers[c].fillna("").to_numpy(dtype=object))
                                   for c in (OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, TERTIARY_OCCUPATION_CODE)])
    n_occ = (occupations >= 0).sum(axis=1)
    years = seekers[YEARS_OF_EXPERIENCE].to_numpy("int64")
    n_sections = np.where(short, 1, np.clip(np.maximum(1 + years // 6, n_occ), 1, 3))
    share = generator.dirichlet(np.ones(3), n) * (np.arange(3)[None, :] < n_sections[:, None])
    share /= share.sum(axis=1, keepdims=True)
    ends = np.floor(np.cumsum(np.hstack([np.zeros((n, 1)), share[:, :-1]]), axis=1) * years[:, None]).astype("int64")
    starts = np.maximum(np.floor(np.cumsum(share, axis=1) * years[:, None]).astype("int64"), ends)
    section_occ = occupations[np.arange(n)[:, None], np.minimum(np.arange(3)[None, :], np.maximum(n_occ - 1, 0)[:, None])]
    return np.where(np.arange(3)[None, :] < n_sections[:, None], section_occ, -1), starts, ends, years


def _line_forms(items: np.ndarray) -> np.ndarray:
    """Each item of an (occupations x items) matrix written as one resume line ending in a full stop:
    rows [0, n) in the first person ("\nI <phrase>."), rows [n, 2n) as bullets ("\n- <Phrase>."); '' stays ''.

    Written once per occupation's item, not once per resume (400,000 resumes at `xlarge`):
    every rule looks at one line only, so the lines a resume picks read as if written in place."""
    def form(item: str, first_person: bool) -> str:
        if item == "":
            return ""
        line = ("\n" + item).replace("\n", "\nI ") if first_person else _BULLET.sub(
            lambda m: "\n- " + m.group(1).upper(), "\n" + item)
        return _FULL_STOP.sub(".", line)

    return np.array([[form(item, first_person) for item in row] for first_person in (True, False) for row in items],
                    dtype=object).reshape(2 * items.shape[0], items.shape[1])


_BULLET = re.compile(r"\n(\w)")
_SPACES = re.compile(r"[ \t]+")
_FULL_STOP = re.compile(r"(?<=[^.])(?=\n|$)")


def _lines(forms: np.ndarray, lengths: np.ndarray, rows: np.ndarray, k: int, first_person: np.ndarray,
           generator) -> pd.Series:
    """Up to k distinct lines per row (`_line_forms` of its occupation), in the first person or as bullets."""
    written = rows + len(lengths) * ~first_person
    return draws.pick_distinct(forms, np.concatenate([lengths, lengths]), written, k, generator, prefix="", suffix="")


def _experience(occupations: pd.DataFrame, seekers: pd.DataFrame, short: np.ndarray, year: int,
                level_years: list[float], seed: int, generator) -> pd.Series:
    """The EXPERIENCE section: per past job a heading line "Title | Company | City, ST | from-to" and
    its lines (ESCO occupation lines and resume-half ESCO skills of that job's occupation)."""
    n, idx = len(seekers), pd.RangeIndex(len(seekers))
    section_occ, starts, ends, years = _career(seekers, pd.Index(occupations[OCCUPATION_CODE]), short, generator)
    companies = draws.faker_pools(seed + draws.STREAMS["resumes"] + 1, max(50, min(2000, n // 5)))["company"]
    titles = occupations[AD_TITLE].to_numpy(dtype=object)
    lines, n_lines = draws.padded(occupations[RESUME_LINES].map(lambda t: tuple(_lower_first(x) for x in t)))
    skills, n_skills = draws.padded(occupations[RESUME_SKILLS].map(
        lambda t: tuple(_lower_first(x).rstrip(".") for x in t)))
    lines, skills = _line_forms(lines), _line_forms(skills)
    first_person = generator.random(n) < 0.5
    text = pd.Series("EXPERIENCE", index=idx, dtype=object)
    for j in range(3):  # sections, not rows
        has = section_occ[:, j] >= 0
        occ = np.maximum(section_occ[:, j], 0)
        level = level_index(years - ends[:, j], level_years)
        prefix = np.array([p[0] for p in voc.LEVEL_TITLE_PREFIXES], dtype=object)[level]
        until = np.where(j == 0, "Present", (year - ends[:, j]).astype(str))
        heading = ("\n\n" + prefix + titles[occ] + " | " + draws.choose(companies, n, generator) + " | "
                   + seekers[CITY].to_numpy(dtype=object) + " | " + (year - starts[:, j]).astype(str) + "-" + until)
        full = (_lines(lines, n_lines, occ, 3 if j == 0 else 2, first_person, generator)
                + _lines(skills, n_skills, occ, 1 if j else 2, first_person, generator))
        one_each = (_lines(lines, n_lines, occ, 1, first_person, generator)
                    + _lines(skills, n_skills, occ, 1, first_person, generator))
        text = text + np.where(has, heading + full.where(~short, one_each), "")
    return text


def _summary_and_education(occupations: pd.DataFrame, seekers: pd.DataFrame, state_names: pd.Series,
                           primary: np.ndarray, generator) -> tuple[pd.Series, pd.Series]:
    """'SUMMARY' (adjective, title, years, one filler) and 'EDUCATION' + 'ADDITIONAL' blocks."""
    n, idx = len(seekers), pd.RangeIndex(len(seekers))
    years = seekers[YEARS_OF_EXPERIENCE].to_numpy("int64")
    years_text = np.where(years < 1, voc.NO_EXPERIENCE_YET, years.astype(str) + np.where(years == 1, " year", " years"))
    summary = pd.Series("SUMMARY\n", index=idx) + (draws.choose(voc.SUMMARY_ADJECTIVES, n, generator) + " "
               + occupations[AD_TITLE].to_numpy(dtype=object)[primary] + " with " + years_text + " of experience. "
               + draws.choose(voc.RESUME_FILLERS, n, generator) + "\n\n")
    fields = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[1])
    degree = draws.fill_choice(voc.EDUCATION_LEVELS, generator.integers(0, len(voc.EDUCATION_LEVELS), n), idx,
                               field=pd.Series(fields.to_numpy(dtype=object)[primary], index=idx))
    city = pd.Series(seekers[CITY].to_numpy(dtype=object), index=idx).str.rsplit(", ", n=1).str[0]
    school = draws.fill_choice(voc.SCHOOL_PATTERNS, generator.integers(0, len(voc.SCHOOL_PATTERNS), n), idx,
                               city=city, state=pd.Series(seekers[STATE].to_numpy(dtype=object), index=idx).map(
                                   state_names).fillna(pd.Series(seekers[STATE].to_numpy(dtype=object), index=idx)))
    education = pd.Series("\n\nEDUCATION\n", index=idx) + (degree + " - " + school + "\n\nADDITIONAL\n"
                 + draws.choose(voc.RESUME_FILLERS, n, generator))
    return summary, education


def _joined_text(contact: pd.Series, summary: pd.Series, experience: pd.Series, education: pd.Series,
                 rows_per_chunk: int = 50_000) -> pd.api.extensions.ExtensionArray:
    """Each resume's sections joined and its blanks collapsed, as an Arrow string column.

    Built `rows_per_chunk` resumes at a time: never a column of half-joined resumes, nor every resume
    as a Python string at once (`xlarge`'s 400,000 resumes: about 1 GB less), and the
    parquet writer takes the column as it is."""
    rows = zip(contact, summary, experience, education, strict=True)
    chunks = []
    while block := list(itertools.islice(rows, rows_per_chunk)):
        chunks.append(pa.array([_SPACES.sub(" ", f"{c}\n\n{s}{e}{d}") for c, s, e, d in block], type=pa.string()))
    return pd.arrays.ArrowStringArray(pa.chunked_array(chunks, type=pa.string()))


def find_first_searches(searches: pd.DataFrame) -> pd.Series:
    """Each seeker's first search (epoch microseconds), indexed by seeker_id: what dates a resume, so
    that the searches table (5M rows at `xlarge`) is not held while the resumes are written."""
    require_columns(searches, [SEEKER_ID, SEARCHED_AT], "searches")
    return pd.Series(draws.micros(searches[SEARCHED_AT]), index=searches.index).groupby(searches[SEEKER_ID]).min()


def write_resumes(
    truth_seekers: pd.DataFrame, occupations: pd.DataFrame, cities: pd.DataFrame, first_searches: pd.Series,
    start_date: str, n_months: int, short_resume_share: float, level_years: list[float], seed: int,
) -> pd.DataFrame:
    """Write one resume per seeker (raw `resumes`, contract v2): fake contact details, a summary, one
    experience section per past job, education; short resumes keep one job and no summary. Updated
    before the seeker's first search (`find_first_searches`). The text column is Arrow-backed (`string[pyarrow]`)."""
    require_columns(truth_seekers, [SEEKER_ID, RESUME_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE,
                                    TERTIARY_OCCUPATION_CODE, CITY, STATE, YEARS_OF_EXPERIENCE], "truth_seekers")
    generator = draws.rng(seed, "resumes")
    seekers = truth_seekers.reset_index(drop=True)
    first_seen = first_searches.reindex(seekers[SEEKER_ID]).to_numpy(dtype="float64")  # NaN: never searched
    primary = draws.lookup(seekers[OCCUPATION_CODE], pd.Index(occupations[OCCUPATION_CODE]), "truth_seekers.occupation_code")
    short = generator.random(len(seekers)) < float(short_resume_share)
    contact = _fake_contact_blocks(pd.Series(seekers[CITY].to_numpy(dtype=object)), seed, generator)
    state_names = cities.drop_duplicates(STATE).set_index(STATE)[STATE_NAME]
    summary, education = _summary_and_education(occupations, seekers, state_names, primary, generator)
    experience = _experience(occupations, seekers, short, pd.Timestamp(start_date).year, level_years, seed, generator)
    education = education.where(~short, education.str.split("\n\nADDITIONAL").str[0])
    text = _joined_text(contact, summary.where(~short, ""), experience, education)
    del contact, summary, experience, education
    start, end = draws.window(start_date, n_months)
    anchor = np.where(np.isnan(first_seen), generator.integers(start, end, len(seekers)), first_seen).astype("int64")
    updated = anchor - HOUR - (generator.random(len(seekers)) * 90 * DAY).astype("int64")
    out = seekers[[RESUME_ID, SEEKER_ID, CITY, STATE, LATITUDE, LONGITUDE]].copy()
    out[TEXT] = text
    out[UPDATED_AT] = draws.timestamps(updated - updated % SECOND)
    return out[list(RESUME_COLUMNS)]
