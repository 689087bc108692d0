"""Recount a profile's numbers in the store: documents matching a query, kind totals, dates.

A count is a number of **documents** (not passages), counted exactly: every document
with at least one passage matching the FTS5 query (run raw, as profiles write them:
``Asimov OR "Last Question"``; PostgreSQL reads the same syntax, see ``pg.search``),
limited to the given kinds, thinker and URL substring.
There is no candidate cap here, unlike ranked search. A malformed query raises
``VerificationError`` naming it. This module reads the store only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..backend_sql import MALFORMED, contains, contains_pattern, matching_passages
from ..errors import VerificationError
from ..store import Store

MAX_LISTED = 100


@dataclass(frozen=True)
class DocRef:
    """A document a count matched, as a reader sees it in a list."""

    id: str
    kind: str
    title: str | None
    url: str | None
    published_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "published_at": self.published_at,
        }


@dataclass
class Tally:
    """What a recount found: how many documents, their words and dates, and the first ``MAX_LISTED``."""

    documents: int = 0
    words: int = 0
    first: str | None = None
    last: str | None = None
    listed: list[DocRef] = field(default_factory=list)


@dataclass(frozen=True)
class Scope:
    """Which documents a count looks at: one thinker (None: all), some kinds, a URL substring."""

    thinker: str | None = None
    kinds: tuple[str, ...] = ()
    url_contains: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        clauses, params = ["1 = 1"], []
        if self.thinker is not None:
            clauses.append("d.thinker = ?")
            params.append(self.thinker)
        if self.kinds:
            clauses.append(f"d.kind IN ({', '.join('?' * len(self.kinds))})")
            params.extend(self.kinds)
        if self.url_contains:
            clauses.append(contains("d.url"))
            params.append(contains_pattern(self.url_contains))
        return " AND ".join(clauses), params


def tally(store: Store, scope: Scope, query: str | None = None) -> Tally:
    """Count the documents in ``scope`` (matching ``query`` when given), oldest first in ``listed``."""
    where, params = scope.where()
    select = "count(*) AS n, coalesce(sum(d.words), 0) AS w, min(d.published_at) AS a, max(d.published_at) AS b"
    try:
        if query:
            match, match_params = matching_passages(store, query)
            where += f" AND d.id IN (SELECT p.document_id FROM ({match}) f JOIN passages p ON p.id = f.pid)"
            params.extend(match_params)
        totals = store.rows(f"SELECT {select} FROM documents d WHERE {where}", params)[0]
        rows = store.rows(
            f"SELECT d.id, d.kind, d.title, d.url, d.published_at FROM documents d WHERE {where} "
            "ORDER BY d.published_at IS NULL, d.published_at, d.id LIMIT ?",
            [*params, MAX_LISTED],
        )
    except MALFORMED as ex:
        raise VerificationError(f"Count query {query!r} is not valid FTS5: {ex}") from None
    listed = [DocRef(r["id"], r["kind"], r["title"], r["url"], r["published_at"]) for r in rows]
    return Tally(int(totals["n"]), int(totals["w"]), totals["a"], totals["b"], listed)


def thinker_in_store(store: Store, thinker: str) -> bool:
    """True when the store holds documents of ``thinker``."""
    return bool(store.rows("SELECT 1 FROM documents WHERE thinker = ? LIMIT 1", [thinker]))


def kinds_in_store(store: Store, thinker: str | None) -> set[str]:
    """The document kinds present (for one thinker, or all)."""
    where, params = Scope(thinker=thinker).where()
    return {r["kind"] for r in store.rows(f"SELECT DISTINCT d.kind FROM documents d WHERE {where}", params)}
