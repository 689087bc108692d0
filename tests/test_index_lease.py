"""Single-flight, incremental indexing: one process embeds at a time, an import embeds only its own passages.

The other processes here are real ones (``python -m deepinsights index``, or a small script
that takes the lease), and a holder dies by a real SIGKILL. Each test runs on SQLite and on
PostgreSQL with pgvector (``db`` from tests/test_semantic_search.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.cli.priority import autogroup_nice
from deepinsights.models import Document
from deepinsights.semantic import lease
from deepinsights.semantic.index import index_passages, pending_passages
from deepinsights.workspace import open_store

from . import test_semantic_search as semantic
from .test_semantic_search import add

db = semantic.db  # fixtures: a PostgreSQL workspace with pgvector, the default embedding model
embedder = semantic.embedder

HOLD = """
import sys, time
from deepinsights.workspace import open_store
from deepinsights.semantic import lease
store = open_store(sys.argv[1])
held = lease.acquire(store, sys.argv[2])
print("held" if held else "busy", flush=True)
time.sleep(120)
"""


def doc(i: int, text: str | None = None) -> Document:
    return Document(
        source="test",
        source_id=f"n{i}",
        kind="note",
        text=text or f"Note {i}: the {['river', 'kernel', 'garden', 'violin'][i % 4]} changed on day {i}.",
        thinker="t",
        title=None,
        published_at=datetime(2021, 1, 1 + i % 28, tzinfo=UTC),
    )


def vectors(store) -> int:
    return int(store.rows("SELECT count(*) AS n FROM passage_vectors")[0]["n"])


def holder_process(db: str, scope: str = "all") -> subprocess.Popen[str]:
    """A real second process holding the lease (it sleeps, never releasing, until killed)."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, db, scope], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    return child


def kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    if child.stdout is not None:
        child.stdout.close()


def insights(*args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "deepinsights", *args], text=True, **kwargs)


def test_a_second_process_cannot_take_a_held_lease_and_takes_it_at_once_after_kill_9(store, db):
    child = holder_process(db)
    try:
        found = lease.holder(store)
        assert found is not None and found.pid == child.pid and found.scope == "all"
        assert lease.acquire(store) is None
    finally:
        kill(child)
    assert lease.holder(store) is None, "a holder killed with -9 is seen to be gone (pid and start time)"
    taken = lease.acquire(store)
    assert taken is not None and lease.holder(store).pid == os.getpid()
    taken.release()
    assert lease.holder(store) is None


def test_a_reused_pid_is_not_taken_for_the_holder(store):
    held = lease.acquire(store)
    assert held is not None
    with store.transaction():  # as if this pid had belonged to an earlier process that died
        store.execute("UPDATE index_lease SET pid_started = 'earlier'")
    assert lease.holder(store) is None
    assert lease.acquire(store) is not None


def test_a_holder_on_another_machine_ages_out_by_its_heartbeat(store):
    assert lease.acquire(store) is not None
    with store.transaction():
        store.execute("UPDATE index_lease SET host = 'elsewhere', heartbeat_at = ?", (time.time() - 30,))
    assert lease.holder(store) is not None, "a fresh heartbeat from elsewhere is alive"
    with store.transaction():
        store.execute("UPDATE index_lease SET heartbeat_at = ?", (time.time() - lease.STALE_S - 1,))
    assert lease.holder(store) is None


def test_index_waits_for_a_holder_and_embeds_everything_after_it_is_killed(store, db, embedder, tmp_path):
    add(store, *(doc(i) for i in range(40)))
    child = holder_process(db)
    log = tmp_path / "index.err"
    with log.open("w") as sink:
        waiter = insights("index", "--db", db, stdout=subprocess.PIPE, stderr=sink)
        try:
            _wait_for(lambda: "Waiting for process" in log.read_text())
            assert f"process {child.pid} " in log.read_text() and vectors(store) == 0
        finally:
            kill(child)
        out, _ = waiter.communicate(timeout=300)
    assert waiter.returncode == 0, log.read_text()
    assert out.startswith("40 embedded") and vectors(store) == 40


def test_two_index_processes_never_embed_the_same_passage(store, db, embedder):
    add(store, *(doc(i) for i in range(300)))
    runs = [insights("index", "--db", db, "--json", stdout=subprocess.PIPE) for _ in range(2)]
    reports = [json.loads(run.communicate(timeout=600)[0]) for run in runs]
    assert all(run.returncode == 0 for run in runs)
    assert sum(r["embedded"] + r["reused"] for r in reports) == 300
    assert vectors(store) == 300


