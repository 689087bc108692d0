"""verify_profile on a small real store: quotes, recounts, order, sources, dates, score and failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.models import Document, ImportReport
from deepinsights.profile import load_profile, parse_profile
from deepinsights.verify import VERBATIM, verify_profile
from deepinsights.verify.order import average_ranks, spearman

PROFILE = """
identity: {slug: ada, name: Ada Example}
axioms:
  - number: 1
    title: Small things
    quotes:
      - text: "Small programs teach more than big frameworks."
        source: {title: 'Blog post "Small Programs" (2021)'}
      - text: "Small programs teach more than huge frameworks."
        source: {title: Small Programs}
      - text: "I never said this at all, honestly."
        source: {title: Lex Fridman podcast}
    sources:
      - {title: Lex Fridman podcast}
      - {title: 'Small Programs'}
      - {title: tweets}
    counts:
      - {label: tweets about factories, claimed: 2, query: factory, kinds: [tweet]}
lineage:
  - {name: Factorio, claimed_count: 2, count_query: 'factorio OR "factory game"'}
  - {name: Tolkien, claimed_count: 5, count_query: Tolkien}
  - {name: Asimov, count_query: Asimov}
  - {name: Broken, claimed_count: 1, count_query: 'NEAR(('}
mental_models_ordered_by_frequency: true
mental_models:
  - {rank: 1, title: Factories, query: factory}
  - {rank: 2, title: Small, query: small}
  - {rank: 3, title: Tolkien, query: Tolkien}
corpus_claims:
  - {label: tweets, items: 3, kinds: [tweet], first: 2020-01, last: 2021, words_claimed: 30}
  - {label: blog posts, items: 1, kinds: [post], url_contains: ada.example}
  - {label: podcasts, items: 4}
