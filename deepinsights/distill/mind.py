"""'Changed my mind' pairs: a later passage that says the thinker's view moved, and the earlier
passage on the same topic it most likely moved from.

A later passage qualifies only when it says so in words ("I changed my mind", "I used to
think", "I was wrong", "in retrospect"…); the earlier one is the own-word passage of another
document, published before it, nearest to it in meaning (cosine of passage vectors, at least
``MIN_COSINE``). Pairs are candidates for a person to read, not verdicts: nothing here judges
whether the two passages disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .own import OwnPassage
from .topics import Topic
from .vectors import Matrix

CUE = re.compile(
    r"\b(changed my mind|change my mind|i used to (?:think|believe)|i was wrong|i no longer (?:think|believe)|"
    r"in retrospect|i(?:'ve| have) come around|i take (?:that|it) back|i now think|i've reversed)\b",
    re.IGNORECASE,
)
MIN_COSINE = 0.5
MAX_PAIRS = 10


@dataclass
class MindChange:
    """An earlier and a later passage on the same topic, the later saying the view changed."""

    themes: list[str]
    cue: str
    earlier: OwnPassage
    later: OwnPassage

    def as_dict(self) -> dict[str, Any]:
        return {
            "themes": self.themes,
            "cue": self.cue,
            "earlier": self.earlier.as_example(),
            "later": self.later.as_example(),
        }


def is_cue(passage: OwnPassage) -> bool:
    """True for a dated passage that says, in words, that a view changed."""
    return bool(passage.published_at and CUE.search(passage.text))


def pair_up(
    passages: list[OwnPassage], vectors: Matrix, assignment: list[int], topics: list[Topic]
) -> list[MindChange]:
    """For each cue passage, the nearest earlier own-word passage of another document."""
    phrases = {t.number: t.phrases[:3] for t in topics}
    pairs: list[MindChange] = []
    for i, later in enumerate(passages):
        if not is_cue(later):
            continue
        earlier = _nearest_before(i, passages, vectors)
        match = CUE.search(later.text)
        if earlier is not None and match:
            pairs.append(MindChange(phrases.get(assignment[i], []), match.group(0), passages[earlier], later))
        if len(pairs) >= MAX_PAIRS:
            break
    return pairs


def _nearest_before(i: int, passages: list[OwnPassage], vectors: Matrix) -> int | None:
    when = str(passages[i].published_at)[:10]
    before = [
        j
        for j, p in enumerate(passages)
        if p.published_at and p.published_at[:10] < when and p.document_id != passages[i].document_id
    ]
    if not before or not len(vectors):
        return None
    closeness = vectors[before] @ vectors[i]
    best = int(np.argmax(closeness))
    return before[best] if closeness[best] >= MIN_COSINE else None
