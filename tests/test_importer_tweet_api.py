"""API-shaped tweets: v1.1 (twitter-to-sqlite's fixture shape), v2 pages, JSON Lines, snscrape, hostile files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError, EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.tweet_api import IMPORTER
from deepinsights.ingest import run_import

SIMON = {"id": 12497, "id_str": "12497", "screen_name": "simonw", "name": "Simon Willison"}
DRVOX = {"id": 1633, "id_str": "1633", "screen_name": "drvox", "name": "David Roberts"}


def v1(tid: int, text: str, user=SIMON, **extra):
    """A tweet as the v1.1 statuses endpoints return it (tweet_mode=extended)."""
    item = {
        "created_at": "Mon Sep 09 21:59:43 +0000 2019",
        "id": tid,
        "id_str": str(tid),
        "full_text": text,
        "truncated": False,
        "display_text_range": [0, len(text)],
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "in_reply_to_status_id": None,
        "in_reply_to_status_id_str": None,
        "in_reply_to_user_id": None,
        "in_reply_to_user_id_str": None,
        "in_reply_to_screen_name": None,
        "user": dict(user),
        "is_quote_status": False,
        "retweet_count": 3,
        "favorite_count": 7,
        "lang": "en",
    }
    item.update(extra)
    return item


def three_tweets():
    """The shape of twitter-to-sqlite's tests/tweets.json: a tweet with a link, a retweet, a quote (our own text)."""
    link = v1(
        1171183012633645056,
        "Datasette 0.29 &amp; sqlite-utils: https://t.co/abc123",
        entities={
            "hashtags": [],
            "user_mentions": [],
            "urls": [
                {
                    "url": "https://t.co/abc123",
                    "expanded_url": "https://simonwillison.net/2019/Sep/9/",
                    "display_url": "simonwillison.net/2019/Sep/9/",
                }
            ],
        },
    )
    original = v1(1169242008432644000, "Carbon &amp; climate: a long thread on policy", user=DRVOX)
    retweet = v1(
        1169242008432644096,
        "RT @drvox: Carbon &amp; climate: a long thread on…",
        retweeted_status=original,
        retweet_count=120,
    )
    quoted = v1(1168000000000000000, "Original words about SQLite", user=DRVOX)
    quote = v1(
        1170000000000000000,
        "This is so true https://t.co/q1",
        is_quote_status=True,
        quoted_status_id=quoted["id"],
        quoted_status_id_str=quoted["id_str"],
        quoted_status=quoted,
        entities={
            "urls": [{"url": "https://t.co/q1", "expanded_url": "https://twitter.com/drvox/status/1168000000000000000"}]
        },
    )
    return [link, retweet, quote]


def peer_fixture():
    """Our own tweets in the shape of twitter-to-sqlite's tests/tweets.json: a retweet, a reply, a quote.

    As in that file, ``id`` is the rounded number a JavaScript exporter writes; ``id_str`` is exact.
    """
    drvox = {**DRVOX, "id": 22737278, "id_str": "22737278"}
    original = v1(
        0,
        "My new post on carbon capture &amp; use: https://t.co/cV",
        user=drvox,
        id=1169242008432644000,
        id_str="1169242008432644097",
        entities={"urls": [{"url": "https://t.co/cV", "expanded_url": "https://www.vox.com/ccu"}]},
    )
    retweet = v1(
        0,
        "RT @drvox: My new post on carbon capture &amp; use…",
        id=1169246717864136700,
        id_str="1169246717864136705",
        retweeted_status=original,
    )
    reply = v1(
        0,
        "@scientiffic The @inaturalist API is great: https://t.co/q1",
        id=1169196446043664400,
        id_str="1169196446043664385",
        in_reply_to_status_id=1169079390577320000,
        in_reply_to_status_id_str="1169079390577319937",
        in_reply_to_user_id_str="82016165",
        in_reply_to_screen_name="scientiffic",
        entities={"urls": [{"url": "https://t.co/q1", "expanded_url": "http://www.owlsnearme.com"}]},
    )
    quoted = v1(
        0,
        "Photos (mac) &amp; Live Photos sound collage",
        id=861696799362478100,
        id_str="861696799362478085",
        user={"id": 14148390, "id_str": "14148390", "screen_name": "bwhitman", "name": "Brian"},
    )
    quote = v1(
        0,
        "Whoa https://t.co/AJ",
        id=1168000000000000000,
        id_str="1168000000000000001",
        is_quote_status=True,
        quoted_status_id=861696799362478100,
        quoted_status_id_str="861696799362478085",
        quoted_status_permalink={
            "url": "https://t.co/AJ",
            "expanded": "https://twitter.com/bwhitman/status/861696799362478085",
        },
        quoted_status=quoted,
        entities={
            "urls": [
                {"url": "https://t.co/AJ", "expanded_url": "https://twitter.com/bwhitman/status/861696799362478085"}
            ]
        },
    )
    return [retweet, reply, quote]  # fmt: skip


