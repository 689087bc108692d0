"""Dogsheep databases, each built in the test by the tool itself (twitter-to-sqlite, mastodon-to-sqlite,
github-to-sqlite) from a small JSON input through its own Python API."""

from __future__ import annotations

import copy
import hashlib
import sqlite3
from pathlib import Path

import github_to_sqlite.utils as github_utils
import mastodon_to_sqlite.service as mastodon_service
import pytest
import sqlite_utils
import twitter_to_sqlite.utils as twitter_utils

from deepinsights.errors import CorruptArchiveError, EmptyImportError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.dogsheep import IMPORTER
from deepinsights.ingest import run_import

from .test_importer_tweet_api import DRVOX, SIMON, peer_fixture, three_tweets, v1


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def docs_of(path: Path, **options):
    return {d.source_id: d for d in IMPORTER.read(path, ImportRun(root=path, **options))}


# -- twitter-to-sqlite ------------------------------------------------------------------------


def api_user(user):
    """A user as the v1.1 API returns it, with the fields twitter-to-sqlite's transform_user reads."""
    return {**user, "created_at": "Wed Oct 18 22:28:29 +0000 2006", "description": "", "url": None, "entities": {},
            "followers_count": 10, "friends_count": 5, "listed_count": 1}  # fmt: skip


def with_api_users(tweet):
    tweet = copy.deepcopy(tweet)
    tweet["user"] = api_user(tweet["user"])
    for key in ("retweeted_status", "quoted_status"):
        if tweet.get(key):
            tweet[key] = with_api_users(tweet[key])
    return tweet


def twitter_db(path: Path, tweets, liked=()) -> Path:
    db = sqlite_utils.Database(path)
    twitter_utils.save_tweets(db, [with_api_users(t) for t in tweets])
    if liked:
        twitter_utils.save_tweets(db, [with_api_users(t) for t in liked], favorited_by=SIMON["id"])
    db.close()
    return path


def test_twitter_to_sqlite_database(tmp_path, store):
    reply = v1(1172000000000000000, "@drvox agreed &amp; more", in_reply_to_status_id=1168000000000000000,
               in_reply_to_user_id=1633, in_reply_to_screen_name="drvox")  # fmt: skip
    liked = v1(1100, "a tweet simonw liked", user=DRVOX)
    path = twitter_db(tmp_path / "twitter.db", [*three_tweets(), reply], liked=[liked])
    before = digest(path)
    assert importer_for(path) is IMPORTER
    report = run_import(store, [str(path)], ImportOptions())
    assert report.by_kind == {"tweet": 1, "repost": 1, "quote": 1, "reply": 1}
    assert report.by_source == {"twitter-to-sqlite": 4}
    others = [s for s in report.skipped if "other accounts" in s.reason]
    assert others and "3 tweets by 1 other accounts (@drvox)" in others[0].reason  # reposted, quoted, liked
    docs = docs_of(path)
    assert docs["1171183012633645056"].text == "Datasette 0.29 & sqlite-utils: https://simonwillison.net/2019/Sep/9/"
    assert docs["1169242008432644096"].text == "RT @drvox: Carbon & climate: a long thread on policy"
    assert docs["1170000000000000000"].meta["quoted_url"] == "https://x.com/drvox/status/1168000000000000000"
    assert docs["1172000000000000000"].meta["reply_url"] == "https://x.com/drvox/status/1168000000000000000"
    assert all(d.url == f"https://x.com/simonw/status/{tid}" for tid, d in docs.items())
    assert docs["1172000000000000000"].published_at.isoformat() == "2019-09-09T21:59:43+00:00"
    again = run_import(store, [str(path)], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    assert digest(path) == before  # read-only
    assert set(docs_of(path, handle="drvox")) == {"1169242008432644000", "1168000000000000000", "1100"}


def test_twitter_to_sqlite_database_of_the_peer_fixture_shape(tmp_path, store):
    """twitter-to-sqlite's own tests/tweets.json shape, saved by the tool: three tweets, the retweet a repost."""
    path = twitter_db(tmp_path / "twitter.db", peer_fixture())
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind) == (3, {"repost": 1, "reply": 1, "quote": 1})
    docs = docs_of(path)
    # subtle: the tool keeps the numeric `id` and drops `id_str`, so these are the ids as the JSON wrote them
    rt = docs["1169246717864136700"]
    assert rt.kind == "repost" and rt.text == "RT @drvox: My new post on carbon capture & use: https://www.vox.com/ccu"
    assert all(d.url == f"https://x.com/simonw/status/{tid}" for tid, d in docs.items())
    assert all("&amp;" not in d.text for d in docs.values())


