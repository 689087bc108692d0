"""Search on real workspaces: safe queries, exact BM25 for selective queries, common words,
capped ranking, filters, raw FTS5 mode, snippets, and the CLI's JSON.

Tests using ``store`` run on SQLite and PostgreSQL; the reference ranking (``naive``) is
each backend's own function over every match (FTS5 bm25, ts_rank_cd). PostgreSQL-only
behaviour is tested in test_pg_search.py."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime

import pytest

from deepinsights import query as query_module
from deepinsights.backends.sqlite import Store
from deepinsights.backends.sqlite import search as search_module
from deepinsights.errors import SearchError
from deepinsights.models import HIGHLIGHT_END, HIGHLIGHT_START, Anchor, Document, ImportReport, SearchFilter
from deepinsights.query import build_fts_query
from deepinsights.search import hit_dict, search

HIT_KEYS = {"id", "thinker", "kind", "title", "snippet", "url", "published_at", "score"}
STATS_KEYS = {"thinker", "kind", "items", "words", "first", "last"}


def doc(n: int, text: str, **fields) -> Document:
    defaults = dict(
        source="test",
        source_id=str(n),
        kind="tweet",
        text=text,
        thinker="alice",
        url=f"https://example.org/{n}",
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    defaults.update(fields)
    return Document(**defaults)


def add(store: Store, docs: list[Document]) -> None:
    report = ImportReport()
    with store.transaction():
        store.upsert_documents(iter(docs), report)


def naive(store: Store, fts: str, k: int) -> list[tuple[int, float]]:
    """The reference: every match of the FTS5 query ranked by bm25 (SQLite) or ts_rank_cd (PostgreSQL)."""
    if store.backend == "postgresql":
        from deepinsights.backends.postgresql.search import NORMALIZATION, WEIGHTS, translate

        sql = (
            f"SELECT id, ts_rank_cd('{WEIGHTS}', tsv, q, {NORMALIZATION}) AS s "
            "FROM passages, (SELECT ?::tsquery AS q) x WHERE tsv @@ q ORDER BY s DESC, id DESC LIMIT ?"
        )
        return [(row["id"], round(row["s"], 4) + 0.0) for row in store.rows(sql, [translate(store, fts), k])]
    sql = (
        "SELECT rowid, bm25(passages_fts, 2.0, 1.0) AS s FROM passages_fts WHERE passages_fts MATCH ? "
        "ORDER BY s LIMIT ?"
    )
    return [(rowid, round(-score, 4) + 0.0) for rowid, score in store.conn.execute(sql, (fts, k))]


def ranked(results) -> list[tuple[int, float]]:
    return [(h.passage_id, h.score) for h in results.hits]


def same_ranking(ours: list[tuple[int, float]], reference: list[tuple[int, float]]) -> bool:
    """Equal scores in the same order; ids equal too, except that ties may come in any order."""
    if [s for _, s in ours] != [s for _, s in reference]:
        return False
    groups: dict[float, tuple[set[int], set[int]]] = {}
    for (a, score), (b, _) in zip(ours, reference, strict=True):
        mine, theirs = groups.setdefault(score, (set(), set()))
        mine.add(a)
        theirs.add(b)
    last = ours[-1][1] if ours else None
    return all(mine == theirs for score, (mine, theirs) in groups.items() if score != last)


@pytest.fixture
def corpus(store):
    """300 documents of random words from a skewed vocabulary; 'w0' is in nearly every one."""
    rng = random.Random(5)
    vocab = [f"w{i}" for i in range(400)]
    weights = [1 / (i + 1) for i in range(400)]
    docs = []
    for n in range(300):
        words = rng.choices(vocab, weights, k=rng.randint(3, 30))
        docs.append(doc(n, " ".join(["w0", *words]), kind="reply" if n % 3 == 0 else "tweet"))
    add(store, docs)
    return store


# -- query building ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("software 2.0", '"software" "2.0"'),
        ('"a phrase" and more', '"a phrase" "and" "more"'),
        ("cats AND dogs", '"cats" "dogs"'),
        ("NEAR(a b) -x *y", '"NEAR(a" "b)" "-x" "*y"'),
        ('unbalanced "quote', '"unbalanced" "quote"'),
        ("( ) - * : ^", ""),
        ("", ""),
        ("naïve café", '"naïve" "café"'),
    ],
)
def test_build_fts_query(text, expected):
    assert build_fts_query(text) == expected


def test_prefix_applies_to_a_last_word_long_enough_and_still_being_typed():
    assert build_fts_query("large langu", prefix_last=True) == '"large" "langu"*'
    assert build_fts_query("large la", prefix_last=True) == '"large" "la"'
    assert build_fts_query("large langu ", prefix_last=True) == '"large" "langu"'
    assert build_fts_query('large "langu"', prefix_last=True) == '"large" "langu"'


def test_query_length_and_terms_are_bounded():
    assert build_fts_query("word " * 500).count('"word"') == query_module.MAX_TERMS
    assert len(build_fts_query("x" * 5000)) == query_module.MAX_QUERY_CHARS + 2


# -- ranking ----------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["w5", "w17 w3", "w9 w12", "w40", '"w1 w2"', "w399"])
@pytest.mark.parametrize("sample_rows", [10**9, 50])
def test_selective_queries_rank_exactly_like_naive_bm25(corpus, monkeypatch, query, sample_rows):
    monkeypatch.setattr(search_module, "SAMPLE_ROWS", min(sample_rows, 10**9))
    results = search(corpus, query, SearchFilter(limit=1000))
    assert not results.capped and results.unweighted == []
    reference = naive(corpus, build_fts_query(query), 1000)
    assert results.matched == len(reference)
    assert same_ranking(ranked(results), reference)


@pytest.mark.sqlite_only(reason="BM25's IDF planning (unweighted phrases); ts_rank_cd has no IDF to skip")
def test_very_common_word_is_required_but_not_weighted(corpus, monkeypatch):
    monkeypatch.setattr(search_module, "SAMPLE_ROWS", 50)
    results = search(corpus, "w0 w7", SearchFilter(limit=1000))
    assert results.unweighted == ['"w0"'] and not results.capped
    assert same_ranking(ranked(results), naive(corpus, '"w7"', 1000))
    everything = search(corpus, "w0", SearchFilter(limit=5), candidates=100)
    assert everything.unweighted == ['"w0"'] and everything.capped
    assert [h.score for h in everything.hits] == [0.0] * 5


@pytest.mark.sqlite_only(reason="BM25's IDF budget; ts_rank_cd has no IDF to skip")
def test_expensive_words_are_not_weighted_when_over_the_idf_budget(corpus, monkeypatch):
    monkeypatch.setattr(search_module, "SAMPLE_ROWS", 50)
    monkeypatch.setattr(search_module, "IDF_BUDGET", 40)
    results = search(corpus, "w1 w60", SearchFilter(limit=1000))
    assert results.unweighted == ['"w1"']
    assert same_ranking(ranked(results), [h for h in naive(corpus, '"w60"', 1000) if h[0] in dict(ranked(results))])


def test_non_selective_query_ranks_the_most_recent_matches(corpus):
    every = naive(corpus, '"w1"', 1000)
    results = search(corpus, "w1", SearchFilter(limit=1000), candidates=20)
    assert results.capped and results.matched == 20
    newest = sorted((rowid for rowid, _ in every), reverse=True)[:20]
    assert sorted(h.passage_id for h in results.hits) == sorted(newest)
    assert same_ranking(ranked(results), [h for h in every if h[0] in newest])


@pytest.mark.sqlite_only(reason="BM25's IDF planning (unweighted phrases); ts_rank_cd has no IDF to skip")
def test_a_capped_query_with_an_unweighted_word_ranks_its_newest_matches_by_the_others(corpus, monkeypatch):
    monkeypatch.setattr(search_module, "SAMPLE_ROWS", 50)
    both = {rowid for rowid, _ in naive(corpus, '"w1" "w7"', 1000)}
    newest = sorted(both, reverse=True)[:10]
    results = search(corpus, "w1 w7", SearchFilter(limit=1000), candidates=10)
    assert results.capped and results.matched == 10 and results.unweighted == ['"w1"']
    assert same_ranking(ranked(results), [h for h in naive(corpus, '"w7"', 1000) if h[0] in newest])
    page = search(corpus, "w1 w7", SearchFilter(limit=4, offset=3), candidates=10)
    assert ranked(page) == ranked(results)[3:7]


def test_offset_pages_through_the_ranking(corpus):
    full = ranked(search(corpus, "w3", SearchFilter(limit=50)))
    assert ranked(search(corpus, "w3", SearchFilter(limit=5, offset=10))) == full[10:15]


def test_empty_and_punctuation_queries_return_nothing(corpus):
    for query in ["", "   ", "-", '""', "( )"]:
        results = search(corpus, query)
        assert results.hits == [] and results.matched == 0


# -- filters -------------------------------------------------------------------------------------


@pytest.fixture
def dated(store):
    days = ["2021-12-31T23:59:59Z", "2022-01-01T00:00:00Z", "2022-03-15T12:00:00Z", "2022-12-31T23:59:59Z"]
    docs = [
        doc(n, f"dated entry {n}", published_at=datetime.fromisoformat(day), kind=kind, thinker=thinker)
        for n, (day, kind, thinker) in enumerate(
            zip(days, ["tweet", "reply", "tweet", "post"], ["alice", "alice", "bob", "alice"], strict=True)
        )
    ]
    docs.append(doc(9, "dated entry undated", published_at=None))
    add(store, docs)
    return store


def dates(results) -> list[str]:
    return sorted(h.published_at or "" for h in results.hits)


@pytest.mark.parametrize(
    ("since", "until", "expected"),
    [
        ("2022", None, ["2022-01-01T00:00:00Z", "2022-03-15T12:00:00Z", "2022-12-31T23:59:59Z"]),
        (None, "2021", ["2021-12-31T23:59:59Z"]),
        ("2022-03", "2022-03", ["2022-03-15T12:00:00Z"]),
        ("2022-01-01", "2022-03-15", ["2022-01-01T00:00:00Z", "2022-03-15T12:00:00Z"]),
        ("2022-03-15T12:00:00Z", "2022-12-31T23:59:59Z", ["2022-03-15T12:00:00Z", "2022-12-31T23:59:59Z"]),
        ("2023", None, []),
    ],
)
def test_since_and_until_are_inclusive_and_accept_prefixes(dated, since, until, expected):
    assert dates(search(dated, "dated", SearchFilter(since=since, until=until))) == expected


def test_kind_and_thinker_filters(dated):
    assert {h.kind for h in search(dated, "dated", SearchFilter(kinds=("tweet",))).hits} == {"tweet"}
    assert len(search(dated, "dated", SearchFilter(kinds=("tweet", "post"))).hits) == 4
    assert [h.thinker for h in search(dated, "dated", SearchFilter(thinker="bob")).hits] == ["bob"]
    assert search(dated, "dated", SearchFilter(thinker="nobody")).hits == []


def test_a_kind_filter_looks_at_every_thinker_and_a_kind_nobody_holds_finds_nothing_exactly(dated):
    """The check that a filter leaves any document seeks each thinker's kinds (bob's come after all of alice's)."""
    assert {(h.thinker, h.kind) for h in search(dated, "dated", SearchFilter(kinds=("tweet",))).hits} == {
        ("alice", "tweet"),
        ("bob", "tweet"),
    }
    assert [h.thinker for h in search(dated, "dated", SearchFilter(kinds=("tweet",), since="2022")).hits] == ["bob"]
    assert search(dated, "dated", SearchFilter(kinds=("reply",), thinker="bob")).hits == []
    nothing = search(dated, "dated", SearchFilter(kinds=("quote",)))
    assert nothing.hits == [] and nothing.matched == 0 and not nothing.capped