def test_the_peer_tools_fixture_shape_gives_three_tweets_with_kinds_entities_and_urls(tmp_path, store):
    path = write(tmp_path / "tweets.json", peer_fixture())
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind) == (3, {"repost": 1, "reply": 1, "quote": 1})
    docs = docs_of(path)
    assert set(docs) == {"1169246717864136705", "1169196446043664385", "1168000000000000001"}  # id_str, not id
    rt = docs["1169246717864136705"]
    assert rt.kind == "repost" and rt.text == "RT @drvox: My new post on carbon capture & use: https://www.vox.com/ccu"
    assert rt.meta["reposted_url"] == "https://x.com/drvox/status/1169242008432644097"
    assert docs["1169196446043664385"].meta["reply_url"] == "https://x.com/scientiffic/status/1169079390577319937"
    assert docs["1168000000000000001"].meta["quoted_text"] == "Photos (mac) & Live Photos sound collage"
    assert all(d.url == f"https://x.com/simonw/status/{tid}" for tid, d in docs.items())
    assert all("&amp;" not in d.text for d in docs.values())


def write(path: Path, value) -> Path:
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def docs_of(path: Path, **options):
    return {d.source_id: d for d in IMPORTER.read(path, ImportRun(root=path, **options))}


# -- v1.1 -------------------------------------------------------------------------------------


def test_three_v1_tweets_are_a_tweet_a_repost_and_a_quote(tmp_path):
    path = write(tmp_path / "tweets.json", three_tweets())
    assert importer_for(path) is IMPORTER
    docs = docs_of(path)
    link, rt, quote = docs["1171183012633645056"], docs["1169242008432644096"], docs["1170000000000000000"]
    assert [link.kind, rt.kind, quote.kind] == ["tweet", "repost", "quote"]
    assert link.text == "Datasette 0.29 & sqlite-utils: https://simonwillison.net/2019/Sep/9/"
    assert link.url == "https://x.com/simonw/status/1171183012633645056"
    assert link.meta["urls"] == ["https://simonwillison.net/2019/Sep/9/"]
    assert rt.text == "RT @drvox: Carbon & climate: a long thread on policy"  # the original's full text, decoded
    assert rt.meta["reposted_url"] == "https://x.com/drvox/status/1169242008432644000"
    assert quote.meta["quoted_url"] == "https://x.com/drvox/status/1168000000000000000"
    assert quote.meta["quoted_text"] == "Original words about SQLite"
    assert "Original words" not in quote.text
    assert [(o.start, o.end, o.reason) for o in rt.others] == [(0, len(rt.text), "repost")]  # not own words
    assert link.others == ()
    assert {d.thinker for d in docs.values()} == {"simonw"}
    assert link.published_at.isoformat() == "2019-09-09T21:59:43+00:00"


def test_import_counts_by_kind_and_reimport_is_a_no_op(tmp_path, store):
    path = write(tmp_path / "tweets.json", three_tweets())
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind, report.by_source) == (3, {"tweet": 1, "repost": 1, "quote": 1}, {NAME: 3})
    again = run_import(store, [str(path)], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 3)


NAME = "twitter-api"


