"""Own words: every importer marks what is not the thinker speaking, the store keeps it, distill reads it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepinsights import ownwords
from deepinsights.backends.sqlite import Store
from deepinsights.distill import distill
from deepinsights.importers import ImportOptions
from deepinsights.importers.markdown import markdown_to_marked, markdown_to_text
from deepinsights.importers.marking import html_to_marked
from deepinsights.importers.textutil import html_to_text
from deepinsights.ingest import run_import
from deepinsights.models import Document, ImportReport, Span

from .test_importer_x_archive import make_folder, manifest_js, tweet, tweets_js
from .test_migrations import older_workspace

# -- the pure helpers --------------------------------------------------------------------


def marked(text: str) -> list[tuple[str, str]]:
    return [(s.reason, text[s.start : s.end]) for s in ownwords.normalise(ownwords.mark_text(text), text)]


def test_credit_lines_are_marked_but_via_as_a_preposition_is_not():
    assert marked("Nice tool https://t.co/x via @addyosmani") == [("via", "via @addyosmani")]
    assert marked("A good read (via Instapaper)") == [("via", "(via Instapaper)")]
    assert marked("thanks, h/t Jane Doe") == [("via", "h/t Jane Doe")]
    assert marked("I installed it via Homebrew.") == []
    assert marked("We talk to it via their JSON API") == []


def test_old_style_retweets_quotes_licences_and_footers_are_marked():
    assert marked("Nice! RT @paul_irish: a deck about scrolling") == [
        ("quoted-post", "RT @paul_irish: a deck about scrolling")
    ]
    assert marked("“@sindresorhus: Keep it readable, commented, consistent and explicit.”")[0][0] == "quoted-post"
    assert marked("text\nCopyright (c) 2020 Someone\nMIT License") == [
        ("license", "Copyright (c) 2020 Someone\nMIT License")
    ]
    assert marked("Posted by Ada in Essays\nRead more »") == [("boilerplate", "Posted by Ada in Essays\nRead more »")]
    assert marked("Read more about shot-scraper in its documentation, which is long.") == []


def test_long_quotations_are_marked_and_scare_quotes_and_gaps_between_quotes_are_not():
    text = 'He wrote "models that fit in a pocket will be everywhere before the decade is out" today.'
    assert marked(text) == [("quotation", '"models that fit in a pocket will be everywhere before the decade is out"')]
    assert marked('I call this "concrete" and that "abstract", which is a long enough gap between them.') == []


def test_spans_normalise_store_and_read_back():
    text = "  own words  > quoted block <  more own"
    spans = ownwords.normalise([Span(11, 30, "blockquote"), Span(13, 20, "code"), Span(50, 60, "via")], text)
    assert spans == (Span(13, 29, "blockquote"),)  # trimmed of spaces, the inner span folded in, outside dropped
    assert ownwords.loads(ownwords.dumps(spans)) == spans
    assert ownwords.dumps(()) is None and ownwords.loads(None) == ()
    assert ownwords.within(spans, 20, 40) == (Span(0, 9, "blockquote"),)
    assert ownwords.own_share(spans, 0, len(text)) == round(1 - 16 / len(text), 4)
    blank = ownwords.own_text(text, spans)
    assert len(blank) == len(text) and "quoted" not in blank and blank.endswith("more own")


def test_replacing_text_moves_spans_with_it():
    text, spans = ownwords.replaced("ab X cd Y ef", [Span(8, 12, "code")], [(3, 4, "xxxx"), (8, 9, "")], "math")
    assert text == "ab xxxx cd  ef"
    assert (text[spans[0].start : spans[0].end], spans[0].reason) == (" ef", "code")
    assert [(text[s.start : s.end], s.reason) for s in spans[1:]] == [("xxxx", "math"), ("", "math")]


# -- markup: the same text as before, plus the spans -------------------------------------

MARKDOWN_PIECES = st.lists(
    st.sampled_from(
        [
            "Own words here.",
            "> quoted line one\n> quoted line two",
            "```\ncode()\n```",
            "Inline `x = 1` code.",
            "## License\n\nMIT",
            "## Next\n\nMore text.",
            "- a list item\n- another",
            "$$a^2 + b^2$$",
            "<blockquote>html quote</blockquote>",
            "Read it (via @someone)",
        ]
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(MARKDOWN_PIECES)
def test_marked_markdown_is_the_same_text_and_every_span_lies_on_marked_words(pieces):
    source = "\n\n".join(pieces)
    text, spans = markdown_to_marked(source)
    assert text == markdown_to_text(source)
    assert list(spans) == sorted(spans, key=lambda s: s.start)
    for a, b in zip(spans, spans[1:], strict=False):
        assert a.end <= b.start
    marked_text = " ".join(text[s.start : s.end] for s in spans)
    for words in ("quoted line one", "code()", "x = 1", "MIT", "a^2", "html quote", "via @someone"):
        if any(words in p for p in pieces):
            assert words in marked_text
    own, unmarked = ownwords.own_text(text, spans), " ".join(_outside_licence_sections(pieces))
    for words in ("Own words here.", "More text.", "another"):
        assert own.count(words) == unmarked.count(words)


def _outside_licence_sections(pieces):
    """The pieces not inside a licence section (which runs from its heading to the next heading)."""
    inside = False
    for piece in pieces:
        inside = (inside or piece.startswith("## License")) and not piece.startswith("## Next")
        if not inside:
            yield piece


def test_html_marking_matches_html_to_text_and_marks_nested_code_once():
    markup = "<p>Mine.</p><blockquote><p>Theirs <code>x()</code> too.</p></blockquote><p>Mine again.</p>"
    text, spans = html_to_marked(markup)
    assert text == html_to_text(markup)
    assert [(s.reason, text[s.start : s.end]) for s in spans] == [("blockquote", "Theirs x() too.")]


# -- every importer marks at import; the store keeps it on both backends ------------------


def imported(store, path: Path, **options) -> dict[str, dict]:
    run_import(store, [str(path)], ImportOptions(thinker="ada", **options))
    rows = store.rows("SELECT id, kind, title, text, others FROM documents ORDER BY id")
    return {r["id"]: r for r in rows}


def spans_of(row: dict) -> list[tuple[str, str]]:
    return [(s.reason, row["text"][s.start : s.end]) for s in ownwords.loads(row["others"])]


def only(docs: dict[str, dict]) -> dict:
    assert len(docs) == 1
    return next(iter(docs.values()))


def test_markdown_post(store, fixtures):
    row = only(imported(store, fixtures / "own_words" / "post.md"))
    found = spans_of(row)
    assert ("code", "generate()") in found
    assert (
        "blockquote",
        "The best way to predict the future is to invent it.\nSomebody else said this, not me.",
    ) in found
    assert ("code", "def generate(prompt):\nreturn prompt[::-1]") in found
    assert ("math", "$$L = -\\log p$$") in found
    assert ("via", "(via @friendly_editor)") in found
    assert ("license", "License\n\nMIT License. Copyright (c) 2024 Ada Example") in found
    own = ownwords.own_text(row["text"], ownwords.loads(row["others"]))
    assert "I think small models will run on every laptop by 2030." in own
    assert "invent" not in own and "prompt[::-1]" not in own and "MIT" not in own
    passage = store.rows("SELECT own FROM passages WHERE document_id = ?", [row["id"]])[0]
    assert 0.2 < passage["own"] < 0.8


def test_html_page(store, fixtures):
    row = only(imported(store, fixtures / "own_words" / "page.html"))
    assert spans_of(row) == [
        ("blockquote", "Programs must be written for people to read, and only incidentally for machines to execute."),
        ("code", "for line in program: read(line)"),
        ("boilerplate", "Posted by Ada in Essays"),
    ]
    assert "Home | Archive" not in row["text"] and "Copyright" not in row["text"]  # nav and footer never imported


def test_feed_item(store, fixtures):
    row = only(imported(store, fixtures / "own_words" / "feed.xml"))
    assert spans_of(row) == [("blockquote", "Someone else wrote that compilers will replace us all within a decade.")]


def test_link_blog_title_and_quotation(store, fixtures):
    docs = imported(store, fixtures / "own_words" / "blog_blogmark.ndjson")
    first, second = sorted(docs.values(), key=lambda r: r["title"], reverse=True)
    assert spans_of(first) == [
        ("link-title", "Tiny engines will eat the world"),
        ("quotation", '"every engine that fits in a pocket will be built before the decade is out"'),
    ]
    assert spans_of(second) == [("link-title", "A reading list")]


def test_mastodon_boost_and_quoted_block(store, tmp_path):
    public = ["https://www.w3.org/ns/activitystreams#Public"]
    note = {
        "id": "https://masto.example/users/ada/statuses/1",
        "type": "Note",
        "published": "2024-01-01T00:00:00Z",
        "url": "https://masto.example/@ada/1",
        "to": public,
        "content": "<p>Agreed:</p><blockquote><p>their words</p></blockquote><p>mine</p>",
    }
    items = [
        {"type": "Create", "id": "c1", "to": public, "object": note},
        {
            "type": "Announce",
            "id": "a1",
            "to": public,
            "published": "2024-01-02T00:00:00Z",
            "object": "https://x.example/2",
        },
    ]
    outbox = {"@context": "x", "type": "OrderedCollection", "orderedItems": items}
    (tmp_path / "outbox.json").write_text(json.dumps(outbox))
    docs = imported(store, tmp_path / "outbox.json")
    by_kind = {r["kind"]: r for r in docs.values()}
    assert spans_of(by_kind["post"]) == [("blockquote", "their words")]
    assert spans_of(by_kind["repost"]) == [("repost", "Boosted https://x.example/2")]
    boosted = store.rows("SELECT own FROM passages WHERE document_id = ?", [by_kind["repost"]["id"]])
    assert boosted == [{"own": 0.0}]


def test_x_archive_retweets_manual_retweets_and_credits(store, tmp_path):
    items = [
        tweet(1, "RT @grace: compilers everywhere"),
        tweet(2, "Nice! RT @grace: compilers everywhere"),
        tweet(3, "A good read https://example.org via @grace"),
        tweet(4, "All mine, no one else's"),
    ]
    folder = make_folder(tmp_path / "arc", {"data/tweets.js": tweets_js(items), "data/manifest.js": manifest_js([])})
    docs = {r["text"]: r for r in imported(store, folder).values()}
    assert spans_of(docs["RT @grace: compilers everywhere"]) == [("repost", "RT @grace: compilers everywhere")]
    assert spans_of(docs["Nice! RT @grace: compilers everywhere"]) == [
        ("quoted-post", "RT @grace: compilers everywhere")
    ]
    assert spans_of(docs["A good read https://example.org via @grace"]) == [("via", "via @grace")]
    assert docs["All mine, no one else's"]["others"] is None


def test_tweet_text_dump(store, fixtures):
    docs = {r["kind"]: r for r in imported(store, fixtures / "own_words" / "tweets.txt").values()}
    assert [s[0] for s in spans_of(docs["repost"])] == ["repost"]
    assert spans_of(docs["tweet"]) == [("via", "(via @grace)")]


def test_reimporting_a_document_whose_marking_changed_updates_it(store):
    """A document imported before marking existed is updated when its source is imported again."""
    plain = Document(source="t", source_id="1", kind="post", text="mine > theirs", thinker="ada")
    marked_again = Document(**{**vars(plain), "others": (Span(7, 13, "blockquote"),)})
    reports = [ImportReport(), ImportReport(), ImportReport()]
    for doc, report in zip([plain, marked_again, marked_again], reports, strict=True):
        with store.transaction():
            store.upsert_documents([doc], report)
    assert [(r.added, r.updated, r.unchanged) for r in reports] == [(1, 0, 0), (0, 1, 0), (0, 0, 1)]
    assert store.rows("SELECT others FROM documents") == [{"others": '[[7,13,"blockquote"]]'}]
    assert store.rows("SELECT own FROM passages") == [{"own": round(1 - 6 / 13, 4)}]


# -- an old workspace: reposts marked by the migration -----------------------------------


@pytest.mark.sqlite_only(reason="builds a pre-m010 SQLite workspace by hand")
def test_a_workspace_from_before_own_words_gets_its_reposts_marked(db_path):
    conn = older_workspace(db_path, "m010_own_words")
    conn.execute(
        "INSERT INTO documents (id, thinker, kind, source, source_id, text, words, content_hash) "
        "VALUES ('r1', 'ada', 'repost', 'x-archive', '9', 'RT @b: theirs', 3, 'h')"
    )
    conn.execute(
        "INSERT INTO passages (document_id, ordinal, start, \"end\", text) VALUES ('r1', 0, 0, 13, 'RT @b: theirs')"
    )
    conn.commit()
    conn.close()
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT id, others FROM documents ORDER BY id").fetchall() == [
        ("d1", None),
        ("r1", '[[0,13,"repost"]]'),
    ]
    assert conn.execute("SELECT document_id, own FROM passages ORDER BY document_id").fetchall() == [
        ("d1", 1.0),
        ("r1", 0.0),
    ]


# -- distill reads own words, and says so ---------------------------------------------------


def test_distill_predictions_and_themes_come_from_own_words_only(store, fixtures):
    run_import(store, [str(fixtures / "own_words")], ImportOptions(thinker="ada"))
    report = distill(store, "ada", check_robustness=False).as_dict()
    said = " ".join(p["text"] for p in report["predictions"])
    assert "every laptop by 2030" in said
    assert "replace us all" not in said and "built before the decade" not in said and "mark my words" not in said
    labels = {w for t in report["topics"]["topics"] for phrase in t["phrases"] for w in phrase.split()}
    assert not labels & {"incidentally", "prompt", "invent"}
    assert report["text_used"]["predictions"].startswith("own words only")
    assert report["own_words"]["no_own_words"] >= 1
    assert {"blockquote", "code", "link-title", "repost"} <= set(report["own_words"]["others_characters_by_reason"])


# -- the real corpora ----------------------------------------------------------------------


@pytest.mark.shared
def test_real_archives_mark_retweets_boosts_link_titles_and_licences(corpora, tmp_path):
    store = Store(tmp_path / "real.db")
    try:
        for name, folder in [
            ("ruffert", "andreruffert/twitter-archive"),
            ("dealing", "dealingwith/mastodon-archive"),
            ("simon", "simon-willison/blog-backup/blog_blogmark.ndjson"),
            ("karpathy", "karpathy/project-writing"),
        ]:
            run_import(store, [str(corpora / folder)], ImportOptions(thinker=name))
        reposts = store.rows(
            "SELECT d.thinker, count(*) AS n, sum(d.others LIKE '[[0,%,\"repost\"]]') AS marked, max(p.own) AS own "
            "FROM documents d JOIN passages p ON p.document_id = d.id WHERE d.kind = 'repost' GROUP BY d.thinker"
        )
        assert reposts == [
            {"thinker": "dealing", "n": 326, "marked": 326, "own": 0.0},
            {"thinker": "ruffert", "n": 643, "marked": 643, "own": 0.0},
        ]
        links = store.rows("SELECT title, text, others FROM documents WHERE thinker = 'simon'")
        assert len(links) == 6682
        assert all(spans_of(r)[0] == ("link-title", r["title"]) for r in links)
        readmes = {r["source_id"]: spans_of(r) for r in store.rows("SELECT * FROM documents WHERE kind = 'readme'")}
        for project in ("micrograd", "minGPT", "llama2.c", "llm.c", "nanochat"):
            spans = readmes[f"{project}/README.md"]
            assert any(reason == "license" and "MIT" in words for reason, words in spans), project
            assert any(reason == "code" for reason, _ in spans), project
        own = store.rows(
            "SELECT avg(own) AS share FROM passages p JOIN documents d ON d.id = p.document_id "
            "WHERE d.thinker = 'karpathy'"
        )[0]["share"]
        assert 0.5 < own < 0.95  # prose around code: most of it is his, not all
    finally:
        store.close()


@pytest.mark.postgresql
def test_a_postgresql_workspace_from_before_own_words_gets_its_reposts_marked(pg_url):
    import psycopg

    from deepinsights.backends.postgresql import migrations as pg_migrations
    from deepinsights.backends.postgresql.store import PgStore

    with psycopg.connect(pg_url) as conn, conn.transaction():
        conn.execute(f"CREATE TABLE {pg_migrations.TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in pg_migrations.MIGRATIONS[: pg_migrations.known().index("m010_own_words")]:
            conn.execute(script)
            conn.execute(f"INSERT INTO {pg_migrations.TABLE} VALUES (%s, 'then')", (name,))
        for doc, kind, text in [("d1", "post", "mine"), ("r1", "repost", "RT @b: theirs")]:
            conn.execute(
                "INSERT INTO documents (id, thinker, kind, source, source_id, text, words, content_hash) "
                "VALUES (%s, 'ada', %s, 'x-archive', %s, %s, 2, 'h')",
                (doc, kind, doc, text),
            )
            conn.execute(
                'INSERT INTO passages (document_id, ordinal, start, "end", text) VALUES (%s, 0, 0, %s, %s)',
                (doc, len(text), text),
            )
    store = PgStore(pg_url)
    try:
        assert store.rows("SELECT id, others FROM documents ORDER BY id") == [
            {"id": "d1", "others": None},
            {"id": "r1", "others": '[[0,13,"repost"]]'},
        ]
        assert store.rows("SELECT document_id, own FROM passages ORDER BY document_id") == [
            {"document_id": "d1", "own": 1.0},
            {"document_id": "r1", "own": 0.0},
        ]
    finally:
        store.close()