def test_passages_imported_while_index_runs_are_embedded_before_it_ends(store, db, embedder):
    add(store, *(doc(i) for i in range(3)))
    late = [doc(100 + i) for i in range(2)]

    def import_meanwhile(done, total):
        if late:
            other = open_store(db)  # another connection, as another process's import would be
            add(other, late.pop(), late.pop())
            other.close()

    report = index_passages(store, embedder, progress=import_meanwhile)
    assert report.embedded == 5 and report.unchanged == 0 and vectors(store) == 5 and pending_passages(store) == 0


def test_an_import_embeds_only_its_own_passages_and_counts_the_rest(store, db, embedder, run, tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPINSIGHTS_PROGRESS_EVERY", "0")  # every step's lines, as in a log
    add(store, doc(0))
    index_passages(store, embedder)
    add(store, *(doc(i) for i in range(1, 6)))  # a backlog: imported, never indexed
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "one.md").write_text("# Tides\n\nThe moon pulls the sea twice a day.\n")
    result = run("import", str(notes), "--thinker", "t", "--db", db)
    assert "Vectors: 1 new passages embedded" in result.output
    assert "5 passages have no vector yet" in result.output and "insights index" in result.output
    assert vectors(store) == 2 and pending_passages(store) == 5
    assert "embedding new passages: 1 of 1 passages (100%)" in result.stderr
    if isinstance(store, Store):  # the usearch file takes the new vector; PostgreSQL builds in one statement
        assert "building the vector index: 1 of 1 vectors (100%)" in result.stderr


def test_an_import_leaves_its_passages_to_a_running_index(store, db, embedder, run, tmp_path):
    add(store, doc(0))
    index_passages(store, embedder)
    child = holder_process(db)
    try:
        notes = tmp_path / "notes"
        notes.mkdir()
        (notes / "one.md").write_text("# Tides\n\nThe moon pulls the sea twice a day.\n")
        result = run("import", str(notes), "--thinker", "t", "--db", db, "--json")
    finally:
        kill(child)
    data = json.loads(result.output)
    assert data["vectors"]["busy"]["pid"] == child.pid and data["vectors"]["embedded"] == 0
    assert vectors(store) == 1 and pending_passages(store) == 1


@pytest.mark.sqlite_only(reason="the log beside a SQLite file; the PostgreSQL run is the same process")
def test_index_background_returns_at_once_and_logs_progress(store, db, embedder, run, monkeypatch):
    add(store, *(doc(i) for i in range(20)))
    monkeypatch.setenv("DEEPINSIGHTS_PROGRESS_EVERY", "0")
    result = run("index", "--db", db, "--background", "--json")
    started = json.loads(result.output)
    _wait_for(lambda: not Path(f"/proc/{started['pid']}").exists() or _zombie(started["pid"]), timeout=300)
    os.waitpid(started["pid"], 0)
    text = Path(started["log"]).read_text()
    assert "embedding: 20 of 20 passages (100%)" in text and "20 embedded" in text
    assert "building the vector index: 20 of 20 vectors (100%)" in text  # one window each
    assert text.index("embedding: 20 of 20") < text.index("building the vector index")
    assert vectors(store) == 20


