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
    from .workspace import Workspace

BATCH = 5000


@dataclass
class CopyReport:
    """Rows copied now and rows found already copied (a resumed copy), per table; and the checksums."""

    copied: dict[str, int] = field(default_factory=dict)
    resumed: dict[str, int] = field(default_factory=dict)
    checksums: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"copied": self.copied, "resumed": self.resumed, "checksums": self.checksums}


Progress = Callable[[str, int, int], None]  # table, rows done, rows in all


def copy_workspace(source: Workspace, dest: Workspace, *, progress: Progress | None = None) -> CopyReport:
    """Copy every row of ``source`` into ``dest``, then verify counts and checksums; return what was done.

    Raises StoreError when ``dest`` holds rows that ``source`` does not (not a copy of it) or
    when the verification finds a difference.
    """
    if source.unmigrated:
        raise StoreError(
            f"'{source.location}' lacks migration {source.unmigrated[0]}, which copying needs. "
            f"Migrate it first with: insights db migrate --db {source.db_arg}"
        )
    report = CopyReport()
    for table in source.table_names():
        total = source.row_count(table)
        done = dest.row_count(table)
        if done > total:
            raise StoreError(
                f"'{dest.location}' is not empty and not a copy of '{source.location}': its {table} table holds "
                f"{done:,} rows, the source {total:,}. Copy into an empty database."
            )
        report.resumed[table] = done
        report.copied[table] = _copy_table(source, dest, table, done, total, progress)
    dest.after_copy()
    _verify(source, dest, report)
    return report


def _copy_table(
    source: Workspace, dest: Workspace, table: str, done: int, total: int, progress: Progress | None
) -> int:
    copied = 0
    for batch in _batches(source.rows_after(table, dest.last_key(table)), BATCH):
        with dest.transaction():
            dest.insert_rows(table, batch)
        copied += len(batch)
        if progress:
            progress(table, done + copied, total)
    return copied


def _batches(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(row))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _verify(source: Workspace, dest: Workspace, report: CopyReport) -> None:
    for table in source.table_names():
        ours, theirs = checksum(source, table), checksum(dest, table)
        if ours != theirs:
            raise StoreError(
                f"Copy of '{source.location}' to '{dest.location}' differs in table {table}: "
                f"{ours[0]:,} rows (sha256 {ours[1][:12]}) vs {theirs[0]:,} rows (sha256 {theirs[1][:12]}). "
                "Run the copy again into an empty database."
            )
        report.checksums[table] = ours[1]


def checksum(store: Workspace, table: str) -> tuple[int, str]:
    """(rows, SHA-256 over every row of ``table`` in key order), the same for the same rows on either backend."""
    digest = hashlib.sha256()
    rows = 0
    for row in store.rows_after(table):
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
