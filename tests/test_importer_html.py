"""HTML importer: detection by content, main-content extraction, title/date/URL, hostile markup."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.html import IMPORTER
from deepinsights.ingest import run_import


def read(path: Path, **options):
    opts = ImportRun(**options)
    return list(IMPORTER.read(path, opts)), opts


def page(tmp_path: Path, html: str, name: str = "p.html") -> Path:
    path = tmp_path / name
    path.write_text(html, encoding="utf-8")
    return path


def test_detects_html_by_content(fixtures, tmp_path):
    assert IMPORTER.detect(fixtures / "page.html")
    assert importer_for(fixtures / "page.html") is IMPORTER
    assert IMPORTER.detect(page(tmp_path, "\ufeff  <html><body>x</body></html>", "no-extension"))
    assert IMPORTER.detect(page(tmp_path, "<!-- saved --><body><p>hi</p></body>", "saved.txt"))
    assert not IMPORTER.detect(fixtures / "feed.xml")
    assert not IMPORTER.detect(page(tmp_path, "# Title\n\nSome <html> in markdown\n", "post.md"))
    assert not IMPORTER.detect(page(tmp_path, "<p>a fragment</p>", "fragment.html"))
    assert not IMPORTER.detect(tmp_path)
    binary = tmp_path / "image.html"
    binary.write_bytes(b"<html>\x00\x01\x02\x03" * 100)
    assert not IMPORTER.detect(binary)


def test_fixture_page(fixtures):
    (doc,), opts = read(fixtures / "page.html", root=fixtures)
    assert opts.skipped == []
    assert doc.source == "html"
    assert doc.source_id == "page.html"
    assert doc.kind == "post"
    assert doc.title == "On looms and engines | Ada's site"
    assert doc.published_at == datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert doc.url == "https://ada.example/looms"
    assert doc.text == (
        "On looms and engines\n\n"
        "The engine weaves algebraic patterns just as the loom weaves flowers.\n\n"
        "Cards carry the program."
    )
    assert doc.meta == {"canonical": "https://ada.example/looms", "description": "Why the engine is like a loom."}


def test_body_without_article_drops_boilerplate(tmp_path):
    path = page(
        tmp_path,
        "<html><head><title>T</title></head><body><header>Site header</header><nav>Menu</nav>"
        "<div><p>Main words.</p><aside>Aside</aside></div><form>Search box</form><footer>Foot</footer>"
        "<script>var x = 1;</script><style>p {}</style></body></html>",
    )
    (doc,), _ = read(path)
    assert doc.text == "Main words."
    assert doc.kind == "page"
    assert doc.published_at is None
    assert doc.url is None


def test_main_preferred_when_several_articles(tmp_path):
    path = page(
        tmp_path,
        "<html><body><nav>Menu</nav><main><article><p>One.</p></article><article><p>Two.</p></article></main>"
        "<footer>Foot</footer></body></html>",
    )
    (doc,), _ = read(path)
    assert doc.text == "One.\n\nTwo."


def test_role_main(tmp_path):
    path = page(tmp_path, '<html><body><div>Chrome</div><div role="main"><p>Content.</p></div></body></html>')
    (doc,), _ = read(path)
    assert doc.text == "Content."


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        ('<meta property="og:title" content="OG title">', "<h1>H1</h1><p>x</p>", "OG title"),
        ("", "<h1>Heading  one</h1><p>x</p>", "Heading one"),
        ("<title>  </title>", "<p>x</p>", None),
    ],
)
def test_title_fallbacks(tmp_path, head, body, title):
    (doc,), _ = read(page(tmp_path, f"<html><head>{head}</head><body>{body}</body></html>"))
    assert doc.title == title


def test_date_from_time_element_and_relative_canonical(tmp_path):
    path = page(
        tmp_path,
        '<html><head><link rel="canonical" href="/posts/x"></head><body><article>'
        '<time datetime="2021-06-07">June 7</time><p>Dated.</p></article></body></html>',
    )
    (doc,), _ = read(path, root=path, provenance={"url": "https://site.example/posts/x?utm=1"})
    assert doc.published_at == datetime(2021, 6, 7, tzinfo=UTC)
    assert doc.kind == "post"
    assert doc.url == "https://site.example/posts/x?utm=1"  # what was fetched
    assert doc.source_id == "https://site.example/posts/x?utm=1"
    assert doc.meta["canonical"] == "https://site.example/posts/x"


def test_fetched_url_is_not_given_to_pages_inside_a_fetched_folder(tmp_path):
    path = page(tmp_path, "<html><body><p>In a downloaded zip.</p></body></html>", "inner.html")
    (doc,), _ = read(path, root=tmp_path, provenance={"url": "https://site.example/site.zip"})
    assert doc.source_id == "inner.html"
    assert doc.url is None


def test_git_first_commit_date_dates_a_page_without_making_it_a_post(tmp_path):
    path = page(tmp_path, "<html><body><p>Undated.</p></body></html>", "notes.html")
    when = datetime(2020, 1, 2, tzinfo=UTC)
    (doc,), _ = read(path, root=tmp_path, file_dates={"notes.html": when})
    assert doc.published_at == when
    assert doc.kind == "page"
    assert doc.meta["date_source"] == "git"


def test_hostile_markup_is_inert(tmp_path):
    path = page(
        tmp_path,
        '<html><head><title>Hi <script>alert("t")</script></title>'
        '<link rel="canonical" href="javascript:alert(1)"></head><body>'
        '<p onclick="evil()">Safe <img src=x onerror="alert(2)">words '
        '<a href="javascript:alert(3)">link</a></p><script>alert(4)</script>'
        "<iframe src='https://evil.example'>frame</iframe><svg><script>alert(5)</script></svg>"
        "<noscript>no</noscript><template><p>hidden</p></template></body></html>",
    )
    (doc,), _ = read(path)
    assert doc.text == "Safe words link"
    assert doc.url is None
    assert "canonical" not in doc.meta


def test_empty_page_is_skipped_with_a_reason(tmp_path):
    path = page(tmp_path, "<html><head><title>Nothing</title></head><body><nav>only nav</nav></body></html>")
    docs, opts = read(path)
    assert docs == []
    assert [s.reason for s in opts.skipped] == ["no text in the page"]


def test_invalid_utf8_and_nul_bytes(tmp_path):
    path = tmp_path / "latin.html"
    declared = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"></head>'
    path.write_bytes(f"{declared}<body><p>caf\u00e9 cr\u00e8me</p></body></html>".encode("latin-1"))
    (doc,), _ = read(path)
    assert doc.text == "café crème"
    path.write_bytes(b'<html><head><meta charset="no-such-codec"></head><body><p>caf\xe9</p></body></html>')
    (doc,), _ = read(path)
    assert doc.text.startswith("caf")
    nul = tmp_path / "nul.html"
    nul.write_bytes(b"<html><body><p>a\x00b</p></body></html>")
    (doc,), _ = read(nul)
    assert doc.text == "ab"


def test_folder_of_pages_imports_with_relative_ids(fixtures, tmp_path, store):
    (tmp_path / "site" / "sub").mkdir(parents=True)
    (tmp_path / "site" / "index.html").write_text((fixtures / "page.html").read_text())
    (tmp_path / "site" / "sub" / "about.htm").write_text("<html><body><p>About.</p></body></html>")
    report = run_import(store, [str(tmp_path / "site")], ImportOptions())
    assert report.added == 2
    ids = [r["source_id"] for r in store.rows("SELECT source_id FROM documents ORDER BY source_id")]
    assert ids == ["index.html", "sub/about.htm"]
