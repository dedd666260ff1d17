"""Document writers: the occupations' text material and the job ads and resumes written from it.

Ads and resumes of one occupation are written from different material, so that no sentence of one is
copied into the other: ads from O*NET's occupation description and one half of the ESCO skill
definitions; resumes from the descriptions of the nearest ESCO occupations (turned into first-person
lines or bullets), the other half of the ESCO skills, and past job titles with years.
"""

from __future__ import annotations

import itertools
import logging
import re

import numpy as np
import pandas as pd
import pyarrow as pa

from job_reco.columns import (
    CITY,
    DESCRIPTION,
    JOB_ID,
    LATITUDE,
    LEVEL,
    LEVELS,
    LONGITUDE,
    OCCUPATION_CODE,
    POSTED_AT,
    RAW_SCHEMAS,
    REMOTE,
    RESUME_ID,
    SALARY_MAX,
    SALARY_MIN,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    STATE,
    TERTIARY_OCCUPATION_CODE,
    TEXT,
    TITLE,
    UPDATED_AT,
    YEARS_OF_EXPERIENCE,
)
from job_reco.pipelines.data_generation import draws
from job_reco.pipelines.data_generation import vocabulary as voc
from job_reco.pipelines.data_generation.draws import DAY, HOUR, SECOND
from job_reco.geo import STATE_NAME
from job_reco.pipelines.data_generation.sampling import (
    AD_TITLE,
    COMPANY,
    KEYWORDS,
    LEVEL_IN_TITLE,
    MAJOR_GROUP,
    MINOR_GROUP,
    PAY_HIGH,
    PAY_LOW,
    PAY_SHOWN,
    level_index,
)
from job_reco.pipelines.data_generation.search import bm25_top_k
from job_reco.validation import require_columns

logger = logging.getLogger(__name__)

SENTENCES = "sentences"
AD_SKILLS = "ad_skills"
RESUME_SKILLS = "resume_skills"
RESUME_LINES = "resume_lines"
ONET_COLUMNS = {"O*NET-SOC Code": OCCUPATION_CODE, "Title": TITLE, "Description": DESCRIPTION}
ESCO_TEXT = "description"
SOC_CODE = r"\d\d-\d\d\d\d\.\d\d"
JOB_COLUMNS = (*RAW_SCHEMAS["jobs"], CITY, STATE, LATITUDE, LONGITUDE, REMOTE, SALARY_MIN, SALARY_MAX, LEVEL)
RESUME_COLUMNS = (*RAW_SCHEMAS["resumes"], CITY, STATE, LATITUDE, LONGITUDE)


# --------------------------------------------------------------------------------------------------
# Occupation material


def prepare_occupations(onet_occupations: pd.DataFrame) -> pd.DataFrame:
    """Clean the O*NET occupation table: codes, SOC groups, ad titles, query words and sentences."""
    require_columns(onet_occupations, list(ONET_COLUMNS), "onet_occupations")
    occ = onet_occupations.rename(columns=ONET_COLUMNS)[list(ONET_COLUMNS.values())].dropna()
    bad = ~occ[OCCUPATION_CODE].str.fullmatch(SOC_CODE)
    if bad.any():
        raise ValueError(f"onet_occupations: {int(bad.sum())} malformed O*NET-SOC codes, e.g. "
                         f"{occ.loc[bad, OCCUPATION_CODE].iloc[0]!r}")
    # "All Other" catch-alls have no description of their own ("All managers not listed separately.").
    catch_all = occ[DESCRIPTION].str.contains("not listed separately", regex=False)
    occ = occ[~catch_all].sort_values(OCCUPATION_CODE).reset_index(drop=True)
    if occ.empty:
        raise ValueError("onet_occupations has no usable occupation")
    occ[MINOR_GROUP] = occ[OCCUPATION_CODE].str[:4]
    occ[MAJOR_GROUP] = occ[OCCUPATION_CODE].str[:2]
    occ[AD_TITLE] = occ[TITLE].map(voc.ad_title)
    occ[KEYWORDS] = occ[AD_TITLE].map(voc.title_keywords)
    occ[SENTENCES] = occ[DESCRIPTION].map(voc.split_sentences)
    return occ


def _nearest(texts: list[str], occupations: pd.DataFrame, k: int, values: list[tuple]) -> list[tuple]:
    """For each occupation, the distinct items of the `values` tuples of its k BM25-nearest `texts`."""
    docs, _ = bm25_top_k(texts, (occupations[TITLE] + " " + occupations[DESCRIPTION]).tolist(), int(k))
    return [tuple(dict.fromkeys(item for d in row if d >= 0 for item in values[d])) for row in docs]


