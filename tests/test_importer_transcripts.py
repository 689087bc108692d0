"""Transcript importer: caption files, WebVTT, SRT, timestamp anchors, and hostile files."""

from __future__ import annotations

import json
import time

import pytest

from deepinsights.errors import EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions
from deepinsights.importers.transcripts import IMPORTER, MAX_CUE_CHARS, parse_timestamp, url_at, video_id
from deepinsights.ingest import run_import
from deepinsights.search import search


def _read(path, **kwargs):
    options = ImportOptions(root=path.parent, **kwargs)
    [doc] = IMPORTER.read(path, options)
    return doc, options


def test_caption_file_anchors_every_line(fixtures):
    doc, options = _read(fixtures / "captions.txt")
    assert options.skipped == []
    assert (doc.source, doc.source_id, doc.kind) == ("transcript", "capTion0001", "transcript")
    assert doc.url == "https://www.youtube.com/watch?v=capTion0001"
    assert doc.title == "captions"
    assert [a.label for a in doc.anchors] == ["0:00", "0:02", "0:05", "1:05", "2:10"]
    chain = doc.anchors[3]
    assert doc.text[chain.offset :].startswith("so that is the chain rule")
    assert chain.url == "https://www.youtube.com/watch?v=capTion0001&t=65s"
    assert doc.text.startswith("hi everyone welcome back today we are going to talk about gradient descent")
    assert "\n\n" in doc.text  # a new paragraph after a minute


def test_passages_link_to_timestamps(store, fixtures):
    report = run_import(store, [str(fixtures / "captions.txt")], ImportOptions())
    assert report.added == 1
    [passage] = store.rows("SELECT anchor, url FROM passages")
    assert passage == {"anchor": "0:00", "url": "https://www.youtube.com/watch?v=capTion0001&t=0s"}
    [hit] = search(store, "backpropagation").hits
    assert hit.url and "&t=" in hit.url


def test_vtt_header_note_tags_and_arrows_in_text(fixtures):
    doc, options = _read(fixtures / "talk.vtt")
    assert options.skipped == []
    assert doc.title == "Building a tiny autograd engine"
    assert doc.source_id == "tinyGrad001" and doc.published_at.year == 2023
    assert "Hello and welcome to the talk." in doc.text and "<v" not in doc.text
    assert "The arrow a --> b means b depends on a." in doc.text
    assert "Thanks for watching & see you next time." in doc.text
    assert [a.label for a in doc.anchors] == ["0:00", "0:04", "1:05", "1:02:03"]
    assert doc.anchors[-1].url == "https://www.youtube.com/watch?v=tinyGrad001&t=3723s"


def test_srt_without_source(fixtures):
    doc, options = _read(fixtures / "talk.srt")
    assert options.skipped == []
    assert doc.source_id == "talk.srt" and doc.url is None and doc.title == "talk"
    assert doc.text == "This is the first subtitle. And this one has two lines of text.\n\nThe end."
    assert [(a.label, a.url) for a in doc.anchors] == [("0:01", None), ("0:03", None), ("2:10", None)]


def test_detection(fixtures, tmp_path):
    plain = tmp_path / "notes.txt"
    plain.write_text("Just some notes.\n[1s] is not at the start\n")
    loose = tmp_path / "loose.txt"
    loose.write_text("[0s] starts right away\n[3s] without a source line\n")
    for name in ("captions.txt", "talk.vtt", "talk.srt"):
        assert importer_for(fixtures / name) is IMPORTER, name
    assert not IMPORTER.detect(plain) and importer_for(plain) is not IMPORTER
    assert IMPORTER.detect(loose)


def test_url_at_and_video_id():
    assert url_at("https://www.youtube.com/watch?v=abc", 7.9) == "https://www.youtube.com/watch?v=abc&t=7s"
    assert url_at("https://youtu.be/abc", 90) == "https://youtu.be/abc?t=90s"
    assert url_at("https://www.youtube.com/watch?v=abc&t=5s", 10) == "https://www.youtube.com/watch?v=abc&t=10s"
    assert url_at(None, 3) is None and url_at("https://x.org/v", None) == "https://x.org/v"
    assert video_id("https://youtu.be/xyz?t=1") == "xyz"
    assert video_id("https://www.youtube.com/embed/qq") == "qq"
    assert video_id("https://vimeo.com/123") is None
    assert parse_timestamp("01:02:03.5") == 3723.5 and parse_timestamp("02:03,450") == 123.45
    assert parse_timestamp("-00:00:01.000") is None and parse_timestamp("soon") is None


