"""Predictions: sentences in the thinker's own words that state an expectation about the future.

A sentence qualifies when it carries a forecast cue ("I expect", "I predict", "I bet", "by 2030",
"in ten years", "eventually", "will probably", "is going to change"…) and none of the marks of
narration or instruction that use the same words: a question, a tutorial's "we will now …",
"let's", "you'll need to", or code behaviour ("this will print", "will return"). Each keeps
its date made, its horizon when it states one, the passage, and the later own-word passages
that revisit the same claim: close to it in meaning (cosine of passage vectors) and sharing at
least two of its distinctive words. Those are candidate evidence for resolving it, not verdicts.

This module reads own words only (``own.py``); it does not decide whether a prediction came true.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from wordfreq import zipf_frequency

from .own import OwnPassage
from .prose import words
from .topics import STOP_WORDS
from .vectors import Matrix

SENTENCE = re.compile(r"[^.!?\n]{20,400}[.!?]?")
FORECAST = re.compile(
    r"\b(?:by (?:19|20)\d\d|in (?:\d+|a few|the next|the coming|ten|five|two|three|twenty) (?:years|decades|months)|"
    r"(?:this|the next|the coming) decade|the decade of|"
    r"i (?:expect|predict|bet|suspect|anticipate|forecast)|(?:my|a) (?:prediction|bet|guess) is|"
    r"i (?:think|believe|suspect|feel|imagine)\b[^.]{0,80}\b(?:will|won't|is going to|are going to)\b|"
    r"eventually|in the (?:near |long )?(?:future|term)|one day|sooner or later|some day|someday|"
    r"will (?:soon|probably|likely|eventually|never|inevitably|increasingly|almost certainly|"
    r"become|be able|replace|change|take over|look like|disappear|win|matter|dominate)|"
    r"(?:is|are) (?:going|about|likely|bound) to (?:be|change|become|happen|replace|take|get|win|matter))\b",
    re.IGNORECASE,
)
NARRATION = re.compile(
    r"\b(?:let's|let us|we(?:'ll| will| are going to|'re going to) (?:now|then|next|also|just|see|look|"
    r"implement|build|write|take|start|go|use|need|have|get|do|talk|come|try|train|cover)|"
    r"you(?:'ll| will) (?:need|see|notice|find|want|have|get)|in the next (?:section|video|lecture|post|step|part)|"
    r"this will (?:print|return|output|install|create|run|open|give you)|will (?:return|print|output|raise)|"
    r"(?:function|method|script|command|variable|loop|call|file) will)\b",
    re.IGNORECASE,
)
HORIZON = re.compile(
    r"\b(?:by (?:19|20)\d\d|in (?:\d+|a few|the next|the coming|ten|five|two|three|twenty) (?:years|decades|months)|"
    r"(?:this|the next|the coming) (?:decade|year)|the decade of \w+)\b",
    re.IGNORECASE,
)
LIMIT = 100
REVISITS = 3
REVISIT_COSINE = 0.55
SHARED_WORDS = 2
DISTINCTIVE_ZIPF = 4.5


@dataclass
class Prediction:
    """A forecast sentence with its passage, date, horizon and later passages on the same claim."""

    text: str
    made: str | None
    horizon: str | None
    passage: OwnPassage
    index: int
    revisits: list[OwnPassage] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "made": self.made,
            "horizon": self.horizon,
            "status": "open",
            "own_words": True,
            "source": self.passage.as_example(),
            "revisits": [p.as_example() for p in self.revisits],
        }


def predictions_in(passage: OwnPassage, index: int, limit_chars: int = 300) -> list[Prediction]:
    """The forecast sentences of one own-word passage (``index``: its row in the passage list)."""
    found = []
    for match in SENTENCE.finditer(passage.text):
        sentence = " ".join(match.group(0).split())
        if sentence.endswith("?") or not FORECAST.search(sentence) or NARRATION.search(sentence):
            continue
        horizon = HORIZON.search(sentence)
        made = (passage.published_at or "")[:10] or None
        found.append(
            Prediction(sentence[:limit_chars], made, horizon.group(0) if horizon else None, passage, index)
        )
    return found


def find_predictions(passages: list[OwnPassage], vectors: Matrix, limit: int = LIMIT) -> list[Prediction]:
    """Forecasts from own words, dated ones with a horizon first, each with its revisits."""
    found: list[Prediction] = []
    seen: set[str] = set()
    for i, passage in enumerate(passages):
        for prediction in predictions_in(passage, i):
            key = prediction.text.lower()[:80]
            if key not in seen:
                seen.add(key)
                found.append(prediction)
    ranked = sorted(found, key=lambda p: (p.made is None, p.horizon is None, p.made or "", p.index))[:limit]
    for prediction in ranked:
        prediction.revisits = revisits(prediction, passages, vectors)
    return ranked


def revisits(prediction: Prediction, passages: list[OwnPassage], vectors: Matrix) -> list[OwnPassage]:
    """Later own-word passages of other documents close to the prediction's passage in meaning
    that share at least ``SHARED_WORDS`` of the prediction's distinctive words. ``passages`` are
    in date order (undated first), as ``own_passages`` returns them."""
    distinctive = _distinctive(prediction.text)
    if not prediction.made or not len(vectors) or len(distinctive) < SHARED_WORDS:
        return []
    dates = [(p.published_at or "")[:10] for p in passages]
    start = bisect.bisect_right(dates, prediction.made)
    closeness = vectors[start:] @ vectors[prediction.index]
    out: list[OwnPassage] = []
    for j in np.argsort(-closeness, kind="stable"):
        if closeness[j] < REVISIT_COSINE or len(out) == REVISITS:
            break
        candidate = passages[start + int(j)]
        if candidate.document_id != prediction.passage.document_id and len(distinctive & set(candidate.words)) >= SHARED_WORDS:
            out.append(candidate)
    return out


def _distinctive(sentence: str) -> set[str]:
    return {w for w in words(sentence) if w not in STOP_WORDS and zipf_frequency(w, "en") < DISTINCTIVE_ZIPF}
