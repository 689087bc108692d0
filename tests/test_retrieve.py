"""A search ranks in one call into the workspace (``Workspace.retrieve`` runs a ``SearchPlan``'s rankings, alike
on both backends), then highlights only the hits it shows, those found by words, in a second (``dress``).

Each ``store`` test runs on SQLite and on PostgreSQL with pgvector (``db`` comes from
tests/pgvector.py's cluster). The web's search is counted through a workspace that records
every call made on it; ``retrieve`` is held against the workspace's own rankings
(``search``, ``vector_index(...).nearest``, ``passage``), and the two backends against each
other for the same plan.
"""

from __future__ import annotations

from typing import Any

import pytest

from deepinsights.errors import EmbeddingError
from deepinsights.models import SearchFilter, SearchPlan, SearchResults
from deepinsights.semantic.groups import grouped_search
from deepinsights.semantic.hybrid import hybrid_search, query_vector
from deepinsights.semantic.index import index_passages, model_input, text_hash
from deepinsights.semantic.registry import DEFAULT_MODEL
from deepinsights.web.corpus import Corpus, SearchParams
from deepinsights.workspace import Workspace, open_store

from . import pgvector
from .pgvector import db  # noqa: F401  # conftest's store on the cluster with pgvector
from .test_semantic_search import NOTES, add, embedder, indexed, note  # noqa: F401

ANY_WORD = '"sourdough" OR "bread" OR "starter"'


class Counting:
    """A workspace that records the name of every method called on it, in order."""

    def __init__(self, store: Workspace) -> None:
        self.store = store
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        value = getattr(self.store, name)
        if not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return value(*args, **kwargs)

        return call


def passages_of(results: SearchResults) -> list[int]:
    return [h.passage_id for h in results.hits]


# -- one call per search ---------------------------------------------------------------


def test_a_web_search_ranks_in_one_call_and_highlights_its_page_in_another(indexed, db):  # noqa: F811
    """The page's search asks which vectors the workspace holds (to plan), retrieves once, then dresses its page."""
    corpus = Corpus(db)
    try:
        for params, expected in [
            (SearchParams("sourdough bread starter"), ["indexed_model", "retrieve", "dress"]),  # hybrid, any-word
            (SearchParams("sourdough starter", mode="semantic"), ["indexed_model", "retrieve"]),  # nothing by words
            (SearchParams("sourdough", mode="bm25"), ["retrieve", "dress"]),
        ]:
            counting = Counting(indexed)
            found = corpus._search(counting, params)
            assert found["hits"] and counting.calls == expected, params
    finally:
        corpus.close()


@pytest.mark.parametrize(("mode", "raw"), [(None, False), ("hybrid", False), ("semantic", False), (None, True)])
def test_every_kind_of_search_retrieves_once(indexed, mode, raw):  # noqa: F811
    counting = Counting(indexed)
    grouped, notice = grouped_search(counting, "sourdough", SearchFilter(limit=3), mode=mode, raw=raw)
    assert grouped.groups and notice is None
    assert counting.calls.count("retrieve") == 1 and set(counting.calls) <= {"indexed_model", "retrieve", "dress"}
    after = counting.calls[counting.calls.index("retrieve") + 1 :]
    expected = [] if mode == "semantic" else ["dress"]  # hits found only by meaning have no words to highlight
    assert after == expected, "fusion reads nothing from the workspace; only the page is dressed, once"


# -- what retrieve returns ----------------------------------------------------------------


