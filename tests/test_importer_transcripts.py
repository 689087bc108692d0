"""Transcript importer: caption files, WebVTT, SRT, timestamp anchors, and hostile files."""

from __future__ import annotations

import json
import time

import pytest

from deepinsights.errors import EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.transcripts import IMPORTER, MAX_CUE_CHARS, parse_timestamp, url_at, video_id
from deepinsights.ingest import run_import
from deepinsights.models import SearchFilter
from deepinsights.search import search


def _read(path, **kwargs):
    options = ImportRun(root=path.parent, **kwargs)
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


# -- yt-dlp's metadata beside the captions --------------------------------------------

YT_VTT = "WEBVTT\nKind: captions\nLanguage: en\n\n00:00:01.000 --> 00:00:04.000\nwelcome to the talk about tokenizers\n"


def _yt_dlp_pair(folder, info: object, name: str = "Let's build the GPT Tokenizer [zduSFxRajkE]"):
    """Write what ``yt-dlp --write-auto-subs --write-info-json`` leaves: NAME.en.vtt and NAME.info.json."""
    (folder / f"{name}.en.vtt").write_text(YT_VTT)
    sidecar = folder / f"{name}.info.json"
    sidecar.write_text(info if isinstance(info, str) else json.dumps(info))
    return folder / f"{name}.en.vtt", sidecar


