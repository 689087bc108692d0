"""Read-only access to the workspace for the web server, and its search results cache.

The workspace comes from ``workspace.open_readers``: each thread that runs a request's
database work (Starlette's threadpool) gets a read-only workspace that is safe for it (on
SQLite its own connection, on PostgreSQL a shared store over a connection pool). A
workspace that does not exist yet is not an error: the page is served without a corpus and
says how to import one; the file is looked for again on each request, so an import started
after the server still shows up.

Search results are kept in a small LRU cache (typing and backspacing repeat queries). Its
key includes the workspace's generation, a number that changes when another connection
commits, so an import makes every cached result stale at its commit and not before. The
server's event loop checks it too (``cached_now``, ``remember``) where the generation can be
read without waiting.

This module does not write to the database, rank results (``search`` does) or render HTML.
"""

from __future__ import annotations

import functools
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..display import visible
from ..errors import StoreError
from ..models import HIGHLIGHT_END, HIGHLIGHT_START, SearchFilter, SearchHit
from ..semantic import MODES, default_mode
from ..semantic.groups import grouped_search
from ..semantic.hybrid import warm_up
from ..semantic.index import backlog
from ..workspace import Db, Workspace, exists, open_readers

MAX_LIMIT = 100
SAFE_SCHEMES = ("http", "https")
CANDIDATES = 1000
CACHE_SIZE = 512


