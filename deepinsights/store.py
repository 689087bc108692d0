"""The workspace: one SQLite file holding documents, passages, their FTS5 index and imports.

This is the only module that writes to the database. It opens the file (WAL, foreign
keys, a busy timeout), applies pending migrations, refuses a schema newer than this
version, and upserts Documents by id and content hash inside one transaction per import.
Every SQLite failure leaves as a ``StoreError`` whose message names the file and the fix
(locked, read-only file or folder, not a database, missing folder, disk full).

Inside ``transaction()`` new passages are not indexed row by row: the per-row FTS5
triggers are swapped for temporary ones that only keep indexed rows exact, and new rows
are indexed ten thousand at a time and before COMMIT (see ``_FtsDeferral``), which makes
a large import several times faster and stays all-or-nothing because SQLite's DDL is
transactional.

It does not parse sources (importers do) and it does not rank (search does).
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from . import config, trust
from .errors import StoreError
from .migrations import MIGRATIONS_TABLE, READ_COMPATIBLE, known, migrations
from .models import Document, ImportReport, iso_utc
from .ownwords import dumps as dump_spans
from .ownwords import own_share
from .passages import HARD_MAX, split_document

BATCH = 2000
FTS_CATCH_UP = 10_000  # passages; indexing them in one statement costs about what one big statement would
CACHE_KIB = 65536  # page cache per writing connection; big imports touch many index pages
MMAP_BYTES = 1 << 30  # read through memory-mapped I/O: a filtered search's row lookups cost a third
PAGE_SIZE = 16384  # bytes, for new workspaces (bench/bench_import.py measured 4, 8 and 16 KiB)
_SURROGATE = re.compile("[\ud800-\udfff]")
_META_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode
DOCUMENT_FIELDS = (
    "id, thinker, kind, source, source_id, source_path, title, text, url, published_at, words, content_hash, "
    "meta, raw, import_id, others, origin"
)  # a document row's fields, in the order rows hold them (not always the table's: m008 ran after m010 in some)
_THINKER = 1  # a document row's thinker, by position
_INSERT_DOCUMENT = (
    f"INSERT INTO documents ({DOCUMENT_FIELDS}) VALUES ({', '.join('?' * len(DOCUMENT_FIELDS.split(',')))})"
)
_INSERT_PASSAGE = (
    'INSERT INTO passages (document_id, ordinal, start, "end", title, text, anchor, url, own) '
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


Rows = list[tuple[Any, ...]]
PASSAGE_FIELDS = 'id, document_id, ordinal, start, "end", title, text, anchor, url'  # not PostgreSQL's tsv


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def count_words(text: str) -> int:
    """Words as the corpus statistics count them: runs of non-space characters."""
    return len(text.split())


def storable(value: str) -> str:
    """``value`` with lone surrogates (which SQLite cannot store) replaced by U+FFFD; same length."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


def _storable_or_none(value: str | None) -> str | None:
    return None if value is None else storable(value)


