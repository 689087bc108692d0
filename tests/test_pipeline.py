"""A big file is parsed in a forked child while the import writes: the result must be the same.

``DEEPINSIGHTS_PARSE_IN_CHILD_BYTES`` is 0 (every file goes through the child) or -1 (never), so
the small fixtures here take both paths; the stored rows, the report, the skipped records
and the errors must not depend on which one ran.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from deepinsights import pipeline as pipeline_module
from deepinsights.backends.sqlite import Store
from deepinsights.errors import DeepInsightsError
from deepinsights.importers import ImportOptions
from deepinsights.importers.split_scan import worth_forking
from deepinsights.ingest import run_import

PATHS = {"child": "0", "in-process": "-1"}


def zipped(folder: Path, dest: Path) -> Path:
    with zipfile.ZipFile(dest, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
    return dest


def snapshot(store: Store) -> tuple[list[dict], list[dict]]:
    documents = store.rows("SELECT * FROM documents ORDER BY id")
    for row in documents:
        row.pop("import_id")
    passages = store.rows('SELECT document_id, ordinal, start, "end", title, text, url FROM passages ORDER BY id')
    return documents, passages


def import_with(path: str, monkeypatch: pytest.MonkeyPatch, db: Path, setting: str, **options):
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", setting)
    store = Store(db)
    try:
        report = run_import(store, [path], ImportOptions(**options))
        return report, snapshot(store), store.integrity_check()
    finally:
        store.close()


@pytest.mark.parametrize("source", ["zip", "tweets.js"])
def test_child_and_in_process_imports_store_the_same(source, fixtures, tmp_path, monkeypatch):
    archive = fixtures / "x_archive"
    path = zipped(archive, tmp_path / "x.zip") if source == "zip" else archive / "data" / "tweets.js"
    results = {name: import_with(str(path), monkeypatch, tmp_path / f"{name}.db", s) for name, s in PATHS.items()}
    child, alone = results["child"], results["in-process"]
    assert child[0].as_dict() == alone[0].as_dict()
    assert child[1] == alone[1] and child[1][0]  # same documents and passages, and some
    assert child[2] == "ok"


@pytest.mark.parametrize("prepared_by", ["child", "parent"])
def test_whichever_process_prepares_the_rows_they_are_the_same(prepared_by, fixtures, tmp_path, monkeypatch):
    """The child prepares rows, or leaves it to the parent when the parent has nothing to write."""
    monkeypatch.setattr(pipeline_module._Sender, "all_sent", lambda self: prepared_by == "parent")
    monkeypatch.setattr(pipeline_module, "BATCH", 3)  # several batches, each one prepared by the chosen side
    tweets = fixtures / "x_archive" / "data" / "tweets.js"
    child = import_with(str(tweets), monkeypatch, tmp_path / "child.db", PATHS["child"], thinker="ada")
    alone = import_with(str(tweets), monkeypatch, tmp_path / "alone.db", PATHS["in-process"], thinker="ada")
    assert child[0].as_dict() | {"import_id": None} == alone[0].as_dict() | {"import_id": None}
    assert child[1] == alone[1] and {row["thinker"] for row in child[1][0]} == {"ada"}
    assert child[2] == "ok"


def test_skipped_records_come_back_from_the_child_in_order(tmp_path, monkeypatch):
    items = [{"tweet": {"id_str": str(i), "full_text": f"tweet {i}"}} for i in range(1, 4)]
    items.insert(1, {"tweet": {"full_text": "no id"}})
    items.append({"tweet": {"id_str": "2", "full_text": "repeated"}})
    tweets = tmp_path / "tweets.js"
    tweets.write_text("window.YTD.tweets.part0 = " + json.dumps(items), encoding="utf-8")
    reports = {name: import_with(str(tweets), monkeypatch, tmp_path / f"{name}.db", s)[0] for name, s in PATHS.items()}
    assert reports["child"].as_dict() == reports["in-process"].as_dict()
    reasons = [s.reason for s in reports["child"].skipped]
    assert any("not tweets" in r for r in reasons) and any("repeated" in r for r in reasons)


def test_an_error_in_the_child_is_raised_in_the_parent_and_nothing_is_written(tmp_path, monkeypatch):
    tweets = tmp_path / "tweets.js"
    tweets.write_text('window.YTD.tweets.part0 = [{"tweet": {"id_str": "1", "full_text": "cut', encoding="utf-8")
    messages = {}
    for name, setting in PATHS.items():
        monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", setting)
        store = Store(tmp_path / f"{name}.db")
        with pytest.raises(DeepInsightsError) as caught:
            run_import(store, [str(tweets)], ImportOptions())
        assert store.document_count() == 0 and store.imports() == []
        store.close()
        messages[name] = str(caught.value)
    assert messages["child"] == messages["in-process"]
    assert str(tweets) in messages["child"]


def test_a_bad_file_inside_a_folder_is_skipped_from_the_child_too(tmp_path, monkeypatch):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "good.md").write_text("# Good\n\nA fine note about compilers.\n", encoding="utf-8")
    (folder / "posts.json").write_text('[{"text": "cut short", "date": "2024-01-0', encoding="utf-8")
    reports = {name: import_with(str(folder), monkeypatch, tmp_path / f"{name}.db", s)[0] for name, s in PATHS.items()}
    assert reports["child"].as_dict() == reports["in-process"].as_dict()
    assert reports["child"].added == 1 and len(reports["child"].skipped) == 1


def test_worth_forking_follows_the_setting(tmp_path, monkeypatch):
    small = tmp_path / "small.js"
    small.write_text("[]", encoding="utf-8")
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "3")
    assert not worth_forking(small) and not worth_forking(tmp_path)
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "2")
    assert worth_forking(small)
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "lots")
    with pytest.raises(DeepInsightsError, match="DEEPINSIGHTS_PARSE_IN_CHILD_BYTES"):
        worth_forking(small)


@pytest.mark.postgresql
def test_a_child_parsed_import_into_postgresql_stores_what_sqlite_does(fixtures, tmp_path, monkeypatch, pg_store):
    tweets = fixtures / "x_archive" / "data" / "tweets.js"
    alone = import_with(str(tweets), monkeypatch, tmp_path / "alone.db", PATHS["in-process"])
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", PATHS["child"])
    report = run_import(pg_store, [str(tweets)], ImportOptions())
    assert report.as_dict() | {"import_id": None} == alone[0].as_dict() | {"import_id": None}
    assert snapshot(pg_store) == alone[1]


def test_notes_come_back_from_the_child(tmp_path, monkeypatch):
    talk = tmp_path / "youtube_abcdefghijk.txt"
    talk.write_text("SOURCE: https://www.youtube.com/watch?v=abcdefghijk\n\n[0s] hello there\n", encoding="utf-8")
    reports = {name: import_with(str(talk), monkeypatch, tmp_path / f"{name}.db", s)[0] for name, s in PATHS.items()}
    assert reports["child"].as_dict() == reports["in-process"].as_dict()
    assert [n.message.split(":")[0] for n in reports["child"].notes] == ["no date"]