# -- mastodon-to-sqlite -----------------------------------------------------------------------

ME = {"id": "109", "username": "simon", "acct": "simon", "url": "https://fedi.simonwillison.net/@simon",
      "display_name": "Simon", "note": "<p>Me</p>", "followers_count": 3}  # fmt: skip
OTHER = {"id": "7", "username": "alice", "acct": "alice@x.social", "url": "https://x.social/@alice",
         "display_name": "Alice", "note": "", "followers_count": 1}  # fmt: skip


def status(sid: str, content: str, account=ME, **extra):
    return {"id": sid, "created_at": "2023-03-01T12:00:00.000Z", "content": content, "account": dict(account),
            "visibility": "public", "url": f"{account['url']}/{sid}", "reblog": None, **extra}  # fmt: skip


def mastodon_db(path: Path) -> Path:
    db = sqlite_utils.Database(path)
    mastodon_service.save_accounts(db, [dict(ME), dict(OTHER)])
    mastodon_service.save_statuses(db, [
        status("1001", "<p>Hello &amp; welcome to <a href=\"https://example.org\">my</a> instance</p>"),
        status("1002", "<p>Second post<script>alert(1)</script></p>"),
        status("1003", "", reblog={"id": "55"}),  # a boost: the tool keeps no content
    ])  # fmt: skip
    mastodon_service.save_activities(db, ME["id"], "favourited", [status("2001", "<p>Alice's words</p>", OTHER)])
    db.close()
    return path


def test_mastodon_to_sqlite_database(tmp_path, store):
    path = mastodon_db(tmp_path / "mastodon.db")
    assert importer_for(path) is IMPORTER
    report = run_import(store, [str(path)], ImportOptions())
    assert (report.added, report.by_kind) == (2, {"post": 2})
    docs = docs_of(path)
    assert docs["1001"].text == "Hello & welcome to my instance"
    assert docs["1001"].url == "https://fedi.simonwillison.net/@simon/1001"
    assert docs["1002"].text == "Second post" and docs["1001"].thinker == "simon"
    assert docs["1001"].published_at.isoformat() == "2023-03-01T12:00:00+00:00"
    reasons = " | ".join(s.reason for s in report.skipped)
    assert "1 statuses by other accounts" in reasons and "1 statuses without content" in reasons
    assert run_import(store, [str(path)], ImportOptions()).unchanged == 2


# -- github-to-sqlite -------------------------------------------------------------------------


def gh_user(uid: int, login: str):
    return {"login": login, "id": uid, "node_id": "x", "avatar_url": "https://a/", "html_url": f"https://github.com/{login}",
            "url": f"https://api.github.com/users/{login}", "type": "User", "site_admin": False}  # fmt: skip


SIMONW, BOB = gh_user(9599, "simonw"), gh_user(1, "bob")
REPO = {"id": 107914493, "node_id": "r", "name": "datasette", "full_name": "simonw/datasette", "private": False,
        "owner": SIMONW, "html_url": "https://github.com/simonw/datasette", "description": "An open source tool",
        "url": "https://api.github.com/repos/simonw/datasette", "fork": False, "created_at": "2017-10-23T00:39:03Z",
        "pushed_at": "2020-01-02T00:00:00Z", "license": None, "topics": []}  # fmt: skip


def issue(iid: int, number: int, title: str, body: str, user, **extra):
    return {"id": iid, "node_id": "i", "number": number, "title": title, "body": body, "user": user, "labels": [],
            "state": "open", "locked": False, "assignee": None, "assignees": [], "milestone": None, "comments": 1,
            "created_at": "2020-02-01T10:00:00Z", "updated_at": "2020-02-01T10:00:00Z", "closed_at": None,
            "author_association": "OWNER", "url": f"https://api.github.com/repos/simonw/datasette/issues/{number}",
            "html_url": f"https://github.com/simonw/datasette/issues/{number}", **extra}  # fmt: skip


def comment(cid: int, number: int, body: str, user):
    return {"id": cid, "node_id": "c", "user": user, "body": body, "created_at": "2020-02-02T10:00:00Z",
            "updated_at": "2020-02-02T10:00:00Z", "author_association": "OWNER",
            "url": f"https://api.github.com/repos/simonw/datasette/issues/comments/{cid}",
            "html_url": f"https://github.com/simonw/datasette/issues/{number}#issuecomment-{cid}",
            "issue_url": f"https://api.github.com/repos/simonw/datasette/issues/{number}"}  # fmt: skip


