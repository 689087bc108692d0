"""The X archive importer: the hand-written fixture, format drift, hostile archives, the real corpus."""

from __future__ import annotations

import json
import shutil
import tracemalloc
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError, EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.jsonstream import iter_json_array
from deepinsights.importers.x_archive import IMPORTER
from deepinsights.ingest import run_import
from deepinsights.search import search

# -- helpers -----------------------------------------------------------------------------


def tweet(tid: int, text: str = "hello world", **extra):
    item = {
        "id_str": str(tid),
        "id": str(tid),
        "full_text": text,
        "created_at": "Thu Nov 03 08:50:26 +0000 2022",
        "entities": {"urls": [], "hashtags": []},
        "favorite_count": "2",
        "retweet_count": "1",
    }
    item.update(extra)
    return item


def tweets_js(items, *, name: str = "tweets", wrap: bool = True) -> str:
    body = json.dumps([{"tweet": t} if wrap else t for t in items], indent=2, ensure_ascii=False)
    return f"window.YTD.{name}.part0 = {body}"


def manifest_js(parts: list[tuple[str, int]], user: str = "someone") -> str:
    files = [{"fileName": name, "globalName": "YTD.tweets.part0", "count": str(n)} for name, n in parts]
    config = {"userInfo": {"accountId": "42", "userName": user}, "dataTypes": {"tweets": {"files": files}}}
    return "window.__THAR_CONFIG = " + json.dumps(config, indent=2)


