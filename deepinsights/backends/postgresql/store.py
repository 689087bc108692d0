"""The workspace on PostgreSQL: ``PgStore``, the ``Workspace`` that ``sqlite.Store`` also is.

It connects (psycopg 3, autocommit outside ``transaction()``), applies pending
migrations unless read-only, refuses a schema newer than this version, and upserts
Documents inside one transaction per import. How documents become rows (``prepare``) and
the added/updated/unchanged counting, the reads and the vector tables' SQL are the
``shared`` mixins', so both backends count and answer alike. New rows go in with COPY
(several times faster than INSERT for passages, whose ``tsv`` column and GIN index
PostgreSQL fills as they arrive).

PostgreSQL TEXT cannot hold U+0000: on the way in each NUL becomes U+FFFD (one character
for one, so passage offsets stay valid; SQLite keeps NULs as they are). ``rows()`` takes
the ``?`` placeholders the shared code writes. Read-only stores set
``default_transaction_read_only``, so any write is refused by the server itself. Every
psycopg failure leaves as a ``StoreError`` from ``errors.explain``, naming the
database with its password masked; a failure inside ``transaction()`` (the server
stopping mid-import) rolls back and says so.

With ``pool=`` (the web server) each call borrows a connection from a psycopg_pool
``ConnectionPool`` instead of holding one; such a store is read-only and has no ``conn``.
It does not rank (``search`` does) and does not copy workspaces between backends.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg_pool import ConnectionPool

from ...errors import StoreError
from ...models import SearchFilter, SearchResults, storable
from ...prepare import DOCUMENT_FIELDS, Rows
from ..shared.copying import TableRows
from ..shared.reads import CorpusReads
from ..shared.retrieval import Retrieval
from ..shared.vectors import VectorTables
from ..shared.writes import ImportWrites, Stored, check_schema, now
from . import migrations, search, trust, vectors
from .errors import explain, mask
from .sql import pg_sql

CONNECT_TIMEOUT_S = 10
STREAM_ROWS = 2000
PASSAGE_COLUMNS = 'document_id, ordinal, start, "end", title, text, anchor, url, own'


def pg_text(value: str) -> str:
    """``value`` storable in a PostgreSQL TEXT: lone surrogates and U+0000 become U+FFFD; same length."""
    value = storable(value)
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


def _pg_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    return tuple(pg_text(v) if isinstance(v, str) and "\x00" in v else v for v in row)


# subtle: psycopg prepares a statement on the server after 5 runs, and PostgreSQL may then plan
# the search query once for every query's words: "the" read every GIN match (350-600 ms instead
# of 5 ms at 1M passages, bench/bench_backends.py). Unprepared, each search is planned for its words.
CONNECTION_OPTIONS: dict[str, Any] = {"autocommit": True, "prepare_threshold": None}


def connect(url: str, *, read_only: bool = False) -> psycopg.Connection[Any]:
    """An autocommit connection to ``url``; raises ``StoreError`` with the reason and the fix."""
    try:
        given = conninfo_to_dict(url)
        extra: dict[str, str | int] = {"connect_timeout": CONNECT_TIMEOUT_S, "application_name": "deep-insights"}
        conninfo = make_conninfo(url, **{k: v for k, v in extra.items() if k not in given})
        conn = psycopg.connect(conninfo, **CONNECTION_OPTIONS)
    except (psycopg.Error, ValueError) as ex:
        raise StoreError(explain(url, ex)) from None
    if read_only:
        configure_read_only(conn)
    return conn


def configure_read_only(conn: psycopg.Connection[Any]) -> None:
    """Make every transaction on ``conn`` read-only (also the pool's ``configure`` callback)."""
    conn.execute("SET default_transaction_read_only = on")


def open_pool(url: str, *, max_size: int = 8) -> ConnectionPool[psycopg.Connection[Any]]:
    """A pool of read-only connections to ``url`` for the web server (one per concurrent request)."""
    connect(url, read_only=True).close()  # subtle: a bad URL or a down server fails here, with our message
    pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
        url,
        min_size=1,
        max_size=max_size,
        kwargs=CONNECTION_OPTIONS,
        configure=configure_read_only,
        open=False,
        name="deep-insights",
    )
    pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    return pool


