"""The workspace store on real SQLite files: migrations, upserts, stats, imports, errors.

Permission tests drop root's override capabilities in a child process (the suite may run as
root, which ignores file modes); lock tests hold a real ``BEGIN EXCLUSIVE`` in another process.
"""

from __future__ import annotations

import ctypes
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepinsights.backends.shared import writes as store_module
from deepinsights.backends.sqlite import Store
from deepinsights.backends.sqlite import store as sqlite_store_module
from deepinsights.backends.sqlite.migrations import migrations
from deepinsights.errors import StoreError
from deepinsights.models import Document, ImportReport
from deepinsights.workspace import open_store

ROOT = Path(__file__).resolve().parent.parent


def doc(n: int, text: str = "", **fields) -> Document:
    defaults = dict(
        source="test",
        source_id=str(n),
        kind="tweet",
        text=text or f"document number {n} about tokenizers",
        thinker="alice",
        published_at=datetime(2020, 1, 1 + n % 28, tzinfo=UTC),
        url=f"https://example.org/{n}",
    )
    defaults.update(fields)
    return Document(**defaults)


def upsert(store: Store, docs: list[Document], **kw) -> ImportReport:
    report = ImportReport()
    with store.transaction():
        report.import_id = store.begin_import(["test"], None)
        store.upsert_documents(iter(docs), report, **kw)
        store.finish_import(report)
    return report


def counts(report: ImportReport) -> tuple[int, int, int]:
    return report.added, report.updated, report.unchanged


def fts_ids(store: Store, query: str) -> set[str]:
    """Ids of the documents whose passages the full-text index (FTS5, or PostgreSQL's tsv) finds for ``query``."""
    sql = (
        "SELECT DISTINCT p.document_id FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid "
        "WHERE passages_fts MATCH ?"
    )
    if store.backend == "postgresql":
        sql = "SELECT DISTINCT document_id FROM passages WHERE tsv @@ to_tsquery('deepinsights', ?)"
    return {row["document_id"] for row in store.rows(sql, [query])}


def schema(path: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        conn.close()


# -- opening and migrations ------------------------------------------------------------


def test_fresh_and_existing_file_open_the_same(db_path):
    Store(db_path).close()
    fresh = schema(db_path)
    reopened = Store(db_path)
    upsert(reopened, [doc(1)])
    reopened.close()
    assert schema(db_path) == fresh
    applied = [m.name for m in migrations.applied(Store(db_path).db)]
    assert applied == [m.name for m in migrations._migrations]
    assert {"documents", "passages", "passages_fts", "imports"} <= {name for _, name, _ in fresh}


@pytest.mark.sqlite_only(reason="WAL is SQLite's journal mode")
def test_workspace_uses_wal(store):
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused_with_both_versions(db_path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES ('deepinsights', 'm999_future', 'x')"
    )
    conn.commit()
    conn.close()
    known = len(migrations._migrations)
    with pytest.raises(StoreError) as error:
        Store(db_path)
    message = str(error.value)
    assert f"schema version {known + 1} (m999_future)" in message
    assert f"knows up to {known}" in message
    with pytest.raises(StoreError, match="Upgrade deep-insights"):
        Store(db_path, read_only=True)


@pytest.mark.sqlite_only(reason="reads the workspace file with plain sqlite3")
def test_file_opens_with_plain_sqlite3_and_tables_are_readable(store, db_path):
    upsert(store, [doc(1, "plain sqlite readers see everything")])
    store.close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT text, thinker, kind FROM documents").fetchall() == [
        ("plain sqlite readers see everything", "alice", "tweet")
    ]
    assert conn.execute("SELECT count(*) FROM passages").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM imports").fetchone() == (1,)
    assert conn.execute("SELECT rowid FROM passages_fts WHERE passages_fts MATCH 'readers'").fetchall() == [(1,)]
    conn.close()


# -- upserts ---------------------------------------------------------------------------


def test_upsert_is_idempotent(store):
    docs = [doc(n) for n in range(5)]
    assert counts(upsert(store, docs)) == (5, 0, 0)
    assert counts(upsert(store, docs)) == (0, 0, 5)
    assert store.document_count() == 5


