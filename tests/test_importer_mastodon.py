"""Mastodon importer: folder, zip and lone outbox; visibility; boosts as references; hostile HTML."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.mastodon import IMPORTER
from deepinsights.ingest import run_import

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def read(path: Path, **options):
    opts = ImportRun(**options)
    return list(IMPORTER.read(path, opts)), opts


def by_id(docs):
    return {d.source_id: d for d in docs}


def write_outbox(folder: Path, items: list) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection", "orderedItems": items}
    path = folder / "outbox.json"
    path.write_text(json.dumps(outbox), encoding="utf-8")
    return path


def create(n: int, content, *, to=(PUBLIC,), cc=(), **extra) -> dict:
    obj = {"id": f"https://s.example/users/u/statuses/{n}", "type": "Note", "content": content,
           "published": "2023-05-01T00:00:00Z", "url": f"https://s.example/@u/{n}", **extra}  # fmt: skip
    return {"id": f"{obj['id']}/activity", "type": "Create", "to": list(to), "cc": list(cc), "object": obj}


def test_detects_folder_zip_and_lone_outbox(fixtures, tmp_path):
    folder = fixtures / "mastodon"
    assert IMPORTER.detect(folder)
    assert IMPORTER.detect(folder / "outbox.json")
    assert not IMPORTER.detect(folder / "actor.json")
    assert not IMPORTER.detect(fixtures)
    archive = tmp_path / "archive-20240101.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(folder / "outbox.json", "outbox.json")
        zf.write(folder / "actor.json", "actor.json")
    assert IMPORTER.detect(archive)
    assert importer_for(folder) is IMPORTER
    assert importer_for(archive) is IMPORTER


def test_not_detected_for_other_json(tmp_path):
    other = tmp_path / "data.json"
    other.write_text('{"type": "OrderedCollection", "items": []}')
    assert not IMPORTER.detect(other)
    assert not IMPORTER.detect(tmp_path)


def test_reads_posts_replies_and_boosts(fixtures):
    docs, opts = read(fixtures / "mastodon")
    found = by_id(docs)
    assert sorted(found) == [
        "https://social.example/users/ada/statuses/1",
        "https://social.example/users/ada/statuses/2",
        "https://social.example/users/ada/statuses/5/activity",
        "https://social.example/users/ada/statuses/6",
    ]
    post = found["https://social.example/users/ada/statuses/1"]
    assert post.kind == "post"
    assert post.source == "mastodon"
    assert post.thinker == "ada"
    assert post.text == "The Analytical Engine weaves #algebra patterns & more.\n\nSecond paragraph."
    assert post.url == "https://social.example/@ada/1"
    assert post.published_at.isoformat() == "2023-01-02T10:00:00+00:00"
    assert post.meta == {"visibility": "public", "hashtags": ["#algebra"]}
    reply = found["https://social.example/users/ada/statuses/2"]
    assert reply.kind == "reply"
    assert reply.meta["in_reply_to"] == "https://other.example/users/charles/statuses/9"
    assert reply.meta["visibility"] == "unlisted"
    assert reply.meta["mentions"] == ["@charles@other.example"]
    assert reply.text == "@charles Unlisted reply about punched cards."


def test_boost_is_a_reference_not_the_boosted_text(fixtures):
    docs, _ = read(fixtures / "mastodon")
    boost = by_id(docs)["https://social.example/users/ada/statuses/5/activity"]
    assert boost.kind == "repost"
    assert boost.text == "Boosted https://other.example/users/charles/statuses/77"
    assert boost.meta["boosted_url"] == "https://other.example/users/charles/statuses/77"
    assert boost.url == "https://other.example/users/charles/statuses/77"


def test_null_content_keeps_content_warning(fixtures):
    docs, _ = read(fixtures / "mastodon")
    note = by_id(docs)["https://social.example/users/ada/statuses/6"]
    assert note.text == ""
    assert note.title == "engines"
    assert note.meta == {"visibility": "public", "sensitive": True, "content_warning": "engines", "attachments": 1}


def test_private_items_excluded_with_one_skip_entry(fixtures):
    _, opts = read(fixtures / "mastodon")
    reasons = [s.reason for s in opts.skipped]
    assert "2 non-public items excluded (use --include-private)" in reasons
    assert "1 'Like' activities not imported (not a post or boost)" in reasons
    assert len(opts.skipped) == 2
    assert all(s.path.endswith("outbox.json") for s in opts.skipped)


def test_include_private_keeps_them_with_visibility(fixtures):
    docs, opts = read(fixtures / "mastodon", include_private=True)
    found = by_id(docs)
    assert found["https://social.example/users/ada/statuses/3"].meta["visibility"] == "followers"
    assert found["https://social.example/users/ada/statuses/4"].meta["visibility"] == "direct"
    assert len(docs) == 6
    assert [s.reason for s in opts.skipped] == ["1 'Like' activities not imported (not a post or boost)"]


def test_zip_is_read_without_extracting(fixtures, tmp_path):
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(fixtures / "mastodon" / "outbox.json", "outbox.json")
        zf.write(fixtures / "mastodon" / "actor.json", "actor.json")
        zf.writestr("../../escape.txt", "never written")
    docs, _ = read(archive)
    assert len(docs) == 4
    assert {d.thinker for d in docs} == {"ada"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.zip"]


def test_lone_outbox_without_actor(fixtures, tmp_path):
    lone = tmp_path / "outbox.json"
    shutil.copy(fixtures / "mastodon" / "outbox.json", lone)
    docs, _ = read(lone)
    assert len(docs) == 4
    assert {d.thinker for d in docs} == {""}


def test_hostile_html_becomes_inert_text(tmp_path):
    content = (
        '<p>Hello <script>alert("x")</script>world <img src=x onerror="alert(1)">'
        '<a href="javascript:alert(2)">click me</a> <style>p{}</style><b onclick="evil()">bold</b>'
        '<iframe src="https://evil.example">frame text</iframe></p>'
    )
    items = [
        create(1, content, url="javascript:alert(3)"),
        {"id": "https://s.example/a/2", "type": "Announce", "to": [PUBLIC], "object": "javascript:alert(4)"},
        {"id": "https://s.example/a/3", "type": "Announce", "to": PUBLIC, "object": {"id": "https://o.example/s/3"}},
        create(4, None),
        create(5, 12345),
        {"id": "https://s.example/a/6", "type": "Create", "to": [PUBLIC], "object": "https://s.example/s/6"},
        "not an object",
    ]
    docs, opts = read(write_outbox(tmp_path / "export", items))
    found = by_id(docs)
    hostile = found["https://s.example/users/u/statuses/1"]
    assert hostile.text == "Hello world click me bold"
    for bad in ("<", ">", "script", "alert", "onerror", "javascript", "evil"):
        assert bad not in hostile.text
    assert hostile.url == "https://s.example/users/u/statuses/1"  # the javascript: url is refused, the id used
    assert found["https://s.example/a/3"].text == "Boosted https://o.example/s/3"
    assert found["https://s.example/users/u/statuses/4"].text == ""
    assert found["https://s.example/users/u/statuses/5"].text == ""
    assert len(docs) == 4
    reasons = sorted(s.reason for s in opts.skipped)
    assert reasons == [
        "1 'Create' activities not imported (not a post or boost)",
        "1 boosts without an http(s) object URL not imported",
        "1 malformed items (not an object) not imported",
    ]


def test_unlisted_counts_as_public_and_missing_addressing_is_direct(tmp_path):
    items = [create(1, "<p>unlisted</p>", to=(), cc=("as:Public",)), create(2, "<p>nobody</p>", to=(), cc=())]
    docs, opts = read(write_outbox(tmp_path / "export", items))
    assert [d.meta["visibility"] for d in docs] == ["unlisted"]
    assert [s.reason for s in opts.skipped] == ["1 non-public items excluded (use --include-private)"]


@pytest.mark.parametrize(
    "payload",
    [b"", b"{not json", b"[" * 100_000, b'{"type": "OrderedCollection", "orderedItems": {}}', b"\xff\xfe\x00garbage"],
)
def test_broken_outbox_is_a_clear_error(tmp_path, payload):
    path = tmp_path / "outbox.json"
    path.write_bytes(payload)
    with pytest.raises(CorruptArchiveError, match="outbox.json"):
        read(path)


def test_import_into_store_is_idempotent(fixtures, store):
    report = run_import(store, [str(fixtures / "mastodon")], ImportOptions())
    assert (report.added, report.updated, report.unchanged) == (4, 0, 0)
    again = run_import(store, [str(fixtures / "mastodon")], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)
    kinds = store.rows("SELECT kind, count(*) AS n FROM documents GROUP BY kind ORDER BY kind")
    assert kinds == [{"kind": "post", "n": 2}, {"kind": "reply", "n": 1}, {"kind": "repost", "n": 1}]
    assert store.integrity_check() == "ok"


def test_cli_include_private(fixtures, db, run):
    result = run("import", fixtures / "mastodon", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["added"] == 4
    assert {"path": str(fixtures / "mastodon" / "outbox.json"), "expected": True,
            "reason": "2 non-public items excluded (use --include-private)"} in data["skipped"]  # fmt: skip
    result = run("import", fixtures / "mastodon", "--db", db, "--json", "--include-private")
    data = json.loads(result.output)
    assert (data["added"], data["unchanged"]) == (2, 4)


def _public_count(items: list) -> int:
    """Independent oracle: activities whose to/cc name the Public collection, by plain string search."""
    public = {PUBLIC, "as:Public", "Public"}
    return sum(1 for item in items if public & set(item.get("to", []) + item.get("cc", [])))


@pytest.mark.shared
def test_real_archive_counts(corpora, tmp_path):
    folder = corpora / "dealingwith" / "mastodon-archive"
    items = json.loads((folder / "outbox.json").read_text(encoding="utf-8"))["orderedItems"]
    creates = sum(1 for i in items if i["type"] == "Create")
    announces = sum(1 for i in items if i["type"] == "Announce")
    assert (creates, announces) == (1260, 326)
    public = _public_count(items)
    assert public == 1511

    docs, opts = read(folder)
    assert len(docs) == public
    assert {d.thinker for d in docs} == {"dealingwith"}
    assert sum(1 for d in docs if d.kind == "repost") == sum(
        1 for i in items if i["type"] == "Announce" and _public_count([i])
    )
    assert sum(1 for d in docs if d.kind == "reply") == sum(
        1 for i in items if i["type"] == "Create" and i["object"].get("inReplyTo") and _public_count([i])
    )
    assert [s.reason for s in opts.skipped] == [
        f"{len(items) - public} non-public items excluded (use --include-private)"
    ]
    assert not any(re.search(r"</?(p|a|span|br|script|img)\b", d.text) for d in docs)

    everything, opts = read(folder, include_private=True)
    assert len(everything) == 1586
    assert opts.skipped == []


@pytest.mark.shared
def test_real_archive_through_cli(corpora, db, run):
    folder = corpora / "dealingwith" / "mastodon-archive"
    result = run("import", folder, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["added"] == 1511
    result = run("import", folder, "--db", db, "--json", "--include-private")
    data = json.loads(result.output)
    assert (data["added"], data["unchanged"]) == (75, 1511)
