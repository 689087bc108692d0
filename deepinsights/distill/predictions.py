"""Predictions: sentences in the thinker's own words that state an expectation about the future.

A sentence qualifies when it carries a strong forecast cue ("I expect", "I predict", "I bet",
"I think … will", "in the next ten years", "the future of", "will inevitably") or a weaker one
("X will replace Y", "by 2030") in a sentence without the marks of narration or instruction
("we", "you", "let's", "this will"), and never a tutorial's "we will now …" or code behaviour
("will return"). A question is never a prediction, nor a sentence that holds anyone else's
words (a quotation inside it). Each keeps
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
from .prose import GAP, sentences, words
from .topics import STOP_WORDS
from .vectors import Matrix

MODAL = r"(?:will|won't|'ll|is going to|are going to|shall)"
YEARS = r"(?:\d+|a few|a couple of|ten|five|two|three|four|twenty|fifty|a hundred)"
# A forecast on its own: the speaker expects, predicts or bets; a horizon ahead; the future of
# something; or a modal with a word that only forecasts use.
STRONG = re.compile(
    r"\b(?:i (?:fully |also |still )?(?:expect|predict|bet|anticipate|forecast)\b"
    r"(?= to [a-z]+|[^.]{0,100}\b(?:will|'ll|won't|going to|soon|eventually|future|years|decade|next)\b)|"
    r"my (?:prediction|bet|forecast) is|"
    r"in the (?:next|coming) " + YEARS + r" (?:years|decades|months)|" + YEARS + r" years from now|"
    r"within (?:the next )?" + YEARS + r" years|(?:this|the next|the coming) decade|the decade of|"
    r"the future of)\b",
    re.IGNORECASE,
)
# Every forecast looks ahead in its own words: a future modal, "to <verb>" after an expectation,
# or a word of time ahead. Case-sensitive "future": "the Future of Web Apps" is a conference.
AHEAD = re.compile(
    r"\b(?:will|'ll|won't|going to|gonna|shall|soon|eventually|someday|sooner or later|next|coming|future|"
    r"years from now|(?:expect|anticipate)\w* (?:it |them |this |that |these )?to)\b"
    r"|\bby (?:19|20)\d\d\b"
)
# Weaker: the speaker's belief about what will happen, or the world changing ("X will replace
# Y", "will soon"); counted only in a sentence without the marks of narration.
WEAK = re.compile(
    r"\b(?:i(?:'m| am) (?:confident|convinced|certain|sure) (?:that )?[^.]{0,80}\b" + MODAL + r"|"
    r"i (?:think|believe|suspect|imagine|guess|feel like)\b[^.]{0,80}\b" + MODAL + r"|"
    r"(?:will|'ll|are going to|is going to) "
    r"(?:soon|inevitably|eventually|increasingly|almost certainly|one day|someday|probably|likely)|"
    r"(?:will|is going to|are going to) (?:probably |likely |never |not |also )?(?:replace|change|transform|"
    r"take over|disappear|dominate|win|matter|look like|kill|eat)|"
    r"by (?:19|20)\d\d)\b",
    re.IGNORECASE,
)
NARRATION = re.compile(
    r"\b(?:let's|let us|we|we'll|we're|you|you'll|your|you're|here|below|above|next section|next video|"
    r"this post|this video|this lecture|this code|this function|this will|that will|it will|i will|i'll)\b",
    re.IGNORECASE,
)
# Tutorial and code narration even a strong cue does not survive: "we will now", "this will print"
ALWAYS_NARRATION = re.compile(
    r"\b(?:let's|let us|we(?:'ll| will| are going to|'re going to) (?:now|then|next|also|just|see|look|"
    r"implement|build|write|take|start|go|use|need|have|get|do|talk|come|try|train|cover|find|produce)|"
    r"will (?:become|be made) (?:more )?clear|in the next (?:section|video|lecture|post|step|part)|"
    r"(?:will|'ll) (?:return|print|output|raise))\b",
    re.IGNORECASE,
)
HORIZON = re.compile(
    r"\b(?:by (?:19|20)\d\d|in the (?:next|coming) "
    + YEARS
    + r" (?:years|decades|months)|"
    + YEARS
    + r" years from now|within (?:the next )?"
    + YEARS
    + r" years|"
    r"(?:this|the next|the coming) (?:decade|year)|the decade of \w+)\b",
    re.IGNORECASE,
)
LIMIT = 100
REVISITS = 3
REVISIT_COSINE = 0.3
SHARED_WORDS = 2
DISTINCTIVE_ZIPF = 5.0


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
    for sentence in sentences(passage.text):
        if sentence.endswith("?") or GAP.strip() in sentence or not is_forecast(sentence):
            continue
        horizon = HORIZON.search(sentence)
        made = (passage.published_at or "")[:10] or None
        if horizon and made and _past(horizon.group(0), made) and not STRONG.search(sentence):
            continue  # "by 2011" written in 2015 looks back
        found.append(Prediction(sentence[:limit_chars], made, horizon.group(0) if horizon else None, passage, index))
    return found


def is_forecast(sentence: str) -> bool:
    """True for a sentence that states an expectation: a strong cue, or a weak one outside narration."""
    if ALWAYS_NARRATION.search(sentence) or not AHEAD.search(sentence):
        return False
    if STRONG.search(sentence):
        return True
    return bool(WEAK.search(sentence)) and not NARRATION.search(sentence)


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
        if (
            candidate.document_id != prediction.passage.document_id
            and len(distinctive & set(candidate.words)) >= SHARED_WORDS
        ):
            out.append(candidate)
    return out


def _past(horizon: str, made: str) -> bool:
    year = re.search(r"(?:19|20)\d\d", horizon)
    return bool(year) and year.group(0) <= made[:4]  # type: ignore[union-attr]


def _distinctive(sentence: str) -> set[str]:
    return {w for w in words(sentence) if w not in STOP_WORDS and zipf_frequency(w, "en") < DISTINCTIVE_ZIPF}