def make_folder(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def make_zip(path: Path, files: dict[str, str | bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(zipfile.ZipInfo(name), content, compress_type=zipfile.ZIP_DEFLATED)
    return path


def zip_folder(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return dest


def read_all(path: Path, *, keep_raw: bool = False):
    options = ImportRun(root=path, keep_raw=keep_raw)
    docs = list(IMPORTER.read(path, options))
    return docs, options


def reasons(options: ImportRun) -> str:
    return "\n".join(f"{s.path}: {s.reason}" for s in options.skipped)


def count_docs(store) -> int:
    return store.rows("SELECT count(*) AS n FROM documents")[0]["n"]


# -- the fixture -------------------------------------------------------------------------


@pytest.fixture
def archive(fixtures: Path) -> Path:
    return fixtures / "x_archive"


@pytest.fixture
def by_id(archive: Path):
    docs, _ = read_all(archive)
    return {doc.source_id: doc for doc in docs}


def test_detects_folder_data_folder_lone_file_and_zip(archive: Path, tmp_path: Path):
    assert IMPORTER.detect(archive)
    assert IMPORTER.detect(archive / "data")
    assert IMPORTER.detect(archive / "data" / "tweets.js")
    assert IMPORTER.detect(zip_folder(archive, tmp_path / "twitter.zip"))
    assert importer_for(archive) is IMPORTER


def test_detection_looks_at_content_not_names(tmp_path: Path, archive: Path):
    assert not IMPORTER.detect(archive / "data" / "note-tweet.js")
    assert not IMPORTER.detect(archive / "data" / "manifest.js")
    bundle = make_folder(tmp_path / "webapp", {"tweets.js": "export function tweets() { return []; }"})
    assert not IMPORTER.detect(bundle)
    assert not IMPORTER.detect(bundle / "tweets.js")
    headers = make_folder(tmp_path / "h", {"tweet-headers.js": tweets_js([tweet(1)], name="tweet_headers")})
    assert not IMPORTER.detect(headers / "tweet-headers.js")
    assert not IMPORTER.detect(make_zip(tmp_path / "site.zip", {"index.md": "# hi", "notes/tweets.md": "x"}))
    renamed = make_folder(tmp_path / "r", {"export.js": tweets_js([tweet(1)])})
    assert IMPORTER.detect(renamed / "export.js")


def test_fixture_kinds(by_id):
    kinds = {tid[-2:]: doc.kind for tid, doc in by_id.items()}
    assert kinds == {
        "10": "tweet",
        "09": "tweet",
        "08": "tweet",
        "07": "tweet",
        "06": "reply",
        "05": "repost",
        "04": "quote",
        "03": "tweet",
        "02": "tweet",
        "01": "tweet",
    }


def test_deleted_tweets_are_excluded(archive: Path, by_id):
    assert "1600000000000000011" not in by_id
    _, options = read_all(archive)
    assert "1 deleted tweet(s) excluded" in reasons(options)


def test_links_entities_and_media(by_id):
    assert by_id["1600000000000000003"].text == "Reading list: tools & habits https://example.com/reading"
    assert by_id["1600000000000000006"].text == "@alice Agreed & the benchmarks say so too <3"
    media = by_id["1600000000000000002"]
    assert media.text == "Whiteboard from today"
    assert media.meta["media"] == ["https://pbs.twimg.com/media/Whiteboard1.jpg"]
    assert "t.co" not in " ".join(doc.text for doc in by_id.values())


def test_reply_repost_and_quote_meta(by_id):
    reply = by_id["1600000000000000006"].meta
    assert reply["in_reply_to_status_id"] == "1599999999999999999"
    assert reply["in_reply_to_screen_name"] == "alice"
    assert by_id["1600000000000000005"].meta["reposted_screen_name"] == "bob"
    assert by_id["1600000000000000004"].meta["quoted_status_id"] == "1588000000000000000"
    assert "quoted_status_id" not in by_id["1600000000000000010"].meta  # its link points at itself


def test_self_thread_is_linked(by_id):
    head, second, third = (by_id[f"160000000000000000{n}"].meta for n in (7, 8, 9))
    assert head["thread_root"] == "1600000000000000007" and "thread_parent" not in head
    assert second["thread_parent"] == "1600000000000000007"
    assert third["thread_parent"] == "1600000000000000008"
    assert third["thread_root"] == "1600000000000000007"
    assert "thread_root" not in by_id["1600000000000000006"].meta


def test_note_tweet_is_merged_into_its_tweet(by_id):
    doc = by_id["1600000000000000010"]
    assert doc.text.startswith("Long posts are where an argument gets room to breathe.")
    assert doc.text.endswith("the last sentence only exists here: zebra-quokka.")
    assert "https://example.com/long-argument" in doc.text
    assert doc.meta["note_tweet_id"] == "1600000000000000999"


def test_keep_raw_keeps_the_original_tweet_and_note(archive: Path):
    docs, _ = read_all(archive, keep_raw=True)
    by_id = {doc.source_id: doc for doc in docs}
    assert json.loads(by_id["1600000000000000010"].raw)["noteTweet"]["noteTweetId"] == "1600000000000000999"
    assert json.loads(by_id["1600000000000000006"].raw)["tweet"]["source"].startswith("<a href=")


def test_provenance_dates_and_counts_without_raw_by_default(by_id):
    doc = by_id["1600000000000000006"]
    assert doc.source == "x-archive" and doc.source_id == "1600000000000000006"
    assert doc.url == "https://x.com/Thinker_X/status/1600000000000000006"
    assert doc.thinker == "thinker_x"
    assert doc.published_at == datetime(2023, 1, 31, 21, 30, 39, tzinfo=UTC)
    assert doc.meta["like_count"] == 3 and doc.meta["repost_count"] == 0
    assert doc.raw is None  # the archive stays the original; --keep-raw stores it too
    assert doc.source_path == "x_archive/data/tweets.js"


def test_import_folder_and_zip_then_reimport_adds_nothing(archive: Path, tmp_path: Path, store):
    report = run_import(store, [str(archive)], ImportOptions())
    assert (report.added, report.by_source) == (10, {"x-archive": 10})
    zipped = zip_folder(archive, tmp_path / "twitter-2023.zip")
    again = run_import(store, [str(zipped)], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 10)
    hits = search(store, "quokka").hits
    assert [h.url for h in hits] == ["https://x.com/Thinker_X/status/1600000000000000010"]


def test_cli_import_json(archive: Path, db: str, run):
    result = run("import", archive, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] == 10
    assert any("deleted" in s["reason"] for s in report["skipped"])


def test_thinker_option_overrides_screen_name(archive: Path, store):
    run_import(store, [str(archive)], ImportOptions(thinker="tx"))
    assert store.thinkers() == ["tx"]


# -- format drift --------------------------------------------------------------------------


def test_old_export_tweet_js_unwrapped_at_root(tmp_path: Path):
    # 2019-era exports: data/tweet.js, window.YTD.tweet.part0, items not wrapped in {"tweet": …}
    folder = make_folder(tmp_path / "old", {"tweet.js": tweets_js([tweet(1), tweet(2)], name="tweet", wrap=False)})
    assert IMPORTER.detect(folder)
    docs, _ = read_all(folder)
    assert sorted(d.source_id for d in docs) == ["1", "2"]


def test_no_prefix_bom_crlf_trailing_semicolon(tmp_path: Path):
    body = json.dumps([{"tweet": tweet(5, "caf\u00e9 time")}], indent=2).replace("\n", "\r\n")
    path = tmp_path / "tweets.js"
    path.write_bytes(b"\xef\xbb\xbf" + body.encode() + b";\r\n")
    assert IMPORTER.detect(path)
    docs, _ = read_all(path)
    assert [d.text for d in docs] == ["caf\u00e9 time"]


def test_missing_entities_and_withheld_fields(tmp_path: Path):
    bare = {"id_str": "9", "full_text": "no extras &gt; none", "created_at": "2022-11-03T08:50:26.000Z"}
    folder = make_folder(tmp_path / "a", {"data/tweets.js": tweets_js([bare])})
    (doc,) = read_all(folder)[0]
    assert doc.text == "no extras > none"
    assert doc.published_at == datetime(2022, 11, 3, 8, 50, 26, tzinfo=UTC)
    assert doc.url == "https://x.com/i/status/9" and doc.thinker == ""


def test_parts_listed_in_manifest_are_merged(tmp_path: Path):
    files = {
        "data/manifest.js": manifest_js([("data/tweets.js", 2), ("data/tweets-part1.js", 1)]),
        "data/tweets.js": tweets_js([tweet(1), tweet(2)]),
        "data/tweets-part1.js": tweets_js([tweet(3)]).replace("part0", "part1"),
    }
    docs, options = read_all(make_zip(tmp_path / "a.zip", files))
    assert sorted(d.source_id for d in docs) == ["1", "2", "3"]
    assert {d.url for d in docs} >= {"https://x.com/someone/status/3"}
    assert not options.skipped


def test_lone_file_takes_screen_name_from_media_links(tmp_path: Path):
    media = {"url": "https://t.co/m", "expanded_url": "https://twitter.com/Pat/status/7/photo/1"}
    path = make_folder(
        tmp_path, {"tweets.js": tweets_js([tweet(7, "pic https://t.co/m", entities={"media": [media]})])}
    )
    (doc,) = read_all(path / "tweets.js")[0]
    assert (doc.url, doc.thinker, doc.text) == ("https://x.com/Pat/status/7", "pat", "pic")


def test_unknown_files_are_reported_not_dropped(tmp_path: Path):
    files = {
        "data/tweets.js": tweets_js([tweet(1)]),
        "data/like.js": "window.YTD.like.part0 = []",
        "data/direct-messages.js": "window.YTD.direct_messages.part0 = []",
        "data/tweets_media/1-a.jpg": b"\xff\xd8",
        "data/tweets_media/1-b.jpg": b"\xff\xd8",
        "Your archive.html": "<html></html>",
    }
    _, options = read_all(make_folder(tmp_path / "x", files))
    text = reasons(options)
    assert "like.js: not imported" in text
    assert "direct-messages.js: private data" in text
    assert "tweets_media/: 2 media or archive-viewer files" in text
    assert "Your archive.html: not imported" in text


# -- counts and emptiness ----------------------------------------------------------------


def test_manifest_claims_tweets_but_file_is_empty(tmp_path: Path):
    folder = make_folder(
        tmp_path / "a", {"data/manifest.js": manifest_js([("data/tweets.js", 3)]), "data/tweets.js": tweets_js([])}
    )
    with pytest.raises(EmptyImportError, match="lists 3 tweets but none could be imported"):
        read_all(folder)


def test_manifest_claims_tweets_but_file_is_missing(tmp_path: Path):
    folder = make_folder(tmp_path / "a", {"data/manifest.js": manifest_js([("data/tweets.js", 3)])})
    assert IMPORTER.detect(folder)
    with pytest.raises(EmptyImportError):
        read_all(folder)


def test_items_that_are_not_tweets(tmp_path: Path):
    path = make_folder(tmp_path, {"tweets.js": 'window.YTD.tweets.part0 = [{"tweet": {"full_text": "no id"}}, 3]'})
    with pytest.raises(EmptyImportError, match="holds 2 items but none is a tweet"):
        read_all(path / "tweets.js")


def test_an_account_that_never_tweeted_imports_nothing_quietly(tmp_path: Path):
    files = {
        "data/manifest.js": manifest_js([("data/tweets.js", 0)]),
        "data/tweets.js": "window.YTD.tweets.part0 = [ ]",
        "data/deleted-tweets.js": "window.YTD.deleted_tweets.part0 = [ ]",
    }
    docs, options = read_all(make_folder(tmp_path / "a", files))
    assert docs == [] and not options.skipped


def test_duplicate_ids_inside_one_archive(tmp_path: Path, store):
    files = {
        "data/tweets.js": tweets_js([tweet(1, "first"), tweet(2), tweet(1, "again")]),
        "data/tweets-part1.js": tweets_js([tweet(2)]),
    }
    folder = make_folder(tmp_path / "a", files)
    docs, options = read_all(folder)
    assert sorted(d.source_id for d in docs) == ["1", "2"]
    assert [d.text for d in docs if d.source_id == "1"] == ["first"]
    assert [s.reason for s in options.skipped] == ["1 repeated tweet ids, the first occurrence kept"] * 2
    report = run_import(store, [str(folder)], ImportOptions())
    assert report.added == 2
    assert run_import(store, [str(folder)], ImportOptions()).added == 0


# -- hostile input ---------------------------------------------------------------------------


def check_untouched(store) -> None:
    assert count_docs(store) == 0
    assert store.integrity_check() == "ok"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (tweets_js([tweet(1), tweet(2)])[:-40], "truncated JSON in item 2"),
        (b'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "\xff\xfe"}}]', "not valid UTF-8"),
        ("window.YTD.tweets.part0 = " + "[" * 100_000 + "]" * 100_000, "nested too deeply"),
        (
            'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "n": ' + "9" * 1_000_000 + "}}]",
            "invalid JSON in item 1",
        ),
        ("window.YTD.tweets.part0 = {}", "does not hold a JSON array"),
        ("", "does not hold a JSON array"),
    ],
    ids=["truncated", "invalid-utf8", "nested", "huge-number", "object", "empty-file"],
)
def test_bad_single_file_fails_cleanly(tmp_path: Path, store, content, message):
    files = {"data/manifest.js": manifest_js([("data/tweets.js", 2)]), "data/tweets.js": content}
    folder = make_folder(tmp_path / "a", files)
    with pytest.raises(CorruptArchiveError, match=message) as info:
        run_import(store, [str(folder)], ImportOptions())
    assert "tweets.js" in str(info.value) and "\n" not in str(info.value)
    check_untouched(store)


@pytest.mark.parametrize(
    "bad",
    [
        "window.YTD.tweets.part1 = [" + "[" * 100_000,
        'window.YTD.tweets.part1 = [{"tweet": {"id_str": "3", "x": ' + "1" * 1_000_000 + "}}]",
        tweets_js([tweet(3), tweet(4)])[:-30],
        b'window.YTD.tweets.part1 = [{"tweet": {"id_str": "3", "full_text": "\xc3\x28"}}]',
    ],
    ids=["nested", "huge-number", "truncated", "invalid-utf8"],
)
def test_bad_part_file_is_left_out_and_siblings_import(tmp_path: Path, store, bad):
    files = {"data/tweets.js": tweets_js([tweet(1), tweet(2)]), "data/tweets-part1.js": bad}
    report = run_import(store, [str(make_folder(tmp_path / "a", files))], ImportOptions())
    assert report.added == 2
    assert any("tweets-part1.js" in s.path and "file left out" in s.reason for s in report.skipped)
    assert store.rows("SELECT source_id FROM documents WHERE source_id = '3'") == []


def test_bad_part_member_in_a_zip_is_left_out(tmp_path: Path, store):
    files = {"data/tweets.js": tweets_js([tweet(1)]), "data/tweets-part1.js": tweets_js([tweet(3), tweet(4)])[:-30]}
    report = run_import(store, [str(make_zip(tmp_path / "a.zip", files))], ImportOptions())
    assert report.added == 1
    assert [s.path for s in report.skipped] == [f"{tmp_path / 'a.zip'}/data/tweets-part1.js"]


def test_re_importing_with_or_without_keep_raw_updates_the_stored_originals(archive: Path, store):
    def imported(keep_raw: bool) -> tuple[tuple[int, int, int], int]:
        report = run_import(store, [str(archive)], ImportOptions(keep_raw=keep_raw))
        kept = store.rows("SELECT count(*) AS n FROM documents WHERE raw IS NOT NULL")[0]["n"]
        return (report.added, report.updated, report.unchanged), kept

    (added, _, _), kept = imported(keep_raw=False)
    assert added > 0 and kept == 0
    assert imported(keep_raw=True) == ((0, added, 0), added)  # the originals are stored now
    assert imported(keep_raw=True) == ((0, 0, added), added)
    assert imported(keep_raw=False) == ((0, added, 0), 0)  # and dropped again


def test_lone_surrogates_are_stored_safely(tmp_path: Path, store):
    raw = (
        'window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "half \\ud800 pair https://t.co/a", '
        '"lang": "\\udfff", "entities": {"urls": [{"url": "https://t.co/a", "expanded_url": "https://e.com/\\udc00"}]}}}]'
    )
    folder = make_folder(tmp_path / "a", {"tweets.js": raw})
    assert run_import(store, [str(folder)], ImportOptions(keep_raw=True)).added == 1
    (row,) = store.rows("SELECT text, raw, meta FROM documents")
    assert row["text"].startswith("half ") and "\ud800" not in row["text"]
    assert "\\ud800" in row["raw"]


def test_zip_with_traversal_and_absolute_names(tmp_path: Path, store):
    files = {
        "data/tweets.js": tweets_js([tweet(1)]),
        "../../etc/tweets.js": tweets_js([tweet(666)]),
        "/abs/data/tweets.js": tweets_js([tweet(667)]),
        "data/../../x.js": "evil",
        "C:\\x\\tweets.js": tweets_js([tweet(668)]),
    }
    report = run_import(store, [str(make_zip(tmp_path / "a.zip", files))], ImportOptions())
    assert report.added == 1
    unsafe = [s.path for s in report.skipped if "unsafe member name" in s.reason]
    assert len(unsafe) == 4 and any("../../etc/tweets.js" in p for p in unsafe)
    assert not (tmp_path.parent / "etc").exists()


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_bytes(b""),
        lambda p: p.write_text("not a zip at all"),
        lambda p: p.write_bytes(
            make_zip(p.with_suffix(".tmp"), {"data/tweets.js": tweets_js([tweet(1)])}).read_bytes()[:-30]
        ),
    ],
    ids=["zero-bytes", "text", "truncated"],
)
def test_corrupt_zip_is_one_clear_line(tmp_path: Path, db: str, run, make):
    bad = tmp_path / "twitter.zip"
    make(bad)
    result = run("import", bad, "--db", db, "--json")
    assert result.exit_code == 1
    assert "not a valid archive" in result.output and "twitter.zip" in result.output
    assert "Traceback" not in result.output