def test_filtered_scan_is_capped_too(corpus):
    results = search(corpus, "w0", SearchFilter(kinds=("reply",), limit=100), candidates=7)
    assert results.capped and results.matched == 7 and {h.kind for h in results.hits} == {"reply"}
    exact = search(corpus, "w0", SearchFilter(kinds=("reply",), limit=1000))
    assert not exact.capped and exact.matched == 100


def test_a_bad_date_is_a_search_error(dated):
    with pytest.raises(SearchError, match="--since 'yesterday' is not a date"):
        search(dated, "dated", SearchFilter(since="yesterday"))


# -- hits ------------------------------------------------------------------------------------------


def test_hits_carry_snippet_url_and_date(store):
    add(
        store,
        [
            doc(1, "Attention is all you need, said the paper about attention."),
            doc(2, "something else"),
            doc(3, "and another"),
        ],
    )
    (hit,) = search(store, "attention").hits
    assert f"{HIGHLIGHT_START}Attention{HIGHLIGHT_END}" in hit.snippet
    assert hit.url == "https://example.org/1" and hit.published_at == "2020-01-01T00:00:00Z"
    assert hit.score > 0 and hit.text.startswith("Attention")
    assert set(hit_dict(hit)) >= HIT_KEYS and HIGHLIGHT_START not in hit_dict(hit)["snippet"]


