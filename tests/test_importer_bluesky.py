"""Bluesky repository exports (.car): posts, replies, self-threads, quote posts, reposts; damaged CARs."""

from __future__ import annotations

from pathlib import Path

import libipld
import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.bluesky import IMPORTER
from deepinsights.ingest import run_import

from .bluesky_repo import Repo, layer, varint

OTHER = "did:plc:z72i7hdynmk6r22z27h6tvur"
POST, REPOST = "app.bsky.feed.post", "app.bsky.feed.repost"


def when(day: int) -> str:
    return f"2024-03-{day:02d}T10:00:00.000Z"


def sample_repo() -> Repo:
    """An account's repository as Bluesky exports it, with each kind of record a reader meets."""
    repo = Repo()
    link = "https://example.org/a/very/long/path/to/an/article"
    text = "Read this: example.org/a/very/long… and #ml"
    start = len(b"Read this: ")
    head = repo.add(POST, "3kabc2aaaaa2a", {
        "text": text, "createdAt": when(1), "langs": ["en"],
        "facets": [
            {"index": {"byteStart": start, "byteEnd": start + len("example.org/a/very/long…".encode())},
             "features": [{"$type": "app.bsky.richtext.facet#link", "uri": link}]},
            {"index": {"byteStart": len(text.encode()) - 3, "byteEnd": len(text.encode())},
             "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "ml"}]},
        ],
    })  # fmt: skip
    ref = repo.strong_ref(head)
    second = repo.add(POST, "3kabc2bbbbb2b", {"text": "and a second thought, continuing", "createdAt": when(2),
                                              "reply": {"root": ref, "parent": ref}})  # fmt: skip
    repo.add(POST, "3kabc2ccccc2c", {"text": "third in the thread", "createdAt": when(3),
                                     "reply": {"root": ref, "parent": repo.strong_ref(second)}})  # fmt: skip
    theirs = {"uri": f"at://{OTHER}/{POST}/3jzfcijpj2z2a", "cid": "bafyreib2rxk3rh6kzwq"}
    repo.add(POST, "3kabc2ddddd2d", {"text": "I disagree &amp; here's why", "createdAt": when(4),
                                     "reply": {"root": theirs, "parent": theirs}})  # fmt: skip
    repo.add(POST, "3kabc2eeeee2e", {"text": "This is the key point", "createdAt": when(5),
                                     "embed": {"$type": "app.bsky.embed.record", "record": theirs}})  # fmt: skip
    repo.add(POST, "3kabc2fffff2f", {"text": "With a picture", "createdAt": when(6), "embed": {
        "$type": "app.bsky.embed.recordWithMedia", "record": {"record": theirs},
        "media": {"$type": "app.bsky.embed.images", "images": []}}})  # fmt: skip
    repo.add(REPOST, "3kabc2ggggg2g", {"subject": theirs, "createdAt": when(7)})
    repo.add("app.bsky.feed.like", "3kabc2hhhhh2h", {"subject": theirs, "createdAt": when(8)})
    repo.add("app.bsky.graph.follow", "3kabc2iiiii2i", {"subject": OTHER, "createdAt": when(8)})
    repo.add("app.bsky.actor.profile", "self", {"displayName": "Sam", "description": "Writes things"})
    return repo


def write(tmp_path: Path, repo: Repo, name: str = "repo.car") -> Path:
    path = tmp_path / name
    path.write_bytes(repo.car())
    return path


def docs_of(path: Path, **options):
    run = ImportRun(root=path, **options)
    return {d.source_id.rsplit("/", 1)[-1]: d for d in IMPORTER.read(path, run)}, run.skipped


def test_the_fixture_has_a_tree_of_several_layers():
    keys = sample_repo().records
    assert len({layer(k) for k in keys}) > 1  # so the reader walks subtrees, not one flat node


def test_bluesky_repository(tmp_path, store):
    path = write(tmp_path, sample_repo(), "sam.bsky.social.car")
    assert importer_for(path) is IMPORTER
    report = run_import(store, [str(path)], ImportOptions(handle="sam.bsky.social"))
    assert report.by_kind == {"post": 3, "reply": 1, "quote": 2, "repost": 1}
    docs, skipped = docs_of(path, handle="sam.bsky.social")
    head = docs["3kabc2aaaaa2a"]
    assert head.source_id == "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3kabc2aaaaa2a"
    assert head.url == "https://bsky.app/profile/sam.bsky.social/post/3kabc2aaaaa2a"
    assert head.text == "Read this: https://example.org/a/very/long/path/to/an/article and #ml"
    assert head.meta["tags"] == ["ml"] and head.meta["thread_root"] == head.source_id
    assert head.published_at.isoformat() == "2024-03-01T10:00:00+00:00" and head.thinker == "sam.bsky.social"
    third = docs["3kabc2ccccc2c"]
    assert third.kind == "post" and third.meta["thread_parent"] == docs["3kabc2bbbbb2b"].source_id
    assert third.meta["thread_root"] == head.source_id
    reply = docs["3kabc2ddddd2d"]
    assert reply.kind == "reply" and reply.meta["reply_url"] == f"https://bsky.app/profile/{OTHER}/post/3jzfcijpj2z2a"
    assert docs["3kabc2eeeee2e"].meta["quoted_url"] == f"https://bsky.app/profile/{OTHER}/post/3jzfcijpj2z2a"
    assert docs["3kabc2fffff2f"].kind == "quote"
    repost = docs["3kabc2ggggg2g"]
    assert repost.kind == "repost" and repost.url == f"https://bsky.app/profile/{OTHER}/post/3jzfcijpj2z2a"
    assert [(o.start, o.end, o.reason) for o in repost.others] == [(0, len(repost.text), "repost")]
    assert head.others == ()
    reasons = sorted(s.reason for s in skipped)
    assert reasons == [f"1 {c} records not imported" for c in
                       ("app.bsky.actor.profile", "app.bsky.feed.like", "app.bsky.graph.follow")]  # fmt: skip
    again = run_import(store, [str(path)], ImportOptions(handle="sam.bsky.social"))
    assert (again.added, again.updated, again.unchanged) == (0, 0, 7)


def test_without_handle_urls_use_the_did(tmp_path):
    docs, _ = docs_of(write(tmp_path, sample_repo()))
    did = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
    assert docs["3kabc2aaaaa2a"].url == f"https://bsky.app/profile/{did}/post/3kabc2aaaaa2a"
    assert docs["3kabc2aaaaa2a"].thinker == did


def test_a_block_that_does_not_match_its_cid_is_refused(tmp_path, store):
    repo = sample_repo()
    data = bytearray(repo.car())
    at = data.find(b"third in the thread")
    data[at : at + 5] = b"THIRD"  # same length: the CAR still parses, the block's hash no longer matches
    path = tmp_path / "tampered.car"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptArchiveError, match=r"tampered.car': block bafyrei\w+ does not match its hash"):
        run_import(store, [str(path)], ImportOptions())
    assert store.document_count() == 0


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_truncated_car_is_one_line_error(tmp_path, store, cut):
    data = sample_repo().car()
    path = tmp_path / "cut.car"
    path.write_bytes(data[: int(len(data) * cut)])
    with pytest.raises(CorruptArchiveError, match="cut.car") as info:
        run_import(store, [str(path)], ImportOptions())
    assert "\n" not in str(info.value) and store.document_count() == 0


