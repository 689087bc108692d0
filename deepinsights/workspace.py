"""Open a workspace by its ``--db`` value: a SQLite file path or a ``postgresql://`` URL.

``open_store`` is the one place that decides the backend; the CLI, the web server and
the site export call it instead of constructing ``Store`` themselves. ``is_url`` tells a
URL from a path, so that no caller treats a URL as a file: ``exists`` and ``folder``
(where a workspace's profiles live: beside the file, or the current folder for a URL)
answer for both. ``describe`` gives the form of a ``--db`` value that is safe to print
(a URL's password masked).

It does not read or write the workspace itself, and imports psycopg only for a URL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeAlias

from .store import Store

if TYPE_CHECKING:
    from .pg.store import PgStore

    AnyStore: TypeAlias = Store | PgStore

URL_SCHEMES = ("postgresql://", "postgres://")
Db: TypeAlias = str | Path
"""A ``--db`` value: a SQLite file path, or a PostgreSQL URL (always a ``str``)."""


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


def describe(db: str | Path) -> str:
    """``db`` as it may be shown to a user: a path as is, a URL with its password masked."""
    if not is_url(db):
        return str(db)
    from .pg.errors import mask

    return mask(str(db))


def open_store(db: Db, *, read_only: bool = False, trust_schema: bool = False) -> AnyStore:
    """Open the workspace ``db``: a ``Store`` for a file path, a ``PgStore`` for a PostgreSQL URL.

    Raises ``StoreError`` (with the reason and the fix) when it cannot be opened: also when
    ``db`` is not a deep-insights workspace, or (to write) is damaged or holds schema objects
    the migrations did not create and ``trust_schema`` is not given (see ``trust``).
    """
    if is_url(db):
        from .pg.store import PgStore

        return PgStore(str(db).strip(), read_only=read_only, trust_schema=trust_schema)
    return Store(db, read_only=read_only, trust_schema=trust_schema)
