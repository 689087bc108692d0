"""The workspace interface, and opening a workspace by its ``--db`` value: a SQLite file or a PostgreSQL URL.

``Workspace`` is the typed interface (a ``Protocol``) that search, semantic search, verify,
distill, ask, the web and the CLI use; ``backends.sqlite.Store`` and
``backends.postgresql.PgStore`` implement it, and mypy checks both against it here
(``open_store`` returns either as a ``Workspace``). ``open_store`` is the one place that
decides the backend; nothing else constructs a store from a ``--db`` value or asks which
backend it has.

``is_url`` tells a URL from a path, so that no caller treats a URL as a file: ``exists`` and
``folder`` (where a workspace's profiles live: beside the file, or the current folder for a
URL) answer for both, and ``beside`` names a file of the workspace's own (a log) next to it.
``describe`` gives the form of a ``--db`` value that is safe to print (a URL's password masked).

It does not read or write a workspace itself, and imports psycopg only for a URL.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import numpy as np
from numpy.typing import NDArray

from .backends.shared.vectors import Vectors
from .backends.sqlite import Store
from .backends.sqlite.store import explain
from .models import (
    Candidates,
    DocRef,
    Document,
    ImportReport,
    NearPassage,
    SearchFilter,
    SearchHit,
    SearchPlan,
    SearchResults,
    Tally,
)

URL_SCHEMES = ("postgresql://", "postgres://")
Db: TypeAlias = str | Path
"""A ``--db`` value: a SQLite file path, or a PostgreSQL URL (always a ``str``)."""
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.DatabaseError,)
"""What a backend may let through mid-read (a damaged SQLite page): ``explain_error`` says it in one line."""


class VectorIndex(Protocol):
    """A workspace's nearest-neighbour index of one model's passage vectors."""

    model: str

    def search(self, vector: Vectors, k: int) -> list[tuple[int, float]]:
        """The ``k`` passages nearest a normalised vector as (passage id, cosine), best first."""

    def nearest(self, vector: Vectors, filters: SearchFilter, depth: int) -> list[tuple[int, float]]:
        """The ``depth`` passages nearest ``vector`` that pass ``filters`` (not its page), best first."""


class Workspace(Protocol):
    """A workspace: documents, passages, their full-text index, vectors and imports, on either backend."""

    location: str  # what messages name it by
    db_arg: str  # it as the --db value of a command to suggest
    read_only: bool
    unmigrated: list[str]  # migrations reading does not need that it lacks (opened read-only)

    def close(self) -> None:
        """Close it (its connection; a pooled one leaves the pool to its owner)."""

    # -- writing

    def transaction(self) -> AbstractContextManager[None]:
        """A block that is one transaction: everything it wrote is kept, or nothing is."""

    def savepoint(self) -> AbstractContextManager[None]:
        """A block inside ``transaction()`` that, when it raises, is undone alone (the exception goes on)."""

    def begin_import(self, paths: list[str], thinker: str | None) -> int:
        """Record the start of an import (inside ``transaction()``); return its id."""

    def finish_import(self, report: ImportReport) -> None:
        """Record the outcome of the import ``report.import_id``."""

    def upsert_documents(
        self,
        docs: Iterable[Document],
        report: ImportReport,
        *,
        thinker: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Add new documents, update changed ones, count unchanged ones (inside ``transaction()``)."""

    def upsert_prepared(
        self,
        batches: Iterable[list[Any]],
        report: ImportReport,
        *,
        thinker: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """``upsert_documents`` for documents already prepared in another process (``pipeline``)."""

    # -- whole tables (dbcopy)

    def table_names(self) -> list[str]:
        """The tables a copy carries, each after the tables it refers to."""

    def row_count(self, table: str) -> int:
        """Rows in ``table``."""

    def last_key(self, table: str) -> Any:
        """The largest key in ``table``, or None when it is empty."""

    def rows_after(self, table: str, key: Any = None) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table`` whose key is above ``key`` (None: all), in key order."""

    def insert_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows_after`` rows as they are, ids included, inside ``transaction()``."""

    def after_copy(self) -> None:
        """After rows were inserted with their ids: let new rows get ids past them."""

    # -- reading

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """The stored document with this id, or None."""

    def passages(self, doc_id: str) -> list[dict[str, Any]]:
        """The passages of a document, in order."""

    def passage(self, passage_id: int) -> dict[str, Any] | None:
        """The passage with this id, or None."""

    def stats(self, thinker: str | None = None) -> list[dict[str, Any]]:
        """Per thinker and kind: items, words, first and last date."""

    def thinkers(self) -> list[str]:
        """Every thinker with at least one document, sorted."""

    def stream_documents(self, thinkers: list[str]) -> Iterator[tuple[Any, ...]]:
        """(id, thinker, kind, title, url, published_at) of these thinkers' documents (all when none), by date."""

    def stream_passages(self, thinkers: list[str]) -> Iterator[tuple[Any, ...]]:
        """(document id, text, url, anchor) of these thinkers' passages (all when none), by passage id."""

    def passage_count(self, thinkers: list[str]) -> int:
        """How many passages ``stream_passages(thinkers)`` yields."""

    def kinds(self, thinker: str | None = None) -> set[str]:
        """The document kinds present (of one thinker, or of all)."""

    def imports(self) -> list[dict[str, Any]]:
        """Every finished import, oldest first."""

    def document_count(self, thinkers: list[str] | None = None) -> int:
        """Number of stored documents (of these thinkers: what ``stream_documents(thinkers)`` yields)."""

    def search(
        self,
        q: str,
        filters: SearchFilter | None = None,
        *,
        raw: bool = False,
        prefix_last: bool = False,
        candidates: int | None = None,
        snippets: bool = True,
    ) -> SearchResults:
        """The passages matching ``q`` that pass ``filters``, best first, highlighted (unless not ``snippets``)."""

    def dress(self, hits: list[SearchHit], fts_query: str) -> list[SearchHit]:
        """These hits with the words of the backend's ``fts_query`` highlighted where their passage matches it."""

    def integrity_check(self) -> str:
        """``ok``, or the first problem found in the database and its full-text index."""

    # -- one thinker's writing (distill)

    def thinker_passages(self, filters: SearchFilter, *, own_only: bool = False) -> Iterator[tuple[Any, ...]]:
        """Every passage passing ``filters`` (``own_only``: with own words), undated then by date.

        Rows: (document id, passage id, kind, source, published_at, url, title, text, own share,
        the document's others spans, start, end).
        """

    def months(self, thinker: str) -> list[str]:
        """The months (``YYYY-MM``) in which ``thinker`` published something, in order."""

    def undated_count(self, thinker: str) -> int:
        """How many of ``thinker``'s documents have no date."""

    def source_ids(self, thinker: str, kind: str) -> dict[str, str]:
        """Document id -> native id of ``thinker``'s documents of ``kind``."""

    def metas(self, thinker: str, *, containing: str) -> list[tuple[str, str | None, str]]:
        """(document id, published_at, meta JSON) of ``thinker``'s documents whose meta holds ``containing``."""

    # -- documents and passages by full-text query (verify)

    def documents_matching(
        self, filters: SearchFilter, query: str | None = None, *, limit: int, by_date: bool = False
    ) -> list[DocRef]:
        """Documents passing ``filters`` with (given ``query``, FTS5 language) a passage matching it."""

    def tally(self, filters: SearchFilter, query: str | None = None, *, listed: int = 100) -> Tally:
        """How many documents pass ``filters`` (and match ``query``), their words and dates, the oldest listed."""

    def count_matches(self, queries: list[str], cap: int) -> list[int]:
        """Passages each FTS5 query matches, counted up to ``cap``."""

    def passages_matching_most(self, queries: list[str], *, thinker: str | None, limit: int) -> list[int]:
        """Passages matching any of the queries, those matching most first."""

    def passages_matching(self, query: str, *, thinker: str | None, limit: int) -> list[int]:
        """Up to ``limit`` passages matching the FTS5 ``query``."""

    def phrase_query(self, words: list[str], text: str) -> str:
        """The FTS5 query for a phrase of these tokenized ``words`` (whose own ``text`` is given too)."""

    def passage_positions(self, ids: list[int]) -> list[dict[str, Any]]:
        """(id, document_id, ordinal) of these passages, in the order of ``ids``."""

    def passage_neighbourhoods(self, places: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """The passages at and beside each (document id, ordinal)."""

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id, thinker, kind, title, url, published_at and meta of these documents, by id."""

    # -- passage vectors (semantic.index writes them)

    def indexed_model(self) -> str | None:
        """The embedding model of the workspace's vectors; None when it has none (or cannot search them)."""

    def require_vector_search(self) -> None:
        """Raise EmbeddingError (with the fix) when this workspace cannot hold vectors."""

    def check_model(self, model: str) -> None:
        """Raise EmbeddingError when the workspace's vectors come from a model other than ``model``."""

    def rebuild_command(self, model: str) -> str:
        """The command that replaces the workspace's vectors with ``model``'s."""

    def start_vectors(self, model: str, dims: int, *, rebuild: bool) -> None:
        """Record the model (with ``rebuild``, drop every vector first)."""

    def passages_and_vector_hashes(self) -> Iterator[tuple[int, str | None, str, str | None, int | None]]:
        """(passage id, title, text, its vector's text hash or None, its document's import id) of every passage."""

    def passages_without_vectors(self) -> int:
        """How many passages have no vector yet."""

    def vector_blob(self, passage_id: int) -> bytes | None:
        """One passage's stored vectors as stored (``write_vectors`` takes it back for a passage of the same text)."""

    def take_orphan_vectors(self) -> list[tuple[int, str, bytes]]:
        """Delete the vectors of passages that are gone; return them (passage id, text hash, blob)."""

    def passage_inputs(self, ids: list[int]) -> dict[int, tuple[str | None, str]]:
        """(title, text) of these passages."""

    def write_vectors(self, model: str, rows: list[tuple[int, str, Vectors | bytes]]) -> None:
        """Store (passage id, text hash, window vectors or a reused blob) rows in one transaction."""

    def lease_row(self, name: str) -> dict[str, Any] | None:
        """The lease ``name`` on computing vectors as ``semantic.lease.Holder`` fields, or None when nobody holds it."""

    def claim_lease(self, name: str, row: dict[str, Any], *, replacing: str | None) -> None:
        """Write ``row`` as lease ``name`` if it is free (``replacing`` None) or still ``replacing``'s (a CAS)."""

    def renew_lease(self, name: str, holder: str, heartbeat_at: float, done: int, total: int) -> None:
        """Record ``holder``'s progress and heartbeat on lease ``name``."""

    def release_lease(self, name: str, holder: str) -> None:
        """Let go of lease ``name`` if ``holder`` holds it."""

    def after_indexing(self, model: str, *, changed: bool, progress: Callable[[int, int], None] | None = None) -> None:
        """Bring the nearest-neighbour index up to date after vectors were written.

        ``progress``: (vectors added, of how many), where the backend builds the index itself.
        """

    def vector_index(self, model: str) -> VectorIndex:
        """The nearest-neighbour index of ``model``'s vectors; EmbeddingError (with the fix) when there is none."""

    def passage_vectors(self, ids: list[int]) -> tuple[NDArray[np.int64], Vectors]:
        """The stored vectors of these passages, as (passage id per row, matrix)."""

    # -- one search's rankings (semantic.hybrid plans them and fuses what comes back)

    def retrieve(self, plan: SearchPlan) -> Candidates:
        """Run the rankings ``plan`` names (nearest vectors, BM25 with its any-word stand-in) on this thread.

        Returns each ranking as it came and the passages the vector ranking returned, read in
        one query; EmbeddingError (with the fix) when the workspace has no vectors of ``plan.model``.
        """

    def near_passages(self, ids: list[int]) -> dict[int, NearPassage]:
        """These passages (those still stored) as fusion reads them: hit, own title, vector's text hash."""


class Readers(Protocol):
    """A workspace as a server reads it: read-only, safe for the threads that run requests."""

    def get(self) -> Workspace:
        """This thread's read-only workspace (opened on first use; StoreError when it cannot be)."""

    def borrowed(self) -> AbstractContextManager[Workspace]:
        """A read-only workspace for a thread that runs no request (the warm-up)."""

    def generation(self) -> int:
        """A number that changes whenever another connection commits to the workspace."""

    def generation_now(self) -> int | None:
        """The same number if it can be read without waiting (on the server's event loop), else None."""

    def close(self) -> None:
        """Close whatever any thread opened (at server shutdown)."""


def parse(value: str | Path) -> Db:
    """``value`` as a ``Db``: a URL stays a string (never a ``Path``, which would fold its ``//``), else a Path."""
    return str(value).strip() if is_url(value) else Path(value)


def is_url(db: str | Path) -> bool:
    """Whether ``db`` names a PostgreSQL database rather than a SQLite file."""
    return isinstance(db, str) and db.strip().lower().startswith(URL_SCHEMES)


def exists(db: Db) -> bool:
    """Whether the workspace may already hold a corpus: the file exists, or it is a server database."""
    return True if is_url(db) else Path(db).exists()


def folder(db: Db) -> Path:
    """The folder a workspace's profiles live in: the database file's folder, or the current one for a URL."""
    return Path.cwd() if is_url(db) else Path(db).resolve().parent


def beside(db: Db, suffix: str) -> Path:
    """A file of the workspace's own beside it: ``<file><suffix>``, or ``insights<suffix>`` here for a server's."""
    return folder(db) / f"insights{suffix}" if is_url(db) else Path(f"{db}{suffix}")


def describe(db: str | Path) -> str:
    """``db`` as it may be shown to a user: a path as is, a URL with its password masked."""
    if not is_url(db):
        return str(db)
    from .backends.postgresql.errors import mask

    return mask(str(db))


def explain_error(where: str, ex: Exception) -> str:
    """One line naming the workspace (``where``, as ``describe`` gives it), what ``ex`` means and how to recover."""
    return explain(where, ex) if isinstance(ex, sqlite3.DatabaseError) else f"Workspace '{where}': {ex}"


def open_store(
    db: Db,
    *,
    read_only: bool = False,
    trust_schema: bool = False,
    on_upgrade: Callable[[list[str]], None] | None = None,
) -> Workspace:
    """Open the workspace ``db``: a ``Store`` for a file path, a ``PgStore`` for a PostgreSQL URL.

    Raises ``StoreError`` (with the reason and the fix) when it cannot be opened: also when
    ``db`` is not a deep-insights workspace, or (to write) is damaged or holds schema objects
    the migrations did not create and ``trust_schema`` is not given (each backend's ``trust`` module).
    ``on_upgrade`` is told the names of the migrations about to run on a workspace that holds
    data already (some rebuild the full-text index: seconds per million passages).
    """
    if is_url(db):
        from .backends.postgresql import PgStore

        return PgStore(str(db).strip(), read_only=read_only, trust_schema=trust_schema, on_upgrade=on_upgrade)
    return Store(db, read_only=read_only, trust_schema=trust_schema, on_upgrade=on_upgrade)


def open_readers(db: Db) -> Readers:
    """The workspace ``db`` for a server's threads: one read-only connection each (SQLite), or a pool (PostgreSQL).

    Nothing is opened until a thread asks.
    """
    if is_url(db):
        from .backends.postgresql.readers import PooledReaders

        return PooledReaders(str(db).strip())
    from .backends.sqlite.readers import ThreadReaders

    return ThreadReaders(Path(db))


def check_readable(db: Db) -> None:
    """Open an existing workspace file read-only and close it: a ``StoreError`` says why it cannot be read.

    For the server, which serves a workspace it cannot read anyway and says why on the terminal.
    A file another process is writing is not waited for long. A missing file, and a database
    on a server, are left to the requests to report.
    """
    if not is_url(db) and Path(db).is_file():
        Store(db, read_only=True, busy_timeout_ms=200).close()