def github_db(path: Path) -> Path:
    db = sqlite_utils.Database(path)
    repo_id = github_utils.save_repo(db, copy.deepcopy(REPO))
    db["repos"].update(repo_id, {"readme": "# Datasette\n\nA tool for **exploring** data."}, alter=True)  # as --readme
    github_utils.save_issues(db, [
        issue(11, 1, "Facets & filters", "It would be *great* to have facets.", SIMONW),
        issue(12, 2, "Fix typo", "A pull request", BOB, pull_request={"url": "https://api.github.com/repos/simonw/datasette/pulls/2"}),
    ], REPO)  # fmt: skip
    github_utils.save_issue_comment(db, comment(21, 1, "Done in [0.29](https://example.org).", SIMONW))
    github_utils.save_issue_comment(db, comment(22, 1, "Thanks!", BOB))
    github_utils.save_releases(db, [{"id": 31, "node_id": "e", "tag_name": "0.29", "name": "Datasette 0.29",
        "body": "Faceting.", "author": SIMONW, "assets": [], "draft": False, "prerelease": False,
        "created_at": "2019-07-07T00:00:00Z", "published_at": "2019-07-08T00:00:00Z",
        "html_url": "https://github.com/simonw/datasette/releases/tag/0.29",
        "url": "https://api.github.com/repos/simonw/datasette/releases/31"}], repo_id)  # fmt: skip
    github_utils.ensure_db_shape(db)
    db.close()
    return path


def test_github_to_sqlite_database(tmp_path, store):
    path = github_db(tmp_path / "github.db")
    assert importer_for(path) is IMPORTER
    report = run_import(store, [str(path)], ImportOptions())
    assert report.by_kind == {"post": 1, "reply": 1, "note": 1, "readme": 1}
    docs = docs_of(path)
    assert docs["issue:11"].title == "Facets & filters"
    assert docs["issue:11"].url == "https://github.com/simonw/datasette/issues/1"
    assert docs["issue:11"].text == "It would be great to have facets."
    assert docs["issue_comment:21"].url == "https://github.com/simonw/datasette/issues/1#issuecomment-21"
    assert docs["release:31"].title == "simonw/datasette Datasette 0.29"
    assert docs["release:31"].published_at.isoformat() == "2019-07-08T00:00:00+00:00"
    assert docs["repo:107914493"].kind == "readme" and "exploring" in docs["repo:107914493"].text
    assert "2 issues, comments and releases by other accounts" in " ".join(s.reason for s in report.skipped)
    assert set(docs_of(path, handle="bob")) == {"issue:12", "issue_comment:22"}
    assert docs_of(path, handle="bob")["issue:12"].url == "https://github.com/simonw/datasette/pull/2"
    assert run_import(store, [str(path)], ImportOptions()).unchanged == 4


# -- recognised by schema, hostile files --------------------------------------------------------


def test_other_sqlite_files_are_not_claimed(tmp_path, store):
    path = tmp_path / "tweets.db"  # the name says tweets; the schema does not
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE tweets (id INTEGER, body TEXT)")
        conn.execute("CREATE VIEW users AS SELECT 1 AS id, 'x' AS screen_name, 1 AS full_text")
    assert importer_for(path) is None
    # a view named like the tool's table does not count: only tables are read
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE VIEW statuses AS SELECT 1 AS id, 1 AS account_id, 'x' AS content")
        conn.execute("CREATE TABLE accounts (id INTEGER, username TEXT, url TEXT)")
    assert importer_for(path) is None


def test_truncated_database_is_one_line_error_store_unchanged(tmp_path, store):
    good = twitter_db(tmp_path / "good.db", three_tweets())
    run_import(store, [str(good)], ImportOptions())
    data = good.read_bytes()
    bad = tmp_path / "bad.db"
    bad.write_bytes(data[:4096] + b"\x00" * 100)
    assert importer_for(bad) is IMPORTER  # a SQLite header: claimed, so the error says what is wrong
    with pytest.raises(CorruptArchiveError, match="'.*bad.db' is not a readable SQLite database") as info:
        run_import(store, [str(bad)], ImportOptions())
    assert "\n" not in str(info.value)
    assert store.document_count() == 3 and store.integrity_check() == "ok"


def test_unknown_handle_names_the_accounts(tmp_path):
    path = twitter_db(tmp_path / "t.db", three_tweets())
    with pytest.raises(EmptyImportError, match=r"no tweets by @nobody \(accounts in it: @simonw"):
        docs_of(path, handle="nobody")