class Corpus:
    """The workspace at ``path``, opened read-only for each thread that asks.

    Searches rank at most ``candidates`` matches by BM25 (the most recent ones when a
    query matches more, flagged ``capped``): the page shows 20 results as you type, and
    ranking every one of 100k matches of a common word would cost a tenth of a second.
    """

    def __init__(self, path: Db | None, *, candidates: int = CANDIDATES, cache_size: int = CACHE_SIZE) -> None:
        self.path = path
        self.candidates = candidates
        self.cache_size = cache_size
        self._readers = open_readers(path) if path is not None else None
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[Any, ...], Result] = OrderedDict()
        self._pending: dict[tuple[Any, ...], _Pending] = {}
        self._backlog: tuple[int, dict[str, Any]] | None = None  # (generation, semantic.index.backlog)
        self.warmed = threading.Event()  # set once warm_up has finished, whatever it found
        self.searcher: Callable[[SearchParams], bytes] | None = None  # a search process pool (``searchers``)

    def store(self) -> Workspace | None:
        """This thread's read-only workspace, or None when there is none (yet)."""
        if self._readers is None or self.path is None or not exists(self.path):
            return None
        return self._readers.get()

    def warm_up(self) -> None:
        """Load the embedding model and vector index before the first search needs them.

        The server runs this in a thread at start, so it starts at once and the first live
        search does not wait for the model. Any failure is left for that search to report.
        """
        try:
            if self._readers is None or self.path is None or not exists(self.path):
                return
            with self._readers.borrowed() as store:
                warm_up(store)
            self.generation()  # subtle: opens what lets the event loop check the cache (``cached_now``)
        except Exception:  # noqa: BLE001  # subtle: an optimisation; the first search reports the same error
            return
        finally:
            self.warmed.set()

    def close(self) -> None:
        """Close every connection opened by any thread (at server shutdown)."""
        if self._readers is not None:
            self._readers.close()
        with self._lock:
            self._cache.clear()

    def generation(self) -> int:
        """A number that changes whenever another connection commits to the workspace."""
        if self._readers is None or self.store() is None:
            return -1
        return self._readers.generation()

    def status(self) -> dict[str, Any]:
        """Whether a corpus is available, and the reason when it is not."""
        try:
            store = self.store()
        except StoreError as ex:
            return {"available": False, "documents": 0, "error": str(ex)}
        if store is None:
            return {"available": False, "documents": 0, "error": None}
        return {"available": True, "documents": store.document_count(), "error": None}

    def stats(self, thinker: str | None = None) -> list[dict[str, Any]]:
        """Measured items, words and dates per thinker and kind; empty without a corpus."""
        store = self.store()
        return store.stats(thinker) if store is not None else []

    def thinkers(self) -> list[str]:
        store = self.store()
        return store.thinkers() if store is not None else []

    def backlog(self) -> dict[str, Any]:
        """Passages not yet searchable by meaning and the indexing under way (``semantic.index.backlog``).

        Counted once per workspace generation: a count over every passage is too slow for each request.
        """
        store = self.store()
        if store is None:
            return {"pending": 0, "indexing": None}
        generation = self.generation()
        with self._lock:
            if self._backlog is not None and self._backlog[0] == generation:
                return self._backlog[1]
        found = backlog(store)
        with self._lock:
            self._backlog = (generation, found)
        return found

    def search_modes(self) -> tuple[list[str], str]:
        """The search modes the page offers and the API's default: all three once the workspace has vectors.

        Without vectors (or without a workspace) only BM25 can run, so the page offers no choice.
        """
        store = self.store()
        if store is None or store.indexed_model() is None:
            return [], "bm25"
        return list(MODES), default_mode(store)

    def search(self, params: SearchParams) -> dict[str, Any]:
        """Run one archive search (or reuse its cached result) and return its JSON-able result."""
        return self._cached(params).data

    def search_body(self, params: SearchParams) -> bytes:
        """The same result, encoded as the API's JSON body (encoded once per cached result)."""
        return self._cached(params).body

    def computed(self, params: SearchParams) -> bytes:
        """The search's JSON body, computed now in this thread (no cache): what a search process runs."""
        store = self.store()
        if store is None or not params.q.strip():
            return Result(_nothing(params)).body
        return Result(self._search(store, params)).body

    def _cached(self, params: SearchParams) -> Result:
        store = self.store()
        if store is None or not params.q.strip():
            return Result(_nothing(params))
        if not self.cache_size:
            return self._run(store, params)
        key = (self.generation(), *params.key())
        with self._lock:
            found = self._fresh(key)
            if found is not None:
                return found
            pending = self._pending.get(key)
            owner = pending is None
            if pending is None:
                pending = self._pending[key] = _Pending()
        if not owner:  # subtle: the same query is running in another thread; share its result
            return pending.wait() or self._run(store, params)
        return self._compute(store, params, key, pending)

    def cached_now(self, params: SearchParams) -> tuple[tuple[Any, ...], bytes | None] | None:
        """For the event loop: the search's cache key and its cached body (None: not cached), looked up
        without waiting; None where that cannot be told without waiting (ask ``search_body`` from a thread)."""
        generation = self._readers.generation_now() if self._readers is not None else None
        if generation is None:
            return None
        key = (generation, *params.key())
        with self._lock:
            found = self._fresh(key)
        return key, found.body if found is not None else None

    def _fresh(self, key: tuple[Any, ...]) -> Result | None:
        """The result cached under ``key``, now the most recently used; the caller holds ``_lock``."""
        found = self._cache.get(key)
        if found is not None:
            self._cache.move_to_end(key)
        return found

    def remember(self, key: tuple[Any, ...], result: Result) -> None:
        """Keep ``result`` under ``key`` (from ``cached_now``), dropping the least recently used beyond the size."""
        if not self.cache_size:
            return
        with self._lock:
            self._cache[key] = result
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def _run(self, store: Workspace, params: SearchParams) -> Result:
        """The search, in a search process when the server has them (``searcher``), else in this thread."""
        if self.searcher is not None:
            return Result(body=self.searcher(params))
        return Result(self._search(store, params))

    def _compute(self, store: Workspace, params: SearchParams, key: tuple[Any, ...], pending: _Pending) -> Result:
        try:
            result = pending.result = self._run(store, params)
            self.remember(key, result)
            return result
        finally:
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()

    def _search(self, store: Workspace, params: SearchParams) -> dict[str, Any]:
        """One page of documents: each hit is a document's best passage, its other passages in ``more``."""
        grouped, notice = grouped_search(
            store, params.q, params.filters, mode=params.mode or None, prefix_last=True, candidates=self.candidates
        )
        found = grouped.results
        return {
            "query": params.q,
            "matched": found.matched,
            "capped": found.capped,
            "documents": grouped.documents,
            "passages": len(found.hits),
            "complete": grouped.complete,
            "nearest": found.nearest,
            "words": found.words,
            "any_word": found.any_word,
            "status": grouped.summary(),
            "hits": [{**hit_json(g.best), "more": [hit_json(h) for h in g.more]} for g in grouped.groups],
            "notice": notice,
            "pending": self.backlog()["pending"] if params.mode != "bm25" else 0,
        }