def test_changed_document_is_really_updated(store):
    upsert(store, [doc(1, "the old wording"), doc(2, "an untouched neighbour")])
    old_id = doc(1).id
    report = upsert(store, [doc(1, "a brand new phrasing " + "long text. " * 300), doc(2, "an untouched neighbour")])
    assert counts(report) == (0, 1, 1)
    stored = store.document(old_id)
    assert stored is not None and stored["text"].startswith("a brand new phrasing")
    passages = store.passages(old_id)
    assert len(passages) > 1 and "".join(p["text"] for p in passages) == stored["text"]
    assert fts_ids(store, "phrasing") == {old_id}
    assert fts_ids(store, "wording") == set()
    assert fts_ids(store, "neighbour") == {doc(2).id}
    assert store.integrity_check() == "ok"


def test_metadata_change_counts_as_update(store):
    upsert(store, [doc(1)])
    assert counts(upsert(store, [doc(1, url="https://example.org/moved")])) == (0, 1, 0)
    assert store.document(doc(1).id)["url"] == "https://example.org/moved"


@pytest.mark.parametrize("batch", [2000, 2])
def test_duplicate_ids_in_one_import_keep_the_last_and_count_once(store, monkeypatch, batch):
    monkeypatch.setattr(store_module, "BATCH", batch)
    docs = [doc(1, "first version"), doc(2), doc(1, "second version"), doc(3), doc(1, "second version")]
    report = upsert(store, docs)
    assert counts(report) == (3, 0, 2)
    assert report.added + report.updated + report.unchanged == len(docs)
    assert store.document(doc(1).id)["text"] == "second version"
    assert fts_ids(store, "first") == set() and fts_ids(store, "second") == {doc(1).id}
    assert store.integrity_check() == "ok"


@pytest.mark.parametrize(
    "document",
    [
        doc(1),
        doc(2, title="T", url=None, published_at=None),
        doc(3, published_at=datetime(1999, 12, 31, 23, 59)),
        doc(4, raw='{"tweet": {}}'),
    ],
)
def test_the_store_hashes_content_exactly_like_the_document(document):
    assert store_module.prepare(document, None, 1)[2] == document.content_hash


def test_thinker_override_and_default(store):
    upsert(store, [doc(1, thinker="")])
    upsert(store, [doc(2)], thinker="bob")
    assert {r["thinker"] for r in store.rows("SELECT thinker FROM documents")} == {"default", "bob"}


def test_progress_reports_every_batch(store, monkeypatch):
    monkeypatch.setattr(store_module, "BATCH", 3)
    seen: list[int] = []
    report = ImportReport()
    with store.transaction():
        store.upsert_documents(iter([doc(n) for n in range(7)]), report, progress=seen.append)
    assert seen == [3, 3, 1]


def test_lone_surrogates_are_stored_as_replacement_characters(store):
    upsert(store, [doc(1, "broken \ud800 pair", title="t\udfff")])
    row = store.document(doc(1).id)
    assert row["text"] == "broken \ufffd pair" and row["title"] == "t\ufffd"
    assert store.passages(doc(1).id)[0]["text"] == "broken \ufffd pair"


# -- full-text index stays in step -----------------------------------------------------


@pytest.mark.sqlite_only(reason="the FTS5 trigger swap exists only on SQLite")
def test_fts_triggers_are_restored_after_every_transaction(store, db_path):
    fresh = schema(db_path)
    upsert(store, [doc(n) for n in range(3)])
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_documents(iter([doc(9)]), ImportReport())
        raise RuntimeError("abort")
    assert schema(db_path) == fresh
    assert store.document_count() == 3


def test_writes_outside_a_transaction_are_indexed_by_the_triggers(store):
    store.upsert_documents([doc(1, "autocommit write")], ImportReport())
    assert fts_ids(store, "autocommit") == {doc(1).id}
    assert store.integrity_check() == "ok"


def test_any_write_inside_a_transaction_keeps_the_index_exact(store):
    upsert(store, [doc(n, f"word{n} shared") for n in range(4)])
    with store.transaction():
        store.upsert_documents([doc(10, "fresh row")], ImportReport())
        store.execute("UPDATE passages SET text = 'rewritten old' WHERE document_id = ?", [doc(0).id])
        store.execute("UPDATE passages SET text = 'rewritten new' WHERE document_id = ?", [doc(10).id])
        store.execute("DELETE FROM passages WHERE document_id = ?", [doc(1).id])
        top = store.rows("SELECT max(id) AS top FROM passages")[0]["top"]
        store.execute("DELETE FROM passages WHERE id = ?", [top])  # then reuse the id below the boundary
        store.execute(
            "INSERT INTO passages (id, document_id, ordinal, start, \"end\", text) VALUES (?, ?, 0, 0, 5, 'reuse')",
            [top, doc(3).id],
        )
    assert store.integrity_check() == "ok"
    assert fts_ids(store, "rewritten") == {doc(0).id}
    assert fts_ids(store, "word1") == set()
    assert fts_ids(store, "reuse") == {doc(3).id}


