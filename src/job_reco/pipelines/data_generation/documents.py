"""Document writers: the occupations' text material and the job ads written from it (resumes: `resumes.py`).

Ads and resumes of one occupation are written from different material, so that no sentence of one is
copied into the other: ads from O*NET's occupation description and one half of the ESCO skill
definitions; resumes from the descriptions of the nearest ESCO occupations (turned into first-person
lines or bullets), the other half of the ESCO skills, and past job titles with years.
"""

from __future__ import annotations

import logging
import re

import numpy as np
import pandas as pd

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
    SALARY_MAX,
    SALARY_MIN,
    STATE,
    TITLE,
)
from job_reco.pipelines.data_generation import draws
from job_reco.pipelines.data_generation import vocabulary as voc
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
