"""Hypothesis properties of storing, splitting and searching hostile text, on SQLite and PostgreSQL.

Hostile means: FTS5 syntax (quotes, NEAR(, *, -, AND, unbalanced parentheses), bidi overrides,
zero-width joiners, floods of combining marks, NULs and lone surrogates.
"""

from __future__ import annotations

import itertools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deepinsights.backends.sqlite import Store
from deepinsights.models import Anchor, Document, ImportReport, SearchFilter
from deepinsights.passages import HARD_MAX, split_document
from deepinsights.query import build_fts_query
from deepinsights.search import search
from deepinsights.workspace import open_store

from .webutil import BACKENDS, module_db, skip_sqlite_only

HOSTILE = [
    '"', '""', "NEAR(", "NEAR(a b, 2)", "*", "-", "AND", "OR", "NOT", "(", ")", "((", "^", ":", "a:b", "{x}",
    "\u202e", "\u200d", "\u200b", "e" + "\u0301" * 300, "\ud800", "\udfff", "\x00", "\\", "'", "+", "[", "]",
]  # fmt: skip
hostile_text = st.lists(
    st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE), st.sampled_from([" ", "\n", "\n\n", ". "])),
    max_size=25,
).map("".join)
plain_word = st.text(alphabet=string.ascii_lowercase, min_size=3, max_size=12)
counter = itertools.count()


@pytest.fixture(scope="module", params=BACKENDS)
def module_store(request, tmp_path_factory):
    """One workspace per backend for the module (the examples add documents to it)."""
    with module_db(request, tmp_path_factory.mktemp("props")) as db:
        store = open_store(db)
        yield store
        store.close()


@pytest.fixture
def shared_store(module_store, request):
    skip_sqlite_only(request, module_store.backend)
    return module_store


def storable(text: str, backend: str) -> str:
    """``text`` as stored: lone surrogates become U+FFFD, and on PostgreSQL (TEXT cannot hold it) U+0000 too."""
    text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text.replace("\x00", "\ufffd") if backend == "postgresql" else text


def put(store: Store, text: str, **fields) -> Document:
    n = next(counter)
    document = Document(source="prop", source_id=str(n), kind="note", text=text, thinker=f"t{n}", **fields)
    with store.transaction():
        store.upsert_documents([document], ImportReport())
    return document


relaxed = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@relaxed
@given(text=hostile_text, title=st.one_of(st.none(), hostile_text))
def test_any_text_round_trips_and_searching_it_never_fails(shared_store, text, title):
    document = put(shared_store, text, title=title)
    row = shared_store.document(document.id)
    backend = shared_store.backend
    assert row["text"] == storable(text, backend)
    assert row["title"] == (None if title is None else storable(title, backend))
    assert "".join(p["text"] for p in shared_store.passages(document.id)) == row["text"]
    for query in (text, title or ""):
        search(shared_store, query)
        search(shared_store, query, SearchFilter(kinds=("note",), since="2000"), prefix_last=True)


@relaxed
@given(before=hostile_text, word=plain_word, after=hostile_text)
def test_a_word_in_a_document_finds_it(shared_store, before, word, after):
    document = put(shared_store, f"{before} {word} {after}")
    hits = search(shared_store, word, SearchFilter(thinker=document.thinker, limit=5)).hits
    assert [h.id for h in hits] == [document.id]
    assert [
        h.id for h in search(shared_store, word.upper() + " " + word, SearchFilter(thinker=document.thinker)).hits
    ] == [document.id]


@pytest.mark.sqlite_only(reason="build_fts_query builds FTS5 syntax, run against passages_fts")
@relaxed
@given(query=hostile_text, prefix=st.booleans())
def test_built_queries_are_never_rejected_by_sqlite(shared_store, query, prefix):
    fts = build_fts_query(query, prefix_last=prefix)
    if fts:
        shared_store.conn.execute("SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ?", [fts]).fetchone()


def test_fts_syntax_in_a_query_matches_literally(shared_store):
    document = put(shared_store, 'He said "NEAR(x) AND y*" - (really) -- mark^2')
    for query in ['"NEAR(x) AND y*"', "NEAR(x)", "(really)", "mark^2", "y*", "AND"]:
        assert document.id in {h.id for h in search(shared_store, query, SearchFilter(limit=100)).hits}, query


# -- passages ---------------------------------------------------------------------------------

pieces = st.sampled_from(
    ["word ", "sentence ends. ", "\n", "\n\n", "  ", "x" * 700, "é", "\u0301" * 40, "a" * 2100, "?! ", "\t"]
)
long_text = st.one_of(st.lists(pieces, max_size=60).map("".join), st.text(max_size=6000))


@settings(max_examples=300, deadline=None)
@given(text=long_text, offsets=st.lists(st.integers(min_value=0, max_value=8000), max_size=5))
def test_passages_cover_the_text_exactly(text, offsets):
    anchors = tuple(Anchor(offset, f"a{offset}", f"https://v/{offset}") for offset in sorted(set(offsets)))
    passages = split_document(Document(source="s", source_id="1", kind="note", text=text, anchors=anchors))
    assert "".join(p.text for p in passages) == text
    assert [p.ordinal for p in passages] == list(range(len(passages)))
    position = 0
    for passage in passages:
        assert passage.start == position and passage.end - passage.start == len(passage.text)
        assert text[passage.start : passage.end] == passage.text
        assert 0 < len(passage.text) <= HARD_MAX or text == ""
        before = [a for a in anchors if a.offset <= passage.start] or list(anchors[:1])
        assert passage.anchor_label == (before[-1].label if before else None)
        position = passage.end
    assert position == len(text)


def test_a_50k_character_tweet_is_stored_verbatim(store):
    text = "tokens " * 3000 + "needle " + "é\u0301 " * 4000 + "\u202e"
    text += "x" * (50_000 - len(text))
    document = Document(source="x-archive", source_id="50k", kind="tweet", text=text)
    with store.transaction():
        store.upsert_documents([document], ImportReport())
    row = store.document(document.id)
    assert row["text"] == text and len(row["text"]) == 50_000
    passages = store.passages(document.id)
    assert len(passages) > 25 and "".join(p["text"] for p in passages) == text
    assert all(len(p["text"]) <= HARD_MAX for p in passages)
    assert [h.id for h in search(store, "needle").hits] == [document.id]
    assert store.integrity_check() == "ok"
    assert store.rows("SELECT length(text) AS n FROM documents") == [{"n": 50_000}]