def test_savepoint_rollback_inside_an_import_keeps_the_index_exact(store):
    upsert(store, [doc(1, "kept before")])
    with store.transaction():
        store.upsert_documents([doc(2, "kept inside")], ImportReport())
        store.execute("SAVEPOINT file")
        store.upsert_documents([doc(3, "rolled back"), doc(1, "changed then rolled back")], ImportReport())
        store.execute("ROLLBACK TO file")
        store.execute("RELEASE file")
    assert fts_ids(store, "kept") == {doc(1).id, doc(2).id}
    assert fts_ids(store, "rolled") == set()
    assert store.integrity_check() == "ok"


@pytest.mark.sqlite_only(reason="the FTS5 trigger swap exists only on SQLite")
def test_an_import_indexes_its_passages_while_it_writes(store, monkeypatch):
    monkeypatch.setattr(sqlite_store_module, "FTS_CATCH_UP", 3)
    monkeypatch.setattr(store_module, "BATCH", 2)
    with store.transaction():
        store.upsert_documents([doc(n, f"early{n} words") for n in range(4)], ImportReport())
        mid_import = {row["n"] for row in store.rows("SELECT count(*) AS n FROM passages_fts")}
        store.upsert_documents([doc(n, f"late{n} words") for n in range(2, 6)], ImportReport())  # 2, 3 change
    assert mid_import == {4}  # indexed before COMMIT, not all at the end
    assert fts_ids(store, "early0 OR early1") == {doc(0).id, doc(1).id}
    assert fts_ids(store, "early2 OR early3") == set()
    assert fts_ids(store, "late2 OR late3 OR late4 OR late5") == {doc(n).id for n in range(2, 6)}
    assert store.integrity_check() == "ok"


_WRITE = st.one_of(
    st.tuples(st.just("add"), st.integers(1, 4), st.booleans()),
    st.tuples(st.just("change"), st.integers(0, 3), st.booleans()),
    st.tuples(st.just("delete_top"), st.integers(1, 3), st.just(False)),
    st.tuples(st.just("delete_low"), st.integers(0, 5), st.just(False)),
    st.tuples(st.just("reuse_id"), st.integers(0, 5), st.just(False)),
    st.tuples(st.just("rewrite"), st.integers(0, 5), st.just(False)),
    st.tuples(st.just("rolled_back"), st.integers(1, 3), st.booleans()),
)


@pytest.mark.sqlite_only(reason="the FTS5 trigger swap exists only on SQLite")
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.integers(0, 6), writes=st.lists(_WRITE, max_size=12), catch_up=st.integers(1, 8))
def test_any_mix_of_writes_in_a_transaction_leaves_the_index_exact(tmp_path_factory, before, writes, catch_up):
    """Whatever mix of upserts, deletes, id reuse, rewrites and rolled-back savepoints: FTS5 matches the table."""
    store = Store(tmp_path_factory.mktemp("fts") / "insights.db")
    counter = iter(range(10**6))
    long = " ".join(f"w{n}" for n in range(700))  # several passages

    def fresh(k: int, split: bool) -> Document:
        return doc(k, f"{long} v{next(counter)}" if split else f"text v{next(counter)}")

    try:
        upsert(store, [fresh(n, n % 3 == 0) for n in range(before)])
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(sqlite_store_module, "FTS_CATCH_UP", catch_up)
            patch.setattr(store_module, "BATCH", 2)
            with store.transaction():
                for op, n, split in writes:
                    _apply(store, op, n, split, fresh, counter)
        assert store.integrity_check() == "ok"
        rows = store.rows("SELECT count(*) AS n FROM passages")[0]["n"]
        assert store.rows("SELECT count(*) AS n FROM passages_fts")[0]["n"] == rows
    finally:
        store.close()


