"""Archive searches in search processes (``web.searchers``), through a real ``insights serve``.

The rest of the suite serves with ``DEEPINSIGHTS_SEARCH_PROCESSES=1`` (conftest: searches in
the server's threads); here the server starts two search processes, as it does by default on
a two-core machine. Their answers must be the bytes the server's own thread would have made,
their errors the same HTTP errors, a killed one must be replaced, and Ctrl-C must stop them
all without a traceback.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import pytest

from deepinsights.errors import EmbeddingError
from deepinsights.models import Document, SearchFilter
from deepinsights.web.app import QUEUED_PER_PROCESS, search_slots
from deepinsights.web.corpus import Corpus, SearchParams

from .webutil import BACKENDS, make_workspace, module_db, write_profile

QUERIES = [
    SearchParams("micrograd"),
    SearchParams("tok"),  # the word being typed: a prefix
    SearchParams("micrograd", SearchFilter(kinds=("tweet",), limit=5)),
    SearchParams("tokenizer", SearchFilter(since="2023-01-01")),
    SearchParams("nothing-matches-this"),
    SearchParams("script alert"),  # hostile text stays inert text on the way through
]


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The fixture corpus's --db value on each backend (a search process opens its own connection to it)."""
    with module_db(request, tmp_path_factory.mktemp("searchers")) as db:
        yield make_workspace(db)


@contextmanager
def served(
    workspace: str, tmp_path: Path, *, sigint: signal.Handlers = signal.SIG_DFL
) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``insights serve`` with two search processes; yields the process and its host:port.

    ``sigint``: how the server starts out treating Ctrl-C: as a command typed in a terminal does
    (the default), or ignoring it, as a job a script puts in the background (``serve &``) does.
    """
    profiles = write_profile(tmp_path / "profiles")
    command = [sys.executable, "-m", "deepinsights", "serve", "ada", "--db", workspace]
    command += ["--profiles", str(profiles), "--port", "0"]
    env = {**os.environ, "DEEPINSIGHTS_SEARCH_PROCESSES": "2", "PYTHONWARNINGS": "error"}
    proc = subprocess.Popen(  # its own process group, as a command typed in a terminal has
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, sigint),  # noqa: PLW1509  # whatever ran pytest set
    )
    try:
        address = (proc.stdout.readline() if proc.stdout else "").strip()
        assert address, proc.stderr.read() if proc.stderr else ""
        yield proc, address.split("/")[2]
    finally:
        if proc.poll() is None:
            proc.terminate()
        proc.wait(timeout=30)
        for pipe in (proc.stdout, proc.stderr):
            if pipe:
                pipe.close()


def get(host: str, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(host, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def url(params: SearchParams) -> str:
    f = params.filters
    fields = {"q": params.q, "limit": f.limit, "kind": ",".join(f.kinds), "since": f.since or "", "mode": params.mode}
    return "/api/search?" + urlencode({k: v for k, v in fields.items() if v})


def search_processes(server: subprocess.Popen[str]) -> list[int]:
    """The server's children that run searches (not multiprocessing's resource tracker)."""
    out = subprocess.run(["ps", "-o", "pid=,args=", "--ppid", str(server.pid)], capture_output=True, text=True).stdout
    return [int(line.split()[0]) for line in out.splitlines() if "multiprocessing.spawn" in line]


def both_started(server: subprocess.Popen[str]) -> list[int]:
    """The two search processes' pids once both exist, else nothing (one ``ps`` per look)."""
    found = search_processes(server)
    return found if len(found) == 2 else []


def wait_for(check, timeout: float = 30.0):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.1)
    return check()


