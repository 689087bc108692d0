"""Files that are not (or no longer) workspaces to trust (issue 19 items 5, 6 and 7), on real SQLite files.

5. Another application's database is refused by every command with one line naming it, and
   left byte for byte as it was (no journal mode change, no migrations table, no ``-wal``).
   Reading commands never write, not even to migrate a workspace of ours.
6. A workspace whose schema holds a trigger, view, table or index the migrations did not
   create is not written to (its SQL would run on our writes) until ``--trust-schema``.
7. A workspace with 8 KB of damaged pages gives one line naming the file and the recovery
   path, on the command line and from the web server; import and index refuse to write to it.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import sqlite3
from pathlib import Path

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.backends.sqlite.migrations import created_schema, known
from deepinsights.backends.sqlite.trust import unexpected_objects
from deepinsights.web.app import create_app

from ..conftest import FIXTURES
from ..test_migrations import older_workspace
from ..webutil import serving, write_profile

READING = [
    ["search", "engine"],
    ["stats"],
    ["imports"],
    ["similar", "0123456789abcdef"],
    ["verify", "ada"],
    ["prompt", "ada"],
    ["ask", "ada", "What is an engine?", "-m", "scripted-test"],
    ["export-site", "site-out", "ada"],
]
WRITING = [["import", str(FIXTURES / "blog")], ["index"], ["db", "migrate"], ["distill", "ada", "--no-llm"]]


def fingerprint(path: Path) -> tuple[str, list[str]]:
    """The file's SHA-256 and the files named after it beside it (``-wal``, ``-shm``, ``-journal``)."""
    beside = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))
    return hashlib.sha256(path.read_bytes()).hexdigest(), beside


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.fixture
def profiles(tmp_path, monkeypatch, scripted):
    """The profiles folder (the current folder holds it), and the scripted model ``ask`` answers with."""
    scripted.replies.append("An engine weaves patterns [1].")
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "profiles")
    yield tmp_path / "profiles"
    scripted.replies.clear()  # subtle: the model is shared by the session; leave it as found
    scripted.prompts.clear()


# -- 5. another application's database --------------------------------------------------------


def other_app_db(path: Path, sql: str) -> Path:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.commit()
    conn.close()
    return path


UNRELATED = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT); INSERT INTO users VALUES (1, 'a@b.c');"
DOCUMENTS = "CREATE TABLE documents (id INTEGER PRIMARY KEY, body TEXT); INSERT INTO documents VALUES (1, 'mine');"


@pytest.mark.parametrize("sql", [UNRELATED, DOCUMENTS], ids=["unrelated-tables", "a-documents-table"])
@pytest.mark.parametrize("command", READING + WRITING, ids=lambda c: "-".join(c[:2]))
def test_another_applications_database_is_refused_and_left_unchanged(tmp_path, run, profiles, sql, command):
    path = other_app_db(tmp_path / "app.db", sql)
    before = fingerprint(path)
    result = run(*command, "--db", path)
    one_line_error(result, str(path), "is not a deep-insights workspace")
    assert fingerprint(path) == before
    conn = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    conn.close()


def test_the_web_server_refuses_another_applications_database_untouched(tmp_path, profiles):
    path = other_app_db(tmp_path / "app.db", DOCUMENTS)
    before = fingerprint(path)
    with serving(create_app(path, profiles)) as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
        for url in ("/api/stats", "/api/search?q=mine"):
            conn.request("GET", url)
            response = conn.getresponse()
            body = json.loads(response.read())
            error = body["error"] if response.status == 503 else body["corpus"]["error"]  # stats: no corpus, why
            assert response.status in (200, 503) and "is not a deep-insights workspace" in error
        conn.close()
    assert fingerprint(path) == before


def test_a_wal_database_of_another_application_is_refused_too(tmp_path, run):
    path = other_app_db(tmp_path / "wal.db", "PRAGMA journal_mode = WAL; " + UNRELATED)
    before = fingerprint(path)
    one_line_error(run("import", FIXTURES / "blog", "--db", path), "another application's tables (users)")
    assert fingerprint(path) == before


def test_an_empty_file_becomes_a_workspace(tmp_path, run):
    path = tmp_path / "new.db"
    path.touch()
    assert run("import", FIXTURES / "blog", "--db", path).exit_code == 0
    assert "4 items" in run("stats", "--db", path).output or Store(path, read_only=True).document_count() > 0


@pytest.mark.parametrize("command", READING, ids=lambda c: "-".join(c[:2]))
def test_reading_commands_never_write_a_workspace(tmp_path, run, profiles, command):
    path = tmp_path / "insights.db"
    assert run("import", FIXTURES / "blog", "--thinker", "ada", "--db", path).exit_code == 0
    before = fingerprint(path)
    run(*command, "--db", path)
    assert fingerprint(path) == before  # the same bytes, and no -wal or -shm left beside it


def test_reading_an_older_workspace_does_not_migrate_it(tmp_path, run):
    path = tmp_path / "older.db"
    older_workspace(path, "m006_fts_hashsize").close()
    before = fingerprint(path)
    result = run("search", "analytical", "--db", path, "--json")
    assert result.exit_code == 0 and '"d1"' in result.output
    assert fingerprint(path) == before


def test_not_a_database_at_all_is_refused_unchanged(tmp_path, run):
    path = tmp_path / "notes.db"
    path.write_text("my notes\n" * 500)
    before = fingerprint(path)
    one_line_error(run("stats", "--db", path), str(path), "not a valid SQLite database")
    assert fingerprint(path) == before


# -- 6. schema objects deep-insights did not create -----------------------------------------

