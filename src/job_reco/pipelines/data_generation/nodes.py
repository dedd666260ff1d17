"""Nodes of data_generation: a synthetic job-ad network whose occupations and text are real.

Real: O*NET occupations (SOC codes, titles, descriptions), ESCO skill definitions, a BM25 keyword ranker.
Simulated: who posts and who searches where and when, personal data (Faker), the queries, which
impression is examined (1 / position^eta) and clicked (examination x attractiveness of the latent
match), and which click becomes an application. The latent truth goes to the `truth_*` tables only.

Every random draw comes from `numpy.random.default_rng([seed, stream])`, one stream per node, so the
same parameters give the same tables; nothing loops over events in Python.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from job_reco.validation import require_columns
from job_reco.columns import (
    APPLICATION_ID,
    APPLIED_AT,
    ATTRACTIVENESS,
    CITY,
    CLICK_ID,
    CLICK_PROBABILITY,
    CLICKED_AT,
    DESCRIPTION,
    EXAMINATION,
    JOB_ID,
    MATCH_GRADE,
    OCCUPATION_CODE,
    POSITION,
    POSTED_AT,
    QUERY,
    RAW_SCHEMAS,
    RESUME_ID,
    SEARCH_ID,
    SEARCHED_AT,
    SECONDARY_OCCUPATION_CODE,
    SEEKER_ID,
    SHOWN_AT,
    TEXT,
    TITLE,
    UPDATED_AT,
)
from job_reco.pipelines.data_generation import vocabulary as voc

logger = logging.getLogger(__name__)

# Columns of the generator's own frames (never in the raw tables).
MINOR_GROUP = "minor_group"
MAJOR_GROUP = "major_group"
AD_TITLE = "ad_title"
KEYWORDS = "keywords"
SENTENCES = "sentences"
SKILLS = "skills"
COMPANY = "company"
PAY_LOW = "pay_low"
PAY_HIGH = "pay_high"

ONET_COLUMNS = {"O*NET-SOC Code": OCCUPATION_CODE, "Title": TITLE, "Description": DESCRIPTION}
ESCO_TEXT = "description"
SOC_CODE = r"\d\d-\d\d\d\d\.\d\d"
PRESET_KEYS = ("n_jobs", "n_seekers", "n_searches")

SECOND = 1_000_000  # timestamps are handled as int64 microseconds since the epoch
HOUR = 3600 * SECOND
DAY = 24 * HOUR
_EPOCH = pd.Timestamp(0, tz="UTC")

# One random stream per node: changing one node's draws leaves the others' alone.
_STREAM = {
    "weights": 0, "jobs": 1, "ads": 2, "seekers": 3, "searches": 4, "resumes": 5, "ranking": 6,
    "attractiveness": 7, "clicks": 8, "applications": 9, "dirty": 10,
}


# --------------------------------------------------------------------------------------------------
# Small shared helpers


def _rng(seed: int, stream: str) -> np.random.Generator:
    return np.random.default_rng([int(seed), _STREAM[stream]])


def _window(start_date: str, n_months: int) -> tuple[int, int]:
    """Start and end of the log window in epoch microseconds (UTC)."""
    start = pd.Timestamp(start_date, tz="UTC")
    end = start + pd.DateOffset(months=int(n_months))
    return int((start - _EPOCH) // pd.Timedelta(1, "us")), int((end - _EPOCH) // pd.Timedelta(1, "us"))


def _timestamps(micros: np.ndarray) -> pd.DatetimeIndex:
    """Epoch microseconds -> tz-aware UTC timestamps (microsecond resolution)."""
    return pd.DatetimeIndex(np.asarray(micros, dtype="int64").astype("datetime64[us]")).tz_localize("UTC")


def _micros(timestamps: pd.Series) -> np.ndarray:
    """Tz-aware timestamps -> epoch microseconds, whatever their pandas resolution."""
    return ((pd.to_datetime(timestamps, utc=True) - _EPOCH) // pd.Timedelta(1, "us")).to_numpy("int64")


def _ids(prefix: str, n: int) -> np.ndarray:
    """`prefix` + zero-padded 1..n (width at least 6), as an object array of str."""
    width = max(6, len(str(n)))
    return (prefix + pd.Series(np.arange(1, n + 1)).astype(str).str.zfill(width)).to_numpy(dtype=object)


def _lookup(keys: pd.Series | np.ndarray, index: pd.Index, what: str) -> np.ndarray:
    """Positions of `keys` in `index`; ValueError if any is unknown."""
    pos = index.get_indexer(keys)
    if (pos < 0).any():
        unknown = pd.Series(keys)[pos < 0].iloc[:3].tolist()
        raise ValueError(f"{what}: {int((pos < 0).sum())} unknown keys, e.g. {unknown}")
    return pos


def _fill(template: str, index: pd.Index, **columns: pd.Series | str) -> pd.Series:
    """Format one `{name}` template row-wise by string concatenation (vectorised str.format)."""
    parts = re.split(r"\{(\w+)\}", template)
    out = pd.Series(parts[0], index=index, dtype=object)
    for i in range(1, len(parts), 2):
        out = out + columns[parts[i]] + parts[i + 1]
    return out


def _fill_choice(templates: Sequence[str], choice: np.ndarray, index: pd.Index, **columns) -> pd.Series:
    """Row i gets templates[choice[i]] filled with its own column values."""
    out = pd.Series("", index=index, dtype=object)
    for k, template in enumerate(templates):
        rows = choice == k
        if rows.any():
            picked = {name: (col[rows] if isinstance(col, pd.Series) else col) for name, col in columns.items()}
            out[rows] = _fill(template, index[rows], **picked)
    return out


def _padded(values: pd.Series, fill: str = "") -> tuple[np.ndarray, np.ndarray]:
    """A column of tuples -> (rows x longest) object matrix padded with `fill`, and each row's length."""
    lengths = values.map(len).to_numpy("int64")
    matrix = np.full((len(values), max(1, int(lengths.max(initial=0)))), fill, dtype=object)
    for row, items in enumerate(values):  # one row per occupation (about 1,000), not per event
        matrix[row, : len(items)] = items
    return matrix, lengths