def alive(pid: int) -> bool:
    """Whether ``pid`` still runs (an exited process its new parent has not reaped yet does not)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_search_processes_answer_with_the_bytes_the_server_would_have_made(workspace, tmp_path):
    here = Corpus(workspace, cache_size=0)
    try:
        expected = {url(p): here.computed(p) for p in QUERIES}
        with pytest.raises(EmbeddingError) as refused:  # no vectors (or no pgvector): the same refusal served
            here.computed(SearchParams("micrograd", mode="semantic"))
    finally:
        here.close()
    with served(workspace, tmp_path) as (server, host):
        for path, body in expected.items():
            assert get(host, path) == (200, body), path
        assert len(wait_for(lambda: both_started(server))) == 2
        micrograd = json.loads(expected[url(QUERIES[0])])
        assert micrograd["matched"] >= 3 and micrograd["hits"][0]["snippet"]
        status, error = get(host, "/api/search?q=micrograd&mode=semantic")  # no vectors: refused, as in process
        assert status == 409 and json.loads(error)["error"] == str(refused.value)


def test_searches_at_once_each_get_their_own_answer(workspace, tmp_path):
    """Searches that miss the cache at once are spread over the search processes: each gets its own answer."""
    variants = [replace(p, filters=replace(p.filters, limit=limit)) for p in QUERIES for limit in range(1, 9)]
    here = Corpus(workspace, cache_size=0)
    try:
        expected = {url(p): here.computed(p) for p in variants}  # each a search of its own (the cache misses)
    finally:
        here.close()
    paths = list(expected)
    with served(workspace, tmp_path) as (_, host), ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda path: get(host, path), paths))
    assert answers == [(200, expected[path]) for path in paths]


def test_a_killed_search_process_is_replaced_at_once_and_the_other_keeps_searching(workspace, tmp_path):
    with served(workspace, tmp_path) as (server, host):
        killed, kept = wait_for(lambda: both_started(server))
        os.kill(killed, signal.SIGKILL)
        replaced = wait_for(lambda: (found := both_started(server)) and killed not in found and found)
        assert kept in replaced and killed not in replaced, (killed, kept, replaced)
        for params in QUERIES:
            status, _ = get(host, url(params))
            assert status == 200, url(params)


def test_the_search_a_killed_process_held_is_answered_by_its_replacement(workspace, tmp_path):
    here = Corpus(workspace, cache_size=0)
    try:
        expected = here.computed(QUERIES[0])
    finally:
        here.close()
    with served(workspace, tmp_path) as (server, host), ThreadPoolExecutor(1) as client:
        assert get(host, url(QUERIES[1]))[0] == 200
        first = wait_for(lambda: both_started(server))
        for pid in first:  # both stopped: the next search is handed to one and waits there
            os.kill(pid, signal.SIGSTOP)
        answer = client.submit(get, host, url(QUERIES[0]))
        time.sleep(0.5)
        for pid in first:
            os.kill(pid, signal.SIGKILL)
        assert answer.result(timeout=60) == (200, expected)
        replaced = wait_for(lambda: both_started(server))
        assert len(replaced) == 2 and not set(replaced) & set(first)


def test_a_commit_makes_cached_answers_stale_and_pages_search_too(tmp_path):
    """On SQLite the server checks its cache on the event loop: a commit by another process still shows at once."""
    workspace = make_workspace(str(tmp_path / "insights.db"))
    params = SearchParams("zanzibarian")
    with served(workspace, tmp_path) as (_, host):
        status, body = get(host, url(params))
        assert status == 200 and json.loads(body)["matched"] == 0
        assert get(host, url(params)) == (200, body)  # now from the cache
        late = Document(source="late", source_id="1", kind="post", title="Late", text="A zanzibarian aside.")
        make_workspace(workspace, docs=[late])  # as an import from another terminal commits
        status, body = get(host, url(params))
        assert status == 200 and json.loads(body)["matched"] == 1
        status, page = get(host, "/profile/ada?q=zanzibarian")  # the page without JavaScript searches in a thread
        assert status == 200 and b"zanzibarian</mark> aside" in page, page.decode()[-3000:]


@pytest.mark.parametrize("sigint", [signal.SIG_DFL, signal.SIG_IGN], ids=["typed", "in-background"])
def test_ctrl_c_stops_the_server_and_its_search_processes_without_a_traceback(workspace, tmp_path, sigint):
    with served(workspace, tmp_path, sigint=sigint) as (server, host):
        assert get(host, url(QUERIES[0]))[0] == 200
        children = wait_for(lambda: both_started(server))
        os.killpg(server.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole process group
        code = server.wait(timeout=30)
        stderr = server.stderr.read() if server.stderr else ""
    assert code == 0, f"stopping with Ctrl-C is how a server ends, not a failure: {code}\n{stderr}"
    assert wait_for(lambda: not any(alive(pid) for pid in children)), [pid for pid in children if alive(pid)]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr and "Aborted" not in stderr, stderr
    assert stderr.rstrip().endswith("Stopped."), stderr


def test_searches_handed_over_at_once_keep_each_search_process_busy(monkeypatch):
    monkeypatch.delenv("DEEPINSIGHTS_SEARCH_SLOTS", raising=False)
    assert search_slots(2) == 2 * QUEUED_PER_PROCESS
    monkeypatch.setenv("DEEPINSIGHTS_SEARCH_SLOTS", "3")
    assert search_slots(2) == 3 and search_slots(1) == 3
