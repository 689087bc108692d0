"""The Ask panel and /api/ask: the checked answer through the server, streamed and whole.

The model is a real ``llm`` plugin model (tests/llm_test_models.py) standing in for a paid API.
Each test runs on SQLite and on PostgreSQL (conftest's ``db``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from deepinsights.models import Document
from deepinsights.web.app import create_app

from .test_browser import browser  # noqa: F401  (the module-scoped chromium fixture)
from .webutil import make_workspace, serving, write_profile

TEXT = "What I cannot create, I do not understand. I built micrograd to learn backpropagation."


@pytest.fixture
def app_parts(db: str, tmp_path: Path):
    doc = Document(
        source="t",
        source_id="1",
        kind="post",
        title="Why build",
        text=TEXT,
        url="https://example.org/why",
        published_at=datetime(2021, 1, 1, tzinfo=UTC),
    )
    return make_workspace(db, thinker="ada", docs=[doc]), write_profile(tmp_path / "profiles")


@contextmanager
def _client(app_parts, model: str | None = "scripted-test") -> Iterator[TestClient]:
    """A client whose app is shut down (its connections closed) when the block ends."""
    db, profiles = app_parts
    with TestClient(create_app(db, profiles, model=model)) as client:
        yield client


def test_api_ask_returns_the_checked_answer(app_parts, scripted):
    scripted.enqueue('As I put it, "What I cannot create, I do not understand." [1] I built micrograd [1].')
    with _client(app_parts) as client:
        response = client.post("/api/ask", json={"slug": "ada", "question": "Why build micrograd?"})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert {"question", "model", "declined", "answer", "passages", "sentences"} <= set(answer)
    assert [s["label"] for s in answer["sentences"]] == ["quoted", "cited"]


def test_api_ask_streams_chunks_then_the_answer(app_parts, scripted):
    scripted.enqueue('I built micrograd to learn "backpropagation" [1].')
    question = {"slug": "ada", "question": "Why build micrograd?"}
    with _client(app_parts) as client, client.stream("POST", "/api/ask?stream=1", json=question) as response:
        lines = [json.loads(line) for line in response.iter_lines() if line]
    chunks = [line["text"] for line in lines if line["type"] == "chunk"]
    assert len(chunks) > 1 and "".join(chunks) == 'I built micrograd to learn "backpropagation" [1].'
    assert lines[-1]["type"] == "answer" and lines[-1]["answer"]["sentences"][0]["label"] == "quoted"


def test_api_ask_declines_off_corpus_and_flags_fabrications(app_parts, scripted):
    with _client(app_parts) as client:
        declined = client.post("/api/ask", json={"slug": "ada", "question": "Best feijoada recipe in Rio?"}).json()
        assert declined["declined"] and scripted.prompts == []
        scripted.enqueue('I said "micrograd is the best library ever written" [1]. Also see [7].')
        answer = client.post("/api/ask", json={"slug": "ada", "question": "Why build micrograd?"}).json()
    assert all(s["label"] not in ("quoted", "cited") for s in answer["sentences"])
    assert all(s["flags"] for s in answer["sentences"])


def test_api_ask_refuses_bad_requests(app_parts, scripted):
    with _client(app_parts) as client:
        assert client.post("/api/ask", content=b"not json").status_code == 400
        assert client.post("/api/ask", json={"slug": "ada", "question": ""}).status_code == 400
        assert client.post("/api/ask", json={"slug": "nobody", "question": "x y z"}).status_code == 404
        cross = client.post(
            "/api/ask", json={"slug": "ada", "question": "Why?"}, headers={"Origin": "https://evil.example"}
        )
        assert cross.status_code == 403
    with _client(app_parts, model=None) as client:
        assert client.post("/api/ask", json={"slug": "ada", "question": "Why?"}).status_code == 501


@pytest.mark.browser
def test_ask_panel_streams_and_shows_labels(browser, app_parts, scripted):  # noqa: F811
    scripted.enqueue('As I put it, "What I cannot create, I do not understand." [1] Invented claim [9].')
    db, profiles = app_parts
    with serving(create_app(db, profiles, model="scripted-test")) as url:
        page = browser.new_page()
        page.goto(f"{url}/profile/ada#ask")
        page.fill("#ask-q", "Why build micrograd?")
        page.click("#ask-submit")
        page.wait_for_selector("#ask-sentences li")
        labels = page.locator("#ask-sentences li .badge").all_inner_texts()
        assert labels[0] == "quoted" and "extrapolation" in labels
        assert "unknown citation [9]" in page.inner_text("#ask-sentences")
        page.click("#ask-sentences a.citation")
        assert page.locator("#ask-passage-1").is_visible()
        page.screenshot(path="test-artifacts/ask-panel.png", full_page=False)
        page.close()
