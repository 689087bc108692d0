"""Copy a workspace between backends (SQLite → PostgreSQL and back): ``insights db copy SRC DST``.

Rows keep their ids (citations and vectors point at passage ids), table by table in
dependency order, read as a stream in key order and written ``BATCH`` rows per
transaction, so memory stays flat and an interrupted copy resumes where it stopped: each
table restarts after the highest key already in the destination. When every table is
copied, both sides are verified: the number of rows and a SHA-256 over every row, in key
order, must agree, or the copy is reported as failed with the table that differs.

The destination must be empty or an interrupted copy of the same source. It does not
copy the semantic index file beside a SQLite workspace (``insights index`` rebuilds it
from the copied vectors) and does not change the source.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import StoreError

if TYPE_CHECKING:
    from .workspace import AnyStore

BATCH = 5000


@dataclass(frozen=True)
class Table:
    """A table to copy: its key (unique, copied in this order) and the columns, key first."""

    name: str
    key: str
    columns: tuple[str, ...]
    text_key: bool = False

    @property
    def lowest(self) -> Any:
        """A value that every key sorts after."""
        return "" if self.text_key else -1

    @property
    def select(self) -> str:
        names = ", ".join(f'"{c}"' for c in self.columns)
        return f'SELECT {names} FROM {self.name} WHERE "{self.key}" > ? ORDER BY "{self.key}"'


TABLES = (
    Table(
        "imports",
        "id",
        (
            "id",
            "started_at",
            "finished_at",
            "paths",
            "thinker",
            "added",
            "updated",
            "unchanged",
            "skipped",
            "sources",
            "provenance",
        ),
    ),  # fmt: skip
    Table(
        "documents",
        "id",
        (
            "id",
            "thinker",
            "kind",
            "source",
            "source_id",
            "source_path",
            "title",
            "text",
            "url",
            "published_at",
            "words",
            "content_hash",
            "meta",
            "raw",
            "import_id",
            "others",
            "origin",
        ),
        text_key=True,
    ),  # fmt: skip
    Table("passages", "id", ("id", "document_id", "ordinal", "start", "end", "title", "text", "anchor", "url", "own")),
    Table("passage_vectors", "passage_id", ("passage_id", "model", "text_hash", "generation", "vector")),
    Table("vector_meta", "key", ("key", "value"), text_key=True),
)


@dataclass
class CopyReport:
    """Rows copied now and rows found already copied (a resumed copy), per table; and the checksums."""

    copied: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"copied": self.copied, "resumed": self.resumed, "checksums": self.checksums}


Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def copy_workspace(source: AnyStore, dest: AnyStore, *, progress: Progress | None = None) -> CopyReport:
    """Copy every row of ``source`` into ``dest``, then verify counts and checksums; return what was done.

    Raises StoreError when ``dest`` holds rows that ``source`` does not (not a copy of it) or
    when the verification finds a difference.
    """
    if source.unmigrated:
        raise StoreError(
            f"'{source.path}' lacks migration {source.unmigrated[0]}, which copying needs. "
            f"Migrate it first with: insights db migrate --db {source.path}"
        )
    report = CopyReport()
    for table in TABLES:
        total = _count(source, table)
        done = _count(dest, table)
        if done > total:
            raise StoreError(
                f"'{dest.path}' is not empty and not a copy of '{source.path}': its {table.name} table holds "
                f"{done:,} rows, the source {total:,}. Copy into an empty database."
            )
        report.resumed[table.name] = done
        report.copied[table.name] = _copy_table(source, dest, table, done, total, progress)
    dest.after_copy()
    _verify(source, dest, report)
    return report


def _copy_table(
    source: AnyStore, dest: AnyStore, table: Table, done: int, total: int, progress: Progress | None
) -> int:
    last = _highest_key(dest, table)
    copied = 0
    for batch in _batches(source.stream(table.select, [last]), BATCH):
        with dest.transaction():
            dest.insert_rows(table.name, table.columns, batch)
        copied += len(batch)
        if progress:
            progress(table.name, done + copied, total)
    return copied


def _highest_key(store: AnyStore, table: Table) -> Any:
    """The largest key already in ``store``, or the value every key sorts after."""
    found = store.rows(f'SELECT max("{table.key}") AS top FROM {table.name}')[0]["top"]
    return table.lowest if found is None else found


def _count(store: AnyStore, table: Table) -> int:
    return int(store.rows(f"SELECT count(*) AS n FROM {table.name}")[0]["n"])


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _verify(source: AnyStore, dest: AnyStore, report: CopyReport) -> None:
    for table in TABLES:
        ours, theirs = checksum(source, table), checksum(dest, table)
        if ours != theirs:
            raise StoreError(
                f"Copy of '{source.path}' to '{dest.path}' differs in table {table.name}: "
                f"{ours[0]:,} rows (sha256 {ours[1][:12]}) vs {theirs[0]:,} rows (sha256 {theirs[1][:12]}). "
                "Run the copy again into an empty database."
            )
        report.checksums[table.name] = ours[1]


def checksum(store: AnyStore, table: Table) -> tuple[int, str]:
    """(rows, SHA-256 over every row in key order), the same for the same rows on either backend."""
    digest = hashlib.sha256()
    rows = 0
    for row in store.stream(table.select, [table.lowest]):
        rows += 1
        for value in row:
            digest.update(_canonical(value))
    return rows, digest.hexdigest()


def _canonical(value: Any) -> bytes:
    """One value as bytes that do not depend on the driver (str, int, float, bytes, memoryview, None)."""
    if value is None:
        return b"N"
    if isinstance(value, bool | int):
        return b"I" + str(int(value)).encode() + b"\x00"
    if isinstance(value, float):
        return b"F" + struct.pack("<d", value)
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        return b"B" + struct.pack("<Q", len(data)) + data
    text = str(value).encode("utf-8", "surrogatepass")
    return b"S" + struct.pack("<Q", len(text)) + text
