"""The plain-text tweet dump importer: detection, every accepted shape, ids, idempotency, hostile text."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.errors import EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.tweet_text import IMPORTER, parse_items, source_id
from deepinsights.ingest import run_import
from deepinsights.search import search


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def write(tmp_path: Path, text: str | bytes, name: str = "dump.txt") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def read_all(path: Path):
    options = ImportRun(root=path)
    return list(IMPORTER.read(path, options)), options


def shape(text: str) -> list[tuple[str | None, str | None, str]]:
    """(date as YYYY-MM-DD[THH:MM], url, text) of each item."""
    return [
        (i.date.strftime("%Y-%m-%dT%H:%M").removesuffix("T00:00") if i.date else None, i.url, i.text)
        for i in parse_items(text)
    ]


ONE_PER_LINE = "\n".join(f"plain tweet number {n} about small tools" for n in range(12))


# -- detection ---------------------------------------------------------------------------


def test_detects_the_fixture(fixtures: Path):
    assert IMPORTER.detect(fixtures / "tweets.txt")


def test_detects_an_undated_dump_one_tweet_per_line(tmp_path: Path):
    assert IMPORTER.detect(write(tmp_path, ONE_PER_LINE))


def test_detects_short_blocks_in_a_file_named_like_tweets(tmp_path: Path):
    assert IMPORTER.detect(write(tmp_path, "first thought\n\nsecond thought\n\nthird", "my-tweets.txt"))
    assert not IMPORTER.detect(write(tmp_path, "first thought\n\nsecond thought\n\nthird", "notes.txt"))


@pytest.mark.parametrize(
    "text",
    [
        "SOURCE: https://www.youtube.com/watch?v=abc\n\n[0s] hi everyone\n[2s] today we build\n[4s] a thing\n",
        "[0s] hi everyone\n[2s] today we build\n[4s] a thing\n[6s] and more\n" * 5,
        "WEBVTT\n\n00:00.000 --> 00:02.000\nhello\n\n00:02.000 --> 00:04.000\nworld\n",
        "1\n00:00:00,000 --> 00:00:02,000\nhello\n\n2\n00:00:02,000 --> 00:00:04,000\nworld\n\n"
        "3\n00:00:04,000 --> 00:00:06,000\nagain\n",
        ("A long essay paragraph that goes on and on about compilers and tools. " * 12 + "\n\n") * 4,
        "just one line",
        "",
    ],
    ids=["transcript-source", "captions", "vtt", "srt", "essay", "one-line", "empty"],
)
def test_does_not_claim_other_text(tmp_path: Path, text: str):
    assert not IMPORTER.detect(write(tmp_path, text))


def test_only_txt_files_and_no_binaries(tmp_path: Path, fixtures: Path):
    content = (fixtures / "tweets.txt").read_text()
    assert not IMPORTER.detect(write(tmp_path, content, "tweets.md"))
    assert not IMPORTER.detect(write(tmp_path, b"\x00\x01\x02\x03" * 500, "tweets.txt"))
    assert not IMPORTER.detect(tmp_path)


def test_dispatch_prefers_it_over_the_markdown_catch_all(fixtures: Path):
    assert importer_for(fixtures / "tweets.txt") is IMPORTER


def test_real_transcripts_and_readmes_are_not_tweet_dumps(corpora: Path):
    transcripts = sorted((corpora / "karpathy" / "lecture-transcripts").glob("*.txt"))
    assert transcripts
    assert not any(IMPORTER.detect(path) for path in transcripts)
    assert not IMPORTER.detect(corpora / "andreruffert" / "twitter-archive" / "data" / "README.txt")


# -- shapes --------------------------------------------------------------------------------


def test_fixture_items(fixtures: Path):
    assert shape((fixtures / "tweets.txt").read_text()) == [
        (
            "2023-01-24",
            "https://x.com/Fixture_User/status/1617979122625712128",
            "The hottest new programming language is plain English, said nobody in this fixture.",
        ),
        (
            "2023-02-01T10:00",
            None,
            "Build the smallest version that still surprises you.\nThen make it a little bigger.",
        ),
        ("2023-01-05", None, "Reading list: tools & habits https://example.com/reading"),
        (
            "2022-12-31",
            "https://twitter.com/Fixture_User/status/1610000000000000001",
            "Last post of the year, with the link first.",
        ),
        (None, None, "RT @someone: a repost kept in the dump"),
        (None, None, "An undated item with no link at all."),
        ("2023-03-03", None, "A date alone on its line heads this item: wombat-lantern."),
    ]


@pytest.mark.parametrize(
    ("line", "date"),
    [
        ("2023-01-24 text", "2023-01-24"),
        ("2023-01-24 10:00 text", "2023-01-24T10:00"),
        ("2023-01-24T10:30:00Z text", "2023-01-24T10:30"),
        ("2023-01-24T10:30:00+02:00 text", "2023-01-24T08:30"),
        ("[2023-01-24] text", "2023-01-24"),
        ("(Jan 24, 2023) text", "2023-01-24"),
        ("Jan 24, 2023 text", "2023-01-24"),
        ("January 24 2023 - text", "2023-01-24"),
        ("24 Jan 2023 | text", "2023-01-24"),
        ("Jan 24, 2023, 9:05 PM: text", "2023-01-24T21:05"),
        ("Tue Jan 24 10:00:00 +0000 2023 text", "2023-01-24T10:00"),
        ("2023-01-24 \u2014 text", "2023-01-24"),
    ],
)
def test_leading_date_forms(line: str, date: str):
    assert shape(line + "\n\nsecond item") == [(date, None, "text"), (None, None, "second item")]


def test_dated_lines_without_blank_lines_are_separate_items():
    text = "2023-01-01 first\n2023-01-02 second\ncontinues here\n2023-01-03 third"
    assert shape(text) == [
        ("2023-01-01", None, "first"),
        ("2023-01-02", None, "second\ncontinues here"),
        ("2023-01-03", None, "third"),
    ]


def test_one_item_per_line_when_the_file_has_no_blank_lines():
    assert [i.text for i in parse_items(ONE_PER_LINE)] == ONE_PER_LINE.splitlines()


def test_blank_lines_and_separators_split_multi_line_items():
    text = "first line\nsecond line\n---\nnext item\n\n* * *\n\nlast\nitem"
    assert [i.text for i in parse_items(text)] == ["first line\nsecond line", "next item", "last\nitem"]


def test_urls_lead_trail_or_stand_alone():
    text = (
        "https://x.com/a/status/1 leading url\n"
        "\n"
        "https://x.com/a/status/2\n"
        "2023-01-02 url line then date line\n"
        "\n"
        "trailing url\n"
        "<https://mobile.twitter.com/a/status/3?s=20>\n"
        "\n"
        "a link to another tweet stays text https://x.com/b/status/9"
    )
    assert shape(text) == [
        (None, "https://x.com/a/status/1", "leading url"),
        ("2023-01-02", "https://x.com/a/status/2", "url line then date line"),
        (None, "https://mobile.twitter.com/a/status/3?s=20", "trailing url"),
        (None, None, "a link to another tweet stays text https://x.com/b/status/9"),
    ]


def test_url_lines_between_dated_items_follow_the_block_style():
    heads = "https://x.com/a/status/1\n2023-01-01 one\nhttps://x.com/a/status/2\n2023-01-02 two"
    assert [i.url for i in parse_items(heads)] == ["https://x.com/a/status/1", "https://x.com/a/status/2"]
    tails = "2023-01-01 one\nhttps://x.com/a/status/1\n2023-01-02 two\nhttps://x.com/a/status/2"
    assert [(i.text, i.url) for i in parse_items(tails)] == [
        ("one", "https://x.com/a/status/1"),
        ("two", "https://x.com/a/status/2"),
    ]


def test_url_lines_in_a_one_per_line_file_end_the_previous_tweet():
    text = "first tweet\nhttps://x.com/a/status/1\nsecond tweet\nhttps://x.com/a/status/2"
    assert shape(text) == [
        (None, "https://x.com/a/status/1", "first tweet"),
        (None, "https://x.com/a/status/2", "second tweet"),
    ]


def test_bom_crlf_and_legacy_encodings(tmp_path: Path):
    path = write(tmp_path, "\ufeff2023-01-24 caf\u00e9 one\r\n\r\n2023-01-25 two\r\n".encode())
    assert [d.text for d in read_all(path)[0]] == ["caf\u00e9 one", "two"]
    latin = write(
        tmp_path, "2023-01-24 caf\u00e9 cr\u00e8me br\u00fbl\u00e9e\n\n2023-01-25 na\u00efve\n".encode("latin-1")
    )
    texts = [d.text for d in read_all(latin)[0]]  # the encoding is guessed; the items and their ASCII survive
    assert len(texts) == 2 and texts[0].startswith("caf") and texts[1].startswith("na")


# -- documents and ids -----------------------------------------------------------------------


def test_documents(fixtures: Path):
    docs, options = read_all(fixtures / "tweets.txt")
    assert len(docs) == 7 and not options.skipped
    first = docs[0]
    assert (first.source, first.source_id, first.kind) == ("tweet-text", "1617979122625712128", "tweet")
    assert first.url == "https://x.com/Fixture_User/status/1617979122625712128"
    assert first.published_at == utc(2023, 1, 24)
    assert first.thinker == "fixture_user"
    assert first.meta == {"line": 1}
    assert first.source_path == "tweets.txt"
    assert [d.kind for d in docs].count("repost") == 1
    assert docs[1].source_id.startswith("sha1:") and len(docs[1].source_id) == 21


def test_hash_id_depends_on_date_and_text_only():
    a, b, c = parse_items("2023-01-01 same text\n\n2023-01-02 same text\n\n2023-01-01 same  text")
    assert source_id(a) != source_id(b)
    assert source_id(a) == source_id(parse_items("[2023-01-01] same text")[0])
    assert source_id(c) != source_id(a)


def test_repeated_items_are_counted_and_skipped(tmp_path: Path):
    text = "2023-01-01 same\n\n2023-01-01 same\n\nhttps://x.com/a/status/5 one\n\nhttps://x.com/a/status/5 one again"
    docs, options = read_all(write(tmp_path, text))
    assert [d.source_id for d in docs] == [source_id(parse_items("2023-01-01 same")[0]), "5"]
    assert [s.reason for s in options.skipped] == ["2 repeated items (same status URL, or same date and text) skipped"]


def test_a_date_with_nothing_after_it_is_reported(tmp_path: Path):
    docs, options = read_all(write(tmp_path, "2023-01-01 a tweet\n\n2023-01-02"))
    assert [d.text for d in docs] == ["a tweet"]
    assert options.skipped[0].path.endswith("dump.txt:3")


def test_a_file_with_only_blank_lines_holds_no_tweets(tmp_path: Path):
    with pytest.raises(EmptyImportError, match="holds no tweets"):
        read_all(write(tmp_path, "\n\n   \n---\n"))


def test_nul_bytes_and_a_huge_item(tmp_path: Path):
    huge = "word " * 10_000
    docs, _ = read_all(write(tmp_path, f"2023-01-01 a\x00b\n\n2023-01-02 {huge}"))
    assert docs[0].text == "ab"
    assert len(docs[1].text) == len(huge.strip())


# -- through the whole path -----------------------------------------------------------------


def test_import_twice_adds_nothing_the_second_time(fixtures: Path, store):
    report = run_import(store, [str(fixtures / "tweets.txt")], ImportOptions())
    assert (report.added, report.by_source) == (7, {"tweet-text": 7})
    again = run_import(store, [str(fixtures / "tweets.txt")], ImportOptions())
    assert (again.added, again.unchanged) == (0, 7)
    hits = search(store, "wombat lantern").hits
    assert len(hits) == 1 and hits[0].published_at.startswith("2023-03-03")


def test_cli_import_with_thinker(fixtures: Path, db: str, run, store):
    result = run("import", fixtures / "tweets.txt", "--db", db, "--thinker", "someone", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 7
    assert store.thinkers() == ["someone"]
