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
    assert set(imported["stages"]) == {
        "parse",
        "pipeline",
        "pipeline_one_process",
        "store",
        "bare_triggers",
        "bare_bulk",
    }
    assert all(stage["documents"] == 300 for stage in imported["stages"].values())
    assert imported["machine"]["sqlite"] and "store/bare_bulk" in imported["ratios"]

    searched = run_bench("bench_search.py", tmp_path / "search", "--passages", "3000", "--repeat", "1")
    summary = searched["summary"]
    assert summary["queries"] == len(searched["queries"]) > 30
    assert summary["exact_identical_to_naive"] == summary["exact_queries"] > 0
    assert searched["build"]["passages"] == 3000

    filtered = run_bench(
        "bench_filters.py", tmp_path / "filters", "--docs", "2000", "--import-tweets", "200", "--rounds", "1"
    )
    for state in ("plus_0_tweets", "plus_200_tweets"):  # the workspace as built, then with an archive imported
        assert filtered[state]["identical_answers"] is True
        assert (
            filtered[state]["totals"]["filtered_min_ms"]["before"] > 0
            and filtered[state]["totals"]["all_min_ratio"] > 0
        )
        assert len(filtered[state]["queries"]) == 20

    opened = run_bench("bench_open.py", tmp_path / "open", "--passages", "2000", "--repeat", "1")
    assert set(opened["seconds"]) == {"bare", "read_only", "writable", "writable_trusted", "quick_check"}
    assert opened["workspace"]["passages"] == 2000 and "writable/bare" in opened["ratios"]


@pytest.mark.slow
def test_compare_benchmark_runs_at_a_tiny_size(tmp_path):
    compared = run_bench("bench_compare.py", tmp_path / "compare", "--passages", "600")
    assert compared["passages_per_thinker"] == 600 and compared["bar_seconds"] == 30
    assert compared["topics"]["both"] and compared["topics"]["a"] and compared["topics"]["b"]
    assert compared["cpu_seconds"] > 0 and compared["ratio_to_baseline"] > 0


@pytest.mark.slow
@pytest.mark.postgresql
def test_backend_benchmark_runs_at_a_tiny_size(tmp_path):
    from . import pg

    if pg.bin_dir() is None:
        pg.skip_or_fail("needs PostgreSQL server binaries (initdb, pg_ctl) for bench_backends.py")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pg.skip_or_fail("needs psycopg (pip install 'psycopg[binary]') for bench_backends.py")
    args = ("--passages", "2000", "--repeat", "1", "--quotes", "20", "--skip", "web")
    compared = run_bench("bench_backends.py", tmp_path / "backends", *args)
    lite, pg_result = compared["results"]["sqlite"], compared["results"]["postgresql"]
    assert lite["import"]["added"] == pg_result["import"]["added"] == 2000
    assert pg_result["settings"]["fsync"] == "on" and pg_result["size"]["indexes_mib"]["idx_passages_tsv"] > 0
    assert lite["search"]["summary"]["queries"] == pg_result["search"]["summary"]["queries"] > 30
    assert sum(pg_result["verify"]["statuses"].values()) == 20
    assert compared["ratios"]["same_matched_count"] > 0 and "search_p95_ms" in compared["ratios"]


@pytest.mark.slow
def test_speech_benchmark_runs_at_a_tiny_size(tmp_path):
    import shutil

    from .speech_audio import INSTALLED, skip_or_fail

    if shutil.which("espeak-ng") is None or not (INSTALLED / "faster-whisper-base" / "model.bin").is_file():
        skip_or_fail("needs espeak-ng and the speech model (insights models install-speech) for bench_speech.py")
    measured = run_bench("bench_speech.py", tmp_path / "speech", "--paragraphs", "1", "--models", "base",
                         "--long-hours", "0.02")  # fmt: skip
    base = measured["models"]["base"]
    assert base["wer"] < 0.5 and base["rtf"] > 0 and base["language"] == "en"
    assert base["timestamps"]["phrases"] == measured["text"]["sentences"] > 0
    long = measured["long_recording"]
    assert long["streaming"]["audio_s"] >= 290 and long["whole_decode"]["samples"] >= 290 * 16_000


def test_topics_benchmark_scores_labels_with_an_interval_and_redraws_the_blind_sample():
    """bench_topics' scoring, without the shared corpora: a Wilson interval around each precision,
    and the baseline's random draw made again exactly as the blind sample drew it."""
    sys.path.insert(0, str(BENCH))
    import bench_topics

    share = bench_topics._share(["yes"] * 8 + ["no"] * 2)
    low, high = share["interval_95"]
    assert share["precision"] == 0.8 and low < 0.8 < high <= 1 and bench_topics._share([])["precision"] is None
    found = {
        slug: {"distill": [], "baseline": [{"id": f"{slug}{i}"} for i in range(40)]}
        for slug in ("karpathy", "simonw", "andreruffert")
    }
    drawn = bench_topics.baseline_draw(found, 25)
    assert drawn == bench_topics.baseline_draw(found, 25) and set(drawn) == {"karpathy", "simonw"}
    assert all(len(ids) == len(set(ids)) == 25 for ids in drawn.values())
