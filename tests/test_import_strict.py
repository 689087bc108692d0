"""``insights import --strict``: a skipped file fails the import and writes nothing, while what an
archive leaves out by design (media, side files, private posts, deleted tweets) does not count."""

from __future__ import annotations

import json
from pathlib import Path

from deepinsights.workspace import open_store


def folder_with_a_broken_file(tmp_path: Path) -> Path:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nA fine note about compilers.\n", encoding="utf-8")
    (folder / "posts.json").write_text('[{"text": "cut short", "date": "2024-01-0', encoding="utf-8")
    return folder


def test_strict_fails_on_a_broken_file_and_imports_nothing(run, tmp_path, db):
    folder = folder_with_a_broken_file(tmp_path)
    result = run("import", folder, "--db", db, "--strict")
    assert result.exit_code == 1
    assert "posts.json" in result.output and "nothing imported (--strict)" in result.output
    store = open_store(db)
    assert store.document_count() == 0 and store.imports() == []
    store.close()
    lenient = run("import", folder, "--db", db, "--json")
    assert lenient.exit_code == 0
    report = json.loads(lenient.output)
    assert report["added"] == 1
    assert [(Path(s["path"]).name, s["expected"]) for s in report["skipped"]] == [("posts.json", False)]


def test_strict_accepts_what_an_archive_leaves_out_by_design(run, fixtures, db):
    result = run("import", fixtures / "x_archive", "--db", db, "--strict", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["added"] > 0
    assert report["skipped"] and all(s["expected"] for s in report["skipped"])
    assert any("deleted tweet" in s["reason"] for s in report["skipped"])


def test_strict_imports_a_real_x_archive_and_mastodon_export(run, corpora, db):
    for source in (corpora / "andreruffert" / "twitter-archive", corpora / "dealingwith" / "mastodon-archive"):
        result = run("import", source, "--db", db, "--strict", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.output)
        assert report["added"] > 1000
        assert all(s["expected"] for s in report["skipped"]), report["skipped"]