def attach_esco_skills(occupations: pd.DataFrame, esco_skills: pd.DataFrame, skills_per_occupation: int) -> pd.DataFrame:
    """Give each occupation its BM25-nearest ESCO skill definitions (query: title + description), from
    two disjoint halves of ESCO (even rows for ads, odd rows for resumes), so no skill is in both."""
    require_columns(esco_skills, [ESCO_TEXT], "esco_skills")
    sentences = esco_skills[ESCO_TEXT].astype(str).map(voc.esco_skill_sentence).to_numpy(dtype=object)
    out = occupations.copy()
    for column, half in ((AD_SKILLS, 0), (RESUME_SKILLS, 1)):
        usable = np.array([s is not None for s in sentences]) & (np.arange(len(sentences)) % 2 == half)
        if not usable.any() or int(skills_per_occupation) <= 0:
            out[column] = [()] * len(out)
            continue
        out[column] = _nearest(esco_skills.loc[usable, ESCO_TEXT].astype(str).tolist(), occupations,
                               int(skills_per_occupation), [(s,) for s in sentences[usable]])
    logger.info("Attached ESCO skills to %d occupations.", len(out))
    return out


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def esco_occupation_lines(text: str) -> tuple[str, ...]:
    """The sentences of an ESCO occupation's description as verb phrases without their subject.

    ESCO's `occupations.csv` holds the labels (lower case) then the definition, whose sentences start
    with the plural label ("Technical directors realise ...") or "They". Returns e.g.
    ("realise the artistic visions ...", "coordinate the operations ..."); a sentence whose subject
    cannot be told apart is left out.
    """
    definition = voc.esco_definition(text)
    if definition is None:
        return ()
    label_words = text[: text.index(definition)].lower().split()
    lines = []
    for sentence in voc.split_sentences(definition):
        words = sentence.split()
        if words[0] == "They":
            lines.append(" ".join(words[1:]))
            continue
        k = 0
        while k < min(len(words), len(label_words)) and words[k].lower().startswith(label_words[k]):
            k += 1
        if 0 < k < len(words) - 3 and words[k - 1].lower() != label_words[k - 1]:  # a plural subject
            lines.append(" ".join(words[k:]))
    return tuple(line for line in lines if line[:1].islower() and len(line.split()) >= 4)


def attach_esco_occupations(occupations: pd.DataFrame, esco_occupations: pd.DataFrame, esco_per_occupation: int
                            ) -> pd.DataFrame:
    """Give each occupation the resume lines of its BM25-nearest ESCO occupations (another source than
    the O*NET text its ads are written from)."""
    require_columns(esco_occupations, [ESCO_TEXT], "esco_occupations")
    texts = esco_occupations[ESCO_TEXT].astype(str)
    lines = texts.map(esco_occupation_lines)
    usable = (lines.map(len) > 0).to_numpy()
    out = occupations.copy()
    out[RESUME_LINES] = _nearest(texts[usable].tolist(), occupations, int(esco_per_occupation), lines[usable].tolist())
    logger.info("Attached resume lines from %d usable ESCO occupations.", int(usable.sum()))
    return _drop_ad_sentences(out)


def sentence_key(sentence: str) -> str:
    """A sentence reduced to its lower-case words, without a leading "I"/"They": the unit of the copy test."""
    words = re.findall(r"[a-z0-9']+", sentence.lower())
    return " ".join(words[1:] if words[:1] in (["i"], ["they"]) else words)


def _drop_ad_sentences(occupations: pd.DataFrame) -> pd.DataFrame:
    """Remove from the resume material every sentence that also occurs in any ad material (ESCO sometimes
    reuses O*NET's wording), so that no resume copies an ad."""
    ad_keys = {sentence_key(x) for column in (SENTENCES, AD_SKILLS) for items in occupations[column] for x in items}
    out = occupations.copy()
    dropped = 0
    for column in (RESUME_LINES, RESUME_SKILLS):
        kept = [tuple(x for x in items if sentence_key(x) not in ad_keys) for items in occupations[column]]
        dropped += int(sum(len(a) - len(b) for a, b in zip(occupations[column], kept)))
        out[column] = kept
    logger.info("Dropped %d resume sentences that ads also use.", dropped)
    return out


# --------------------------------------------------------------------------------------------------
# Job ads


