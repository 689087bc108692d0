"""Archive searches in a pool of processes, one per core: the interpreter lock lets one process search on one core.

A BM25 search is mostly Python around SQLite's calls, so threads of one process take turns
(one uvicorn worker served ~222 searches a second with one thread or two). Several uvicorn
workers use the cores but split a few long-lived connections unevenly (16 connections fell
11 / 5, 10 / 6 and 16 / 0 in three runs), and the worker with more sets everyone's wait.
So the server process keeps the HTTP work and the result cache, and a search that misses
the cache goes to ``SearchPool``: every pool process holds its own read-only workspace
(``Corpus``, warmed at start) and takes the next search in line, whichever connection it
came from. Search errors (``SearchError``, ``EmbeddingError``, ``StoreError``) come back as
they were raised. A pool process that dies (killed, out of memory) is replaced, and the
search it held runs once more in the new pool.

It serves no HTTP (``app`` does) and ranks nothing (``Corpus`` calls the search).
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager

from .. import config
from ..workspace import Db
from .corpus import Corpus, SearchParams


def search_processes() -> int:
    """How many processes search (``DEEPINSIGHTS_SEARCH_PROCESSES``, else one per core this process may use)."""
    return config.SEARCH_PROCESSES.or_cores()


class SearchPool:
    """``processes`` processes that each search the workspace at ``path`` (``search`` blocks until one has)."""

    def __init__(self, path: Db, processes: int, *, candidates: int) -> None:
        self.path = path
        self.processes = processes
        self.candidates = candidates
        self._lock = threading.Lock()
        self._executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        with _ctrl_c_ignored():  # multiprocessing's resource tracker starts here too
            # subtle: "spawn", not fork: the server has threads (a fork copies their locks mid-use)
            executor = ProcessPoolExecutor(
                self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_open,
                initargs=(str(self.path), self.candidates),
            )
            for _ in range(self.processes):  # start them all now, so the first searches do not wait for a start
                executor.submit(_ready)
        return executor

    def search(self, params: SearchParams) -> bytes:
        """The search's JSON body, as ``Corpus.computed`` makes it; raises what the search raised."""
        executor = self._executor
        try:
            return executor.submit(_search, params).result()
        except BrokenProcessPool:
            with self._lock:
                if self._executor is executor:  # subtle: the first thread to see it breaks replaces it
                    self._executor = self._start()
                    executor.shutdown(wait=False, cancel_futures=True)
            return self._executor.submit(_search, params).result()

    def close(self) -> None:
        """Stop the processes (at server shutdown); searches still waiting are cancelled."""
        self._executor.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Processes started in this block ignore Ctrl-C from their first instruction.

    subtle: Ctrl-C signals the terminal's whole process group, search processes included;
    the server stops them itself. A process that is still importing (about a second) when it
    comes would print a KeyboardInterrupt traceback, and an ignored SIGINT is inherited
    through exec, where a Python handler is not. Only the main thread may change a handler:
    a pool restarted from a request's thread relies on ``_open`` instead.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.SIG_DFL)


# -- in each pool process --------------------------------------------------------------------

_corpus: Corpus | None = None


def _open(path: str, candidates: int) -> None:
    """Open this process's read-only workspace and load what its first search needs."""
    global _corpus
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # subtle: Ctrl-C reaches the whole group; the server stops us
    _corpus = Corpus(path, candidates=candidates, cache_size=0)
    _corpus.warm_up()


def _ready() -> None:
    """Nothing: submitted once per process at start, so each starts (and warms up) before the first search."""


def _search(params: SearchParams) -> bytes:
    assert _corpus is not None, "the pool's initializer opens the corpus"
    return _corpus.computed(params)