def _pick(matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each row index in `rows`, one uniformly chosen non-padding item ('' where the row is empty)."""
    n = lengths[rows]
    col = np.floor(rng.random(len(rows)) * np.maximum(n, 1)).astype("int64")
    return np.where(n > 0, matrix[rows, col], "")


def _pick_distinct(
    matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, k: int, rng: np.random.Generator
) -> pd.Series:
    """For each row index in `rows`, up to k distinct items in random order, joined by a space."""
    keys = rng.random((len(rows), matrix.shape[1]))
    keys[np.arange(matrix.shape[1])[None, :] >= lengths[rows][:, None]] = 2.0  # padding sorts last
    cols = np.argsort(keys, axis=1)[:, :k]
    picked = matrix[rows[:, None], cols]
    out = pd.Series("", index=pd.RangeIndex(len(rows)), dtype=object)
    for j in range(picked.shape[1]):  # k columns, not rows
        out = out + " " + picked[:, j]
    return out.str.strip().str.replace(r"\s+", " ", regex=True)


def _some_sentences(
    matrix: np.ndarray, lengths: np.ndarray, rows: np.ndarray, keep: float, rng: np.random.Generator
) -> pd.Series:
    """For each row index in `rows`: its first sentence plus each later one with probability `keep`,
    in their original order, joined by a space."""
    kept = rng.random((len(rows), matrix.shape[1])) < keep
    kept[:, 0] = True
    kept &= np.arange(matrix.shape[1])[None, :] < lengths[rows][:, None]
    out = pd.Series("", index=pd.RangeIndex(len(rows)), dtype=object)
    for j in range(matrix.shape[1]):  # columns (a handful of sentences), not rows
        out = out + np.where(kept[:, j], " " + matrix[rows, j], "")
    return out.str.strip()


def _group_mate(group_of: np.ndarray, items: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each item (an index into `group_of`), a different uniformly drawn member of its group.

    Returns -1 where the item is alone in its group.
    """
    order = np.argsort(group_of, kind="stable")
    sorted_groups = group_of[order]
    starts = np.searchsorted(sorted_groups, group_of, side="left")
    sizes = np.searchsorted(sorted_groups, group_of, side="right") - starts
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    offset = rank - starts  # the item's own place in its group
    size = sizes[items]
    step = 1 + np.floor(rng.random(len(items)) * np.maximum(size - 1, 1)).astype("int64")
    mate = order[starts[items] + (offset[items] + step) % np.maximum(size, 1)]
    return np.where(size > 1, mate, -1)


def _city_arrays() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """City labels ("Houston, TX"), city names and population shares."""
    labels = np.array([f"{c}, {s}" for c, s, _ in voc.CITIES], dtype=object)
    names = np.array([c for c, _, _ in voc.CITIES], dtype=object)
    pop = np.array([p for _, _, p in voc.CITIES])
    return labels, names, pop / pop.sum()


def _faker_pools(seed: int, size: int) -> dict[str, np.ndarray]:
    """Pools of fake first names, last names, street names and companies (Faker, seeded)."""
    from faker import Faker

    fake = Faker("en_US")
    fake.seed_instance(int(seed))
    draws = {
        "first": fake.first_name, "last": fake.last_name, "street": fake.street_name,
        "company": fake.company, "domain": fake.free_email_domain,
    }
    return {name: np.array([draw() for _ in range(size)], dtype=object) for name, draw in draws.items()}


def _occupation_weights(occupations: pd.DataFrame, n_occupations: int | None, seed: int) -> np.ndarray:
    """Share of ads (and of seekers) per occupation: its major group's weight x a seeded lognormal.

    With `n_occupations`, only that many occupations (drawn by weight, seeded) are in the market, so a
    small network still has several ads and seekers per occupation.
    """
    rng = _rng(seed, "weights")
    group_weight = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[3])
    w = group_weight.to_numpy(float) * rng.lognormal(0.0, 0.8, len(occupations))
    if n_occupations and int(n_occupations) < len(occupations):
        chosen = rng.choice(len(occupations), size=int(n_occupations), replace=False, p=w / w.sum())
        w = np.where(np.isin(np.arange(len(occupations)), chosen), w, 0.0)
    return w / w.sum()


# --------------------------------------------------------------------------------------------------
# Pure simulation pieces (tested on their own)


def match_grade(seeker_codes: Sequence, job_codes: Sequence) -> np.ndarray:
    """Latent match of a seeker's occupation with a job's: 3 same O*NET-SOC code, 2 same SOC minor group
    (first 4 characters, "11-1"), 1 same major group (first 2), 0 otherwise or when either is missing.

    Returns int8 array; works on arrays of codes of any length (factorised, no Python loop per pair).
    """
    seeker_codes = pd.Series(np.asarray(seeker_codes, dtype=object))
    job_codes = pd.Series(np.asarray(job_codes, dtype=object))
    both = pd.concat([seeker_codes, job_codes], ignore_index=True)
    codes, uniques = pd.factorize(both, use_na_sentinel=True)
    if len(uniques) == 0:
        return np.zeros(len(seeker_codes), dtype="int8")
    uniques = pd.Series(uniques, dtype=object)
    minor = pd.factorize(uniques.str[:4])[0]
    major = pd.factorize(uniques.str[:2])[0]
    a, b = codes[: len(seeker_codes)], codes[len(seeker_codes):]
    known = (a >= 0) & (b >= 0)
    a_, b_ = np.maximum(a, 0), np.maximum(b, 0)
    grade = np.select(
        [known & (a == b), known & (minor[a_] == minor[b_]), known & (major[a_] == major[b_])],
        [3, 2, 1],
        default=0,
    )
    return grade.astype("int8")


def examination_probability(position: np.ndarray, eta: float) -> np.ndarray:
    """P(a seeker looks at the impression at 1-based `position`) = 1 / position^eta (1 at position 1)."""
    position = np.asarray(position, dtype="float64")
    if (position < 1).any():
        raise ValueError("positions are 1-based; got a position below 1")
    return position ** (-float(eta))


def attractiveness_probability(
    grade: np.ndarray, same_city: np.ndarray, by_grade: Sequence[float], same_city_factor: float, noise: np.ndarray
) -> np.ndarray:
    """P(click | examined) = by_grade[grade] x (same_city_factor if same city) x noise, capped at 1."""
    base = np.asarray(by_grade, dtype="float64")[np.asarray(grade, dtype="int64")]
    city = np.where(np.asarray(same_city, dtype=bool), float(same_city_factor), 1.0)
    return np.minimum(base * city * np.asarray(noise, dtype="float64"), 1.0)


