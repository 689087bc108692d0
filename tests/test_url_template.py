"""``insights import --url-template``: Markdown files without a permalink get their published URL."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights.errors import ImporterError
from deepinsights.importers import url_template

DAY = datetime(2016, 9, 7, 22, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("template", "rel", "published", "url"),
    [
        (
            "https://b.example/{year}/{month}/{day}/{slug}/",
            "_posts/2016-09-07-phd.markdown",
            DAY,
            "https://b.example/2016/09/07/phd/",
        ),
        (
            "https://til.example/{path}",
            "python/argparse-subcommands.md",
            None,
            "https://til.example/python/argparse-subcommands",
        ),
        ("https://x.example/{name}.html", "notes/2016-09-07-phd.md", None, "https://x.example/2016-09-07-phd.html"),
        ("https://x.example/{path}", "my notes/a b.md", None, "https://x.example/my%20notes/a%20b"),
        ("https://x.example/{path}", "README", None, "https://x.example/README"),
        ("https://x.example/{{literal}}/{slug}", "a.md", None, "https://x.example/{literal}/a"),
        ("https://b.example/{year}/{slug}/", "about.md", None, None),  # the template needs a date it lacks
    ],
)
def test_a_template_fills_from_the_files_path_and_date(template, rel, published, url):
    assert url_template.fill(url_template.check(template), rel, published) == url


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("https://x.example/{foo}", "unknown placeholder {foo}"),
        ("https://x.example/{path.__class__}", "unknown placeholder {path.__class__}"),
        ("https://x.example/{path[0]}", "unknown placeholder {path[0]}"),
        ("https://x.example/{year:>8}", "unknown placeholder {year}"),
        ("https://x.example/{path!r}", "unknown placeholder {path}"),
        ("https://x.example/{", "literal brace"),
        ("https://x.example/}", "literal brace"),
    ],
)
def test_a_bad_template_is_refused_naming_the_problem(template, problem):
    with pytest.raises(ImporterError, match="--url-template") as error:
        url_template.check(template)
    assert problem in str(error.value)


def test_imported_markdown_gets_the_templated_url_unless_it_has_its_own(tmp_path, run):
    folder = tmp_path / "site"
    (folder / "_posts").mkdir(parents=True)
    (folder / "_posts" / "2016-09-07-phd.md").write_text("---\ntitle: A guide\n---\nHow to survive.\n")
    (folder / "own.md").write_text("---\npermalink: https://own.example/page\n---\nIts own link.\n")
    (folder / "about.md").write_text("# About\n\nNo date here.\n")
    db = tmp_path / "insights.db"
    template = "https://blog.example/{year}/{month}/{day}/{slug}/"
    assert run("import", str(folder), "--url-template", template, "--db", str(db)).exit_code == 0
    hits = json.loads(run("search", "survive OR link OR date", "--fts", "--json", "--db", str(db)).output)
    assert {h["title"]: h["url"] for h in hits} == {
        "A guide": "https://blog.example/2016/09/07/phd/",
        "own": "https://own.example/page",
        "About": None,
    }


def test_the_cli_refuses_a_bad_template_before_importing(tmp_path, run):
    (tmp_path / "a.md").write_text("# A\n\ntext\n")
    db = tmp_path / "insights.db"
    result = run("import", str(tmp_path / "a.md"), "--url-template", "https://x.example/{foo}", "--db", str(db))
    assert result.exit_code == 2 and "unknown placeholder {foo}" in result.output
    assert not db.exists()


@pytest.mark.parametrize(
    ("link", "template", "url"),
    [
        ("/about/", "https://karpathy.github.io/{year}/{month}/{day}/{slug}/", "https://karpathy.github.io/about/"),
        ("neuralnets/", "https://b.example/blog/{slug}/", "https://b.example/neuralnets/"),
        ("https://own.example/page", "https://b.example/{slug}/", "https://own.example/page"),
        ("/about/", None, None),  # no template: nothing says which site the page is on
    ],
)
def test_a_relative_permalink_is_resolved_against_the_templates_site(link, template, url):
    assert url_template.resolve(link, template) == url


def test_a_page_with_a_relative_permalink_gets_a_url(tmp_path, run, db):
    folder = tmp_path / "blog"
    folder.mkdir()
    (folder / "about.md").write_text("---\ntitle: About\npermalink: /about/\n---\nWho I am.\n")
    template = "https://b.example/{year}/{month}/{day}/{slug}/"
    result = run("import", folder, "--thinker", "ada", "--url-template", template, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(run("search", "who", "--db", db, "--json").output)
    assert [hit["url"] for hit in found] == ["https://b.example/about/"]
