"""``insights import --exclude GLOB`` and ``.insightsignore``, and how an import reports what it passed over.

What is excluded is left out of the workspace and reported as left out (by design, so
``--strict`` still passes); what repeats is said once; a long path is never wrapped.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepinsights.importers.exclude import IGNORE_FILE
from deepinsights.workspace import open_store


def corpus_folder(root: Path) -> Path:
    """A thinker's folder with the kind of provenance file a corpus carries beside the writing."""
    (root / "blog").mkdir(parents=True)
    (root / "drafts").mkdir()
    (root / "SOURCES.md").write_text("# Sources\n\nCopied from the public repository at commit abc.\n")
    (root / "blog" / "2024-01-02-engines.md").write_text("# Engines\n\nThe analytical engine weaves algebra.\n")
    (root / "blog" / "SOURCES.md").write_text("# Sources\n\nA nested provenance note.\n")
    (root / "drafts" / "unfinished.md").write_text("# Unfinished\n\nNot ready.\n")
    return root


def titles(db: str) -> list[str]:
    store = open_store(db, read_only=True)
    try:
        return sorted(row["title"] for row in store.rows("SELECT title FROM documents"))
    finally:
        store.close()


def test_exclude_leaves_out_matching_files_and_says_so(tmp_path, run, db):
    folder = corpus_folder(tmp_path / "corpus")
    result = run("import", folder, "--thinker", "ada", "--exclude", "SOURCES.md", "--exclude", "/drafts/", "--db", db)
    assert result.exit_code == 0, result.output
    assert titles(db) == ["Engines"]
    assert (
        f"left out 3 files: excluded by --exclude ({folder / 'SOURCES.md'}, {folder / 'blog' / 'SOURCES.md'} "
        "and 1 more; --json lists them all)"
    ) in result.stderr
    strict = run("import", folder, "--exclude", "SOURCES.md", "--exclude", "drafts/", "--strict", "--db", db)
    assert strict.exit_code == 0, "what the user excluded is left out by design, not a problem"


def test_an_insightsignore_file_in_the_folder_adds_patterns(tmp_path, run, db):
    folder = corpus_folder(tmp_path / "corpus")
    (folder / IGNORE_FILE).write_text("# provenance, not writing\nSOURCES.md\ndrafts/\n!blog/SOURCES.md\n")
    result = run("import", folder, "--thinker", "ada", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert titles(db) == ["Engines", "Sources"], "the ! pattern took the nested one back"
    left_out = {Path(s["path"]).name: s for s in json.loads(result.stdout)["skipped"]}
    assert left_out["SOURCES.md"]["reason"] == f"excluded by {IGNORE_FILE}" and left_out["SOURCES.md"]["expected"]
    assert set(left_out) == {"SOURCES.md", "drafts"}


@pytest.mark.parametrize("pattern", ["!", "\\"])
def test_a_bad_pattern_is_a_clear_error(tmp_path, run, db, pattern):
    folder = corpus_folder(tmp_path / "corpus")
    result = run("import", folder, "--exclude", pattern, "--db", db)
    assert result.exit_code == 2 and "--exclude" in result.output and "not a gitignore pattern" in result.output
    (folder / IGNORE_FILE).write_text(f"{pattern}\n")
    from_file = run("import", folder, "--db", db)
    assert from_file.exit_code == 1 and f"{folder / IGNORE_FILE}" in from_file.output
    assert "Traceback" not in from_file.output and titles(db) == []


def test_an_unreadable_ignore_file_imports_nothing(tmp_path, run, db):
    folder = corpus_folder(tmp_path / "corpus")
    (folder / IGNORE_FILE).write_bytes(b"SOURCES.md\n\xff\xfe\n")
    result = run("import", folder, "--db", db)
    assert result.exit_code == 1 and "not UTF-8 text" in result.output and titles(db) == []


def test_a_long_skip_line_keeps_its_path_whole_at_80_columns(tmp_path, run, db, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    deep = tmp_path.joinpath("corpus", *(f"folder-with-a-long-name-{i}" for i in range(4)))
    deep.mkdir(parents=True)
    (deep / "notes.md").write_text("# Notes\n\nSome notes.\n")
    (deep / "picture.bin").write_bytes(bytes(range(256)) * 4)
    result = run("import", tmp_path / "corpus", "--db", db)
    assert result.exit_code == 0, result.output
    [line] = [line for line in result.stderr.splitlines() if "picture.bin" in line]
    assert str(deep / "picture.bin") in line and len(line) > 80


def test_the_same_reason_for_many_files_is_one_line(tmp_path, run, db):
    folder = tmp_path / "corpus"
    folder.mkdir()
    for i in range(12):
        (folder / f"blob-{i:02d}.bin").write_bytes(bytes(range(256)) * 4)
    (folder / "note.md").write_text("# A note\n\nText.\n")
    result = run("import", folder, "--db", db)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "no importer recognises" in line]
    assert lines == [
        f"skipped 12 files: no importer recognises this file ({folder / 'blob-00.bin'}, "
        f"{folder / 'blob-01.bin'} and 10 more; --json lists them all)"
    ]
    listed = json.loads(run("import", folder, "--db", db, "--json").stdout)["skipped"]
    assert len(listed) == 12
