"""Distinctive vocabulary between two thinkers: the log-odds ratio with an informative Dirichlet prior.

Monroe, Colaresi & Quinn (2008), "Fightin' Words", section 3.5: for each word w with counts
y_a, y_b in the two corpora (n_a, n_b tokens in all) and a prior α_w taken from the pooled
corpus (α_w = α₀ · (y_a + y_b) / (n_a + n_b), α₀ = ``PRIOR_SHARE`` · (n_a + n_b)),

    δ_w = log((y_a + α_w) / (n_a + α₀ − y_a − α_w)) − log((y_b + α_w) / (n_b + α₀ − y_b − α_w))
    σ²(δ_w) ≈ 1 / (y_a + α_w) + 1 / (y_b + α_w)

and a word is ranked by z = δ_w / σ(δ_w): positive for A's words, negative for B's. The prior
shrinks rare words towards no difference, so a word used twice by one side and never by the
other does not top the list, and swapping A and B flips every z-score's sign exactly.

Words are the own-word label words of ``distill.prose.words`` (no code, URLs or markup), never a
stop word, a filler, or either thinker's own name; a word must appear in at least
``MIN_DOCUMENTS`` documents of the side it is distinctive for, and its |z| must reach ``MIN_Z``.

This module reads no store: it takes the two sides' own-word passages.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any

from ..distill.own import OwnPassage
from ..distill.prose import lower_words
from ..distill.topics import STOP_WORDS, labelable, own_words

PRIOR_SHARE = 0.1  # α₀ as a share of the pooled tokens: how strongly rare words are shrunk
MIN_DOCUMENTS = 3
MIN_Z = 1.96  # |z| below this (p > 0.05, two-sided) separates nothing worth listing
LIMIT = 25


@dataclass(frozen=True)
class DistinctiveWord:
    """A word that separates the two sides, with both sides' counts and a passage using it."""

    word: str
    z: float
    count_a: int
    count_b: int
    documents_a: int
    documents_b: int
    example: OwnPassage | None = None  # the first passage of the side using it

    @property
    def side(self) -> str:
        return "a" if self.z > 0 else "b"

    def as_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "z": round(self.z, 2),
            "count_a": self.count_a,
            "count_b": self.count_b,
            "documents_a": self.documents_a,
            "documents_b": self.documents_b,
            "example": self.example.as_example() if self.example else None,
        }


@dataclass
class SideCounts:
    """One side's word counts (tokens) and documents per word."""

    counts: Counter[str]
    documents: Counter[str]
    total: int


def count_words(passages: Sequence[OwnPassage]) -> SideCounts:
    """Count the label words of ``passages`` (lower-cased): tokens, and documents using each word."""
    by_document: dict[str, list[str]] = {}
    for passage in passages:
        by_document.setdefault(passage.document_id, []).extend(lower_words(passage.text))
    counts = Counter(chain.from_iterable(by_document.values()))
    documents = Counter(chain.from_iterable(map(set, by_document.values())))
    return SideCounts(counts, documents, sum(counts.values()))


def first_passages(passages: Sequence[OwnPassage], words: set[str]) -> dict[str, OwnPassage]:
    """The first passage using each of ``words``."""
    first: dict[str, OwnPassage] = {}
    for passage in passages:
        for word in words.intersection(lower_words(passage.text)):
            first.setdefault(word, passage)
        if len(first) == len(words):
            break
    return first


def distinctive_words(
    a: Sequence[OwnPassage], b: Sequence[OwnPassage], own_names: set[str], limit: int = LIMIT
) -> tuple[list[DistinctiveWord], list[DistinctiveWord]]:
    """A's ``limit`` most distinctive words (highest z first) and B's (lowest z first)."""
    side_a, side_b = count_words(a), count_words(b)
    own = own_words(own_names)
    scored = [
        _score(word, side_a, side_b)
        for word in side_a.counts.keys() | side_b.counts.keys()
        if _enough(word, side_a, side_b) and word not in STOP_WORDS and labelable(word, own)
    ]
    for_a = sorted((w for w in scored if w.z >= MIN_Z and w.documents_a >= MIN_DOCUMENTS), key=lambda w: (-w.z, w.word))
    for_b = sorted((w for w in scored if w.z <= -MIN_Z and w.documents_b >= MIN_DOCUMENTS), key=lambda w: (w.z, w.word))
    return _with_examples(for_a[:limit], a), _with_examples(for_b[:limit], b)


def _with_examples(words: list[DistinctiveWord], passages: Sequence[OwnPassage]) -> list[DistinctiveWord]:
    first = first_passages(passages, {w.word for w in words})
    return [replace(w, example=first[w.word]) for w in words]


def _enough(word: str, a: SideCounts, b: SideCounts) -> bool:
    return a.documents[word] >= MIN_DOCUMENTS or b.documents[word] >= MIN_DOCUMENTS


def log_odds_z(y_a: float, y_b: float, n_a: float, n_b: float) -> float:
    """The z-score of one word's log-odds ratio under the pooled informative Dirichlet prior."""
    if y_a + y_b <= 0:
        return 0.0  # a word neither side uses separates nothing
    prior = PRIOR_SHARE * (n_a + n_b)
    alpha = prior * (y_a + y_b) / max(1.0, n_a + n_b)
    delta = _log_odds(y_a + alpha, n_a + prior) - _log_odds(y_b + alpha, n_b + prior)
    return delta / math.sqrt(1 / (y_a + alpha) + 1 / (y_b + alpha))


def _log_odds(count: float, total: float) -> float:
    return math.log(count / max(total - count, 1e-9))


def _score(word: str, a: SideCounts, b: SideCounts) -> DistinctiveWord:
    y_a, y_b = a.counts[word], b.counts[word]
    return DistinctiveWord(word, log_odds_z(y_a, y_b, a.total, b.total), y_a, y_b, a.documents[word], b.documents[word])
