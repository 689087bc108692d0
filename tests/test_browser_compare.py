"""The compare page and the latest eval scores in a real browser (Debian chromium through Playwright).

A SQLite workspace with the two self-made thinkers (``two_thinkers``); ``insights compare ada bo
-m scripted-test`` keeps the comparison (one honest disagreement kept, one invented dropped) and
``insights eval ada`` keeps a run, both beside the workspace, as a user's commands would. The kept
comparison is then given hostile topic and passage text, which the page must show as text. The
served page and the ``export-site`` copy opened from ``file://`` must both show every section.
The page reads only the kept files, so one backend is enough here (compare and eval themselves
run on both in ``test_compare.py`` and ``test_eval.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from deepinsights import saved
from deepinsights.cli import cli
from deepinsights.site_export import export_site
from deepinsights.web.app import create_app
from deepinsights.workspace import open_store

from . import llm_test_models, two_thinkers
from .test_browser import ARTIFACTS, Watched, browser  # noqa: F401  (the module-scoped browser fixture)
from .webutil import HOSTILE_IMG, HOSTILE_SCRIPT, serving

pytestmark = pytest.mark.browser
PROFILE = "identity: {{slug: {slug}, name: {name}}}\nknown_gaps: [The unrecorded talks]\n"


def _invoke(*args: Any) -> None:
    result = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("compare-page")
    db = folder / "insights.db"
    store = open_store(db)
    two_thinkers.fill(store)
    store.close()
    (folder / "profiles").mkdir()
    for slug, name in (("ada", "Ada Lovelace-Example"), ("bo", "Bo Example")):
        (folder / "profiles" / f"{slug}.yaml").write_text(PROFILE.format(slug=slug, name=name))
    llm_test_models.install()
    honest = {"relation": "disagree", "statement": "Small models against large ones.",
              "quote_a": "small models win in the end", "quote_b": "large models win every benchmark"}  # fmt: skip
    invented = {**honest, "quote_a": "small models always lose"}
    llm_test_models.SCRIPTED.replies.clear()
    llm_test_models.SCRIPTED.enqueue(json.dumps(honest), json.dumps(invented))
    _invoke("compare", "ada", "bo", "-m", "scripted-test", "--db", db)
    path = saved.comparison_path(folder, "ada", "bo")
    data = json.loads(path.read_text())
    data["topics"]["only_a"][0]["label"] = HOSTILE_SCRIPT
    data["topics"]["only_a"][0]["a"]["representative"]["text"] = HOSTILE_IMG
    saved.write_json(path, data)
    llm_test_models.FUNCTION.respond = lambda prompt, system: "That's not in my corpus: I haven't written about it."
    llm_test_models.JUDGE.respond = lambda prompt, system: json.dumps({"verdict": "declined", "reason": "declined"})
    _invoke("eval", "ada", "-m", "function-test", "--judge", "function-judge-test", "--questions", "2", "--limits", "2",
            "--db", db)  # fmt: skip
    yield db


@pytest.fixture(scope="module")
def base_url(workspace: Path) -> Iterator[str]:
    with serving(create_app(workspace)) as url:
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    yield Watched(context)
    context.close()


def _check_compare_page(watched: Watched) -> None:
    page = watched.page
    assert page.inner_text("h1") == "Ada Lovelace-Example and Bo Example compared"
    for section in ("corpus", "vocabulary", "shared-topics", "only-a", "only-b", "side-by-side", "lineage", "method"):
        assert page.is_visible(f"#{section}"), section
    assert len(page.query_selector_all("tr.shared-topic")) == 2
    assert "image" in page.inner_text("#words-a") and "garden" in page.inner_text("#words-b")
    assert page.inner_text(".shared-lineage strong") == "Grace Hopper"
    sides = page.query_selector_all("article.side-by-side")
    assert len(sides) == 2 and all(len(s.query_selector_all("blockquote")) == 2 for s in sides)
    badges = [b.inner_text() for b in page.query_selector_all(".position .badge")]
    assert badges == ["disagree"]  # the invented disagreement left nothing behind
    assert "1 dropped (1 side A: quote(s) not in the corpus)" in page.inner_text("#positions-note")
    assert HOSTILE_SCRIPT in page.inner_text("#only-a")  # corpus text shown as text, never run
    watched.assert_inert()


def test_the_compare_page_shows_every_section(watched: Watched, base_url: str) -> None:
    watched.page.goto(f"{base_url}/compare/ada/bo")
    _check_compare_page(watched)
    watched.page.screenshot(path=str(ARTIFACTS / "compare-page.png"), full_page=True)


def test_a_missing_comparison_says_how_to_make_it(watched: Watched, base_url: str) -> None:
    response = watched.page.goto(f"{base_url}/compare/bo/ada")
    assert response is not None and response.status == 404
    assert "run 'insights compare bo ada'" in watched.page.inner_text("main")


def test_the_profile_page_links_the_comparison_and_shows_the_latest_eval(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/ada")
    assert page.inner_text("#compared-with") == "Compared with: bo"
    scores = page.inner_text("#eval-scores")
    assert "model function-test" in scores and "held out from" in scores
    assert page.inner_text("[data-eval=limits_pass_rate] td.num") == "1.00"
    page.click("#compared-with a")
    page.wait_for_url(f"{base_url}/compare/ada/bo")
    watched.assert_inert()


def test_export_site_writes_the_compare_page_that_works_from_file_urls(
    browser: Any,  # noqa: F811
    workspace: Path,
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    report = export_site(site, workspace)
    assert "compare-ada--bo.html" in report.pages
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_offline(True)
    try:
        watched = Watched(context)
        watched.page.goto((site / "compare-ada--bo.html").as_uri())
        _check_compare_page(watched)
        watched.page.goto((site / "ada.html").as_uri())
        assert "model function-test" in watched.page.inner_text("#eval-scores")
        watched.page.click("#compared-with a")
        assert watched.page.url.endswith("compare-ada--bo.html")
        watched.assert_inert()
    finally:
        context.close()
