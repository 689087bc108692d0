"""Passage vectors in a real workspace: incremental and resumable indexing, hybrid search, more like this.

Each ``store`` test runs on SQLite and on PostgreSQL with pgvector (this module's ``db``
takes its databases from tests/pgvector.py's cluster); the usearch-file tests are SQLite's.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import numpy as np
import pytest
from click.testing import CliRunner

from deepinsights.backends.sqlite import Store
from deepinsights.backends.sqlite import vectors as sqlite_vectors
from deepinsights.backends.sqlite.vectors import UsearchIndex
from deepinsights.cli.semantic import index_, install_embedding, similar_
from deepinsights.errors import EmbeddingError, SearchError
from deepinsights.models import Document, ImportReport, SearchFilter
from deepinsights.semantic import hybrid, index, registry, static
from deepinsights.semantic import model as model_module
from deepinsights.semantic.groups import grouped_search
from deepinsights.semantic.hybrid import default_mode, hybrid_search, search_any, similar
from deepinsights.semantic.index import index_passages

from . import pg, pgvector
from .test_semantic_model import require_model

# Hand-written notes in our own words; each says its idea without the words the queries use.
NOTES = {
    "feynman": ("Only what I can rebuild from scratch do I really grasp; so I write every piece myself.", "2020-03-01"),
    "baking": ("Sourdough needs a starter fed with flour and water for a week before the first loaf.", "2021-06-01"),
    "football": ("The match ended two to one after a late header in the final minute of extra time.", "2022-01-10"),
    "gpu": ("Matrix multiplies run fastest when tensors are laid out contiguously in device memory.", "2023-05-05"),
    "empty": ("   ", "2023-06-01"),
}


def note(key: str, text: str | None = None, kind: str = "note") -> Document:
    body, day = NOTES[key]
    return Document(
        source="test",
        source_id=key,
        kind=kind,
        text=text if text is not None else body,
        thinker="t",
        title=None,
        published_at=datetime.fromisoformat(day).replace(tzinfo=UTC),
    )


def add(store: Store, *docs: Document) -> None:
    with store.transaction():
        store.upsert_documents(list(docs), ImportReport())


@pytest.fixture
def db(backend, db_path, request, monkeypatch):
    """As conftest's ``db``, but a PostgreSQL database comes from the cluster with pgvector."""
    if backend == "sqlite":
        return str(db_path)
    monkeypatch.chdir(db_path.parent)
    cluster = pgvector.cluster()
    name = cluster.database(pg.MIGRATED)
    request.addfinalizer(lambda: cluster.drop(name))
    return cluster.url(name)


@pytest.fixture
def embedder():
    require_model()
    return registry.get_embedder()


@pytest.fixture
def indexed(store, embedder):
    add(store, *(note(k, kind="post" if k == "gpu" else "note") for k in NOTES))
    index_passages(store, embedder)
    return store


def doc_ids(results):
    return [h.id for h in results.hits]


def test_a_paraphrase_bm25_misses_is_found_by_semantic_and_hybrid(indexed):
    query = "learning by building things yourself"
    assert hybrid_search(indexed, query, mode="bm25").hits == []
    top = hybrid_search(indexed, query, SearchFilter(limit=1), mode="semantic").hits[0]
    assert top.id == note("feynman").id and top.found_by == ("semantic",)
    assert hybrid_search(indexed, query, SearchFilter(limit=1), mode="hybrid").hits[0].id == note("feynman").id


def test_a_hit_both_rankings_find_ranks_first_and_says_so(indexed):
    found = hybrid_search(indexed, "sourdough starter", mode="hybrid")
    assert found.hits[0].id == note("baking").id and not found.any_word
    assert set(found.hits[0].found_by) == {"bm25", "semantic"}


