"""Full-text search over a workspace, and the stable JSON form of its hits.

``search(store, q, filters)`` is the workspace's own ``search`` (BM25 on SQLite's FTS5,
``ts_rank_cd`` on PostgreSQL): plain text is always safe (every word required, quotes and
operators searched as words, see ``query``), ``raw=True`` takes the FTS5 query language.
Hybrid and semantic search build on it in ``semantic.hybrid``.

This module ranks nothing itself and writes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .models import HIGHLIGHT_END, HIGHLIGHT_START, SearchFilter, SearchHit, SearchResults

if TYPE_CHECKING:
    from .workspace import Workspace

__all__ = ["SearchResults", "hit_dict", "plain_snippet", "search"]


def search(
    store: Workspace,
    q: str,
    filters: SearchFilter | None = None,
    *,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
) -> SearchResults:
    """Return the passages matching ``q`` that pass ``filters``, best first, with highlighted snippets.

    An empty query returns no hits; see ``Workspace.search`` for the rest of the contract.
    """
    return store.search(q, filters, raw=raw, prefix_last=prefix_last, candidates=candidates)


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
        "found_by": list(hit.found_by),
    }
