"""Parse a large file in a forked child process while this process writes what it parsed.

An import is two halves of about equal cost: parsing the source (Python) and writing rows
and the full-text index (SQLite). In one process they add up; threads do not help, because
both halves want the GIL (measured: slower than one thread). ``prepared_batches`` forks a
child that runs the importer and ``store.prepare``s each Document into plain row tuples,
and sends them back a batch at a time through a pipe, so the child parses batch n+1 while
the parent writes batch n. The pipe's buffer is the backpressure: memory holds a few
batches, never the file.

The child never touches the database: it only reads the source and pickles tuples, and it
leaves through ``os._exit`` (multiprocessing's fork start) so the parent's SQLite handle is
not closed behind its back. Whatever the importer reports through ``options.skip`` is
replayed in the parent in order; an exception it raises is re-raised in the parent (a
``DeepInsightsError`` unchanged, anything else wrapped in ``ImporterError``); a child that
dies is reported. If the parent is interrupted or killed, the child is killed with it (it
is a daemon, and a write to a closed pipe ends it).

It does not decide what is written (the store does) and is used only where ``fork`` exists
and the file is big enough for the saving to outweigh starting a process.
"""

from __future__ import annotations

import multiprocessing
import pickle
import signal
from collections.abc import Iterator
from contextlib import closing, suppress
from multiprocessing.connection import Connection
from pathlib import Path

from . import config
from .errors import DeepInsightsError, ImporterError
from .importers import Importer, ImportOptions
from .store import BATCH, Prepared, prepare


def worth_forking(path: Path) -> bool:
    """True when ``path`` is a file of at least ``INSIGHTS_PARSE_IN_CHILD_BYTES``, on a platform that can fork.

    Below about 8 MB parsing in one process is quicker than starting a second one.
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


def prepared_batches(
    importer: Importer, path: Path, options: ImportOptions, import_id: int | None
) -> Iterator[list[Prepared]]:
    """Yield ``importer.read(path, options)`` as batches of ``store.prepare``d documents, parsed in a child."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(importer, path, options, import_id, receive, send), daemon=True)
    child.start()
    send.close()
    try:
        yield from _receive(receive, options, path)
    finally:
        receive.close()
        if child.is_alive():
            child.kill()
        child.join()


def _receive(receive: Connection, options: ImportOptions, path: Path) -> Iterator[list[Prepared]]:
    while True:
        try:
            kind, payload = receive.recv()
        except EOFError:
            raise ImporterError(f"'{path}': the process reading it stopped unexpectedly") from None
        if kind == "batch":
            yield payload
        elif kind == "skip":
            options.skip(payload.path, payload.reason, expected=payload.expected)
        elif kind == "error":
            raise payload
        else:
            return


def _child(
    importer: Importer, path: Path, options: ImportOptions, import_id: int | None, receive: Connection, send: Connection
) -> None:
    # subtle: the fork copied the pipe's reading end too; while it is open here, a write after
    # the parent died would block forever instead of failing, and the child would outlive it.
    receive.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it kills this process
    options.skipped = []
    options.on_skip = lambda item: send.send(("skip", item))
    with suppress(BrokenPipeError), closing(send):  # a closed pipe: the parent is gone, so is the import
        try:
            _send_batches(importer, path, options, import_id, send)
        except BrokenPipeError:
            raise
        except BaseException as ex:  # noqa: BLE001 - every failure goes back to the parent, which raises it
            send.send(("error", _portable(ex)))


def _send_batches(
    importer: Importer, path: Path, options: ImportOptions, import_id: int | None, send: Connection
) -> None:
    batch: list[Prepared] = []
    for doc in importer.read(path, options):
        batch.append(prepare(doc, options.thinker, import_id))
        if len(batch) >= BATCH:
            send.send(("batch", batch))
            batch = []
    if batch:
        send.send(("batch", batch))
    send.send(("done", None))


def _portable(ex: BaseException) -> BaseException:
    """``ex`` if it survives pickling as itself, else an ImporterError with its message."""
    if isinstance(ex, DeepInsightsError | RecursionError | ValueError | UnicodeError | OSError):
        with suppress(pickle.PickleError, TypeError, AttributeError):  # arguments that do not pickle
            pickle.loads(pickle.dumps(ex))
            return ex
    return ImporterError(f"{type(ex).__name__}: {str(ex)[:200]}")
