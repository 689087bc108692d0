"""Semantic search on PostgreSQL: passage vectors in a pgvector table with an HNSW index.

The truth stays where it is on SQLite: ``passage_vectors`` (float16 BYTEA, one model per
workspace in ``vector_meta``), written by ``semantic.index`` on both backends, so ``db copy``
carries vectors both ways. ``PgVectorIndex`` plays the part of the usearch file: the table
``passage_embeddings`` (one ``halfvec`` row per passage window, HNSW with cosine distance)
is synced from ``passage_vectors`` by generation number after each ``insights index`` run,
and is created lazily by the first one (``CREATE EXTENSION IF NOT EXISTS vector``). Its
sync generation and dimensions are kept in ``vector_meta`` (``pgvector_generation``,
``pgvector_dims``); a rebuild or another model's dimensions recreate it whole.

``PgVectorIndex.nearest`` runs the filters (kind/thinker/since/until) in the same SQL as the distance
ordering; with pgvector 0.8+ the HNSW scan is iterative, so a selective filter still
returns ``depth`` passages. halfvec needs pgvector 0.7 or later.

Where the server has no pgvector, ``pgvector_available`` is False (so ``indexed_model``
reports no vectors and BM25 stays the default) and ``require_pgvector`` raises an
EmbeddingError naming the database and the fix. This module does not compute vectors or
decide which passages need them (``semantic.index`` does) and does not fuse rankings
(``semantic.hybrid`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import psycopg
from numpy.typing import NDArray
from psycopg import errors as pgerrors

from ...errors import EmbeddingError, StoreError
from ...models import SearchFilter
from ..shared.reads import FilterSql
from ..shared.vectors import CONNECTIVITY, EXPANSION_ADD, EXPANSION_SEARCH, STORED, Vectors
from .errors import explain
from .sql import pg_sql

if TYPE_CHECKING:
    from .store import PgStore

TABLE = "passage_embeddings"
GENERATION_KEY = "pgvector_generation"
DIMS_KEY = "pgvector_dims"
HNSW_MAX_DIMS = 4000  # pgvector's limit for an HNSW index on halfvec; above it searches are exact scans
MAX_EF_SEARCH = 1000  # pgvector's upper bound for hnsw.ef_search
WINDOWS_PER_PASSAGE = 4  # windows fetched per wanted passage (a long passage has several), as with usearch
SYNC_ROWS = 2000
COPY_SQL = f"COPY {TABLE} (passage_id, window_no, embedding) FROM STDIN"
NEEDS = (0, 7)  # halfvec


# -- the extension -------------------------------------------------------------------


def _extension(store: PgStore) -> tuple[str | None, str | None]:
    """(version the server could install, version installed in this database); None where absent."""
    rows = store.rows("SELECT default_version, installed_version FROM pg_available_extensions WHERE name = 'vector'")
    return (rows[0]["default_version"], rows[0]["installed_version"]) if rows else (None, None)


def pgvector_available(store: PgStore) -> bool:
    """Whether this database has pgvector, or its server could install it."""
    available, installed = _extension(store)
    return bool(available or installed)


def missing_message(store: PgStore) -> str:
    """The one-line reason and fix for a server without pgvector."""
    pg = store
    number = pg.rows("SHOW server_version_num")[0]["server_version_num"]
    major = int(number) // 10000
    return (
        f"PostgreSQL database '{pg.location}': the server has no pgvector extension, which semantic and hybrid "
        f"search need there. Install it on the server (e.g. apt install postgresql-{major}-pgvector, or a "
        "PostgreSQL build with pgvector) and run the command again, or use a SQLite workspace; BM25 search works "
        "without it."
    )


def require_pgvector(store: PgStore) -> str:
    """Make sure the database has pgvector (creating the extension if needed); return its version.

    Raises EmbeddingError with the fix when the server lacks it, the user may not create
    it, or it is older than 0.7 (no halfvec).
    """
    pg = store
    available, installed = _extension(pg)
    if not available and not installed:
        raise EmbeddingError(missing_message(pg))
    if installed is None:
        installed = _create_extension(pg)
    if _version(installed) < NEEDS:
        raise EmbeddingError(
            f"PostgreSQL database '{pg.location}' has pgvector {installed}; semantic search needs 0.7 or later. "
            "Update it (ALTER EXTENSION vector UPDATE, after installing a newer pgvector on the server)."
        )
    return installed


def _create_extension(pg: PgStore) -> str:
    try:
        with pg.connection() as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    except pgerrors.UniqueViolation:
        pass  # subtle: another process created it at the same moment (IF NOT EXISTS checks before it inserts)
    except pgerrors.InsufficientPrivilege:
        raise EmbeddingError(
            f"PostgreSQL database '{pg.location}': this user may not create the pgvector extension. "
            "Ask a superuser to run CREATE EXTENSION vector in that database, then run the command again."
        ) from None
    except psycopg.Error as ex:
        raise StoreError(explain(pg.url, ex)) from None
    return str(_extension(pg)[1])


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".")[:2] if part.isdigit())


def halfvec_text(row: NDArray[Any]) -> str:
    """One vector in pgvector's text form (``[0.1,0.2]``); float16 values print exactly."""
    return "[" + ",".join(map(str, row.tolist())) + "]"