PLANTED = {
    "trigger-on-documents": "CREATE TRIGGER steal AFTER INSERT ON documents BEGIN "
    "UPDATE documents SET thinker = 'mallory', text = 'planted' WHERE id = new.id; END",
    "trigger-on-passages": "CREATE TRIGGER plant AFTER INSERT ON passages BEGIN "
    "UPDATE passages SET text = 'planted' WHERE id = new.id; END",
    "trigger-on-imports": "CREATE TRIGGER mark BEFORE INSERT ON imports BEGIN SELECT 1; END",
    "changed-fts-trigger": "DROP TRIGGER passages_ai; CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN "
    "INSERT INTO passages_fts (rowid, title, text) VALUES (new.id, new.title, 'planted'); END",
    "view": "CREATE VIEW everything AS SELECT * FROM documents",
    "table": "CREATE TABLE notes (x)",
    "index": "CREATE INDEX by_title ON documents (title)",
}


@pytest.fixture
def workspace(tmp_path, run) -> Path:
    path = tmp_path / "insights.db"
    assert run("import", FIXTURES / "blog", "--thinker", "ada", "--db", path).exit_code == 0
    return path


def plant(path: Path, sql: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(sql)
    conn.close()


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_schema_object_never_runs_on_import(workspace, tmp_path, run, name):
    plant(workspace, PLANTED[name])
    before = fingerprint(workspace)
    result = run("import", FIXTURES / "x_archive", "--thinker", "ada", "--db", workspace)
    one_line_error(result, str(workspace), "did not create", "--trust-schema")
    assert fingerprint(workspace) == before  # nothing written, not even the journal mode


def test_the_listing_names_each_object_and_trust_schema_writes(workspace, run):
    plant(workspace, PLANTED["trigger-on-documents"] + ";" + PLANTED["view"])
    result = run("import", FIXTURES / "x_archive", "--thinker", "ada", "--db", workspace)
    assert "trigger steal on documents; view everything." in result.output
    trusted = run("import", FIXTURES / "x_archive", "--thinker", "ada", "--db", workspace, "--trust-schema")
    assert trusted.exit_code == 0  # the user's call: their trigger ran
    store = Store(workspace, read_only=True)
    assert "mallory" in store.thinkers()
    store.close()


def test_every_writing_command_refuses_a_planted_trigger(workspace, run, profiles):
    plant(workspace, PLANTED["trigger-on-passages"])
    for command in WRITING:
        one_line_error(run(*command, "--db", workspace), "trigger plant on passages", "--trust-schema")


def test_reading_commands_read_a_workspace_with_planted_objects(workspace, run):
    plant(workspace, PLANTED["trigger-on-documents"])
    assert run("search", "gradient", "--db", workspace).exit_code == 0  # a read fires no trigger


def test_what_the_tool_makes_itself_is_expected(workspace, run):
    """The expected schema is measured from the migrations: FTS5's shadow tables, ANALYZE's, vectors' all pass."""
    conn = sqlite3.connect(workspace)
    conn.execute("ANALYZE")
    applied = [row[0] for row in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY rowid")]
    assert applied == known()
    assert unexpected_objects(conn, applied) == []
    names = {name for _, name in created_schema(tuple(applied))}
    assert {"passages_fts_data", "passages_fts_idx", "passage_vectors", "passages_ai"} <= names
    conn.close()
    assert run("import", FIXTURES / "x_archive", "--db", workspace).exit_code == 0


# -- 7. a damaged workspace ------------------------------------------------------------------


def damage(path: Path, table: str = "documents") -> None:
    """Overwrite 8 KB of the page of ``table`` nearest the middle of the file with junk."""
    conn = sqlite3.connect(path)
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    pages = [row[0] for row in conn.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", [table])]
    conn.close()
    middle = path.stat().st_size // page_size // 2
    page = min(pages, key=lambda n: abs(n - middle))
    with path.open("r+b") as f:
        f.seek((page - 1) * page_size)
        f.write(bytes((i * 37 + 11) % 256 for i in range(8192)))


@pytest.fixture
def damaged(tmp_path, run) -> Path:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(300):
        words = " ".join(f"word{(n * 7 + i) % 997} engine" for i in range(120))
        (corpus / f"note{n:03}.md").write_text(f"# Note {n}\n\n{words}\n")
    path = tmp_path / "insights.db"
    assert run("import", corpus, "--thinker", "ada", "--db", path).exit_code == 0
    damage(path)
    return path


def test_a_damaged_workspace_is_one_line_with_the_recovery_path_on_every_command(damaged, run, profiles):
    for command in [["stats"], ["import", FIXTURES / "blog"], ["index"], ["db", "migrate"]]:
        one_line_error(run(*command, "--db", damaged), str(damaged), "is damaged", ".recover")
    for command in READING:  # a read that never meets the damaged page answers; one that does says so
        result = run(*command, "--db", damaged)
        assert "Traceback" not in result.output
        if "is damaged" in result.output:
            one_line_error(result, str(damaged), ".recover")


def test_import_refuses_to_write_into_a_damaged_workspace(damaged, run):
    before = fingerprint(damaged)
    one_line_error(run("import", FIXTURES / "x_archive", "--db", damaged), "is damaged")
    assert fingerprint(damaged) == before


def test_the_web_server_answers_a_damaged_workspace_with_a_clean_503(damaged, profiles):
    with serving(create_app(damaged, profiles)) as base:
        conn = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
        for url in ("/api/stats", "/api/search?q=engine", "/api/search?q=word5", "/api/profile/ada", "/profile/ada"):
            conn.request("GET", url)
            response = conn.getresponse()
            body = response.read().decode()
            assert response.status in (200, 503), (url, response.status, body)
            assert "Traceback" not in body
            if url == "/api/stats":
                assert response.status == 503, (url, body)
                message = json.loads(body)["error"]
                assert str(damaged) in message and ".recover" in message
        conn.close()
