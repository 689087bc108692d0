"""Tabular importer: JSON, JSON Lines, CSV and sqlite-diffable rows, field mapping, hostile JSON."""

from __future__ import annotations

import json
import time

import pytest

from deepinsights.errors import CorruptArchiveError, ImporterError
from deepinsights.importers import importer_for
from deepinsights.importers import tabular as tabular_module
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.tabular import IMPORTER
from deepinsights.ingest import run_import


def _read(path, **kwargs):
    options = ImportRun(root=path.parent, **kwargs)
    return list(IMPORTER.read(path, options)), options


def test_jsonl_fields_are_guessed(fixtures):
    docs, options = _read(fixtures / "records.jsonl")
    assert [d.source_id for d in docs] == ["records.jsonl#1", "records.jsonl#2", "records.jsonl#4"]
    first = docs[0]
    assert (first.title, first.url, first.kind) == ("First note", "https://example.org/notes/1", "record")
    assert first.published_at.isoformat() == "2022-02-01T10:00:00+00:00"
    assert docs[2].text == "A note with HTML in it & an entity." and docs[2].published_at.year == 2022
    [skip] = options.skipped
    assert (skip.path, skip.reason) == ("records.jsonl", "1 of 4 records skipped: 1 without text")


def test_csv_with_quoted_multiline_field(fixtures):
    docs, options = _read(fixtures / "records.csv")
    assert [d.source_id for d in docs] == ["records.csv#a1", "records.csv#a2"]
    assert docs[1].title == "Quoted, with comma" and docs[1].text == "A body that spans\ntwo lines."
    assert docs[1].published_at.isoformat() == "2021-08-15T00:00:00+00:00"
    assert options.skipped[0].reason == "1 of 3 records skipped: 1 without text"


def test_sqlite_diffable_table(fixtures, store):
    report = run_import(store, [str(fixtures / "diffable")], ImportOptions())
    assert report.added == 2
    assert [s.reason for s in report.skipped] == ["1 of 3 records skipped: 1 drafts"]
    rows = store.rows("SELECT source_id, title, text, published_at FROM documents ORDER BY source_id")
    assert [r["source_id"] for r in rows] == ["talks.ndjson#1", "talks.ndjson#3"]
    assert rows[0]["text"] == "A small model you can read end to end teaches more than a big one."  # Markdown
    assert rows[0]["published_at"] == "2023-01-10T08:00:00Z"


def test_metadata_file_named_alone_reads_its_table(fixtures, store):
    report = run_import(store, [str(fixtures / "diffable" / "talks.metadata.json")], ImportOptions())
    assert report.added == 2


def test_array_rows_without_metadata_are_an_error(tmp_path):
    path = tmp_path / "orphan.ndjson"
    path.write_text('[1, "x"]\n')
    with pytest.raises(ImporterError, match="orphan.metadata.json"):
        _read(path)


def test_json_array_and_wrapper_shapes(tmp_path):
    (tmp_path / "array.json").write_text(json.dumps([{"content": "one"}, {"content": "two"}]))
    (tmp_path / "wrapped.json").write_text(json.dumps({"count": 2, "items": [{"body": "a"}, {"body": "b"}]}))
    (tmp_path / "single.json").write_text(json.dumps({"full_text": "only me", "id": "z"}))
    assert [d.text for d in _read(tmp_path / "array.json")[0]] == ["one", "two"]
    assert [d.source_id for d in _read(tmp_path / "wrapped.json")[0]] == ["wrapped.json#1", "wrapped.json#2"]
    assert [d.source_id for d in _read(tmp_path / "single.json")[0]] == ["single.json#z"]


def test_json_lines_saved_as_json(tmp_path):
    path = tmp_path / "lines.json"
    path.write_text('{"text": "a"}\n{"text": "b"}\n')
    assert [d.text for d in _read(path)[0]] == ["a", "b"]