def _apply(store: Store, op: str, n: int, split: bool, fresh, counter) -> None:
    ids = [row["id"] for row in store.rows("SELECT id FROM passages ORDER BY id")]
    if op == "add":
        store.upsert_documents([fresh(100 + next(counter), split) for _ in range(n)], ImportReport())
    elif op == "change":  # the document holding the n-th highest passage
        owners = store.rows(
            "SELECT d.source_id FROM passages p JOIN documents d ON d.id = p.document_id ORDER BY p.id DESC"
        )
        if owners:
            store.upsert_documents([fresh(int(owners[n % len(owners)]["source_id"]), split)], ImportReport())
    elif op == "delete_top" and ids:
        store.execute("DELETE FROM passages WHERE id >= ?", [ids[-min(n, len(ids))]])
    elif op == "delete_low" and ids:
        store.execute("DELETE FROM passages WHERE id = ?", [ids[n % len(ids)]])
    elif op == "reuse_id" and ids:
        free = min(set(range(1, ids[-1] + 2)) - set(ids))
        store.execute(
            'INSERT INTO passages (id, document_id, ordinal, start, "end", text) '
            "SELECT ?, document_id, 99, 0, 5, 'reused' FROM passages LIMIT 1",
            [free],
        )
    elif op == "rewrite" and ids:
        store.execute("UPDATE passages SET text = 'rewritten' WHERE id = ?", [ids[n % len(ids)]])
    elif op == "rolled_back":
        store.conn.execute("SAVEPOINT part")
        store.upsert_documents([fresh(200 + next(counter), split) for _ in range(n)], ImportReport())
        store.upsert_documents([fresh(0, split)], ImportReport())
        store.conn.execute("ROLLBACK TO part")
        store.conn.execute("RELEASE part")


# -- reading ---------------------------------------------------------------------------


def test_stats_per_thinker_and_kind(store):
    upsert(
        store,
        [
            doc(1, "one two three", published_at=datetime(2019, 5, 1, tzinfo=UTC)),
            doc(2, "four five", published_at=datetime(2021, 2, 3, 4, 5, 6, tzinfo=UTC)),
            doc(3, "six", kind="reply"),
            doc(4, "seven eight", thinker="bob", published_at=None),
        ],
    )
    rows = {(r["thinker"], r["kind"]): r for r in store.stats()}
    assert rows[("alice", "tweet")] == {
        "thinker": "alice",
        "kind": "tweet",
        "items": 2,
        "words": 5,
        "first": "2019-05-01T00:00:00Z",
        "last": "2021-02-03T04:05:06Z",
    }
    assert rows[("alice", "reply")]["items"] == 1 and rows[("bob", "tweet")]["first"] is None
    assert [r["kind"] for r in store.stats("alice")] == ["tweet", "reply"]
    assert store.thinkers() == ["alice", "bob"]


def test_imports_table_records_each_import(store):
    upsert(store, [doc(1), doc(2)])
    upsert(store, [doc(1), doc(3, "new")])
    rows = store.imports()
    assert [(r["added"], r["updated"], r["unchanged"]) for r in rows] == [(2, 0, 0), (1, 0, 1)]
    assert rows[0]["paths"] == ["test"] and rows[0]["sources"] == {"test": 2}
    assert all(r["finished_at"] for r in rows)


def test_read_only_store_cannot_write(store, db):
    upsert(store, [doc(1)])
    reader = open_store(db, read_only=True)
    assert reader.document_count() == 1
    with pytest.raises(StoreError, match="read-only"), reader.transaction():
        reader.upsert_documents([doc(2)], ImportReport())
    with pytest.raises(StoreError, match="read-only"):
        reader.execute("DELETE FROM documents")
    reader.close()
    assert store.document_count() == 1


