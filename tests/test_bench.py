"""The benchmarks still run: each one at a tiny size, writing its JSON to a temporary folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run_bench(script: str, tmp_path: Path, *args: str) -> dict:
    command = [sys.executable, str(BENCH / script), "--cache", str(tmp_path / "cache"), "--out", str(tmp_path)]
    result = subprocess.run([*command, *args], capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stderr
    return json.loads(next(tmp_path.glob("*.json")).read_text())


@pytest.mark.slow
def test_benchmarks_run_at_a_tiny_size(tmp_path):
    imported = run_bench("bench_import.py", tmp_path / "import", "--tweets", "300")
    assert set(imported["stages"]) == {"parse", "pipeline", "store", "bare_triggers", "bare_bulk"}
    assert all(stage["documents"] == 300 for stage in imported["stages"].values())
    assert imported["machine"]["sqlite"] and "store/bare_bulk" in imported["ratios"]

    searched = run_bench("bench_search.py", tmp_path / "search", "--passages", "3000", "--repeat", "1")
    summary = searched["summary"]
    assert summary["queries"] == len(searched["queries"]) > 30
    assert summary["exact_identical_to_naive"] == summary["exact_queries"] > 0
    assert searched["build"]["passages"] == 3000