def _zombie(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat[stat.rindex(")") + 2] == "Z"


def _wait_for(condition, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


NICENESS_AFTER = """
import os, sys
from click.testing import CliRunner
from deepinsights.cli import cli
from deepinsights.cli.priority import autogroup_nice
before, group_before = os.nice(0), autogroup_nice()
result = CliRunner().invoke(cli, sys.argv[1:])
print(result.exit_code, os.nice(0) - before, autogroup_nice() - group_before)
print(result.output)
"""


def _niceness_after(tmp_path: Path, args: list[str], nice: str) -> tuple[int, int, int, str]:
    """(exit code, how far the command lowered its process's priority, and its session group's, its output)
    in a fresh process.

    A process already near the lowest priority (19) can only be lowered to it: the expected
    figures here are for a test run at normal priority, which ``below`` corrects for. Where
    the kernel groups processes by session, the command's session group is lowered as far
    (the process runs in a session of its own, so this test run's group is not touched); else
    the group's figure is 0.
    """
    env = {**os.environ, "DEEPINSIGHTS_NICE": nice}
    done = subprocess.run(
        [sys.executable, "-c", NICENESS_AFTER, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        start_new_session=True,
    )
    first, _, output = done.stdout.partition("\n")
    code, lowered, group_lowered = (int(n) for n in first.split())
    return code, lowered, group_lowered, output


def autogroups() -> bool:
    """Whether the kernel groups processes by session (Linux autogroups)."""
    enabled = Path("/proc/sys/kernel/sched_autogroup_enabled")
    return enabled.exists() and enabled.read_text().strip() == "1" and Path("/proc/self/autogroup").exists()


def below(n: int) -> int:
    """How far a process of this test run's priority can be lowered by ``n``."""
    return min(n, 19 - os.nice(0))


def test_import_and_index_give_way_to_a_server_on_the_same_machine(tmp_path):
    """Both lower their own CPU priority (a server keeps answering during them), and where the kernel groups
    processes by session their session's too (a server in another terminal); 0 keeps it; nonsense is refused."""
    (tmp_path / "note.md").write_text("# A note\n\nSourdough wants a week of feeding.\n")
    db = str(tmp_path / "w.db")
    grouped = autogroups()
    imported = _niceness_after(tmp_path, ["import", str(tmp_path / "note.md"), "--db", db, "--thinker", "t"], "7")
    assert imported[:3] == (0, below(7), 7 if grouped else 0)
    assert _niceness_after(tmp_path, ["index", "--db", db, "--json"], "10")[:3] == (0, below(10), 10 if grouped else 0)
    assert _niceness_after(tmp_path, ["index", "--db", db, "--json"], "0")[:3] == (0, 0, 0)
    code, lowered, group_lowered, output = _niceness_after(tmp_path, ["index", "--db", db], "fast")
    assert (code, lowered, group_lowered) == (2, 0, 0)
    assert "DEEPINSIGHTS_NICE must be a whole number from 0 to 19 (got 'fast')" in output
    assert _niceness_after(tmp_path, ["search", "sourdough", "--db", db], "10")[:3] == (0, 0, 0)  # readers keep theirs


SESSION_GROUP = """
import subprocess, sys
from deepinsights.cli.priority import autogroup_nice, lower_session_group
sleeper = subprocess.Popen(["sleep", "60"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # outlives it
if sys.argv[1] != "-":
    open("/proc/self/autogroup", "w").write(sys.argv[1])  # the group's value before
print(sleeper.pid, lower_session_group(10), autogroup_nice(), autogroup_nice(sleeper.pid), flush=True)
if sys.argv[2] == "crash":
    raise SystemExit("a failed import")
if sys.argv[2] == "term":
    import time
    time.sleep(60)  # until the test sends SIGTERM, as `kill PID` does
"""


@pytest.mark.skipif(not autogroups(), reason="the kernel does not group processes by session here (no autogroups)")
@pytest.mark.parametrize(
    ("before", "ending", "during", "after"),
    [
        ("-", "exit", 10, 0),
        ("-", "crash", 10, 0),
        ("-", "term", 10, 0),
        ("3", "exit", 10, 3),
        ("15", "exit", 15, 15),
    ],
)
def test_the_session_group_is_lowered_while_the_process_runs_and_given_back(before, ending, during, after):
    """An import from another terminal than the server's gives way to it: its whole session's group is lowered,
    for the import's life only (the shell it ran from gets its share back, also after `kill`); a group already
    lower is left."""
    process = subprocess.Popen(
        [sys.executable, "-c", SESSION_GROUP, before, ending],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # subtle: a session of its own, so this test run's group is not touched
    )
    assert process.stdout is not None
    pid, lowered, own, sleepers = process.stdout.readline().split()
    if ending == "term":
        process.terminate()  # SIGTERM
    process.communicate(timeout=60)
    try:
        assert process.returncode == {"exit": 0, "crash": 1, "term": 128 + signal.SIGTERM}[ending]
        assert (lowered, int(own), int(sleepers)) == (str(during != int(before.strip("-") or 0)), during, during)
        assert autogroup_nice(pid) == after  # the process is gone; the session and its group live on
    finally:
        os.kill(int(pid), signal.SIGKILL)
