"""``insights db copy``: SQLite → PostgreSQL → SQLite keeps every row, id and search result,
resumes after an interruption, and refuses a destination that is not a copy of the source."""

from __future__ import annotations

import json
import zipfile

import pytest

from deepinsights import dbcopy
from deepinsights.backends.sqlite import Store
from deepinsights.dbcopy import checksum, copy_workspace
from deepinsights.errors import StoreError
from deepinsights.search import search
from deepinsights.workspace import open_store

pytestmark = pytest.mark.postgresql


@pytest.fixture
def sqlite_workspace(run, fixtures, tmp_path):
    """A SQLite workspace holding the X archive and Markdown fixtures (tweets, threads, posts)."""
    db = tmp_path / "source.db"
    archive = tmp_path / "x.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted((fixtures / "x_archive").rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(fixtures / "x_archive").as_posix())
    assert run("import", archive, "--db", db).exit_code == 0
    assert run("import", fixtures / "blog", "--db", db, "--thinker", "ada").exit_code == 0
    return db


def table_sums(db) -> dict[str, tuple[int, str]]:
    store = open_store(db)
    try:
        return {table: checksum(store, table) for table in store.table_names()}
    finally:
        store.close()


def test_round_trip_sqlite_postgresql_sqlite_keeps_every_row(run, sqlite_workspace, pg_url, tmp_path):
    there = run("db", "copy", sqlite_workspace, pg_url, "--json")
    assert there.exit_code == 0, there.output
    report = json.loads(there.output)
    assert report["copied"]["documents"] > 5 and report["copied"]["passages"] >= report["copied"]["documents"]
    back = tmp_path / "back.db"
    assert run("db", "copy", pg_url, back).exit_code == 0
    assert table_sums(sqlite_workspace) == table_sums(pg_url) == table_sums(back)

    found = {}
    for name, db in (("source", sqlite_workspace), ("postgresql", pg_url), ("back", back)):
        store = open_store(db)
        try:
            found[name] = [(hit.id, hit.passage_id) for hit in search(store, "thread").hits]
            assert store.integrity_check() == "ok"
        finally:
            store.close()
    assert found["source"] and found["back"] == found["source"]
    assert sorted(found["postgresql"]) == sorted(found["source"])  # the same passages; each backend ranks its way


def test_new_imports_after_a_copy_get_fresh_ids(sqlite_workspace, pg_url, fixtures, run):
    assert run("db", "copy", sqlite_workspace, pg_url).exit_code == 0
    assert run("import", fixtures / "feed.xml", "--db", pg_url).exit_code == 0  # identity sequences moved on
    store = open_store(pg_url)
    try:
        assert len(store.imports()) == 3
        ids = [r["id"] for r in store.rows("SELECT id FROM passages")]
        assert len(ids) == len(set(ids))
    finally:
        store.close()


def test_an_interrupted_copy_resumes(sqlite_workspace, pg_url, monkeypatch):
    monkeypatch.setattr(dbcopy, "BATCH", 3)
    source = Store(sqlite_workspace, read_only=True)
    dest = open_store(pg_url)
    calls = {"n": 0}
    insert = dest.insert_rows

    def failing(table, rows):
        calls["n"] += 1
        if calls["n"] == 4:
            raise StoreError("connection lost (simulated)")
        insert(table, rows)

    monkeypatch.setattr(dest, "insert_rows", failing)
    with pytest.raises(StoreError, match="simulated"):
        copy_workspace(source, dest)
    monkeypatch.setattr(dest, "insert_rows", insert)
    report = copy_workspace(source, dest)
    # committed before the failure: the imports (one batch of 2), then two batches of 3 documents
    assert report.resumed == {"imports": 2, "documents": 6, "passages": 0, "passage_vectors": 0, "vector_meta": 0}
    assert report.copied["documents"] == len(source.rows("SELECT id FROM documents")) - 6
    assert {t: checksum(dest, t) for t in dest.table_names()} == {t: checksum(source, t) for t in source.table_names()}
    source.close()
    dest.close()


def test_a_destination_holding_other_rows_is_refused(run, sqlite_workspace, fixtures, tmp_path):
    other = tmp_path / "other.db"
    assert run("import", fixtures / "x_archive", "--db", other).exit_code == 0
    assert run("import", fixtures / "blog", "--db", other).exit_code == 0
    assert run("import", fixtures / "feed.xml", "--db", other).exit_code == 0
    result = run("db", "copy", sqlite_workspace, other)
    assert result.exit_code == 1
    assert "not a copy of" in result.output or "differs in table" in result.output


def test_copy_to_itself_and_to_a_wrong_url_fail_in_one_line(run, sqlite_workspace):
    assert "same workspace" in run("db", "copy", sqlite_workspace, sqlite_workspace).output
    result = run("db", "copy", sqlite_workspace, "postgresql://nobody@/nowhere?host=/nonexistent")
    assert result.exit_code == 1 and "Traceback" not in result.output
