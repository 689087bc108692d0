"""The page while passages wait for vectors: it says how many, finds them by their words, and keeps answering
while a real ``insights index`` process catches up. On SQLite and on PostgreSQL with pgvector, in chromium."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
from starlette.testclient import TestClient

from deepinsights.models import ImportReport
from deepinsights.semantic.index import index_passages
from deepinsights.web.app import create_app

from . import test_semantic_search as semantic
from .pgvector import db  # noqa: F401  (conftest's store: PostgreSQL databases from the pgvector cluster)
from .test_browser import Watched, browser, watched  # noqa: F401  (chromium, and a page that records misbehaviour)
from .test_index_lease import doc, insights
from .webutil import make_workspace, serving

embedder = semantic.embedder


def _pending_workspace(db: str, store: Any, embedder: Any, waiting: int) -> None:  # noqa: F811
    """The page's fixture corpus indexed, then ``waiting`` notes about zeppelins imported and not embedded."""
    make_workspace(db, thinker="karpathy")
    index_passages(store, embedder)
    notes = [doc(i, f"Zeppelin note {i}: the airship crossed the {i}th valley at dawn.") for i in range(waiting)]
    with store.transaction():
        store.upsert_documents(notes, ImportReport(), thinker="karpathy")


@pytest.mark.browser
def test_the_page_says_how_many_passages_wait_and_finds_them_by_their_words(
    watched: Watched,  # noqa: F811
    store,
    db,  # noqa: F811
    embedder,
) -> None:
    _pending_workspace(db, store, embedder, 3)
    with serving(create_app(db, default_slug="karpathy")) as url:
        page = watched.page
        page.goto(f"{url}/profile/karpathy")
        pending = page.inner_text("#search-pending")
        assert pending.startswith("3 passages not yet searchable by meaning") and "insights index" in pending
        page.fill("#search-q", "zeppelin")
        page.wait_for_function("() => /not yet searchable/.test(document.getElementById('search-status').textContent)")
        assert "3 passages not yet searchable by meaning" in page.inner_text("#search-status")
        assert "Zeppelin note" in page.inner_text("#search-results")
        run = insights("index", "--db", db, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert run.wait(timeout=300) == 0
        page.goto(f"{url}/profile/karpathy?q=zeppelin#search")
        page.wait_for_function("() => document.querySelectorAll('#search-results > li').length > 0")
        assert page.query_selector("#search-pending") is None
        assert "not yet searchable" not in page.inner_text("#search-status")
        watched.assert_inert()


def test_search_keeps_answering_while_index_catches_up_in_another_process(store, db, embedder) -> None:  # noqa: F811
    _pending_workspace(db, store, embedder, 300)
    with TestClient(create_app(db, default_slug="karpathy")) as client:
        first = client.get("/api/search", params={"q": "zeppelin valley"}).json()
        assert first["pending"] == 300 and first["hits"]
        run = insights("index", "--db", db, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        answers = []
        while run.poll() is None:
            response = client.get("/api/search", params={"q": f"airship {len(answers)}"})
            answers.append((response.status_code, response.json()["pending"]))
        assert run.returncode == 0 and answers and all(code == 200 for code, _ in answers)
        assert client.get("/api/search", params={"q": "zeppelin valley"}).json()["pending"] == 0