def bm25_top_k(
    corpus: Sequence[str], queries: Sequence[str], k: int, chunk_size: int = 2000
) -> tuple[np.ndarray, np.ndarray]:
    """BM25 top-k documents of each query (bm25s index: Lucene BM25, English stop words).

    The bm25s index holds each (word, document) BM25 term score; a query's score for a document is
    the sum over its words, exactly as `bm25s.BM25.get_scores`. All queries are scored at once as one
    sparse product (queries x words) @ (words x documents), in chunks of `chunk_size` queries.

    Returns (documents, scores), each queries x min(k, len(corpus)), best first, ties broken by the
    smaller document index; slots beyond the documents that match a query word are -1 with score 0.
    """
    import bm25s
    from scipy import sparse

    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(list(corpus), stopwords="en", show_progress=False), show_progress=False)
    indptr = retriever.scores["indptr"]
    n_docs = int(retriever.scores["num_docs"])
    term_scores = sparse.csr_matrix(
        (retriever.scores["data"], retriever.scores["indices"], indptr), shape=(len(indptr) - 1, n_docs)
    )
    tokenized = bm25s.tokenize(list(queries), stopwords="en", show_progress=False)
    to_corpus = np.full(len(tokenized.vocab) + 1, -1, dtype="int64")
    for token, token_id in tokenized.vocab.items():  # one entry per distinct query word
        to_corpus[token_id] = retriever.vocab_dict.get(token, -1)
    lengths = np.fromiter(map(len, tokenized.ids), dtype="int64", count=len(tokenized.ids))
    words = to_corpus[np.fromiter(itertools.chain.from_iterable(tokenized.ids), dtype="int64", count=lengths.sum())]
    rows = np.repeat(np.arange(len(lengths)), lengths)
    known = words >= 0
    query_words = sparse.csr_matrix(  # repeated words count repeatedly, as in bm25s
        (np.ones(int(known.sum()), dtype="float32"), (rows[known], words[known])),
        shape=(len(lengths), term_scores.shape[0]),
    )
    k = min(int(k), n_docs)
    docs = np.full((len(lengths), k), -1, dtype="int64")
    scores = np.zeros((len(lengths), k), dtype="float64")
    for lo in range(0, len(lengths), int(chunk_size)):
        hits = (query_words[lo : lo + int(chunk_size)] @ term_scores).tocoo()
        row, col, score = hits.row.astype("int64"), hits.col.astype("int64"), hits.data.astype("float64")
        order = np.lexsort((col, -score, row))
        row, col, score = row[order], col[order], score[order]
        rank = np.arange(len(row)) - np.searchsorted(row, row, side="left")
        top = (rank < k) & (score > 0)
        docs[lo + row[top], rank[top]] = col[top]
        scores[lo + row[top], rank[top]] = score[top]
    return docs, scores


