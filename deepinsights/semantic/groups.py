"""Search results as a reader sees them: one entry per document, its best passage first, the rest behind it.

A search ranks passages, so one long post or talk could fill the first places with a hit per
passage. ``grouped_search`` fetches enough ranked passages for the page of documents asked
for (``PASSAGES_PER_DOCUMENT`` per document, ``MIN_PASSAGES`` to ``MAX_PASSAGES``), groups them by
document in the order of each document's best passage, and returns that page: each entry is
the best passage with the document's other matching passages among those fetched ("3 more
passages"). Only the page's passages get snippets: that is most of what ranking 100
passages for 20 documents would otherwise cost. ``documents`` counts the documents among the
passages fetched; ``complete`` says whether those passages were every match, so a count can
be given as exact or as "at least".

It ranks nothing (``search`` and ``hybrid`` do) and renders nothing (the CLI and the page do).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..models import SearchFilter, SearchHit, SearchResults
from ..workspace import Workspace
from .hybrid import dressed, search_any

PASSAGES_PER_DOCUMENT = 5
MIN_PASSAGES = 50  # ranked at least, so that a short page still counts a document's other passages
MAX_PASSAGES = 200


@dataclass
class DocumentHits:
    """One document's matching passages: the best one, and the others best first."""

    best: SearchHit
    more: list[SearchHit] = field(default_factory=list)


@dataclass
class GroupedResults:
    """A page of documents, and what the passages fetched for it say about the whole search."""

    results: SearchResults  # the ranked passages fetched (``hits``: all of them, without snippets)
    groups: list[DocumentHits]  # the page asked for
    documents: int  # distinct documents among the passages fetched
    complete: bool  # the passages fetched are every match (not a fixed depth or a cut list)

    def summary(self) -> str:
        """One line saying what was found, in the words of how it was found (empty when nothing was).

        ``31 matching passages in 12 documents``; in semantic mode the count is a depth, so
        ``the nearest 100 passages by meaning, in 37 documents``; hybrid says which words matched.
        """
        r = self.results
        if not r.hits:
            return ""
        docs = _count(self.documents, "document")
        if r.nearest is not None and r.words is None:
            return f"the nearest {r.nearest:,} passages by meaning, in {docs}"
        if r.nearest is not None:
            words = f"{_count(r.words or 0, 'passage')} with every word"
            if r.any_word:
                words = f"no passage with every word, {_count(r.words or 0, 'passage')} with some of them"
            return f"{words} and the nearest {r.nearest:,} by meaning, in {docs}"
        if self.complete:
            return f"{_count(r.matched, 'matching passage')} in {docs}"
        ranked = f"{r.matched:,}+ matching passages (the most recently imported ranked)" if r.capped else (
            f"{r.matched:,} matching passages"
        )  # fmt: skip
        return f"{ranked}; the best {len(r.hits):,} are in {docs}"


def group_hits(hits: list[SearchHit]) -> list[DocumentHits]:
    """``hits`` (best first) as one entry per document, in the order of each document's best hit."""
    groups: dict[str, DocumentHits] = {}
    for hit in hits:
        found = groups.get(hit.id)
        if found is None:
            groups[hit.id] = DocumentHits(hit)
        else:
            found.more.append(hit)
    return list(groups.values())


def grouped_search(
    store: Workspace,
    q: str,
    filters: SearchFilter | None = None,
    *,
    mode: str | None = None,
    model: str | None = None,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
) -> tuple[GroupedResults, str | None]:
    """Documents ``filters.offset`` to ``offset + limit`` for ``q``, each with its matching passages.

    As ``semantic.search_any`` (``raw``: ``q`` is FTS5 syntax, BM25 only, as the workspace
    ranks it with no other option); the reason for a fallback to BM25 comes second, else None.
    """
    filters = filters or SearchFilter()
    wanted = (filters.offset + filters.limit) * PASSAGES_PER_DOCUMENT
    depth = max(filters.offset + filters.limit, min(MAX_PASSAGES, max(MIN_PASSAGES, wanted)))
    passages = replace(filters, limit=depth, offset=0)
    options: dict[str, Any] = {"mode": mode, "model": model, "prefix_last": prefix_last, "candidates": candidates}
    results, notice = search_any(store, q, passages, snippets=False, **({"raw": True} if raw else options))
    groups = group_hits(results.hits)
    complete = results.nearest is None and not results.capped and len(results.hits) >= results.matched
    page = _dressed(store, groups[filters.offset : filters.offset + filters.limit], results.fts_query)
    return GroupedResults(results, page, len(groups), complete), notice


def _dressed(store: Workspace, page: list[DocumentHits], fts_query: str) -> list[DocumentHits]:
    """The page's hits with their snippets, made in one call: only they are shown of the passages ranked."""
    shown = dressed(store, [h for group in page for h in (group.best, *group.more)], fts_query)
    by_id = {h.passage_id: h for h in shown}
    return [DocumentHits(by_id[g.best.passage_id], [by_id[h.passage_id] for h in g.more]) for g in page]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"