def test_retrieve_runs_each_ranking_as_the_workspace_does_and_reads_the_nearest_passages(indexed):  # noqa: F811
    vector = query_vector("sourdough bread starter", DEFAULT_MODEL)
    words, near = SearchFilter(limit=50), SearchFilter(kinds=("note",), limit=100)
    plan = SearchPlan(
        "sourdough bread starter", words=words, any_word=ANY_WORD, model=DEFAULT_MODEL, near=near, vector=vector
    )
    found = indexed.retrieve(plan)
    assert found.any_word, "no passage has every word, so the any-word query stood in"
    assert passages_of(found.words) == passages_of(indexed.search(ANY_WORD, words, raw=True))
    assert found.nearest == indexed.vector_index(DEFAULT_MODEL).nearest(vector, near, 100)
    assert set(found.passages) == {pid for pid, _ in found.nearest}
    assert len(found.nearest) == 3, "every note (the empty one has no passage), and not the post"
    assert {p.hit.kind for p in found.passages.values()} == {"note"}
    for pid, passage in found.passages.items():
        row = indexed.passage(pid)
        assert row is not None and (passage.hit.id, passage.hit.text) == (row["document_id"], row["text"])
        assert passage.text_hash == text_hash(model_input(row["title"], row["text"]))

    every_word = indexed.retrieve(SearchPlan("sourdough starter", words=words, any_word=ANY_WORD))
    assert not every_word.any_word and every_word.nearest == [] and every_word.passages == {}
    assert passages_of(every_word.words) == passages_of(indexed.search("sourdough starter", words))


def test_a_plan_with_no_rankings_reads_nothing_and_one_without_vectors_is_refused(store):
    add(store, note("baking"))
    nothing = store.retrieve(SearchPlan("!!!"))
    assert nothing.words.hits == [] and nothing.nearest == [] and not nothing.any_word
    plan = SearchPlan("bread", words=SearchFilter(), model=DEFAULT_MODEL, near=SearchFilter(limit=100))
    with pytest.raises(EmbeddingError, match="has no passage vectors yet. Compute them with: insights index"):
        store.retrieve(plan)


def test_a_stale_vector_is_read_with_its_old_hash_and_fusion_drops_it(indexed):  # noqa: F811
    top = hybrid_search(indexed, "sourdough starter", SearchFilter(limit=1), mode="semantic").hits[0]
    with indexed.transaction():
        indexed.execute("UPDATE passages SET text = 'Knitting a scarf.' WHERE id = ?", (top.passage_id,))
    passage = indexed.near_passages([top.passage_id])[top.passage_id]
    assert passage.text_hash != text_hash(model_input(passage.title, passage.hit.text))
    after = hybrid_search(indexed, "sourdough starter", SearchFilter(limit=len(NOTES)), mode="semantic")
    assert top.passage_id not in passages_of(after)


# -- the two backends alike -----------------------------------------------------------------


def test_both_backends_retrieve_the_same_candidates_for_the_same_plan(tmp_path, request, embedder):  # noqa: F811
    stores = [open_store(tmp_path / "insights.db"), open_store(pgvector.fresh_url(request))]
    try:
        for store in stores:
            add(store, *(note(k, kind="post" if k == "gpu" else "note") for k in NOTES))
            index_passages(store, embedder)
        vector = query_vector("bread from a starter", DEFAULT_MODEL)
        for plan in [
            SearchPlan("sourdough bread starter", words=SearchFilter(limit=50), any_word=ANY_WORD),
            SearchPlan("flour", words=SearchFilter(), model=DEFAULT_MODEL, near=SearchFilter(limit=100), vector=vector),
            SearchPlan("x", model=DEFAULT_MODEL, near=SearchFilter(since="2021", limit=2), vector=vector),
        ]:
            sqlite, postgresql = (_comparable(store, store.retrieve(plan)) for store in stores)
            assert (sqlite["words"] or sqlite["nearest"]) and sqlite == postgresql, plan
    finally:
        for store in stores:
            store.close()


def _comparable(store: Workspace, found: Any) -> dict[str, Any]:
    """``found`` with each passage named by (document, ordinal), cosines rounded, the BM25 order as a set."""
    place = {r["id"]: (r["document_id"], r["ordinal"]) for r in store.passage_positions(_ids(found))}
    fields = [
        (place[pid], p.hit.id, p.hit.kind, p.hit.thinker, p.hit.published_at, p.hit.text, p.title, p.text_hash)
        for pid, p in found.passages.items()
    ]
    return {
        "words": sorted(place[h.passage_id] for h in found.words.hits),
        "matched": found.words.matched,
        "any_word": found.any_word,
        "nearest": [(place[pid], round(cosine, 2)) for pid, cosine in found.nearest],
        "passages": sorted(fields),
    }


def _ids(found: Any) -> list[int]:
    return sorted({h.passage_id for h in found.words.hits} | {pid for pid, _ in found.nearest})
