"""Voice, measured without a judge: how far a set of answers is from the thinker's held-out text.

* **Burrows' Delta** on function words: each text's relative frequency of the ``FUNCTION_WORDS``
  is turned into a z-score with the mean and standard deviation of those frequencies over the
  thinker's *earlier* passages (grouped into chunks of about ``CHUNK_WORDS`` words); Delta is the
  mean absolute difference of the two texts' z-scores (Burrows 2002). 0 is the same profile;
  around 1 is typical of different authors.
* **Sentence length**: mean words per sentence, and the absolute difference.
* **Signature-vocabulary rate**: occurrences per 1,000 words of the thinker's signature words
  (measured on the earlier passages), and the absolute difference.

This module calls no model and reads no store.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FUNCTION_WORDS = tuple(
    """
    the of and to a in that is it i for you was with on as have but be they this at not are by what
    from or one all we there can so if about would an my which their more do will when up out them just
    like some no your than then its been has how our could into because very only also even much most
    such these those where who why well now here should did does any
    """.split()
)
CHUNK_WORDS = 300
_WORD = re.compile(r"[a-z']+")
_SENTENCE = re.compile(r"[.!?]+(?:\s|$)")


@dataclass(frozen=True)
class Voice:
    """The voice distances of one set of answers from the held-out text."""

    delta: float | None
    sentence_words: float
    held_out_sentence_words: float
    signature_rate: float
    held_out_signature_rate: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "burrows_delta": None if self.delta is None else round(self.delta, 3),
            "sentence_words": round(self.sentence_words, 1),
            "held_out_sentence_words": round(self.held_out_sentence_words, 1),
            "sentence_length_difference": round(abs(self.sentence_words - self.held_out_sentence_words), 1),
            "signature_per_1000_words": round(self.signature_rate, 2),
            "held_out_signature_per_1000_words": round(self.held_out_signature_rate, 2),
            "signature_rate_difference": round(abs(self.signature_rate - self.held_out_signature_rate), 2),
        }


class Stylometry:
    """Function-word statistics of the earlier passages, to measure texts against."""

    def __init__(self, earlier: Sequence[str], signature: set[str]) -> None:
        chunks = _chunks(earlier)
        table = np.array([_frequencies(c) for c in chunks]) if chunks else np.zeros((0, len(FUNCTION_WORDS)))
        self.mean = table.mean(axis=0) if len(table) else np.zeros(len(FUNCTION_WORDS))
        self.std = table.std(axis=0) if len(table) > 1 else np.zeros(len(FUNCTION_WORDS))
        self.signature = {w.lower() for w in signature}

    def delta(self, a: str, b: str) -> float | None:
        """Burrows' Delta of two texts over the function words that vary in the earlier passages."""
        usable = self.std > 0
        if not usable.any() or not _words(a) or not _words(b):
            return None
        za = (_frequencies(_words(a)) - self.mean) / np.where(usable, self.std, 1)
        zb = (_frequencies(_words(b)) - self.mean) / np.where(usable, self.std, 1)
        return float(np.abs(za - zb)[usable].mean())

    def voice(self, answers: Sequence[str], held_out: Sequence[str]) -> Voice:
        mine, theirs = " ".join(answers), " ".join(held_out)
        return Voice(
            self.delta(mine, theirs),
            sentence_words(mine),
            sentence_words(theirs),
            self.rate(mine),
            self.rate(theirs),
        )

    def rate(self, text: str) -> float:
        """Signature words per 1,000 words."""
        words = _words(text)
        return 1000 * sum(w in self.signature for w in words) / len(words) if words else 0.0


def sentence_words(text: str) -> float:
    """Mean words per sentence."""
    sentences = [s for s in _SENTENCE.split(text) if s.strip()]
    return sum(len(s.split()) for s in sentences) / len(sentences) if sentences else 0.0


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _frequencies(words: Sequence[str] | str) -> np.ndarray:
    tokens = _words(words) if isinstance(words, str) else list(words)
    counts = {w: 0 for w in FUNCTION_WORDS}
    for token in tokens:
        if token in counts:
            counts[token] += 1
    total = max(1, len(tokens))
    return np.array([counts[w] / total for w in FUNCTION_WORDS])


def _chunks(texts: Sequence[str]) -> list[list[str]]:
    chunks: list[list[str]] = [[]]
    for text in texts:
        chunks[-1].extend(_words(text))
        if len(chunks[-1]) >= CHUNK_WORDS:
            chunks.append([])
    return [c for c in chunks if len(c) >= CHUNK_WORDS // 2]
