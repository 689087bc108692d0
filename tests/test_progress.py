"""Progress lines for output that is no terminal: the rate and the time left, every few seconds."""

from __future__ import annotations

import io
import re

from rich.console import Console

from deepinsights.cli.progress import LogLines, line, progress, steps


def test_a_line_says_how_far_how_fast_and_how_long_is_left():
    assert line(2304, 8874, 48.0, "passages") == "2,304 of 8,874 passages (25%), 48.0/s, 2:16 left"
    assert line(8874, 8874, 180.0, "passages") == "8,874 of 8,874 passages (100%), 49.3/s, done in 3:00"
    assert line(120_000, None, 6.0, "items") == "120,000 items, 20,000.0/s"


def test_log_lines_come_every_few_seconds_and_once_at_the_end():
    sink = io.StringIO()
    lines = LogLines(Console(file=sink, width=200), "embedding", "passages", every=0)
    lines(256, 1000)
    lines(512, 1000)
    lines.every = 3600  # nothing more until the end
    lines(768, 1000)
    lines(1000, 1000)
    lines.finish()
    shown = sink.getvalue().splitlines()
    assert [s.split(",")[0] for s in shown] == [
        "embedding: 256 of 1",
        "embedding: 512 of 1",
        "embedding: 1",
    ]
    assert shown[-1].startswith("embedding: 1,000 of 1,000 passages (100%)")


def test_a_short_step_leaves_no_line():
    sink = io.StringIO()
    with progress(Console(file=sink), "embedding", "passages") as tick:
        tick(10, 10)
    assert sink.getvalue() == ""


def test_steps_in_one_call_follow_each_other_in_the_log(monkeypatch):
    """``insights index`` embeds, then builds the vector index: each step has its own lines, one after the other."""
    monkeypatch.setenv("DEEPINSIGHTS_PROGRESS_EVERY", "0")
    sink = io.StringIO()
    with steps(Console(file=sink, width=200)) as step:
        embedding, building = step("embedding", "passages"), step("building the vector index", "vectors")
        embedding(5, 10)
        embedding(10, 10)
        building(3, 6)
        building(6, 6)
    shown = [s.split(" (")[0] for s in sink.getvalue().splitlines()]
    assert shown == [
        "embedding: 5 of 10 passages",
        "embedding: 10 of 10 passages",
        "building the vector index: 3 of 6 vectors",
        "building the vector index: 6 of 6 vectors",
    ]


def test_a_step_that_never_ticks_shows_nothing():
    sink = io.StringIO()
    with steps(Console(file=sink, width=200)) as step:
        step("embedding", "passages")
    with steps(Console(file=sink, width=200, force_terminal=True)) as step:
        step("embedding", "passages")
    assert "embedding" not in sink.getvalue()


def test_an_import_logs_its_progress_when_stderr_is_no_terminal(run, fixtures, db_path, monkeypatch):
    monkeypatch.setenv("DEEPINSIGHTS_PROGRESS_EVERY", "0")
    result = run("import", fixtures / "blog", "--thinker", "ada", "--db", db_path)
    assert re.search(r"^importing: 4 items, [\d,.]+/s$", result.stderr, re.M), result.stderr
    assert result.stdout.startswith("4 added")