def first_distinct(candidates: np.ndarray, valid: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the first `n` valid candidates that did not already occur earlier (validly) in the row.

    Returns (chosen, kept): rows x n; `kept` is False where the row had fewer than n such candidates.
    """
    candidates = np.asarray(candidates, dtype="int64")
    valid = np.asarray(valid, dtype=bool)
    # invalid cells get distinct negative values, so they never make a valid candidate a repeat
    masked = np.where(valid, candidates, -1 - np.arange(candidates.shape[1]))
    order = np.argsort(masked, axis=1, kind="stable")  # equal values keep their column order
    ranked = np.take_along_axis(masked, order, axis=1)
    repeat_sorted = np.zeros(masked.shape, dtype=bool)
    repeat_sorted[:, 1:] = ranked[:, 1:] == ranked[:, :-1]
    repeat = np.empty_like(repeat_sorted)
    np.put_along_axis(repeat, order, repeat_sorted, axis=1)
    keep = valid & ~repeat
    take = np.argsort(~keep, axis=1, kind="stable")[:, :n]
    return np.take_along_axis(candidates, take, axis=1), np.take_along_axis(keep, take, axis=1)


# --------------------------------------------------------------------------------------------------
# Occupations


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


def attach_esco_skills(
    occupations: pd.DataFrame, esco_skills: pd.DataFrame, skills_per_occupation: int
) -> pd.DataFrame:
    """Give each occupation the definitions of its BM25-nearest ESCO skills (query: title + description)."""
    require_columns(esco_skills, [ESCO_TEXT], "esco_skills")
    sentences = esco_skills[ESCO_TEXT].astype(str).map(voc.esco_skill_sentence)
    usable = sentences.notna().to_numpy()
    out = occupations.copy()
    if not usable.any() or int(skills_per_occupation) <= 0:
        out[SKILLS] = [()] * len(out)
        return out
    docs, _ = bm25_top_k(
        esco_skills.loc[usable, ESCO_TEXT].astype(str).tolist(),
        (occupations[TITLE] + " " + occupations[DESCRIPTION]).tolist(),
        int(skills_per_occupation),
    )
    skill_text = np.append(sentences[usable].to_numpy(dtype=object), "")  # index -1 -> ""
    out[SKILLS] = [tuple(dict.fromkeys(s for s in row if s)) for row in skill_text[docs]]
    logger.info("Attached ESCO skills to %d occupations (%d usable ESCO definitions).", len(out), usable.sum())
    return out


def select_preset(presets: Mapping[str, Mapping[str, int]], preset: str) -> dict[str, int]:
    """The sizes of the chosen preset: n_jobs, n_seekers, n_searches and optionally n_occupations."""
    if preset not in presets:
        raise ValueError(f"data_generation.preset {preset!r} is not one of {sorted(presets)}")
    chosen = dict(presets[preset])
    missing = [key for key in PRESET_KEYS if key not in chosen]
    if missing:
        raise ValueError(f"data_generation.presets.{preset} is missing {missing}; got {chosen}")
    sizes = {key: int(value) for key, value in chosen.items() if value is not None}
    if min(sizes.values()) < 1:
        raise ValueError(f"data_generation.presets.{preset} needs positive sizes; got {chosen}")
    logger.info("data_generation preset %r: %s", preset, sizes)
    return sizes


# --------------------------------------------------------------------------------------------------
# Jobs


def draw_jobs(
    occupations: pd.DataFrame, sizes: Mapping[str, int], start_date: str, n_months: int, active_days: int, seed: int
) -> pd.DataFrame:
    """Draw job ads: occupation (weighted), city (by population), company, pay and posting time.

    Ads are posted from `active_days` before the window (ads already open when the logs start) to its end;
    job ids follow posting time.
    """
    rng = _rng(seed, "jobs")
    n = int(sizes["n_jobs"])
    occ = rng.choice(len(occupations), size=n, p=_occupation_weights(occupations, sizes.get("n_occupations"), seed))
    labels, _, city_p = _city_arrays()
    city = rng.choice(len(labels), size=n, p=city_p)
    start, end = _window(start_date, n_months)
    posted = rng.integers(start - int(active_days) * DAY, end, size=n)
    posted -= posted % SECOND
    pools = _faker_pools(seed + _STREAM["jobs"], max(50, min(2000, n // 5)))
    company = pools["company"][rng.integers(0, len(pools["company"]), size=n)]
    median = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[2])
    pay = median.to_numpy(float)[occ] * rng.lognormal(0.0, 0.2, n)
    order = np.lexsort((occ, posted))
    return pd.DataFrame(
        {
            JOB_ID: _ids("J", n),
            OCCUPATION_CODE: occupations[OCCUPATION_CODE].to_numpy(dtype=object)[occ[order]],
            CITY: labels[city[order]],
            COMPANY: company[order],
            PAY_LOW: np.round(pay[order] * 0.9, -3),
            PAY_HIGH: np.round(pay[order] * 1.15, -3),
            POSTED_AT: _timestamps(posted[order]),
        }
    )


def _pay_text(low: np.ndarray, high: np.ndarray) -> pd.Series:
    """'$18.00 - $23.00 per hour' below the hourly threshold, else '$52,000 - $66,000 per year'."""
    hourly = high < voc.HOURLY_PAY_BELOW
    lo, hi = pd.Series(low), pd.Series(high)
    per_hour = "$" + (lo / voc.HOURS_PER_YEAR).map("{:.2f}".format) + " - $" + (hi / voc.HOURS_PER_YEAR).map(
        "{:.2f}".format) + " per hour"
    per_year = "$" + lo.map("{:,.0f}".format) + " - $" + hi.map("{:,.0f}".format) + " per year"
    return per_hour.where(hourly, per_year)


def write_job_ads(job_postings: pd.DataFrame, occupations: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Write each ad's title (occupation title or a variant) and description (sentences of the O*NET
    text, three ESCO skills, company, city, pay, benefits, an equal-opportunity line): raw `jobs`."""
    require_columns(job_postings, [JOB_ID, OCCUPATION_CODE, CITY, COMPANY, PAY_LOW, PAY_HIGH, POSTED_AT], "job_postings")
    rng = _rng(seed, "ads")
    n = len(job_postings)
    idx = pd.RangeIndex(n)
    occ = _lookup(job_postings[OCCUPATION_CODE], pd.Index(occupations[OCCUPATION_CODE]), "job_postings.occupation_code")
    base_title = pd.Series(occupations[AD_TITLE].to_numpy(dtype=object)[occ], index=idx)
    variant = rng.random(n)
    prefix = np.array(voc.TITLE_PREFIXES, dtype=object)[rng.integers(0, len(voc.TITLE_PREFIXES), n)]
    suffix = np.array(voc.TITLE_SUFFIXES, dtype=object)[rng.integers(0, len(voc.TITLE_SUFFIXES), n)]
    title = base_title.where(variant >= 0.2, prefix + base_title).where(
        (variant < 0.2) | (variant >= 0.45), base_title + suffix)
    skills, n_skills = _padded(occupations[SKILLS] if SKILLS in occupations else pd.Series([()] * len(occupations)))
    duties = _pick_distinct(skills, n_skills, occ, 3, rng)
    duties = duties.where(duties == "", " " + pd.Series(np.array(voc.REQUIREMENTS_HEADERS, dtype=object)[
        rng.integers(0, len(voc.REQUIREMENTS_HEADERS), n)], index=idx) + " " + duties)
    company = job_postings[COMPANY].reset_index(drop=True)
    city = job_postings[CITY].reset_index(drop=True)
    opening = _fill_choice(voc.AD_OPENINGS, rng.integers(0, len(voc.AD_OPENINGS), n), idx,
                           company=company, title=title, city=city)
    benefits = np.array(voc.BENEFITS, dtype=object)[rng.integers(0, len(voc.BENEFITS), n)]
    sentences, n_sentences = _padded(occupations[SENTENCES])
    description = (opening + " " + _some_sentences(sentences, n_sentences, occ, 0.7, rng) + duties + " Pay: "
                   + _pay_text(job_postings[PAY_LOW].to_numpy(), job_postings[PAY_HIGH].to_numpy()) + ". "
                   + benefits + " " + _fill(voc.EQUAL_OPPORTUNITY, idx, company=company))
    return pd.DataFrame({JOB_ID: job_postings[JOB_ID].to_numpy(dtype=object), TITLE: title.to_numpy(dtype=object),
                         DESCRIPTION: description.to_numpy(dtype=object),
                         POSTED_AT: _timestamps(_micros(job_postings[POSTED_AT]))})[list(RAW_SCHEMAS["jobs"])]


def select_truth_jobs(job_postings: pd.DataFrame) -> pd.DataFrame:
    """The latent side of each job: its occupation and city (`truth_jobs`)."""
    require_columns(job_postings, [JOB_ID, OCCUPATION_CODE, CITY], "job_postings")
    return job_postings[[JOB_ID, OCCUPATION_CODE, CITY]].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Seekers, resumes and searches


def draw_seekers(
    occupations: pd.DataFrame, sizes: Mapping[str, int], secondary_share: float, seed: int
) -> pd.DataFrame:
    """Draw seekers: primary occupation (weighted), often a second one of the same SOC minor group
    (else none), and a city (`truth_seekers`)."""
    rng = _rng(seed, "seekers")
    n = int(sizes["n_seekers"])
    weights = _occupation_weights(occupations, sizes.get("n_occupations"), seed)
    primary = rng.choice(len(occupations), size=n, p=weights)
    minor = pd.factorize(occupations[MINOR_GROUP])[0]
    mate = _group_mate(minor, primary, rng)
    has_second = (rng.random(n) < float(secondary_share)) & (mate >= 0)
    codes = occupations[OCCUPATION_CODE].to_numpy(dtype=object)
    labels, _, city_p = _city_arrays()
    return pd.DataFrame(
        {
            SEEKER_ID: _ids("S", n),
            RESUME_ID: _ids("R", n),
            OCCUPATION_CODE: codes[primary],
            SECONDARY_OCCUPATION_CODE: np.where(has_second, codes[np.maximum(mate, 0)], None),
            CITY: labels[rng.choice(len(labels), size=n, p=city_p)],
        }
    )


def build_queries(
    kinds: np.ndarray, title: np.ndarray, keyword: np.ndarray, related_title: np.ndarray, vague: np.ndarray,
    city: np.ndarray, add_city: np.ndarray,
) -> np.ndarray:
    """Compose keyword queries: by kind (indices into QUERY_KINDS) the title, one title word, a related
    title or a vague phrase; lower case; the city appended where `add_city` (never to a vague query)."""
    kinds = np.asarray(kinds)
    base = np.select(
        [kinds == i for i in range(len(voc.QUERY_KINDS))],
        [np.asarray(title, dtype=object), np.asarray(keyword, dtype=object),
         np.asarray(related_title, dtype=object), np.asarray(vague, dtype=object)],
        default="",
    )
    query = pd.Series(base, dtype=object).str.lower()
    with_city = np.asarray(add_city, dtype=bool) & (kinds != voc.QUERY_KINDS.index("vague"))
    query = query.where(~with_city, query + " " + pd.Series(np.asarray(city, dtype=object)).str.lower())
    return query.str.strip().to_numpy(dtype=object)


def draw_searches(
    truth_seekers: pd.DataFrame,
    occupations: pd.DataFrame,
    sizes: Mapping[str, int],
    start_date: str,
    n_months: int,
    query_mix: Mapping[str, float],
    city_in_query_share: float,
    seed: int,
) -> pd.DataFrame:
    """Draw searches: who (heavy-tailed activity), when (within each seeker's job hunt), what query."""
    require_columns(truth_seekers, [SEEKER_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, CITY], "truth_seekers")
    if set(query_mix) != set(voc.QUERY_KINDS):
        raise ValueError(f"data_generation.query_mix needs exactly {list(voc.QUERY_KINDS)}; got {sorted(query_mix)}")
    rng = _rng(seed, "searches")
    n, n_seekers = int(sizes["n_searches"]), len(truth_seekers)
    activity = rng.lognormal(0.0, 1.0, n_seekers)
    who = rng.choice(n_seekers, size=n, p=activity / activity.sum())
    start, end = _window(start_date, n_months)
    hunt_start = rng.integers(start, end - DAY, size=n_seekers)
    hunt_length = (rng.exponential(30.0, n_seekers) + 1.0) * DAY
    when = np.minimum(hunt_start[who] + (rng.random(n) * hunt_length[who]).astype("int64"), end - SECOND)
    when -= when % SECOND

    occ_index = pd.Index(occupations[OCCUPATION_CODE])
    primary = _lookup(truth_seekers[OCCUPATION_CODE], occ_index, "truth_seekers.occupation_code")
    second = occ_index.get_indexer(truth_seekers[SECONDARY_OCCUPATION_CODE].fillna(""))
    use_second = (second[who] >= 0) & (rng.random(n) < 0.3)
    occ = np.where(use_second, second[who], primary[who])
    mate = _group_mate(pd.factorize(occupations[MINOR_GROUP])[0], occ, rng)
    titles = occupations[AD_TITLE].to_numpy(dtype=object)
    keywords, n_keywords = _padded(occupations[KEYWORDS])
    p = np.array([float(query_mix[k]) for k in voc.QUERY_KINDS])
    query = build_queries(
        kinds=rng.choice(len(voc.QUERY_KINDS), size=n, p=p / p.sum()),
        title=titles[occ],
        keyword=_pick(keywords, n_keywords, occ, rng),
        related_title=titles[np.where(mate >= 0, mate, occ)],
        vague=np.array(voc.VAGUE_QUERIES, dtype=object)[rng.integers(0, len(voc.VAGUE_QUERIES), n)],
        city=truth_seekers[CITY].str.split(",").str[0].to_numpy(dtype=object)[who],
        add_city=rng.random(n) < float(city_in_query_share),
    )
    order = np.lexsort((who, when))
    return pd.DataFrame(
        {
            SEARCH_ID: _ids("Q", n),
            SEEKER_ID: truth_seekers[SEEKER_ID].to_numpy(dtype=object)[who[order]],
            QUERY: query[order],
            SEARCHED_AT: _timestamps(when[order]),
        }
    )


def _fake_contact_blocks(cities: pd.Series, seed: int, rng: np.random.Generator) -> pd.Series:
    """Per resume a fake name, street address, e-mail and phone (Faker pools + numpy), as 3 lines."""
    n, idx = len(cities), cities.index
    pools = _faker_pools(seed + _STREAM["resumes"], max(50, min(3000, n // 3)))

    def pool(name: str) -> pd.Series:
        return pd.Series(pools[name][rng.integers(0, len(pools[name]), n)], index=idx)

    def numbers(low: int, high: int) -> pd.Series:
        return pd.Series(rng.integers(low, high, n), index=idx).astype(str)

    first, last = pool("first"), pool("last")
    email = (first.str.lower() + np.array([".", "_", ""], dtype=object)[rng.integers(0, 3, n)]
             + last.str.lower().str.replace(r"[^a-z]", "", regex=True)
             + numbers(0, 100).where(rng.random(n) < 0.5, "") + "@" + pool("domain"))
    phone = _fill_choice(voc.PHONE_FORMATS, rng.integers(0, len(voc.PHONE_FORMATS), n), idx,
                         a=numbers(201, 990), b=numbers(200, 1000), c=numbers(0, 10000).str.zfill(4))
    address = numbers(1, 9999) + " " + pool("street") + ", " + cities + " " + numbers(10000, 99999)
    return first + " " + last + "\n" + address + "\n" + email + " | " + phone


def _resume_bodies(
    occupations: pd.DataFrame, primary: np.ndarray, second: np.ndarray, cities: pd.Series, year: int,
    seed: int, rng: np.random.Generator,
) -> pd.Series:
    """Summary, work history (O*NET text + ESCO skills of primary, then secondary occupation), education."""
    n, idx = len(primary), cities.index
    titles = occupations[AD_TITLE].to_numpy(dtype=object)
    texts = occupations[DESCRIPTION].to_numpy(dtype=object)
    skills, n_skills = _padded(occupations[SKILLS] if SKILLS in occupations else pd.Series([()] * len(occupations)))
    companies = _faker_pools(seed + _STREAM["resumes"] + 1, max(50, min(2000, n // 5)))["company"]
    years = pd.Series(rng.integers(1, 25, n), index=idx)
    since_year = year - np.minimum(years, rng.integers(1, 8, n))
    since = since_year.astype(str)
    fillers = np.array(voc.RESUME_FILLERS, dtype=object)
    second_job = ("\n" + pd.Series(titles[np.maximum(second, 0)], index=idx) + " | "
                  + companies[rng.integers(0, len(companies), n)] + " | "
                  + (since_year - rng.integers(1, 6, n)).astype(str) + "-" + since
                  + "\n" + texts[np.maximum(second, 0)] + "\n").where(second >= 0, "")
    fields = occupations[MAJOR_GROUP].map(lambda g: voc.MAJOR_GROUPS.get(g, voc.DEFAULT_MAJOR_GROUP)[1])
    degree = _fill_choice(voc.EDUCATION_LEVELS, rng.integers(0, len(voc.EDUCATION_LEVELS), n), idx,
                          field=pd.Series(fields.to_numpy(dtype=object)[primary], index=idx))
    school = _fill_choice(voc.SCHOOL_PATTERNS, rng.integers(0, len(voc.SCHOOL_PATTERNS), n), idx,
                          city=cities.str.split(", ").str[0], state=cities.str.split(", ").str[1].map(voc.STATE_NAMES))
    adjective = np.array(voc.SUMMARY_ADJECTIVES, dtype=object)[rng.integers(0, len(voc.SUMMARY_ADJECTIVES), n)]
    return ("SUMMARY\n" + adjective + " " + titles[primary] + " with " + years.astype(str) + " years of experience. "
            + fillers[rng.integers(0, len(fillers), n)]
            + "\n\nEXPERIENCE\n" + titles[primary] + " | " + companies[rng.integers(0, len(companies), n)] + " | "
            + cities + " | " + since + "-Present\n" + texts[primary] + "\n"
            + _pick_distinct(skills, n_skills, primary, 2, rng).set_axis(idx) + "\n" + second_job
            + "\nEDUCATION\n" + degree + " - " + school
            + "\n\nADDITIONAL\n" + fillers[rng.integers(0, len(fillers), n)])


def write_resumes(
    truth_seekers: pd.DataFrame,
    occupations: pd.DataFrame,
    searches: pd.DataFrame,
    start_date: str,
    n_months: int,
    seed: int,
) -> pd.DataFrame:
    """Write one resume per seeker: fake contact details, work history from the O*NET text of their
    occupations, ESCO skills, education and filler; updated before the seeker's first search."""
    require_columns(truth_seekers, [SEEKER_ID, RESUME_ID, OCCUPATION_CODE, SECONDARY_OCCUPATION_CODE, CITY], "truth_seekers")
    require_columns(searches, [SEEKER_ID, SEARCHED_AT], "searches")
    rng = _rng(seed, "resumes")
    seekers = truth_seekers.reset_index(drop=True)
    occ_index = pd.Index(occupations[OCCUPATION_CODE])
    primary = _lookup(seekers[OCCUPATION_CODE], occ_index, "truth_seekers.occupation_code")
    second = occ_index.get_indexer(seekers[SECONDARY_OCCUPATION_CODE].fillna(""))
    text = (_fake_contact_blocks(seekers[CITY], seed, rng) + "\n\n"
            + _resume_bodies(occupations, primary, second, seekers[CITY], pd.Timestamp(start_date).year, seed, rng))
    first_search = pd.Series(_micros(searches[SEARCHED_AT])).groupby(searches[SEEKER_ID].to_numpy()).min()
    first_seen = first_search.reindex(seekers[SEEKER_ID]).to_numpy()
    start, end = _window(start_date, n_months)
    anchor = np.where(np.isnan(first_seen), rng.integers(start, end, len(seekers)), first_seen).astype("int64")
    updated = anchor - HOUR - (rng.random(len(seekers)) * 90 * DAY).astype("int64")
    return pd.DataFrame({RESUME_ID: seekers[RESUME_ID].to_numpy(dtype=object),
                         SEEKER_ID: seekers[SEEKER_ID].to_numpy(dtype=object),
                         TEXT: text.str.replace(r"[ \t]+", " ", regex=True).to_numpy(dtype=object),
                         UPDATED_AT: _timestamps(updated - updated % SECOND)})


# --------------------------------------------------------------------------------------------------
# Impressions, clicks, applications


def rank_jobs_for_searches(
    searches: pd.DataFrame,
    jobs: pd.DataFrame,
    impressions_per_search: int,
    n_candidates: int,
    active_days: int,
    chunk_size: int,
    seed: int,
) -> pd.DataFrame:
    """Keyword search: BM25 over job title (twice) + description, keep ads active at search time
    (posted within `active_days` before it), top N become impressions at positions 1..N.

    Lists shorter than N are filled with other active ads (consecutive by posting time from a seeded
    random start), as a network fills its pages. One BM25 product for all distinct queries; numpy per
    chunk of `chunk_size` searches (the chunking does not change the result).
    """
    require_columns(searches, list(RAW_SCHEMAS["searches"]), "searches")
    require_columns(jobs, list(RAW_SCHEMAS["jobs"]), "jobs")
    rng = _rng(seed, "ranking")
    n_top = int(impressions_per_search)
    posted = _micros(jobs[POSTED_AT])
    by_time = np.argsort(posted, kind="stable")
    posted_sorted = posted[by_time]
    query_code, distinct = pd.factorize(searches[QUERY].fillna(""))
    docs, _ = bm25_top_k((jobs[TITLE] + " " + jobs[TITLE] + " " + jobs[DESCRIPTION]).tolist(), list(distinct),
                         int(n_candidates))
    searched = _micros(searches[SEARCHED_AT])
    window = int(active_days) * DAY
    search_rows, job_rows, positions = [], [], []
    for lo_row in range(0, len(searches), int(chunk_size)):
        rows = np.arange(lo_row, min(lo_row + int(chunk_size), len(searches)))
        t = searched[rows][:, None]
        cand = docs[query_code[rows]]
        cand_posted = posted[np.maximum(cand, 0)]
        valid = (cand >= 0) & (cand_posted <= t) & (cand_posted > t - window)
        lo = np.searchsorted(posted_sorted, t[:, 0] - window, side="right")
        hi = np.searchsorted(posted_sorted, t[:, 0], side="right")
        # filler: 2N consecutive active ads (by posting time) from a random start, wrapping in the window
        span = np.maximum(hi - lo, 1)[:, None]
        offset = np.floor(rng.random(len(rows)) * span[:, 0]).astype("int64")[:, None]
        draw = lo[:, None] + (offset + np.arange(2 * n_top)[None, :]) % span
        filler = by_time[np.minimum(draw, len(by_time) - 1)]
        chosen, kept = first_distinct(np.hstack([cand, filler]),
                                      np.hstack([valid, np.broadcast_to((hi > lo)[:, None], filler.shape)]), n_top)
        search_rows.append(np.broadcast_to(rows[:, None], chosen.shape)[kept])
        job_rows.append(chosen[kept])
        positions.append(np.broadcast_to(np.arange(1, n_top + 1), chosen.shape)[kept])
    search_rows = np.concatenate(search_rows) if search_rows else np.empty(0, "int64")
    job_rows = np.concatenate(job_rows) if job_rows else np.empty(0, "int64")
    positions = np.concatenate(positions) if positions else np.empty(0, "int64")
    short = int((np.bincount(search_rows, minlength=len(searches)) < n_top).sum())
    if short:
        logger.info("%d of %d searches had fewer than %d active ads to show.", short, len(searches), n_top)
    return pd.DataFrame(
        {
            SEARCH_ID: searches[SEARCH_ID].to_numpy(dtype=object)[search_rows],
            JOB_ID: jobs[JOB_ID].to_numpy(dtype=object)[job_rows],
            POSITION: positions.astype("int32"),
            SHOWN_AT: _timestamps(searched[search_rows]),
        }
    )


def score_impressions(
    impressions: pd.DataFrame,
    searches: pd.DataFrame,
    truth_seekers: pd.DataFrame,
    truth_jobs: pd.DataFrame,
    eta: float,
    attractiveness_by_grade: Sequence[float],
    same_city_factor: float,
    noise_sigma: float,
    seed: int,
) -> pd.DataFrame:
    """Latent truth per impression: match grade, examination, attractiveness, click probability."""
    require_columns(impressions, [SEARCH_ID, JOB_ID, POSITION], "impressions")
    require_columns(truth_jobs, [JOB_ID, OCCUPATION_CODE, CITY], "truth_jobs")
    if len(attractiveness_by_grade) != 4:
        raise ValueError(
            f"data_generation.attractiveness_by_grade needs 4 values (grades 0..3); got {attractiveness_by_grade}")
    rng = _rng(seed, "attractiveness")
    search = _lookup(impressions[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "impressions.search_id")
    seeker = _lookup(searches[SEEKER_ID].to_numpy(dtype=object)[search], pd.Index(truth_seekers[SEEKER_ID]),
                     "searches.seeker_id")
    job = _lookup(impressions[JOB_ID], pd.Index(truth_jobs[JOB_ID]), "impressions.job_id")
    job_code = truth_jobs[OCCUPATION_CODE].to_numpy(dtype=object)[job]
    grade = np.maximum(
        match_grade(truth_seekers[OCCUPATION_CODE].to_numpy(dtype=object)[seeker], job_code),
        match_grade(truth_seekers[SECONDARY_OCCUPATION_CODE].to_numpy(dtype=object)[seeker], job_code),
    )
    same_city = truth_seekers[CITY].to_numpy(dtype=object)[seeker] == truth_jobs[CITY].to_numpy(dtype=object)[job]
    examination = examination_probability(impressions[POSITION].to_numpy(), eta)
    noise = rng.lognormal(-0.5 * float(noise_sigma) ** 2, float(noise_sigma), len(impressions))
    attractiveness = attractiveness_probability(grade, same_city, attractiveness_by_grade, same_city_factor, noise)
    return pd.DataFrame(
        {
            SEARCH_ID: impressions[SEARCH_ID].to_numpy(dtype=object),
            JOB_ID: impressions[JOB_ID].to_numpy(dtype=object),
            POSITION: impressions[POSITION].to_numpy().astype("int32"),
            MATCH_GRADE: grade.astype("int8"),
            EXAMINATION: examination,
            ATTRACTIVENESS: attractiveness,
            CLICK_PROBABILITY: examination * attractiveness,
        }
    )


def build_examination_curve(eta: float, impressions_per_search: int) -> pd.DataFrame:
    """The true examination probability of each position 1..N (`truth_examination`)."""
    position = np.arange(1, int(impressions_per_search) + 1, dtype="int32")
    return pd.DataFrame({POSITION: position, EXAMINATION: examination_probability(position, eta)})


def simulate_clicks(truth_impressions: pd.DataFrame, searches: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Click each impression with its click probability; clicked seconds to minutes after the search."""
    require_columns(truth_impressions, [SEARCH_ID, JOB_ID, POSITION, CLICK_PROBABILITY], "truth_impressions")
    rng = _rng(seed, "clicks")
    clicked = rng.random(len(truth_impressions)) < truth_impressions[CLICK_PROBABILITY].to_numpy()
    hits = truth_impressions.loc[clicked, [SEARCH_ID, JOB_ID, POSITION]]
    search = _lookup(hits[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "truth_impressions.search_id")
    delay = ((3 + 2 * hits[POSITION].to_numpy() + rng.exponential(40.0, len(hits))) * SECOND).astype("int64")
    at = _micros(searches[SEARCHED_AT])[search] + delay
    at -= at % 1000
    return pd.DataFrame({CLICK_ID: _ids("C", len(hits)), SEARCH_ID: hits[SEARCH_ID].to_numpy(dtype=object),
                         JOB_ID: hits[JOB_ID].to_numpy(dtype=object), CLICKED_AT: _timestamps(at)})


def _external_applications(
    n: int, truth_seekers: pd.DataFrame, truth_jobs: pd.DataFrame, jobs: pd.DataFrame, window: tuple[int, int],
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """n applications that came from elsewhere: a random seeker applies to a job of their SOC minor
    group (any job if none) some time after it was posted. Returns (resume_ids, job_ids, epoch micros)."""
    seeker = rng.integers(0, len(truth_seekers), n)
    job_minor = pd.Series(truth_jobs[OCCUPATION_CODE].to_numpy(dtype=object)).str[:4]
    job = _draw_job_in_group(job_minor, truth_seekers[OCCUPATION_CODE].str[:4].to_numpy(dtype=object)[seeker], rng)
    job_ids = truth_jobs[JOB_ID].to_numpy(dtype=object)[job]
    posted = _micros(jobs.set_index(JOB_ID).loc[job_ids, POSTED_AT])
    earliest = np.maximum(posted, window[0])
    at = earliest + (rng.random(n) * (window[1] - earliest)).astype("int64")
    return truth_seekers[RESUME_ID].to_numpy(dtype=object)[seeker], job_ids, at


def simulate_applications(
    clicks: pd.DataFrame,
    truth_impressions: pd.DataFrame,
    searches: pd.DataFrame,
    truth_seekers: pd.DataFrame,
    truth_jobs: pd.DataFrame,
    jobs: pd.DataFrame,
    apply_probability_by_grade: Sequence[float],
    external_share: float,
    start_date: str,
    n_months: int,
    seed: int,
) -> pd.DataFrame:
    """Apply after some clicks (more often for better matches) with the seeker's resume; add a share of
    applications that came from elsewhere (click_id null) to a job of the seeker's SOC minor group."""
    require_columns(clicks, list(RAW_SCHEMAS["clicks"]), "clicks")
    if len(apply_probability_by_grade) != 4:
        raise ValueError(f"data_generation.apply_probability_by_grade needs 4 values; got {apply_probability_by_grade}")
    rng = _rng(seed, "applications")
    grades = truth_impressions.set_index([SEARCH_ID, JOB_ID])[MATCH_GRADE]
    row = _lookup(pd.MultiIndex.from_frame(clicks[[SEARCH_ID, JOB_ID]]), grades.index, "clicks (search_id, job_id)")
    applied = clicks[rng.random(len(clicks)) < np.asarray(apply_probability_by_grade, float)[grades.to_numpy()[row]]]
    search = _lookup(applied[SEARCH_ID], pd.Index(searches[SEARCH_ID]), "clicks.search_id")
    seeker = _lookup(searches[SEEKER_ID].to_numpy(dtype=object)[search], pd.Index(truth_seekers[SEEKER_ID]),
                     "searches.seeker_id")
    after_click = _micros(applied[CLICKED_AT]) + ((60 + rng.exponential(600.0, len(applied))) * SECOND).astype("int64")
    share = min(max(float(external_share), 0.0), 0.9)
    n_ext = int(round(len(applied) * share / (1.0 - share)))
    ext_resume, ext_job, ext_at = _external_applications(
        n_ext, truth_seekers, truth_jobs, jobs, _window(start_date, n_months), rng)
    at = np.concatenate([after_click, ext_at])
    out = pd.DataFrame(
        {
            RESUME_ID: np.concatenate([truth_seekers[RESUME_ID].to_numpy(dtype=object)[seeker], ext_resume]),
            JOB_ID: np.concatenate([applied[JOB_ID].to_numpy(dtype=object), ext_job]),
            CLICK_ID: np.concatenate([applied[CLICK_ID].to_numpy(dtype=object), np.full(n_ext, None, dtype=object)]),
            APPLIED_AT: at - at % 1000,
        }
    ).sort_values(APPLIED_AT, kind="stable", ignore_index=True)
    out.insert(0, APPLICATION_ID, _ids("A", len(out)))
    out[APPLIED_AT] = _timestamps(out[APPLIED_AT].to_numpy())
    return out


def _draw_job_in_group(job_groups: pd.Series, wanted: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each wanted group, a uniformly drawn job index of that group (any job if the group has none)."""
    order = np.argsort(job_groups.to_numpy(dtype=str), kind="stable")
    sorted_groups = job_groups.to_numpy(dtype=str)[order]
    wanted = np.asarray(wanted, dtype=str)
    lo = np.searchsorted(sorted_groups, wanted, side="left")
    hi = np.searchsorted(sorted_groups, wanted, side="right")
    size = hi - lo
    u = rng.random(len(wanted))
    in_group = order[np.minimum(lo + np.floor(u * np.maximum(size, 1)).astype("int64"), len(order) - 1)]
    anywhere = np.floor(u * len(order)).astype("int64")
    return np.where(size > 0, in_group, anywhere)


def _tags(prefix: str, index: pd.Index) -> pd.Series:
    """prefix + 0, 1, 2, ... aligned on `index`: ids that exist nowhere else."""
    return prefix + pd.Series(np.arange(len(index)), index=index).astype(str)


def add_dirty_rows(
    impressions: pd.DataFrame, clicks: pd.DataFrame, applications: pd.DataFrame, dirty_share: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Append a small share of the faults real logs have, for data_integration to quarantine.

    With share s > 0, each table gets ceil(s x rows) rows of each kind: impressions: exact duplicates
    and rows with a null job_id; clicks: a click on a job its search never showed (new click_id) and a
    duplicated click_id; applications: an unknown click_id and an unknown resume_id. s = 0: unchanged.
    """
    share = float(dirty_share)
    if share <= 0:
        return impressions, clicks, applications
    rng = _rng(seed, "dirty")

    def sample(df: pd.DataFrame) -> pd.DataFrame:
        k = min(len(df), int(np.ceil(share * len(df))))
        return df.iloc[np.sort(rng.choice(len(df), size=k, replace=False))].copy() if k else df.iloc[:0].copy()

    dup_impressions, null_job = sample(impressions), sample(impressions)
    null_job[JOB_ID] = None
    unshown = sample(clicks)
    # a job id that never appears in impressions, so the click has no impression behind it
    unshown[JOB_ID] = _tags("J-UNSHOWN-", unshown.index)
    unshown[CLICK_ID] = _tags("C-UNSHOWN-", unshown.index)
    unknown_click, unknown_resume = sample(applications), sample(applications)
    unknown_click[CLICK_ID] = _tags("C-UNKNOWN-", unknown_click.index)
    unknown_click[APPLICATION_ID] = unknown_click[APPLICATION_ID] + "-X"
    unknown_resume[RESUME_ID] = _tags("R-UNKNOWN-", unknown_resume.index)
    unknown_resume[APPLICATION_ID] = unknown_resume[APPLICATION_ID] + "-Y"
    out = (
        pd.concat([impressions, dup_impressions, null_job], ignore_index=True),
        pd.concat([clicks, unshown, sample(clicks)], ignore_index=True),
        pd.concat([applications, unknown_click, unknown_resume], ignore_index=True),
    )
    logger.info("Added dirty rows: %d impressions, %d clicks, %d applications.",
                len(out[0]) - len(impressions), len(out[1]) - len(clicks), len(out[2]) - len(applications))
    return out


def summarise_network(
    impressions: pd.DataFrame, clicks: pd.DataFrame, applications: pd.DataFrame, searches: pd.DataFrame
) -> dict[str, float]:
    """Sizes, click-through rate and the share of searches with an applied click (logged, returned)."""
    clicked_apps = applications[CLICK_ID].notna()
    applied_searches = clicks.loc[clicks[CLICK_ID].isin(applications.loc[clicked_apps, CLICK_ID]), SEARCH_ID].nunique()
    summary = {
        "searches": len(searches), "impressions": len(impressions), "clicks": len(clicks),
        "applications": len(applications),
        "click_through_rate": len(clicks) / max(len(impressions), 1),
        "searches_with_applied_click": applied_searches / max(len(searches), 1),
    }
    logger.info("Generated network: %s", summary)
    return summary
