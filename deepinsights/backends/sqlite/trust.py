"""Whether a SQLite file may be opened as a workspace, decided before anything writes to it.

* ``refuse_foreign(path)``: a file that is not a deep-insights workspace (another
  application's database, a file that is not SQLite) is refused before a connection that
  could change it is opened. It is read with ``immutable=1``, which takes no lock and
  creates no ``-wal`` or ``-shm`` file, so the file is left byte for byte as it was. An
  empty file, or a SQLite file without tables, is a new workspace.
* ``refuse_untrusted(conn, path, applied)``: a workspace whose schema holds objects the
  migrations did not create (a trigger on ``documents`` that rewrites the thinker, a view, a
  table whose definition was changed) would run them on every write. Before a writing
  command migrates or writes, the schema is compared with what the applied migrations create
  on an empty in-memory database (``migrations.created_schema``, never a hand-kept list); any
  difference is refused, listed, until the user passes ``--trust-schema``. Nothing is dropped:
  an index a user added for Datasette is theirs to keep.
* ``check_intact(conn, path)``: ``PRAGMA quick_check`` before a writing command writes, so
  a damaged file is reported instead of written to; ``damaged(path, detail)`` is the one-line
  message with the recovery path.

It does not open workspaces for use (``store`` does) and knows nothing of PostgreSQL
(``backends.postgresql.trust`` does the same there).
"""

from __future__ import annotations

import os
import shlex
import sqlite3
from pathlib import Path

from ...errors import StoreError
from .migrations import MIGRATIONS_TABLE, created_schema, migrations

# Tables SQLite itself may add to any database (ANALYZE's statistics, AUTOINCREMENT's counters).
SQLITE_OWN = frozenset({"sqlite_stat1", "sqlite_stat2", "sqlite_stat3", "sqlite_stat4", "sqlite_sequence"})
LISTED = 6  # objects named in a message; the rest are counted


def refuse_foreign(path: Path) -> None:
    """Raise ``StoreError`` unless ``path`` is absent, empty, or a deep-insights workspace; never writes."""
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        names, ours = _look(path)
    except sqlite3.DatabaseError as ex:
        if "not a database" in str(ex):
            raise StoreError(
                f"'{path}' is not a deep-insights workspace (not a valid SQLite database). "
                "Nothing was changed; choose another file with --db."
            ) from None
        raise StoreError(damaged(path, str(ex))) from None
    if names and not ours:
        shown = ", ".join(sorted(names)[:LISTED]) + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")
        raise StoreError(
            f"'{path}' is not a deep-insights workspace: it holds another application's tables ({shown}). "
            "Nothing was changed; choose another file with --db."
        )


def _look(path: Path) -> tuple[set[str], bool]:
    """``_inspect`` without locks, confirmed with them before a file is called foreign or broken.

    subtle: ``immutable=1`` takes no lock, so it could read a workspace of ours half-way through
    another process's checkpoint; only what would be refused is read again, properly.
    """
    try:
        names, ours = _inspect(_unlocked(path))
    except sqlite3.DatabaseError:
        return _inspect(_locked(path))
    return _inspect(_locked(path)) if names and not ours else (names, ours)


def _unlocked(path: Path) -> sqlite3.Connection:
    """A connection that reads ``path`` with no lock and leaves nothing beside it.

    subtle: ``immutable=1`` ignores a ``-wal`` file, so a file being written through one is read
    with a plain read-only connection instead (the ``-wal`` is someone's already).
    """
    wal = path.with_name(path.name + "-wal")
    flags = "mode=ro" if wal.is_file() and wal.stat().st_size else "mode=ro&immutable=1"
    return sqlite3.connect(f"{path.resolve().as_uri()}?{flags}", uri=True)


def _locked(path: Path) -> sqlite3.Connection:
    """A connection that reads ``path`` with the usual locks, changes nothing and leaves nothing beside it.

    subtle: ``mode=ro`` on a WAL file would create ``-wal`` and ``-shm`` and could not remove
    them; a writable connection with ``query_only`` removes them when it closes. A file in
    rollback-journal mode (byte 18 of the header is 1) is read with ``mode=ro``, which creates
    nothing (and never rolls back another application's journal).
    """
    with path.open("rb") as f:
        header = f.read(100)
    wal_mode = len(header) > 18 and header[18] == 2
    if wal_mode and os.access(path, os.W_OK) and os.access(path.resolve().parent, os.W_OK):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA query_only = ON")
        return conn
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


