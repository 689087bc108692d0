"""/api/search modes and /api/similar, through the real app on a real workspace."""

from __future__ import annotations

from starlette.testclient import TestClient

from deepinsights.semantic import index_passages
from deepinsights.semantic.registry import get_embedder
from deepinsights.web.app import create_app

from .test_semantic_model import require_model
from .test_semantic_search import NOTES, add, note


def test_api_search_modes_and_more_like_this(store, db_path):
    require_model()
    add(store, *(note(k) for k in NOTES))
    index_passages(store, get_embedder())
    client = TestClient(create_app(db_path))
    body = client.get("/api/search", params={"q": "learning by building things", "mode": "semantic"}).json()
    assert body["hits"][0]["id"] == note("feynman").id and body["hits"][0]["found_by"] == ["semantic"]
    assert client.get("/api/search", params={"q": "learning by building things", "mode": "bm25"}).json()["hits"] == []
    assert client.get("/api/search", params={"q": "x", "mode": "fuzzy"}).status_code == 400
    similar = client.get(body["hits"][0]["similar"]).json()
    assert similar["hits"] and note("feynman").id not in [h["id"] for h in similar["hits"]]
    assert client.get("/api/similar/nope").status_code == 404
