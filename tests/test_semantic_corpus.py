"""Hybrid search on real writing (Karpathy's project READMEs from ../shared): paraphrases are found."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.semantic import build_index, hybrid_search

from .conftest import ROOT
from .test_semantic_model import require_model

pytestmark = pytest.mark.sqlite_only(reason="passage vectors and the semantic index are SQLite-only so far")

QUERIES = ROOT / "bench" / "queries" / "semantic.jsonl"


@pytest.mark.slow
@pytest.mark.shared
def test_paraphrased_questions_find_their_readme(store, corpora):
    require_model()
    run_import(store, [str(corpora / "karpathy" / "project-writing")], ImportOptions(thinker="karpathy"))
    report = build_index(store)
    assert report.embedded == report.total - report.empty > 100
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines()]
    mine = [q for q in queries if all(t["source_id"].startswith("project-writing/") for t in q["targets"])]
    assert len(mine) >= 8
    missed = []
    for q in mine:
        wanted = {t["source_id"].removeprefix("project-writing/") for t in q["targets"]}  # ids are root-relative
        found = {store.document(h.id)["source_id"] for h in hybrid_search(store, q["query"], limit=10).hits}
        bm25 = {store.document(h.id)["source_id"] for h in hybrid_search(store, q["query"], mode="bm25").hits}
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
