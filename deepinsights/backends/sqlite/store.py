"""The workspace on SQLite: ``Store``, one file holding documents, passages, their FTS5 index, vectors, imports.

It opens the file (WAL, foreign keys, a busy timeout), applies pending migrations, refuses
a schema newer than this version, and upserts Documents by id and content hash inside one
transaction per import (the write planning, the reads and the vector tables' SQL are the
``shared`` mixins', as on PostgreSQL).
Every SQLite failure leaves as a ``StoreError`` whose message names the file and the fix
(locked, read-only file or folder, not a database, missing folder, disk full).

Inside ``transaction()`` new passages are not indexed row by row: the per-row FTS5
triggers are swapped for temporary ones that only keep indexed rows exact, and new rows
are indexed ten thousand at a time and before COMMIT (see ``_FtsDeferral``), which makes
a large import several times faster and stays all-or-nothing because SQLite's DDL is
transactional.

It does not parse sources (importers do) and it does not rank (``search`` does) or keep
the vector index file (``vectors`` does).
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from ... import config
from ...errors import StoreError
from ...models import SearchFilter, SearchResults, storable
from ...prepare import DOCUMENT_FIELDS
from ..shared.copying import TableRows
from ..shared.reads import CorpusReads
from ..shared.retrieval import Retrieval
from ..shared.vectors import VectorTables
from ..shared.writes import ImportWrites, Stored, check_schema, now
from . import search, trust, vectors
from .migrations import FILTERS_INDEX, MIGRATIONS_TABLE, READ_COMPATIBLE, known, migrations

FTS_CATCH_UP = 10_000  # passages; indexing them in one statement costs about what one big statement would
CACHE_KIB = 65536  # page cache per writing connection; big imports touch many index pages
MMAP_BYTES = 1 << 30  # read through memory-mapped I/O: a filtered search's row lookups cost a third
PAGE_SIZE = 16384  # bytes, for new workspaces (bench/bench_import.py measured 4, 8 and 16 KiB)
_INSERT_DOCUMENT = (
    f"INSERT INTO documents ({DOCUMENT_FIELDS}) VALUES ({', '.join('?' * len(DOCUMENT_FIELDS.split(',')))})"
)
_INSERT_PASSAGE = (
    'INSERT INTO passages (document_id, ordinal, start, "end", title, text, anchor, url, own) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class Store(ImportWrites, CorpusReads, VectorTables, Retrieval, TableRows):
    """A workspace database. ``Store(path)`` opens (and creates or migrates) it.

    ``read_only=True`` never writes and never migrates (``PRAGMA query_only``, or ``mode=ro``
    where the file cannot be written): reading commands and the web server use it, so that
    a bug in a request handler cannot change the corpus. Any file that is not a
    deep-insights workspace is refused before it is opened, and a writable store refuses a
    damaged file or a schema holding objects the migrations did not create (unless
    ``trust_schema``), before it migrates or writes (see ``trust``).
    ``busy_timeout_ms`` is how long a write waits for another process's write before the
    workspace is reported as locked (default: the ``DEEPINSIGHTS_BUSY_TIMEOUT`` setting).
    ``backend`` names it for the tests (``postgresql.PgStore`` says ``"postgresql"``); the library asks neither.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        busy_timeout_ms: int | None = None,
        trust_schema: bool = False,
        on_upgrade: Callable[[list[str]], None] | None = None,
    ) -> None:
        self.path = Path(path)
        self.on_upgrade = on_upgrade  # told the migrations about to run on a workspace that holds data
        self.location = self.db_arg = str(self.path)
        self.read_only = read_only
        self.trust_schema = trust_schema
        self.unmigrated: list[str] = []  # migrations reading does not need, not applied (read-only)
        self.busy_timeout_ms = busy_timeout_ms if busy_timeout_ms is not None else _default_busy_timeout_ms()
        self.conn = self._connect()
        self.db = Database(self.conn)
        self._fts: _FtsDeferral | None = None  # set while transaction() is open
        try:
            if not read_only:
                self._migrate()
            self._check_version()
            # subtle: looked up, not inferred from the migrations: an older workspace opened read-only
            # lacks it, and one whose index was dropped by hand would otherwise fail every filtered search
            self._filters_index = FILTERS_INDEX if _has(self.conn, "index", FILTERS_INDEX) else None
        except BaseException:
            self.conn.close()
            raise

    # -- opening -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        self._check_path()
        trust.refuse_foreign(self.path)
        try:
            conn = self._open()
        except sqlite3.DatabaseError as ex:
            raise self._error(ex) from None
        try:
            self._configure(conn)
        except sqlite3.DatabaseError as ex:
            conn.close()
            raise self._error(ex) from None
        except BaseException:
            conn.close()
            raise
        return conn

    def _configure(self, conn: sqlite3.Connection) -> None:
        conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
        if self.read_only:
            conn.execute("PRAGMA query_only = ON")
        else:
            self._guard(conn)
            # subtle: takes effect only in a new, empty file (before WAL and the first table);
            # 16 KiB pages build the full-text index ~12% faster than the default 4 KiB
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")  # subtle: shared OS pages, not a copy per connection
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()

    def _guard(self, conn: sqlite3.Connection) -> None:
        """Before the first write (even the journal mode): refuse a damaged file or an untrusted schema."""
        applied = _applied(conn)
        if not applied:
            return  # a new workspace: nothing in it yet
        trust.check_intact(conn, self.path)
        if not self.trust_schema:
            trust.refuse_untrusted(conn, self.path, applied)

    def _open(self) -> sqlite3.Connection:
        """A connection; a read-only one opens with ``mode=ro`` only where the file cannot be written.

        subtle: a ``mode=ro`` connection cannot remove the ``-wal`` and ``-shm`` files a WAL
        workspace needs, so they would stay beside it after every read; a writable connection
        with ``query_only`` writes nothing either and removes them when it closes last.
        """
        writable = os.access(self.path, os.W_OK) and os.access(self.path.resolve().parent, os.W_OK)
        if self.read_only and not writable:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            return sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
        return sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)

    def _check_path(self) -> None:
        """Refuse, with a message naming the fix, paths SQLite would reject with a vague one."""
        name = str(self.path)
        if self.path.is_dir():
            raise StoreError(f"Workspace '{name}' is a folder; pass a database file, e.g. --db {name}/insights.db")
        if self.read_only and not self.path.exists():
            raise StoreError(f"Workspace '{name}' does not exist. Create it with: insights import PATH --db {name}")
        parent = self.path.parent
        if not self.read_only and not parent.exists():
            raise StoreError(f"Cannot create workspace '{name}': folder '{parent}' does not exist")

    def _migrate(self) -> None:
        try:
            if pending := [m.name for m in migrations.pending(self.db)]:
                if self.on_upgrade is not None and _applied(self.conn):  # subtle: a new file is no upgrade
                    self.on_upgrade(pending)
                migrations.apply(self.db)
        except sqlite3.DatabaseError as ex:
            raise self._error(ex) from None

    def _check_version(self) -> None:
        try:
            applied = [m.name for m in migrations.applied(self.db)]
        except sqlite3.DatabaseError as ex:
            raise self._error(ex) from None
        if self.read_only and not applied:
            raise StoreError(
                f"Workspace '{self.path}' holds no deep-insights data yet. "
                f"Create it with: insights import PATH --db {self.path}"
            )
        self.unmigrated = check_schema(
            str(self.path),
            str(self.path),
            applied,
            known(),
            read_only=self.read_only,
            read_compatible=READ_COMPATIBLE,
        )

    def close(self) -> None:
        self.conn.close()

    def _error(self, ex: sqlite3.DatabaseError) -> StoreError:
        if self.read_only and "readonly" in str(ex):
            return StoreError(f"Workspace '{self.path}' is open read-only here; this operation cannot write to it.")
        return StoreError(explain(self.path, ex))

    # -- transactions ------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: everything it wrote is kept, or nothing is.

        An SQLite failure inside the block (disk full, locked) rolls back and raises
        ``StoreError``; any other exception rolls back and propagates unchanged.
        """
        self._execute("BEGIN IMMEDIATE")
        try:
            self._fts = _FtsDeferral.begin(self.conn)
            yield
            self._fts.finish()
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as ex:
            self._rollback()
            raise self._error(ex) from None
        except BaseException:
            self._rollback()
            raise
        finally:
            self._fts = None

    def _execute(self, sql: str) -> None:
        try:
            self.conn.execute(sql)
        except sqlite3.DatabaseError as ex:
            raise self._error(ex) from None

    def _rollback(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    # -- writing -----------------------------------------------------------------

    def begin_import(self, paths: list[str], thinker: str | None) -> int:
        """Record the start of an import (call inside ``transaction()``) and return its id."""
        cursor = self.conn.execute(
            "INSERT INTO imports (started_at, paths, thinker) VALUES (?, ?, ?)",
            (now(), json.dumps([storable(p) for p in paths]), thinker),
        )
        return int(cursor.lastrowid or 0)

    def _replace(self, new_rows: list[tuple[Any, ...]], changed: list[tuple[Any, ...]], passages: list[Any]) -> None:
        if changed:
            ids = [(row[0],) for row in changed]
            self.conn.executemany("DELETE FROM passages WHERE document_id = ?", ids)
            self.conn.executemany("DELETE FROM documents WHERE id = ?", ids)
        self.conn.executemany(_INSERT_DOCUMENT, new_rows + changed)
        self.conn.executemany(_INSERT_PASSAGE, passages)
        if self._fts:
            self._fts.added(len(passages))

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        """Insert rows as they are, ids included (``dbcopy``); call inside ``transaction()``."""
        names = ", ".join(f'"{c}"' for c in columns)
        if self._fts:
            self._fts.guard_inserts()  # the rows bring their own ids
        self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})", rows)

    def after_copy(self) -> None:
        """Nothing to do after ``dbcopy`` wrote rows with their ids: SQLite's rowids follow the largest."""

    def _existing(self, ids: list[str]) -> dict[str, Stored]:
        """id -> (content hash, import id, thinker) for the ids already stored."""
        found: dict[str, Stored] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT id, content_hash, import_id, thinker FROM documents WHERE id IN ({marks})"
            found.update((row[0], (row[1], row[2], row[3])) for row in self.conn.execute(sql, chunk))
        return found

    def _statement(self, sql: str) -> None:
        self.conn.execute(sql)

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        """Run one writing statement (``?`` placeholders, on either backend); inside ``transaction()`` to group."""
        try:
            if self._fts:
                self._fts.guard_inserts()  # any SQL may insert a passage with an id of its choosing
            self.conn.execute(sql, tuple(params))
        except sqlite3.DatabaseError as ex:
            raise self._error(ex) from None

    # -- reading -----------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dicts."""
        cursor = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        """Run a read query and yield its rows as tuples, without holding them all in memory."""
        return iter(self.conn.execute(sql, tuple(params)))

    def _bm25(self, q: str, filters: SearchFilter, *, raw: bool, prefix_last: bool, cap: int) -> SearchResults:
        return search.bm25(
            self.conn,
            self.rows,
            q,
            filters,
            raw=raw,
            prefix_last=prefix_last,
            cap=cap,
            filters_index=self._filters_index,
        )

    def _snippets(self, fts_query: str, ids: list[int]) -> dict[int, str]:
        return search.snippets(self.conn, fts_query, ids)

    _malformed = (sqlite3.OperationalError,)  # subtle: FTS5 reads the query only when the statement runs

    def _matching(self, queries: list[str]) -> list[tuple[str, list[Any]]]:
        return [("SELECT rowid AS pid FROM passages_fts WHERE passages_fts MATCH ?", [q]) for q in queries]

    # -- vectors -----------------------------------------------------------------

    def vector_index(self, model: str) -> vectors.NearestPassages:
        """The nearest-neighbour index of ``model``'s vectors: the usearch file beside the workspace.

        Raises EmbeddingError (with the command to run) when the workspace has no vectors or another model's.
        """
        return vectors.vector_index(self, model)

    def after_indexing(self, model: str, *, changed: bool, progress: Callable[[int, int], None] | None = None) -> None:
        """Bring the index file up to date after ``semantic.index`` wrote vectors (when any changed)."""
        if changed:
            vectors.UsearchIndex(self, model).sync(progress)

    def integrity_check(self) -> str:
        """``ok``, or SQLite's description of the first problem (database file and FTS index)."""
        result = str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])
        if result != "ok":
            return result
        try:
            self.conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as ex:
            return f"full-text index: {ex}"
        return "ok"


