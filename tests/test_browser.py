"""The profile page in a real browser (Debian chromium through Playwright).

Covers what only a browser can tell: the script runs under the CSP, search results appear as
you type with highlighted words, filters narrow them, the copy button really fills the
clipboard, hostile corpus text never executes, and the static export searches offline from
``file://``. Screenshots go to ``test-artifacts/`` for review. The page is served from (and
exported from) a SQLite workspace and from a PostgreSQL one: ``workspace`` is built once per
backend for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from deepinsights.models import Document
from deepinsights.site_export import export_site
from deepinsights.web.app import create_app

from .webutil import BACKENDS, fixture_documents, make_workspace, module_db, serving

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SEED_COUNTS = {
    ".axiom": 10,
    ".lineage-entry": 4,
    ".model": 8,
    ".tension": 5,
    "table.ledger tbody tr": 20,
    ".extension": 5,
    ".timeline .era": 4,
    "#gaps ul.gaps:not(#computed-gaps) li": 6,
}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


FEYNMAN = Document(
    source="fixture",
    source_id="feynman",
    kind="note",
    title="On understanding",
    text="As the saying goes: What I cannot create, I do not understand. So build it.",
    url="https://example.com/note/feynman",
)


FILLER = "The rest of this part is about other things entirely, said at some length. " * 18
ZEPPELIN = Document(
    source="fixture",
    source_id="zeppelin",
    kind="note",
    title="A long talk about airships",
    text="\n\n".join(f"Part {i}: the zeppelin came up again. {FILLER}" for i in range(4)),  # four passages
)


@pytest.fixture(scope="module", params=BACKENDS)
def workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The --db value of the fixture corpus (for thinker karpathy), built once per backend."""
    with module_db(request, tmp_path_factory.mktemp("browser")) as db:
        yield make_workspace(db, thinker="karpathy", docs=[*fixture_documents(), FEYNMAN, ZEPPELIN])


@pytest.fixture(scope="module")
def base_url(workspace: str) -> Iterator[str]:
    with serving(create_app(workspace, default_slug="karpathy")) as url:
        yield url


class Watched:
    """A page with everything that must not happen recorded: dialogs, script errors, console errors."""

    def __init__(self, context: Any) -> None:
        self.context = context
        self.page = context.new_page()
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda error: self.errors.append(f"pageerror: {error}"))
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_inert(self) -> None:
        assert self.dialogs == []
        assert self.page.evaluate("window.__pwned") is None
        assert self.errors == []


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    yield Watched(context)
    context.close()


def _search(page: Any, text: str) -> list[str]:
    """Type ``text`` key by key and return the results shown for exactly that query."""
    page.fill("#search-q", "")
    page.type("#search-q", text, delay=15)
    page.wait_for_function("q => document.getElementById('search-results').dataset.query === q", arg=text)
    return [li.inner_text() for li in page.query_selector_all("#search-results > li")]


def _count(page: Any) -> int:
    page.wait_for_function("() => /^(\\d+|No) match/.test(document.getElementById('search-status').textContent)")
    status = page.inner_text("#search-status")
    return 0 if status.startswith("No") else int(status.split()[0].replace(",", ""))


