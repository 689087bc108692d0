"""Archive searches in a pool of processes, one per core: the interpreter lock lets one process search on one core.

A BM25 search is mostly Python around SQLite's calls, so threads of one process take turns
(one uvicorn worker served ~222 searches a second with one thread or two). Several uvicorn
workers use the cores but split a few long-lived connections unevenly (16 connections fell
11 / 5, 10 / 6 and 16 / 0 in three runs), and the worker with more sets everyone's wait.
So the server process keeps the HTTP work and the result cache, and a search that misses
the cache goes to ``SearchPool``: every pool process holds its own read-only workspace
(``Corpus``, warmed at start) and takes the next search in line, whichever connection it
came from. Search errors (``SearchError``, ``EmbeddingError``, ``StoreError``) come back as
they were raised. A pool process that dies (killed, out of memory) is replaced at once, and
the search it held runs again, in the next process free.

subtle: the pool lives on the server's event loop. A search is handed over with one write
to a pipe, and its answer is read when the pipe becomes readable, which hands that process
the next search in line. Through ``concurrent.futures`` each search passed through four
threads (the request's, a feeder, a result reader, the request's again), and that cost
the server process more CPU than the HTTP itself (bench/README.md, web).

It serves no HTTP (``app`` does) and ranks nothing (``Corpus`` calls the search).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import pickle
import signal
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from .. import config
from ..errors import StoreError
from ..workspace import Db
from .corpus import Corpus, SearchParams

ANSWER, RAISED = b"=", b"!"  # the first byte of a process's reply: the body follows, or a pickled exception


def search_processes() -> int:
    """How many processes search (``DEEPINSIGHTS_SEARCH_PROCESSES``, else one per core this process may use)."""
    return config.SEARCH_PROCESSES.or_cores()


@dataclass(eq=False)
class _Search:
    """One search waiting for, or held by, a pool process."""

    request: bytes  # the pickled SearchParams
    answer: asyncio.Future[bytes]
    deaths: int = 0  # of the processes that held it


@dataclass(eq=False)
class _Searcher:
    """One pool process, the server's end of its pipe and the search it holds."""

    process: BaseProcess
    pipe: Connection
    holding: _Search | None = None