def test_cli_json(run, fixtures, db):
    result = run("import", fixtures / "talk.vtt", fixtures / "talk.srt", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_source"] == {"transcript": 2}


# -- hostile inputs (row 12) ----------------------------------------------------------


def test_missing_header_negative_and_backwards_timestamps(tmp_path):
    path = tmp_path / "odd.vtt"
    path.write_text(
        "00:00:05.000 --> 00:00:06.000\nfive\n\n"
        "-00:00:01.000 --> 00:00:02.000\nnegative\n\n"
        "00:00:03.000 --> 00:00:09.000\noverlapping and earlier\n\n"
        "garbage --> 00:00:10.000\nstill text\n"
    )
    doc, options = _read(path)
    assert [a.label for a in doc.anchors] == ["0:05", "-00:00:01.000", "0:03", "garbage"]
    assert doc.anchors[1].url is None
    assert doc.text == "five negative overlapping and earlier still text"
    [note] = options.skipped
    assert "no WEBVTT header" in note.reason and "2 timestamps unparseable" in note.reason
    assert "1 captions start before" in note.reason


def test_huge_single_cue_is_capped_quickly(tmp_path, store):
    path = tmp_path / "huge.vtt"
    with path.open("w") as handle:
        handle.write("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n")
        for _ in range(50):
            handle.write("blah " * 200_000)
        handle.write("\n\n00:00:02.000 --> 00:00:03.000\nafter the flood\n")
    began = time.monotonic()
    report = run_import(store, [str(path)], ImportOptions())
    assert time.monotonic() - began < 20
    text = store.rows("SELECT text FROM documents")[0]["text"]
    assert len(text) < MAX_CUE_CHARS + 100 and text.endswith("after the flood")
    [note] = report.skipped
    assert "captions cut to 100,000 characters" in note.reason and "lines over" in note.reason


def test_mixed_encodings_and_utf16(tmp_path):
    path = tmp_path / "mixed.srt"
    path.write_bytes(
        "1\n00:00:01,000 --> 00:00:02,000\ncafé in UTF-8\n\n".encode()
        + "2\n00:00:03,000 --> 00:00:04,000\ncafé in Windows-1252\n".encode("cp1252")
    )
    doc, options = _read(path)
    assert doc.text == "café in UTF-8 café in Windows-1252"
    assert "1 lines not UTF-8" in options.skipped[0].reason
    wide = tmp_path / "wide.vtt"
    wide.write_bytes("WEBVTT\n\n00:01.000 --> 00:02.000\nwide text\n".encode("utf-16"))
    assert IMPORTER.detect(wide)
    doc, _ = _read(wide)
    assert doc.text == "wide text" and doc.anchors[0].label == "0:01"


def test_rolling_auto_captions_are_not_doubled(tmp_path):
    path = tmp_path / "auto.vtt"
    path.write_text(
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nhello my name is\n\n"
        "00:00:02.000 --> 00:00:04.000\nhello my name is\nandre and today\n"
    )
    doc, _ = _read(path)
    assert doc.text == "hello my name is andre and today"


def test_transcript_without_text_is_an_error(tmp_path, run, db):
    path = tmp_path / "empty.vtt"
    path.write_text("WEBVTT\n\n00:00:00.000 --> 00:00:01.000\n\n")
    with pytest.raises(EmptyImportError, match="empty.vtt"):
        _read(path)
    result = run("import", path, "--db", db)
    assert result.exit_code == 1 and "empty.vtt" in result.output and "Traceback" not in result.output


# -- the real corpora ----------------------------------------------------------------


def test_karpathy_lecture_transcripts(corpora, store):
    report = run_import(store, [str(corpora / "karpathy" / "lecture-transcripts")], ImportOptions())
    assert report.added == 9 and report.skipped == []
    docs = store.rows("SELECT id, source_id, kind FROM documents")
    assert {d["kind"] for d in docs} == {"transcript"} and len({d["source_id"] for d in docs}) == 9
    micrograd = next(d for d in docs if d["source_id"] == "VMj-3S1tku0")
    urls = [p["url"] for p in store.passages(micrograd["id"])]
    assert all("watch?v=VMj-3S1tku0&t=" in u for u in urls)
    hits = search(store, "backpropagation", limit=50).hits
    assert any(hit.id == micrograd["id"] for hit in hits)
