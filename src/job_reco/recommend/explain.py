"""Short explanations of a recommendation: the resume and ad words that matched best, and the side features that mattered.

- Words: every pair (resume word, ad word) of known words is scored by the cosine of their word
  vectors times sqrt(w_resume x w_ad), the embedder's weights (SIF: rare words count more); the best
  pairs are taken greedily, each word once. An identical word has cosine 1.
- Side features: each known side feature in turn is set to its training mean (standardised 0)
  and the change of the final score is its effect (occlusion); the largest |effect| are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from job_reco.text import DocumentEmbedder, prepare_job


class WordMatcher:
    """Best-matching word pairs by word vectors, for one embedder."""

    def __init__(self, embedder: DocumentEmbedder, index: dict[str, int] | None = None) -> None:
        self.embedder = embedder
        self.index = index if index is not None else {word: i for i, word in enumerate(embedder.words)}

    def _known(self, tokens: Sequence[str]) -> tuple[list[str], np.ndarray]:
        words = [t for t in dict.fromkeys(tokens) if t in self.index]
        return words, np.array([self.index[w] for w in words], dtype=np.int64)

    def best_pairs(self, resume_tokens: Sequence[str], job_text: str, n: int = 3) -> list[tuple[str, str, float]]:
        """Up to n (resume word, ad word, cosine) pairs, best first, each word used once."""
        r_words, r_index = self._known(resume_tokens)
        a_words, a_index = self._known(prepare_job(job_text, None))
        if not r_words or not a_words or n <= 0:
            return []

        def unit(index: np.ndarray) -> np.ndarray:
            v = self.embedder.vectors[index].astype(np.float64)
            return v / np.maximum(np.linalg.norm(v, axis=1, keepdims=True), 1e-12)

        cosine = unit(r_index) @ unit(a_index).T
        weight = np.sqrt(np.outer(self.embedder.weights[r_index], self.embedder.weights[a_index]))
        value = cosine * weight
        pairs: list[tuple[str, str, float]] = []
        for flat in np.argsort(-value, axis=None, kind="stable"):
            i, j = divmod(int(flat), len(a_words))
            if all(r_words[i] != p[0] and a_words[j] != p[1] for p in pairs):
                pairs.append((r_words[i], a_words[j], round(float(cosine[i, j]), 3)))
                if len(pairs) == n:
                    break
        return pairs


def side_effects(
    score: Callable[[np.ndarray], np.ndarray], features: np.ndarray, columns: dict[str, int], n: int = 3
) -> list[list[tuple[str, float]]]:
    """Per row, up to n (feature, effect on the score) with the largest |effect|; effect = score - score with the feature at its mean.

    The rows and their occluded copies are scored in one call.
    """
    rows = features.shape[0]
    stacked = np.repeat(features[None, :, :], len(columns) + 1, axis=0)
    for k, column in enumerate(columns.values(), start=1):
        stacked[k, :, column] = 0.0
    scores = score(stacked.reshape(-1, features.shape[1])).reshape(len(columns) + 1, rows)
    effects = (scores[0][None, :] - scores[1:]).T  # (rows, features)
    names = list(columns)
    out = []
    for row in effects:
        order = [k for k in np.argsort(-np.abs(row), kind="stable")[:n] if abs(row[k]) >= 1e-3]
        out.append([(names[k], round(float(row[k]), 3)) for k in order])
    return out


def describe(words: list[tuple[str, str, float]], effects: list[tuple[str, float]]) -> str:
    """One line: 'words: nurse=nurse, patient~care (0.71); side: log_distance_km -0.42'."""
    shown = ", ".join(f"{r}={a}" if r == a else f"{r}~{a} ({c:.2f})" for r, a, c in words) or "none"
    side = ", ".join(f"{name} {effect:+.2f}" for name, effect in effects)
    return f"words: {shown}" + (f"; side: {side}" if side else "")
