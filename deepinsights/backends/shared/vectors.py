"""The vector tables both backends keep alike: ``passage_vectors`` (the truth) and ``vector_meta``.

Vectors are float16 BLOBs, one embedding model per workspace (recorded in ``vector_meta``
with its dimensions and a generation number that grows with every write), several rows
(windows) per passage where the model has windows; an empty vector marks a passage with
nothing to embed. ``VectorTables`` is a mixin ``sqlite.Store`` and ``postgresql.PgStore``
inherit: every read and write of those tables, written once with ``?`` placeholders.
``semantic.index`` decides what to embed and calls it; each backend keeps its own
nearest-neighbour index beside the table (a usearch file, a pgvector table).

It opens no connection and computes no vector.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ...errors import EmbeddingError
from .reads import marks

Vectors = NDArray[np.float32]
STORED = np.float16
CONNECTIVITY = 16  # HNSW graph degree, on both backends
EXPANSION_ADD = 128
EXPANSION_SEARCH = 96
CHUNK = 900  # ids per query: fewer than SQLite takes as parameters

_UPSERT_VECTOR = (
    "INSERT INTO passage_vectors (passage_id, model, text_hash, generation, vector) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (passage_id) DO UPDATE SET model = excluded.model, text_hash = excluded.text_hash, "
    "generation = excluded.generation, vector = excluded.vector"
)
_ORPHANS = "FROM passage_vectors WHERE passage_id NOT IN (SELECT id FROM passages)"
_LEASE_COLUMNS = ("holder", "scope", "host", "pid", "pid_started", "acquired_at", "heartbeat_at", "done", "total")


class VectorTables:
    """Reads and writes of ``passage_vectors`` and ``vector_meta``; backends give ``rows``, ``stream``, ``execute``."""

    location: str  # what messages name the workspace by
    db_arg: str  # the workspace as a command's --db value
    unmigrated: list[str]  # migrations reading does not need that it lacks (opened read-only)

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    # -- what the workspace holds

    def vector_meta(self) -> dict[str, str]:
        """``vector_meta`` as a dict: model, dims, generation (and a backend's own keys)."""
        return {r["key"]: r["value"] for r in self.rows("SELECT key, value FROM vector_meta")}

    def indexed_model(self) -> str | None:
        """The embedding model this workspace's vectors were built with, or None when there are none."""
        return self.vector_meta().get("model")

    def vector_generation(self) -> int:
        """The vectors' generation: it grows with every write to ``passage_vectors``."""
        return int(self.vector_meta().get("generation", "0"))

    def require_vector_search(self) -> None:
        """Raise EmbeddingError (with the fix) when this workspace cannot hold vectors; nothing here."""

    def check_model(self, model: str) -> None:
        """Raise EmbeddingError when the workspace's vectors come from a model other than ``model``."""
        built = self.indexed_model()
        if built is not None and built != model:
            raise EmbeddingError(
                f"Workspace '{self.location}' was indexed with '{built}', not '{model}'; vectors are never mixed. "
                f"Rebuild it with: {self.rebuild_command(model)} (or search with --embedding-model {built})"
            )

    def rebuild_command(self, model: str) -> str:
        """The command that replaces this workspace's vectors with ``model``'s."""
        return f"insights index --rebuild --embedding-model {model} --db {self.db_arg}"

    def stored_dims(self) -> int:
        """Dimensions of the stored vectors (recorded in vector_meta; older workspaces: one row's length)."""
        recorded = self.vector_meta().get("dims")
        if recorded:
            return int(recorded)
        rows = self.rows("SELECT vector FROM passage_vectors WHERE length(vector) > 0 LIMIT 1")
        return len(rows[0]["vector"]) // np.dtype(STORED).itemsize if rows else 1

    def live_vector_ids(self) -> set[int]:
        """The passages that have a (non-empty) vector."""
        return {int(r[0]) for r in self.stream("SELECT passage_id FROM passage_vectors WHERE length(vector) > 0")}

    # -- writing them (semantic.index decides what)

    def start_vectors(self, model: str, dims: int, *, rebuild: bool) -> None:
        """Record the model (and, with ``rebuild``, drop every vector first) in one transaction."""
        with self.transaction():
            if rebuild:
                self.execute("DELETE FROM passage_vectors")
                # subtle: the generation only ever grows, so an index from before can never look current
                self.execute("DELETE FROM vector_meta WHERE key != 'generation'")
                self._bump()
            for key, value in (("model", model), ("generation", "0"), ("dims", str(dims))):
                self.execute("INSERT INTO vector_meta (key, value) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, value))

    def passages_and_vector_hashes(self) -> Iterator[tuple[int, str | None, str, str | None, int | None]]:
        """(passage id, title, text, text hash of its vector or None, its document's import) of every passage, by id."""
        yield from self.stream(
            "SELECT p.id, p.title, p.text, v.text_hash, d.import_id FROM passages p "
            "JOIN documents d ON d.id = p.document_id "
            "LEFT JOIN passage_vectors v ON v.passage_id = p.id ORDER BY p.id"
        )

    def passages_without_vectors(self) -> int:
        """How many passages have no vector row yet."""
        missing = "NOT EXISTS (SELECT 1 FROM passage_vectors v WHERE v.passage_id = p.id)"
        return int(self.rows(f"SELECT count(*) AS n FROM passages p WHERE {missing}")[0]["n"])

    def vector_blob(self, passage_id: int) -> bytes | None:
        """The stored vectors of one passage as they are stored (to copy to a passage of the same text)."""
        rows = self.rows("SELECT vector FROM passage_vectors WHERE passage_id = ?", (passage_id,))
        return bytes(rows[0]["vector"]) if rows else None

    def take_orphan_vectors(self) -> list[tuple[int, str, bytes]]:
        """Delete the vectors of passages that no longer exist; return them as (passage id, text hash, blob)."""
        rows = self.stream(f"SELECT passage_id, text_hash, vector {_ORPHANS}")
        found = [(int(pid), str(digest), bytes(blob)) for pid, digest, blob in rows]
        if found:
            with self.transaction():
                self.execute(f"DELETE {_ORPHANS}")
                self._bump()
        return found

    def passage_inputs(self, ids: list[int]) -> dict[int, tuple[str | None, str]]:
        """(title, text) of these passages."""
        found: dict[int, tuple[str | None, str]] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            rows = self.stream(f"SELECT id, title, text FROM passages WHERE id IN ({marks(chunk)})", chunk)
            found.update((int(pid), (title, text)) for pid, title, text in rows)
        return found

    def write_vectors(self, model: str, rows: list[tuple[int, str, Vectors | bytes]]) -> None:
        """Store (passage id, text hash, window vectors) rows as one transaction of a new generation.

        A row's vectors may be a stored blob as ``take_orphan_vectors`` returned it (reused as
        it is); ``b""`` marks a passage with nothing to embed.
        """
        with self.transaction():
            generation = self._bump()
            for pid, digest, vectors in rows:
                blob = vectors if isinstance(vectors, bytes) else vectors.astype(STORED).tobytes()
                self.execute(_UPSERT_VECTOR, (pid, model, digest, generation, blob))

    # -- the lease on computing them (semantic.lease decides who holds it)

    def lease_row(self, name: str) -> dict[str, Any] | None:
        """The ``index_lease`` row ``name`` (holder, scope, host, pid, …), or None (also before migration m011)."""
        if "m011_index_lease" in self.unmigrated:  # a read-only workspace from before m011 has no lease table
            return None
        rows = self.rows(f"SELECT {', '.join(_LEASE_COLUMNS)} FROM index_lease WHERE name = ?", (name,))
        return rows[0] if rows else None

    def claim_lease(self, name: str, row: dict[str, Any], *, replacing: str | None) -> None:
        """Write ``row`` as lease ``name`` if nobody holds it (``replacing`` None) or ``replacing`` still does.

        A compare-and-set: of two processes claiming at once, one row wins; read it back to know which.
        """
        values = [name, *(row[c] for c in _LEASE_COLUMNS)]
        if replacing is None:
            self.execute(
                f"INSERT INTO index_lease (name, {', '.join(_LEASE_COLUMNS)}) VALUES ({marks(values)}) "
                "ON CONFLICT (name) DO NOTHING",
                values,
            )
            return
        assignments = ", ".join(f"{c} = ?" for c in _LEASE_COLUMNS)
        self.execute(
            f"UPDATE index_lease SET {assignments} WHERE name = ? AND holder = ?", (*values[1:], name, replacing)
        )

    def renew_lease(self, name: str, holder: str, heartbeat_at: float, done: int, total: int) -> None:
        """Record the holder's progress and a fresh heartbeat (nothing when it no longer holds it)."""
        self.execute(
            "UPDATE index_lease SET heartbeat_at = ?, done = ?, total = ? WHERE name = ? AND holder = ?",
            (heartbeat_at, done, total, name, holder),
        )

    def release_lease(self, name: str, holder: str) -> None:
        """Let go of lease ``name`` if ``holder`` holds it."""
        self.execute("DELETE FROM index_lease WHERE name = ? AND holder = ?", (name, holder))

    def _bump(self) -> int:
        generation = self.vector_generation() + 1
        self.execute("UPDATE vector_meta SET value = ? WHERE key = 'generation'", (str(generation),))
        return generation

    # -- reading them back

    def passage_vectors(self, ids: list[int]) -> tuple[NDArray[np.int64], Vectors]:
        """The stored vectors of these passages (those that have any), as (passage id per row, matrix)."""
        rows: list[tuple[Any, ...]] = []
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            sql = (
                "SELECT passage_id, vector FROM passage_vectors "
                f"WHERE length(vector) > 0 AND passage_id IN ({marks(chunk)})"
            )
            rows.extend(self.stream(sql, chunk))
        if not rows:
            return np.zeros(0, dtype=np.int64), np.zeros((0, 1), dtype=np.float32)
        return _windows(rows, self.stored_dims())

    def windows_since(self, generation: int) -> int:
        """How many window vectors ``vectors_since(generation)`` yields (for progress), without reading them."""
        sql = "SELECT coalesce(sum(length(vector)), 0) AS n FROM passage_vectors WHERE generation > ?"
        return int(self.rows(sql, [generation])[0]["n"]) // (self.stored_dims() * np.dtype(STORED).itemsize)

    def vectors_since(self, generation: int, *, chunk: int = 20_000) -> Iterator[tuple[NDArray[np.int64], Vectors]]:
        """(passage id per window, window vectors) of the rows written after ``generation``, a chunk at a time."""
        dims = self.stored_dims()
        batch: list[tuple[Any, ...]] = []
        sql = (
            "SELECT passage_id, vector FROM passage_vectors WHERE generation > ? AND length(vector) > 0 "
            "ORDER BY passage_id"
        )
        for row in self.stream(sql, [generation]):
            batch.append(row)
            if len(batch) >= chunk:
                yield _windows(batch, dims)
                batch = []
        if batch:
            yield _windows(batch, dims)


def _windows(rows: list[tuple[Any, ...]], dims: int) -> tuple[NDArray[np.int64], Vectors]:
    """(passage id per window, window vectors) of (passage id, stored vector BLOB) rows."""
    counts = [len(r[1]) // (dims * np.dtype(STORED).itemsize) for r in rows]
    ids = np.repeat(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), counts)
    matrix = np.frombuffer(b"".join(bytes(r[1]) for r in rows), dtype=STORED).reshape(-1, dims)
    return ids, matrix.astype(np.float32)