class ImportWrites:
    """The write path both backends share: an import's record and the upsert of its documents.

    ``Store`` and ``pg.store.PgStore`` inherit it and provide ``execute`` (``?`` placeholders),
    ``rows``, ``_existing`` (stored id -> content hash, import id, thinker) and ``_replace``
    (delete the changed documents' rows, insert the new rows), so both count
    added/updated/unchanged alike.
    """

    def execute(self, sql: str, params: Iterable[Any] = ()) -> None:
        raise NotImplementedError

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _existing(self, ids: list[str]) -> dict[str, Stored]:
        raise NotImplementedError

    def _replace(self, new_rows: Rows, changed: Rows, passages: Rows) -> None:
        raise NotImplementedError

    def finish_import(self, report: ImportReport) -> None:
        """Record the outcome of the import ``report.import_id``."""
        data = report.as_dict()
        self.execute(
            "UPDATE imports SET finished_at=?, added=?, updated=?, unchanged=?, skipped=?, sources=?, provenance=? "
            "WHERE id=?",
            (
                _now(),
                report.added,
                report.updated,
                report.unchanged,
                storable(json.dumps(data["skipped"] + [w | {"warning": True} for w in data["warnings"]])),
                json.dumps(report.by_source),
                storable(json.dumps(report.provenance)) if report.provenance else None,
                report.import_id,
            ),
        )

    def upsert_documents(
        self,
        docs: Iterable[Document],
        report: ImportReport,
        *,
        thinker: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Add new documents, update changed ones, count unchanged ones; call inside ``transaction()``.

        Identity is ``Document.id`` (see ``models``); 'changed' means a different ``content_hash``.
        A document whose id already came earlier in the same import (a duplicate in the archive)
        replaces it if its content differs, and is counted as unchanged, so that added + updated +
        unchanged is the number of documents read. ``thinker`` overrides each document's own
        thinker, and moves a stored document of another thinker to it (counted as updated and in
        ``report.moved``); without it a stored document keeps its thinker. A document stored
        before ``m008_document_identity`` (no ``origin``) is adopted by the first import that
        yields it again (``adopt_legacy``). ``progress`` receives the number of documents handled
        after each batch. ``docs`` is consumed lazily, ``BATCH`` at a time: memory does not grow
        with the source.
        """
        write_in_batches(docs, lambda batch: self._write_batch(batch, report, thinker), progress)

    def _write_batch(self, batch: list[Document], report: ImportReport, thinker: str | None) -> None:
        self._write_prepared([prepare(doc, thinker, report.import_id) for doc in batch], report, thinker)

    def _write_prepared(self, batch: list[Prepared], report: ImportReport, thinker: str | None) -> None:
        self.adopt_legacy(batch, thinker)
        self._replace(*plan_prepared(batch, report, self._existing, thinker))

    def upsert_prepared(
        self,
        batches: Iterable[list[Prepared]],
        report: ImportReport,
        *,
        thinker: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """``upsert_documents`` for documents already ``prepare``d (by ``pipeline``, in another process)."""
        for batch in batches:
            self._write_prepared(batch, report, thinker)
            if progress:
                progress(len(batch))

    def adopt_legacy(self, batch: list[Prepared], thinker: str | None) -> None:
        """Give rows stored before ``m008_document_identity`` the id of the document they now are.

        subtle: before m008 an id ignored the root, so a stored row with ``origin`` NULL and the
        same source and native id as a new document (one whose id is not stored) is that
        document, as far as anything can tell: it takes the new id and origin, and keeps its
        passages (so their vectors and full-text entries). Not when ``thinker`` is given and the
        row belongs to another thinker: it may be that thinker's file of the same name, kept.
        """
        rooted = {(row[3], row[4]): row for _, _, _, row, _ in batch if row[-1]}
        if not rooted:
            return
        stored = self._existing([row[0] for row in rooted.values()])
        unseen = [key for key, row in rooted.items() if row[0] not in stored]
        for source, source_id, legacy_id, owner in self._legacy_rows(unseen):
            row = rooted[(source, source_id)]
            if thinker is None or owner == thinker:
                self._adopt(legacy_id, row[0], row[-1])

    def _legacy_rows(self, keys: list[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
        found: list[tuple[str, str, str, str]] = []
        for i in range(0, len(keys), 250):
            chunk = keys[i : i + 250]
            match = " OR ".join(["(source = ? AND source_id = ?)"] * len(chunk))
            params = [value for key in chunk for value in key]
            sql = f"SELECT source, source_id, id, thinker FROM documents WHERE origin IS NULL AND ({match})"
            found.extend((r["source"], r["source_id"], r["id"], r["thinker"]) for r in self.rows(sql, params))
        return found

    def _adopt(self, legacy_id: str, new_id: str, origin: str) -> None:
        columns = DOCUMENT_FIELDS.removeprefix("id, ").removesuffix(", origin")
        self.execute(
            f"INSERT INTO documents ({DOCUMENT_FIELDS}) SELECT ?, {columns}, ? FROM documents WHERE id = ?",
            (new_id, origin, legacy_id),
        )
        self.execute("UPDATE passages SET document_id = ? WHERE document_id = ?", (new_id, legacy_id))
        self.execute("DELETE FROM documents WHERE id = ?", (legacy_id,))


class CorpusReads:
    """Read queries both backends answer alike; subclasses give ``rows`` (``?`` placeholders)."""

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored document with this id, or None."""
        found = self.rows("SELECT * FROM documents WHERE id = ?", [doc_id])
        return found[0] if found else None

    def passages(self, doc_id: str) -> list[dict[str, Any]]:
        """The passages of a document, in order."""
        return self.rows(f"SELECT {PASSAGE_FIELDS} FROM passages WHERE document_id = ? ORDER BY ordinal", [doc_id])

    def passage(self, passage_id: int) -> dict[str, Any] | None:
        """Return the passage with this id, or None."""
        found = self.rows(f"SELECT {PASSAGE_FIELDS} FROM passages WHERE id = ?", [passage_id])
        return found[0] if found else None

    def stats(self, thinker: str | None = None) -> list[dict[str, Any]]:
        """Per thinker and kind: items, words, first and last date (ISO 8601)."""
        where, params = ("WHERE thinker = ?", [thinker]) if thinker else ("", [])
        return self.rows(
            "SELECT thinker, kind, count(*) AS items, sum(words) AS words, "
            "min(published_at) AS first, max(published_at) AS last "
            f"FROM documents {where} GROUP BY thinker, kind ORDER BY thinker, items DESC",
            params,
        )

    def thinkers(self) -> list[str]:
        """Every thinker with at least one document, sorted."""
        return [r["thinker"] for r in self.rows("SELECT DISTINCT thinker FROM documents ORDER BY thinker")]

    def imports(self) -> list[dict[str, Any]]:
        """Every finished import, oldest first, with its paths, skipped records and per-source counts."""
        rows = self.rows("SELECT * FROM imports WHERE finished_at IS NOT NULL ORDER BY id")
        for row in rows:
            for key in ("paths", "skipped", "sources"):
                row[key] = json.loads(row[key]) if row[key] else []
            # subtle: warnings share the skipped column (no migration), told apart by their flag
            entries = row["skipped"]
            row["skipped"] = [e for e in entries if not e.get("warning")]
            row["warnings"] = [{"path": e["path"], "reason": e["reason"]} for e in entries if e.get("warning")]
            row["provenance"] = json.loads(row["provenance"]) if row.get("provenance") else {}
        return rows

    def document_count(self) -> int:
        """Number of stored documents."""
        return int(self.rows("SELECT count(*) AS n FROM documents")[0]["n"])


class Store(ImportWrites, CorpusReads):
    """A workspace database. ``Store(path)`` opens (and creates or migrates) it.

    ``read_only=True`` never writes and never migrates (``PRAGMA query_only``, or ``mode=ro``
    where the file cannot be written): reading commands and the web server use it, so that
    a bug in a request handler cannot change the corpus. Any file that is not a
    deep-insights workspace is refused before it is opened, and a writable store refuses a
    damaged file or a schema holding objects the migrations did not create (unless
    ``trust_schema``), before it migrates or writes (see ``trust``).
    ``busy_timeout_ms`` is how long a write waits for another process's write before the
    workspace is reported as locked (default: the ``DEEPINSIGHTS_BUSY_TIMEOUT`` setting).
    ``backend`` tells it from ``pg.store.PgStore`` (``"postgresql"``), which has the same interface.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | Path,
        *,
        read_only: bool = False,
        busy_timeout_ms: int | None = None,
        trust_schema: bool = False,
    ) -> None:
        self.path = Path(path)
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
            if migrations.pending(self.db):
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
            (_now(), json.dumps([storable(p) for p in paths]), thinker),
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

    def insert_rows(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
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


def _applied(conn: sqlite3.Connection) -> list[str]:
    """The migrations recorded in ``conn``'s workspace, in the order they ran; [] for a new file."""
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", [MIGRATIONS_TABLE])
    if found.fetchone() is None:
        return []
    sql = f"SELECT name FROM {MIGRATIONS_TABLE} WHERE migration_set = ? ORDER BY rowid"
    return [row[0] for row in conn.execute(sql, [migrations.name])]


def write_in_batches(
    docs: Iterable[Document], write: Callable[[list[Document]], None], progress: Callable[[int], None] | None
) -> None:
    """Hand ``docs`` to ``write`` ``BATCH`` at a time (lazily), reporting each batch to ``progress``."""
    batch: list[Document] = []
    for doc in docs:
        batch.append(doc)
        if len(batch) >= BATCH:
            write(batch)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        write(batch)
        if progress:
            progress(len(batch))


Prepared = tuple[str, str, str, tuple[Any, ...], Rows]
"""One document ready to write: (id, source, content hash, document row, passage rows)."""
Stored = tuple[str, int | None, str]
"""What an import needs to know of a stored document: (content hash, import id, thinker)."""


def prepare(doc: Document, thinker: str | None, import_id: int | None) -> Prepared:
    """Everything about ``doc`` that does not depend on what is stored: rows, hash, passages.

    Pure and picklable, so that ``pipeline`` can run it in the process that parses.
    """
    doc_id = doc.id  # a hash: computed once
    published = iso_utc(doc.published_at)
    digest = doc.content_hash_at(published)
    row = _document_row(doc, doc_id, digest, published, thinker or doc.thinker or "default", import_id)
    return doc_id, doc.source, digest, row, _passage_rows(doc, doc_id, row[7])


def plan_prepared(
    batch: list[Prepared],
    report: ImportReport,
    existing: Callable[[list[str]], dict[str, Stored]],
    thinker: str | None = None,
) -> tuple[Rows, Rows, Rows]:
    """Count one batch into ``report`` and return its (new, changed) document rows and passage rows.

    Shared by both backends: ``existing(ids)`` maps the stored ids to what ``Stored`` holds;
    the caller deletes the changed documents' old rows and inserts the three lists. A stored
    document of another thinker is moved when ``thinker`` (the ``--thinker`` given) is, and
    otherwise keeps its thinker.
    """
    unique = {item[0]: item for item in batch}  # subtle: a duplicate id inside one batch: the last one wins
    report.unchanged += len(batch) - len(unique)
    stored = existing(list(unique))
    new_rows: Rows = []
    changed: Rows = []
    passages: Rows = []
    for doc_id, (_, source, digest, row, passage_rows) in unique.items():
        report.by_source[source] = report.by_source.get(source, 0) + 1
        report.by_kind[row[2]] = report.by_kind.get(row[2], 0) + 1
        old = stored.get(doc_id)
        if old is not None and old[2] != row[_THINKER]:
            row = _with_thinker(row, old[2], report, moved=thinker is not None)
        if old is not None and old[0] == digest and old[2] == row[_THINKER]:
            report.unchanged += 1
            continue
        if old is None:
            new_rows.append(row)
        else:
            changed.append(row)
            _count_change(report, old[1])
        passages.extend(passage_rows)
    report.added += len(new_rows)
    return new_rows, changed, passages


def _with_thinker(row: tuple[Any, ...], stored: str, report: ImportReport, *, moved: bool) -> tuple[Any, ...]:
    """``row`` keeping the ``stored`` thinker, or (``moved``) counted in ``report.moved`` as it is."""
    if not moved:
        return row[:_THINKER] + (stored,) + row[_THINKER + 1 :]
    key = (stored, str(row[_THINKER]))
    report.moved[key] = report.moved.get(key, 0) + 1
    return row


def check_schema(
    location: str,
    db_arg: str,
    applied: list[str],
    known: list[str],
    *,
    read_only: bool,
    read_compatible: frozenset[str] = frozenset(),
) -> list[str]:
    """Refuse a schema newer than this code, or (read-only, so it cannot migrate) an older one.

    An older one lacking only ``read_compatible`` migrations (ones reading does not need) is
    accepted, and those are returned (the store's ``unmigrated``). Both backends name their
    migrations alike, so the version numbers mean the same; ``db_arg`` is the ``--db`` value
    the migrate command in the message should show.
    """
    unknown = [name for name in applied if name not in known]
    if unknown:
        raise StoreError(
            f"Workspace '{location}' has schema version {len(applied)} ({unknown[-1]}); "
            f"this deep-insights knows up to {len(known)}. Upgrade deep-insights to open it."
        )
    if read_only and any(name not in applied and name not in read_compatible for name in known):
        raise StoreError(
            f"Workspace '{location}' has schema version {len(applied)}, this deep-insights needs "
            f"{len(known)}. Migrate it with: insights db migrate --db {db_arg}"
        )
    return [name for name in known if name not in applied]


def _count_change(report: ImportReport, stored_by: int | None) -> None:
    if stored_by is not None and stored_by == report.import_id:
        report.unchanged += 1  # a duplicate of a document added earlier in this import
    else:
        report.updated += 1


def _document_row(
    doc: Document, doc_id: str, digest: str, published: str | None, thinker: str, import_id: int | None
) -> tuple[Any, ...]:
    meta = _META_JSON(doc.meta) if doc.meta else None
    fields: tuple[str | None, ...] = (thinker, doc.kind, doc.source, doc.source_id, doc.source_path, doc.title,
                                      doc.text, doc.url, meta, doc.raw)  # fmt: skip
    if not _all_storable(fields):
        fields = tuple(_storable_or_none(f) for f in fields)
    who, kind, source, source_id, path, title, text, url, meta, raw = fields
    return (doc_id, who, kind, source, source_id, path, title, text, url, published, count_words(text or ""), digest,
            meta, raw, import_id, dump_spans(doc.others), storable(doc.origin))  # fmt: skip


def _all_storable(fields: tuple[str | None, ...]) -> bool:
    """True when no field holds a lone surrogate: one encode of them all instead of one check each."""
    try:
        "".join(f for f in fields if f).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _passage_rows(doc: Document, doc_id: str, text: str) -> list[tuple[Any, ...]]:
    """Passage rows of ``doc``; ``text`` is its storable text (same length, so offsets hold)."""
    title = _storable_or_none(doc.title)
    if len(text) <= HARD_MAX and not doc.anchors:  # most documents (tweets): one passage, no splitting
        own = own_share(doc.others, 0, len(text)) if doc.others else 1.0
        return [(doc_id, 0, 0, len(text), title, text, None, _storable_or_none(doc.url), own)]
    return [
        (
            doc_id,
            p.ordinal,
            p.start,
            p.end,
            title if p.ordinal == 0 else None,
            text[p.start : p.end],
            _storable_or_none(p.anchor_label),
            _storable_or_none(p.url),
            own_share(doc.others, p.start, p.end) if doc.others else 1.0,
        )
        for p in split_document(doc)
    ]


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
