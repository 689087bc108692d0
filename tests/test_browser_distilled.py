"""The shipped profile and the distilled one, side by side in a real browser (Debian chromium).

A reader of the Karpathy page switches to the profile ``insights distill`` derived from the
workspace (``karpathy-draft``: topics with their passages, eras with reasons, signature
vocabulary) and back, and nothing on either page runs corpus text. SQLite workspace only:
the page does not depend on the backend (``test_browser.py`` covers both).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.distill import distill, draft_profile
from deepinsights.profile import dump_profile
from deepinsights.web.app import create_app

from .test_browser import ARTIFACTS, Watched, browser  # noqa: F401 - browser is a fixture
from .test_distill_topics import corpus_documents
from .webutil import make_workspace, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def reader(browser: Any) -> Iterator[Watched]:  # noqa: F811 - the fixture imported above
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    yield Watched(context)
    context.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("distilled")
    db = make_workspace(str(folder / "insights.db"), thinker="karpathy", docs=corpus_documents())
    store = Store(db)
    try:
        draft, _ = draft_profile(distill(store, "karpathy"), name="Andrej Karpathy")
    finally:
        store.close()
    (folder / "profiles").mkdir()
    dump_profile(draft, folder / "profiles" / "karpathy-draft.yaml")
    with serving(create_app(db, folder / "profiles", default_slug="karpathy")) as url:
        yield url


def test_a_reader_switches_between_the_shipped_and_the_distilled_profile(reader: Watched, site: str) -> None:
    page: Any = reader.page
    page.goto(f"{site}/profile/karpathy")
    assert page.get_attribute('#profile-variants a[aria-current="page"]', "data-variant") == "karpathy"
    assert len(page.query_selector_all(".axiom")) == 10  # the shipped profile's claims
    page.click('#profile-variants a[data-variant="karpathy-draft"]')
    page.wait_for_url(f"{site}/profile/karpathy-draft")
    assert page.get_attribute('#profile-variants a[aria-current="page"]', "data-variant") == "karpathy-draft"
    assert len(page.query_selector_all("#themes .theme")) >= 2
    page.click("#theme-1 details.evidence summary")
    assert page.is_visible("#theme-1 blockquote.quote")  # a topic's representative passages
    eras = page.query_selector_all(".timeline .era")
    assert len(eras) >= 2 and page.is_visible(".era-note")  # a boundary where one feed ends and another starts
    assert len(page.query_selector_all("#era-2 blockquote.quote")) >= 2
    assert page.query_selector_all("#vocabulary li")
    page.screenshot(path=str(ARTIFACTS / "profile-distilled.png"), full_page=True)
    page.click('#profile-variants a[data-variant="karpathy"]')
    page.wait_for_url(f"{site}/profile/karpathy")
    reader.assert_inert()


def test_no_switch_without_a_distilled_profile(reader: Watched, tmp_path: Path) -> None:
    with serving(create_app(None, tmp_path, default_slug="karpathy")) as url:
        reader.page.goto(f"{url}/profile/karpathy")
        assert reader.page.query_selector("#profile-variants") is None
    reader.assert_inert()