def test_read_only_store_refuses_a_missing_file(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        Store(tmp_path / "absent.db", read_only=True)
    assert not (tmp_path / "absent.db").exists()


# -- errors a user can act on ----------------------------------------------------------


def test_missing_parent_folder(tmp_path):
    with pytest.raises(StoreError, match=r"folder '.*nowhere' does not exist"):
        Store(tmp_path / "nowhere" / "insights.db")


def test_folder_instead_of_a_file(tmp_path):
    with pytest.raises(StoreError, match="is a folder"):
        Store(tmp_path)


def test_not_a_sqlite_file(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 200)
    with pytest.raises(StoreError) as error:
        Store(path)
    assert str(error.value).startswith(f"'{path}' is not a deep-insights workspace (not a valid SQLite database)")
    assert path.read_text().startswith("these are my notes")


def test_bad_busy_timeout_setting(db_path, monkeypatch):
    monkeypatch.setenv("DEEPINSIGHTS_BUSY_TIMEOUT", "soon")
    with pytest.raises(StoreError, match="DEEPINSIGHTS_BUSY_TIMEOUT must be a number"):
        Store(db_path)


def _drop_file_permission_override() -> None:
    """In the child: make root obey file modes (drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH)."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP) failed")


def unprivileged(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python args…`` in a child that file permissions apply to, even under root."""
    return subprocess.run(
        [sys.executable, *args],
        preexec_fn=_drop_file_permission_override,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


OPEN_AND_WRITE = textwrap.dedent(
    """
    import sys
    from deepinsights.errors import StoreError
    from deepinsights.models import Document, ImportReport, iso_utc
    from deepinsights.backends.sqlite import Store
    try:
        store = Store(sys.argv[1])
        with store.transaction():
            store.upsert_documents([Document(source="t", source_id="1", kind="note", text="x")], ImportReport())
    except StoreError as ex:
        print(ex)
        sys.exit(3)
    """
)


@pytest.fixture
def migrated(db_path) -> Path:
    store = Store(db_path)
    upsert(store, [doc(1)])
    store.close()
    return db_path


def test_read_only_file(migrated):
    migrated.chmod(0o444)
    result = unprivileged("-c", OPEN_AND_WRITE, str(migrated))
    assert result.returncode == 3, result.stderr
    assert result.stdout.strip() == (
        f"Workspace '{migrated}' is read-only; check the file's permissions or choose another with --db."
    )


def test_read_only_folder(migrated):
    folder = migrated.parent
    folder.chmod(0o555)
    try:
        result = unprivileged("-c", OPEN_AND_WRITE, str(migrated))
        new = unprivileged("-c", OPEN_AND_WRITE, str(folder / "new.db"))
    finally:
        folder.chmod(0o755)
    for outcome, name in ((result, migrated), (new, folder / "new.db")):
        assert outcome.returncode == 3, outcome.stderr
        assert outcome.stdout.strip().startswith(f"Workspace '{name}' cannot be written: its folder '{folder}'")


def test_cli_reports_a_read_only_workspace_in_one_line(migrated, fixtures):
    migrated.chmod(0o444)
    result = unprivileged("-m", "deepinsights", "import", str(fixtures / "x_archive"), "--db", str(migrated))
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"Error: Workspace '{migrated}' is read-only; check the file's permissions or choose another with --db."
    )


HOLD_LOCK = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA journal_mode = " + sys.argv[2])
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    sys.stdin.readline()
    """
)


@pytest.fixture(params=["wal", "delete"])
def locked(request, db_path):
    """A workspace on which another process holds BEGIN EXCLUSIVE (in WAL and in rollback-journal mode)."""
    Store(db_path).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(db_path), request.param],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    yield db_path
    holder.communicate("done\n", timeout=10)


def test_locked_workspace_fails_within_the_busy_timeout(locked):
    started = time.monotonic()
    with pytest.raises(StoreError) as error:
        store = Store(locked, busy_timeout_ms=300)
        with store.transaction():
            store.upsert_documents([doc(1)], ImportReport())
    assert str(error.value) == (
        f"Workspace '{locked}' is locked by another process; wait for it to finish and try again."
    )
    assert 0.25 < time.monotonic() - started < 5


def test_cli_reports_a_locked_workspace(locked, fixtures):
    env = {"DEEPINSIGHTS_BUSY_TIMEOUT": "0.3"}
    result = unprivileged("-m", "deepinsights", "import", str(fixtures / "x_archive"), "--db", str(locked), env=env)
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"Error: Workspace '{locked}' is locked by another process; wait for it to finish and try again."
    )


def test_cli_import_of_a_missing_file_is_one_line(tmp_path, db):
    result = subprocess.run(
        [sys.executable, "-m", "deepinsights", "import", str(tmp_path / "missing.js"), "--db", db],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "missing.js" in result.stderr and "Traceback" not in result.stderr
