"""Symbolic links are never followed, for sidecars as for walked files (issue 19 item 9).

Walking a folder already refused links; a file named on the command line read the files
beside it through them: ``actor.json`` beside ``outbox.json``, ``t.metadata.json`` beside
``t.ndjson`` (and the reverse), ``talk.info.json`` beside ``talk.en.vtt``, and SQLite's
``-wal`` beside a dogsheep database. A link planted in a download could pull any readable
file of the user's into the workspace. Each is now left out and reported as skipped.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError, ImporterError
from deepinsights.importers import ImportRun
from deepinsights.importers.base import SYMLINK_NOT_FOLLOWED
from deepinsights.importers.dogsheep import IMPORTER as DOGSHEEP
from deepinsights.importers.mastodon import IMPORTER as MASTODON
from deepinsights.importers.tabular import IMPORTER as TABULAR
from deepinsights.importers.transcripts import IMPORTER as TRANSCRIPTS

from ..test_importer_dogsheep import three_tweets, twitter_db


def _secret(tmp_path: Path, name: str, content: str) -> Path:
    """A file elsewhere on the disk that a planted link points at."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    target = elsewhere / name
    target.write_text(content)
    return target


def _linked(path: Path, target: Path) -> Path:
    path.symlink_to(target)
    return path


def _skipped_links(options: ImportRun) -> list[str]:
    return [Path(s.path).name for s in options.skipped if s.reason == SYMLINK_NOT_FOLLOWED]


def test_symlinked_actor_json_beside_a_named_outbox_is_not_read(fixtures, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(fixtures / "mastodon" / "outbox.json", folder)
    secret = _secret(tmp_path, "actor.json", json.dumps({"type": "Person", "preferredUsername": "leaked"}))
    _linked(folder / "actor.json", secret)
    options = ImportRun(root=folder / "outbox.json")
    docs = list(MASTODON.read(folder / "outbox.json", options))
    assert docs and {d.thinker for d in docs} == {""}  # the name was not taken from the linked file
    assert _skipped_links(options) == ["actor.json"]


def test_real_actor_json_beside_a_named_outbox_is_still_read(fixtures):
    options = ImportRun(root=fixtures / "mastodon" / "outbox.json")
    docs = list(MASTODON.read(fixtures / "mastodon" / "outbox.json", options))
    assert {d.thinker for d in docs} == {"ada"} and _skipped_links(options) == []


def test_symlinked_table_metadata_beside_a_named_ndjson_is_not_read(fixtures, tmp_path):
    folder = tmp_path / "diffable"
    folder.mkdir()
    shutil.copy(fixtures / "diffable" / "talks.ndjson", folder)
    secret = _secret(tmp_path, "talks.metadata.json", (fixtures / "diffable" / "talks.metadata.json").read_text())
    _linked(folder / "talks.metadata.json", secret)
    options = ImportRun(root=folder / "talks.ndjson")
    with pytest.raises(ImporterError, match="talks.metadata.json"):
        list(TABULAR.read(folder / "talks.ndjson", options))
    assert _skipped_links(options) == ["talks.metadata.json"]


def test_symlinked_ndjson_beside_a_named_table_metadata_is_not_read(fixtures, tmp_path):
    folder = tmp_path / "diffable"
    folder.mkdir()
    shutil.copy(fixtures / "diffable" / "talks.metadata.json", folder)
    _linked(folder / "talks.ndjson", _secret(tmp_path, "talks.ndjson", '[1, "leaked", "secret text", null, 0]\n'))
    options = ImportRun(root=folder / "talks.metadata.json")
    with pytest.raises(ImporterError, match="talks.ndjson"):
        list(TABULAR.read(folder / "talks.metadata.json", options))
    assert _skipped_links(options) == ["talks.ndjson"]


@pytest.mark.parametrize("sidecar", ["talk.info.json", "talk.en.info.json"])
def test_symlinked_yt_dlp_info_json_beside_a_named_vtt_is_not_read(fixtures, tmp_path, sidecar):
    folder = tmp_path / "talks"
    folder.mkdir()
    shutil.copy(fixtures / "talk.vtt", folder / "talk.en.vtt")
    _linked(folder / sidecar, _secret(tmp_path, "info.json", json.dumps({"title": "leaked title"})))
    options = ImportRun(root=folder / "talk.en.vtt")
    [doc] = TRANSCRIPTS.read(folder / "talk.en.vtt", options)
    assert doc.title != "leaked title"
    assert _skipped_links(options) == [sidecar]


def test_symlinked_sqlite_wal_beside_a_dogsheep_database_is_refused(tmp_path):
    database = twitter_db(tmp_path / "tweets.db", three_tweets())
    _linked(tmp_path / "tweets.db-wal", _secret(tmp_path, "wal", "not a wal"))
    assert DOGSHEEP.detect(database)
    options = ImportRun(root=database)
    with pytest.raises(CorruptArchiveError, match="tweets.db-wal"):
        list(DOGSHEEP.read(database, options))


def test_walked_folder_and_sidecar_links_follow_one_rule_and_fail_strict(fixtures, tmp_path, db, run, store):
    folder = tmp_path / "export"
    folder.mkdir()
    shutil.copy(fixtures / "mastodon" / "outbox.json", folder)
    _linked(folder / "actor.json", _secret(tmp_path, "actor.json", json.dumps({"preferredUsername": "leaked"})))
    walked = tmp_path / "notes"
    walked.mkdir()
    (walked / "mine.md").write_text("# Mine\n\nMy own words.\n")
    _linked(walked / "linked.md", _secret(tmp_path, "secret.md", "# Secret\n\nNot mine.\n"))
    strict = run("import", folder / "outbox.json", walked, "--db", db, "--strict")
    assert strict.exit_code == 1 and SYMLINK_NOT_FOLLOWED in strict.output
    result = run("import", folder / "outbox.json", walked, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    reasons = {Path(s["path"]).name: s["reason"] for s in json.loads(result.output)["skipped"]}
    assert reasons["actor.json"] == reasons["linked.md"] == SYMLINK_NOT_FOLLOWED
    texts = " ".join(r["text"] for r in store.rows("SELECT text FROM documents"))
    assert "Not mine" not in texts and "My own words" in texts