def test_the_any_word_fallback_is_labelled_as_it_is(indexed):
    """No passage has all of "sourdough bread starter": the words side matched any of them, and says so."""
    found = hybrid_search(indexed, "sourdough bread starter", mode="hybrid")
    assert found.any_word and found.hits[0].id == note("baking").id
    assert set(found.hits[0].found_by) == {"any-word", "semantic"}, "not 'bm25': BM25 alone finds nothing"

    grouped, _ = grouped_search(indexed, "sourdough bread starter", mode="hybrid")
    assert grouped.summary().startswith("no passage with every word, 1 passage with some of them and the nearest ")
    semantic, _ = grouped_search(indexed, "sourdough bread starter", mode="semantic")
    assert semantic.summary().startswith(f"the nearest {semantic.results.nearest} passages by meaning, in ")
    assert not semantic.complete, "a depth of neighbours is never 'every match'"


def test_default_mode_is_bm25_until_the_workspace_has_vectors(store, embedder):
    add(store, note("baking"))
    assert default_mode(store) == "bm25"
    index_passages(store, embedder)
    assert default_mode(store) == "hybrid"
    assert store.indexed_model() == "all-MiniLM-L6-v2"


def test_indexing_again_embeds_nothing(indexed, embedder):
    report = index_passages(indexed, embedder)
    assert (report.embedded, report.unchanged, report.removed) == (0, len(NOTES), 0)


def test_empty_passages_are_counted_and_never_returned(store, embedder):
    add(store, note("empty"), note("gpu"))
    report = index_passages(store, embedder)
    assert (report.empty, report.embedded) == (1, 1)
    assert doc_ids(hybrid_search(store, "anything at all", mode="semantic")) == [note("gpu").id]


def test_only_changed_passages_are_embedded_and_stale_vectors_go(indexed, embedder):
    add(indexed, note("baking", text="Rye bread rises slowly; give the dough a whole night in a cool room."))
    report = index_passages(indexed, embedder)
    assert (report.embedded, report.removed, report.unchanged) == (1, 1, len(NOTES) - 1)
    hits = hybrid_search(indexed, "slow rising rye dough overnight", SearchFilter(limit=1), mode="semantic").hits
    assert hits[0].id == note("baking").id and "Rye" in hits[0].text


def test_an_unchanged_text_in_a_new_passage_reuses_its_vector(indexed, embedder):
    with indexed.transaction():  # the store re-inserts a changed document's passages under new ids
        indexed.execute("UPDATE passages SET id = id + 1000")
    report = index_passages(indexed, embedder)
    assert report.embedded == 0 and report.reused == len(NOTES) - 1


