"""'Changed my mind' pairs: a later passage that says the thinker's view moved, and the earlier
passage on the same topic it most likely moved from.

A later passage qualifies only when it says so in words ("I changed my mind", "I used to
think", "I was wrong", "in retrospect"…); the earlier one is the best BM25 match, published
before it, for the distinctive themes the later passage uses. Pairs are candidates for a
person to read, not verdicts: nothing here judges whether the two passages disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..models import SearchFilter
from ..search import search
from ..store import Store
from .measure import Example, Row, terms_of

CUE = re.compile(
    r"\b(changed my mind|change my mind|i used to (?:think|believe)|i was wrong|i no longer (?:think|believe)|"
    r"in retrospect|i(?:'ve| have) come around|i take (?:that|it) back|i now think|i've reversed)\b",
    re.IGNORECASE,
)
MIN_SHARED = 2
MAX_PAIRS = 10


@dataclass
class MindChange:
    """An earlier and a later passage on the same themes, the later saying the view changed."""

    themes: list[str]
    cue: str
    earlier: Example
    later: Example

    def as_dict(self) -> dict[str, Any]:
        return {
            "themes": self.themes,
            "cue": self.cue,
            "earlier": self.earlier.as_dict(),
            "later": self.later.as_dict(),
        }


def is_cue(row: Row) -> bool:
    """True for a dated passage that says, in words, that a view changed."""
    return bool(row.published_at and CUE.search(row.own_text))


def pair_up(store: Store, thinker: str, cues: list[Row], themes: list[str]) -> list[MindChange]:
    """For each cue passage, the earlier passage sharing most of its distinctive themes."""
    pairs: list[MindChange] = []
    known = set(themes)
    for row in cues:
        shared = sorted(terms_of(row.own_text) & known, key=themes.index)[:6]
        if len(shared) < MIN_SHARED:
            continue
        query = " OR ".join(f'"{t}"' for t in shared)
        before = str(row.published_at)[:10]
        found = search(store, query, SearchFilter(thinker=thinker, until=before, limit=5), raw=True).hits
        hits = [h for h in found if h.published_at and h.published_at[:10] < before and h.id != row.document_id]
        if hits:
            best = hits[0]
            earlier = Example(best.id, best.passage_id, best.published_at, best.url, best.text[:300])
            match = CUE.search(row.own_text)
            later = Example(row.document_id, row.passage_id, row.published_at, row.url, row.text[:300])
            pairs.append(MindChange(shared, match.group(0) if match else "", earlier, later))
        if len(pairs) >= MAX_PAIRS:
            break
    return pairs
