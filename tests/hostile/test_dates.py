"""Bad dates (issue 19 item 2): a date that is no date costs the record its date, never the import.

Every importer reads dates through ``importers.dates.parse_date``; each format below gets
one record with a good date and one with a bad one, and must import both, the bad one
undated with a one-line warning naming it, and never a plausible-looking wrong date.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.importers import ImportOptions, ImportRun, plan
from deepinsights.importers.dates import DateError, parse_date
from deepinsights.importers.tabular import IMPORTER as TABULAR
from deepinsights.ingest import run_import
from deepinsights.models import ImportReport

GOOD = "2023-01-02T10:00:00Z"
OFFSETS = ["+24:00", "+9999", "+25:00", "+9900", "+30:00", "-24:00"]


# -- the parser itself ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize(
    "layout", ["2023-01-02T10:00:00{}", "Mon, 02 Jan 2023 10:00:00 {}", "Mon Jan 02 10:00:00 {} 2023"]
)
def test_offset_of_24_hours_or_more_is_no_date(layout, offset):
    with pytest.raises(DateError, match="offset of 24 hours or more"):
        parse_date(layout.format(offset))


@pytest.mark.parametrize(
    "value", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", datetime(1, 1, 1, tzinfo=UTC)]
)
def test_offset_pushing_past_year_1_or_9999_is_no_date(value):
    with pytest.raises(DateError):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("-1", "no plausible timestamp"),
        (-1, "no plausible timestamp"),
        (0, "no plausible timestamp"),
        (253402300800, "no plausible timestamp"),  # year 10000 in seconds, not 1978 in milliseconds
        ("253402300800", "no plausible timestamp"),
        (12, "no plausible timestamp"),
        ("0000-01-01", "year 0000"),
        ("Mon, 01 Jan 0000 00:00:00 GMT", "year 0000"),  # dateutil made it 2000-01-01
        ("Mon Jan 01 00:00:00 -0500 0001", "year 0001"),  # dateutil made it 2001
        ("Mon, 01 Jan 1 00:00:00 +0500", "one-digit year"),  # dateutil made it 2000-12-31
        ("0001-01-01T00:00:00Z", "year 1"),  # the 'no date' of .NET and Go
        ("1970-01-01T00:00:00Z", "Unix epoch"),
        ("Jan 5", "no year"),  # dateutil filled in this year
        ("12:30", "no year"),
        ("2023-02-30", "not a date"),
        ("9999-12-31", "in the future"),
        (True, "not a date"),
        (float("nan"), "not a date"),
        ("x" * 200, "too long"),
        ("Mon, 02 Jan 2023 10:00:00 XYZ", "time zone that is not known"),
        ({"a": 1}, "not a date"),
    ],
)
def test_nonsense_dates_are_not_turned_into_plausible_ones(value, reason):
    with pytest.raises(DateError, match=reason):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-01-02T10:00:00Z", "2023-01-02T10:00:00"),
        ("2023-01-02T10:00:00+23:59", "2023-01-01T10:01:00"),
        ("Mon, 02 Jan 2023 10:00:00 +0100", "2023-01-02T09:00:00"),
        ("Mon, 02 Jan 2023 10:00:00 PST", "2023-01-02T18:00:00"),
        ("Thu Nov 03 08:50:26 +0000 2022", "2022-11-03T08:50:26"),
        (1672653600, "2023-01-02T10:00:00"),
        (1672653600123, "2023-01-02T10:00:00"),
        ("1672653600", "2023-01-02T10:00:00"),
        (2020, "2020-01-01T00:00:00"),  # YAML's `date: 2020`
        ("20230102", "2023-01-02T00:00:00"),  # yt-dlp's upload_date
        ("March 2020", "2020-03-01T00:00:00"),
        (datetime(2023, 1, 2, 10), "2023-01-02T10:00:00"),
    ],
)
def test_real_dates_still_parse(value, expected):
    moment = parse_date(value)
    assert moment is not None and moment.tzinfo == UTC
    assert moment.replace(tzinfo=None, microsecond=0).isoformat() == expected


@pytest.mark.parametrize("value", [None, "", "   "])
def test_absent_dates_are_none_without_a_warning(value):
    options = ImportRun()
    assert options.date(value, "x") is None and options.warnings == []


# -- every format: the record imports undated, with a one-line reason ---------------------------


def _markdown(root: Path, good: str, bad: str) -> Path:
    for name, stamp in (("good", good), ("bad", bad)):
        (root / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: {stamp}\n---\n\nThe {name} post body.\n")
    return root


def _markdown_quoted(root: Path, good: str, bad: str) -> Path:
    for name, stamp in (("good", good), ("bad", bad)):
        (root / f"{name}.md").write_text(f"---\ntitle: {name}\ndate: '{stamp}'\n---\n\nThe {name} post body.\n")
    return root


def _x_archive(root: Path, good: str, bad: str) -> Path:
    def tweet(tid: int, stamp: str) -> dict:
        return {"tweet": {"id_str": str(tid), "full_text": f"tweet {tid}", "created_at": _x_created(stamp)}}

    (root / "data").mkdir()
    body = json.dumps([tweet(1, good), tweet(2, bad)])
    (root / "data" / "tweets.js").write_text(f"window.YTD.tweets.part0 = {body}")
    return root / "data" / "tweets.js"


def _x_created(iso: str) -> str:
    """X's layout, "Mon Jan 02 10:00:00 +0000 2023", for an ISO stamp with any offset text (else as it is)."""
    try:
        day = datetime.fromisoformat(iso[:19])
    except ValueError:
        return iso
    offset = iso[19:].replace("Z", "+0000")
    return f"{day:%a %b %d %H:%M:%S} {offset} {day:%Y}"


