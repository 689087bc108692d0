"""Hybrid search on real writing (Karpathy's project READMEs from ../shared): paraphrases are found.

The README test runs on SQLite and on PostgreSQL with pgvector (tests/pgvector.py's cluster).
Embedding the READMEs with the real model is most of its time, so it is done once: the
PostgreSQL workspace is an ``insights db copy`` of the indexed SQLite one, and indexing it
there embeds nothing and fills the pgvector table from the copied vectors.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from deepinsights.dbcopy import copy_workspace
from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.models import SearchFilter
from deepinsights.semantic import build_index, hybrid_search
from deepinsights.semantic.index import IndexReport
from deepinsights.workspace import open_store

from . import pgvector
from .conftest import ROOT, require_shared
from .test_semantic_model import require_model
from .webutil import BACKENDS

if TYPE_CHECKING:
    from deepinsights.workspace import AnyStore

QUERIES = ROOT / "bench" / "queries" / "semantic.jsonl"
HELD_OUT = ROOT / "bench" / "queries" / "semantic-heldout.jsonl"
BLIND = ROOT / "bench" / "queries" / "semantic-blind.jsonl"


@pytest.fixture(scope="module")
def sqlite_readmes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, IndexReport]:
    """The READMEs imported into a SQLite workspace and indexed with the real model; the index report."""
    corpora = require_shared("corpora-raw")
    require_model()
    path = tmp_path_factory.mktemp("readmes") / "insights.db"
    store = open_store(path)
    try:
        run_import(store, [str(corpora / "karpathy" / "project-writing")], ImportOptions(thinker="karpathy"))
        return path, build_index(store)
    finally:
        store.close()


@pytest.fixture(scope="module", params=BACKENDS)
def readmes(
    request: pytest.FixtureRequest, sqlite_readmes: tuple[Path, IndexReport], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, IndexReport]]:
    """(--db value, its index report): the SQLite workspace, or its copy on PostgreSQL indexed there."""
    path, report = sqlite_readmes
    if request.param == "sqlite":
        yield str(path), report
        return
    with pgvector.module_db(request, tmp_path_factory.mktemp("readmes-pg")) as url:
        source, dest = open_store(path, read_only=True), open_store(url)
        try:
            copy_workspace(source, dest)
            yield url, build_index(dest)
        finally:
            source.close()
            dest.close()


@pytest.mark.slow
@pytest.mark.shared
def test_paraphrased_questions_find_their_readme(readmes: tuple[str, IndexReport]) -> None:
    db, report = readmes
    assert report.total > 100 and report.embedded + report.unchanged == report.total - report.empty
    store = open_store(db, read_only=True)
    try:
        _assert_hybrid_finds_the_readmes(store)
    finally:
        store.close()


def _assert_hybrid_finds_the_readmes(store: AnyStore) -> None:
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines()]
    mine = [q for q in queries if all(t["source_id"].startswith("project-writing/") for t in q["targets"])]
    assert len(mine) >= 8
    missed = []
    for q in mine:
        wanted = {t["source_id"].removeprefix("project-writing/") for t in q["targets"]}  # ids are root-relative
        found = {
            store.document(h.id)["source_id"] for h in hybrid_search(store, q["query"], SearchFilter(limit=10)).hits
        }
        bm25 = {store.document(h.id)["source_id"] for h in hybrid_search(store, q["query"], mode="bm25").hits}
        assert hybrid_search(store, q["query"], SearchFilter(limit=1), mode="semantic").hits  # the vector side answers
        if not wanted & found:
            missed.append(q["id"])
        assert not (wanted & bm25) or wanted & found  # fusion never loses what BM25 alone found
    assert len(missed) <= len(mine) // 5, f"hybrid missed {missed}"


@pytest.mark.slow
def test_the_scale_benchmark_runs_at_a_tiny_size(tmp_path):
    require_model()
    command = [sys.executable, str(ROOT / "bench" / "bench_semantic.py"), "scale", "--scale", "2000", "--queries", "20"]
    command += ["--cache", str(tmp_path / "cache"), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240)
    assert done.returncode == 0, done.stderr
    scale = json.loads((tmp_path / "semantic.json").read_text())["scale"][0]
    assert scale["passages"] == 2000 and scale["hybrid_ms"]["p95"] > 0 and scale["usearch_file_mib"] > 0
    assert scale["first_queries_ms"]["queries"] == 50 and scale["first_queries_ms"]["max"] > 0


def test_the_later_query_sets_are_well_formed_and_target_other_documents() -> None:
    """The held-out and blind sets measure tuning on the first one only if each asks about other documents."""
    paths = (QUERIES, HELD_OUT, BLIND)
    sets = {path.name: [json.loads(line) for line in path.read_text().splitlines()] for path in paths}
    ids = [q["id"] for queries in sets.values() for q in queries]
    assert len(ids) == len(set(ids)) and len(sets[HELD_OUT.name]) >= 30 and len(sets[BLIND.name]) >= 40
    targets = {
        name: {(t["thinker"], t["source_id"]) for q in queries for t in q["targets"]} for name, queries in sets.items()
    }
    assert all(q["query"].strip() and q["targets"] for queries in sets.values() for q in queries)
    assert not targets[QUERIES.name] & targets[HELD_OUT.name]
    assert not (targets[QUERIES.name] | targets[HELD_OUT.name]) & targets[BLIND.name]