class _FtsDeferral:
    """Index a transaction's new passages a batch at a time instead of one trigger per row.

    subtle: indexing row by row (the ``passages_ai`` trigger) is 4-6x slower than one
    ``INSERT … SELECT``, and a trigger on ``passages`` costs about 4 µs per inserted row even
    when its WHEN clause is false (measured: 60% more insert time). So while a transaction
    is open the three triggers are dropped (DDL is transactional: ROLLBACK or a crash brings
    them back) and TEMP triggers keep the rows already indexed exact. ``temp.fts_indexed``
    holds ``upto``: every passage with an id up to it is indexed, none above it. New rows get
    ids above it (SQLite gives max(id) + 1, and a delete or update that leaves max(id)
    below ``upto`` lowers it), and ``catch_up()`` indexes them in one statement every
    ``FTS_CATCH_UP`` passages (the import pipeline's parent does it while the child parses)
    and before COMMIT. A write that could put a row at or below ``upto`` by its own id (raw
    SQL through ``Store.execute``, ``insert_rows``) calls ``guard_inserts()`` first, which
    adds the per-row insert trigger for the rest of the transaction. The state is a table,
    so ROLLBACK TO a savepoint rolls it back together with the rows and the index; ``begin()``
    must run before any SAVEPOINT, since rolling back to one would bring the triggers back.
    """

    TRIGGERS = ("passages_ai", "passages_ad", "passages_au")
    _UPTO = "(SELECT upto FROM temp.fts_indexed)"
    _LOWER = (
        "UPDATE fts_indexed SET upto = (SELECT coalesce(max(id), 0) FROM main.passages) "
        "WHERE upto > (SELECT coalesce(max(id), 0) FROM main.passages);"
    )
    TEMP = (
        "CREATE TEMP TABLE fts_indexed (upto INTEGER NOT NULL)",
        "CREATE TEMP TRIGGER fts_deferred_ad AFTER DELETE ON main.passages BEGIN "
        "INSERT INTO passages_fts (passages_fts, rowid, title, text) "
        f"SELECT 'delete', old.id, old.title, old.text WHERE old.id <= {_UPTO}; {_LOWER} END",
        "CREATE TEMP TRIGGER fts_deferred_au AFTER UPDATE ON main.passages BEGIN "
        "INSERT INTO passages_fts (passages_fts, rowid, title, text) "
        f"SELECT 'delete', old.id, old.title, old.text WHERE old.id <= {_UPTO}; "
        f"INSERT INTO passages_fts (rowid, title, text) SELECT new.id, new.title, new.text WHERE new.id <= {_UPTO}; "
        f"{_LOWER} END",
    )
    GUARD_INSERTS = (
        f"CREATE TEMP TRIGGER IF NOT EXISTS fts_deferred_ai AFTER INSERT ON main.passages WHEN new.id <= {_UPTO} "
        "BEGIN INSERT INTO passages_fts (rowid, title, text) VALUES (new.id, new.title, new.text); END"
    )

    def __init__(self, conn: sqlite3.Connection, saved: dict[str, str]) -> None:
        self.conn = conn
        self.saved = saved
        self.pending = 0

    @classmethod
    def begin(cls, conn: sqlite3.Connection) -> _FtsDeferral:
        """Swap in the temp triggers (inside an open transaction) and return the deferral."""
        triggers = "SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger' AND tbl_name = 'passages'"
        saved = dict(conn.execute(triggers))
        if set(saved) != set(cls.TRIGGERS):  # a schema this code does not know: keep per-row indexing
            return cls(conn, {})
        for name in cls.TRIGGERS:
            conn.execute(f"DROP TRIGGER main.{name}")
        for sql in cls.TEMP:
            conn.execute(sql)
        conn.execute("INSERT INTO temp.fts_indexed SELECT coalesce(max(id), 0) FROM main.passages")
        return cls(conn, saved)

    def added(self, passages: int) -> None:
        """Count ``passages`` new rows; index what is pending once there are ``FTS_CATCH_UP``."""
        self.pending += passages
        if self.pending >= FTS_CATCH_UP:
            self.catch_up()

    def guard_inserts(self) -> None:
        """Index rows inserted at or below ``upto`` as they come (a write that may choose its ids)."""
        if self.saved:
            self.conn.execute(self.GUARD_INSERTS)

    def catch_up(self) -> None:
        """Index every passage above ``upto`` in one statement."""
        self.pending = 0
        if not self.saved:
            return
        self.conn.execute(
            "INSERT INTO passages_fts (rowid, title, text) "
            f"SELECT id, title, text FROM main.passages WHERE id > {self._UPTO}"
        )
        self.conn.execute("UPDATE temp.fts_indexed SET upto = (SELECT coalesce(max(id), 0) FROM main.passages)")

    def finish(self) -> None:
        """Index what is pending and restore the original triggers (call before COMMIT)."""
        if not self.saved:
            return
        self.catch_up()
        for name in ("fts_deferred_ai", "fts_deferred_ad", "fts_deferred_au"):
            self.conn.execute(f"DROP TRIGGER IF EXISTS temp.{name}")
        self.conn.execute("DROP TABLE temp.fts_indexed")
        for name in self.TRIGGERS:
            self.conn.execute(self.saved[name])


