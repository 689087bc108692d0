"""Nearest passages on SQLite: a usearch HNSW index in one file beside the workspace, synced from its table.

The index (``insights.db.usearch`` plus a small JSON of what it holds) is a cache of the
``passage_vectors`` table: synced by generation number after each indexing run, rebuilt in
memory when missing or stale, so it can never disagree with the table for long. A process
loads it once (``vector_index``) and reloads it when the table's generation moves on.
``nearest`` applies search filters to an over-fetched candidate list, then, if too few
survive, searches exactly among the filtered passages.

It does not compute vectors or decide which passages need them (``semantic.index`` does).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import EmbeddingError
from ...models import SearchFilter
from ..shared.reads import FilterSql, marks
from ..shared.vectors import CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH, Vectors

if TYPE_CHECKING:
    from .store import Store

EXACT_MAX = 20_000  # at or below this many vectors, search is exact (a few ms) instead of HNSW
FILTER_FALLBACK_MAX = 200_000  # filtered passages searched exactly when the ANN candidates run short

_indexes: dict[tuple[str, str], UsearchIndex] = {}
_lock = threading.Lock()  # the web server searches from several threads


def usearch_index() -> Any:
    """usearch's ``Index`` class, with ONNX Runtime loaded before it when installed.

    subtle: with usearch's extension loaded first, importing ONNX Runtime later in the process
    crashed it (SIGSEGV inside libstdc++ during ONNX Runtime's static initialisation; usearch
    2.26, onnxruntime 1.32). Any C++ extension linked to the system libstdc++ loaded before
    usearch avoided it, which is why the crash hid until the CLI stopped importing everything
    at start-up. tests/test_package.py runs a hybrid search in a fresh process.
    """
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401

    from usearch.index import Index

    return Index


def vector_index(store: Store, model: str) -> NearestPassages:
    """The workspace's index for ``store``'s thread, loaded once per process and reloaded when its vectors change."""
    key = (str(store.path.resolve()), model)
    with _lock:
        found = _indexes.get(key)
        if found is None or found.loaded_generation != store.vector_generation():
            found = UsearchIndex(store, model)
            found.load()  # subtle: loaded here, with the caller's connection; later searches need none
            _indexes[key] = found
        return NearestPassages(store, found)


class NearestPassages:
    """The process's usearch index of a workspace, used with one thread's ``store`` (filters need its connection)."""

    def __init__(self, store: Store, index: UsearchIndex) -> None:
        self.store = store
        self.index = index
        self.model = index.model

    def search(self, vector: Vectors, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest passages to a normalised vector as (passage id, cosine), best first."""
        return self.index.search(vector, k)

    def nearest(self, vector: Vectors, filters: SearchFilter, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` nearest passages passing ``filters`` (not its page) as (passage id, cosine), best first."""
        built = FilterSql.build(filters)
        if not built.sql:
            return self.index.search(vector, depth)
        found = self.index.search(vector, depth * 10)
        allowed = _passing(self.store, [pid for pid, _ in found], built)
        kept = [(pid, s) for pid, s in found if pid in allowed][:depth]
        if len(kept) >= depth:
            return kept
        ids = _filtered_ids(self.store, built)
        return self.index.search_among(self.store, vector, ids, depth) if len(ids) <= FILTER_FALLBACK_MAX else kept


def _passing(store: Store, ids: list[int], filters: FilterSql) -> set[int]:
    if not ids:
        return set()
    sql = (
        "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id "
        f"WHERE p.id IN ({marks(ids)}) AND {filters.sql}"
    )
    return {r[0] for r in store.conn.execute(sql, [*ids, *filters.params])}


def _filtered_ids(store: Store, filters: FilterSql) -> list[int]:
    sql = f"SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id WHERE {filters.sql} LIMIT ?"
    return [r[0] for r in store.conn.execute(sql, [*filters.params, FILTER_FALLBACK_MAX + 1])]


class UsearchIndex:
    """Nearest-neighbour search over the workspace's vectors (HNSW file, or exact when small)."""

    def __init__(self, store: Store, model: str) -> None:
        store.check_model(model)
        if store.indexed_model() is None:
            raise EmbeddingError(
                f"Workspace '{store.location}' has no passage vectors yet. "
                f"Compute them with: insights index --db {store.db_arg}"
            )
        self.store = store
        self.model = model
        self.path = Path(f"{store.path}.usearch")
        self.info_path = Path(f"{store.path}.usearch.json")
        self._index: Any = None
        self.count = 0
        self.loaded_generation: int | None = None

    # -- loading and syncing -------------------------------------------------------

    def _file_info(self) -> dict[str, Any]:
        try:
            info: dict[str, Any] = json.loads(self.info_path.read_text())
        except (OSError, ValueError):
            return {}
        return info if self.path.is_file() and info.get("model") == self.model else {}

    def load(self) -> Any:
        """Return the usearch index, syncing it from the table when the file is stale."""
        if self._index is None:
            Index = usearch_index()
            info = self._file_info()
            self.loaded_generation = self.store.vector_generation()
            if info.get("generation") == self.loaded_generation:
                self._index = Index.restore(str(self.path), view=True)
            else:
                self._index = self._synced(Index.restore(str(self.path)) if info else None, info)
            self.count = len(self._index)
        return self._index

    def sync(self, progress: Callable[[int, int], None] | None = None) -> None:
        """Bring the index file up to date with the table (incremental when the file exists).

        ``progress``: (vectors added, of how many); building the graph of 100,000 tweets' vectors takes about a minute.
        """
        Index = usearch_index()
        info = self._file_info()
        self.loaded_generation = self.store.vector_generation()
        self._index = self._synced(Index.restore(str(self.path)) if info else None, info, progress)
        self.count = len(self._index)

    def _synced(self, index: Any, info: dict[str, Any], progress: Callable[[int, int], None] | None = None) -> Any:
        if index is not None and index.ndim != self.store.stored_dims():
            index = None  # subtle: a file from before the model changed (or from no vectors) is rebuilt
        since = int(info.get("generation", -1)) if index is not None else -1
        generation = self.store.vector_generation()
        index = index if index is not None else self._new_index()
        live = self.store.live_vector_ids()
        stale = [int(k) for k in index.keys if int(k) not in live]
        total, added = (self.store.windows_since(since), 0) if progress else (0, 0)
        for ids, matrix in self.store.vectors_since(since):
            if not index.multi and len(ids) != len(set(ids.tolist())):
                return self._synced(None, {}, progress)  # subtle: a one-vector-per-passage file cannot take windows
            stale.extend(int(k) for k in set(ids.tolist()) if index.contains(int(k)))
            if stale:
                index.remove(np.asarray(stale, dtype=np.uint64))
                stale = []
            index.add(ids.astype(np.uint64), matrix, progress=_reporting(progress, added, total) if progress else None)
            added += len(ids)
        if stale:
            index.remove(np.asarray(stale, dtype=np.uint64))
        self._save(index, generation)
        return index

    def _new_index(self) -> Any:
        return usearch_index()(
            ndim=self.store.stored_dims(),
            metric="cos",
            dtype="f16",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
            multi=True,  # one key (passage id) per window vector
        )

    def _save(self, index: Any, generation: int) -> None:
        if self.store.read_only or len(index) == 0:
            return  # subtle: a read-only server keeps its rebuilt index in memory only
        tmp = self.path.with_name(self.path.name + ".tmp")
        index.save(str(tmp))
        tmp.replace(self.path)
        info = {"model": self.model, "generation": generation, "count": len(index), "ndim": index.ndim}
        self.info_path.write_text(json.dumps(info))

    # -- searching -----------------------------------------------------------------

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest passages to a normalised query vector as (passage id, cosine), best first."""
        index = self.load()
        if len(index) == 0 or k <= 0:
            return []
        if query.shape[-1] != index.ndim:
            raise EmbeddingError(
                f"Workspace '{self.store.location}' holds {index.ndim}-dimensional vectors, the query has "
                f"{query.shape[-1]}. Rebuild it with: {self.store.rebuild_command(self.model)}"
            )
        wanted = min(k * 4 if index.multi else k, len(index))  # several windows of one passage may come back
        matches = index.search(query.astype(np.float32), wanted, exact=len(index) <= EXACT_MAX)
        best: dict[int, float] = {}
        for key, distance in zip(matches.keys, matches.distances, strict=True):
            best.setdefault(int(key), 1.0 - float(distance))  # best first, so the first is each passage's best
        return list(best.items())[:k]

    def search_among(self, store: Store, query: Vectors, ids: list[int], k: int) -> list[tuple[int, float]]:
        """Exact search restricted to these passages (used when filters remove most ANN hits).

        subtle: ``store`` is the caller's: the index may have been loaded by another thread,
        whose connection this thread must not use.
        """
        found, matrix = store.passage_vectors(ids)
        if not len(found):
            return []
        norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
        scores = (matrix / np.maximum(norms, np.float32(1e-12))) @ query.astype(np.float32)
        best: dict[int, float] = {}
        for i in np.argsort(-scores):
            best.setdefault(int(found[i]), float(scores[i]))
            if len(best) >= k:
                break
        return list(best.items())

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.is_file() else 0


def _reporting(progress: Callable[[int, int], None], before: int, total: int) -> Callable[[int, int], bool]:
    """usearch's progress callback for one ``add``, reporting the whole sync's (vectors added, of how many)."""

    def added(done: int, of: int) -> bool:
        progress(before + done, total)
        return True  # go on

    # subtle: usearch checks the callback's annotations against the types int and bool, and
    # this module's annotations are strings (``from __future__ import annotations``)
    added.__annotations__ = {"done": int, "of": int, "return": bool}
    return added