def test_replies_threads_and_extended_tweets(tmp_path):
    head = v1(10, "A thread about tokenizers 1/2")
    own = v1(11, "2/2 and that's it", in_reply_to_status_id_str="10", in_reply_to_user_id_str="12497",
             in_reply_to_screen_name="simonw")  # fmt: skip
    other = v1(12, "@drvox I disagree", in_reply_to_status_id_str="99", in_reply_to_user_id_str="1633",
               in_reply_to_screen_name="drvox")  # fmt: skip
    streamed = v1(13, "Cut short…", extended_tweet={"full_text": "Cut short in the stream, whole here", "entities": {}})
    docs = docs_of(write(tmp_path / "t.json", [head, own, other, streamed]))
    assert docs["11"].kind == "tweet" and docs["11"].meta["thread_parent"] == "10"
    assert docs["10"].meta["thread_root"] == "10"
    assert docs["12"].kind == "reply" and docs["12"].meta["reply_url"] == "https://x.com/drvox/status/99"
    assert docs["13"].text == "Cut short in the stream, whole here"


def test_handle_picks_the_thinker_and_others_are_counted(tmp_path, store):
    items = [*three_tweets(), v1(20, "someone else", user=DRVOX), v1(21, "again", user=DRVOX)]
    path = write(tmp_path / "mixed.json", {"statuses": items})
    report = run_import(store, [str(path)], ImportOptions())
    assert report.added == 3  # simonw has the most tweets
    left = [s for s in report.skipped if "other accounts" in s.reason]
    assert left and left[0].expected and "2 tweets by 1 other accounts (@drvox)" in left[0].reason
    docs = docs_of(path, handle="@DrVox")
    assert set(docs) == {"20", "21"} and {d.thinker for d in docs.values()} == {"drvox"}
    with pytest.raises(EmptyImportError, match="no tweets by @nobody"):
        docs_of(path, handle="nobody")


# -- v2 ---------------------------------------------------------------------------------------

USERS = [
    {"id": "33836629", "username": "karpathy", "name": "Andrej"},
    {"id": "5", "username": "ylecun", "name": "Yann"},
]


def v2(tid: str, text: str, author_id="33836629", **extra):
    item = {"id": tid, "text": text, "author_id": author_id, "created_at": "2023-01-24T20:19:03.000Z",
            "edit_history_tweet_ids": [tid], "lang": "en",
            "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 9, "quote_count": 0}}  # fmt: skip
    item.update(extra)
    return item


def v2_page():
    quoted = v2("100", "Deep learning is &lt;hard&gt;", author_id="5")
    return {
        "data": [
            v2("200", "The hottest new programming language is English"),
            v2(
                "201",
                "RT @ylecun: Deep learning is &lt;hard&gt;",
                referenced_tweets=[{"type": "retweeted", "id": "100"}],
            ),
            v2(
                "202",
                "Agreed https://t.co/x",
                referenced_tweets=[{"type": "quoted", "id": "100"}],
                entities={
                    "urls": [
                        {
                            "url": "https://t.co/x",
                            "expanded_url": "https://twitter.com/ylecun/status/100",
                            "display_url": "twitter.com/ylecun/…",
                        }
                    ]
                },
            ),
            v2(
                "203",
                "@ylecun not quite",
                referenced_tweets=[{"type": "replied_to", "id": "100"}],
                in_reply_to_user_id="5",
            ),
            v2(
                "204",
                "A long post starts…",
                note_tweet={"text": "A long post starts here and goes on past 280 characters."},
            ),
            v2(
                "205",
                "photo https://t.co/p",
                entities={
                    "urls": [
                        {
                            "url": "https://t.co/p",
                            "media_key": "3_1",
                            "expanded_url": "https://twitter.com/karpathy/status/205/photo/1",
                        }
                    ]
                },
            ),
        ],  # fmt: skip
        "includes": {"users": USERS, "tweets": [quoted]},
        "meta": {"result_count": 6},
    }


def test_v2_page_kinds_links_and_long_posts(tmp_path):
    docs = docs_of(write(tmp_path / "timeline.json", v2_page()))
    kinds = {tid: d.kind for tid, d in docs.items()}
    assert kinds == {"200": "tweet", "201": "repost", "202": "quote", "203": "reply", "204": "tweet", "205": "tweet"}
    assert docs["201"].text == "RT @ylecun: Deep learning is <hard>"
    assert docs["202"].meta["quoted_url"] == "https://x.com/ylecun/status/100"
    assert docs["203"].meta["reply_url"] == "https://x.com/ylecun/status/100"
    assert docs["204"].text.endswith("past 280 characters.")
    assert docs["205"].text == "photo" and docs["205"].meta["media"] == [
        "https://twitter.com/karpathy/status/205/photo/1"
    ]
    assert docs["200"].url == "https://x.com/karpathy/status/200" and docs["200"].meta["like_count"] == 9


def test_json_lines_of_pages_flattened_tweets_and_snscrape(tmp_path, store):
    flattened = v2("300", "twarc flattened", author_id="33836629", author=USERS[0])
    scraped = {
        "_type": "snscrape.modules.twitter.Tweet", "url": "https://twitter.com/karpathy/status/301",
        "date": "2022-05-01T10:00:00+00:00", "rawContent": "scraped &amp; kept https://t.co/s", "id": 301,
        "user": {"username": "karpathy", "id": 33836629}, "likeCount": 4, "retweetCount": 0, "lang": "en",
        "links": [{"url": "https://example.org/a", "tcourl": "https://t.co/s", "text": "example.org/a"}],
    }  # fmt: skip
    lines = [json.dumps(v2_page()), json.dumps(flattened), "", json.dumps(scraped)]
    path = tmp_path / "dump.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert importer_for(path) is IMPORTER
    report = run_import(store, [str(path)], ImportOptions(handle="karpathy"))
    assert report.by_kind == {"tweet": 5, "repost": 1, "quote": 1, "reply": 1}
    docs = docs_of(path)
    assert docs["301"].text == "scraped & kept https://example.org/a"
    assert docs["300"].url == "https://x.com/karpathy/status/300"


# -- hostile and wrong shapes ----------------------------------------------------------------


def test_truncated_file_is_one_line_error_and_store_unchanged(tmp_path, store):
    good = write(tmp_path / "good.json", three_tweets())
    run_import(store, [str(good)], ImportOptions())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(three_tweets())[:-300], encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match="bad.json") as info:
        run_import(store, [str(bad)], ImportOptions())
    assert "\n" not in str(info.value)
    assert store.document_count() == 3 and store.integrity_check() == "ok"


