"""The workspace: one SQLite file holding documents, passages, their FTS5 index and imports.

This is the only module that writes to the database. It opens the file (WAL, foreign
keys, a busy timeout), applies pending migrations, refuses a schema newer than this
version, and upserts Documents by id and content hash inside one transaction per import.

It does not parse sources (importers do) and it does not rank (search does).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .errors import StoreError
from .migrations import migrations
from .models import Document, ImportReport, iso_utc
from .passages import split_document

BATCH = 2000
BUSY_TIMEOUT_MS = 5000


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def count_words(text: str) -> int:
    return len(text.split())


class Store:
    """A workspace database. ``Store(path)`` opens (and creates or migrates) it.

    ``read_only=True`` opens the file with ``mode=ro`` and never migrates: the web server
    uses it so that a bug in a request handler cannot change the corpus.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        self.conn = self._connect()
        self.db = Database(self.conn)
        if not read_only:
            self._migrate()
        self._check_version()

    # -- opening -----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        name = str(self.path)
        try:
            if self.read_only:
                if not self.path.exists():
                    raise StoreError(f"Workspace '{name}' does not exist. Create it with: insights import PATH --db {name}")
                conn = sqlite3.connect(f"file:{self.path.resolve()}?mode=ro", uri=True, isolation_level=None,
                                       check_same_thread=False)
            else:
                if self.path.parent and not self.path.parent.exists():
                    raise StoreError(f"Cannot create workspace '{name}': folder '{self.path.parent}' does not exist")
                conn = sqlite3.connect(name, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self.read_only:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.DatabaseError as ex:
            raise StoreError(_explain(name, ex)) from None
        return conn

    def _migrate(self) -> None:
        try:
            if migrations.pending(self.db):
                migrations.apply(self.db)
        except sqlite3.DatabaseError as ex:
            raise StoreError(_explain(str(self.path), ex)) from None

    def _check_version(self) -> None:
        known = {m.name for m in migrations._migrations}
        applied = [m.name for m in migrations.applied(self.db)]
        unknown = [name for name in applied if name not in known]
        if unknown:
            raise StoreError(
                f"Workspace '{self.path}' has schema version {len(applied)} ({unknown[-1]}); "
                f"this deep-insights knows up to {len(known)}. Upgrade deep-insights to open it."
            )
        if self.read_only and len(applied) < len(known):
            raise StoreError(
                f"Workspace '{self.path}' has schema version {len(applied)}, this deep-insights needs "
                f"{len(known)}. Run any write command (e.g. 'insights stats --db {self.path}') to migrate it."
            )

    def close(self) -> None:
        self.conn.close()

    # -- writing -----------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: everything it wrote is kept, or nothing is."""
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.DatabaseError as ex:
            raise StoreError(_explain(str(self.path), ex)) from None
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        try:
            self.conn.execute("COMMIT")
        except sqlite3.DatabaseError as ex:
            self.conn.execute("ROLLBACK")
            raise StoreError(_explain(str(self.path), ex)) from None

    def begin_import(self, paths: list[str], thinker: str | None) -> int:
        cursor = self.conn.execute(
            "INSERT INTO imports (started_at, paths, thinker) VALUES (?, ?, ?)",
            (_now(), json.dumps(paths), thinker),
        )
        return int(cursor.lastrowid or 0)

    def finish_import(self, report: ImportReport) -> None:
        data = report.as_dict()
        self.conn.execute(
            "UPDATE imports SET finished_at=?, added=?, updated=?, unchanged=?, skipped=?, sources=? WHERE id=?",
            (_now(), report.added, report.updated, report.unchanged, json.dumps(data["skipped"]),
             json.dumps(report.by_source), report.import_id),
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

        Identity is ``Document.id``; 'changed' means a different ``content_hash``. ``thinker``
        overrides each document's own thinker. ``progress`` receives the number of documents
        handled after each batch.
        """
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= BATCH:
                self._write_batch(batch, report, thinker)
                if progress:
                    progress(len(batch))
                batch = []
        if batch:
            self._write_batch(batch, report, thinker)
            if progress:
                progress(len(batch))

    def _write_batch(self, batch: list[Document], report: ImportReport, thinker: str | None) -> None:
        unique = {doc.id: doc for doc in batch}  # subtle: a duplicate id inside one batch: the last one wins
        report.unchanged += len(batch) - len(unique)
        existing = self._existing_hashes(list(unique))
        new_rows, changed, passages = [], [], []
        for doc_id, doc in unique.items():
            report.by_source[doc.source] = report.by_source.get(doc.source, 0) + 1
            digest = doc.content_hash
            old = existing.get(doc_id)
            if old == digest:
                report.unchanged += 1
                continue
            row = self._row(doc, digest, thinker or doc.thinker or "default", report.import_id)
            (changed if old is not None else new_rows).append(row)
            passages.extend(self._passage_rows(doc))
        if changed:
            ids = [(row[0],) for row in changed]
            self.conn.executemany("DELETE FROM passages WHERE document_id = ?", ids)
            self.conn.executemany("DELETE FROM documents WHERE id = ?", ids)
        rows = new_rows + changed
        self.conn.executemany(f"INSERT INTO documents VALUES ({', '.join('?' * 15)})", rows)
        self.conn.executemany(
            'INSERT INTO passages (document_id, ordinal, start, "end", title, text, anchor, url) '
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            passages,
        )
        report.added += len(new_rows)
        report.updated += len(changed)

    def _existing_hashes(self, ids: list[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            sql = f"SELECT id, content_hash FROM documents WHERE id IN ({', '.join('?' * len(chunk))})"
            found.update(self.conn.execute(sql, chunk).fetchall())
        return found

    @staticmethod
    def _row(doc: Document, digest: str, thinker: str, import_id: int | None) -> tuple[Any, ...]:
        meta = json.dumps(doc.meta, ensure_ascii=False, default=str) if doc.meta else None
        return (
            doc.id, thinker, doc.kind, doc.source, doc.source_id, doc.source_path, doc.title, doc.text,
            doc.url, iso_utc(doc.published_at), count_words(doc.text), digest, meta, doc.raw, import_id,
        )

    @staticmethod
    def _passage_rows(doc: Document) -> list[tuple[Any, ...]]:
        return [
            (doc.id, p.ordinal, p.start, p.end, doc.title if p.ordinal == 0 else None, p.text, p.anchor_label, p.url)
            for p in split_document(doc)
        ]

    # -- reading -----------------------------------------------------------------

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        """Run a read query and return its rows as dicts."""
        cursor = self.conn.execute(sql, tuple(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored document with this id, or None."""
        found = self.rows("SELECT * FROM documents WHERE id = ?", [doc_id])
        return found[0] if found else None

    def passages(self, doc_id: str) -> list[dict[str, Any]]:
        return self.rows('SELECT * FROM passages WHERE document_id = ? ORDER BY ordinal', [doc_id])

    def passage(self, passage_id: int) -> dict[str, Any] | None:
        found = self.rows("SELECT * FROM passages WHERE id = ?", [passage_id])
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
        return [r["thinker"] for r in self.rows("SELECT DISTINCT thinker FROM documents ORDER BY thinker")]

    def imports(self) -> list[dict[str, Any]]:
        rows = self.rows("SELECT * FROM imports WHERE finished_at IS NOT NULL ORDER BY id")
        for row in rows:
            for key in ("paths", "skipped", "sources"):
                row[key] = json.loads(row[key]) if row[key] else []
        return rows

    def document_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])


def _explain(name: str, ex: sqlite3.DatabaseError) -> str:
    """Turn an sqlite3 error into a message that names the file and the fix."""
    text = str(ex)
    if "locked" in text or "busy" in text:
        return f"Workspace '{name}' is locked by another process; wait for it to finish and try again."
    if "readonly" in text or "read-only" in text:
        return f"Workspace '{name}' is read-only; check the file's permissions or choose another with --db."
    if "not a database" in text or "malformed" in text:
        return f"'{name}' is not a deep-insights workspace (not a valid SQLite database): {text}"
    if "unable to open" in text:
        return f"Cannot open workspace '{name}': {text}. Check the path and permissions."
    if "disk is full" in text or "disk I/O" in text:
        return f"Cannot write workspace '{name}': {text}. Free some space and run the import again."
    return f"Workspace '{name}': {text}"