def test_every_section_renders(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    for selector, expected in SEED_COUNTS.items():
        assert len(page.query_selector_all(selector)) == expected, selector
    assert page.is_visible("#era-bar")  # the script ran under the CSP and laid out the timeline
    lefts = page.eval_on_selector_all("#era-bar span", "spans => spans.map(s => parseFloat(s.style.left))")
    assert lefts == sorted(lefts) and lefts[0] == 0 and len(lefts) == 4
    assert page.is_visible("[data-reconstructed]")
    page.click('nav.toc a[href="#predictions"]')
    page.wait_for_function("() => location.hash === '#predictions'")
    page.screenshot(path=str(ARTIFACTS / "profile-wide-light.png"), full_page=True)
    watched.assert_inert()


def test_search_as_you_type_highlights_the_word(watched: Watched, base_url: str) -> None:
    page = watched.page
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/search" in r.url else None)
    page.goto(f"{base_url}/profile/karpathy")
    results = _search(page, "microgr")
    assert len(results) == 4
    marks = page.eval_on_selector_all("#search-results mark", "ms => ms.map(m => m.textContent.toLowerCase())")
    assert marks and set(marks) == {"micrograd"}
    assert len(requests) < len("microgr"), "typing is debounced"
    link = page.get_attribute("#search-results > li a", "href")
    assert link and link.startswith("https://")
    _screenshot(page, "#search", "search-results.png")
    watched.assert_inert()


def test_filters_narrow_the_results(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    _search(page, "micrograd")
    assert _count(page) == 4
    page.select_option("#search-kind", "tweet")
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 1")
    assert _count(page) == 1
    page.select_option("#search-kind", "")
    page.fill("#search-since", "2022-01-01")
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 2")
    page.fill("#search-until", "2022-10-01")
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 1")
    assert "transcript" in page.inner_text("#search-results > li .hit-meta")
    watched.assert_inert()


def test_copy_button_puts_the_prompt_on_the_clipboard(browser: Any, base_url: str) -> None:
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"], reduced_motion="reduce")
    try:
        page = context.new_page()
        page.goto(f"{base_url}/profile/karpathy")
        expected = page.eval_on_selector("#prompt-text", "pre => pre.textContent")
        assert expected.startswith("You are simulating the thinking of Andrej Karpathy")
        page.evaluate("navigator.clipboard.writeText('something else')")
        page.click("#copy-prompt")
        page.wait_for_function("() => document.getElementById('copy-status').textContent.startsWith('Copied')")
        assert page.evaluate("navigator.clipboard.readText()") == expected
        assert not page.eval_on_selector("#prompt-details", "d => d.open")
        page.click("#prompt-details summary")
        assert page.is_visible("#prompt-text")
    finally:
        context.close()


def test_hostile_corpus_text_stays_inert(watched: Watched, base_url: str, workspace: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    results = _search(page, "pwned")
    assert len(results) == 6
    shown = any("<script>window.__pwned" in text for text in results)
    _assert_no_injection(page)
    page.goto(f"{base_url}/profile/karpathy?q=pwned#search")  # the server-rendered results, too
    assert len(page.query_selector_all("#search-results > li")) == 6
    _assert_no_injection(page)
    _screenshot(page, "#search", "hostile-results.png")
    watched.assert_inert()
    assert shown, "shown as text"


def _screenshot(page: Any, section: str, name: str) -> None:
    page.eval_on_selector(section, "s => s.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / name))


def _assert_no_injection(page: Any) -> None:
    injected = page.eval_on_selector_all(
        "#search-results script, #search-results img, #search-results iframe, #search-results b, "
        "#search-results i, [onerror], [onclick]",
        "nodes => nodes.length",
    )
    assert injected == 0
    hrefs = page.eval_on_selector_all("#search-results a", "links => links.map(a => a.getAttribute('href'))")
    assert all(h.startswith("https://") for h in hrefs)


@pytest.mark.parametrize("syntax", ['"unbalanced', "NEAR(a b", "(nested (deep", "a OR b", "*", "-x"])
def test_query_syntax_never_breaks_the_page(watched: Watched, base_url: str, syntax: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    page.fill("#search-q", syntax)
    page.wait_for_function("() => /match/.test(document.getElementById('search-status').textContent)")
    assert "failed" not in page.inner_text("#search-status")
    watched.assert_inert()


def test_static_export_searches_offline_from_file_urls(browser: Any, workspace: str, tmp_path: Path) -> None:
    site = tmp_path / "site"
    export_site(site, workspace, slug="karpathy")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_offline(True)
    try:
        watched = Watched(context)
        page = watched.page
        page.goto((site / "index.html").as_uri())
        assert len(page.query_selector_all(".axiom")) == 10
        assert page.is_visible("#era-bar")
        results = _search(page, "tokeniz")
        assert len(results) == 2
        marks = page.eval_on_selector_all("#search-results mark", "ms => ms.map(m => m.textContent.toLowerCase())")
        assert marks and all(m.startswith("tokeniz") for m in marks)
        page.select_option("#search-kind", "tweet")
        page.wait_for_function("() => document.querySelectorAll('#search-results > li').length === 1")
        page.select_option("#search-kind", "")
        _screenshot(page, "#search", "static-export-search.png")
        assert len(_search(page, "pwned")) == 6
        _assert_no_injection(page)
        watched.assert_inert()
    finally:
        context.close()


def test_phone_layout_in_dark_mode(browser: Any, base_url: str) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, color_scheme="dark", is_mobile=True, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        page.goto(f"{base_url}/profile/karpathy")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scrolling"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(20, 20, 20)"
        assert not page.eval_on_selector("#toc", "d => d.open"), "contents start folded on a phone"
        page.screenshot(path=str(ARTIFACTS / "profile-phone-dark.png"), full_page=True)
    finally:
        context.close()


def test_verification_badges_fill_in(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    page.wait_for_selector("html[data-verified]", state="attached", timeout=20_000)
    found = page.query_selector('[data-verify-for="axioms[3].quotes[0]"]')
    assert found.is_visible() and found.inner_text() == "verbatim" and "ok" in found.get_attribute("class")
    detail = page.inner_text('[data-verify-detail="axioms[3].quotes[0]"]')
    assert detail.startswith("Found in On understanding")
    missing = page.query_selector('[data-verify-for="lineage[2].quotes[0]"]')  # cites tweets, which are here
    assert missing.inner_text() == "not found" and "bad" in missing.get_attribute("class")
    absent = page.query_selector('[data-verify-for="axioms[0].quotes[0]"]')  # cites a podcast that is not
    assert absent.inner_text() == "unverifiable here" and "here" in absent.get_attribute("class").split()
    assert page.inner_text('[data-verify-detail="axioms[0].quotes[0]"]') == (
        "Not checked: “Lex Fridman #333” is not in the workspace (import it to check it)."
    )
    summary = page.inner_text("#verify-summary")
    assert (
        page.is_visible("#verify-summary")
        and "1 verbatim" in summary
        and "6 not found, 22 unverifiable here" in summary
    )
    assert "unverifiable here: “Sequoia Mar 2024” is not in the workspace — import it to check 6 claims" in summary
    assert page.inner_text('[data-count-for="corpus.tweets.items"]').startswith("4 differs")
    _screenshot(page, "#axiom-4", "verification-badges.png")
    watched.assert_inert()


SHOWN = """() => {
  const all = selector => Array.from(document.querySelectorAll(selector));
  const box = document.getElementById('verify-summary');
  return {
    quotes: all('[data-verify-for]').map(n => [n.dataset.verifyFor, n.hidden, n.className, n.textContent]),
    details: all('[data-verify-detail]').map(n => [n.dataset.verifyDetail, n.hidden, n.textContent]),
    counts: all('[data-count-for]').map(n => [n.dataset.countFor, n.textContent]),
    summary: box.hidden ? null : box.textContent,
    gaps: all('#computed-gaps li').map(n => n.textContent),
    sections: all('main > section[id]').filter(s => !s.hidden).map(s => s.id),
    headings: all('main h2').map(h => h.textContent.trim()),
    contents: all('nav.toc a').map(a => a.textContent.trim()),
    claims: all('#search-holdings, #search-claim, #built-from, #built-from-measured').map(n => n.textContent),
    prompt: document.getElementById('prompt-text').textContent,
  };
}"""


def _shown(page: Any) -> dict[str, Any]:
    """What a reader sees of the verification and the page's outline, once the badges have filled in."""
    page.wait_for_selector("html[data-verified]", state="attached", timeout=20_000)
    return page.evaluate(SHOWN)  # type: ignore[no-any-return]


def test_export_shows_the_same_verification_as_the_served_page(
    browser: Any, base_url: str, workspace: str, tmp_path: Path
) -> None:
    """Badges, details, counts, summary, gaps, sections, contents, headings and prompt: the same over http and
    from file://."""
    site = tmp_path / "site"
    export_site(site, workspace, slug="karpathy")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    try:
        served_page, exported_page = Watched(context), Watched(context)
        served_page.page.goto(f"{base_url}/profile/karpathy")
        served = _shown(served_page.page)
        exported_page.page.goto((site / "index.html").as_uri())
        exported = _shown(exported_page.page)
        _screenshot(exported_page.page, "#axiom-4", "static-export-badges.png")
        served_page.assert_inert()
        exported_page.assert_inert()
    finally:
        context.close()
    shown_badges = [q for q in exported["quotes"] if not q[1]]
    assert len(shown_badges) == len(exported["quotes"]) == 17, "every quote on the page has its badge"
    assert ["axioms[3].quotes[0]", False, "badge verify-badge ok", "verbatim"] in shown_badges
    assert exported["summary"] and "1 verbatim" in exported["summary"]
    assert "ask" in exported["sections"] and "Ask" in exported["contents"]
    assert len(exported["claims"]) == 4 and "[not checked: " in exported["prompt"]
    for key in served:
        assert exported[key] == served[key], key


def test_ask_panel_says_why_it_is_disabled(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    page.click('nav.toc a[href="#ask"]')
    assert page.is_visible("#ask-no-model") and "-m MODEL" in page.inner_text("#ask-no-model")
    assert page.is_disabled("#ask-submit") and page.is_disabled("#ask-q")
    look = page.eval_on_selector(
        "#ask-submit", "b => [getComputedStyle(b).cursor, getComputedStyle(b).backgroundColor]"
    )
    enabled = page.eval_on_selector("#copy-prompt", "b => getComputedStyle(b).backgroundColor")
    assert look[0] == "not-allowed" and look[1] != enabled, "a disabled button does not look like the active ones"
    _screenshot(page, "#ask", "ask-without-model.png")
    watched.assert_inert()


def _one_document_with_more_passages(page: Any) -> None:
    results = _search(page, "zeppelin")
    assert len(results) == 1, "one entry for the document, not one per passage"
    assert page.inner_text("#search-status") == "4 matching passages in 1 document."
    more = page.query_selector("#search-results > li .more-passages")
    assert more.inner_text().strip() == "3 more passages" and not more.get_attribute("open")
    page.click("#search-results > li .more-passages summary")
    shown = page.eval_on_selector_all("#search-results .more-passages .passages > li .hit-snippet", "s => s.length")
    assert shown == 3 and page.is_visible("#search-results .more-passages .passages mark")


def test_results_are_grouped_by_document_on_the_page(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    _one_document_with_more_passages(page)
    _screenshot(page, "#search", "search-grouped.png")
    page.goto(f"{base_url}/profile/karpathy?q=zeppelin#search")  # rendered by the server, without script
    assert len(page.query_selector_all("#search-results > li")) == 1
    assert page.inner_text("#search-results > li .more-passages summary") == "3 more passages"
    watched.assert_inert()


def test_the_export_groups_results_by_document_too(browser: Any, workspace: str, tmp_path: Path) -> None:
    export_site(tmp_path / "site", workspace, slug="karpathy")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_offline(True)
    try:
        watched = Watched(context)
        watched.page.goto((tmp_path / "site" / "index.html").as_uri())
        _one_document_with_more_passages(watched.page)
        watched.assert_inert()
    finally:
        context.close()


def test_without_vectors_there_is_no_mode_selector_or_more_like_this(watched: Watched, base_url: str) -> None:
    page = watched.page
    page.goto(f"{base_url}/profile/karpathy")
    assert not page.is_visible("#search-mode")
    assert len(_search(page, "micrograd")) == 4
    assert page.eval_on_selector_all("#search-results .found-by", "b => b.map(x => x.textContent)") == ["bm25"] * 4
    assert page.query_selector("#search-results .more-like-this") is None
    watched.assert_inert()
