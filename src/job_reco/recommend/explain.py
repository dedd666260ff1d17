"""Short explanations of a recommendation: the resume and ad words that matched best, and the side features that mattered.

- Words: every pair (resume word, ad word) of known words is scored by the cosine of their word
  vectors times sqrt(w_resume x w_ad), the embedder's weights (SIF: rare words count more); the best
  pairs are taken greedily, each word once. An identical word has cosine 1.
- Side features: each known side feature in turn is set to its training mean (standardised 0)
  and the change of the final score is its effect (occlusion); the largest |effect| are kept.
- Reasons: the side features that say one thing to a person are occluded together (distance,
  its missing flag and remote are one place; level, level gap and years one level; ...), and the
  groups that moved the score most are told in words from the row's own values: "12 km from
  Houston", "posted 3 days ago", "matches your current title: Registered Nurse", "senior role; you
  have 7 years", "pay 12% above the median of ads with this title", "often chosen by seekers". Those that
  raised the score come first, those that lowered it after "but". Only the row's ad facts, the
  seeker's given place and the job titles of the scrubbed resume are told; nothing is logged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from job_reco.columns import POSTED_AT
from job_reco.geo import haversine_km
from job_reco.models.features import age_days, level_index, one_resume_title_features
from job_reco.text import DocumentEmbedder, prepare_job

if TYPE_CHECKING:
    from job_reco.recommend.resume import PreparedResume


class WordMatcher:
    """Best-matching word pairs by word vectors, for one embedder; the known words of the last `ads_kept` ad texts read kept."""

    def __init__(self, embedder: DocumentEmbedder, index: dict[str, int] | None = None, *, ads_kept: int = 4096) -> None:
        self.embedder = embedder
        self.index = index if index is not None else {word: i for i, word in enumerate(embedder.words)}
        self.ads_kept = int(ads_kept)
        self._ads: dict[str, tuple[list[str], np.ndarray]] = {}  # ad text -> its known words, oldest first

    def _known(self, tokens: Sequence[str]) -> tuple[list[str], np.ndarray]:
        words = [t for t in dict.fromkeys(tokens) if t in self.index]
        return words, np.array([self.index[w] for w in words], dtype=np.int64)

    def _ad_words(self, text: str) -> tuple[list[str], np.ndarray]:
        """The known words of an ad's text (`prepare_job`), kept for the last `ads_kept` texts read.

        Single dict operations only (each atomic), so requests on several threads may share it.
        """
        found = self._ads.get(text)
        if found is None:
            found = self._known(prepare_job(text, None))
            while len(self._ads) >= self.ads_kept:
                try:
                    self._ads.pop(next(iter(self._ads)), None)
                except (StopIteration, RuntimeError):  # emptied, or changed by another request meanwhile
                    break
            self._ads[text] = found
        return found

    def _unit(self, index: np.ndarray) -> np.ndarray:
        v = self.embedder.vectors[index].astype(np.float64)
        return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

    def best_pairs(self, resume_tokens: Sequence[str], job_text: str, n: int = 3) -> list[tuple[str, str, float]]:
        """Up to n (resume word, ad word, cosine) pairs, best first, each word used once."""
        return self.best_pairs_of_ads(resume_tokens, [job_text], n)[0]

    def best_pairs_of_ads(self, resume_tokens: Sequence[str], job_texts: Sequence[str], n: int = 3) -> list[list[tuple[str, str, float]]]:
        """`best_pairs` of one resume with each of several ads (the resume's words looked up once)."""
        r_words, r_index = self._known(resume_tokens)
        if not r_words or n <= 0:
            return [[] for _ in job_texts]
        r_unit, r_weight = self._unit(r_index), self.embedder.weights[r_index]
        out = []
        for text in job_texts:
            a_words, a_index = self._ad_words(text)
            if not a_words:
                out.append([])
                continue
            cosine = r_unit @ self._unit(a_index).T
            value = cosine * np.sqrt(np.outer(r_weight, self.embedder.weights[a_index]))
            out.append([(r_words[i], a_words[j], round(float(cosine[i, j]), 3)) for i, j in _greedy_pairs(value, n)])
        return out


def _greedy_pairs(value: np.ndarray, n: int) -> list[tuple[int, int]]:
    """Up to n (row, column) of the largest values, each row and column once, taken greedily; ties to the first
    in row-major order (NaN last)."""
    if n <= 0:
        return []
    if not np.isfinite(value).all():  # the rare case: walk the whole order, NaN at its end
        pairs: list[tuple[int, int]] = []
        for flat in np.argsort(-value, axis=None, kind="stable"):
            i, j = divmod(int(flat), value.shape[1])
            if all(i != p[0] and j != p[1] for p in pairs):
                pairs.append((i, j))
                if len(pairs) == n:
                    break
        return pairs
    left = value.copy()
    pairs = []
    for _ in range(min(n, *value.shape)):  # the first largest of what is left (argmax: the first of ties)
        i, j = divmod(int(np.argmax(left)), value.shape[1])
        pairs.append((i, j))
        left[i, :] = -np.inf  # below every finite value: a used row or column is never taken again
        left[:, j] = -np.inf
    return pairs


def side_effects(
    score: Callable[[np.ndarray], np.ndarray], features: np.ndarray, columns: Mapping[str, int | Sequence[int]], n: int = 3
) -> list[list[tuple[str, float]]]:
    """Per row, up to n (name, effect on the score) with the largest |effect|; effect = score - score with the
    named feature (or all features of the named group) at its mean.

    The rows and their occluded copies are scored in one call.
    """
    rows = features.shape[0]
    stacked = np.repeat(features[None, :, :], len(columns) + 1, axis=0)
    for k, column in enumerate(columns.values(), start=1):
        stacked[k][:, np.atleast_1d(column)] = 0.0
    scores = score(stacked.reshape(-1, features.shape[1])).reshape(len(columns) + 1, rows)
    effects = (scores[0][None, :] - scores[1:]).T  # (rows, features)
    names = list(columns)
    out = []
    for row in effects:
        order = [k for k in np.argsort(-np.abs(row), kind="stable")[:n] if abs(row[k]) >= 1e-3]
        out.append([(names[k], round(float(row[k]), 3)) for k in order])
    return out


# Side features told as one reason, in the model's terms: their joint occlusion is the reason's effect.
# The section cosines (best_section_cosine, current_section_cosine) are not told: on the ads shown they
# correct the cosine the model already counts (they lowered the score in 98-99% of the top-10 rows of 60
# default-network resumes, the closer the ad the more), which in words would read "but like your
# current role"; they stay in `side_features`, and the matched words say how close the texts are.
REASON_GROUPS = {
    "place": ("log_distance_km", "distance_missing", "remote"),
    "current_title": ("current_title_match", "current_title_exact"),
    "past_title": ("past_title_match", "past_title_exact"),
    "title_pair": ("log_title_pair_appeal",),
    "level": ("level", "level_gap", "log_years"),
    "pay": ("log_pay_ratio", "pay_missing"),
    "age": ("log_age_days",),
    "appeal": ("log_job_appeal",),
    "searches": ("named_other_city",),
}


def reason_groups(columns: Mapping[str, int]) -> dict[str, list[int]]:
    """{reason: the feature columns it occludes} for the reasons with at least one known feature."""
    groups = {name: [columns[f] for f in features if f in columns] for name, features in REASON_GROUPS.items()}
    return {name: cols for name, cols in groups.items() if cols}


@dataclass
class RowFacts:
    """What a person can read about one (resume, ad) row; NaN or None where the row does not say."""

    place: str | None = None  # the seeker's place as given ("Houston"), None for coordinates only
    km: float = float("nan")
    remote: bool = False
    days: float = float("nan")
    level: str | None = None
    years: float = float("nan")
    pay_ratio: float = float("nan")
    pay_reference: str = "similar ads"  # whose median: "ads with this title" or "all ads"
    appeal: float = float("nan")  # the ad's clicks over the clicks its match predicts (`models.appeal`)
    pair_appeal: float = float("nan")  # the same for ads of its title among seekers of the current title
    current_title: str | None = None
    current_title_share: float = 0.0
    past_title: str | None = None
    past_title_share: float = 0.0


def _years(years: float) -> str:
    return "1 year" if round(years) == 1 else f"{years:.0f} years"


def _match(share: float, title: str | None, which: str) -> str:
    named = f": {title}" if title else ""
    if share >= 0.999:
        return f"matches your {which} title{named}"
    if share > 0:
        return f"close to your {which} title{named}"
    return f"not your {which} title{named}"


def _appeal(ratio: float, who: str) -> str:
    if np.isnan(ratio):
        return f"how often {who} choose it is unknown"
    if abs(ratio - 1.0) < 0.05:
        return f"chosen by {who} as often as its match predicts"
    return f"{'often' if ratio > 1 else 'seldom'} chosen by {who} ({ratio:.1f}x what its match predicts)"


def phrase(reason: str, facts: RowFacts) -> str:
    """One reason in words, from the row's values (see the module docstring)."""
    if reason == "place":
        if facts.remote:
            return "remote"
        if np.isnan(facts.km):
            return "the ad gives no place"
        where = f"from {facts.place}" if facts.place else "away"
        return f"in {facts.place}" if facts.place and facts.km < 1 else f"{facts.km:,.0f} km {where}"
    if reason == "age":
        if np.isnan(facts.days):
            return "posting date unknown"
        return "posted today" if facts.days < 1 else "posted yesterday" if facts.days < 2 else f"posted {facts.days:.0f} days ago"
    if reason == "current_title":
        return _match(facts.current_title_share, facts.current_title, "current")
    if reason == "past_title":
        return _match(facts.past_title_share, facts.past_title, "past") if facts.past_title else "none of your past titles"
    if reason == "level":
        have = f"you have {_years(facts.years)}" if not np.isnan(facts.years) else "your years unknown"
        return f"{facts.level} role; {have}" if facts.level else have
    if reason == "pay":
        if np.isnan(facts.pay_ratio):
            return "no pay given"
        change = 100.0 * (facts.pay_ratio - 1.0)
        if abs(change) < 1:
            return f"pay at the median of {facts.pay_reference}"
        return f"pay {abs(change):.0f}% {'above' if change > 0 else 'below'} the median of {facts.pay_reference}"
    if reason == "appeal":
        return _appeal(facts.appeal, "seekers")
    if reason == "title_pair":
        return _appeal(facts.pair_appeal, f"seekers titled {facts.current_title}" if facts.current_title else "seekers like you")
    if reason == "searches":
        return "you searched other cities"
    return reason


_LEVEL_WORDS = {0: "entry-level", 1: "mid-level", 2: "senior", 3: "lead"}


def row_facts(
    side: pd.DataFrame, resume: PreparedResume, as_of: pd.Timestamp, all_ads_pay: float,
    ad_keys: Sequence[str], ad_words: Sequence[frozenset[str]],
) -> list[RowFacts]:
    """RowFacts of shown rows of one resume; `side`: the ads' side columns (`JobTable.side` rows); `all_ads_pay`: the
    median pay midpoint of all candidate ads, the reference of a title with few ads (`features.pay_reference`);
    `ad_keys`, `ad_words`: the same ads' title keys and their words (`JobTable.title_key`, `JobTable.title_words`)."""
    n = len(side)

    def number(column: str) -> np.ndarray:
        return pd.to_numeric(side[column], errors="coerce").to_numpy(np.float64) if column in side else np.full(n, np.nan)

    km = haversine_km(np.full(n, resume.latitude), np.full(n, resume.longitude), number("job_latitude"), number("job_longitude"))
    remote = side["remote"].astype("boolean").fillna(False).to_numpy(bool) if "remote" in side else np.zeros(n, bool)
    days = age_days(side[POSTED_AT], pd.Series([as_of] * n, index=side.index)) if POSTED_AT in side else np.full(n, np.nan)
    level = level_index(side["level"]) if "level" in side else np.full(n, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        pay = number("salary_mid") / number("pay_reference")
    by_title = number("pay_reference") != all_ads_pay  # equal: either way the figure is all ads' median
    titles = list(resume.titles)
    appeal = number("job_appeal")

    def share(title: str) -> np.ndarray:
        return one_resume_title_features([title], ad_keys, ad_words)["current_title_match"]

    current = share(titles[0]) if titles else np.zeros(n)
    past = np.stack([share(t) for t in titles[1:]]) if len(titles) > 1 else np.zeros((0, n))
    out = []
    for i in range(n):
        best_past = int(past[:, i].argmax()) if len(past) else -1
        out.append(RowFacts(
            place=resume.place, km=float(km[i]), remote=bool(remote[i]), days=float(days[i]),
            level=_LEVEL_WORDS.get(int(level[i])) if np.isfinite(level[i]) else None, years=float(resume.years),
            pay_ratio=float(pay[i]) if np.isfinite(pay[i]) else float("nan"),
            pay_reference="ads with this title" if by_title[i] else "all ads", appeal=float(appeal[i]),
            current_title=titles[0] if titles else None, current_title_share=float(current[i]),
            past_title=titles[1 + best_past] if best_past >= 0 else None,
            past_title_share=float(past[best_past, i]) if best_past >= 0 else 0.0,
        ))
    return out


def reasons(effects: list[tuple[str, float]], facts: RowFacts) -> list[tuple[str, float]]:
    """(reason in words, its effect on the score): those that raised it first, then those that lowered it."""
    told = [(phrase(name, facts), effect) for name, effect in effects]
    return [r for r in told if r[1] > 0] + [r for r in told if r[1] <= 0]


def describe(words: list[tuple[str, str, float]], told: list[tuple[str, float]]) -> str:
    """One line: 'matches your current title: Registered Nurse · 12 km from Houston · but posted 40 days ago · words: nurse, patient~care'."""
    parts = [text for text, effect in told if effect > 0]
    against = [text for text, effect in told if effect <= 0]
    if against:
        parts.append("but " + " · ".join(against))
    shown = ", ".join(r if r == a else f"{r}~{a}" for r, a, _ in words)
    parts.append(f"words: {shown or 'none'}")
    return " · ".join(parts)
