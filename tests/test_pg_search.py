"""Full-text search on PostgreSQL: hostile queries, the raw query language, phrases, prefixes,
filters, ranking and snippets; plus the portable SQL the verifiers share with SQLite.

Tests on ``pg_store`` run on the throwaway cluster only; those on ``store`` run on both
backends. The general search behaviour (ranking against a naive reference, filters, caps)
is tested on both backends in test_search.py."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepinsights.backends.postgresql.search import translate
from deepinsights.distill.measure import rows as measure_rows
from deepinsights.errors import SearchError, VerificationError
from deepinsights.models import HIGHLIGHT_END, HIGHLIGHT_START, Document, ImportReport, SearchFilter
from deepinsights.query import MAX_QUERY_CHARS
from deepinsights.search import search
from deepinsights.verify.counting import tally

pytestmark = pytest.mark.postgresql

TEXTS = {
    "ml": "The state-of-the-art machine learning of Software 2.0, said O'Neil.",
    "reverse": "Learning about the machine, not machine learning: a different order.",
    "quotes": 'He wrote "AND" and OR and NOT, then C:\\path\\file and a & b | !c.',
    "emoji": "Rockets 🚀 and café naïve words.",
    "long": " ".join(["filler"] * 300) + " the needle is here " + " ".join(["padding"] * 300),
}

HOSTILE = [
    '"',
    '"unbalanced',
    "it's",
    "O'Neil",
    "state-of-the-art",
    "-machine",
    "AND",
    "OR NOT AND",
    "a AND OR b",
    "((( machine",
    "machine )))",
    "word:*",
    ":*",
    "&|!",
    "a & b | !c",
    "<-> <2> machine",
    "C:\\path\\file",
    "\\",
    "\\'",
    "x\x00y",
    "\x00",
    "🚀",
    "💥 machine 💥",
    "\ud800 lone surrogate",
    "NEAR(machine learning, 2)",
    "title : machine",
    "*",
    "' OR 1=1 --",
    "'); DROP TABLE passages; --",
    "$1 %s %(x)s ? ?? {0}",
    "machine " * 5000,
    "x" * 100_000,
]


def add(store, docs: dict[str, str], **fields) -> None:
    documents = [
        Document("t", key, fields.get("kind", "post"), text, title=fields.get("titles", {}).get(key),
                 url=f"https://example.org/{key}", published_at=datetime(2021, 1, 1, tzinfo=UTC))
        for key, text in docs.items()
    ]  # fmt: skip
    with store.transaction():
        store.upsert_documents(documents, ImportReport(), thinker="ada")


@pytest.fixture
def corpus(pg_store):
    add(pg_store, TEXTS)
    return pg_store


def ids(results) -> set[str]:
    keys = {Document("t", key, "post", "").id: key for key in TEXTS}
    return {keys[hit.id] for hit in results.hits}


# -- hostile input ------------------------------------------------------------------------------


def test_hostile_plain_queries_never_raise(corpus):
    for query in HOSTILE:
        for prefix_last in (False, True):
            results = search(corpus, query, SearchFilter(limit=5), prefix_last=prefix_last)
            assert results.matched >= len(results.hits), query
            assert all(HIGHLIGHT_START not in hit.text for hit in results.hits), query


def test_hostile_raw_queries_raise_only_search_errors(corpus):
    for query in HOSTILE:
        try:
            search(corpus, query, SearchFilter(limit=5), raw=True)
        except SearchError as error:
            assert "\n" not in str(error), query
            assert str(error).endswith(("Drop --fts to search for the words.", "shorten it.")), query


def test_hostile_plain_text_is_searched_as_words(corpus):
    for query, expected in [
        ("O'Neil", {"ml"}),
        ("state-of-the-art", {"ml"}),
        ("C:\\path\\file", {"quotes"}),
        ("AND", {"quotes", "emoji"}),  # a query that is only AND looks for the word, as on SQLite
        ("OR NOT", {"quotes"}),  # plain text: operators are words
        ("a & b | !c", {"quotes"}),
        ("Software 2.0", {"ml"}),
        ("💥 machine 💥", {"ml", "reverse"}),  # a piece with nothing searchable drops out
        ("machine " * 5000, {"ml", "reverse"}),
        ("'); DROP TABLE passages; --", set()),
    ]:
        assert ids(search(corpus, query)) == expected, query
    assert ids(search(corpus, "machine")) == {"ml", "reverse"}  # the table is still there


def test_nul_and_lone_surrogates_are_searchable_around(corpus):
    assert ids(search(corpus, "machine\x00learning")) == {"ml", "reverse"}
    assert ids(search(corpus, "\ud800 machine")) == {"ml", "reverse"}


def test_a_raw_query_longer_than_the_limit_is_refused(corpus):
    with pytest.raises(SearchError, match=f"longer than {MAX_QUERY_CHARS}"):
        search(corpus, "x " * MAX_QUERY_CHARS, raw=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list("ab \"'()|&!-*:<>\\0123AORNDT~^+,.é🚀\x00")), max_size=40))
def test_any_raw_query_becomes_a_valid_tsquery_or_a_search_error(pg_store, query):
    try:
        tsquery = translate(pg_store, query)
    except SearchError:
        return
    assert pg_store.rows("SELECT numnode(?::tsquery) AS n", [tsquery])[0]["n"] >= 0


# -- phrases, prefixes, the raw language --------------------------------------------------------


def test_quoted_words_stay_a_phrase(corpus):
    assert ids(search(corpus, '"machine learning"')) == {"ml", "reverse"}
    assert ids(search(corpus, '"learning machine"')) == set()
    assert ids(search(corpus, '"the machine"')) == {"reverse"}
    assert ids(search(corpus, "the machine")) == {"ml", "reverse"}


def test_prefix_on_the_last_word_while_typing(corpus):
    assert ids(search(corpus, "machine learn", prefix_last=True)) == {"ml", "reverse"}
    assert ids(search(corpus, "softw", prefix_last=True)) == {"ml"}
    assert ids(search(corpus, "softw")) == set()
    assert ids(search(corpus, "so", prefix_last=True)) == set()  # too short to expand, as on SQLite
    assert search(corpus, "softw", prefix_last=True).fts_query == "( 'softw':* )"


def test_raw_language(corpus):
    for query, expected in [
        ('needle OR "different order"', {"long", "reverse"}),
        ("machine NOT software", {"reverse"}),
        ("machine -software", {"reverse"}),
        ("machine !software", {"reverse"}),
        ("(needle | rockets) & !café", {"long"}),
        ("machine <-> learning", {"ml", "reverse"}),
        ("about <2> machine", {"reverse"}),
        ("softw*", {"ml"}),
        ("softw:*", {"ml"}),
        ('"state of"*', {"ml"}),
        ("title : reverse", set()),
        ("text : needle", {"long"}),
        ("café", {"emoji"}),
    ]:
        assert ids(search(corpus, query, raw=True)) == expected, query


def test_malformed_raw_query_is_a_search_error(corpus):
    for query in ['"unbalanced', "a AND", "NEAR(a b)", "x:y", "(((", "a)", "* nothing", "-machine", "NOT a", "a |"]:
        with pytest.raises(SearchError, match="Malformed full-text query") as error:
            search(corpus, query, raw=True)
        assert "\n" not in str(error.value) and "Drop --fts" in str(error.value), query


def test_a_query_of_punctuation_only_searches_nothing(corpus):
    for query, raw in [
        ("( ) - * :", False),
        ('""', True),
        ("🚀", False),
        ('"..." OR "!!"', True),
        ('"..." -machine', True),
    ]:
        results = search(corpus, query, raw=raw)
        assert results.hits == [] and results.fts_query == ""


# -- ranking, filters, snippets -----------------------------------------------------------------


def test_title_matches_rank_first_and_scores_are_positive(pg_store):
    texts = {"a": "a note on tokenizers and more", "b": "a note on other things", "c": "notes on tokenizers here"}
    add(pg_store, texts, titles={"b": "Tokenizers"})
    hits = search(pg_store, "tokenizers").hits
    assert hits[0].id == Document("t", "b", "post", "").id
    assert all(h.score > 0 for h in hits) and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_more_occurrences_rank_higher_and_nothing_is_unweighted(corpus):
    add(corpus, {"twice": "machine and machine again here", "once": "machine and other words here"})
    results = search(corpus, "machine", SearchFilter(kinds=("post",)))
    ranked = [hit.id for hit in results.hits]
    assert ranked.index(Document("t", "twice", "post", "").id) < ranked.index(Document("t", "once", "post", "").id)
    assert results.unweighted == [] and not results.capped


def test_capped_ranks_the_newest_matches(corpus):
    results = search(corpus, "machine", candidates=1)
    assert results.capped and results.matched == 1 and ids(results) == {"reverse"}  # imported after "ml"


def test_filters(corpus):
    assert ids(search(corpus, "machine", SearchFilter(thinker="nobody"))) == set()
    assert ids(search(corpus, "machine", SearchFilter(kinds=("tweet",)))) == set()
    assert ids(search(corpus, "machine", SearchFilter(since="2021-01-01", until="2021"))) == {"ml", "reverse"}
    assert ids(search(corpus, "machine", SearchFilter(until="2020-12"))) == set()
    with pytest.raises(SearchError, match="not a date"):
        search(corpus, "machine", SearchFilter(since="'; DROP TABLE documents; --"))


def test_snippets_highlight_the_match_and_mark_cuts(corpus):
    (hit,) = search(corpus, "needle").hits
    assert f"{HIGHLIGHT_START}needle{HIGHLIGHT_END}" in hit.snippet
    assert hit.snippet.startswith("…") and hit.snippet.endswith("…") and len(hit.snippet) < 300
    (whole,) = search(corpus, "rockets").hits
    plain = whole.snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    assert plain == TEXTS["emoji"] and whole.snippet.startswith(f"{HIGHLIGHT_START}Rockets{HIGHLIGHT_END}")


def test_hits_carry_the_same_fields_as_on_sqlite(corpus):
    (hit,) = search(corpus, "needle").hits
    assert hit.url == "https://example.org/long" and hit.published_at == "2021-01-01T00:00:00Z"
    assert hit.thinker == "ada" and hit.kind == "post" and hit.found_by == ()
    assert "needle" in hit.text and hit.text in TEXTS["long"]  # the passage, not the whole document
    assert isinstance(hit.passage_id, int) and corpus.passage(hit.passage_id)["text"] == hit.text


def test_offset_pages(corpus):
    full = [h.passage_id for h in search(corpus, "machine OR needle OR rockets", raw=True).hits]
    assert len(full) == 4
    assert [
        h.passage_id
        for h in search(corpus, "machine OR needle OR rockets", SearchFilter(limit=2, offset=1), raw=True).hits
    ] == (full[1:3])


# -- the verifiers' SQL on both backends ----------------------------------------------------------


def test_the_same_fts5_query_matches_the_same_passages_on_both_backends(store):
    add(store, TEXTS, titles={"emoji": "Space"})
    for fts, expected in [('text : "needle"', 1), ('title : ("space" OR "other")', 1), ('"machine learning"', 2)]:
        assert len(store.passages_matching(fts, thinker=None, limit=100)) == expected, fts
    assert store.count_matches(['text : "needle"', '"machine learning"'], cap=1) == [1, 1]


def test_counting_treats_like_wildcards_as_text(store):
    add(store, {"u1": "one", "u2": "two", "u_b": "three"})
    assert tally(store, SearchFilter(url_contains="example.org/u1")).documents == 1
    assert tally(store, SearchFilter(url_contains="EXAMPLE.ORG/U")).documents == 3
    assert tally(store, SearchFilter(url_contains="example.org/u_")).documents == 1  # only the one with "_"
    assert tally(store, SearchFilter(url_contains="%")).documents == 0


def test_a_malformed_count_query_is_a_verification_error(store):
    add(store, {"u1": "one"})
    with pytest.raises(VerificationError, match="Count query"):
        tally(store, SearchFilter(), '"unbalanced')


def test_measure_rows_come_in_the_same_order_on_both_backends(store):
    docs = [
        Document("t", "late", "post", "late words", published_at=datetime(2022, 1, 1, tzinfo=UTC)),
        Document("t", "undated", "post", "undated words"),
        Document("t", "early", "post", "early words", published_at=datetime(2020, 1, 1, tzinfo=UTC)),
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker="ada")
    assert [row.text for row in measure_rows(store, "ada")] == ["undated words", "early words", "late words"]