def test_field_mapping_options_and_nested_fields(tmp_path):
    path = tmp_path / "posts.jsonl"
    path.write_text(json.dumps({"post": {"words": "mapped text"}, "when": "2020-01-01", "link": "x", "name": "T"}))
    [doc], _ = _read(path, text_field="post.words", date_field="when", title_field="name", url_field="link")
    assert (doc.text, doc.title, doc.url, doc.published_at.year) == ("mapped text", "T", "x", 2020)
    with pytest.raises(ImporterError, match=r"no field 'nope' \(--date-field\)"):
        _read(path, text_field="post.words", date_field="nope")


def test_unknown_shape_lists_fields_and_the_fix(tmp_path, run, db):
    path = tmp_path / "odd.json"
    path.write_text(json.dumps([{"alpha": "x", "beta": 2}]))
    with pytest.raises(ImporterError) as caught:
        _read(path)
    message = str(caught.value)
    assert "odd.json" in message and "unknown JSON shape" in message
    assert "alpha, beta" in message and "--text-field" in message
    result = run("import", path, "--db", db)
    assert result.exit_code == 1 and "--text-field" in result.output
    result = run("import", path, "--db", db, "--text-field", "alpha", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["added"] == 1


def test_detection(tmp_path, fixtures):
    for name in ("records.jsonl", "records.csv", "diffable/talks.ndjson", "diffable/talks.metadata.json"):
        assert importer_for(fixtures / name) is IMPORTER, name
    prose = tmp_path / "prose.json"
    prose.write_text("not json at all")
    binary = tmp_path / "blob.csv"
    binary.write_bytes(bytes(range(256)) * 10)
    assert not IMPORTER.detect(prose) and not IMPORTER.detect(binary)


# -- hostile inputs (row 7) ------------------------------------------------------------

HOSTILE = {
    "deep.json": b"[" * 100_000 + b"]" * 100_000,
    "brackets.json": b"[" * 2_000_000,
    "number.json": b'[{"text": "x", "n": ' + b"9" * 1_000_000 + b"}]",
    "latin1.json": b'[{"text": "caf\xe9"}]',
    "deep.jsonl": b"[" * 100_000 + b"\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_json_is_a_clear_per_file_error(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(HOSTILE[name])
    began = time.monotonic()
    with pytest.raises(CorruptArchiveError) as caught:
        _read(path)
    assert time.monotonic() - began < 10
    assert name in str(caught.value) and "\n" not in str(caught.value)


def test_hostile_files_fail_alone_and_siblings_import(tmp_path, store, run, db):
    folder = tmp_path / "dump"
    folder.mkdir()
    for name, data in HOSTILE.items():
        (folder / name).write_bytes(data)
    (folder / "good.jsonl").write_text('{"text": "survivor"}\n')
    report = run_import(store, [str(folder)], ImportOptions())
    assert report.added == 1 and len(report.skipped) == len(HOSTILE)
    assert store.integrity_check() == "ok"
    result = run("import", folder / "deep.json", "--db", db)
    assert result.exit_code == 1 and "deep.json" in result.output and "Traceback" not in result.output


def test_lone_surrogates_and_bad_lines_are_survived(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b'{"text": "half \\ud800 pair"}\n{"text": broken\n{"text": "caf\xe9"}\n{"text": "fine"}\n')
    docs, options = _read(path)
    assert [d.text for d in docs] == ["half ? pair", "fine"]  # surrogate replaced, never stored raw
    assert options.skipped[0].reason.startswith("2 of 4 records skipped: 2 unreadable (first at line 2:")


def test_deeply_nested_html_field_is_bounded(tmp_path):
    path = tmp_path / "nest.jsonl"
    path.write_text(json.dumps({"text": "<div>" * 100_000 + "deep <b>inside</b>"}) + "\n")
    began = time.monotonic()
    [doc], _ = _read(path)
    assert time.monotonic() - began < 5 and doc.text == "deep inside"


def test_size_caps(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular_module, "MAX_JSON_BYTES", 100)
    monkeypatch.setattr(tabular_module, "MAX_LINE_BYTES", 64)
    big = tmp_path / "big.json"
    big.write_text(json.dumps([{"text": "x" * 200}]))
    with pytest.raises(CorruptArchiveError, match="convert it to JSON Lines"):
        _read(big)
    lines = tmp_path / "lines.jsonl"
    lines.write_text(json.dumps({"text": "y" * 200}) + "\n" + json.dumps({"text": "short"}) + "\n")
    docs, options = _read(lines)
    assert [d.text for d in docs] == ["short"] and "longer than 64 bytes" in options.skipped[0].reason


# -- Simon Willison's blog backup shape -------------------------------------------------


def _diffable(folder, table, columns, rows):
    (folder / f"{table}.metadata.json").write_text(json.dumps({"name": table, "columns": columns}))
    (folder / f"{table}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_known_blog_tables(tmp_path, store):
    tmp_path = tmp_path / "backup"
    tmp_path.mkdir()
    blogmark = ["id", "slug", "link_url", "link_title", "via_url", "via_title", "commentary", "created"]
    links = [
        [7, "s", "https://example.org/a", "A linked page", None, None, "Worth <em>reading</em>.", "2010-01-02"],
        [8, "t", "https://example.org/b", "Only a title", None, None, "", "2011-01-02T03:04:05+00:00"],
    ]
    _diffable(tmp_path, "blog_blogmark", blogmark, links)
    note = ["id", "created", "slug", "search_document", "is_draft", "body", "title"]
    notes = [
        [1, "2024-07-08T00:00:00+00:00", "n", "'tsvector':1", 0, "A *note* with [a link](https://x.org).", ""],
        [2, "2024-07-09T00:00:00+00:00", "d", "'x':1", 1, "Draft body.", "Draft"],
    ]
    _diffable(tmp_path, "blog_note", note, notes)
    report = run_import(store, [str(tmp_path)], ImportOptions())
    rows = {r["source_id"]: r for r in store.rows("SELECT * FROM documents")}
    link = rows["blog_blogmark.ndjson#7"]
    assert (link["kind"], link["title"], link["url"]) == ("link", "A linked page", "https://example.org/a")
    assert link["text"] == "A linked page\n\nWorth reading."
    assert rows["blog_blogmark.ndjson#8"]["text"] == "Only a title"
    note_row = rows["blog_note.ndjson#1"]
    assert (note_row["kind"], note_row["title"], note_row["text"]) == ("note", None, "A note with a link.")
    assert "search_document" not in json.loads(note_row["meta"])
    assert len(rows) == 3 and [s.reason for s in report.skipped] == ["1 of 2 records skipped: 1 drafts"]


# -- the real corpora ----------------------------------------------------------------


def _independent_count(path, date_column):
    columns = json.loads(path.with_name(path.stem + ".metadata.json").read_text())["columns"]
    rows = [dict(zip(columns, json.loads(line), strict=True)) for line in path.read_text().splitlines() if line]
    rows = [r for r in rows if not r.get("is_draft")]
    dates = sorted(r[date_column][:10] for r in rows)
    return len(rows), dates[0], dates[-1]


def test_simon_willison_blog_backup(corpora, store):
    folder = corpora / "simon-willison" / "blog-backup"
    run_import(store, [str(folder / "blog_blogmark.ndjson"), str(folder / "blog_note.ndjson")], ImportOptions())
    for kind, table, expected in (
        ("link", "blog_blogmark", (6682, "2003-11-23", "2023-08-10")),
        ("note", "blog_note", (152, "2024-07-08", "2026-08-22")),
    ):
        assert _independent_count(folder / f"{table}.ndjson", "created") == expected
        [row] = store.rows(
            "SELECT count(*) AS n, min(published_at) AS first, max(published_at) AS last FROM documents WHERE kind = ?",
            [kind],
        )
        assert (row["n"], row["first"][:10], row["last"][:10]) == expected


def test_blog_backup_folder_reports_the_lookup_table(corpora, store):
    report = run_import(store, [str(corpora / "simon-willison" / "blog-backup")], ImportOptions())
    assert report.added == 6682 + 152 + 16 + 1
    [skip] = report.skipped
    assert skip.path.endswith("guides_guidesection.ndjson") and "--text-field" in skip.reason
