"""The few SQL fragments that differ between the SQLite and PostgreSQL stores, for modules that query both.

The verifiers write full-text queries in FTS5 syntax (``text : "word"``, ``title : ("a"
OR "b")``, a profile's ``Asimov OR "Last Question"``). ``matching_passages`` turns one
into a subquery selecting the ids (``pid``) of the passages it matches: on SQLite the
query runs on ``passages_fts`` unchanged; on PostgreSQL ``pg.search.translate`` turns
it into a tsquery over ``passages.tsv`` (the same syntax means the same there). A
malformed query raises one of ``MALFORMED``: ``sqlite3.OperationalError`` when SQLite
runs it, ``SearchError`` when PostgreSQL's translation reads it.

``contains`` is a case-insensitive substring test both dialects run (SQLite has
``instr``, PostgreSQL ``strpos``; both have ``LIKE … ESCAPE``). This module runs no
SQL of its own on SQLite and only the query translation on PostgreSQL (``matching_passages_many``
translates many queries in one round trip); it does not rank.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from .errors import SearchError

MALFORMED: tuple[type[Exception], ...] = (sqlite3.OperationalError, SearchError)


def is_postgres(store: object) -> bool:
    """True for a ``PgStore`` (``backend == "postgresql"``), False for the SQLite ``Store``."""
    return getattr(store, "backend", "sqlite") == "postgresql"


def matching_passages(store: Any, fts: str) -> tuple[str, list[Any]]:
    """``SELECT … AS pid`` of the passages matching the FTS5 query ``fts``, and its parameters."""
    return matching_passages_many(store, [fts])[0]


def matching_passages_many(store: Any, queries: list[str]) -> list[tuple[str, list[Any]]]:
    """``matching_passages`` of each query; on PostgreSQL all are translated in one round trip."""
    if not is_postgres(store):
        return [("SELECT rowid AS pid FROM passages_fts WHERE passages_fts MATCH ?", [fts]) for fts in queries]
    from .pg.search import translate_many

    return [_pg_matching(tsquery) for tsquery in translate_many(store, queries)]


def _pg_matching(tsquery: str) -> tuple[str, list[Any]]:
    if not tsquery:  # subtle: nothing searchable (only punctuation) matches nothing, as in FTS5
        return "SELECT id AS pid FROM passages WHERE 1 = 0", []
    return "SELECT id AS pid FROM passages WHERE tsv @@ ?::tsquery", [tsquery]


def contains(column: str) -> str:
    """SQL true when ``column`` (NULL: never) contains the ``contains_pattern`` parameter, ignoring case."""
    return f"lower(coalesce({column}, '')) LIKE lower(?) ESCAPE '\\'"


def contains_pattern(value: str) -> str:
    """The LIKE parameter for ``contains``: ``value`` with its wildcards escaped, between ``%``."""
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