def _pay_text(low: np.ndarray, high: np.ndarray) -> pd.Series:
    """'$18.00 - $23.00 per hour' below the hourly threshold, else '$52,000 - $66,000 per year'."""
    hourly = high < voc.HOURLY_PAY_BELOW
    lo, hi = pd.Series(low), pd.Series(high)
    per_hour = "$" + (lo / voc.HOURS_PER_YEAR).map("{:.2f}".format) + " - $" + (hi / voc.HOURS_PER_YEAR).map(
        "{:.2f}".format) + " per hour"
    per_year = "$" + lo.map("{:,.0f}".format) + " - $" + hi.map("{:,.0f}".format) + " per year"
    return per_hour.where(hourly, per_year)


def _level_words(level: np.ndarray, table: tuple[tuple[str, ...], ...], generator) -> np.ndarray:
    """One phrase per row from the tuple of its level (index into LEVELS)."""
    u = generator.random(len(level))
    return np.array([table[lv][int(x * len(table[lv]))] for lv, x in zip(level, u)], dtype=object)


def _ad_titles(base: pd.Series, level: np.ndarray, in_title: np.ndarray, remote: np.ndarray, generator) -> pd.Series:
    """The ad title: the occupation title, a level prefix where the ad shows its level there, some other
    variant (shift, part-time ...), and "(Remote)" for remote ads."""
    prefix = np.where(in_title, _level_words(level, voc.LEVEL_TITLE_PREFIXES, generator), "")
    suffix = np.where(generator.random(len(base)) < 0.25, draws.choose(voc.TITLE_SUFFIXES, len(base), generator), "")
    return prefix + base + suffix + np.where(remote, voc.REMOTE_TITLE_SUFFIX, "")


def write_job_ads(job_postings: pd.DataFrame, occupations: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Write each ad (raw `jobs`, contract v2): title, description from the O*NET text and the ad half of
    the ESCO skills, the level in the title or the text, the pay where shown, and the structured columns."""
    require_columns(job_postings, [JOB_ID, OCCUPATION_CODE, CITY, COMPANY, PAY_LOW, PAY_HIGH, PAY_SHOWN, LEVEL,
                                   LEVEL_IN_TITLE, REMOTE, POSTED_AT], "job_postings")
    generator = draws.rng(seed, "ads")
    jobs = job_postings.reset_index(drop=True)
    n, idx = len(jobs), pd.RangeIndex(len(jobs))
    occ = draws.lookup(jobs[OCCUPATION_CODE], pd.Index(occupations[OCCUPATION_CODE]), "job_postings.occupation_code")
    level = pd.Index(LEVELS).get_indexer(jobs[LEVEL])
    in_title, remote, shown = (jobs[c].to_numpy(bool) for c in (LEVEL_IN_TITLE, REMOTE, PAY_SHOWN))
    title = _ad_titles(pd.Series(occupations[AD_TITLE].to_numpy(dtype=object)[occ], index=idx), level, in_title,
                       remote, generator)
    skills, n_skills = draws.padded(occupations[AD_SKILLS])
    duties = draws.pick_distinct(skills, n_skills, occ, 3, generator)
    duties = duties.where(duties == "", " " + draws.choose(voc.REQUIREMENTS_HEADERS, n, generator) + duties)
    opening = draws.fill_choice(voc.AD_OPENINGS, generator.integers(0, len(voc.AD_OPENINGS), n), idx,
                                company=jobs[COMPANY], title=title, city=jobs[CITY])
    sentences, n_sentences = draws.padded(occupations[SENTENCES])
    level_text = np.where(in_title, "", " " + _level_words(level, voc.LEVEL_TEXT, generator))
    remote_text = np.where(remote, " " + draws.choose(voc.REMOTE_TEXT, n, generator), "")
    pay = np.where(shown, " Pay: " + _pay_text(jobs[PAY_LOW].to_numpy(), jobs[PAY_HIGH].to_numpy()) + ".", "")
    description = (opening + " " + draws.some_sentences(sentences, n_sentences, occ, 0.7, generator) + duties
                   + level_text + remote_text + pay + " " + draws.choose(voc.BENEFITS, n, generator) + " "
                   + draws.fill(voc.EQUAL_OPPORTUNITY, idx, company=jobs[COMPANY]))
    out = jobs[[JOB_ID, CITY, STATE, LATITUDE, LONGITUDE, REMOTE, LEVEL]].copy()
    out[TITLE], out[DESCRIPTION] = title.to_numpy(dtype=object), description.to_numpy(dtype=object)
    out[POSTED_AT] = draws.timestamps(draws.micros(jobs[POSTED_AT]))
    out[SALARY_MIN] = jobs[PAY_LOW].where(shown).astype("float64")
    out[SALARY_MAX] = jobs[PAY_HIGH].where(shown).astype("float64")
    return out[list(JOB_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# Resumes


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