def test_hits_without_snippets_are_dressed_later_only_where_their_passage_matches(store):
    """A page ranks many passages and shows a few: without snippets they stay bare, ``dress`` highlights those shown."""
    add(store, [doc(1, "Attention is all you need."), doc(2, "Recurrence is not needed."), doc(3, "filler")])
    bare = store.search("attention OR recurrence", raw=True, snippets=False)
    assert len(bare.hits) == 2 and {h.snippet for h in bare.hits} == {""}
    attention = store.search("attention", snippets=False)
    dressed = store.dress(bare.hits, attention.fts_query)  # the query of another search: only its matches change
    by_text = {h.text: h.snippet for h in dressed}
    assert f"{HIGHLIGHT_START}Attention{HIGHLIGHT_END}" in by_text["Attention is all you need."]
    assert by_text["Recurrence is not needed."] == ""
    assert [h.snippet for h in store.dress(bare.hits, "")] == ["", ""]  # no words to highlight: unchanged
    own = store.dress(bare.hits, bare.fts_query)
    assert all(HIGHLIGHT_START in h.snippet for h in own) and [h.passage_id for h in own] == [
        h.passage_id for h in bare.hits
    ]


def test_a_hit_copied_with_changes_is_what_dataclasses_replace_makes_and_leaves_the_original(store):
    """Search copies every hit it tags and dresses (``SearchHit.but``, a fast ``replace``): the same values, a frozen
    record still, the original untouched, and only real fields may change."""
    add(store, [doc(1, "Attention is all you need.")])
    (hit,) = store.search("attention", snippets=False).hits
    copied = hit.but(snippet="marked", found_by=("bm25",))
    assert copied == dataclasses.replace(hit, snippet="marked", found_by=("bm25",)) and copied is not hit
    assert (hit.snippet, hit.found_by) == ("", ())
    assert hash(copied) == hash(dataclasses.replace(hit, snippet="marked", found_by=("bm25",)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        copied.snippet = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError, match="'snipet'"):
        hit.but(snipet="typo")


def test_every_hit_of_a_prefix_query_gets_its_snippet_however_far_apart(store):
    """Snippets come from one scan between the lowest and highest hit (not one lookup per hit): none is lost."""
    words = ["kalomi", "kalofa", "kalorun", "kalo"]
    add(store, [doc(n, f"note {n} about {words[n % 4]}" if n % 50 == 0 else f"filler {n}") for n in range(1, 402)])
    hits = search(store, "kalo", SearchFilter(limit=20), prefix_last=True).hits
    assert len(hits) == 8
    assert all(f"{HIGHLIGHT_START}kalo" in hit.snippet for hit in hits), [h.snippet for h in hits]


def test_a_passage_hit_links_to_its_anchor(store):
    text = "intro words. " * 200 + "the tokenizer part starts here. " + "more words. " * 100
    anchors = (Anchor(0, "0:00", "https://v.example/x?t=0s"), Anchor(1300, "4:20", "https://v.example/x?t=260s"))
    add(store, [doc(1, text, kind="transcript", anchors=anchors)])
    (hit,) = search(store, "tokenizer").hits
    assert hit.url == "https://v.example/x?t=260s" and hit.anchor_label == "4:20"


def test_a_word_typed_without_its_accents_finds_it_on_both_backends(store):
    add(
        store,
        [
            doc(1, "Gödel's incompleteness, as Poincaré and Erdős never said."),
            doc(2, "a cafe without accents", title="Ångström naïveté"),
            doc(3, "Dvořák wrote the New World Symphony; Łukasiewicz and Øresund stay apart."),
            doc(4, "a decomposed Mo\u0301nica and Ιλιάδα, Йошкар"),
        ],
    )
    assert [h.id for h in search(store, "monica").hits] == [doc(4, "").id]  # e + combining accent, not é
    assert [h.id for h in search(store, "Ιλιάδα Йошкар").hits] == [doc(4, "").id]  # other scripts kept as written
    assert [h.id for h in search(store, "godel poincare erdos").hits] == [doc(1, "").id]
    assert [h.id for h in search(store, "café").hits] == [doc(2, "").id]  # folded on the query side too
    assert [h.id for h in search(store, "angstrom naivete").hits] == [doc(2, "").id]
    assert [h.id for h in search(store, "dvorak").hits] == [doc(3, "").id]
    assert search(store, "lukasiewicz").hits == []  # Ł has no combining mark: neither backend folds it
    (hit,) = search(store, "godel").hits
    assert f"{HIGHLIGHT_START}Gödel" in hit.snippet and "Poincaré and Erdős" in hit.snippet  # the text's own letters


def test_title_matches_count_double(store):
    add(store, [doc(1, "plain words here", title="Tokenizers"), doc(2, "tokenizers in the text only here")])
    assert [h.id for h in search(store, "tokenizers").hits] == [doc(1, "").id, doc(2, "").id]


# -- raw FTS5 mode ---------------------------------------------------------------------------------


def test_raw_mode_passes_fts5_syntax(corpus):
    either = {h.passage_id for h in search(corpus, "w5 OR w6", SearchFilter(limit=1000), raw=True).hits}
    assert either == {rowid for rowid, _ in naive(corpus, "w5 OR w6", 1000)}


@pytest.mark.parametrize("query", ['"unbalanced', "a AND", "NEAR(", "x:y", "(((", "* nothing"])
def test_malformed_raw_query_is_a_search_error(corpus, query):
    with pytest.raises(SearchError, match="Malformed full-text query") as error:
        search(corpus, query, raw=True)
    assert "\n" not in str(error.value) and "Drop --fts" in str(error.value)


# -- CLI JSON ----------------------------------------------------------------------------------


def test_cli_search_stats_and_import_json(run, db, fixtures):
    db_path = db  # a SQLite file or a PostgreSQL URL
    imported = run("import", fixtures / "x_archive", "--db", db_path, "--json")
    assert imported.exit_code == 0
    report = json.loads(imported.stdout)
    assert {"added", "updated", "unchanged", "skipped"} <= set(report) and report["added"] > 0
    assert all(set(item) == {"path", "reason", "expected"} for item in report["skipped"])
    again = json.loads(run("import", fixtures / "x_archive", "--db", db_path, "--json").stdout)
    assert (again["added"], again["updated"], again["unchanged"]) == (0, 0, report["added"])

    hits = json.loads(run("search", "the", "--db", db_path, "--json").stdout)
    assert hits and all(set(hit) >= HIT_KEYS for hit in hits)
    rows = json.loads(run("stats", "--db", db_path, "--json").stdout)
    assert rows and all(set(row) == STATS_KEYS for row in rows)
    assert sum(row["items"] for row in rows) == report["added"]


def test_cli_malformed_fts_query_exits_non_zero(run, db, fixtures):
    db_path = db
    run("import", fixtures / "x_archive", "--db", db_path)
    result = run("search", '"unbalanced', "--fts", "--db", db_path)
    assert result.exit_code == 1
    assert result.output.startswith("Error: Malformed full-text query")