known_gaps: [Her PhD thesis]
"""


def _doc(source_id: str, kind: str, text: str, when: str, **fields: str) -> Document:
    moment = datetime.fromisoformat(when).replace(tzinfo=UTC)
    return Document("test", source_id, kind, text, published_at=moment, **fields)  # type: ignore[arg-type]


@pytest.fixture
def ada(store: Store) -> Store:
    docs = [
        _doc("p1", "post", "Small programs teach more than big frameworks. " + "Factorio is a factory game. " * 80,
             "2021-03-01", title="Small Programs", url="https://ada.example/small"),
        _doc("t1", "tweet", "Building a factory in Factorio again tonight", "2020-01-05"),
        _doc("t2", "tweet", "The factory must grow, small steps", "2020-06-01"),
        _doc("t3", "tweet", "Reading Tolkien by the fire", "2021-11-30"),
    ]  # fmt: skip
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker="ada")
    return store


def test_quotes_are_located_with_sources(ada: Store) -> None:
    report = verify_profile(parse_profile(PROFILE), ada)
    statuses = [(q.path, q.result.status) for q in report.quotes]
    assert statuses == [
        ("axioms[0].quotes[0]", "verbatim"),
        ("axioms[0].quotes[1]", "approximate"),
        ("axioms[0].quotes[2]", "not_found"),
    ]
    assert report.quotes[0].in_cited_source is True
    assert report.quotes[0].item == "Axiom 1: Small things"
    assert report.quotes[1].result.diff[-2].corpus == "big"


def test_counts_are_documents_not_passages(ada: Store) -> None:
    report = verify_profile(parse_profile(PROFILE), ada)
    factorio = report.item("lineage.factorio")
    assert factorio is not None and factorio.to_dict()["measured"] == 2  # the long post has 3 passages
    assert ada.rows("SELECT count(*) AS n FROM passages WHERE text LIKE '%Factorio%'")[0]["n"] >= 3
    assert factorio.to_dict()["status"] == "match"
    counts = {c.id: c for c in report.counts}
    assert (counts["lineage.tolkien"].measured, counts["lineage.tolkien"].status) == (1, "mismatch")
    assert counts["lineage.asimov"].status == "measured"
    assert counts["lineage.broken"].status == "unverifiable" and "not valid FTS5" in (
        counts["lineage.broken"].note or ""
    )
    assert (counts["axioms.1.tweets-about-factories"].measured, counts["axioms.1.tweets-about-factories"].status) == (
        2, "match")  # fmt: skip
    assert [m.id for m in counts["lineage.factorio"].matches][0] == counts["lineage.factorio"].matches[0].id
    assert counts["lineage.factorio"].first_seen == "2020-01-05T00:00:00Z"


def test_corpus_claims_recount_items_words_and_dates(ada: Store) -> None:
    counts = {c.id: c for c in verify_profile(parse_profile(PROFILE), ada).counts}
    assert (counts["corpus.tweets.items"].measured, counts["corpus.tweets.items"].status) == (3, "match")
    assert (counts["corpus.tweets.words"].measured, counts["corpus.tweets.words"].status) == (18, "mismatch")
    assert (counts["corpus.tweets.first"].measured, counts["corpus.tweets.first"].status) == ("2020-01-05", "match")
    assert counts["corpus.tweets.last"].status == "match"
    assert counts["corpus.blog-posts.items"].status == "match"
    assert counts["corpus.podcasts.items"].status == "unverifiable"


def test_order_is_compared_with_measured_frequency(ada: Store) -> None:
    order = verify_profile(parse_profile(PROFILE), ada).order
    assert order.claimed
    assert [(r.rank, r.documents) for r in order.rows] == [(1, 3), (2, 2), (3, 1)]
    assert order.spearman == 1.0


def test_sources_and_computed_gaps(ada: Store) -> None:
    report = verify_profile(parse_profile(PROFILE), ada)
    status = {s.title: s.status for s in report.sources}
    assert status['Blog post "Small Programs" (2021)'] == "found"
    assert status["Small Programs"] == "found"
    assert status["tweets"] == "kind"
    assert status["Lex Fridman podcast"] == "missing"
    assert report.computed_gaps == ["Lex Fridman podcast"]
    assert report.known_gaps == ["Her PhD thesis"]


def test_seen_dates_and_summary(ada: Store) -> None:
    report = verify_profile(parse_profile(PROFILE), ada)
    seen = {s.id: s for s in report.seen}
    assert (seen["lineage.factorio"].first, seen["lineage.factorio"].last) == (
        "2020-01-05T00:00:00Z",
        "2021-03-01T00:00:00Z",
    )
    assert seen["axioms.1"].documents == 3
    summary = report.summary
    assert summary.quotes == {"verbatim": 1, "approximate": 1, "not_found": 0, "unverifiable_here": 1}
    # quotes 1 + 0.5 (the one citing a podcast the store lacks is not scored); numbers: factorio 1, tolkien 0,
    # axiom count 1, tweets items/words/first/last 1+0+1+1, blog posts 1; order 1.0 → 8.5 points of 11 claims
    assert summary.scored_claims == 11
    assert summary.grounding == round(100 * 8.5 / 11, 1)
    assert "1 verbatim, 1 approximate, 0 not found, 1 unverifiable here" in summary.line()
    assert summary.here_lines() == [
        "unverifiable here: no transcripts imported — import the talks' captions or transcripts to check 1 claim"
    ]
    assert json.loads(json.dumps(report.to_dict()))["summary"]["grounding"] == summary.grounding


def test_failures_list_what_strict_fails_on(ada: Store) -> None:
    failures = verify_profile(parse_profile(PROFILE), ada).failures()
    assert "axioms[0].quotes[1]: approximate" in failures
    assert "lineage.tolkien: claimed 5, measured 1" in failures
    assert not any(f.startswith("axioms[0].quotes[0]") for f in failures)


def test_a_store_without_the_thinker_is_checked_whole_with_a_note(store: Store) -> None:
    with store.transaction():
        store.upsert_documents([_doc("x", "post", "Small programs teach more than big frameworks.", "2022-01-01")],
                               ImportReport(), thinker="someone-else")  # fmt: skip
    report = verify_profile(parse_profile(PROFILE), store)
    assert report.thinker is None and "no documents of thinker 'ada'" in report.notes[0]
    assert report.quotes[0].result.status == VERBATIM


def test_the_packaged_karpathy_profile_verifies_on_an_empty_store(store: Store) -> None:
    report = verify_profile(load_profile("karpathy"), store)
    assert report.summary.quotes["verbatim"] == 0
    assert report.computed_gaps and report.summary.grounding >= 0
    json.dumps(report.to_dict())


def test_spearman_and_ranks() -> None:
    assert average_ranks([10, 20, 20, 5]) == [2.0, 3.5, 3.5, 1.0]
    assert spearman([1, 2, 3], [1, 2, 3]) == 1.0
    assert spearman([1, 2, 3], [3, 2, 1]) == -1.0
    assert spearman([1, 2, 3], [5, 5, 5]) is None
