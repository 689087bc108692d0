"""A workspace written by an older deep-insights opens, migrates and keeps its corpus searchable (in Datasette too)."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from deepinsights.backends.sqlite import Store
from deepinsights.backends.sqlite.migrations import FILTERS_INDEX, FILTERS_MIGRATION, migrations
from deepinsights.errors import StoreError
from deepinsights.models import SearchFilter
from deepinsights.search import search

TEXT = "the analytical engine weaves algebra"


def older_workspace(path: Path, stop_before: str) -> sqlite3.Connection:
    """A workspace migrated up to ``stop_before`` holding one document; its connection, still open."""
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before=stop_before)
    conn.execute(
        "INSERT INTO documents (id, thinker, kind, source, source_id, title, text, words, content_hash) "
        "VALUES ('d1', 'ada', 'post', 'markdown', 'a.md', 'Engines', ?, 5, 'h')",
        [TEXT],
    )
    conn.execute(
        "INSERT INTO passages (document_id, ordinal, start, \"end\", text) VALUES ('d1', 0, 0, ?, ?)", [len(TEXT), TEXT]
    )
    conn.commit()
    return conn


def test_a_workspace_with_the_2_and_3_character_prefix_index_migrates(db_path):
    older_workspace(db_path, "m005_fts_prefix_3").close()

    store = Store(db_path)
    try:
        sql = store.rows("SELECT sql FROM sqlite_master WHERE name = 'passages_fts'")[0]["sql"]
        assert "prefix='3 4'" in sql and "'2 3'" not in sql
        assert [h.id for h in search(store, "weav", prefix_last=True).hits] == ["d1"]
        assert [h.id for h in search(store, "algebra").hits] == ["d1"]
        assert store.integrity_check() == "ok"
        with store.transaction():  # the triggers still index later writes
            store.conn.execute("UPDATE passages SET text = 'the difference engine' WHERE document_id = 'd1'")
        assert search(store, "algebra").hits == [] and len(search(store, "difference").hits) == 1
    finally:
        store.close()


def test_a_workspace_from_before_the_fts_buffer_setting_gets_it_and_keeps_its_index(db_path):
    conn = older_workspace(db_path, "m006_fts_hashsize")
    assert conn.execute("SELECT count(*) FROM passages_fts_config WHERE k = 'hashsize'").fetchone() == (0,)
    conn.close()

    store = Store(db_path)
    try:
        setting = store.rows("SELECT v FROM passages_fts_config WHERE k = 'hashsize'")
        assert setting == [{"v": 32 * 2**20}]
        assert [h.id for h in search(store, "analytical").hits] == ["d1"]
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_read_only_opens_a_workspace_lacking_only_migrations_reading_does_not_need(db_path):
    older_workspace(db_path, "m006_fts_hashsize").close()  # lacks m006 (a write setting) and m007 (a no-op)
    reader = Store(db_path, read_only=True)
    try:
        assert [h.id for h in search(reader, "analytical").hits] == ["d1"]
    finally:
        reader.close()


def test_read_only_refuses_a_workspace_lacking_a_migration_reading_needs(db_path):
    older_workspace(db_path, "m005_fts_prefix_3").close()
    with pytest.raises(
        StoreError, match=f"this deep-insights needs .* Migrate it with: insights db migrate --db {db_path}"
    ):
        Store(db_path, read_only=True)


def test_a_workspace_from_before_the_4_character_prefix_index_gets_it_and_finds_the_same(db_path):
    older_workspace(db_path, "m012_fts_prefix_4").close()
    reader = Store(db_path, read_only=True)  # reading does not need it: the same rows, found the slow way
    try:
        assert reader.unmigrated == ["m012_fts_prefix_4", FILTERS_MIGRATION]
        assert [h.id for h in search(reader, "weav", prefix_last=True).hits] == ["d1"]
    finally:
        reader.close()

    store = Store(db_path)
    try:
        sql = store.rows("SELECT sql FROM sqlite_master WHERE name = 'passages_fts'")[0]["sql"]
        assert "prefix='3 4'" in sql and 'content="passages"' in sql
        assert [h.id for h in search(store, "weav", prefix_last=True).hits] == ["d1"]  # 4 letters: the new index
        assert [h.id for h in search(store, "weave", prefix_last=True).hits] == ["d1"]  # 5: the terms, merged
        assert [h.id for h in search(store, "alg", prefix_last=True).hits] == ["d1"]
        assert store.rows("SELECT v FROM passages_fts_config WHERE k = 'hashsize'") == [{"v": 32 * 2**20}]
        assert store.integrity_check() == "ok"
        with store.transaction():  # the triggers index later writes into the new index
            store.conn.execute("UPDATE passages SET text = 'the difference engine' WHERE document_id = 'd1'")
        assert search(store, "weav", prefix_last=True).hits == []
        assert [h.id for h in search(store, "diff", prefix_last=True).hits] == ["d1"]
    finally:
        store.close()
    assert Database(db_path)["passages"].detect_fts() == "passages_fts"


def test_a_filtered_search_reads_each_document_through_the_filters_index_once_migrated(db_path):
    conn = older_workspace(db_path, FILTERS_MIGRATION)
    for i, (kind, day) in enumerate([("tweet", "2021-05-01"), ("reply", "2023-02-01"), ("tweet", "2024-03-01")] * 3):
        conn.execute(
            "INSERT INTO documents (id, thinker, kind, source, source_id, text, published_at, words, content_hash) "
            "VALUES (?, 'ada', ?, 'x', ?, ?, ?, 3, 'h')",
            [f"t{i}", kind, f"t{i}", f"engine note {i}", day],
        )
        conn.execute(
            'INSERT INTO passages (document_id, ordinal, start, "end", text) VALUES (?, 0, 0, 13, ?)',
            [f"t{i}", f"engine note {i}"],
        )
    conn.commit()
    conn.close()
    wanted = SearchFilter(kinds=("tweet",), since="2022-01-01")

    def filtered(store: Store) -> tuple[list[str], list[str]]:
        statements: list[str] = []
        store.conn.set_trace_callback(statements.append)
        try:
            ids = [h.id for h in search(store, "engine", wanted).hits]
        finally:
            store.conn.set_trace_callback(None)
        return ids, [s for s in statements if "passages_fts MATCH" in s and "JOIN passages p" in s]

    reader = Store(db_path, read_only=True)  # reading does not need the index: the same rows, the slow way
    try:
        assert reader.unmigrated == [FILTERS_MIGRATION]
        before, scans = filtered(reader)
        assert scans and not any(FILTERS_INDEX in s for s in scans)
    finally:
        reader.close()
    assert sorted(before) == ["t2", "t5", "t8"]

    store = Store(db_path)
    try:
        after, scans = filtered(store)
        assert after == before
        assert scans and all(f"INDEXED BY {FILTERS_INDEX}" in s for s in scans)
        plan = " ".join(row[3] for row in store.conn.execute(f"EXPLAIN QUERY PLAN {scans[0]}"))
        assert f"COVERING INDEX {FILTERS_INDEX}" in plan  # kind and date read from the index, not the table
        assert store.integrity_check() == "ok"
        store.conn.execute(f"DROP INDEX {FILTERS_INDEX}")  # dropped by hand (a Datasette user tidying up)
    finally:
        store.close()

    reader = Store(db_path, read_only=True)
    try:
        assert filtered(reader)[0] == before  # found the slow way, not "no such index"
    finally:
        reader.close()


def test_a_command_that_upgrades_a_workspace_says_so_once(db_path, run, tmp_path):
    older_workspace(db_path, "m012_fts_prefix_4").close()
    first = run("db", "migrate", "--db", db_path)
    assert first.exit_code == 0
    upgraded = f"Upgrading {db_path} to this version of deep-insights (m012_fts_prefix_4, {FILTERS_MIGRATION}); once."
    assert upgraded in first.stderr
    assert "Upgrading" not in run("db", "migrate", "--db", db_path).stderr  # up to date: nothing to say
    fresh = tmp_path / "fresh.db"
    assert "Upgrading" not in run("db", "migrate", "--db", fresh).stderr  # a new workspace is created, not upgraded


def _datasette_get(path: Path, url: str) -> Any:
    """``url`` of Datasette serving the workspace at ``path``, in process (Datasette's own test client)."""
    from datasette.app import Datasette

    async def get() -> Any:
        datasette = Datasette([str(path)], immutables=[])
        return await datasette.client.get(url)

    return asyncio.run(get())


def test_datasette_finds_the_full_text_index_of_a_migrated_older_workspace(db_path):
    older_workspace(db_path, "m009_datasette_fts").close()
    assert Database(db_path)["passages"].detect_fts() is None  # content='passages': neither tool saw it

    store = Store(db_path)
    try:
        assert [h.id for h in search(store, "weav", prefix_last=True).hits] == ["d1"]
        assert store.rows("SELECT v FROM passages_fts_config WHERE k = 'hashsize'") == [{"v": 32 * 2**20}]
        assert store.integrity_check() == "ok"
    finally:
        store.close()
    assert Database(db_path)["passages"].detect_fts() == "passages_fts"
    page = _datasette_get(db_path, f"/{db_path.stem}/passages")
    assert page.status_code == 200 and 'name="_search"' in page.text, "the table page has a search box"
    found = _datasette_get(db_path, f"/{db_path.stem}/passages.json?_search=algebra&_shape=array")
    assert [row["document_id"] for row in found.json()] == ["d1"]
    none = _datasette_get(db_path, f"/{db_path.stem}/passages.json?_search=bicycle&_shape=array")
    assert none.json() == [], "?_search= filters instead of being ignored"


def test_the_two_ladders_name_the_same_migrations_in_the_same_order():
    """A schema version (the number of migrations applied) means the same on both backends."""
    from deepinsights.backends.postgresql import migrations as pg_ladder
    from deepinsights.backends.sqlite import migrations as sqlite_ladder

    assert sqlite_ladder.known() == pg_ladder.known()