def _inspect(conn: sqlite3.Connection) -> tuple[set[str], bool]:
    """The table and view names of ``conn``'s file (closed after), and whether deep-insights migrations are recorded."""
    try:
        names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        return names, MIGRATIONS_TABLE in names and _recorded(conn)
    finally:
        conn.close()


def _recorded(conn: sqlite3.Connection) -> bool:
    try:
        sql = f"SELECT count(*) FROM {MIGRATIONS_TABLE} WHERE migration_set = ?"
        return int(conn.execute(sql, [migrations.name]).fetchone()[0]) > 0
    except sqlite3.OperationalError:
        return False  # a table of that name in another shape: another application's


def refuse_untrusted(conn: sqlite3.Connection, path: Path, applied: list[str]) -> None:
    """Raise ``StoreError`` listing the schema objects of ``conn`` that the ``applied`` migrations did not create."""
    found = unexpected_objects(conn, applied)
    if not found:
        return
    shown = "; ".join(found[:LISTED]) + (f"; and {len(found) - LISTED} more" if len(found) > LISTED else "")
    raise StoreError(
        f"Workspace '{path}' holds schema objects deep-insights did not create, which would run on this "
        f"command's writes: {shown}. Inspect them with: sqlite3 {shlex.quote(str(path))} .schema — drop them, "
        "or pass --trust-schema to write anyway."
    )


def unexpected_objects(conn: sqlite3.Connection, applied: list[str]) -> list[str]:
    """Each object that differs from the schema the ``applied`` migrations create, in a few words.

    Added objects and objects whose SQL differs (whitespace aside). Taken by name: the FTS5
    shadow tables of expected full-text tables (FTS5 writes their SQL itself, differently across
    SQLite versions) and the migrations table and its index (sqlite-utils' own, likewise);
    SQLite's own tables are expected. A missing object runs nothing, so it is not listed.
    """
    expected = created_schema(tuple(applied))
    virtual = [name for (_, name), sql in expected.items() if "VIRTUAL TABLE" in (sql or "").upper()]
    by_name = (*(f"{name}_" for name in virtual), MIGRATIONS_TABLE, f"idx_{MIGRATIONS_TABLE}")
    actual = {(kind, name): (table, sql) for kind, name, table, sql in conn.execute(
        "SELECT type, name, tbl_name, sql FROM main.sqlite_master")}  # fmt: skip
    found = []
    for (kind, name), (table, sql) in sorted(actual.items()):
        if name in SQLITE_OWN or name.startswith("sqlite_autoindex_"):
            continue
        on = f" on {table}" if kind in ("trigger", "index") else ""
        if (kind, name) not in expected:
            found.append(f"{kind} {name}{on}")
        elif not name.startswith(by_name) and _words(sql) != _words(expected[(kind, name)]):
            found.append(f"{kind} {name}{on} (changed)")
    return found


def _words(sql: str | None) -> str:
    return " ".join((sql or "").split())


def check_intact(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ``StoreError`` (with the recovery path) when SQLite's ``quick_check`` finds the file damaged.

    subtle: reads every page (about 1 s per 250 MB), so it runs once per writing command, not per
    transaction; reading commands meet damage as errors on the pages they read (``damaged``).
    """
    try:
        result = str(conn.execute("PRAGMA quick_check(1)").fetchone()[0])
    except sqlite3.DatabaseError as ex:
        result = str(ex)
    if result != "ok":
        raise StoreError(damaged(path, result))


def damaged(path: str | Path, detail: str) -> str:
    """The one-line message for a damaged workspace: what SQLite found and how to recover."""
    name = shlex.quote(str(path))
    recovered = shlex.quote(str(Path(path).with_name(Path(path).stem + "-recovered.db")))
    return (
        f"Workspace '{path}' is damaged ({' '.join(detail.split())[:200]}). Recover what is readable with: "
        f"sqlite3 {name} .recover | sqlite3 {recovered} — or import the sources again into a new workspace."
    )
