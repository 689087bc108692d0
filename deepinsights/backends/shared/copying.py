"""The tables a workspace is copied by (``dbcopy``), and the reads and writes of their rows, on both backends.

``TABLES`` lists every table with its key (unique; rows are copied in its order) and its
columns, in dependency order. ``TableRows`` is a mixin ``sqlite.Store`` and
``postgresql.PgStore`` inherit: counting, streaming and the largest key of a table, written
once with ``?`` placeholders; each backend inserts rows its own way (``insert_rows``).

It decides nothing about resuming or verifying a copy (``dbcopy`` does).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any


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

_BY_NAME = {table.name: table for table in TABLES}


class TableRows:
    """Rows of the ``TABLES`` by table name; backends give ``rows``, ``stream`` and ``_insert``."""

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def _insert(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def table_names(self) -> list[str]:
        """The tables a copy carries, each after the tables it refers to."""
        return [table.name for table in TABLES]

    def row_count(self, table: str) -> int:
        """Rows in ``table``."""
        return int(self.rows(f"SELECT count(*) AS n FROM {_BY_NAME[table].name}")[0]["n"])

    def last_key(self, table: str) -> Any:
        """The largest key in ``table``, or None when it is empty."""
        found = _BY_NAME[table]
        return self.rows(f'SELECT max("{found.key}") AS top FROM {found.name}')[0]["top"]

    def rows_after(self, table: str, key: Any = None) -> Iterator[tuple[Any, ...]]:
        """Every row of ``table`` (its columns, key first) whose key is above ``key`` (None: all), in key order."""
        found = _BY_NAME[table]
        return self.stream(found.select, [found.lowest if key is None else key])

    def insert_rows(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        """Insert ``rows_after`` rows as they are, ids included (``dbcopy``); call inside ``transaction()``."""
        self._insert(table, _BY_NAME[table].columns, rows)
