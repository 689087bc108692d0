"""End-to-end ask and distill with the real offline model (Qwen2.5-Coder-0.5B GGUF through llama-cpp-python).

It needs `insights models install-local` (about 490 MB and a llama-cpp-python build), which
.ci/run does; elsewhere it skips with the reason, and DEEPINSIGHTS_REQUIRE_LOCAL_MODEL=1 (set
by .ci/run) turns the skip into a failure. One llama thread, as on CI.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest

from deepinsights.ask import local
from deepinsights.models import Document, ImportReport

from .test_distill_topics import corpus_documents

INSTALLED = Path(click.get_app_dir("deepinsights")) / "models" / local.FILENAME


@pytest.fixture
def installed_model(monkeypatch):
    missing = []
    if not (INSTALLED.exists() and INSTALLED.stat().st_size == local.SIZE):
        missing.append(f"{INSTALLED} (run: insights models install-local)")
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        missing.append("llama-cpp-python")
    if missing:
        message = "needs the local model: " + ", ".join(missing)
        if os.environ.get("DEEPINSIGHTS_REQUIRE_LOCAL_MODEL") == "1":
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setattr(local, "model_path", lambda: INSTALLED)
    monkeypatch.setenv("DEEPINSIGHTS_LLAMA_THREADS", "1")
    return INSTALLED


@pytest.mark.slow
def test_ask_with_the_local_model_end_to_end(installed_model, store, db, run, tmp_path):
    text = (
        "I built micrograd because what I cannot create I do not understand. It is a tiny autograd "
        "engine: about a hundred lines that implement backpropagation over a graph of scalar values."
    )
    with store.transaction():
        store.upsert_documents(
            [
                Document(
                    source="test",
                    source_id="1",
                    kind="readme",
                    thinker="ada",
                    title="micrograd",
                    text=text,
                    url="https://example.org/micrograd",
                    published_at=datetime(2020, 4, 18, tzinfo=UTC),
                )
            ],
            ImportReport(),
        )
    profile = tmp_path / "ada.yaml"
    profile.write_text("identity:\n  slug: ada\n  name: Ada\nsimulator:\n  opening: You are simulating Ada.\n")
    result = run("ask", profile, "Why did you build micrograd?", "-m", local.ALIAS, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["model"] == local.ALIAS and not answer["declined"]
    assert answer["answer"].strip()
    assert answer["sentences"]
    for sentence in answer["sentences"]:
        assert sentence["label"] in ("quoted", "cited", "extrapolation")
        if sentence["label"] in ("quoted", "cited"):
            assert not sentence["flags"]
            assert set(sentence["citations"]) <= {p["n"] for p in answer["passages"]}
    declined = json.loads(
        run("ask", profile, "What is the capital of Mongolia?", "-m", local.ALIAS, "--db", db, "--json").output
    )
    assert declined["declined"] and "not in the corpus" in declined["answer"]


@pytest.mark.slow
@pytest.mark.sqlite_only(reason="the model's minutes once are enough; drafting reads both backends alike")
def test_distill_drafts_with_the_local_model_end_to_end(installed_model, store, db, run):
    """Every drafting job gets an answer from the real model; whatever survives rests on quotes
    verify finds in two or more of Ada's documents, and the rest is counted with a reason."""
    with store.transaction():
        store.upsert_documents(corpus_documents(), ImportReport())
    ada = {row["id"] for row in store.rows("SELECT id FROM documents WHERE thinker = 'ada'")}
    result = run("distill", "ada", "-m", local.ALIAS, "--topics", "2", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    drafted = json.loads(result.stdout)["drafted"]
    assert len(drafted["kept"]) + len(drafted["dropped"]) == 5  # two topics, a tension, aesthetic, generating function
    assert sum(drafted["dropped_by_reason"].values()) == len(drafted["dropped"])
    for candidate in drafted["kept"]:
        assert len(set(candidate["documents"])) >= 2
        assert candidate["quotes"] and all(q["status"] != "not_found" for q in candidate["quotes"])
        assert {q["location"]["document_id"] for q in candidate["quotes"]} <= ada