class SearchPool:
    """``processes`` processes that each search the workspace at ``path``, fed from the server's event loop.

    Made (and closed) on the event loop that serves: ``await search(params)`` there, or
    ``search_from_thread(params)`` from a request's thread.
    """

    def __init__(self, path: Db, processes: int, *, candidates: int) -> None:
        self.path = path
        self.candidates = candidates
        self._loop = asyncio.get_running_loop()
        self._line: deque[_Search] = deque()
        self._idle: deque[_Searcher] = deque()
        self._searchers = [self._start() for _ in range(processes)]  # all now: each warms up before the first search
        self._closed = False

    async def search(self, params: SearchParams) -> bytes:
        """The search's JSON body, as ``Corpus.computed`` makes it; raises what the search raised."""
        if self._closed:
            raise StoreError("The server is stopping; search again in a moment.")
        search = _Search(pickle.dumps(params), self._loop.create_future())
        self._line.append(search)
        self._hand_over()
        return await search.answer

    def search_from_thread(self, params: SearchParams) -> bytes:
        """``search`` for a thread that is not the event loop's (a page rendered in a thread)."""
        return asyncio.run_coroutine_threadsafe(self.search(params), self._loop).result()

    def close(self) -> None:
        """Stop the processes (at server shutdown); searches still waiting are cancelled."""
        self._closed = True
        for search in self._line:
            search.answer.cancel()
        self._line.clear()
        for searcher in self._searchers:
            self._loop.remove_reader(searcher.pipe.fileno())
            searcher.pipe.close()  # subtle: the process reads the end of its pipe and exits
        for searcher in self._searchers:
            searcher.process.join(timeout=5)
            if searcher.process.is_alive():
                searcher.process.kill()
                searcher.process.join()
            if searcher.holding is not None:
                searcher.holding.answer.cancel()

    def _start(self) -> _Searcher:
        context = multiprocessing.get_context("spawn")  # subtle: not fork: the server has threads (their locks mid-use)
        ours, theirs = context.Pipe()
        with _ctrl_c_ignored():
            process = context.Process(target=_serve, args=(theirs, str(self.path), self.candidates), daemon=True)
            process.start()
        theirs.close()
        searcher = _Searcher(process, ours)
        self._loop.add_reader(ours.fileno(), self._answered, searcher)
        self._idle.append(searcher)
        return searcher

    def _hand_over(self) -> None:
        """Give the searches in line to the idle processes, in order."""
        while self._line and self._idle:
            search = self._line.popleft()
            if search.answer.done():  # cancelled while it waited (the client went away)
                continue
            searcher = self._idle.popleft()
            try:
                searcher.pipe.send_bytes(search.request)
            except OSError:  # it died since it last answered (not of this search): the search waits for the next
                self._line.appendleft(search)
                self._replace(searcher)
            else:
                searcher.holding = search

    def _answered(self, searcher: _Searcher) -> None:
        """The event loop's callback when ``searcher``'s pipe is readable: its answer, or its end."""
        try:
            reply = searcher.pipe.recv_bytes()
        except (EOFError, OSError):
            self._replace(searcher)
            return
        search, searcher.holding = searcher.holding, None
        self._idle.append(searcher)
        if search is not None and not search.answer.done():
            if reply[:1] == ANSWER:
                search.answer.set_result(reply[1:])
            else:
                search.answer.set_exception(pickle.loads(reply[1:]))
        self._hand_over()

    def _replace(self, dead: _Searcher) -> None:
        """Start a process in place of ``dead``; the search it held goes first in line again.

        subtle: not only once: processes killed together (the out-of-memory killer, a test)
        can hand it to one already dying.
        """
        self._loop.remove_reader(dead.pipe.fileno())
        dead.pipe.close()
        dead.process.join(timeout=1)
        if dead in self._idle:
            self._idle.remove(dead)
        if self._closed:
            return
        search = dead.holding
        if search is not None and not search.answer.done():
            search.deaths += 1
            if search.deaths > len(self._searchers):  # subtle: more than one each: the search itself kills them
                search.answer.set_exception(StoreError(f"{search.deaths} search processes died on this search."))
            else:
                self._line.appendleft(search)
        self._searchers[self._searchers.index(dead)] = self._start()
        self._hand_over()


@contextmanager
def _ctrl_c_ignored() -> Iterator[None]:
    """Processes started in this block ignore Ctrl-C from their first instruction.

    subtle: Ctrl-C signals the terminal's whole process group, search processes included;
    the server stops them itself. A process that is still importing (about a second) when it
    comes would print a KeyboardInterrupt traceback, and an ignored SIGINT is inherited
    through exec, where a Python handler is not. Only the main thread may change a handler:
    elsewhere ``_serve`` ignores it as its first step instead.
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


def _serve(pipe: Connection, path: str, candidates: int) -> None:
    """Open this process's read-only workspace, warm it up, then answer searches until the server closes the pipe."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # subtle: Ctrl-C reaches the whole group; the server stops us
    corpus: Corpus | None = None
    try:
        corpus = Corpus(path, candidates=candidates, cache_size=0)
        corpus.warm_up()
    except Exception as ex:  # noqa: BLE001  # subtle: exiting would be replaced at once, and again: answer with it
        unopened = RAISED + _pickled(ex)
    while True:
        try:
            request = pipe.recv_bytes()
        except (EOFError, OSError):  # the server closed its end (or died): nothing more to do
            break
        if corpus is None:
            pipe.send_bytes(unopened)
            continue
        try:
            reply = ANSWER + corpus.computed(pickle.loads(request))
        except Exception as ex:  # noqa: BLE001  # subtle: the server raises it for the request that asked
            reply = RAISED + _pickled(ex)
        pipe.send_bytes(reply)
    if corpus is not None:
        corpus.close()


def _pickled(ex: Exception) -> bytes:
    try:
        return pickle.dumps(ex)
    except Exception:  # noqa: BLE001  # an exception that cannot travel goes as its message
        return pickle.dumps(StoreError(f"The search failed: {ex}"))
