"""One-line messages for PostgreSQL failures: each names the database (password masked) and the fix.

``mask(url)`` hides a password in a URL (``user:***@host``, ``password=***``); ``explain``
turns a psycopg error into the text of a ``StoreError``: wrong URL, server down or
unreachable, login refused, database or role missing, connection lost (inside a
transaction the message says it was rolled back), read-only, no permission, disk full.

It does not raise, retry or reconnect: ``store`` decides that.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import errors as pgerrors

EXAMPLE_URL = "postgresql://user:password@localhost:5432/insights"
_NETLOC_PASSWORD = re.compile(r"(//[^/@:?#]*:)[^@/?#]*@")
_QUERY_PASSWORD = re.compile(r"(password=)[^&#]*", re.IGNORECASE)
_MISSING_DATABASE = re.compile(r'database "([^"]+)" does not exist')
_LOGIN = ("password authentication failed", "no password supplied", "role ", "authentication failed", "no pg_hba")
_DOWN = (
    "Connection refused",
    "No such file or directory",
    "could not connect",
    "timeout expired",
    "starting up",
    "failed to resolve host",
)
_LOST = (
    "server closed the connection",
    "terminating connection",
    "connection is closed",
    "EOF detected",
    "shutting down",
)


def mask(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return _QUERY_PASSWORD.sub(r"\1***", _NETLOC_PASSWORD.sub(r"\1***@", url))


def reason(ex: BaseException, url: str | None = None) -> str:
    """The error's text on one line, without psycopg's prefixes and with passwords masked."""
    text = " ".join(str(ex).split()).removeprefix("connection failed: ")
    text = text.replace("FATAL: ", "").replace("ERROR: ", "")
    return mask(text) if url is None else mask(text).replace(url, mask(url))


def explain(url: str, ex: psycopg.Error | ValueError, *, in_transaction: bool = False) -> str:
    """Turn a psycopg error on the database at ``url`` into one line that names it and the fix."""
    where, why = mask(url), reason(ex, url)
    if isinstance(ex, ValueError | psycopg.ProgrammingError) and _is_conninfo(why):
        return f"'{where}' is not a valid PostgreSQL URL ({why}); expected e.g. {EXAMPLE_URL}"
    if isinstance(ex, pgerrors.ReadOnlySqlTransaction):
        return f"Workspace '{where}' is open read-only here; this operation cannot write to it."
    if isinstance(ex, psycopg.OperationalError) and not isinstance(ex, pgerrors.DiskFull):
        return _explain_connection(where, why, in_transaction)
    if isinstance(ex, pgerrors.InsufficientPrivilege):
        return (
            f"PostgreSQL database '{where}': permission denied ({why}). Grant the user the rights it needs "
            "(e.g. GRANT ALL ON SCHEMA public TO …) or use another user in --db."
        )
    if isinstance(ex, pgerrors.DiskFull):
        return f"Cannot write PostgreSQL database '{where}': {why}. Free some space on the server and try again."
    rolled = "; the transaction was rolled back" if in_transaction else ""
    return f"PostgreSQL database '{where}': {why}{rolled}"


def _explain_connection(where: str, why: str, in_transaction: bool) -> str:
    missing = _MISSING_DATABASE.search(why)
    if missing:
        name = missing.group(1)
        return (
            f"PostgreSQL database '{name}' does not exist on the server of '{where}'. "
            f"Create it (createdb {name}, or CREATE DATABASE {name}) and run the command again."
        )
    if any(marker in why for marker in _LOGIN):
        return f"PostgreSQL refused the login to '{where}' ({why}). Check the user and password in --db."
    if in_transaction or any(marker in why for marker in _LOST):
        saved = "; the transaction was rolled back, nothing from it was saved" if in_transaction else ""
        return (
            f"Lost the connection to PostgreSQL database '{where}' ({why}){saved}. "
            "Check that the server is running and run the command again."
        )
    if any(marker in why for marker in _DOWN):
        return (
            f"Cannot connect to PostgreSQL database '{where}': the server is not running or not reachable "
            f"({why}). Start it, or fix the host and port in --db."
        )
    return f"Cannot use PostgreSQL database '{where}': {why}"


def _is_conninfo(why: str) -> bool:
    markers = ("invalid", "missing", "URI", "conninfo", "connection option", "unterminated", "port")
    return any(marker in why for marker in markers)
