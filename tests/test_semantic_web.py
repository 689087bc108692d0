"""/api/search modes and /api/similar through the real app, and the page's mode selector in a real browser.

Every test runs on SQLite and on PostgreSQL with pgvector (tests/pgvector.py's cluster).
The API tests run the real model on a handful of hand-written notes, indexed once per
backend for the tests that only read; the browser tests add those notes to the page's
fixture corpus (about twenty passages, indexed in about a second), serve it with uvicorn
on 127.0.0.1 and drive Debian chromium under the page's strict CSP.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from deepinsights.backends.sqlite import vectors as sqlite_vectors
from deepinsights.models import ImportReport
from deepinsights.semantic import hybrid, index_passages, registry
from deepinsights.semantic.registry import get_embedder
from deepinsights.site_export import export_site
from deepinsights.web.app import create_app
from deepinsights.workspace import open_store

from . import pgvector
from .pgvector import db  # noqa: F401  (conftest's store: PostgreSQL databases from the pgvector cluster)
from .test_browser import Watched, browser  # noqa: F401  (the module-scoped chromium fixture)
from .test_semantic_model import require_model
from .test_semantic_search import NOTES, add, note
from .webutil import BACKENDS, make_workspace, serving

PARAPHRASE = "learning by building things yourself"
LONG = "x" * 60_000  # the longest query a URL carries (httpx caps a URL part at 64 KiB); the library test sends 100 KB


@pytest.fixture(scope="module", params=BACKENDS)
def notes_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The --db value of every note, indexed with the real model once per backend; its tests only read."""
    require_model()
    with pgvector.module_db(request, tmp_path_factory.mktemp("semantic-api")) as value:
        store = open_store(value)
        try:
            add(store, *(note(k) for k in NOTES))  # "empty" is a passage of blanks: it has no vector
            index_passages(store, get_embedder())
        finally:
            store.close()
        yield value


@pytest.fixture(scope="module")
def notes_client(notes_db: str) -> Iterator[TestClient]:
    with TestClient(create_app(notes_db)) as client:
        yield client


def test_api_search_modes_and_more_like_this(notes_client: TestClient) -> None:
    client = notes_client
    body = client.get("/api/search", params={"q": "learning by building things", "mode": "semantic"}).json()
    assert body["hits"][0]["id"] == note("feynman").id and body["hits"][0]["found_by"] == ["semantic"]
    assert client.get("/api/search", params={"q": "learning by building things", "mode": "bm25"}).json()["hits"] == []
    assert client.get("/api/search", params={"q": "x", "mode": "fuzzy"}).status_code == 400
    similar = client.get(body["hits"][0]["similar"]).json()
    assert similar["hits"] and note("feynman").id not in [h["id"] for h in similar["hits"]]
    assert client.get("/api/similar/nope").status_code == 404


@pytest.mark.parametrize("q", ["", LONG, "日本語の検索", "Привет мир", "🙂🔥", "\x00"])
@pytest.mark.parametrize("mode", ["bm25", "semantic", "hybrid"])
def test_api_survives_hostile_queries_in_every_mode(notes_client: TestClient, q: str, mode: str) -> None:
    response = notes_client.get("/api/search", params={"q": q, "mode": mode})
    assert response.status_code == 200, response.text
    assert all(h["found_by"] and h["id"] != note("empty").id for h in response.json()["hits"])


def test_the_server_loads_the_model_and_index_before_the_first_search(notes_db: str, monkeypatch) -> None:
    monkeypatch.setattr(registry, "_loaded", {})  # as in a fresh process: nothing loaded yet
    monkeypatch.setattr(sqlite_vectors, "_indexes", {})
    monkeypatch.setattr(hybrid, "_query_cache", OrderedDict())
    app = create_app(notes_db)
    with TestClient(app) as client:  # runs the app's startup, as uvicorn does
        assert app.state.site.corpus.warmed.wait(timeout=120)
        assert list(registry._loaded) == ["all-MiniLM-L6-v2"]
        assert bool(sqlite_vectors._indexes) == (not notes_db.startswith("postgresql"))  # PostgreSQL: pgvector, no file
        assert not hybrid._query_cache  # the warm-up query is not cached as if someone had asked it
        body = client.get("/api/search", params={"q": PARAPHRASE, "mode": "semantic"}).json()
        assert body["hits"][0]["id"] == note("feynman").id


@pytest.mark.parametrize("workspace", ["missing", "no vectors"])
def test_warming_up_a_workspace_without_vectors_loads_nothing(workspace, store, db, monkeypatch):  # noqa: F811
    monkeypatch.setattr(registry, "_loaded", {})
    if workspace == "no vectors":
        add(store, note("baking"))
    app = create_app(db if workspace == "no vectors" else "nowhere/insights.db")
    with TestClient(app):
        assert app.state.site.corpus.warmed.wait(timeout=60)
    assert registry._loaded == {}


def test_api_vector_modes_without_vectors_say_which_command_to_run(store, db):  # noqa: F811
    add(store, note("baking"))
    client = TestClient(create_app(db))
    response = client.get("/api/search", params={"q": "sourdough", "mode": "semantic"})
    assert response.status_code == 409 and "insights index --db" in response.json()["error"]
    assert client.get("/api/search", params={"q": "sourdough"}).json()["hits"][0]["found_by"] == ["bm25"]
    assert client.get(f"/api/similar/{note('baking').id}").status_code == 409