def _nothing(params: SearchParams) -> dict[str, Any]:
    return {"query": params.q, "matched": 0, "capped": False, "hits": []}


class _Pending:
    """A search another thread is running: wait for it instead of running it twice."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.result: Result | None = None

    def wait(self) -> Result | None:
        """Its result, or None when it failed (the waiter then runs the search itself)."""
        self.done.wait(timeout=60)
        return self.result


class Result:
    """A search result as data and as JSON bytes, either made from the other on first use.

    subtle: a search process sends the bytes (cheaper to pass between processes than the
    data), and the API sends them on as they are.
    """

    def __init__(self, data: dict[str, Any] | None = None, *, body: bytes | None = None) -> None:
        self._data = data
        self._body = body

    @property
    def data(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(self._body or b"{}")
        return self._data

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = json.dumps(self._data, separators=(",", ":")).encode("ascii")
        return self._body


@dataclass(frozen=True)
class SearchParams:
    """The validated query string of ``/api/search``: the words, the filter (pages of at most ``MAX_LIMIT``), a mode."""

    q: str
    filters: SearchFilter = field(default_factory=SearchFilter)
    mode: str = ""

    def __post_init__(self) -> None:
        if self.mode and self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)} (got {self.mode[:20]!r})")
        if not 1 <= self.filters.limit <= MAX_LIMIT or self.filters.offset < 0:
            raise ValueError(f"limit must be 1 to {MAX_LIMIT} and offset at least 0")

    def key(self) -> tuple[Any, ...]:
        """Everything that decides the result, for the cache."""
        return (self.q, self.filters, self.mode)


def hit_json(hit: SearchHit) -> dict[str, Any]:
    """A hit for the page: plain fields plus the snippet as (text, highlighted) parts."""
    return {
        "id": hit.id,
        "passage_id": hit.passage_id,
        "thinker": hit.thinker,
        "kind": hit.kind,
        "title": visible(hit.title) if hit.title else hit.title,
        "url": safe_url(hit.url),
        "published_at": hit.published_at,
        "anchor": hit.anchor_label,
        "score": hit.score,
        "snippet": snippet_parts(hit.snippet),
        "found_by": list(hit.found_by),
        "similar": f"/api/similar/{hit.id}",
    }


def snippet_parts(snippet: str) -> list[list[Any]]:
    """Split a marked snippet into ``[text, 1]`` (highlighted) and ``[text, 0]`` runs.

    Renderers put each run in the DOM as text (``textContent``), never as markup.
    """
    parts: list[list[Any]] = []
    for i, chunk in enumerate(snippet.split(HIGHLIGHT_START)):
        if i == 0:
            _append(parts, chunk, 0)
            continue
        marked, _, rest = chunk.partition(HIGHLIGHT_END)
        _append(parts, marked, 1)
        _append(parts, rest, 0)
    return parts


def _append(parts: list[list[Any]], text: str, marked: int) -> None:
    if text:
        parts.append([visible(text), marked])


@functools.lru_cache(maxsize=4096)  # subtle: a page of results checks 20 to 200 URLs, mostly the same ones again
def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s); None for ``javascript:``, ``data:`` and anything else."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in SAFE_SCHEMES else None
