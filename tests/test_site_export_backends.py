"""``export_site`` and ``insights export-site`` on both backends: the same pages and search index from either store."""

from __future__ import annotations

import json
import re
from pathlib import Path

from deepinsights.models import Document, ImportReport
from deepinsights.site_export import INDEX_FILE, export_site

from .webutil import fixture_documents, write_profile


def index_data(site: Path) -> dict:
    text = (site / INDEX_FILE).read_text(encoding="ascii")
    prefix = "window.DEEPINSIGHTS_INDEX = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix) : -2])


def test_export_reads_the_corpus_from_either_backend(store, db, tmp_path, run):
    with store.transaction():
        store.upsert_documents(fixture_documents(), ImportReport(), thinker="ada")
    profiles = write_profile(tmp_path / "profiles")
    report = export_site(tmp_path / "site", db, slug="ada", profiles_dir=profiles)
    assert (report.documents, report.passages) == (14, 15)
    data = index_data(tmp_path / "site")
    assert len(data["docs"]) == 14 and all(0 <= p[0] < 14 for p in data["passages"])
    assert any("<script>window.__pwned" in p[1] for p in data["passages"])  # hostile text kept, escaped in the file
    assert b"<" not in (tmp_path / "site" / INDEX_FILE).read_bytes()
    assert "14" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    result = run("export-site", tmp_path / "cli-site", "ada", "--db", db, "--profiles", profiles, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["passages"] == 15
    assert index_data(tmp_path / "cli-site") == data


def test_export_tells_how_far_it_has_written_the_search_index(store, db, tmp_path, run, monkeypatch):
    """The search index is the long part of an export (100,000 tweets: seconds): its rows are counted as written."""
    with store.transaction():
        store.upsert_documents(fixture_documents(), ImportReport(), thinker="ada")
    profiles = write_profile(tmp_path / "profiles")
    calls: list[tuple[int, int]] = []
    export_site(tmp_path / "site", db, slug="ada", profiles_dir=profiles, progress=lambda *call: calls.append(call))
    assert calls == [(0, 29), (29, 29)]  # 14 documents and 15 passages; a call every 2,000 rows between
    monkeypatch.setenv("DEEPINSIGHTS_PROGRESS_EVERY", "0")  # every line, as in a log
    result = run("export-site", tmp_path / "cli-site", "ada", "--db", db, "--profiles", profiles)
    assert result.exit_code == 0, result.output
    assert re.search(
        r"^writing the search index: 29 of 29 rows \(100%\), [\d,.]+/s, done in 0:00$", result.stderr, re.M
    )
    quiet = run("export-site", tmp_path / "json-site", "ada", "--db", db, "--profiles", profiles, "--json")
    assert "writing the search index" not in quiet.stderr


def test_the_counts_an_export_reports_progress_against_are_what_it_streams(store):
    """``document_count`` and ``passage_count`` of some thinkers, on either backend, count the rows exported."""
    with store.transaction():
        store.upsert_documents(fixture_documents(), ImportReport(), thinker="ada")
        others = [Document(source="notes", source_id=f"b{i}", kind="post", text=f"Note {i}.") for i in range(3)]
        store.upsert_documents(others, ImportReport(), thinker="bob")
    for thinkers in ([], ["ada"], ["bob"], ["ada", "bob"], ["nobody"]):
        assert store.document_count(thinkers) == len(list(store.stream_documents(thinkers))), thinkers
        assert store.passage_count(thinkers) == len(list(store.stream_passages(thinkers))), thinkers
    assert (store.document_count(["bob"]), store.document_count(), store.document_count(["nobody"])) == (3, 17, 0)