def test_api_another_models_vectors_are_reported_with_the_rebuild_command(store, db):  # noqa: F811
    add(store, note("baking"))
    with store.transaction():  # vectors recorded as another model's: the query must not mix them
        store.execute("INSERT INTO vector_meta VALUES ('model', 'llm:other-model'), ('generation', '1')")
    response = TestClient(create_app(db)).get("/api/search", params={"q": "sourdough", "mode": "semantic"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert "indexed with 'llm:other-model', which cannot run here" in error and "\n" not in error
    assert "Rebuild it with: insights index --rebuild --embedding-model all-MiniLM-L6-v2" in error


# -- the page, in chromium -----------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def vector_workspace(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The --db value of the page's fixture corpus plus the notes (thinker karpathy), indexed once per backend."""
    require_model()
    notes = [note(k) for k in NOTES if k != "empty"]
    with pgvector.module_db(request, tmp_path_factory.mktemp("semantic-web")) as value:
        make_workspace(value, thinker="karpathy")
        store = open_store(value)
        try:
            with store.transaction():
                store.upsert_documents(notes, ImportReport(), thinker="karpathy")
            index_passages(store, get_embedder())
        finally:
            store.close()
        yield value


@pytest.fixture(scope="module")
def vector_url(vector_workspace: str) -> Iterator[str]:
    with serving(create_app(vector_workspace, default_slug="karpathy")) as url:
        yield url


@pytest.fixture
def watched(browser: Any) -> Iterator[Watched]:  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    yield Watched(context)
    context.close()


def _results_for(page: Any, text: str) -> list[Any]:
    page.fill("#search-q", text)
    page.wait_for_function(
        "q => document.getElementById('search-results').dataset.query === q && "
        "/match|nearest/.test(document.getElementById('search-status').textContent)",
        arg=text,
    )
    return list(page.query_selector_all("#search-results > li"))


def _mode_settles(page: Any, mode: str) -> None:
    page.select_option("#search-mode", mode)
    page.wait_for_function("m => new URLSearchParams(location.search).get('mode') === m", arg=mode)


@pytest.mark.browser
def test_the_page_offers_modes_shows_found_by_and_more_like_this(watched: Watched, vector_url: str) -> None:
    page = watched.page
    page.goto(f"{vector_url}/profile/karpathy")
    assert page.is_visible("#search-mode") and page.input_value("#search-mode") == "hybrid"
    hits = _results_for(page, PARAPHRASE)
    feynman = next(h for h in hits if note("feynman").text in h.inner_text())
    assert feynman.query_selector(".badge.found-semantic").inner_text() == "semantic"
    badges = {b.inner_text() for h in hits for b in h.query_selector_all(":scope > .hit-meta .found-by")}
    assert badges <= {"bm25", "any word", "semantic"}
    _mode_settles(page, "bm25")
    page.wait_for_function("() => /^No match/.test(document.getElementById('search-status').textContent)")
    _mode_settles(page, "semantic")
    page.wait_for_function("() => document.querySelectorAll('#search-results > li').length > 0")
    texts = page.eval_on_selector_all("#search-results > li .hit-snippet", "s => s.map(x => x.textContent)")
    assert note("feynman").text in texts[:2]
    badges = page.eval_on_selector_all("#search-results .found-by", "b => b.map(x => x.textContent)")
    assert set(badges) == {"semantic"}
    status = page.inner_text("#search-status")
    assert status.startswith("The nearest ") and "passages by meaning, in " in status, "a depth, not a count of matches"
    page.click("#search-results > li:first-child button.more-like-this")
    page.wait_for_function("() => document.querySelectorAll('.similar-results li').length > 0")
    similar = page.eval_on_selector_all("#search-results > li:first-child .similar-results li", "l => l.length")
    assert 0 < similar <= 5
    first = page.inner_text("#search-results > li:first-child .hit-snippet")
    assert first not in page.inner_text("#search-results > li:first-child .similar-results"), "not itself"
    assert page.get_attribute("#search-results > li:first-child button.more-like-this", "aria-expanded") == "true"
    page.eval_on_selector("#search", "s => s.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(Path(__file__).resolve().parent.parent / "test-artifacts" / "semantic-search.png"))
    watched.assert_inert()


@pytest.mark.browser
def test_a_reload_keeps_the_chosen_mode(watched: Watched, vector_url: str) -> None:
    page = watched.page
    page.goto(f"{vector_url}/profile/karpathy?q=sourdough&mode=semantic#search")
    page.wait_for_function("() => document.querySelector('#search-results > li .more-like-this') !== null")
    assert page.input_value("#search-mode") == "semantic"
    assert page.eval_on_selector_all(".found-by", "b => b.map(x => x.textContent)")[0] == "semantic"
    watched.assert_inert()


@pytest.mark.browser
def test_the_static_export_of_an_indexed_workspace_has_no_selector(
    browser: Any,  # noqa: F811
    vector_workspace: str,
    tmp_path: Path,
) -> None:
    site = tmp_path / "site"
    export_site(site, vector_workspace, slug="karpathy")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, reduced_motion="reduce")
    context.set_offline(True)
    try:
        watched = Watched(context)
        page = watched.page
        page.goto((site / "index.html").as_uri())
        assert not page.is_visible("#search-mode")
        hits = _results_for(page, "sourdough")
        assert len(hits) == 1 and page.query_selector("#search-results .more-like-this") is None
        assert page.query_selector("#search-results .found-by") is None
        watched.assert_inert()
    finally:
        context.close()