def test_yt_dlp_metadata_gives_title_link_and_date_and_is_not_imported_itself(tmp_path, store, run, db):
    info = {
        "id": "zduSFxRajkE",
        "title": "Let's build the GPT Tokenizer",
        "webpage_url": "https://www.youtube.com/watch?v=zduSFxRajkE",
        "upload_date": "20240220",
        "description": "In this lecture we build from scratch the Tokenizer used in the GPT series from OpenAI.",
        "formats": [{"format_id": str(i)} for i in range(50)],
    }
    folder = tmp_path / "lectures"
    folder.mkdir()
    captions, sidecar = _yt_dlp_pair(folder, info)
    assert importer_for(sidecar) is IMPORTER  # claimed here, so the JSON importer does not make it a record
    doc, options = _read(captions)
    assert doc.title == "Let's build the GPT Tokenizer"
    assert (doc.source_id, doc.url) == ("zduSFxRajkE", "https://www.youtube.com/watch?v=zduSFxRajkE")
    assert doc.published_at.date().isoformat() == "2024-02-20"
    assert doc.anchors[0].url == "https://www.youtube.com/watch?v=zduSFxRajkE&t=1s"
    assert options.skipped == []

    result = run("import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == 1 and report["by_source"] == {"transcript": 1}
    assert [s["reason"] for s in report["skipped"]] == [f"yt-dlp metadata, read with '{captions.name}'"]
    [row] = store.rows("SELECT title, published_at FROM documents")
    assert row["title"] == "Let's build the GPT Tokenizer" and row["published_at"].startswith("2024-02-20")


def test_the_transcripts_own_header_wins_over_yt_dlp_metadata(tmp_path):
    captions, _ = _yt_dlp_pair(tmp_path, {"title": "From yt-dlp", "timestamp": 1708387200}, name="talk")
    captions.write_text("WEBVTT - My own title\n\n00:00:01.000 --> 00:00:02.000\nhello\n")
    doc, _ = _read(captions)
    assert doc.title == "My own title"
    assert doc.published_at.isoformat().startswith("2024-02-20")  # the epoch timestamp, when there is one
    assert doc.url is None  # the sidecar had no link


@pytest.mark.parametrize(
    ("info", "reason"),
    [
        ("{not json", "yt-dlp metadata not used: Expecting property name"),
        ("[1, 2]", "yt-dlp metadata not used: not a JSON object"),
        ("[" * 100_000 + "]" * 100_000, "yt-dlp metadata not used:"),
        ("\udcff\x00\x01binary", "yt-dlp metadata not used:"),
    ],
)
def test_an_unusable_yt_dlp_sidecar_is_reported_and_the_captions_still_import(tmp_path, info, reason):
    captions, sidecar = _yt_dlp_pair(tmp_path, "", name="clip [abc]")
    sidecar.write_bytes(info.encode("utf-8", "surrogateescape"))
    doc, options = _read(captions)
    assert doc.title == "clip [abc].en" and "tokenizers" in doc.text
    [skip] = options.skipped
    assert skip.path == sidecar.name and skip.reason.startswith(reason) and not skip.expected


def test_wrong_typed_yt_dlp_fields_are_left_out(tmp_path):
    info = {
        "title": ["not", "a", "string"],
        "webpage_url": "javascript:alert(1)",
        "upload_date": "2024-02-30xx",
        "timestamp": True,
        "language": "<script>",
    }
    captions, _ = _yt_dlp_pair(tmp_path, info, name="odd")
    doc, options = _read(captions)
    assert (doc.title, doc.url, doc.published_at) == ("odd.en", None, None)
    assert options.skipped == []
    _yt_dlp_pair(tmp_path, {"timestamp": float("nan")}, name="nan")  # json.dumps writes NaN; json.loads reads it
    doc, _ = _read(tmp_path / "nan.en.vtt")
    assert doc.published_at is None
    long_title = {"title": "word " * 10_000, "upload_date": "20240230"}  # no such day: no date, no crash
    _yt_dlp_pair(tmp_path, long_title, name="long")
    doc, _ = _read(tmp_path / "long.en.vtt")
    assert len(doc.title) == 2000 and doc.published_at is None


def test_a_json_file_that_describes_no_transcript_is_left_to_the_json_importer(tmp_path):
    lonely = tmp_path / "records.info.json"
    lonely.write_text(json.dumps([{"text": "a record", "date": "2024-01-01"}]))
    (tmp_path / "records.txt").write_text("plain notes, not captions\n")
    assert not IMPORTER.detect(lonely) and importer_for(lonely) is not IMPORTER


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
    hits = search(store, "backpropagation", SearchFilter(limit=50)).hits
    assert any(hit.id == micrograd["id"] for hit in hits)


def test_a_transcript_named_only_by_its_video_is_titled_by_its_first_words_and_its_missing_date_said(tmp_path):
    path = tmp_path / "youtube_VMj-3S1tku0.txt"
    lines = ["hello my name is andre", "and i've been training deep neural", "networks for a bit more than a decade"]
    body = "\n".join(f"[{i}s] {line}" for i, line in enumerate(lines * 3))
    path.write_text(f"SOURCE: https://www.youtube.com/watch?v=VMj-3S1tku0\n\n{body}\n")
    doc, options = _read(path)
    assert doc.title == "“hello my name is andre and i've been training deep neural networks for a bit…”"
    assert doc.published_at is None
    assert [(n.path, n.message.split(":")[0]) for n in options.notes] == [("youtube_VMj-3S1tku0.txt", "no date")]
    assert options.skipped == [], "a note, not a skip: --strict does not fail on it"


@pytest.mark.parametrize(
    ("name", "header", "title"),
    [
        ("Building micrograd [VMj-3S1tku0].en.txt", "", "Building micrograd [VMj-3S1tku0].en"),  # the name says more
        ("youtube_VMj-3S1tku0.txt", "Title: The spelled-out intro\n", "The spelled-out intro"),  # the header wins
        ("short_VMj-3S1tku0.txt", "", "short_VMj-3S1tku0"),
        ("youtube_VMj-3S1tku0.txt", "Date: 2022-08-16\n", "“hello there”"),  # short: whole, no ellipsis
    ],
)
def test_a_named_or_headed_transcript_keeps_its_title(tmp_path, name, header, title):
    path = tmp_path / name
    path.write_text(f"{header}SOURCE: https://www.youtube.com/watch?v=VMj-3S1tku0\n\n[0s] hello there\n")
    doc, options = _read(path)
    assert doc.title == title
    assert bool(options.notes) == ("Date:" not in header)
