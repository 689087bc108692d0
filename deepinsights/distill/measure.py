"""What every measured part of distill reads: the passages (``rows``), own-words tallies and coverage.

Everything here is counted from the stored corpus: deterministic, no model, no network.
Lineage (all text, own words and others') is in ``lineage.py``; topics, eras, framings,
vocabulary and predictions read own words only (``findings.py``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from .. import ownwords
from ..models import SearchFilter, Span
from ..workspace import Workspace

WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+#.-]*[A-Za-z0-9+#]|[A-Za-z]")
STOP = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even few for from further get got had
    has have having he her here hers him his how i if in into is it its itself just like make many may me
    more most much must my no nor not now of off on once one only or other our out over own really same see
    she should so some such than that the their them then there these they this those through to too two
    under until up us use used using very was way we well were what when where which while who whom why will
    with would you your yours new also like get go going know lot think thing things want way one first time
    good right let actually okay ok so yeah we'll we're i'm it's that's don't there's you're can't let's
    here's i've i'd you've etc almost part bit end last look back come based example note still something
    anything everything nothing already always never often sometimes maybe perhaps quite rather pretty kind
    sort around across along another every either neither whether though although however therefore thus
    hence instead since yet three four five six seven eight nine ten next previous able basically simply
    simple exactly whole take takes took give gives gave put puts say says said tell told ask asked try
    tried trying need needs work works worked working makes made making see seen seeing look looks looked
    looking find found mean means meant call called come came comes start started long little big great
    small large many
    """.split()
)


@dataclass
class Example:
    """A passage that supports a finding."""

    document_id: str
    passage_id: int
    published_at: str | None
    url: str | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "passage_id": self.passage_id,
            "published_at": self.published_at,
            "url": self.url,
            "text": self.text,
        }


@dataclass
class Row:
    """One stored passage with its document's metadata, as distill reads it.

    ``text`` is all of the passage; ``others`` the spans of it (offsets within the passage)
    that are not the thinker's own words (``ownwords``); ``own_text`` is ``text`` with those
    blanked, same length. Sections that describe the thinker read ``own_text``.
    """

    document_id: str
    passage_id: int
    kind: str
    published_at: str | None
    url: str | None
    text: str
    others: tuple[Span, ...] = ()
    own: float = 1.0

    @cached_property
    def own_text(self) -> str:
        return ownwords.own_text(self.text, self.others)


def rows(store: Workspace, thinker: str, since: str | None = None, until: str | None = None) -> Iterator[Row]:
    """Every passage of ``thinker`` (in date order), optionally within [since, until]."""
    period = SearchFilter(thinker=thinker, since=since, until=until)
    for doc, passage, kind, _, published, url, _, text, own, others, start, end in store.thinker_passages(period):
        spans = ownwords.within(ownwords.loads(others), start, end) if others else ()
        yield Row(doc, passage, kind, published, url, text, spans, own)


@dataclass
class OwnWordsTally:
    """How much of the corpus is the thinker's own words, and what the rest is (characters per reason)."""

    passages: int = 0
    wholly_own: int = 0
    no_own: int = 0
    others_chars: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row) -> None:
        self.passages += 1
        self.wholly_own += row.own >= 1.0
        self.no_own += row.own <= 0.0
        self.others_chars.update(ownwords.reasons_in(row.others))

    def as_dict(self) -> dict[str, Any]:
        return {
            "passages": self.passages,
            "wholly_own": self.wholly_own,
            "partly_own": self.passages - self.wholly_own - self.no_own,
            "no_own_words": self.no_own,
            "others_characters_by_reason": dict(self.others_chars.most_common()),
        }


def coverage(store: Workspace, thinker: str) -> dict[str, Any]:
    """Items per kind and per month, and the months with nothing between the first and the last."""
    months = store.months(thinker)
    holes = [m for m in _month_range(months[0], months[-1]) if m not in set(months)] if months else []
    return {
        "by_kind": store.stats(thinker),
        "months_with_items": len(months),
        "empty_months": holes,
        "undated_items": store.undated_count(thinker),
    }


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