def test_wrong_shapes(tmp_path):
    empty = tmp_path / "empty.car"
    empty.write_bytes(b"")
    with pytest.raises(CorruptArchiveError, match="empty.car' is not a valid CAR file"):
        docs_of(empty)
    junk = tmp_path / "junk.car"
    junk.write_bytes(b"\x0a" + b"not cbor at all" * 10)
    with pytest.raises(CorruptArchiveError, match="junk.car' is not a valid CAR file"):
        docs_of(junk)
    repo = Repo()
    not_a_commit = repo.put({"hello": "world"})
    header = libipld.encode_dag_cbor({"roots": [not_a_commit], "version": 1})
    data = repo.blocks[not_a_commit]
    odd = tmp_path / "odd.car"
    odd.write_bytes(varint(len(header)) + header + varint(36 + len(data)) + not_a_commit + data)
    with pytest.raises(CorruptArchiveError, match="odd.car' is not a repository export"):
        docs_of(odd)


# -- a repository written by the reference implementation (@atproto/repo) -------------------------

REFERENCE = Path(__file__).parent / "fixtures" / "bluesky" / "atproto-repo.car"


def test_reads_a_repository_exported_by_the_reference_implementation(store):
    report = run_import(store, [str(REFERENCE)], ImportOptions())
    assert report.by_kind == {"post": 62, "reply": 1, "quote": 1, "repost": 1}
    assert [s.reason for s in report.skipped] == ["1 app.bsky.feed.like records not imported"]
    docs, _ = docs_of(REFERENCE)
    assert docs["3kora1bbbbb2b"].meta["thread_parent"] == docs["3kora1aaaaa2a"].source_id


def test_the_test_repositories_are_built_as_the_reference_builds_them():
    """Our fixture writer, given the reference file's records, makes the same tree (same root CID)."""
    from deepinsights.importers.bluesky import _Repo

    reference = _Repo(REFERENCE, REFERENCE.read_bytes())
    ours = Repo(reference.did)
    for key, record in reference.records():
        ours.records[key] = ours.put(record)
    keys = sorted(ours.records)
    assert len({layer(k) for k in keys}) >= 3
    assert ours._node(keys, max(layer(k) for k in keys)) == reference.commit["data"]
