"""An import is all-or-nothing, even when the process is killed with SIGKILL at a random moment.

A real ``python -m deepinsights import`` of a synthetic X archive (``tweets.js``) is killed
again and again (every other time while a forked child parses, as for a big archive): a
third of the time after a random delay, otherwise a random few
milliseconds after it starts writing the database (its WAL file grows: commit, checkpoint),
where a broken transaction would show. After every kill the workspace must pass SQLite's and
FTS5's integrity checks, hold exactly the previously committed documents or exactly all of
the new ones (never some), keep its triggers, and accept the next import.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from deepinsights.backends.sqlite import Store

ROOT = Path(__file__).resolve().parent.parent
TWEETS = 4000  # an import of about a second on the CI machine
KILLS = 20


def write_archive(path: Path, batch: int, tweets: int = TWEETS) -> Path:
    """A ``tweets.js`` of ``tweets`` tweets whose ids do not overlap any other batch's (of as many)."""
    items = []
    for i in range(batch * tweets, (batch + 1) * tweets):
        tid = str(1_500_000_000_000_000_000 + i)
        text = f"batch {batch} tweet {i}: attention is all you need, said the paper, again and again"
        tweet = {"id_str": tid, "id": tid, "full_text": text, "created_at": "Mon Jan 01 00:00:00 +0000 2024"}
        items.append({"tweet": {**tweet, "entities": {"urls": []}, "favorite_count": "1", "lang": "en"}})
    path.write_text("window.YTD.tweets.part0 = " + json.dumps(items), encoding="utf-8")
    return path


def start_import(archive: Path, db: Path, *, child: bool = False, nice: int = 0) -> subprocess.Popen[bytes]:
    """Run an import; ``child``: parse in a forked child process, as a big archive would.

    ``nice``: its ``DEEPINSIGHTS_NICE``, in a session of its own (as from another terminal), so
    the test run's session keeps its priority.
    """
    command = [sys.executable, "-m", "deepinsights", "import", str(archive), "--db", str(db), "--json"]
    env = {**os.environ, "DEEPINSIGHTS_PARSE_IN_CHILD_BYTES": "0" if child else "-1", "DEEPINSIGHTS_NICE": str(nice)}
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, start_new_session=bool(nice)
    )


def importers_running(db: Path) -> int:
    """Processes whose command line names ``db``: a parse child left behind by a killed import shows here."""
    running = 0
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            running += str(db).encode() in cmdline.read_bytes()
        except OSError:
            continue
    return running


def niceness(pid: int) -> int:
    """The nice value of process ``pid``."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


def kill_at_random(process: subprocess.Popen[bytes], db: Path, full_run: float, rng: random.Random) -> None:
    """SIGKILL the import after a random delay, or a random moment after it starts writing."""
    if rng.random() < 1 / 3:
        time.sleep(rng.uniform(0.2, 1.1) * full_run)
    else:
        wal = Path(f"{db}-wal")
        deadline = time.monotonic() + 4 * full_run
        while process.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > 0:
                time.sleep(rng.uniform(0, 0.03))
                break
            time.sleep(0.0005)
    process.kill()


def finish(process: subprocess.Popen[bytes]) -> tuple[int, str]:
    """Wait for the import; its exit code and stderr."""
    _, err = process.communicate(timeout=120)
    return process.returncode, err.decode(errors="replace")


def inspect(db: Path) -> tuple[int, int]:
    """(documents, finished imports) after checking the file as a fresh process would open it."""
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        conn.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('integrity-check', 1)")
        documents = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        assert conn.execute("SELECT count(*) FROM passages").fetchone()[0] == documents
        assert conn.execute("SELECT count(*) FROM imports WHERE finished_at IS NULL").fetchone() == (0,)
        finished = conn.execute("SELECT count(*) FROM imports").fetchone()[0]
        return documents, finished
    finally:
        conn.close()


def triggers(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name").fetchall()
    finally:
        conn.close()


@pytest.mark.slow
def test_sigkill_at_random_moments_never_leaves_a_partial_import(tmp_path):
    seed = int(os.environ.get("ATOMIC_SEED", random.randrange(10**6)))
    rng = random.Random(seed)
    db = tmp_path / "insights.db"
    Store(db).close()
    expected_triggers = triggers(db)

    started = time.monotonic()
    first = start_import(write_archive(tmp_path / "batch0.js", 0), db)
    assert finish(first) == (0, "")
    full_run = time.monotonic() - started
    committed, imports = inspect(db)
    assert committed == TWEETS and imports == 1

    batch, outcomes = 1, {"kept old": 0, "all new": 0}
    archive = write_archive(tmp_path / "batch1.js", batch)
    for kill in range(KILLS):
        process = start_import(archive, db, child=kill % 2 == 1)
        kill_at_random(process, db, full_run, rng)
        finish(process)
        deadline = time.monotonic() + 5
        while importers_running(db) and time.monotonic() < deadline:
            time.sleep(0.01)  # an orphaned parse child ends at its next write to the closed pipe
        assert importers_running(db) == 0, "a parse child outlived its killed import"
        documents, finished = inspect(db)
        assert triggers(db) == expected_triggers, f"seed {seed}"
        assert documents in (committed, committed + TWEETS), f"partial import: {documents} documents (seed {seed})"
        assert finished == imports + (documents - committed) // TWEETS
        if documents == committed:
            outcomes["kept old"] += 1
            continue
        outcomes["all new"] += 1
        committed, imports, batch = documents, finished, batch + 1
        archive = write_archive(tmp_path / f"batch{batch}.js", batch)

    last = start_import(archive, db)
    assert finish(last) == (0, "")
    assert inspect(db) == (committed + TWEETS, imports + 1)
    print(f"kills: {outcomes}, seed {seed}")
    assert outcomes["kept old"] > 0, f"no kill landed inside an import: {outcomes} (seed {seed})"


@pytest.mark.slow
def test_kill_stops_an_import_as_an_error_would(tmp_path):
    """`kill PID` (SIGTERM) while an import runs: it rolls back and exits 143 without a traceback, as the shell
    reports a SIGTERM, leaving the workspace as it was and no parse child behind; the same import then completes."""
    db, tweets = tmp_path / "insights.db", 10 * TWEETS  # an import of a few seconds
    assert finish(start_import(write_archive(tmp_path / "batch0.js", 0, tweets), db)) == (0, "")
    archive = write_archive(tmp_path / "batch1.js", 1, tweets)
    for child in (False, True):
        process = start_import(archive, db, child=child, nice=10)
        deadline = time.monotonic() + 30
        while niceness(process.pid) == os.nice(0) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)  # until the command has started (it lowers its priority first)
        time.sleep(0.2)  # then into the import, well before its commit at the end
        process.terminate()
        code, err = finish(process)
        assert (code, err) == (143, ""), f"parse child: {child}"
        deadline = time.monotonic() + 5
        while importers_running(db) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert importers_running(db) == 0, "a parse child outlived its stopped import"
        assert inspect(db) == (tweets, 1)
    assert finish(start_import(archive, db)) == (0, "")
    assert inspect(db) == (2 * tweets, 2)