def test_empty_zip(tmp_path: Path, db: str, run):
    empty = make_zip(tmp_path / "empty.zip", {})
    result = run("import", empty, "--db", db)
    assert result.exit_code == 1 and "empty archive" in result.output


def test_zip_bomb_member_aborts_the_whole_import(tmp_path: Path, store):
    files = {"data/tweets.js": tweets_js([tweet(1)]), "data/tweets-part1.js": "[" + " " * 3_000_000 + "]"}
    with pytest.raises(CorruptArchiveError, match="possible zip bomb"):
        run_import(store, [str(make_zip(tmp_path / "a.zip", files))], ImportOptions())
    check_untouched(store)


def test_corrupt_side_files_are_reported_not_fatal(tmp_path: Path):
    files = {
        "data/manifest.js": "window.__THAR_CONFIG = {broken",
        "data/tweets.js": tweets_js([tweet(1)]),
        "data/note-tweet.js": "window.YTD.note_tweet.part0 = [",
    }
    docs, options = read_all(make_folder(tmp_path / "a", files))
    assert len(docs) == 1
    assert "manifest.js' is not valid JSON" in reasons(options)
    assert "note-tweet.js': invalid or truncated JSON in item 1" in reasons(options)


# -- the real corpus -----------------------------------------------------------------------


