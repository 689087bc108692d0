"""A lease in the workspace on computing passage vectors: two processes never embed the same passage.

One row of ``index_lease`` (migration m011) names the process that holds it: its host, pid and
the pid's start time, a heartbeat, and how far it has got. Taking it is a compare-and-set in
one transaction, so of two processes that try at once exactly one gets it. A holder on this
machine that no longer runs (it crashed, or was killed with ``kill -9`` and never released) is
recognised at once from its pid and start time, so the next process takes over; a holder on
another machine (a shared PostgreSQL workspace) once its heartbeat is older than ``STALE_S``.
The holder renews the row after every batch it writes. ``scope`` says what the holder embeds:
``all`` passages lacking a vector (``insights index``, which looks again before it lets go, so
it also embeds what was imported while it ran) or one ``import``'s own passages.

It does not decide what to embed or whether to wait (``semantic.index`` does), and reads and
writes the row only through the workspace (``Workspace.lease_row`` and its siblings).
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..workspace import Workspace

NAME = "vectors"
POLL_S = 0.5  # how often a waiting process tries again
STALE_S = 600.0  # a holder on another machine whose heartbeat is older than this is taken to be gone


@dataclass(frozen=True)
class Holder:
    """The process holding the lease, and its progress (passages done of ``total``)."""

    holder: str
    scope: str  # "all" or "import"
    host: str
    pid: int
    pid_started: str
    acquired_at: float
    heartbeat_at: float
    done: int = 0
    total: int = 0

    def alive(self, now: float | None = None) -> bool:
        """Whether the holder still runs: its process on this machine, its heartbeat elsewhere."""
        if self.host == socket.gethostname():
            return process_running(self.pid, self.pid_started)
        return (now or time.time()) - self.heartbeat_at < STALE_S

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def describe(self) -> str:
        """``process 4242 on host (indexing, 1,024 of 8,874 passages)``: who holds the lease and how far it got."""
        what = "indexing" if self.scope == "all" else "embedding an import"
        done = f", {self.done:,} of {self.total:,} passages" if self.total else ""
        return f"process {self.pid} on {self.host} ({what}{done})"


def holder(store: Workspace) -> Holder | None:
    """The live holder of the lease, or None when nobody is computing vectors (or the table is missing)."""
    found = _row(store)
    return found if found is not None and found.alive() else None


def acquire(store: Workspace, scope: str = "all") -> Lease | None:
    """Take the lease if no live process holds it; None when one does."""
    now = time.time()
    me = Holder(
        f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}",
        scope,
        socket.gethostname(),
        os.getpid(),
        process_started(os.getpid()),
        now,
        now,
    )
    with store.transaction():
        current = _row(store)
        if current is None or not current.alive(now):
            store.claim_lease(NAME, me.as_dict(), replacing=None if current is None else current.holder)
    taken = _row(store)
    return Lease(store, me) if taken is not None and taken.holder == me.holder else None


def take(
    store: Workspace, scope: str, *, wait_for: Callable[[Holder], bool], waiting: Callable[[Holder], None] | None = None
) -> Lease | Holder:
    """The lease; while a live process holds it, wait when ``wait_for(holder)`` says so, else return that holder.

    ``waiting`` is told once whom this process waits for.
    """
    told = False
    while True:
        held = acquire(store, scope)
        if held is not None:
            return held
        current = holder(store)
        if current is None:
            continue  # subtle: it let go between the two reads
        if not wait_for(current):
            return current
        if waiting is not None and not told:
            waiting(current)
            told = True
        time.sleep(POLL_S)


class Lease:
    """The lease this process holds: ``renew`` after each batch, ``release`` when done (also on errors)."""

    def __init__(self, store: Workspace, held: Holder) -> None:
        self.store = store
        self.held = held

    def renew(self, done: int, total: int) -> None:
        """Record progress and a fresh heartbeat."""
        self.held = replace(self.held, heartbeat_at=time.time(), done=done, total=total)
        with self.store.transaction():
            self.store.renew_lease(NAME, self.held.holder, self.held.heartbeat_at, done, total)

    def release(self) -> None:
        with self.store.transaction():
            self.store.release_lease(NAME, self.held.holder)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _row(store: Workspace) -> Holder | None:
    found = store.lease_row(NAME)
    return Holder(**found) if found else None


def process_started(pid: int) -> str:
    """When process ``pid`` started (clock ticks since boot on Linux), so a reused pid is told apart; "" elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    fields = stat[stat.rindex(")") + 2 :].split()  # subtle: the command name in (…) may hold spaces
    return "" if fields[0] == "Z" else fields[19]  # a zombie has ended; field 22 of stat is the start time


def process_running(pid: int, started: str) -> bool:
    """Whether ``pid`` is still the process that started at ``started`` (and has not ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # it exists, owned by someone else
    now = process_started(pid)
    return now == started if Path("/proc").is_dir() else True
