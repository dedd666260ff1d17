"""The title rules of the side features: a title's key, the resume's titles against the ad's.

One home for each rule, used by modeling on every training row (pandas and Arrow columns) and by
`recommend` on a request's few candidates (`one_resume_title_features`, the same rules without the
frames; tests compare the two).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_LEVEL_WORDS = re.compile(
    r"\b(junior|jr|senior|sr|lead|principal|head|entry[- ]level|mid[- ]level|trainee|intern|experienced)\b\.?", re.IGNORECASE
)
# What an ad appends to its title: " - Night Shift", " | Remote", " (Part-Time)" and all after.
_TITLE_TAIL = re.compile(r"\s+[-–—|]\s+.*$|\s*\(.*$")
_NOT_WORD = re.compile(r"[^a-z0-9]+")


def title_containment(resume_titles: pd.Series, job_titles: pd.Series, *, current: bool | None) -> np.ndarray:
    """Per row, the share of the words of a resume title (title_key) that the ad's title key has.

    `current`: the first title (the job held now); False: the best of the other titles; None: the best
    of all (a seeker's queries). 0 without a title.
    """
    chosen = _chosen_titles(resume_titles, current)
    row_of_title = pc.list_parent_indices(chosen).to_numpy()
    title, word = _key_words(pd.Series(pc.list_flatten(chosen).to_pandas(), dtype=object))
    ad, ad_word = _key_words(job_titles)
    # Words as integers and (row, word) pairs as one integer each: a title's word is in its row's ad
    # if its pair is among the ad's pairs.
    codes, vocabulary = pd.factorize(np.concatenate([word, ad_word]))
    pairs = row_of_title[title] * len(vocabulary) + codes[: len(word)]
    found = pd.Series(pairs).isin(ad * len(vocabulary) + codes[len(word) :]).to_numpy()
    words_found = np.bincount(title, weights=found, minlength=len(row_of_title))
    words = np.bincount(title, minlength=len(row_of_title))
    out = np.zeros(len(job_titles), dtype=np.float64)
    np.maximum.at(out, row_of_title, np.divide(words_found, words, out=np.zeros(len(words)), where=words > 0))
    return out


def title_exact(resume_titles: pd.Series, job_titles: pd.Series, *, current: bool) -> np.ndarray:
    """Per row, 1 if a resume title has the ad's title key (`title_key`, not empty), else 0.

    `current`: the first title (the job held now); else any of the other titles. Where the word
    share (`title_containment`) counts "nurse" in "nurse practitioner" as a match, this does not.
    """
    chosen = _chosen_titles(resume_titles, current)
    row_of_title = pc.list_parent_indices(chosen).to_numpy()
    keys = _keys(pd.Series(pc.list_flatten(chosen).to_pandas(), dtype=object))
    ads = _keys(job_titles).to_numpy(dtype=object)[row_of_title]
    same = (keys.to_numpy(dtype=object) == ads) & (keys.to_numpy(dtype=object) != "")
    out = np.zeros(len(job_titles), dtype=np.float64)
    np.maximum.at(out, row_of_title, same.astype(np.float64))
    return out


def title_pair_key(resume_titles: pd.Series, job_titles: pd.Series) -> pd.Series:
    """"<current title key> | <ad title key>" per row (`title_key`), the key of `log_title_pair_appeal`; None
    where the resume names no current title or either key is empty."""
    current = _chosen_titles(resume_titles, True)
    rows = pc.list_parent_indices(current).to_numpy()
    keys = np.full(len(job_titles), "", dtype=object)
    keys[rows] = _keys(pd.Series(pc.list_flatten(current).to_pandas(), dtype=object)).to_numpy(dtype=object)
    ads = _keys(job_titles).to_numpy(dtype=object)
    pairs = np.where((keys != "") & (ads != ""), keys + " | " + ads, None)
    return pd.Series(pairs, index=job_titles.index, dtype=object)


def _chosen_titles(resume_titles: pd.Series, current: bool | None) -> pa.ListArray:
    """Each row's first title (current), its other titles (False), or all of them (None), as Arrow lists."""
    titles = _string_lists(resume_titles)
    if current is None:
        return titles
    return pc.list_slice(titles, 0, 1) if current else pc.list_slice(titles, 1)


def _keys(titles: pd.Series) -> pd.Series:
    """title_key of each title, computed once per distinct title."""
    codes, distinct = pd.factorize(titles.fillna("").astype(str))
    keys = title_key(pd.Series(distinct, dtype=object)).to_numpy(dtype=object)
    return pd.Series(np.append(keys, "")[codes], index=titles.index, dtype=object)


def _string_lists(values: pd.Series) -> pa.ListArray:
    """A column of string lists (None or NaN for none) as one Arrow list array, Arrow-backed or objects.

    A column of numbers only (all NaN: a request that cannot give the lists) is all nulls.
    """
    values = pd.Series(values)
    if not isinstance(values.dtype, pd.ArrowDtype) and values.dtype != object:
        return pa.nulls(len(values), type=pa.list_(pa.string()))
    lists = pa.array(values, type=pa.list_(pa.string()))
    return lists.combine_chunks() if isinstance(lists, pa.ChunkedArray) else lists


def _key_words(titles: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(title's position in `titles`, word) for each distinct word of each title's key; title_key runs once per distinct title."""
    codes, distinct = pd.factorize(titles.fillna("").astype(str))
    words = title_key(pd.Series(distinct, dtype=object)).map(lambda key: sorted(set(key.split()))).explode().dropna()
    per_code = np.bincount(words.index.to_numpy(np.int64), minlength=len(distinct))
    per_title = per_code[codes]
    title = np.repeat(np.arange(len(codes)), per_title)
    within = np.arange(len(title)) - np.repeat(np.cumsum(per_title) - per_title, per_title)
    first = (np.cumsum(per_code) - per_code)[codes]
    return title, words.to_numpy(dtype=object)[np.repeat(first, per_title) + within]


def title_key(titles: pd.Series) -> pd.Series:
    """A title without what an ad appends (" - Night Shift", " (Remote)"), level words and punctuation, lower case:
    ads of one job family share it. `title_key_text` of each distinct title."""
    codes, distinct = pd.factorize(titles.fillna("").astype(str))
    keys = np.array([title_key_text(title) for title in distinct] + [""], dtype=object)
    return pd.Series(keys[codes], index=titles.index, dtype=object)


def title_key_text(title: str | None) -> str:
    """`title_key` of one title (None: "")."""
    cleaned = _LEVEL_WORDS.sub(" ", _TITLE_TAIL.sub("", "" if title is None else str(title))).lower()
    return _NOT_WORD.sub(" ", cleaned).strip()


def title_words(key: str) -> frozenset[str]:
    """The distinct words of a title key: what `title_containment` counts."""
    return frozenset(key.split())


def one_resume_title_features(titles: Sequence[str | None], ad_keys: Sequence[str],
                              ad_words: Sequence[frozenset[str]]) -> dict[str, np.ndarray]:
    """The title features of one resume's titles (newest first) against many ads, from each ad's `title_key` and its
    `title_words`: current_title_match, past_title_match (`title_containment`), current_title_exact,
    past_title_exact (`title_exact`), and title_pair (`title_pair_key`, None where it has none).

    The same rules as those column functions, without their frames: for the few candidate ads of a request.
    """
    keys = [title_key_text(title) for title in titles]
    words = [title_words(key) for key in keys]

    def best_share(chosen: list[frozenset[str]]) -> np.ndarray:
        return np.array([max((len(w & ad) / len(w) for w in chosen if w), default=0.0) for ad in ad_words], dtype=np.float64)

    def exact(chosen: list[str]) -> np.ndarray:
        return np.array([float(bool(ad) and ad in chosen) for ad in ad_keys], dtype=np.float64)

    current = keys[0] if keys else ""
    return {
        "current_title_match": best_share(words[:1]), "past_title_match": best_share(words[1:]),
        "current_title_exact": exact(keys[:1]), "past_title_exact": exact(keys[1:]),
        "title_pair": np.array([f"{current} | {ad}" if current and ad else None for ad in ad_keys], dtype=object),
    }