def _mastodon(root: Path, good: str, bad: str) -> Path:
    def create(n: int, stamp: str) -> dict:
        obj = {"id": f"https://s.example/statuses/{n}", "type": "Note", "content": f"<p>post {n}</p>",
               "published": stamp}  # fmt: skip
        return {"id": f"https://s.example/statuses/{n}/activity", "type": "Create", "published": stamp,
                "to": ["https://www.w3.org/ns/activitystreams#Public"], "object": obj}  # fmt: skip

    outbox = {"type": "OrderedCollection", "orderedItems": [create(1, good), create(2, bad)]}
    (root / "outbox.json").write_text(json.dumps(outbox))
    return root / "outbox.json"


def _rss(root: Path, good: str, bad: str) -> Path:
    def item(n: int, stamp: str) -> str:
        return f"<item><title>item {n}</title><guid>https://a.example/{n}</guid><description>words {n}</description>" \
               f"<pubDate>{_rfc2822(stamp)}</pubDate></item>"  # fmt: skip

    items = item(1, good) + item(2, bad)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'
    (root / "feed.xml").write_text(feed)
    return root / "feed.xml"


def _rfc2822(iso: str) -> str:
    """RFC 2822's layout for an ISO stamp with any offset text (anything else as it is)."""
    try:
        day = datetime.fromisoformat(iso[:19])
    except ValueError:
        return iso
    offset = iso[19:].replace("Z", "+0000")
    return f"{day:%a, %d %b %Y %H:%M:%S} {offset}"


def _atom(root: Path, good: str, bad: str) -> Path:
    def entry(n: int, stamp: str) -> str:
        return f"<entry><title>entry {n}</title><id>tag:a.example,2023:{n}</id><published>{stamp}</published>" \
               f"<summary>words {n}</summary></entry>"  # fmt: skip

    entries = entry(1, good) + entry(2, bad)
    feed = f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{entries}</feed>'
    (root / "atom.xml").write_text(feed)
    return root / "atom.xml"


def _vtt(root: Path, good: str, bad: str) -> Path:
    for name, stamp in (("good", good), ("bad", bad)):
        (root / f"{name}.vtt").write_text(
            f"WEBVTT\n\nNOTE\nDate: {stamp}\n\n1\n00:00:00.000 --> 00:00:02.000\nThe {name} talk.\n"
        )
    return root