def test_an_interrupted_run_keeps_finished_batches_and_resumes(store, embedder, monkeypatch):
    add(store, *(note(k) for k in NOTES))
    monkeypatch.setattr(index, "BATCH", 2)
    write_vectors, writes = store.write_vectors, []

    def interrupted_at_the_second_batch(model, rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise KeyboardInterrupt  # Ctrl-C between two transactions
        write_vectors(model, rows)

    monkeypatch.setattr(store, "write_vectors", interrupted_at_the_second_batch)
    with pytest.raises(KeyboardInterrupt):
        index_passages(store, embedder)
    monkeypatch.setattr(store, "write_vectors", write_vectors)
    assert store.rows("SELECT count(*) AS n FROM passage_vectors")[0]["n"] == 2
    report = index_passages(store, embedder)
    assert (report.unchanged, report.embedded + report.empty) == (2, len(NOTES) - 2)


def test_passages_are_embedded_in_rounds_of_characters_and_written_in_small_batches(store, embedder, monkeypatch):
    """Short passages reach the model together (its batches fill up) but each write stays small."""
    add(store, *(note(k) for k in NOTES))
    monkeypatch.setattr(index, "BATCH", 2)
    calls: list[int] = []
    embed_windows = embedder.embed_windows

    def counted(texts, **options):
        calls.append(len(texts))
        return embed_windows(texts, **options)

    monkeypatch.setattr(embedder, "embed_windows", counted)
    write_vectors, writes = store.write_vectors, []
    monkeypatch.setattr(
        store, "write_vectors", lambda model, rows: writes.append(len(rows)) or write_vectors(model, rows)
    )
    told: list[tuple[int, int]] = []
    index_passages(store, embedder, progress=lambda done, total: told.append((done, total)))
    assert calls == [len(NOTES) - 1]  # the blank note has nothing to embed
    assert writes == [2, 2, 1]
    done = [d for d, _ in told]
    assert done == sorted(set(done)) and told[-1] == (len(NOTES), len(NOTES))  # never back, ends at all

    monkeypatch.setattr(index, "ROUND_CHARS", 100)  # each note is 80-90 characters: one per round
    calls.clear()
    index_passages(store, embedder, rebuild=True)
    assert calls == [1] * (len(NOTES) - 1)


def test_building_the_vector_index_reports_its_progress(store, embedder):
    """SQLite's usearch file says how many vectors it has added, of how many; PostgreSQL builds in one statement."""
    add(store, *(note(k) for k in NOTES))
    built: list[tuple[int, int]] = []
    index_passages(store, embedder, building=lambda done, total: built.append((done, total)))
    if not isinstance(store, Store):
        assert built == []
        return
    windows = len(NOTES) - 1  # one window each; the blank note has none
    assert built[-1] == (windows, windows) and {total for _, total in built} == {windows}
    add(store, note("baking", "Rye bread rises slowly overnight in a cold kitchen."))
    built.clear()
    index_passages(store, embedder, building=lambda done, total: built.append((done, total)))
    assert built[-1] == (1, 1)  # only what changed is added


def test_another_model_is_refused_with_the_rebuild_command(indexed, monkeypatch):
    fake_table = np.random.default_rng(1).standard_normal((30522, 384)).astype(np.float32)
    static.table_path().parent.mkdir(parents=True, exist_ok=True)
    np.save(static.table_path(), fake_table)  # loads instead of distilling: the check is what is tested
    other = static.StaticMiniLM()
    with pytest.raises(EmbeddingError, match="insights index --rebuild --embedding-model all-MiniLM-L6-v2-static"):
        index_passages(indexed, other)
    with pytest.raises(EmbeddingError, match="indexed with 'all-MiniLM-L6-v2'"):
        hybrid_search(indexed, "bread", mode="semantic", model="all-MiniLM-L6-v2-static")
    report = index_passages(indexed, other, rebuild=True)
    assert report.embedded == len(NOTES) - 1 and indexed.indexed_model() == "all-MiniLM-L6-v2-static"


def test_filters_apply_to_the_vector_side(indexed):
    hits = hybrid_search(indexed, "learning by building things", SearchFilter(kinds=("post",)), mode="semantic").hits
    assert doc_ids_of(hits) == [note("gpu").id]
    hits = hybrid_search(
        indexed, "learning by building things", SearchFilter(since="2021", until="2021-12"), mode="hybrid"
    ).hits
    assert doc_ids_of(hits) == [note("baking").id]


def doc_ids_of(hits):
    return [h.id for h in hits]


@pytest.mark.parametrize(
    "query", ["", "   ", "x" * 100_000, "日本語の検索", "Привет мир", "🙂🔥", '"unbalanced AND ( NEAR*', "\x00"]
)
@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_hostile_queries_never_fail(indexed, query, mode):
    results = hybrid_search(indexed, query, mode=mode)
    if not query.strip("\x00 "):
        assert results.hits == []
    assert all(h.passage_id for h in results.hits)


def test_unknown_mode_is_a_one_line_error(indexed):
    with pytest.raises(SearchError, match="bm25, semantic, hybrid"):
        hybrid_search(indexed, "bread", mode="fuzzy")


def test_without_the_model_semantic_names_the_install_command_and_bm25_still_works(store, monkeypatch):
    add(store, note("baking"))
    with store.transaction():
        store.execute("INSERT INTO vector_meta VALUES ('model', 'all-MiniLM-L6-v2'), ('generation', '0')")
    monkeypatch.setattr(model_module, "PACKAGE", "no_such_embedding_package")
    monkeypatch.setattr(registry, "_loaded", {})
    monkeypatch.setattr(hybrid, "_query_cache", hybrid.OrderedDict())
    with pytest.raises(EmbeddingError, match="Install it with: insights models install-embedding"):
        hybrid_search(store, "sourdough", mode="semantic")
    results, warning = search_any(store, "sourdough")
    assert doc_ids(results) == [note("baking").id] and "Showing BM25 results" in (warning or "")


def test_more_like_this_excludes_the_document_itself(indexed):
    results = similar(indexed, note("baking").id, limit=3)
    ids = doc_ids(results)
    assert note("baking").id not in ids and len(ids) == 3 and len(set(ids)) == 3
    with pytest.raises(SearchError, match="No document 'nope'"):
        similar(indexed, "nope")


@pytest.mark.sqlite_only(reason="the usearch file beside a SQLite workspace; PostgreSQL: tests/test_pg_vectors.py")
def test_the_hnsw_file_is_synced_and_agrees_with_exact_search(indexed, embedder, monkeypatch):
    exact = doc_ids(hybrid_search(indexed, "football score", mode="semantic"))
    monkeypatch.setattr(sqlite_vectors, "EXACT_MAX", 0)
    info = json.loads((indexed.path.parent / "insights.db.usearch.json").read_text())
    assert info["count"] == len(NOTES) - 1 and info["model"] == "all-MiniLM-L6-v2"
    fresh = UsearchIndex(indexed, "all-MiniLM-L6-v2")
    query = hybrid.query_vector("football score", None)
    assert [pid for pid, _ in fresh.search(query, 3)][:1] == [
        hybrid_search(indexed, "football score").hits[0].passage_id
    ]
    assert exact[0] == note("football").id


@pytest.mark.sqlite_only(reason="the usearch file beside a SQLite workspace; PostgreSQL: tests/test_pg_vectors.py")
def test_a_read_only_workspace_with_a_stale_file_searches_in_memory(indexed, embedder, db_path):
    add(indexed, note("baking", text="Fresh pasta wants only eggs and a strong flour, kneaded ten minutes."))
    with indexed.transaction():  # vectors written after the file was saved: the file is stale
        indexed.conn.execute("UPDATE vector_meta SET value = '999' WHERE key = 'generation'")
    reader = Store(db_path, read_only=True)
    try:
        index_passages_needed = hybrid_search(reader, "making noodles at home", SearchFilter(limit=1), mode="semantic")
        assert index_passages_needed.hits  # served from an index rebuilt in memory; the file is untouched
        assert json.loads((db_path.parent / "insights.db.usearch.json").read_text())["generation"] != 999
    finally:
        reader.close()


def test_cli_index_and_similar(indexed, db):
    runner = CliRunner()
    result = runner.invoke(index_, ["--db", db, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["unchanged"] == len(NOTES)
    result = runner.invoke(similar_, [note("gpu").id, "--db", db, "--json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    assert len(hits) == 2 and all(h["found_by"] == ["semantic"] for h in hits)
    result = runner.invoke(similar_, ["missing-id", "--db", db])
    assert result.exit_code == 1 and "No document 'missing-id'" in result.output


def test_cli_index_says_what_ran_the_model(store, db, embedder):
    add(store, note("gpu"))
    result = CliRunner().invoke(index_, ["--db", db], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert re.search(rf"1 embedded, .*\(all-MiniLM-L6-v2 in {re.escape(embedder.runtime())}, [\d.]+s\)", result.output)
    assert embedder.runtime().startswith("OpenVINO ")  # auto: the fastest runtime installed
    again = CliRunner().invoke(index_, ["--db", db, "--json"], catch_exceptions=False)
    assert json.loads(again.output)["runtime"] is None  # nothing embedded, nothing ran


def test_cli_index_with_another_model_is_refused(indexed, db):
    result = CliRunner().invoke(index_, ["--db", db, "--embedding-model", "all-MiniLM-L6-v2-static"])
    assert result.exit_code == 1
    assert "insights index --rebuild" in result.output and "Traceback" not in result.output


def test_install_embedding_check_verifies_the_checksum():
    require_model()
    result = CliRunner().invoke(install_embedding, ["--check"])
    assert result.exit_code == 0 and result.output.strip().endswith("model")


@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_offset_pages_through_the_ranking(indexed, mode):
    everything = hybrid_search(indexed, "bread football", SearchFilter(limit=4), mode=mode).hits
    second_page = hybrid_search(indexed, "bread football", SearchFilter(limit=2, offset=2), mode=mode).hits
    assert [h.passage_id for h in second_page] == [h.passage_id for h in everything[2:4]]


def test_a_vector_search_before_any_index_names_the_command_and_writes_nothing(store, db_path):
    add(store, note("baking"))
    with pytest.raises(EmbeddingError, match="has no passage vectors yet. Compute them with: insights index"):
        hybrid_search(store, "bread", mode="semantic")
    assert not (db_path.parent / "insights.db.usearch").exists()


@pytest.mark.sqlite_only(reason="the usearch file beside a SQLite workspace; PostgreSQL: tests/test_pg_vectors.py")
def test_an_index_file_of_other_dimensions_is_rebuilt(indexed, embedder, db_path):
    from usearch.index import Index

    Index(ndim=8, metric="cos").save(str(db_path.parent / "insights.db.usearch"))  # e.g. left by another model
    add(indexed, note("baking", text="Rye bread rises slowly overnight."))
    index_passages(indexed, embedder)
    assert (
        hybrid_search(indexed, "slow rye dough", SearchFilter(limit=1), mode="semantic").hits[0].id == note("baking").id
    )


def test_a_sentence_deep_inside_a_long_passage_is_found(store, embedder):
    filler = " ".join(
        f"Note {i}: the weekly meeting moved rooms again and the agenda stayed the same." for i in range(30)
    )
    body = filler + " Sourdough needs a starter fed with flour and water for a week before the first loaf."
    add(store, note("gpu", text=body), note("football"))
    report = index_passages(store, embedder)
    stored = store.rows("SELECT length(vector) AS n FROM passage_vectors ORDER BY length(vector) DESC")[0]["n"]
    assert report.embedded >= 2 and stored > 768  # several windows per long passage
    top = hybrid_search(store, "baking bread at home", SearchFilter(limit=1), mode="semantic").hits[0]
    assert top.id == note("gpu").id


def test_a_rebuild_never_serves_the_old_index_file(indexed, embedder, db_path):
    before = hybrid_search(indexed, "football score", SearchFilter(limit=1), mode="semantic").hits[0].passage_id
    with indexed.transaction():  # same passage ids, different texts: only fresh vectors can find the match
        indexed.execute(
            "UPDATE passages SET text = 'Goal in the last minute of the cup final.' WHERE id != ?", (before,)
        )
        indexed.execute("UPDATE passages SET text = 'Knitting a scarf with thick wool.' WHERE id = ?", (before,))
    index_passages(indexed, embedder, rebuild=True)
    assert hybrid_search(indexed, "football score", SearchFilter(limit=1), mode="semantic").hits[0].passage_id != before


def test_a_document_whose_other_passages_also_match_is_raised(store):
    long_doc = note("gpu", text="\n\n".join(f"Paragraph {i}. " + "tensor layout " * 90 for i in range(3)))
    add(store, long_doc, note("baking"))
    rows = store.rows("SELECT id, document_id FROM passages ORDER BY id")
    mine = [r["id"] for r in rows if r["document_id"] == long_doc.id]
    lone = next(r["id"] for r in rows if r["document_id"] == note("baking").id)
    assert len(mine) == 3
    found = [(lone, 0.50), (mine[0], 0.49), (mine[1], 0.40), (mine[2], 0.30)]
    doc_of = {pid: near.hit.id for pid, near in store.near_passages([pid for pid, _ in found]).items()}
    raised = hybrid._agreement(found, doc_of)
    assert [pid for pid, _ in raised][:2] == [mine[0], lone]  # 0.49 + 0.1 * mean(0.40, 0.30) beats a lone 0.50
    assert dict(raised)[lone] == 0.50 and dict(raised)[mine[2]] == pytest.approx(
        0.30 + 0.1 * 0.35
    )  # the same lift for every passage
    assert hybrid._agreement([], {}) == []
