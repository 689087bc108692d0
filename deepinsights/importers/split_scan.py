"""Scan a large JSON array file in two halves at once: this process reads one, a forked one the other.

The X importer reads each tweet file twice, and its first pass (the ids and reply links of
every tweet, needed before the first tweet is written) is the import's only stretch where
the database side has nothing to do: about 0.9 s of 5.5 for 200,000 tweets. On two cores
that pass takes half the time split in two.

Splitting at a guessed item boundary is exact without trusting the guess. The first half is
parsed as the array it would be if the boundary were real (its bytes, then ``]``), and that
parse succeeds only if the split point follows a top-level comma: inside a string the added
``]`` leaves the string unterminated, inside a nested object or list the array ends before
the object does. When it succeeds, the second half (``[``, then its bytes) holds exactly the
remaining items. Anything else (a file below the threshold, no ``fork``, no plausible
boundary near the middle, either half failing to parse) returns None, and the caller reads
the whole file in one pass as before, so problems are reported exactly as before.

It does not interpret items: the caller's ``scan`` turns an item iterator into a picklable
summary and merges the two summaries in order.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import re
import signal
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from itertools import chain
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any, TypeVar

from .. import config
from ..errors import ImporterError
from .archive import CHUNK
from .jsonstream import JsonStreamError, iter_json_array

T = TypeVar("T")
_ITEM_START = re.compile(rb",\s*\{")
_SEARCH_BYTES = 1024 * 1024  # look this far past the middle for ", {"


def worth_forking(path: Path) -> bool:
    """True when ``path`` is a file of at least ``DEEPINSIGHTS_PARSE_IN_CHILD_BYTES``, on a platform that can fork.

    Below about 8 MB reading in one process is quicker than starting a second one.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return False
    try:
        threshold = int(config.PARSE_IN_CHILD_BYTES.value())
    except ValueError:
        raise ImporterError(f"{config.PARSE_IN_CHILD_BYTES.env} must be a number of bytes") from None
    try:
        return threshold >= 0 and path.is_file() and path.stat().st_size >= threshold
    except OSError:
        return False


@contextmanager
def forking_beside_threads() -> Iterator[None]:
    """Fork without Python 3.12's warning about other threads (the import child's sender, rich's refresh).

    subtle: the warning is about locks another thread may hold at the fork. The processes
    forked here only read a file and write their own pipe: they take no lock those threads
    use (the queue, the console), so there is nothing to deadlock on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        yield


def scan_in_halves(path: Path, label: str, scan: Callable[[Iterator[Any]], T]) -> tuple[T, T] | None:
    """``scan`` of the items of the first and of the second half of the array in ``path``, or None."""
    if not worth_forking(path):
        return None
    split = _split_point(path)
    if split is None:
        return None
    receive, send = multiprocessing.get_context("fork").Pipe(duplex=False)
    with forking_beside_threads():
        pid = os.fork()
    if pid == 0:  # the forked process: scan the second half, send the summary, leave without cleanup
        gc.disable()  # short-lived, and what it keeps (ids, reply links) holds no cycles
        receive.close()
        _scan_second_half(path, split, label, scan, send)
    send.close()
    first: T | None = None
    second: T | None = None
    try:
        first = _first_half(path, split, label, scan)
        if first is not None:  # else not a boundary: the other half is of no use
            second = _receive(receive)
    finally:
        receive.close()
        if second is None:  # not wanted, failed, or interrupted (Ctrl-C): do not wait for it to finish
            os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    return None if first is None or second is None else (first, second)


def _split_point(path: Path) -> int | None:
    """The offset of the first ``{`` after a comma past the middle of the file, if any."""
    middle = path.stat().st_size // 2
    with path.open("rb") as f:
        f.seek(middle)
        match = _ITEM_START.search(f.read(_SEARCH_BYTES))
    return None if match is None else middle + match.end() - 1


def _first_half(path: Path, split: int, label: str, scan: Callable[[Iterator[Any]], T]) -> T | None:
    chunks = chain(_file_range(path, 0, split), [b"]"])
    try:
        return scan(iter_json_array(chunks, label))
    except JsonStreamError:
        return None


def _scan_second_half(path: Path, split: int, label: str, scan: Callable[[Iterator[Any]], T], send: Connection) -> None:
    status = 0
    try:
        chunks = chain([b"["], _file_range(path, split, None))
        send.send_bytes(pickle.dumps(scan(iter_json_array(chunks, label)), protocol=pickle.HIGHEST_PROTOCOL))
    except BaseException:  # noqa: BLE001 - any failure: the caller reads the whole file itself
        status = 1
    finally:
        os._exit(status)  # subtle: never run the forking process's exit handlers or close its database


def _receive(receive: Connection) -> Any:
    with suppress(EOFError, OSError, pickle.UnpicklingError):
        return pickle.loads(receive.recv_bytes())
    return None


def _file_range(path: Path, start: int, end: int | None) -> Iterator[bytes]:
    with path.open("rb") as f:
        f.seek(start)
        left = end - start if end is not None else None
        while left is None or left > 0:
            chunk = f.read(CHUNK if left is None else min(CHUNK, left))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
            yield chunk