# -- the index -----------------------------------------------------------------------


class PgVectorIndex:
    """Nearest-neighbour search over the workspace's vectors in the pgvector table ``passage_embeddings``."""

    def __init__(self, store: PgStore, model: str) -> None:
        pg = store
        pg.check_model(model)
        if not pgvector_available(pg):
            raise EmbeddingError(missing_message(pg))
        if pg.vector_meta().get("model") is None:
            command = f"insights index --db {pg.db_arg}"
            raise EmbeddingError(f"Workspace '{pg.location}' has no passage vectors yet. Compute them with: {command}")
        self.pg = pg
        self.model = model
        self.count = 0
        self.loaded_generation: int | None = None

    # -- syncing -------------------------------------------------------------------

    def current(self) -> bool:
        """Whether the pgvector table holds exactly the vectors of ``passage_vectors``."""
        info = self.pg.vector_meta()
        exists = self.pg.rows("SELECT to_regclass(?) IS NOT NULL AS found", [TABLE])[0]["found"]
        return bool(exists) and info.get(GENERATION_KEY) == info.get("generation", "0")

    def load(self) -> PgVectorIndex:
        """Make sure the table is current (syncing it when the store may write); return the index."""
        if not self.current():
            if self.pg.read_only:
                raise EmbeddingError(
                    f"Workspace '{self.pg.location}' has passage vectors that are not in its pgvector index yet. "
                    f"Add them with: insights index --db '{self.pg.location}'"
                )
            self.sync()
        self.loaded_generation = self.pg.vector_generation()
        return self

    def sync(self) -> None:
        """Bring the pgvector table up to date with ``passage_vectors`` (incremental when it is current enough)."""
        require_pgvector(self.pg)
        dims = self._dims()
        info = self.pg.vector_meta()
        whole = not self._table_exists() or info.get(DIMS_KEY) != str(dims) or GENERATION_KEY not in info
        since = -1 if whole else int(info[GENERATION_KEY])
        generation = self.pg.vector_generation()
        with self.pg.transaction():
            conn = self.pg.conn
            if whole:
                conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
                conn.execute(
                    f"CREATE TABLE {TABLE} (passage_id BIGINT NOT NULL, window_no INTEGER NOT NULL, "
                    f"embedding halfvec({dims}) NOT NULL, PRIMARY KEY (passage_id, window_no))"
                )
            else:
                self._drop_stale(conn, since)
            self._copy_since(conn, since, dims)
            if whole and dims <= HNSW_MAX_DIMS:
                conn.execute(
                    f"CREATE INDEX {TABLE}_hnsw ON {TABLE} USING hnsw (embedding halfvec_cosine_ops) "
                    f"WITH (m = {CONNECTIVITY}, ef_construction = {EXPANSION_ADD})"
                )
            for key, value in ((GENERATION_KEY, str(generation)), (DIMS_KEY, str(dims))):
                conn.execute(
                    "INSERT INTO vector_meta (key, value) VALUES (%s, %s) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        self.count = int(self.pg.rows(f"SELECT count(*) AS n FROM {TABLE}")[0]["n"])
        self.loaded_generation = generation

    def _dims(self) -> int:
        recorded = self.pg.stored_dims()
        if recorded > 1:
            return recorded
        rows = self.pg.rows("SELECT length(vector) AS n FROM passage_vectors WHERE length(vector) > 0 LIMIT 1")
        return int(rows[0]["n"]) // np.dtype(STORED).itemsize if rows else max(recorded, 1)

    def _table_exists(self) -> bool:
        return bool(self.pg.rows("SELECT to_regclass(?) IS NOT NULL AS found", [TABLE])[0]["found"])

    @staticmethod
    def _drop_stale(conn: psycopg.Connection[Any], since: int) -> None:
        """Delete the rows of passages whose vector changed after ``since`` or is gone."""
        conn.execute(
            f"DELETE FROM {TABLE} e USING passage_vectors v WHERE v.passage_id = e.passage_id AND v.generation > %s",
            (since,),
        )
        conn.execute(
            f"DELETE FROM {TABLE} e WHERE NOT EXISTS (SELECT 1 FROM passage_vectors v "
            "WHERE v.passage_id = e.passage_id AND length(v.vector) > 0)"
        )

    @staticmethod
    def _copy_since(conn: psycopg.Connection[Any], since: int, dims: int) -> None:
        """COPY every window vector written after ``since`` into the table, a chunk at a time.

        subtle: a named (server-side) cursor, so reading and COPY can take turns on one connection.
        """
        with conn.cursor(name="deepinsights_vectors") as rows:
            rows.execute(
                "SELECT passage_id, vector FROM passage_vectors WHERE generation > %s AND length(vector) > 0",
                (since,),
            )
            while chunk := rows.fetchmany(SYNC_ROWS):
                with conn.cursor() as out, out.copy(COPY_SQL) as copy:
                    for pid, blob in chunk:
                        matrix = np.frombuffer(blob, dtype=STORED).reshape(-1, dims)
                        for window, row in enumerate(matrix):
                            copy.write_row((pid, window, halfvec_text(row)))

    # -- searching -----------------------------------------------------------------

    def search(self, query: Vectors, k: int) -> list[tuple[int, float]]:
        """The ``k`` nearest passages to a normalised query vector as (passage id, cosine), best first."""
        return self.search_where(query, k, "", [])

    def nearest(self, vector: Vectors, filters: SearchFilter, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` nearest passages passing ``filters`` (not its page) as (passage id, cosine), best first.

        The filters run in the same SQL as the distance ordering.
        """
        built = FilterSql.build(filters)
        return self.search_where(vector, depth, built.sql, built.params)

    def search_where(self, query: Vectors, k: int, where: str, params: list[Any]) -> list[tuple[int, float]]:
        """``search`` among the passages whose joined ``p``/``d`` rows pass ``where`` (``?`` placeholders)."""
        self.load()
        if k <= 0:
            return []
        dims = int(self.pg.vector_meta().get(DIMS_KEY, "0"))
        if query.shape[-1] != dims:
            raise EmbeddingError(
                f"Workspace '{self.pg.location}' holds {dims}-dimensional vectors, the query has "
                f"{query.shape[-1]}. Rebuild it with: {self.pg.rebuild_command(self.model)}"
            )
        windows = k * WINDOWS_PER_PASSAGE
        params = [halfvec_text(query.astype(np.float32)), *params, windows]
        best: dict[int, float] = {}
        for pid, distance in self._run(nearest_sql(where), params, windows):
            best.setdefault(int(pid), 1.0 - float(distance))  # best first: each passage's first is its best window
        return list(best.items())[:k]

    def _run(self, sql: str, params: list[Any], windows: int) -> list[tuple[Any, ...]]:
        """Run a nearest-neighbour query with HNSW settings that let it return ``windows`` rows."""
        version = _extension(self.pg)[1] or "0"
        try:
            with self.pg.connection() as conn, conn.transaction():
                conn.execute(f"SET LOCAL hnsw.ef_search = {min(MAX_EF_SEARCH, max(EXPANSION_SEARCH, windows))}")
                if _version(version) >= (0, 8):
                    conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")  # re-sorted by the outer query
                return conn.execute(pg_sql(sql), params).fetchall()
        except psycopg.Error as ex:
            raise StoreError(explain(self.pg.url, ex)) from None

    def size_bytes(self) -> int:
        rows = self.pg.rows("SELECT coalesce(pg_total_relation_size(to_regclass(?)), 0) AS n", [TABLE])
        return int(rows[0]["n"])


def nearest_sql(where: str = "") -> str:
    """The nearest-window query (``?`` placeholders: the query vector, ``where``'s parameters, the limit).

    subtle: the inner ORDER BY is the distance alone, so PostgreSQL can walk the HNSW index;
    the outer one re-sorts what an iterative (relaxed order) scan returned.
    """
    join = f" JOIN passages p ON p.id = e.passage_id JOIN documents d ON d.id = p.document_id WHERE {where}"
    return (
        f"WITH near AS MATERIALIZED (SELECT e.passage_id, e.embedding <=> ?::halfvec AS distance FROM {TABLE} e"
        f"{join if where else ''} ORDER BY distance LIMIT ?) "
        "SELECT passage_id, distance FROM near ORDER BY distance"
    )
