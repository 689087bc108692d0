"""The write path both backends share: an import's record, the upsert of its documents, the schema check.

``ImportWrites`` is a mixin ``sqlite.Store`` and ``postgresql.PgStore`` inherit; its SQL is
written once with ``?`` placeholders, and each backend gives ``execute``, ``rows``,
``_existing`` and ``_replace``. ``prepare``/``plan_prepared`` turn Documents into rows and
count a batch into the import's report without touching a database (``pipeline`` runs
``prepare`` in another process); ``check_schema`` refuses a schema newer than this code.

It opens no connection and imports no driver; each backend does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from ...errors import StoreError
from ...models import Document, ImportReport, storable
from ...prepare import BATCH, DOCUMENT_FIELDS, THINKER, Prepared, Rows, prepare


def now() -> str:
    """The current time as the workspace stores it: UTC, ISO 8601, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ImportWrites:
    """The write path both backends share: an import's record and the upsert of its documents.

    ``sqlite.Store`` and ``postgresql.PgStore`` inherit it and provide ``execute`` (``?`` placeholders),
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

    def _statement(self, sql: str) -> None:
        """Run one statement that writes no rows (transaction control)."""
        raise NotImplementedError

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A block inside ``transaction()`` that, when it raises, is undone alone (the exception goes on)."""
        self._statement("SAVEPOINT block")
        try:
            yield
        except BaseException:
            self._statement("ROLLBACK TO block")
            self._statement("RELEASE block")
            raise
        self._statement("RELEASE block")

    def finish_import(self, report: ImportReport) -> None:
        """Record the outcome of the import ``report.import_id``."""
        data = report.as_dict()
        self.execute(
            "UPDATE imports SET finished_at=?, added=?, updated=?, unchanged=?, skipped=?, sources=?, provenance=? "
            "WHERE id=?",
            (
                now(),
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


Stored = tuple[str, int | None, str]
"""What an import needs to know of a stored document: (content hash, import id, thinker)."""


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
        if old is not None and old[2] != row[THINKER]:
            row = _with_thinker(row, old[2], report, moved=thinker is not None)
        if old is not None and old[0] == digest and old[2] == row[THINKER]:
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
        return row[:THINKER] + (stored,) + row[THINKER + 1 :]
    key = (stored, str(row[THINKER]))
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