class PgStore(ImportWrites, CorpusReads, VectorTables, Retrieval, TableRows):
    """A workspace in a PostgreSQL database. ``PgStore(url)`` connects (and creates or migrates) it.

    ``read_only=True`` never migrates and makes the server refuse every write, as the web
    server needs. ``pool`` (implies read-only) borrows a connection per call instead of
    holding ``conn``; the pool stays the caller's to close. Another application's database is
    refused, and so, to write, is a schema holding objects the migrations did not create
    unless ``trust_schema`` (``trust``).
    """

    backend = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        read_only: bool = False,
        pool: ConnectionPool[psycopg.Connection[Any]] | None = None,
        trust_schema: bool = False,
        on_upgrade: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.url = url
        self.on_upgrade = on_upgrade  # told the migrations about to run on a workspace that holds data
        self.location = mask(url)
        self.path = self.location  # what messages name, like Store.path
        self.db_arg = f"'{self.location}'"
        self.read_only = read_only or pool is not None
        self.unmigrated: list[str] = []  # migrations reading does not need, not applied (read-only)
        self._pool = pool
        self._conn = connect(url, read_only=self.read_only) if pool is None else None
        try:
            with self.connection() as conn:
                self._guard(conn, trust_schema)
                if not self.read_only:
                    self._migrate(conn)
                self._check_version(conn)
        except BaseException:
            self.close()
            raise

    # -- opening -----------------------------------------------------------------

    @property
    def conn(self) -> psycopg.Connection[Any]:
        """The store's own connection (not on a pooled store: use ``connection()`` there)."""
        if self._conn is None:
            raise StoreError(f"Workspace '{self.location}' is pooled; borrow a connection with connection()")
        return self._conn

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for a few statements: the store's own, or one borrowed from its pool."""
        if self._pool is None:
            yield self.conn
            return
        try:
            with self._pool.connection() as conn:
                yield conn
        except psycopg.OperationalError as ex:
            raise StoreError(explain(self.url, ex)) from None

    def _guard(self, conn: psycopg.Connection[Any], trust_schema: bool) -> None:
        """Refuse another application's database, or (to write) objects the migrations did not create (``trust``)."""
        try:
            applied = migrations.applied(conn)
            if not applied:
                trust.refuse_foreign(conn, self.location)
            elif not self.read_only and not trust_schema:
                trust.refuse_untrusted(conn, self.location, applied)
        except psycopg.Error as ex:
            raise StoreError(explain(self.url, ex)) from None

    def _migrate(self, conn: psycopg.Connection[Any]) -> None:
        try:
            if pending := migrations.pending(conn):
                if self.on_upgrade is not None and migrations.applied(conn):  # subtle: a new database is no upgrade
                    self.on_upgrade(pending)
                migrations.apply(conn)
        except psycopg.Error as ex:
            raise StoreError(explain(self.url, ex)) from None

    def _check_version(self, conn: psycopg.Connection[Any]) -> None:
        known = migrations.known()
        try:
            applied = migrations.applied(conn)
            encoding = str(conn.execute("SHOW server_encoding").fetchone()[0])  # type: ignore[index]
        except psycopg.Error as ex:
            raise StoreError(explain(self.url, ex)) from None
        if self.read_only and not applied:
            raise StoreError(
                f"Workspace '{self.location}' holds no deep-insights data yet. "
                f"Create it with: insights import PATH --db '{self.location}'"
            )
        self.unmigrated = check_schema(
            self.location,
            f"'{self.location}'",
            applied,
            known,
            read_only=self.read_only,
            read_compatible=migrations.READ_COMPATIBLE,
        )
        if encoding.upper() not in ("UTF8", "UTF-8"):
            raise StoreError(
                f"Workspace '{self.location}' uses encoding {encoding}; deep-insights needs UTF8. "
                "Create the database with: CREATE DATABASE … ENCODING 'UTF8' TEMPLATE template0"
            )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()

    # -- transactions ------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: everything it wrote is kept, or nothing is.

        A PostgreSQL failure inside the block (the server stopping, a full disk) rolls back
        and raises ``StoreError`` saying so; any other exception rolls back and propagates.
        """
        conn = self.conn
        try:
            conn.execute("BEGIN")
        except psycopg.Error as ex:
            raise StoreError(explain(self.url, ex)) from None
        try:
            yield
            conn.execute("COMMIT")
        except psycopg.Error as ex:
            self._rollback()
            raise StoreError(explain(self.url, ex, in_transaction=True)) from None
        except BaseException:
            self._rollback()
            raise

    def _rollback(self) -> None:
        conn = self.conn
        if conn.closed or conn.broken:
            return  # the server discards the transaction of a connection that is gone
        try:
            conn.execute("ROLLBACK")
        except psycopg.OperationalError:
            conn.close()  # subtle: the connection died while rolling back; the server rolls back for us

    # -- writing -----------------------------------------------------------------

    def begin_import(self, paths: list[str], thinker: str | None) -> int:
        """Record the start of an import (call inside ``transaction()``) and return its id."""
        cursor = self.conn.execute(
            "INSERT INTO imports (started_at, paths, thinker) VALUES (%s, %s, %s) RETURNING id",
            (now(), json.dumps([storable(p) for p in paths]), None if thinker is None else pg_text(thinker)),
        )
        found = cursor.fetchone()
        return int(found[0]) if found else 0

    def _replace(self, new_rows: Rows, changed: Rows, passages: Rows) -> None:
        if changed:
            ids = [row[0] for row in changed]
            self.conn.execute("DELETE FROM passages WHERE document_id = ANY(%s)", (ids,))
            self.conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (ids,))
        self._copy("documents", DOCUMENT_FIELDS, new_rows + changed)
        self._copy("passages", PASSAGE_COLUMNS, passages)

    def _copy(self, table: str, columns: str, rows: Rows) -> None:
        if not rows:
            return
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(_pg_row(row))

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert rows as they are, ids included (``dbcopy``), by COPY; call inside ``transaction()``."""
        self._copy(table, ", ".join(f'"{c}"' for c in columns), rows)

    def after_copy(self) -> None:
        """After ``dbcopy`` wrote rows with their ids: move each identity sequence past the largest id."""
        for table in ("passages", "imports"):
            self.conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
            )

    def _existing(self, ids: list[str]) -> dict[str, Stored]:
        """id -> (content hash, import id, thinker) for the ids already stored."""
        sql = "SELECT id, content_hash, import_id, thinker FROM documents WHERE id = ANY(%s)"
        return {row[0]: (row[1], row[2], row[3]) for row in self.conn.execute(sql, (ids,))}

    def _statement(self, sql: str) -> None:
        self.conn.execute(sql)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one writing statement (``?`` placeholders, as on SQLite); inside ``transaction()`` to group."""
        values = tuple(params)
        try:
            self.conn.execute(pg_sql(sql) if values else sql, values or None)
        except psycopg.Error as ex:
            raise StoreError(explain(self.url, ex)) from None

    # -- reading -----------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query (``?`` placeholders, as on SQLite) and return its rows as dicts."""
        values: Sequence[Any] = tuple(params)
        try:
            with self.connection() as conn, conn.cursor() as cursor:
                cursor.execute(pg_sql(sql) if values else sql, values or None)
                if cursor.description is None:
                    return []
                names = [d.name for d in cursor.description]
                return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        except (psycopg.OperationalError, psycopg.errors.ReadOnlySqlTransaction) as ex:
            raise StoreError(explain(self.url, ex)) from None

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Run a read query and yield its rows as tuples, fetched from the server in chunks."""
        values = tuple(params)
        try:
            with self.connection() as conn, conn.cursor() as cursor:
                yield from cursor.stream(pg_sql(sql) if values else sql, values or None, size=STREAM_ROWS)
        except psycopg.OperationalError as ex:
            raise StoreError(explain(self.url, ex)) from None

    def _bm25(self, q: str, filters: SearchFilter, *, raw: bool, prefix_last: bool, cap: int) -> SearchResults:
        return search.bm25(self, q, filters, raw=raw, prefix_last=prefix_last, cap=cap)

    def _snippets(self, fts_query: str, ids: list[int]) -> dict[int, str]:
        return search.snippets(self, fts_query, ids)

    def _matching(self, queries: list[str]) -> list[tuple[str, list[Any]]]:
        """The FTS5 queries as tsqueries over ``passages.tsv``, in one round trip; SearchError if malformed."""
        return [search.matching(tsquery) for tsquery in search.translate_many(self, queries)]

    def phrase_query(self, words: list[str], text: str) -> str:
        """The phrase, or its own ``text`` as PostgreSQL's parser cuts it.

        subtle: that parser skips what FTS5 indexes (``&amp;``, tags) and keeps what FTS5
        splits (``post-agi``, ``2.0``), so the text itself is a second phrase it may match.
        """
        own = text.replace('"', '""')
        return f'({super().phrase_query(words, text)} OR "{own}")'

    # -- vectors -----------------------------------------------------------------

    def indexed_model(self) -> str | None:
        """The model of the workspace's vectors; None also when the server has no pgvector (no vector search)."""
        return super().indexed_model() if vectors.pgvector_available(self) else None

    def require_vector_search(self) -> None:
        """Raise EmbeddingError (with the fix) unless the server has pgvector, before anything is written."""
        vectors.require_pgvector(self)

    def vector_index(self, model: str) -> vectors.PgVectorIndex:
        """The nearest-neighbour index of ``model``'s vectors: the pgvector table (nothing to cache).

        Raises EmbeddingError (with the fix) when the workspace has no vectors, another model's, or no pgvector.
        """
        return vectors.PgVectorIndex(self, model)

    def after_indexing(self, model: str, *, changed: bool, progress: Callable[[int, int], None] | None = None) -> None:
        """Bring the pgvector table up to date after ``semantic.index`` ran (always: 'db copy' may have written).

        ``progress`` is not called: PostgreSQL builds its HNSW index inside one statement.
        """
        vectors.PgVectorIndex(self, model).sync()

    def integrity_check(self) -> str:
        """``ok``, or the first problem found reading every table and the full-text column in full.

        PostgreSQL has no ``PRAGMA integrity_check``: reading every row makes the server
        check each page it touches, and a passage whose ``tsv`` disagrees with its text
        (a damaged index or column) is reported.
        """
        try:
            for table in ("documents", "imports", "passage_vectors", "vector_meta"):
                self.rows(f"SELECT count(*) FROM {table}")
            stale = self.rows(
                "SELECT id FROM passages WHERE tsv IS DISTINCT FROM (setweight(to_tsvector('deepinsights', "
                "deepinsights_fold(coalesce(title, ''))), 'A') "
                "|| setweight(to_tsvector('deepinsights', deepinsights_fold(text)), 'B')) LIMIT 1"
            )
        except psycopg.Error as ex:
            return f"{self.location}: {' '.join(str(ex).split())}"
        return f"full-text column out of date for passage {stale[0]['id']}" if stale else "ok"