@pytest.fixture
def real_archive(corpora: Path) -> Path:
    return corpora / "andreruffert" / "twitter-archive"


def check_real(store, report) -> None:
    assert report.by_source == {"x-archive": 1986}
    kinds = {r["kind"]: r["n"] for r in store.rows("SELECT kind, count(*) AS n FROM documents GROUP BY kind")}
    assert sum(kinds.values()) == 1986 and kinds["repost"] == 643
    first, last = store.rows("SELECT min(published_at) AS a, max(published_at) AS b FROM documents")[0].values()
    assert (first[:10], last[:10]) == ("2010-10-25", "2022-11-03")
    assert store.thinkers() == ["andreruffert"]


def test_real_archive_folder(real_archive: Path, store):
    report = run_import(store, [str(real_archive)], ImportOptions())
    assert report.added == 1986
    check_real(store, report)
    assert run_import(store, [str(real_archive)], ImportOptions()).added == 0
    hits = search(store, "LeadDevBerlin").hits
    assert hits and hits[0].url.startswith("https://x.com/andreruffert/status/")


def test_real_archive_zip(real_archive: Path, tmp_path: Path, store):
    zipped = tmp_path / "twitter-2022-11-14.zip"
    shutil.make_archive(str(zipped.with_suffix("")), "zip", real_archive)
    report = run_import(store, [str(zipped)], ImportOptions())
    assert report.added == 1986
    check_real(store, report)
    assert run_import(store, [str(zipped)], ImportOptions()).added == 0