def _applied(conn: sqlite3.Connection) -> list[str]:
    """The migrations recorded in ``conn``'s workspace, in the order they ran; [] for a new file."""
    if not _has(conn, "table", MIGRATIONS_TABLE):
        return []
    sql = f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid"
    return [row[0] for row in conn.execute(sql, [migrations.name])]


def _has(conn: sqlite3.Connection, kind: str, name: str) -> bool:
    """Whether the workspace holds a schema object of this type ('table', 'index', …) and name."""
    sql = "SELECT 1 FROM sqlite_master WHERE type = ? AND name = ?"
    return conn.execute(sql, [kind, name]).fetchone() is not None


def _default_busy_timeout_ms() -> int:
    try:
        return int(float(config.BUSY_TIMEOUT.value()) * 1000)
    except ValueError:
        raise StoreError(f"{config.BUSY_TIMEOUT.env} must be a number of seconds") from None


def explain(path: str | Path, ex: sqlite3.DatabaseError) -> str:
    """Turn an sqlite3 error into one line that names the workspace file and the fix."""
    name, text = str(path), str(ex)
    if "locked" in text or "busy" in text:
        return f"Workspace '{name}' is locked by another process; wait for it to finish and try again."
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return _explain_unwritable(Path(path), text)
    if "not a database" in text:
        return f"'{name}' is not a deep-insights workspace (not a valid SQLite database): {text}"
    if "malformed" in text or "corrupt" in text:
        return trust.damaged(path, text)
    if "disk is full" in text or "disk I/O" in text:
        return f"Cannot write workspace '{name}': {text}. Free some space and run the import again."
    return f"Workspace '{name}': {text}"


def _explain_unwritable(path: Path, text: str) -> str:
    folder = path.parent
    if path.exists() and not os.access(path, os.W_OK):
        return f"Workspace '{path}' is read-only; check the file's permissions or choose another with --db."
    if not os.access(folder, os.W_OK):
        return (
            f"Workspace '{path}' cannot be written: its folder '{folder}' is read-only (SQLite keeps "
            f"'{path.name}-wal' and '{path.name}-shm' beside it). Choose another folder with --db."
        )
    return f"Cannot open workspace '{path}': {text}. Check the path and permissions."
