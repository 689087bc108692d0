"""Own words: the passages of a thinker's corpus as the thinker wrote them, and nothing else.

Topics, eras, framings, signature vocabulary and predictions are measured on own words only:
a repost, a link post's title (the linked page's words), a quoted paragraph or a long quoted
span inside a sentence is someone else speaking. ``own_passages`` reads every passage once and
keeps, per passage, the text that remains once those are taken out (``OwnPassage.text``),
cleaned into prose (``prose.prose``) with the corpus's boilerplate lines removed.

This module does not type entities or count references (lineage reads every word, its own
and others', in ``measure.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from ..store import Store
from .prose import Boilerplate, prose, words

NOT_OWN_KINDS = frozenset({"repost"})
# A paragraph that is a quotation: it opens with a quote mark and its last quote mark closes it
# (an attribution may follow: '"…" - Paul Ford').
QUOTED_LINE = re.compile(r'^\s*["“«].*["”»](?:\s*[-—–]\s*[^"“”]{0,80})?\s*$')
# A long quoted span inside a sentence (six words or more); short ones ("billion laughs") are the
# thinker naming a thing.
QUOTED_SPAN = re.compile(r'"[^"\n]*"|“[^”\n]*”')
QUOTED_WORDS = 6


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


SQL = (
    "SELECT d.id, p.id, d.kind, d.source, d.published_at, coalesce(p.url, d.url), d.title, p.ordinal, p.text "
    "FROM passages p JOIN documents d ON d.id = p.document_id WHERE d.thinker = ?"
)


def own_passages(store: Store, thinker: str, since: str | None = None, until: str | None = None) -> list[OwnPassage]:
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
    for document_id, passage_id, kind, source, published, url, title, ordinal, text in raw:
        cleaned = prose(own_text(kind, title, ordinal, text), repeated)
        if cleaned:
            found.append(OwnPassage(document_id, passage_id, kind, f"{source}/{kind}", published, url, title, cleaned))
    return found


def _read(store: Store, thinker: str, since: str | None, until: str | None) -> Iterator[tuple[Any, ...]]:
    sql, params = SQL, [thinker]
    if since:
        sql, params = sql + " AND d.published_at >= ?", [*params, since]
    if until:
        sql, params = sql + " AND d.published_at < ?", [*params, until + "~"]
    # subtle: NULLS FIRST is SQLite's default order and must be said to PostgreSQL (NULLS LAST there)
    for row in store.stream(sql + " ORDER BY d.published_at NULLS FIRST, d.id, p.ordinal", params):
        if row[2] not in NOT_OWN_KINDS:
            yield tuple(row)


def own_text(kind: str, title: str | None, ordinal: int, text: str) -> str:
    """``text`` less the words that are not the thinker's: a link post's title line, quoted
    paragraphs and long quoted spans."""
    lines = text.splitlines()
    if kind == "link" and ordinal == 0 and lines and title and lines[0].strip() == title.strip():
        lines = lines[1:]
    kept = [QUOTED_SPAN.sub(_unquote, line) for line in lines if not QUOTED_LINE.match(line)]
    return "\n".join(kept)


def _unquote(match: re.Match[str]) -> str:
    """Drop a quoted span of ``QUOTED_WORDS`` words or more; keep a short one (a name for a thing)."""
    return " " if len(match.group(0).split()) >= QUOTED_WORDS else match.group(0)
