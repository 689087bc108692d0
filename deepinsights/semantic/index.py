"""Passage vectors: computing them incrementally into the workspace, and the ANN index beside it.

Vectors live in the workspace's ``passage_vectors`` table (float16 BLOBs, one embedding model
per workspace, recorded in ``vector_meta``): that table is the truth, written in small
transactions so an interrupted ``insights index`` keeps what it finished and resumes. A
passage is (re)embedded only when it has no vector or its text hash changed; vectors of
deleted passages are reused for identical text elsewhere, then dropped.

The HNSW index (usearch) is a cache in one file next to the database (``insights.db.usearch``
plus a small JSON of what it holds). It is synced from the table by generation number after
each indexing run, and rebuilt in memory when missing or stale, so it can never disagree
with the table for long. Asking for a model other than the one the workspace was built with
raises an EmbeddingError naming the command that rebuilds it: vectors are never mixed.

subtle: this module writes the two vector tables itself (through ``Store.transaction``),
not through store.py: they are derived data owned by the semantic package, and no other
table is touched here. Its SQL runs on both backends (``store.execute``/``stream``, ``?``
placeholders, ``ON CONFLICT``); on PostgreSQL the ANN index is a pgvector table instead of
the usearch file (``pg.vectors.PgVectorIndex``, from ``open_vector_index``).

It does not fuse rankings or build hits (``semantic.hybrid`` does).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..backend_sql import is_postgres
from ..errors import EmbeddingError
from ..store import Store
from . import lease
from .model import Vectors, normalize
from .registry import Embedder, canonical_name, get_embedder

BATCH = 256
EXACT_MAX = 20_000  # at or below this many vectors, search is exact (a few ms) instead of HNSW
CONNECTIVITY = 16
EXPANSION_ADD = 128
EXPANSION_SEARCH = 96
STORED = np.float16

IndexProgress = Callable[[int, int], None]  # (done, total)


@dataclass
class IndexReport:
    """What one indexing run did."""

    model: str
    total: int = 0
    embedded: int = 0
    reused: int = 0
    unchanged: int = 0
    empty: int = 0
    removed: int = 0
    seconds: float = 0.0
    busy: dict[str, Any] | None = None  # another process held the lease: who, and how far it had got

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def merge(self, other: IndexReport) -> None:
        """Add a later run's counts (the catch-up run after letting go of the lease)."""
        for name in ("embedded", "reused", "empty", "removed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.total = max(self.total, other.total)
        self.seconds = round(self.seconds + other.seconds, 3)


def model_input(title: str | None, text: str) -> str:
    """The text a passage is embedded from: its title (first passage only) and its text."""
    return f"{title}\n\n{text}" if title else text


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def meta(store: Store) -> dict[str, str]:
    return {r["key"]: r["value"] for r in store.rows("SELECT key, value FROM vector_meta")}


def indexed_model(store: Store) -> str | None:
    """The embedding model this workspace's vectors were built with, or None when there are none.

    On PostgreSQL also None when the server has no pgvector: nothing offers vector search there.
    """
    if is_postgres(store):
        from ..pg.vectors import pgvector_available

        if not pgvector_available(store):
            return None
    return meta(store).get("model")


def rebuild_command(store: Store, model: str) -> str:
    return f"insights index --rebuild --embedding-model {model} --db {store.path}"


def check_model(store: Store, model: str) -> None:
    """Raise EmbeddingError when the workspace's vectors come from a different model."""
    built = indexed_model(store)
    if built is not None and built != model:
        raise EmbeddingError(
            f"Workspace '{store.path}' was indexed with '{built}', not '{model}'; vectors are never mixed. "
            f"Rebuild it with: {rebuild_command(store, model)} (or search with --embedding-model {built})"
        )


def build_index(
    store: Store,
    model: str | None = None,
    *,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
    import_id: int | None = None,
    waiting: Callable[[lease.Holder], None] | None = None,
) -> IndexReport:
    """``index_passages`` with the named model, checked against the workspace before it is loaded."""
    _require_vector_search(store)
    if not rebuild:
        check_model(store, canonical_name(model))
    found = lease.holder(store)
    if found is not None and not _waits_for(found, import_id):  # subtle: before loading a model it would not use
        return IndexReport(model=canonical_name(model), busy=found.as_dict())
    embedder = get_embedder(model)
    return index_passages(store, embedder, rebuild=rebuild, progress=progress, import_id=import_id, waiting=waiting)


def index_passages(
    store: Store,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
    import_id: int | None = None,
    waiting: Callable[[lease.Holder], None] | None = None,
) -> IndexReport:
    """Embed every passage that has no current vector; return what was done.

    Idempotent: a second run embeds nothing. ``rebuild=True`` drops all vectors first (the
    way to switch models). Each batch of ``BATCH`` passages is its own transaction, so an
    interrupted run keeps its finished batches and the next run resumes after them.
    ``import_id``: only the passages of the documents that import wrote (what an import
    embeds itself; the rest stays for ``insights index``).

    Single-flight: the run holds the workspace's lease (``semantic.lease``) while it embeds,
    and plans what to embed only once it holds it, so no passage is embedded twice. A run
    for everything waits for a holder (``waiting`` is told whom), then embeds what is left.
    An import's run does not wait for a run for everything: that one looks again before it
    lets go, so it embeds the import's passages too; ``busy`` then names it.
    """
    started = time.monotonic()
    _require_vector_search(store)
    if not rebuild:
        check_model(store, embedder.name)
    report = IndexReport(model=embedder.name)
    scope = "all" if import_id is None else "import"
    held = lease.take(store, scope, wait_for=lambda h: _waits_for(h, import_id), waiting=waiting)
    if isinstance(held, lease.Holder):
        report.busy = held.as_dict()
        return report
    try:
        with held:
            _embed_all(store, embedder, report, held, rebuild=rebuild, import_id=import_id, progress=progress)
    finally:
        report.seconds = round(time.monotonic() - started, 3)
    if import_id is None and _plan(store)[0]:  # subtle: imported after its last plan, before it let go
        report.merge(index_passages(store, embedder, progress=progress, waiting=waiting))
    return report


def _waits_for(holder: lease.Holder, import_id: int | None) -> bool:
    """Whether a run waits for ``holder``: an import's run not for a run over everything (which embeds its passages)."""
    return import_id is None or holder.scope != "all"


def _embed_all(
    store: Store,
    embedder: Embedder,
    report: IndexReport,
    held: lease.Lease,
    *,
    rebuild: bool,
    import_id: int | None,
    progress: IndexProgress | None,
) -> None:
    """Plan, embed and write until nothing is left (once for an import's passages), then sync the ANN index."""
    _start(store, embedder, rebuild)
    spare = _take_orphans(store, report)
    for rounds in itertools.count():
        todo, unchanged, known = _plan(store, import_id)
        if rounds == 0:  # later rounds count this run's own vectors as unchanged
            report.unchanged = unchanged
        report.total = max(report.total, len(todo) + unchanged)
        known.spare = spare
        for done in range(0, len(todo), BATCH):
            _write_batch(store, embedder, todo[done : done + BATCH], known, report)
            held.renew(min(done + BATCH, len(todo)), len(todo))
            if progress:
                progress(min(done + BATCH, len(todo)), len(todo))
        if not todo or import_id is not None:
            break
    if report.embedded or report.reused or report.removed or rebuild or is_postgres(store):
        open_vector_index(store, embedder.name).sync()  # PostgreSQL: also after 'db copy' wrote vectors


def _busy(store: Store) -> dict[str, Any] | None:
    found = lease.holder(store)
    return found.as_dict() if found else None


def pending_passages(store: Store) -> int:
    """Passages with no vector yet (imported since the last index run); 0 when the workspace has no vectors."""
    if indexed_model(store) is None:
        return 0
    missing = "NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)"
    rows = store.rows(f"SELECT count(*) AS n FROM passages p WHERE {missing}")
    return int(rows[0]["n"])


def backlog(store: Store) -> dict[str, Any]:
    """Passages waiting for a vector (``pending``), and how far a process embedding now has got (``indexing``)."""
    pending = pending_passages(store)
    found = lease.holder(store) if pending else None
    return {"pending": pending, "indexing": {"done": found.done, "total": found.total} if found else None}


def _require_vector_search(store: Store) -> None:
    """On PostgreSQL: raise EmbeddingError (with the fix) unless the server has pgvector, before anything is written."""
    if is_postgres(store):
        from ..pg.vectors import require_pgvector

        require_pgvector(store)


def _start(store: Store, embedder: Embedder, rebuild: bool) -> None:
    with store.transaction():
        if rebuild:
            store.execute("DELETE FROM passage_vectors")
            # subtle: the generation only ever grows, so an index file from before can never look current
            store.execute("DELETE FROM vector_meta WHERE key != 'generation'")
            _bump(store)
        for key, value in (("model", embedder.name), ("generation", "0"), ("dims", str(embedder.dims))):
            store.execute("INSERT INTO vector_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))


@dataclass
class _Known:
    """Vectors that exist for a text already: passages' current ones by text hash, and deleted passages' ones.

    subtle: an exact duplicate (a repost, a licence header, boilerplate) is embedded once and
    its vector copied; a copy is the same vector, so nothing about search changes.
    """

    current: dict[str, int] = field(default_factory=dict)  # text hash → a passage whose vector is current
    spare: dict[str, bytes] = field(default_factory=dict)  # text hash → a deleted passage's vector

    def blob(self, store: Store, digest: str) -> bytes | None:
        if digest in self.spare:
            return self.spare[digest]
        pid = self.current.get(digest)
        if pid is None:
            return None
        rows = store.rows("SELECT vector FROM passage_vectors WHERE passage_id = ?", (pid,))
        return bytes(rows[0]["vector"]) if rows else None


def _plan(store: Store, import_id: int | None = None) -> tuple[list[tuple[int, str]], int, _Known]:
    """(passage id, text hash) of every passage needing a vector, how many are current, and their vectors.

    ``import_id``: only passages of documents that import wrote need one.
    """
    todo: list[tuple[int, str]] = []
    known = _Known()
    cursor = store.stream(
        "SELECT p.id, p.title, p.text, v.text_hash, d.import_id FROM passages p "
        "JOIN documents d ON d.id = p.document_id "
        "LEFT JOIN passage_vectors v ON v.passage_id = p.id ORDER BY p.id"
    )
    unchanged = 0
    for pid, title, text, old, imported_by in cursor:
        digest = text_hash(model_input(title, text))
        if digest == old:
            unchanged += 1
            known.current.setdefault(digest, pid)
        elif import_id is None or imported_by == import_id:
            todo.append((pid, digest))
    return todo, unchanged, known


def _take_orphans(store: Store, report: IndexReport) -> dict[str, bytes]:
    """Delete vectors of passages that no longer exist; return them by text hash for reuse."""
    orphans = "FROM passage_vectors WHERE passage_id NOT IN (SELECT id FROM passages)"
    rows = list(store.stream(f"SELECT passage_id, text_hash, vector {orphans}"))
    if rows:
        with store.transaction():
            store.execute(f"DELETE {orphans}")
            _bump(store)
    report.removed = len(rows)
    return {digest: blob for _, digest, blob in rows}


def _bump(store: Store) -> int:
    generation = int(meta(store).get("generation", "0")) + 1
    store.execute("UPDATE vector_meta SET value = ? WHERE key = 'generation'", (str(generation),))
    return generation


def _write_batch(
    store: Store, embedder: Embedder, batch: list[tuple[int, str]], known: _Known, report: IndexReport
) -> None:
    """Embed one batch (each distinct text once; texts with a vector already reuse it) and write it."""
    texts = _texts(store, [pid for pid, _ in batch])
    blobs: dict[int, bytes] = {}
    need: dict[str, list[int]] = {}  # text hash → the passages of this batch with that text
    for pid, digest in batch:
        text = texts.get(pid, "")
        if not text.strip():
            blobs[pid] = b""
            report.empty += 1
        elif (blob := known.blob(store, digest)) is not None:
            blobs[pid] = blob
            report.reused += 1
        else:
            need.setdefault(digest, []).append(pid)
    if need:
        firsts = [pids[0] for pids in need.values()]
        for pids, rows in zip(need.values(), embed_passages(embedder, [texts[p] for p in firsts]), strict=True):
            blobs.update(dict.fromkeys(pids, rows.astype(STORED).tobytes()))
        report.embedded += len(need)
        report.reused += sum(len(pids) - 1 for pids in need.values())
    with store.transaction():
        generation = _bump(store)
        for pid, digest in batch:
            store.execute(_UPSERT_VECTOR, (pid, embedder.name, digest, generation, blobs[pid]))
    known.current.update({digest: pids[0] for digest, pids in need.items()})


_UPSERT_VECTOR = (
    "INSERT INTO passage_vectors (passage_id, model, text_hash, generation, vector) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (passage_id) DO UPDATE SET model = excluded.model, text_hash = excluded.text_hash, "
    "generation = excluded.generation, vector = excluded.vector"
)


def embed_passages(embedder: Embedder, texts: list[str]) -> list[Vectors]:
    """Each passage's vectors: one per window where the model has windows, else one."""
    windows = getattr(embedder, "embed_windows", None)
    if windows is not None:
        rows: list[Vectors] = windows(texts)
        return rows
    return list(embedder.embed(texts)[:, None, :])


def _texts(store: Store, ids: list[int]) -> dict[int, str]:
    marks = ", ".join("?" * len(ids))
    rows = store.stream(f"SELECT id, title, text FROM passages WHERE id IN ({marks})", ids)
    return {pid: model_input(title, text) for pid, title, text in rows}


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


def decode(blob: bytes, dims: int) -> Vectors:
    """A passage's stored vectors: one row per window."""
    return np.frombuffer(blob, dtype=STORED).reshape(-1, dims).astype(np.float32)


def stored_dims(store: Store) -> int:
    """Dimensions of the stored vectors (recorded in vector_meta; older workspaces: one row's length)."""
    recorded = meta(store).get("dims")
    if recorded:
        return int(recorded)
    rows = store.rows("SELECT vector FROM passage_vectors WHERE length(vector) > 0 LIMIT 1")
    return len(rows[0]["vector"]) // np.dtype(STORED).itemsize if rows else 1


def passage_vectors(store: Store, ids: list[int]) -> tuple[NDArray[np.int64], Vectors]:
    """The stored vectors of these passages (those that have any), as (passage id per row, matrix)."""
    dims = stored_dims(store)
    found_ids, rows = [], []
    for i in range(0, len(ids), 900):
        chunk = ids[i : i + 900]
        marks = ", ".join("?" * len(chunk))
        sql = f"SELECT passage_id, vector FROM passage_vectors WHERE length(vector) > 0 AND passage_id IN ({marks})"
        for pid, blob in store.stream(sql, chunk):
            vectors = decode(blob, dims)
            found_ids.extend([pid] * len(vectors))
            rows.append(vectors)
    matrix = np.vstack(rows) if rows else np.zeros((0, 1), dtype=np.float32)
    return np.asarray(found_ids, dtype=np.int64), matrix


def open_vector_index(store: Store, model: str) -> VectorIndex:
    """The workspace's ANN index: the usearch file beside a SQLite file, the pgvector table on PostgreSQL."""
    if is_postgres(store):
        from ..pg.vectors import PgVectorIndex

        return PgVectorIndex(store, model)
    return VectorIndex(store, model)


class VectorIndex:
    """Nearest-neighbour search over the workspace's vectors (HNSW file, or exact when small)."""

    def __init__(self, store: Store, model: str) -> None:
        check_model(store, model)
        if indexed_model(store) is None:
            command = f"insights index --db {store.path}"
            raise EmbeddingError(f"Workspace '{store.path}' has no passage vectors yet. Compute them with: {command}")
        self.store = store
        self.model = model
        self.path = Path(f"{store.path}.usearch")
        self.info_path = Path(f"{store.path}.usearch.json")
        self._index: Any = None
        self.count = 0
        self.loaded_generation: int | None = None

    # -- loading and syncing -------------------------------------------------------

    def generation(self, store: Store | None = None) -> int:
        """The workspace's vector generation (it grows with every write to the vector table)."""
        return int(meta(store or self.store).get("generation", "0"))

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
            self.loaded_generation = self.generation()
            if info.get("generation") == self.loaded_generation:
                self._index = Index.restore(str(self.path), view=True)
            else:
                self._index = self._synced(Index.restore(str(self.path)) if info else None, info)
            self.count = len(self._index)
        return self._index

    def sync(self) -> None:
        """Bring the index file up to date with the table (incremental when the file exists)."""
        Index = usearch_index()
        info = self._file_info()
        self.loaded_generation = self.generation()
        self._index = self._synced(Index.restore(str(self.path)) if info else None, info)
        self.count = len(self._index)

    def _synced(self, index: Any, info: dict[str, Any]) -> Any:
        if index is not None and index.ndim != stored_dims(self.store):
            index = None  # subtle: a file from before the model changed (or from no vectors) is rebuilt
        since = int(info.get("generation", -1)) if index is not None else -1
        generation = self.generation()
        index = index if index is not None else self._new_index()
        live = {
            r[0] for r in self.store.conn.execute("SELECT passage_id FROM passage_vectors WHERE length(vector) > 0")
        }
        stale = [int(k) for k in index.keys if int(k) not in live]
        for ids, matrix in self._rows_since(since):
            if not index.multi and len(ids) != len(set(ids.tolist())):
                return self._synced(None, {})  # subtle: a one-vector-per-passage file cannot take windows
            stale.extend(int(k) for k in set(ids.tolist()) if index.contains(int(k)))
            if stale:
                index.remove(np.asarray(stale, dtype=np.uint64))
                stale = []
            index.add(ids.astype(np.uint64), matrix)
        if stale:
            index.remove(np.asarray(stale, dtype=np.uint64))
        self._save(index, generation)
        return index

    def _new_index(self) -> Any:
        return usearch_index()(
            ndim=stored_dims(self.store),
            metric="cos",
            dtype="f16",
            connectivity=CONNECTIVITY,
            expansion_add=EXPANSION_ADD,
            expansion_search=EXPANSION_SEARCH,
            multi=True,  # one key (passage id) per window vector
        )

    def _rows_since(self, generation: int) -> Iterator[tuple[NDArray[np.int64], Vectors]]:
        """(passage id per window, window vectors) of rows written after ``generation``, in chunks."""
        dims = stored_dims(self.store)
        cursor = self.store.conn.execute(
            "SELECT passage_id, vector FROM passage_vectors WHERE generation > ? AND length(vector) > 0 "
            "ORDER BY passage_id",
            (generation,),
        )
        while rows := cursor.fetchmany(20_000):
            counts = [len(r[1]) // (dims * np.dtype(STORED).itemsize) for r in rows]
            ids = np.repeat(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), counts)
            matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=STORED).reshape(-1, dims)
            yield ids, matrix.astype(np.float32)

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
                f"Workspace '{self.store.path}' holds {index.ndim}-dimensional vectors, the query has "
                f"{query.shape[-1]}. Rebuild it with: {rebuild_command(self.store, self.model)}"
            )
        wanted = min(k * 4 if index.multi else k, len(index))  # several windows of one passage may come back
        matches = index.search(query.astype(np.float32), wanted, exact=len(index) <= EXACT_MAX)
        best: dict[int, float] = {}
        for key, distance in zip(matches.keys, matches.distances, strict=True):
            best.setdefault(int(key), 1.0 - float(distance))  # best first, so the first is each passage's best
        return list(best.items())[:k]

    def search_among(
        self, query: Vectors, ids: list[int], k: int, *, store: Store | None = None
    ) -> list[tuple[int, float]]:
        """Exact search restricted to these passages (used when filters remove most ANN hits)."""
        found, matrix = passage_vectors(store or self.store, ids)
        if not len(found):
            return []
        scores = normalize(matrix) @ query.astype(np.float32)
        best: dict[int, float] = {}
        for i in np.argsort(-scores):
            best.setdefault(int(found[i]), float(scores[i]))
            if len(best) >= k:
                break
        return list(best.items())

    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.is_file() else 0
