"""Own words: the passages of a thinker's corpus as the thinker wrote them, and nothing else.

Topics, eras, framings, signature vocabulary and predictions are measured on own words only.
Which characters are someone else's (a repost, a link post's title, a quoted block, code,
a licence) is decided once, at import, by ``ownwords`` and stored as ``documents.others``;
``own_passages`` reads every passage once, drops those with no own words (``passages.own``),
puts ``GAP`` where other people's words were (so no phrase is read across them, and a
sentence holding a gap is not wholly the thinker's), and cleans the rest into prose
(``prose.prose``) without the corpus's repeated boilerplate lines.

This module does not type entities or count references (lineage reads every word, its own
and others', in ``measure.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from .. import ownwords
from ..models import SearchFilter, Span
from ..workspace import Workspace
from .prose import GAP, Boilerplate, prose, words


@dataclass(frozen=True)
class OwnPassage:
    """One passage's own words, with what the measured sections need to know about it."""

    document_id: str
    passage_id: int
    kind: str
    feed: str
    published_at: str | None
    url: str | None
    title: str | None
    text: str

    @cached_property
    def words(self) -> list[str]:
        """The label words of the own text (``prose.words``), computed once."""
        return words(self.text)

    @property
    def month(self) -> str | None:
        return self.published_at[:7] if self.published_at else None

    def as_example(self, limit: int = 300) -> dict[str, Any]:
        """The passage as the report cites it."""
        return {
            "document_id": self.document_id,
            "passage_id": self.passage_id,
            "published_at": self.published_at,
            "url": self.url,
            "title": self.title,
            "text": self.text[:limit],
        }


def own_passages(
    store: Workspace, thinker: str, since: str | None = None, until: str | None = None
) -> list[OwnPassage]:
    """Every passage of ``thinker`` that keeps some own words after cleaning, in date order."""
    raw = list(_read(store, thinker, since, until))
    boilerplate = Boilerplate()
    by_document: dict[str, list[str]] = {}
    for row in raw:
        by_document.setdefault(row[0], []).extend(row[-1].splitlines())
    for lines in by_document.values():
        boilerplate.add(lines)
    repeated = boilerplate.lines()
    found = []
    for document_id, passage_id, kind, source, published, url, title, text in raw:
        cleaned = prose(text, repeated)
        if cleaned:
            found.append(OwnPassage(document_id, passage_id, kind, f"{source}/{kind}", published, url, title, cleaned))
    return found


def _read(store: Workspace, thinker: str, since: str | None, until: str | None) -> Iterator[tuple[Any, ...]]:
    """(document, passage, kind, source, date, url, title, own text) per passage, in date order."""
    period = SearchFilter(thinker=thinker, since=since, until=until)
    for doc, passage, kind, source, date, url, title, text, _, others, start, end in store.thinker_passages(
        period, own_only=True
    ):
        head = (doc, passage, kind, source, date, url, title)
        spans = ownwords.within(ownwords.loads(others), start, end) if others else ()
        yield (*head, with_gaps(text, spans))


def with_gaps(text: str, spans: tuple[Span, ...]) -> str:
    """``text`` with each span of someone else's words replaced by ``GAP`` (line breaks kept)."""
    if not spans:
        return text
    parts, at = [], 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(GAP + "\n" * text.count("\n", span.start, span.end))
        at = span.end
    parts.append(text[at:])
    return "".join(parts)
