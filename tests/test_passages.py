"""Passage splitting: where cuts fall, offsets, anchors and links (properties: test_properties.py)."""

from __future__ import annotations

from deepinsights.models import Anchor, Document
from deepinsights.passages import HARD_MAX, TARGET, split_document


def split(text: str, anchors: tuple[Anchor, ...] = (), url: str | None = "https://example.org/doc"):
    return split_document(Document(source="t", source_id="1", kind="post", text=text, url=url, anchors=anchors))


def test_a_short_text_is_one_passage():
    (passage,) = split("Just a tweet.")
    assert (passage.ordinal, passage.start, passage.end, passage.text) == (0, 0, 13, "Just a tweet.")
    assert passage.url == "https://example.org/doc" and passage.anchor_label is None


def test_an_empty_text_is_one_empty_passage():
    assert [(p.start, p.end, p.text) for p in split("")] == [(0, 0, "")]


def test_text_up_to_hard_max_is_not_split():
    assert len(split("w " * (HARD_MAX // 2))) == 1
    assert len(split("w " * (HARD_MAX // 2) + "x")) == 2


def test_paragraph_break_nearest_the_target_wins():
    first = "a" * (TARGET - 100) + "\n\n"
    text = first + "b. " * 300 + "\n\n" + "c " * 500
    passages = split(text)
    assert passages[0].text == first
    assert passages[1].start == len(first)


def test_sentence_end_when_there_is_no_paragraph():
    text = ("word " * 50 + "end. ") * 20
    passages = split(text)
    assert all(p.text.endswith(". ") for p in passages[:-1])
    assert all(abs(len(p.text) - TARGET) < TARGET // 2 for p in passages[:-1])


def test_spaces_when_there_is_no_sentence():
    passages = split("word " * 1000)
    assert all(p.text.endswith(" ") and not p.text.startswith(" ") for p in passages[:-1])


def test_one_giant_word_is_cut_at_hard_max():
    passages = split("x" * (HARD_MAX * 2 + 10))
    assert [len(p.text) for p in passages] == [HARD_MAX, HARD_MAX, 10]


def test_each_passage_gets_the_anchor_at_or_before_its_start():
    text = "s " * 3000
    anchors = (Anchor(100, "0:10", "https://v/x?t=10s"), Anchor(2500, "4:00", "https://v/x?t=240s"))
    passages = split(text, anchors)
    assert passages[0].anchor_label == "0:10"  # before the first anchor: the first anchor
    assert {p.anchor_label for p in passages if p.start >= 2500} == {"4:00"}
    assert {p.url for p in passages if 100 <= p.start < 2500} == {"https://v/x?t=10s"}


def test_an_anchor_without_a_link_falls_back_to_the_document_url():
    (passage,) = split("page text", (Anchor(0, "page 1"),))
    assert passage.anchor_label == "page 1" and passage.url == "https://example.org/doc"
