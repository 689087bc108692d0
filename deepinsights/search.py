"""Full-text search over passages: safe query building, BM25 ranking, snippets, filters.

User text is turned into quoted FTS5 terms, so quotes, hyphens, ``AND``, ``NEAR(``, ``*``
and unbalanced parentheses are searched for as words, never parsed as syntax; ``raw=True``
passes FTS5 syntax through and reports a malformed query as a ``SearchError``.

subtle: FTS5's ``ORDER BY rank`` scores every match, so a query for a very common word at
a million passages costs most of a second. A query first counts its matches up to
``candidates`` (cheap: no scoring). When there are more, it ranks the most recent
``candidates`` matches (by rowid, i.e. import order) and says so in ``SearchResults.capped``.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any

from . import config
from .errors import SearchError
from .models import HIGHLIGHT_END, HIGHLIGHT_START, SearchHit
from .store import Store

_TERM = re.compile(r'"([^"]+)"|(\w+)', re.UNICODE)
MAX_QUERY_CHARS = 1000
MAX_TERMS = 32


@dataclass
class SearchResults:
    """Hits best first, plus how many passages matched (up to the candidate cap)."""

    query: str
    fts_query: str
    hits: list[SearchHit] = field(default_factory=list)
    matched: int = 0
    capped: bool = False


def build_fts_query(q: str, *, prefix_last: bool = False) -> str:
    """Turn plain user text into an FTS5 query of quoted terms (implicit AND).

    ``"a phrase"`` in the user text stays a phrase; everything else becomes single words.
    Returns "" when the text holds nothing searchable.
    """
    terms = []
    for match in _TERM.finditer(q[:MAX_QUERY_CHARS]):
        phrase, word = match.groups()
        if word == "AND":  # subtle: users type AND meaning "both"; implicit AND already does that
            continue
        words = re.findall(r"\w+", phrase) if phrase else [word]
        if words:
            terms.append('"' + " ".join(words) + '"')
        if len(terms) >= MAX_TERMS:
            break
    if prefix_last and terms and q.rstrip()[-1:].isalnum():
        terms[-1] += "*"
    return " ".join(terms)


def search(
    store: Store,
    q: str,
    *,
    kind: str | list[str] | None = None,
    thinker: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 20,
    offset: int = 0,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
) -> SearchResults:
    """Return the passages matching ``q``, best first (BM25), with highlighted snippets.

    ``since``/``until`` are ISO dates (inclusive); an empty query returns no hits.
    """
    fts = q.strip() if raw else build_fts_query(q, prefix_last=prefix_last)
    results = SearchResults(query=q, fts_query=fts)
    if not fts:
        return results
    cap = candidates or int(config.SEARCH_CANDIDATES.value())
    where, params = _filters(kind, thinker, since, until)
    try:
        results.matched = _count(store, fts, where, params, cap + 1)
        results.capped = results.matched > cap
        rows = _ranked(store, fts, where, params, cap if results.capped else None, limit, offset)
    except sqlite3.OperationalError as ex:
        if raw:
            raise SearchError(f"Malformed full-text query {q!r}: {ex}. Drop --fts to search for the words.") from None
        raise
    results.matched = min(results.matched, cap)
    results.hits = [_hit(row) for row in rows]
    return results


def _filters(
    kind: str | list[str] | None, thinker: str | None, since: str | None, until: str | None
) -> tuple[str, list[Any]]:
    clauses, params = [], []
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if kinds:
        clauses.append(f"d.kind IN ({', '.join('?' * len(kinds))})")
        params.extend(kinds)
    if thinker:
        clauses.append("d.thinker = ?")
        params.append(thinker)
    if since:
        clauses.append("d.published_at >= ?")
        params.append(since)
    if until:
        clauses.append("d.published_at < ?")
        params.append(_day_after(until))
    return "".join(f" AND {c}" for c in clauses), params


def _day_after(until: str) -> str:
    """'2022-11' → '2022-11~', so a prefix-dated until includes the whole period."""
    return until + "~" if len(until) <= 10 else until


def _count(store: Store, fts: str, where: str, params: list[Any], stop: int) -> int:
    sql = (
        "SELECT count(*) FROM (SELECT 1 FROM passages_fts f JOIN passages p ON p.id = f.rowid "
        f"JOIN documents d ON d.id = p.document_id WHERE passages_fts MATCH ? {where} LIMIT ?)"
    )
    return int(store.conn.execute(sql, [fts, *params, stop]).fetchone()[0])


def _ranked(
    store: Store, fts: str, where: str, params: list[Any], cap: int | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    match = (
        "SELECT f.rowid AS pid, bm25(passages_fts, 2.0, 1.0) AS score FROM passages_fts f "
        "JOIN passages p ON p.id = f.rowid JOIN documents d ON d.id = p.document_id "
        f"WHERE passages_fts MATCH ? {where}"
    )
    if cap is not None:
        match += f" ORDER BY f.rowid DESC LIMIT {int(cap)}"
    sql = (
        f"WITH m AS ({match}), top AS (SELECT pid, score FROM m ORDER BY score LIMIT ? OFFSET ?) "
        "SELECT top.pid, top.score, d.id, d.thinker, d.kind, d.title, d.url AS doc_url, d.published_at, "
        "p.url AS passage_url, p.anchor, p.text, "
        f"snippet(passages_fts, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24) AS snippet "
        "FROM top JOIN passages p ON p.id = top.pid JOIN documents d ON d.id = p.document_id "
        "JOIN passages_fts ON passages_fts.rowid = top.pid AND passages_fts MATCH ? ORDER BY top.score"
    )
    return store.rows(sql, [fts, *params, limit, offset, fts])


def _hit(row: dict[str, Any]) -> SearchHit:
    return SearchHit(
        id=row["id"],
        passage_id=row["pid"],
        thinker=row["thinker"],
        kind=row["kind"],
        title=row["title"],
        snippet=row["snippet"] or "",
        url=row["passage_url"] or row["doc_url"],
        published_at=row["published_at"],
        score=round(-float(row["score"]), 4),
        text=row["text"],
        anchor_label=row["anchor"],
    )


def plain_snippet(snippet: str) -> str:
    """The snippet without highlight markers."""
    return snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")


def hit_dict(hit: SearchHit) -> dict[str, Any]:
    """The stable JSON form of a hit (keys documented in the README)."""
    return {
        "id": hit.id,
        "passage_id": hit.passage_id,
        "thinker": hit.thinker,
        "kind": hit.kind,
        "title": hit.title,
        "snippet": plain_snippet(hit.snippet),
        "url": hit.url,
        "published_at": hit.published_at,
        "score": hit.score,
        "anchor": hit.anchor_label,
    }