def test_bad_line_deep_nesting_and_huge_numbers(tmp_path):
    path = tmp_path / "dump.jsonl"
    path.write_text(json.dumps(v1(1, "fine")) + "\n" + "[" * 100_000 + "\n", encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match=r"dump.jsonl': line 2"):
        docs_of(path)
    path.write_text(json.dumps(v1(1, "fine")) + '\n{"id_str": ' + "9" * 100_000 + "}\n", encoding="utf-8")
    with pytest.raises(CorruptArchiveError, match="line 2"):
        docs_of(path)


def test_items_that_are_not_tweets_are_counted(tmp_path):
    path = write(tmp_path / "t.json", [*three_tweets(), {"id_str": "x", "text": "no id", "user": SIMON}, "junk"])
    options = ImportRun(root=path)
    assert len(list(IMPORTER.read(path, options))) == 3
    assert any("2 items are not tweets" in s.reason for s in options.skipped)


def test_detection_leaves_other_json_to_the_records_importer(tmp_path, fixtures):
    assert importer_for(fixtures / "records.jsonl").name == "tabular"
    plain = write(tmp_path / "notes.json", [{"id": 1, "text": "a note", "created_at": "2020-01-01"}])
    assert importer_for(plain).name == "tabular"
    wrong = write(tmp_path / "tweets.json", [{"id_str": "not a number", "full_text": "x", "screen_name": "y"}])
    assert importer_for(wrong) is IMPORTER
    with pytest.raises(EmptyImportError, match="holds no tweets"):
        docs_of(wrong)


def test_cli_import_reports_kinds(tmp_path, run):
    path = write(tmp_path / "tweets.json", three_tweets())
    db = tmp_path / "w.db"
    result = run("import", str(path), "--handle", "simonw", "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_kind"] == {"tweet": 1, "repost": 1, "quote": 1}
    rows = sqlite3.connect(db).execute("SELECT kind, url FROM documents ORDER BY source_id").fetchall()
    assert rows == [
        (kind, f"https://x.com/simonw/status/{tid}")
        for kind, tid in [
            ("repost", 1169242008432644096),
            ("quote", 1170000000000000000),
            ("tweet", 1171183012633645056),
        ]
    ]