def test_real_archive_cli(real_archive: Path, db: str, run):
    result = run("import", real_archive, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 1986
    again = json.loads(run("import", real_archive, "--db", db, "--json").output)
    assert (again["added"], again["unchanged"]) == (0, 1986)


# -- the streaming reader --------------------------------------------------------------------


def chunked(data: bytes, size: int):
    return (data[i : i + size] for i in range(0, len(data), size))


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1 << 20])
def test_stream_reader_matches_json_loads_at_any_chunk_size(size: int):
    items = [{"tweet": tweet(i, 'caf\u00e9 \U0001f44b "quoted" \\ back', n=[1.5e3, -2, None, True])} for i in range(5)]
    items.append({"deep": [[[{"k": "v"}]]], "n": 12345678901234567890})
    data = (
        b"\xef\xbb\xbfwindow.YTD.tweets.part0 = "
        + json.dumps(items, indent=1).encode().replace(b"\n", b"\r\n")
        + b";\n"
    )
    assert list(iter_json_array(chunked(data, size), "t.js")) == items


def test_stream_reader_accepts_trailing_comma_and_rejects_garbage():
    assert list(iter_json_array([b"[1, 2, ]"], "a.js")) == [1, 2]
    with pytest.raises(CorruptArchiveError, match="unexpected content after the closing"):
        list(iter_json_array([b"[1] [2]"], "a.js"))
    with pytest.raises(CorruptArchiveError, match="expected ',' or ']' after item 1"):
        list(iter_json_array([b"[1 2]"], "a.js"))


def test_stream_reader_holds_one_item_not_the_file():
    item = json.dumps({"tweet": tweet(1, "x" * 2000)}).encode()
    count = 20_000  # about 40 MB of JSON, produced lazily

    def produce():
        yield b"window.YTD.tweets.part0 = ["
        for i in range(count):
            yield (b"," if i else b"") + item

        yield b"]"

    tracemalloc.start()
    try:
        seen = sum(1 for _ in iter_json_array(produce(), "big.js"))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert seen == count
    assert peak < 12 * 1024 * 1024
