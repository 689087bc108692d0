"""Parse a large file in a forked child process while this process writes what it parsed.

An import is two halves of about equal cost: parsing the source (Python) and writing rows
and the full-text index (SQLite). In one process they add up; threads do not help, because
both halves want the GIL (measured: slower than one thread). ``prepared_batches`` forks a
child that runs the importer and ``store.prepare``s each Document into plain row tuples,
and sends them back a batch at a time through a pipe, so the child parses while the parent
writes. The child sends from a thread with a queue of ``QUEUED`` batches: a pipe holds
64 KiB and a batch is about 1.5 MB, so without it the child would wait for the parent to
read each batch whole (measured: the child took 6.5 s instead of 4.9). The queue is the
backpressure: memory holds a few batches, never the file.

The child never touches the database: it only reads the source and pickles tuples, and it
leaves through ``os._exit`` (multiprocessing's fork start) so the parent's SQLite handle is
not closed behind its back. Whatever the importer reports through ``options.skip`` and ``warn`` is
replayed in the parent in order; an exception it raises is re-raised in the parent (a
``DeepInsightsError`` unchanged, anything else wrapped in ``ImporterError``); a child that
dies is reported. If the parent is interrupted or killed, the child is killed with it (it
is a daemon, and a write to a closed pipe ends it).

It does not decide what is written (the store does) and is used only where ``fork`` exists
and the file is big enough for the saving to outweigh starting a process.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import replace
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from .errors import DeepInsightsError, ImporterError
from .importers import Importer, ImportRun
from .importers.split_scan import forking_beside_threads
from .models import Caveat, Document, Note, Skipped
from .prepare import BATCH, Prepared, prepare

QUEUED = 8  # batches parsed ahead of the parent (about 12 MB)
_KINDS: dict[type, str] = {Skipped: "skip", Caveat: "warn", Note: "note"}  # the message each report item travels as


def prepared_batches(
    importer: Importer, path: Path, options: ImportRun, import_id: int | None
) -> Iterator[list[Prepared]]:
    """Yield ``importer.read(path, options)`` as batches of ``store.prepare``d documents, parsed in a child."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(importer, path, options, import_id, receive, send), daemon=True)
    with forking_beside_threads():
        child.start()
    send.close()
    try:
        yield from _receive(receive, options, path, import_id)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def _receive(receive: Connection, options: ImportRun, path: Path, import_id: int | None) -> Iterator[list[Prepared]]:
    while True:
        try:
            kind, payload = receive.recv()
        except EOFError:
            raise ImporterError(f"'{path}': the process reading it stopped unexpectedly") from None
        if kind == "batch":
            yield payload
        elif kind == "documents":  # the child found this process idle and left the preparing to it
            yield [prepare(Document(*fields), options.thinker, import_id) for fields in payload]
        elif kind == "skip":
            options.skip(payload.path, payload.reason, expected=payload.expected)
        elif kind == "warn":
            options.warn(payload.path, payload.reason)
        elif kind == "note":
            options.note(payload.path, payload.message)
        elif kind == "error":
            raise payload
        else:
            return


def _child(
    importer: Importer, path: Path, options: ImportRun, import_id: int | None, receive: Connection, send: Connection
) -> None:
    # subtle: the fork copied the pipe's reading end too; while it is open here, a write after
    # the parent died would block forever instead of failing, and the child would outlive it.
    receive.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills this process
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the parent's orderly exit (cli.priority): nothing to undo
    gc.disable()  # what it allocates is short-lived and acyclic; the collector would only cost time (3%)
    sender = _Sender(send)
    options = replace(
        options,
        skipped=[],
        warnings=[],
        notes=[],
        on_skip=lambda item: sender.put((_KINDS[type(item)], item)),
    )
    try:
        _send_batches(importer, path, options, import_id, sender)
    except BaseException as ex:  # noqa: BLE001 - every failure goes back to the parent, which raises it
        sender.put(("error", _portable(ex)))
    sender.close()


class _Sender:
    """Pickle messages here and write them to the pipe from a thread, ``QUEUED`` at most waiting."""

    def __init__(self, send: Connection) -> None:
        self.send = send
        self.queue: queue.Queue[bytes | None] = queue.Queue(maxsize=QUEUED)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def put(self, message: tuple[str, object]) -> None:
        self.queue.put(pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))

    def all_sent(self) -> bool:
        """True when the parent has read every message put so far: it is about to wait for the next."""
        return self.queue.unfinished_tasks == 0

    def close(self) -> None:
        self.queue.put(None)
        self.thread.join()
        self.send.close()

    def _run(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.send.send_bytes(data)
            except OSError:  # a closed pipe: the parent is gone, and so is the import
                os._exit(0)
            self.queue.task_done()


def _send_batches(importer: Importer, path: Path, options: ImportRun, import_id: int | None, sender: _Sender) -> None:
    batch: list[Document] = []
    for doc in importer.read(path, options):
        batch.append(doc)
        if len(batch) >= BATCH:
            sender.put(_ready(batch, options.thinker, import_id, sender))
            batch = []
    if batch:
        sender.put(_ready(batch, options.thinker, import_id, sender))
    sender.put(("done", None))


def _ready(batch: list[Document], thinker: str | None, import_id: int | None, sender: _Sender) -> tuple[str, list[Any]]:
    """The batch ``prepare``d, or, when the parent has nothing left to write, as it is for the parent to prepare.

    subtle: the child is the slower half (it parses), so work moves to the parent whenever the
    parent would otherwise wait; fields go as a plain tuple (a dataclass sets them in field
    order), which pickles at the cost of the row tuples.
    """
    if sender.all_sent():
        return "documents", [tuple(vars(doc).values()) for doc in batch]
    return "batch", [prepare(doc, thinker, import_id) for doc in batch]


def _portable(ex: BaseException) -> BaseException:
    """``ex`` if it survives pickling as itself, else an ImporterError with its message."""
    if isinstance(ex, DeepInsightsError | RecursionError | ValueError | UnicodeError | OSError):
        with suppress(pickle.PickleError, TypeError, AttributeError):  # arguments that do not pickle
            pickle.loads(pickle.dumps(ex))
            return ex
    return ImporterError(f"{type(ex).__name__}: {str(ex)[:200]}")
