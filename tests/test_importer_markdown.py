"""Markdown importer: front matter, dates, kinds, Markdown to text, and hostile files."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.markdown import IMPORTER, markdown_to_text, safe_yaml
from deepinsights.ingest import run_import
from deepinsights.search import search


def _docs(store):
    return {row["source_id"]: row for row in store.rows("SELECT * FROM documents")}


def test_blog_fixture_imports_posts_and_page(store, fixtures):
    report = run_import(store, [str(fixtures / "blog")], ImportOptions(thinker="ada"))
    assert (report.added, report.skipped) == (4, [])
    docs = _docs(store)
    assert {k: d["kind"] for k, d in docs.items()} == {
        "_posts/2024-01-15-gradient-notes.md": "post",
        "_posts/2024-03-02-reading-list.markdown": "post",
        "_posts/2024-06-30-on-writing.md": "post",
        "about.md": "page",
    }
    first = docs["_posts/2024-01-15-gradient-notes.md"]
    assert first["title"] == "Notes on gradients: small steps"
    assert first["published_at"] == "2024-01-15T09:30:00Z"  # front matter date and time
    assert first["url"] == "https://example.org/2024/01/gradient-notes/"
    assert json.loads(first["meta"])["tags"] == ["learning", "optimisation"]
    assert docs["_posts/2024-03-02-reading-list.markdown"]["published_at"] == "2024-03-02T00:00:00Z"  # file name
    assert json.loads(docs["_posts/2024-06-30-on-writing.md"]["meta"])["tags"] == ["writing"]
    about = docs["about.md"]
    assert (about["title"], about["published_at"], about["url"]) == ("About this blog", None, None)
    assert {d["thinker"] for d in docs.values()} == {"ada"}


def test_markdown_becomes_searchable_text(store, fixtures):
    run_import(store, [str(fixtures / "blog" / "_posts" / "2024-01-15-gradient-notes.md")], ImportOptions())
    text = store.rows("SELECT text FROM documents")[0]["text"]
    assert "Read the original paper before tuning anything." in text.replace("\n", " ")
    assert "https://example.org/paper.pdf" not in text  # links → their text
    assert "loss.png" not in text and "a loss curve" not in text  # images dropped
    assert "**" not in text and "patience" in text
    assert r"$$w_{t+1} = w_t - \eta \nabla_w L$$" in text  # math verbatim, not mangled
    assert "def step(w, grad, lr=0.01):" in text and "```" not in text  # code kept, fences gone
    assert "Raw HTML still reads as text." in text and "alert" not in text
    assert "sgd 1000" in " ".join(text.split())  # table cells stay apart
    assert search(store, "tuning").hits


def test_markdown_to_text_rules():
    assert markdown_to_text("See [the docs](https://x.org) now") == "See the docs now"
    assert markdown_to_text("a ![pic](p.png) b") == "a b"
    assert markdown_to_text("~~~\nx = 1\n~~~") == "x = 1"
    assert markdown_to_text("$$a_1 * b_2 * c$$") == "$$a_1 * b_2 * c$$"
    assert markdown_to_text("<p>one &amp; two</p>") == "one & two"


def test_readme_plain_doc_and_txt(tmp_path):
    (tmp_path / "README.md").write_text("Intro line\n\n## Project *name*\n\nBody.\n")
    (tmp_path / "notes.md").write_text("No heading here, just words.\n")
    (tmp_path / "plain.txt").write_text("Keep *these* [brackets](as-is) <b>too</b>.\n")
    options = ImportRun(root=tmp_path)
    readme, notes, plain = (next(IMPORTER.read(tmp_path / n, options)) for n in ("README.md", "notes.md", "plain.txt"))
    assert (readme.kind, readme.title) == ("readme", "Project name")
    assert (notes.kind, notes.title, notes.source_id) == ("page", "notes", "notes.md")
    assert plain.text == "Keep *these* [brackets](as-is) <b>too</b>."
    assert plain.title == "plain" and plain.source == "markdown"


def test_file_dates_fill_in_undated_files(tmp_path):
    path = tmp_path / "til" / "sqlite.md"
    path.parent.mkdir()
    path.write_text("# SQLite tricks\n\nUse WAL.\n")
    when = datetime(2021, 5, 6, tzinfo=UTC)
    [doc] = IMPORTER.read(path, ImportRun(root=tmp_path, file_dates={"til/sqlite.md": when}))
    assert doc.published_at == when and doc.kind == "page" and doc.title == "SQLite tricks"


def test_toml_front_matter_and_drafts(tmp_path, store):
    (tmp_path / "hugo.md").write_text('+++\ntitle = "From Hugo"\ndate = 2020-02-03\n+++\n\nHugo body.\n')
    (tmp_path / "draft.md").write_text("---\ntitle: Not yet\npublished: false\n---\n\nSecret.\n")
    report = run_import(store, [str(tmp_path)], ImportOptions())
    [doc] = store.rows("SELECT * FROM documents")
    assert (doc["title"], doc["kind"], doc["published_at"]) == ("From Hugo", "post", "2020-02-03T00:00:00Z")
    assert [s.reason for s in report.skipped if s.path.endswith("draft.md")] == [
        "draft (front matter says published: false or draft: true)"
    ]


def test_body_starting_with_a_rule_is_not_front_matter(tmp_path):
    path = tmp_path / "rule.md"
    path.write_text("---\n\nText between rules.\n\n---\n\nMore text.\n")
    [doc] = IMPORTER.read(path, ImportRun(root=tmp_path))
    assert "Text between rules." in doc.text and "More text." in doc.text


def test_reimport_is_idempotent(store, fixtures):
    run_import(store, [str(fixtures / "blog")], ImportOptions())
    again = run_import(store, [str(fixtures / "blog")], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (0, 0, 4)


# -- hostile inputs (row 13) --------------------------------------------------------

LAUGHS = "\n".join(
    ["---", 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
    + ["title: Laughs", "---", "", "Body survives the bomb."]
)


def test_billion_laughs_front_matter_is_refused_quickly(tmp_path):
    path = tmp_path / "bomb.md"
    path.write_text(LAUGHS)
    options = ImportRun(root=tmp_path)
    began = time.monotonic()
    [doc] = IMPORTER.read(path, options)
    assert time.monotonic() - began < 2
    assert "Body survives the bomb." in doc.text and doc.title == "bomb"
    [skip] = options.skipped
    assert "aliases" in skip.reason and skip.path == "bomb.md"


def test_python_tags_never_execute(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.md"
    path.write_text(
        f"---\ntitle: !!python/object/apply:pathlib.Path.touch [!!python/object/apply:pathlib.Path ['{marker}']]\n"
        "---\n\nHarmless body.\n"
    )
    options = ImportRun(root=tmp_path)
    [doc] = IMPORTER.read(path, options)
    assert not marker.exists()
    assert "Harmless body." in doc.text
    assert "front matter not read" in options.skipped[0].reason


def test_safe_yaml_caps_size():
    with pytest.raises(ValueError, match="longer than"):
        safe_yaml("x: " + "y" * 70_000)
    assert safe_yaml("a: 1\nb: [x, y]") == {"a": 1, "b": ["x", "y"]}


def test_nul_bytes_are_stripped(tmp_path):
    path = tmp_path / "nul.md"
    path.write_bytes(b"# Ti\x00tle\n\nBo\x00dy text.\n")
    [doc] = IMPORTER.read(path, ImportRun(root=tmp_path))
    assert doc.title == "Title" and doc.text.endswith("Body text.") and "\x00" not in doc.text


def test_one_megabyte_line_imports(tmp_path, store):
    path = tmp_path / "long.md"
    path.write_text("# Long\n\n" + "word [link](u) *em* " * 50_000 + "\n")
    began = time.monotonic()
    report = run_import(store, [str(path)], ImportOptions())
    assert time.monotonic() - began < 20
    assert report.added == 1
    assert store.rows("SELECT count(*) AS n FROM passages")[0]["n"] > 100


def test_fifty_megabyte_line_is_bounded(tmp_path, store):
    path = tmp_path / "huge.md"
    with path.open("w") as handle:
        for _ in range(50):
            handle.write("[" * 200_000 + "abc def " * 100_000)
    began = time.monotonic()
    report = run_import(store, [str(path)], ImportOptions())
    assert time.monotonic() - began < 20
    assert report.added == 1
    assert any("text cut at" in s.reason for s in report.skipped)
    assert store.integrity_check() == "ok"


def test_deeply_nested_html_is_bounded(tmp_path):
    path = tmp_path / "nest.md"
    path.write_text("# Nest\n\n" + "<div>" * 100_000 + "inside <script>alert(1)</script>")
    began = time.monotonic()
    [doc] = IMPORTER.read(path, ImportRun(root=tmp_path))
    assert time.monotonic() - began < 5
    assert doc.text.endswith("inside") and "alert" not in doc.text


def test_binary_file_named_md_is_a_clear_error(tmp_path, run, db, store):
    folder = tmp_path / "site"
    folder.mkdir()
    binary = folder / "image.md"
    binary.write_bytes(bytes(range(256)) * 64)
    (folder / "ok.md").write_text("# Fine\n\nStill imports.\n")
    assert importer_for(binary) is IMPORTER
    with pytest.raises(CorruptArchiveError, match="binary file"):
        list(IMPORTER.read(binary, ImportRun(root=binary)))
    result = run("import", binary, "--db", db)
    assert result.exit_code == 1
    assert "image.md" in result.output and "binary" in result.output and "Traceback" not in result.output
    report = run_import(store, [str(folder)], ImportOptions())
    assert report.added == 1 and "binary" in report.skipped[0].reason


def test_cli_json_report(run, fixtures, db):
    result = run("import", fixtures / "blog", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["added"], data["by_source"], data["skipped"]) == (4, {"markdown": 4}, [])


# -- the real corpora ----------------------------------------------------------------


def test_karpathy_blog(corpora, store):
    run_import(store, [str(corpora / "karpathy" / "blog")], ImportOptions(thinker="karpathy"))
    posts = store.rows("SELECT published_at FROM documents WHERE kind = 'post' ORDER BY published_at")
    assert len(posts) == 23
    assert posts[0]["published_at"][:10] == "2011-04-27" and posts[-1]["published_at"][:10] == "2026-02-12"
    pages = store.rows("SELECT source_id, published_at FROM documents WHERE kind = 'page' ORDER BY source_id")
    assert [(p["source_id"], p["published_at"]) for p in pages] == [("about.md", None), ("nntutorial.md", None)]


def test_karpathy_project_readmes(corpora, store):
    report = run_import(store, [str(corpora / "karpathy" / "project-writing")], ImportOptions())
    files = sorted(p for p in (corpora / "karpathy" / "project-writing").rglob("*.md"))
    assert report.added == len(files) and report.skipped == []
    readmes = store.rows("SELECT source_id, title FROM documents WHERE kind = 'readme'")
    expected = [p for p in files if p.name.lower().startswith("readme")]
    assert len(readmes) == len(expected) > 10
    assert {"nanoGPT/README.md": "nanoGPT"}.items() <= {r["source_id"]: r["title"] for r in readmes}.items()


def test_simon_willison_tils(corpora, store):
    folder = corpora / "simon-willison" / "til"
    report = run_import(store, [str(folder)], ImportOptions())
    assert report.added == 577 == len(list(folder.rglob("*.md")))
    rows = store.rows("SELECT source_id, title, published_at FROM documents")
    first_lines = {p.relative_to(folder).as_posix(): p.read_text().splitlines()[0] for p in folder.rglob("*.md")}
    mismatched = [r for r in rows if "# " + r["title"] != first_lines[r["source_id"]].strip()]
    assert len(mismatched) < 10, mismatched[:5]  # titles are the first heading, minus inline markup
    assert all(r["published_at"] is None for r in rows)
