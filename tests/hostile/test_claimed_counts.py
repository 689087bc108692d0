"""Files that claim more records than they hold (issue 19 item 11): a warning, an error under --strict.

An X archive's ``manifest.js`` counts the tweets of each part; a Mastodon outbox states
``totalItems``. Fewer found than claimed is a truncated or edited export: it imports what
is there and says so in one line; none at all is an error naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepinsights.errors import EmptyImportError
from deepinsights.importers import ImportRun
from deepinsights.importers.mastodon import IMPORTER as MASTODON
from deepinsights.importers.x_archive import IMPORTER as X_ARCHIVE

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def _x_archive(root: Path, claimed: int, held: int) -> Path:
    tweets = [{"tweet": {"id_str": str(i), "full_text": f"tweet {i}", "created_at": "Thu Nov 03 08:50:26 +0000 2022"}}
              for i in range(1, held + 1)]  # fmt: skip
    files = [{"fileName": "data/tweets.js", "globalName": "YTD.tweets.part0", "count": str(claimed)}]
    manifest = {"userInfo": {"accountId": "42", "userName": "someone"}, "dataTypes": {"tweets": {"files": files}}}
    (root / "data").mkdir(parents=True)
    (root / "data" / "manifest.js").write_text("window.__THAR_CONFIG = " + json.dumps(manifest))
    (root / "data" / "tweets.js").write_text("window.YTD.tweets.part0 = " + json.dumps(tweets))
    return root


def _outbox(root: Path, claimed: int | None, items: object) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    outbox = {"@context": "https://www.w3.org/ns/activitystreams", "type": "OrderedCollection", "orderedItems": items}
    if claimed is not None:
        outbox["totalItems"] = claimed
    (root / "outbox.json").write_text(json.dumps(outbox))
    (root / "actor.json").write_text(json.dumps({"type": "Person", "preferredUsername": "ada", "name": "Ada"}))
    return root


def _create(n: int) -> dict:
    obj = {"id": f"https://s.example/statuses/{n}", "type": "Note", "content": f"<p>post {n}</p>",
           "published": "2023-05-01T00:00:00Z", "to": [PUBLIC]}  # fmt: skip
    return {"id": f"{obj['id']}/activity", "type": "Create", "to": [PUBLIC], "object": obj}


def test_x_manifest_claiming_500_tweets_in_a_file_holding_5_warns_with_both_numbers(tmp_path):
    options = ImportRun()
    docs = list(X_ARCHIVE.read(_x_archive(tmp_path / "x", 500, 5), options))
    assert len(docs) == 5
    [warning] = options.warnings
    assert warning.path.endswith("data/tweets.js") and "500" in warning.reason and "5" in warning.reason


def test_x_manifest_matching_the_file_gives_no_warning(tmp_path):
    options = ImportRun()
    assert len(list(X_ARCHIVE.read(_x_archive(tmp_path / "x", 5, 5), options))) == 5
    assert options.warnings == [] and [s for s in options.skipped if not s.expected] == []


def test_mastodon_total_items_above_the_items_held_warns_with_both_numbers(tmp_path):
    options = ImportRun()
    docs = list(MASTODON.read(_outbox(tmp_path / "m", 500, [_create(n) for n in range(5)]), options))
    assert len(docs) == 5
    [warning] = options.warnings
    assert warning.reason == "totalItems says 500 items but orderedItems holds 5"


@pytest.mark.parametrize("items", [None, [], {}])
def test_mastodon_ordered_items_null_is_an_error_not_actor_json_as_a_record(tmp_path, items, db, run, store):
    folder = _outbox(tmp_path / "m", 7, items)
    assert MASTODON.detect(folder)
    with pytest.raises(EmptyImportError, match="7 items"):
        list(MASTODON.read(folder, ImportRun()))
    result = run("import", folder, "--db", db)
    assert result.exit_code == 1 and "outbox.json" in result.output and "Traceback" not in result.output
    assert store.document_count() == 0


def test_a_claiming_file_inside_a_walked_folder_is_skipped_with_the_reason(tmp_path, db, run, store):
    _outbox(tmp_path / "top" / "mastodon", 7, None)
    (tmp_path / "top" / "note.md").write_text("# A note\n\nWords of my own.\n")
    result = run("import", tmp_path / "top", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["added"] == 1 and any("7 items" in s["reason"] for s in data["skipped"])
    assert run("import", tmp_path / "top", "--db", db, "--strict").exit_code == 1


def test_fewer_items_than_claimed_is_an_error_under_strict(tmp_path, db, run, store):
    folder = _x_archive(tmp_path / "x", 500, 5)
    strict = run("import", folder, "--db", db, "--strict")
    assert strict.exit_code == 1 and "500" in strict.output and "nothing imported (--strict)" in strict.output
    assert store.document_count() == 0
    result = run("import", folder, "--db", db)
    assert result.exit_code == 0 and "warning" in result.output and "holds 5" in result.output
    assert store.document_count() == 5
