"""A PostgreSQL workspace as the web server reads it: one read-only ``PgStore`` over a connection pool.

Each call borrows a connection from a psycopg_pool ``ConnectionPool``, so a burst of requests
shares a few connections instead of opening one per thread. The generation is the server's
transaction snapshot, which changes when any write transaction starts or commits
(conservative: a cached result may be dropped early, never served stale).

It opens nothing until asked, and writes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from .store import PgStore, open_pool


class PooledReaders:
    """One read-only ``PgStore`` of the database at ``url``, over a pool opened on first use."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._shared: PgStore | None = None
        self._pool: ConnectionPool[psycopg.Connection[Any]] | None = None

    def get(self) -> PgStore:
        """The shared store (any thread may use it: each call borrows a pooled connection)."""
        with self._lock:
            if self._shared is None:
                pool = open_pool(self.url)
                try:
                    self._shared = PgStore(self.url, pool=pool)
                except BaseException:
                    pool.close()
                    raise
                self._pool = pool
            return self._shared

    @contextmanager
    def borrowed(self) -> Iterator[PgStore]:
        """The shared store, for a thread that is not a request's (the warm-up)."""
        yield self.get()

    def generation(self) -> int:
        """A number that changes whenever a write transaction starts or commits."""
        return hash(self.get().rows("SELECT pg_current_snapshot()::text AS s")[0]["s"])

    def generation_now(self) -> None:
        """Never without waiting: reading it is a round trip to the server, so the caller asks from a thread."""
        return None

    def close(self) -> None:
        """Close the pool (at server shutdown)."""
        with self._lock:
            if self._pool is not None:
                self._pool.close()
            self._pool = self._shared = None
