"""Search results grouped by document: one entry per document at its best passage, the rest behind it (both backends).

A long talk matching a word in many passages fills one place, not ten; the page and the CLI
say how many more of its passages match, and the count of documents is over what was ranked.
"""

from __future__ import annotations

import json

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.models import HIGHLIGHT_END, HIGHLIGHT_START, Document, ImportReport, SearchFilter
from deepinsights.semantic.groups import grouped_search

FILLER = "The rest of this part is about other things entirely, said at some length. " * 18


def _talk() -> Document:
    """A long transcript: five parts of ~1,400 characters, four of them naming the zeppelin."""
    parts = [f"Part {i}: {'the zeppelin came up again. ' if i != 2 else ''}{FILLER}" for i in range(5)]
    return Document("fixture", "talk", "transcript", "\n\n".join(parts), title="A long talk")


@pytest.fixture
def corpus(store: Store) -> Store:
    docs = [
        _talk(),
        Document("fixture", "note", "note", "A short note on the zeppelin.", title="A note"),
        Document("fixture", "other", "post", "Nothing to see here.", title="Other"),
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker="ada")
    return store


def test_one_entry_per_document_with_its_other_passages(corpus: Store) -> None:
    grouped, notice = grouped_search(corpus, "zeppelin", SearchFilter(limit=10))
    assert notice is None
    assert sorted(g.best.title or "" for g in grouped.groups) == ["A long talk", "A note"]
    talk = next(g for g in grouped.groups if g.best.title == "A long talk")
    assert len(talk.more) == 3 and {h.id for h in talk.more} == {talk.best.id}
    assert len({h.passage_id for h in [talk.best, *talk.more]}) == 4
    assert grouped.results.matched == 5 and grouped.documents == 2 and grouped.complete
    assert grouped.summary() == "5 matching passages in 2 documents"


def test_the_limit_and_offset_count_documents(corpus: Store) -> None:
    first, _ = grouped_search(corpus, "zeppelin", SearchFilter(limit=1))
    second, _ = grouped_search(corpus, "zeppelin", SearchFilter(limit=1, offset=1))
    assert len(first.groups) == len(second.groups) == 1
    assert first.groups[0].best.id != second.groups[0].best.id


def test_only_the_page_gets_snippets_and_each_of_its_passages_has_one(
    corpus: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ranking reads many passages to count documents; the highlighting runs once, for those shown."""
    asked: list[list[int]] = []
    snippets = corpus._snippets

    def recorded(fts_query: str, ids: list[int]) -> dict[int, str]:
        asked.append(list(ids))
        return snippets(fts_query, ids)

    monkeypatch.setattr(corpus, "_snippets", recorded)
    grouped, _ = grouped_search(corpus, "zeppelin", SearchFilter(limit=1))
    (page,) = grouped.groups
    shown = [page.best, *page.more]
    assert asked == [[h.passage_id for h in shown]]
    assert len(grouped.results.hits) == 5 and len(shown) < 5  # the other document was ranked, not dressed
    assert all(f"{HIGHLIGHT_START}zeppelin{HIGHLIGHT_END}" in h.snippet.lower() for h in shown)
    assert {h.snippet for h in grouped.results.hits if h.passage_id not in asked[0]} == {""}


def test_the_cli_lists_documents_and_says_how_many_more_passages(corpus: Store, db: str, run) -> None:
    result = run("search", "zeppelin", "--db", db)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("A long talk") == 1 and "+ 3 more passages" in result.stdout
    assert "5 matching passages in 2 documents." in result.stderr
    data = json.loads(run("search", "zeppelin", "--db", db, "--json").stdout)
    assert len(data) == 2 and sorted(len(d["more"]) for d in data) == [0, 3]
    flat = json.loads(run("search", "zeppelin", "--db", db, "--json", "--passages").stdout)
    assert len(flat) == 5 and "more" not in flat[0]


GPL = """Sometimes the model recites a licence before the code:

/*
 * Copyright (c) 2006-2010, Example Communications. All rights reserved.
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License version 2 as published by
 * the Free Software Foundation.
 *
 * This program is distributed in the hope that it will be useful,
 * but WITHOUT ANY WARRANTY; without even the implied warranty of
 * MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.
 */
"""


def test_furniture_share_counts_licence_blocks_not_talk_about_licences() -> None:
    from deepinsights.ownwords import furniture_share

    assert 0.4 < furniture_share(GPL) < 0.9
    assert furniture_share("I bought a Sublime license for $30; the license is fair.") == 0.0
    paragraph = "Openly licensed models, licensed content and copyright lawsuits: all about licences. " * 5
    assert furniture_share(paragraph) == 0.0, "one long line of prose about licences"
    assert furniture_share("A post.\nPosted by Ada\nFiled under: engines") > 0.5


BOILERPLATE_LINES = [
    "Posted by Ada", "posted in Engines", "  POSTED ON 3 May", "Poſted by Ada", "Filed under: engines", "Tagged: a, b",
    "Tagged with: x", "Tags: looms", "Categories: maths", "Share this", "share on Mastodon", "Comments (3)",
    "12 comments", "1 comment", "Leave a reply", "Leave a Comment", "Subscribe to the feed", "Read more »",
    "READ MORE", "Continue reading →", "Permalink",
]  # fmt: skip


@pytest.mark.parametrize("line", BOILERPLATE_LINES)
def test_furniture_share_finds_each_kind_of_boilerplate_line_as_line_by_line_matching_does(line: str) -> None:
    """The share is what matching every line against the pattern gives."""
    from deepinsights.ownwords import _BOILERPLATE_LINE, furniture_share

    for text in (line, f"A post about engines.\n{line}", f"{line}\r\nmore prose here\n\n{line}\n"):
        by_line = sum(len(part) for part in text.splitlines() if _BOILERPLATE_LINE.fullmatch(part))
        assert by_line > 0, f"the pattern matches {line!r}"
        assert furniture_share(text) == min(1.0, by_line / len(text))
    assert furniture_share(f"{GPL}\n{line}") > furniture_share(GPL)


def test_a_licence_header_does_not_outrank_prose(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    from deepinsights.semantic import hybrid

    docs = [
        Document("fixture", "gpl", "post", GPL, title="A quoted licence"),
        Document("fixture", "prose", "post", "Free software changed how I build. " + FILLER[:900], title="Prose"),
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker="ada")
    monkeypatch.setattr(hybrid, "FURNITURE_WEIGHT", 0.0)  # as before: BM25 alone
    before = hybrid.hybrid_search(store, "free software", mode="bm25").hits
    monkeypatch.undo()
    after = hybrid.hybrid_search(store, "free software", mode="bm25").hits
    assert [h.title for h in before] == ["A quoted licence", "Prose"], "BM25 alone puts the licence first"
    assert [h.title for h in after] == ["Prose", "A quoted licence"]
