"""Signature vocabulary: the words a thinker uses far more often than everyday English does.

Each own-word token is counted (``prose.words``); a word's log-odds in the corpus is compared
with its log-odds in everyday English (wordfreq's frequency, read as counts in a reference of
``REFERENCE_TOKENS`` tokens), with add-½ smoothing on both sides, and divided by the estimated
standard deviation (Monroe, Colaresi & Quinn 2008, "Fightin' Words", with the reference as the
second corpus). Words the thinker uses in fewer than ``MIN_DOCUMENTS`` documents, stop words,
markup residue and the thinker's own name are left out.

This module does not find phrases or topics; it ranks single words.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import Any

from wordfreq import word_frequency

from .own import OwnPassage
from .topics import STOP_WORDS, labelable, own_words

REFERENCE_TOKENS = 1e9
MIN_DOCUMENTS = 3
LIMIT = 30


@dataclass(frozen=True)
class SignatureWord:
    """A word with its count, documents, z-score and how many times more often than in English."""

    word: str
    count: int
    documents: int
    z: float
    ratio: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "word": self.word,
            "count": self.count,
            "documents": self.documents,
            "z": round(self.z, 1),
            "times_everyday_english": round(self.ratio, 1),
        }


def signature_vocabulary(passages: list[OwnPassage], own_names: set[str], limit: int = LIMIT) -> list[SignatureWord]:
    """The ``limit`` words with the highest log-odds z-score against everyday English."""
    counts: Counter[str] = Counter()
    documents: dict[str, set[str]] = {}
    for passage in passages:
        found = passage.words
        counts.update(found)
        for word in set(found):
            documents.setdefault(word, set()).add(passage.document_id)
    total = sum(counts.values())
    own = own_words(own_names)
    scored = [
        _score(word, n, len(documents[word]), total)
        for word, n in counts.items()
        if len(documents[word]) >= MIN_DOCUMENTS and word.lower() not in STOP_WORDS and labelable(word, own)
    ]
    return sorted(scored, key=lambda s: (-s.z, s.word))[:limit]


def _score(word: str, count: int, documents: int, total: int) -> SignatureWord:
    reference = word_frequency(word.lower(), "en") * REFERENCE_TOKENS
    delta = _log_odds(count, total) - _log_odds(reference, REFERENCE_TOKENS)
    z = delta / math.sqrt(1 / (count + 0.5) + 1 / (reference + 0.5))
    ratio = (count / total) / max(reference / REFERENCE_TOKENS, 0.5 / REFERENCE_TOKENS)
    return SignatureWord(word, count, documents, z, ratio)


def _log_odds(count: float, total: float) -> float:
    return math.log((count + 0.5) / (total - count + 0.5))
