"""The PostgreSQL store on a real throwaway cluster (tests/pg.py): what only PostgreSQL can get wrong.

Connection errors (bad URL, server down, wrong password, missing database), the schema
(migrations tracked, a newer one refused), NUL characters, read-only connections, a
reader during an import, the server dying mid-import (rolled back, the retry succeeds),
the web server's pool, and the CLI given a URL. The behaviour both backends share runs
in the other suites through the parametrised ``store`` fixture.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from deepinsights.backends.postgresql import migrations
from deepinsights.backends.postgresql.sql import pg_sql
from deepinsights.backends.postgresql.store import PgStore, open_pool
from deepinsights.backends.shared import writes as store_module
from deepinsights.errors import StoreError
from deepinsights.models import Document, ImportReport
from deepinsights.search import search
from deepinsights.web.corpus import Corpus
from deepinsights.workspace import describe, open_store

from . import pg
from .test_store import doc, upsert

pytestmark = pytest.mark.postgresql


# -- schema ----------------------------------------------------------------------------


def test_a_fresh_database_is_migrated_once_and_the_migrations_are_named(pg_url: str) -> None:
    told: list[list[str]] = []
    PgStore(pg_url, on_upgrade=told.append).close()
    assert told == []  # created, not upgraded
    with psycopg.connect(pg_url) as conn:
        assert migrations.applied(conn) == migrations.known()
        assert migrations.known()[:2] == ["m001_documents", "m002_passages_fts"]
        assert migrations.apply(conn) == []  # nothing pending the second time
        column = conn.execute("SELECT data_type FROM information_schema.columns WHERE column_name = 'tsv'").fetchone()
        assert column == ("tsvector",)


def test_a_newer_schema_is_refused_with_both_version_numbers(pg_migrated_url: str) -> None:
    with psycopg.connect(pg_migrated_url, autocommit=True) as conn:
        conn.execute(f"INSERT INTO {migrations.TABLE} VALUES ('m999_future', 'x')")
    known = len(migrations.known())
    for read_only in (False, True):
        with pytest.raises(StoreError, match=f"schema version {known + 1} \\(m999_future\\); .* knows up to {known}"):
            PgStore(pg_migrated_url, read_only=read_only)


def test_opening_an_older_database_to_write_names_the_migrations_it_runs_first(pg_url: str) -> None:
    with psycopg.connect(pg_url) as conn, conn.transaction():
        conn.execute(f"CREATE TABLE {migrations.TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in migrations.MIGRATIONS[: migrations.known().index("m011_index_lease")]:
            conn.execute(script)
            conn.execute(f"INSERT INTO {migrations.TABLE} VALUES (%s, 'then')", (name,))
    told: list[list[str]] = []
    PgStore(pg_url, on_upgrade=told.append).close()
    PgStore(pg_url, on_upgrade=told.append).close()  # up to date: nothing to tell
    assert told == [["m011_index_lease", "m012_fts_prefix_4", "m013_document_filters_index"]]


def test_passages_indexed_before_diacritic_folding_are_folded_when_it_migrates(pg_url: str) -> None:
    text = "Gödel and the analytical engine"
    with psycopg.connect(pg_url) as conn, conn.transaction():
        conn.execute(f"CREATE TABLE {migrations.TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in migrations.MIGRATIONS[: migrations.known().index("m007_fold_diacritics")]:
            conn.execute(script)
            conn.execute(f"INSERT INTO {migrations.TABLE} VALUES (%s, 'then')", (name,))
        conn.execute(
            "INSERT INTO documents (id, thinker, kind, source, source_id, text, words, content_hash) "
            "VALUES ('d1', 'ada', 'post', 'markdown', 'a.md', %s, 5, 'h')",
            (text,),
        )
        conn.execute(
            "INSERT INTO passages (document_id, ordinal, start, \"end\", text) VALUES ('d1', 0, 0, %s, %s)",
            (len(text), text),
        )
    with pytest.raises(StoreError, match="this deep-insights needs .* Migrate it with: insights db migrate"):
        PgStore(pg_url, read_only=True)  # a folded query would miss the unfolded index: no reading before it
    store = PgStore(pg_url)
    try:
        assert [h.id for h in search(store, "godel").hits] == ["d1"]
        assert store.integrity_check() == "ok"
    finally:
        store.close()


def test_read_only_open_of_an_empty_database_says_how_to_create_it_and_creates_nothing(pg_url: str) -> None:
    with pytest.raises(StoreError, match="holds no deep-insights data yet.*insights import PATH"):
        PgStore(pg_url, read_only=True)
    with psycopg.connect(pg_url) as conn:
        assert migrations.applied(conn) == []


# -- connection errors -----------------------------------------------------------------


def test_a_malformed_url_is_one_line_naming_an_example() -> None:
    with pytest.raises(StoreError, match="not a valid PostgreSQL URL.*postgresql://user:password@localhost") as error:
        open_store("postgresql://me:hunter2@localhost/db?no_such_option=1")
    assert "hunter2" not in str(error.value) and "\n" not in str(error.value)


def test_a_server_that_is_not_running_is_named_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="Cannot connect.*not running or not reachable.*Start it") as error:
        open_store(f"postgresql://me:hunter2@/insights?host={tmp_path}")
    assert "hunter2" not in str(error.value) and "me:***@" in str(error.value)


def test_a_wrong_password_is_refused_and_masked(pg_cluster: pg.Cluster) -> None:
    wrong = pg_cluster.url(pg.MIGRATED, user=pg.PASSWORD_USER, password="not-the-password")
    with pytest.raises(StoreError, match="refused the login.*password authentication failed") as error:
        PgStore(wrong, read_only=True)
    assert "not-the-password" not in str(error.value)
    right = PgStore(pg_cluster.url(pg.MIGRATED, user=pg.PASSWORD_USER, password=pg.PASSWORD), read_only=True)
    assert right.document_count() == 0 and pg.PASSWORD not in right.location
    right.close()


def test_a_missing_database_says_how_to_create_it(pg_cluster: pg.Cluster) -> None:
    with pytest.raises(StoreError, match="database 'no_such_db' does not exist.*createdb no_such_db"):
        open_store(pg_cluster.url("no_such_db"))


def test_describe_masks_a_password_in_the_url_and_the_query() -> None:
    assert describe("postgresql://u:p4ss@h:5/d") == "postgresql://u:***@h:5/d"
    assert (
        describe("postgresql://u@h/d?password=p4ss&sslmode=require")
        == "postgresql://u@h/d?password=***&sslmode=require"
    )
    assert describe(Path("insights.db")) == "insights.db"


# -- writing ---------------------------------------------------------------------------


def test_nul_characters_become_replacement_characters_and_offsets_hold(pg_store: PgStore) -> None:
    text = "before\x00after " + "long sentence here. " * 200
    report = upsert(pg_store, [doc(1, text, title="t\x00", raw="r\x00w", meta={"k": "v\x00"})])
    assert report.added == 1
    row = pg_store.document(doc(1).id)
    assert row is not None and row["text"] == text.replace("\x00", "\ufffd") and row["title"] == "t\ufffd"
    assert row["raw"] == "r\ufffdw" and json.loads(row["meta"]) == {"k": "v\x00"}  # JSON escapes it: kept
    passages = pg_store.passages(doc(1).id)
    assert len(passages) > 1 and all(row["text"][p["start"] : p["end"]] == p["text"] for p in passages)
    assert upsert(pg_store, [doc(1, text, title="t\x00", raw="r\x00w", meta={"k": "v\x00"})]).unchanged == 1


def test_copy_writes_what_the_tsv_column_indexes(pg_store: PgStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "BATCH", 7)
    assert upsert(pg_store, [doc(n, f"word{n} shared") for n in range(30)]).added == 30
    sql = "SELECT count(*) AS n FROM passages WHERE tsv @@ to_tsquery('deepinsights', ?)"
    assert pg_store.rows(sql, ["shared"]) == [{"n": 30}] and pg_store.rows(sql, ["word7"]) == [{"n": 1}]
    assert pg_store.integrity_check() == "ok"


def test_question_marks_are_placeholders_only_outside_quotes(pg_store: PgStore) -> None:
    assert pg_sql("SELECT '?', \"a?\", ? -- why?\n, 'x%'") == "SELECT '?', \"a?\", %s -- why?\n, 'x%%'"
    rows = pg_store.rows("SELECT '?' AS q, ? AS v, 'a%b' LIKE 'a%' AS m", ["p"])
    assert rows == [{"q": "?", "v": "p", "m": True}]


# -- read-only and concurrency ---------------------------------------------------------


def test_a_read_only_store_is_refused_every_write_by_the_server(pg_store: PgStore, pg_migrated_url: str) -> None:
    upsert(pg_store, [doc(1)])
    reader = PgStore(pg_migrated_url, read_only=True)
    with pytest.raises(StoreError, match="open read-only here"), reader.transaction():
        reader.upsert_documents([doc(2)], ImportReport())
    with pytest.raises(StoreError, match="open read-only here"):
        reader.execute("DELETE FROM documents")
    assert reader.document_count() == 1
    reader.close()


def test_a_reader_during_an_import_sees_the_old_corpus_until_commit(pg_store: PgStore, pg_migrated_url: str) -> None:
    upsert(pg_store, [doc(1)])
    reader = PgStore(pg_migrated_url, read_only=True)
    with pg_store.transaction():
        pg_store.upsert_documents([doc(n) for n in range(2, 50)], ImportReport())
        assert pg_store.document_count() == 49
        assert reader.document_count() == 1 and reader.thinkers() == ["alice"]
    assert reader.document_count() == 49
    reader.close()


@pytest.mark.slow
def test_the_server_stopping_mid_import_rolls_back_and_the_retry_succeeds(
    pg_cluster: pg.Cluster, pg_migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "BATCH", 10)
    store = PgStore(pg_migrated_url)
    upsert(store, [doc(0)])
    pg_cluster.admin("CHECKPOINT")  # subtle: the test cluster runs with synchronous_commit off

    def documents() -> Iterator[Document]:
        for n in range(1, 40):
            if n == 25:  # two batches are written inside the open transaction by now
                pg_cluster.stop("immediate")
            yield doc(n)

    try:
        with pytest.raises(StoreError, match="Lost the connection.*rolled back, nothing from it was saved") as error:
            upsert(store, documents())
        assert "\n" not in str(error.value) and pg_migrated_url.split("?")[0] in str(error.value)
    finally:
        store.close()
        pg_cluster.start()
    retry = PgStore(pg_migrated_url)
    assert retry.document_count() == 1
    assert upsert(retry, [doc(n) for n in range(1, 40)]).added == 39
    assert retry.document_count() == 40 and retry.integrity_check() == "ok"
    retry.close()


# -- the web server's pool and the CLI -------------------------------------------------


def test_the_pooled_store_borrows_connections_and_cannot_write(pg_store: PgStore, pg_migrated_url: str) -> None:
    upsert(pg_store, [doc(1), doc(2)])
    pool = open_pool(pg_migrated_url, max_size=2)
    try:
        shared = PgStore(pg_migrated_url, pool=pool)
        assert shared.read_only and shared.document_count() == 2 and shared.thinkers() == ["alice"]
        with pytest.raises(StoreError, match="pooled"):
            shared.conn  # noqa: B018
        with pytest.raises(StoreError, match="open read-only here"):
            shared.rows("DELETE FROM documents RETURNING id")
    finally:
        pool.close()


def test_the_web_corpus_on_a_url_shares_one_pool_and_sees_commits(pg_store: PgStore, pg_migrated_url: str) -> None:
    corpus = Corpus(pg_migrated_url)
    try:
        assert corpus.status() == {"available": True, "documents": 0, "error": None}
        before = corpus.generation()
        upsert(pg_store, [doc(1)])
        assert corpus.generation() != before and corpus.status()["documents"] == 1
        assert corpus.store() is corpus.store()
    finally:
        corpus.close()


def test_the_cli_takes_a_url_and_reports_a_down_server_in_one_masked_line(
    pg_migrated_url: str, fixtures: Path, run, tmp_path: Path
) -> None:
    result = run("import", fixtures / "tweets.txt", "--db", pg_migrated_url, "--thinker", "someone", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 7
    stats = json.loads(run("stats", "--db", pg_migrated_url, "--json").output)
    assert sum(row["items"] for row in stats) == 7 and {row["thinker"] for row in stats} == {"someone"}
    down = run("stats", "--db", f"postgresql://me:hunter2@/x?host={tmp_path}")
    assert down.exit_code == 1 and down.output.startswith("Error: Cannot connect") and "hunter2" not in down.output
    assert not list(Path.cwd().glob("postgresql*"))  # a URL is never created as a file


def test_rows_inserted_with_their_ids_move_the_identity_past_them(pg_store: PgStore) -> None:
    upsert(pg_store, [doc(1)])
    with pg_store.transaction():
        pg_store.insert_rows(
            "passages",
            [(500, doc(1).id, 1, 0, 3, None, "a\x00b", None, None, 1.0)],  # the table's columns, in order
        )
        pg_store.after_copy()
    stored = pg_store.passage(500)
    assert stored is not None and stored["text"] == "a\ufffdb"
    upsert(pg_store, [doc(2)])
    assert pg_store.passages(doc(2).id)[0]["id"] > 500
