"""Locating quotes in a real SQLite store: verbatim, approximate with a diff, not found, hostile input."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.models import Anchor, Document, ImportReport
from deepinsights.verify import APPROXIMATE, NOT_FOUND, VERBATIM, Locator, check_quotes, locate, read_quotes
from deepinsights.verify.locate import MAX_QUOTE_WORDS

RECIPE = (
    "Some few weeks ago I [posted](https://twitter.com/k/status/1) a tweet on “the most common neural net "
    "mistakes”, listing a few common gotchas related to training neural nets. The tweet got quite a bit more "
    "engagement than I anticipated &amp; people liked it."
)
CAPTION = (
    "hi everyone so in this video I'd like us\nto cover the process of tokenization in\nlarge language models "
    "now you see here\nthat I have a sad face and that's\nbecause uh tokenization is my least\nfavorite part"
)
TWEET = "ah yes, this is what post-agi feels like :) i didn't touch anything. brb sauna https://t.co/Xy12AbCd"


def add(store: Store, *docs: Document, thinker: str = "k") -> None:
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker=thinker)


@pytest.fixture
def corpus(store: Store) -> Store:
    when = datetime(2019, 4, 25, tzinfo=UTC)
    add(
        store,
        Document("blog", "recipe", "post", RECIPE, title="A Recipe", url="https://k.example/recipe", published_at=when),
        Document("yt", "tok", "transcript", CAPTION, title="Tokenizer", url="https://youtu.be/x",
                 anchors=(Anchor(0, "0:00", "https://youtu.be/x&t=0s"),)),
        Document("x", "1", "tweet", TWEET, url="https://x.com/k/status/1"),
    )  # fmt: skip
    return store


@pytest.mark.parametrize(
    "quote",
    [
        'Some few weeks ago I posted a tweet on "the most common neural net mistakes"',
        "SOME FEW WEEKS AGO   I POSTED A TWEET ON THE MOST COMMON NEURAL NET MISTAKES",
        "engagement than I anticipated & people liked it",
        "Tokenization is my least favorite part.",
        "I'd like us to cover the process of tokenization in large language models",
        "Ah yes — this is what post‑AGI feels like :) I didn’t touch anything. brb sauna",
        "ah yes, this is what post-agi feels like… brb sauna",
        "…I have a sad face [...] tokenization is my least favorite part",
    ],
)
def test_verbatim_after_normalising(corpus: Store, quote: str) -> None:
    result = locate(quote, corpus)
    assert result.status == VERBATIM, result
    assert result.score == 1.0
    assert result.location is not None and result.location.document_id


def test_location_points_at_the_stored_words(corpus: Store) -> None:
    result = locate("the process of tokenization in large language models", corpus)
    loc = result.location
    assert loc is not None
    assert loc.excerpt == "the process of tokenization in\nlarge language models"
    doc = corpus.document(loc.document_id)
    assert doc is not None and doc["text"][loc.start : loc.end] == loc.excerpt
    assert loc.url == "https://youtu.be/x&t=0s" and loc.anchor == "0:00" and loc.kind == "transcript"


def test_approximate_reports_score_and_word_diff(corpus: Store) -> None:
    result = locate("I posted a tweet on the most common neural network mistakes", corpus)
    assert result.status == APPROXIMATE
    assert 0.75 <= result.score < 1.0
    changes = [(op.op, op.quote, op.corpus) for op in result.diff if op.op != "equal"]
    assert changes == [("replace", "network", "net")]
    assert result.location is not None and result.location.title == "A Recipe"


def test_elided_fragments_must_come_in_order(corpus: Store) -> None:
    assert locate("tokenization is my least favorite part … hi everyone", corpus).status != VERBATIM
    assert locate("hi everyone … tokenization is my least favorite part", corpus).status == VERBATIM


def test_not_found_and_closest(corpus: Store) -> None:
    result = locate("The laws of physics are deterministic", corpus)
    assert result.status == NOT_FOUND and result.location is None
    spliced = locate("Some few weeks ago I posted about deterministic physics laws being everywhere", corpus)
    assert spliced.status == NOT_FOUND
    assert spliced.closest is not None and spliced.closest.title == "A Recipe"


def test_a_quote_across_a_passage_boundary_is_verbatim(store: Store) -> None:
    sentences = [f"Sentence number {i} talks about topic{i} with plenty of ordinary words." for i in range(60)]
    text = " ".join(sentences)
    add(store, Document("blog", "long", "post", text))
    passages = store.rows('SELECT start, "end" FROM passages ORDER BY ordinal')
    assert len(passages) >= 2
    cut = passages[0]["end"]
    quote = text[text.rindex(" ", 0, cut - 30) : text.index(" ", cut + 30)]
    result = locate(quote, store)
    assert result.status == VERBATIM
    assert result.location is not None and len(result.location.passage_ids) == 2


def test_thinker_limits_the_candidates(corpus: Store) -> None:
    other = "An entirely separate thinker wrote tokenization is my least favorite part"
    add(corpus, Document("other", "1", "post", other), thinker="someone")
    found = locate("tokenization is my least favorite part", corpus, thinker="someone").location
    assert found is not None and found.thinker == "someone"
    only_k = Locator(corpus, thinker="k").locate("An entirely separate thinker wrote")
    assert only_k.status == NOT_FOUND


def test_check_quotes_keeps_order_and_ids(corpus: Store) -> None:
    results = check_quotes(["brb sauna", ("The laws of physics are deterministic", "q2"), "   "], corpus)
    assert [r.status for r in results] == [VERBATIM, NOT_FOUND, NOT_FOUND]
    assert results[1].id == "q2" and results[2].note == "no words to compare"
    assert results[0].to_dict()["location"]["url"] == "https://x.com/k/status/1"


HOSTILE = [
    "x" * 50_000,
    " ".join(f"word{i}" for i in range(20_000)),
    'NEAR(a b) "unbalanced ( * - AND OR NOT tokenization',
    "\u202etokenization is my least\u202c favorite part",
    "tokeni\u200dzation is my le\u200bast favorite part",
    "tokenization" + "\u0301" * 20_000 + " is my least favorite part",
    "\x00\x01 tokenization \ud800 is my least favorite part",
]


@pytest.mark.parametrize("quote", HOSTILE)
def test_hostile_quotes_finish_quickly(corpus: Store, quote: str) -> None:
    started = time.perf_counter()
    result = locate(quote, corpus)
    assert time.perf_counter() - started < 5
    assert result.status in (VERBATIM, APPROXIMATE, NOT_FOUND)


def test_invisible_characters_do_not_hide_a_verbatim_quote(corpus: Store) -> None:
    for quote in HOSTILE[3:6]:
        assert locate(quote, corpus).status == VERBATIM


def test_long_quotes_are_capped_with_a_note(corpus: Store) -> None:
    result = locate(" ".join(["tokenization"] * (MAX_QUOTE_WORDS + 50)), corpus)
    assert result.note == f"checked the first {MAX_QUOTE_WORDS} words"


def test_hostile_passages_are_stored_and_searchable(store: Store) -> None:
    flood = "safe words " + "e\u0301" * 30_000 + " \u202eright to left\u202c " + 'NEAR( * " -' * 500
    add(store, Document("x", "hostile", "tweet", flood + " the final phrase here"))
    started = time.perf_counter()
    assert locate("right to left", store).status == VERBATIM
    assert locate("the final phrase here", store).status == VERBATIM
    assert time.perf_counter() - started < 5


def test_repeated_words_cannot_blow_up_the_alignment(store: Store) -> None:
    add(store, *(Document("x", str(i), "post", ("ab " * 1900 + "end ") * 3) for i in range(10)))
    started = time.perf_counter()
    assert locate("ab " * 150 + "zzz " + "ab " * 140, store).status == APPROXIMATE
    assert locate("ab " * 5000, store).status == VERBATIM
    assert time.perf_counter() - started < 2


def test_read_quotes_text_and_jsonl(tmp_path: Path) -> None:
    text = tmp_path / "q.txt"
    text.write_text("first quote\n\n  second quote  \n", encoding="utf-8")
    assert read_quotes(text) == [("first quote", None), ("second quote", None)]
    jsonl = tmp_path / "q.jsonl"
    jsonl.write_text('{"text": "one", "id": 7}\n{"text": "two"}\n', encoding="utf-8")
    assert read_quotes(jsonl) == [("one", "7"), ("two", "2")]


@pytest.mark.parametrize(
    ("content", "message"),
    [('{"text": 1}\n', "q.jsonl:1: expected"), ('{"text": "a"}\nnot json\n', "q.jsonl:2: not a JSON object")],
)
def test_read_quotes_errors_name_the_line(tmp_path: Path, content: str, message: str) -> None:
    from deepinsights.errors import VerificationError

    path = tmp_path / "q.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(VerificationError, match=message):
        read_quotes(path)
