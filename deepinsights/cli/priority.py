"""Import and index run below a server's CPU priority (``DEEPINSIGHTS_NICE``), also from another terminal.

subtle: where the kernel groups processes by session (Linux autogroups,
``/proc/sys/kernel/sched_autogroup_enabled`` 1: many desktop distributions), a process's nice
value orders it only against its own session. An import started from another terminal than
``insights serve`` then took the cores' share of a whole session: during a 50,000-tweet
import, 16 connections of uncached search got 227–326 requests/s, p95 77–107 ms, against
308–374 and 61–77 ms when the import ran in the server's session (bench/bench_web.py
``--import-session``). So the session's group is lowered too, for as long as this process
runs (then 355–419 requests/s, p95 61–73 ms). A user may raise a group's nice value without
privilege (``sched(7)``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import NoReturn

import click

from .. import config

AUTOGROUPS_ENABLED = Path("/proc/sys/kernel/sched_autogroup_enabled")
AUTOGROUP = Path("/proc/self/autogroup")  # "/autogroup-133300 nice 0"; writing a number sets that nice value
TRIES = 10  # subtle: the kernel takes one unprivileged change of any group per 100 ms (EAGAIN otherwise)


def below_servers() -> None:
    """Lower this process's CPU priority by ``DEEPINSIGHTS_NICE`` (children inherit it), its session group's to it.

    Also, from here on a SIGTERM ends the process in order (``exit_on_sigterm``).

    subtle: priority only counts while processes want the same core, so alone on the machine an
    import runs as fast as before; beside ``insights serve`` on two cores, 16 connections of
    uncached search during a 50,000-tweet import went from about 260 to about 380 requests/s
    (bench/bench_web.py). Raising one's own niceness needs no privilege; lowering it back does.
    """
    value = config.NICE.value().strip()
    nice = int(value) if value.isdigit() else -1
    if not 0 <= nice <= 19:
        raise click.UsageError(f"{config.NICE.env} must be a whole number from 0 to 19 (got {value[:20]!r})")
    exit_on_sigterm()
    if nice and hasattr(os, "nice"):  # not on Windows
        os.nice(nice)
        lower_session_group(nice)


def lower_session_group(nice: int) -> bool:
    """Raise this session's autogroup nice value to ``nice`` until this process exits; whether it did.

    The group's earlier value comes back at exit (also after Ctrl-C, an error or ``kill``'s
    SIGTERM; not after ``kill -9``), unless something else changed it meanwhile. A group
    already at ``nice`` or above, or a kernel without autogroups, is left as it is.
    """
    try:
        if AUTOGROUPS_ENABLED.read_text().strip() != "1":
            return False
        before = autogroup_nice()
    except (OSError, ValueError, IndexError):
        return False
    if before >= nice:
        return False
    exit_on_sigterm()  # subtle: in this order, a SIGTERM at any moment leaves the group as it was
    atexit.register(_restore, before, nice)
    return _set_autogroup_nice(nice)


def exit_on_sigterm() -> None:
    """Make SIGTERM (``kill PID``, a service manager stopping it) an orderly exit, so ``atexit`` runs.

    subtle: by default SIGTERM ends the process on the spot, and the terminal's group then stayed
    lowered until the terminal closed. Raising SystemExit instead unwinds as an error does:
    the open transaction rolls back, the index lease is released, the group is given back; the
    exit status is 143, as the shell reports a SIGTERM. Only the main thread may set a
    handler, and one that someone else set is kept.
    """
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminated)


def _terminated(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)


def autogroup_nice(pid: int | str = "self") -> int:
    """The nice value of the autogroup of process ``pid``."""
    return int(Path(f"/proc/{pid}/autogroup").read_text().split()[-1])


def _set_autogroup_nice(nice: int) -> bool:
    for _ in range(TRIES):
        try:
            AUTOGROUP.write_text(str(nice))
            return True
        except BlockingIOError:  # EAGAIN: another group changed less than 100 ms ago
            time.sleep(0.05)
        except OSError:  # a sandbox that forbids it: the process's own nice value still holds
            return False
    return False


def _restore(before: int, ours: int) -> None:
    """Give the session group back its nice value, unless another process changed it since (it now owns it)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        if autogroup_nice() == ours:
            _set_autogroup_nice(before)
