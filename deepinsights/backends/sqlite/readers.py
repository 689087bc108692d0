"""A SQLite workspace as the web server reads it: one read-only connection per thread.

sqlite3 connections must not be shared by concurrent requests, so each thread that runs a
request's database work (Starlette's threadpool) opens its own ``Store(read_only=True)`` on
first use and keeps it. The generation is ``PRAGMA data_version`` as seen by one dedicated
connection, which changes exactly when another connection commits, so an import makes
every cached result stale at its commit and not before (until then readers see the old data).

It opens nothing until asked, and writes nothing.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .store import Store


class ThreadReaders:
    """Read-only stores of the workspace at ``path``, one per thread, closed together by ``close``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Store] = []
        self._sentinel: sqlite3.Connection | None = None
        self._busy_timeout_ms = 0

    def get(self) -> Store:
        """This thread's read-only store, opened on first use."""
        cached: Store | None = getattr(self._local, "store", None)
        if cached is not None:
            return cached
        opened = Store(self.path, read_only=True)
        self._local.store = opened
        with self._lock:
            self._opened.append(opened)
        return opened

    @contextmanager
    def borrowed(self) -> Iterator[Store]:
        """A store for a thread that is not a request's (the warm-up): its own connection, closed after."""
        store = Store(self.path, read_only=True)
        try:
            yield store
        finally:
            store.close()

    def generation(self) -> int:
        """A number that changes whenever another connection commits to the workspace."""
        with self._lock:
            if self._sentinel is None:
                sentinel = Store(self.path, read_only=True)
                self._sentinel, self._busy_timeout_ms = sentinel.conn, sentinel.busy_timeout_ms
            return int(self._sentinel.execute("PRAGMA data_version").fetchone()[0])

    def generation_now(self) -> int | None:
        """The same number where it can be read without waiting (the server's event loop asks), else None.

        None before a thread has opened the sentinel connection, while a thread reads it, or
        where SQLite would have to wait for a lock; the caller then asks ``generation`` from a
        thread. subtle: the one sentinel answers both, because another connection's
        ``data_version`` counts from elsewhere and would mix up the cache's keys.
        """
        if not self._lock.acquire(blocking=False):
            return None
        try:
            if self._sentinel is None:
                return None
            self._sentinel.execute("PRAGMA busy_timeout = 0")
            try:
                return int(self._sentinel.execute("PRAGMA data_version").fetchone()[0])
            except sqlite3.OperationalError:  # busy or locked: never wait on the event loop
                return None
            finally:
                self._sentinel.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        finally:
            self._lock.release()

    def close(self) -> None:
        """Close every connection opened by any thread (at server shutdown)."""
        with self._lock:
            for opened in self._opened:
                opened.close()
            self._opened.clear()
            if self._sentinel is not None:
                self._sentinel.close()
                self._sentinel = None
        self._local = threading.local()