def _jsonl(root: Path, good: str, bad: str) -> Path:
    rows = [{"id": n, "text": f"record {n}", "created_at": stamp} for n, stamp in ((1, good), (2, bad))]
    (root / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return root / "records.jsonl"


def _csv(root: Path, good: str, bad: str) -> Path:
    (root / "records.csv").write_text(f"id,text,published\n1,record one,{good}\n2,record two,{bad}\n")
    return root / "records.csv"


def _html(root: Path, good: str, bad: str) -> Path:
    for name, stamp in (("good", good), ("bad", bad)):
        (root / f"{name}.html").write_text(
            f'<!doctype html><html><head><title>{name}</title><meta property="article:published_time" '
            f'content="{stamp}"></head><body><article><p>The {name} page.</p></article></body></html>'
        )
    return root


def _tweet_text(root: Path, good: str, bad: str) -> Path:
    lines = [f"{stamp[:10]} {stamp[11:16]}{stamp[19:]} tweet number {n}" for n, stamp in ((1, good), (2, bad))]
    (root / "tweets.txt").write_text("\n\n".join(lines) + "\n\n" + "\n\n".join(f"filler tweet {n}" for n in range(6)))
    return root / "tweets.txt"


def _yt_dlp_sidecar(root: Path, good: str, bad: str) -> Path:
    for name, stamp in (("good", good[:10].replace("-", "")), ("bad", bad)):  # yt-dlp writes YYYYMMDD
        (root / f"{name}.en.vtt").write_text(f"WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nThe {name} talk.\n")
        (root / f"{name}.info.json").write_text(json.dumps({"title": name, "upload_date": stamp}))
    return root


FORMATS: dict[str, Callable[[Path, str, str], Path]] = {
    "markdown": _markdown,
    "markdown-quoted": _markdown_quoted,
    "x-archive": _x_archive,
    "mastodon": _mastodon,
    "rss": _rss,
    "atom": _atom,
    "vtt": _vtt,
    "jsonl": _jsonl,
    "csv": _csv,
    "html": _html,
}


def _import(tmp_path: Path, write: Callable[[Path, str, str], Path], bad: str) -> tuple[ImportReport, list[str]]:
    """Import what ``write`` made into a fresh SQLite workspace: the report and the stored dates, sorted."""
    root = tmp_path / "src"
    root.mkdir()
    source = write(root, GOOD, bad)
    workspace = Store(tmp_path / "w.db")
    try:
        report = run_import(workspace, [str(source)], ImportOptions())
        dates = sorted(str(r["published_at"]) for r in workspace.rows("SELECT published_at FROM documents"))
    finally:
        workspace.close()
    return report, dates


@pytest.mark.parametrize("offset", OFFSETS)
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_offset_of_24_hours_or_more_imports_the_record_undated(tmp_path, fmt, offset):
    report, dates = _import(tmp_path, FORMATS[fmt], f"2023-01-03T10:00:00{offset}")
    assert report.added == 2 and not [s for s in report.skipped if not s.expected]
    assert dates == ["2023-01-02T10:00:00Z", "None"]
    [warning] = report.warnings
    assert "date not used" in warning.reason and "offset of 24 hours or more" in warning.reason
    assert "\n" not in warning.reason


@pytest.mark.parametrize("bad", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_offset_pushing_past_year_1_or_9999_imports_the_record_undated(tmp_path, fmt, bad):
    report, dates = _import(tmp_path, FORMATS[fmt], bad)
    assert report.added == 2 and dates == ["2023-01-02T10:00:00Z", "None"]
    assert len(report.warnings) == 1 and "date not used" in report.warnings[0].reason


@pytest.mark.parametrize(("fmt", "bad"), [("jsonl", "-1"), ("csv", "253402300800"), ("markdown", "0000-01-01"),
                                          ("rss", "Mon, 01 Jan 0000 00:00:00 GMT"), ("vtt", "-1")])  # fmt: skip
def test_nonsense_dates_import_undated_not_as_plausible_dates(tmp_path, fmt, bad):
    root = tmp_path / "src"
    root.mkdir()
    source = FORMATS[fmt](root, GOOD, bad)
    options = ImportRun()
    docs = [doc for importer, path in plan(source, options) for doc in importer.read(path, options)]
    assert sorted(str(d.published_at)[:10] for d in docs) == ["2023-01-02", "None"]
    assert len(options.warnings) == 1


def test_json_number_dates_are_checked_too(tmp_path):
    rows = [
        {"text": "ms", "date": 1672653600000},
        {"text": "sentinel", "date": 253402300800},
        {"text": "neg", "date": -1},
    ]
    path = tmp_path / "r.json"
    path.write_text(json.dumps(rows))
    options = ImportRun()
    docs = list(TABULAR.read(path, options))
    assert [str(d.published_at)[:10] for d in docs] == ["2023-01-02", "None", "None"]
    assert [w.path for w in options.warnings] == ["r.json#2", "r.json#3"]


def test_tweet_text_dump_with_a_bad_offset_keeps_the_tweet(tmp_path):
    report, dates = _import(tmp_path, _tweet_text, "2023-01-03T10:00:00+99:99")
    assert report.added == 8 and dates.count("None") == 7  # six filler tweets have no date at all
    assert len(report.warnings) == 1 and "offset" in report.warnings[0].reason


def test_yt_dlp_upload_date_that_is_no_date_keeps_the_transcript(tmp_path):
    report, dates = _import(tmp_path, _yt_dlp_sidecar, "00000000")
    assert report.added == 2 and dates == ["2023-01-02T00:00:00Z", "None"]
    assert len(report.warnings) == 1


def test_one_bad_date_does_not_abort_the_import_and_strict_refuses_it(tmp_path, db, run, store):
    root = tmp_path / "posts"
    root.mkdir()
    _markdown(root, GOOD, "2023-01-03T10:00:00+24:00")
    strict = run("import", root, "--db", db, "--strict")
    assert strict.exit_code == 1 and "warning" in strict.output and "--strict" in strict.output
    assert store.document_count() == 0
    result = run("import", root, "--db", db)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "warning" in result.output and "bad.md: date not used:" in result.output
    assert "2 added, 0 updated, 0 unchanged, 0 skipped, 1 warnings" in result.output
    data = json.loads(run("imports", "--db", db, "--json").output)
    assert [w["path"] for w in data[-1]["warnings"]] == ["bad.md"] and data[-1]["skipped"] == []


def test_a_bad_date_read_in_the_child_process_is_reported_by_the_parent(tmp_path, monkeypatch):
    monkeypatch.setenv("INSIGHTS_PARSE_IN_CHILD_BYTES", "0")  # every file is parsed in a forked child
    report, dates = _import(tmp_path, _jsonl, "2023-01-03T10:00:00+24:00")
    assert report.added == 2 and dates == ["2023-01-02T10:00:00Z", "None"]
    assert [w.path for w in report.warnings] == ["records.jsonl#2"]
