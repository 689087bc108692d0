"""``insights verify``: tables, --json, --show, exit codes, and the standalone --quotes check (both backends)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepinsights.models import Document, ImportReport
from deepinsights.workspace import open_store

PROFILE = """
identity: {slug: ada, name: Ada Example}
axioms:
  - number: 1
    title: Small things
    quotes:
      - {text: "Small programs teach more than big frameworks.", source: {title: Small Programs}}
      - {text: "I never said this at all, honestly.", source: {title: Small Programs}}
      - {text: "Podcasts are where I think out loud.", source: {title: Lex Fridman podcast}}
lineage:
  - {name: Factorio, claimed_count: 1, count_query: factorio}
known_gaps: [Her PhD thesis]
"""


@pytest.fixture
def workspace(tmp_path: Path, db: str) -> tuple[str, Path]:
    """The --db value (a SQLite file or a PostgreSQL URL) of a small workspace, and a profile about it."""
    store = open_store(db)
    docs = [
        Document("t", "p1", "post", "Small programs teach more than big frameworks. Factorio \u202eforever.",
                 title="Small Programs", url="https://ada.example/small"),
        Document("t", "t1", "tweet", "Another factorio evening [with markup]"),
    ]  # fmt: skip
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker="ada")
    store.close()
    profile = tmp_path / "ada.yaml"
    profile.write_text(PROFILE, encoding="utf-8")
    return db, profile


def test_verify_prints_every_section(run, workspace: tuple[str, Path]) -> None:
    db_path, profile = workspace
    result = run("verify", profile, "--db", db_path)
    assert result.exit_code == 0, result.output
    for heading in ("Quotes", "Counts", "Mental-model order", "First and last seen", "Sources", "Known gaps"):
        assert heading in result.output
    assert "Her PhD thesis" in result.output and "Lex Fridman podcast" in result.output
    assert "quotes: 1 verbatim, 0 approximate, 1 not found, 1 unverifiable here" in result.output
    assert "grounding 50.0/100 over the 3 claims checkable here (1 unverifiable here)" in result.output
    assert (
        "unverifiable here: no transcripts imported — import the talks' captions or transcripts to check 1 claim\n"
    ) in result.output


def test_verify_json_is_the_whole_report(run, workspace: tuple[str, Path]) -> None:
    db_path, profile = workspace
    data = json.loads(run("verify", profile, "--db", db_path, "--json").output)
    assert data["profile"] == "ada" and data["thinker"] == "ada"
    assert [q["status"] for q in data["quotes"]] == ["verbatim", "not_found", "unverifiable_here"]
    assert data["quotes"][2]["gap"] == {
        "reason": "no transcripts imported",
        "hint": "import the talks' captions or transcripts",
    }
    assert data["summary"]["unverifiable_here"] == [
        {**data["quotes"][2]["gap"], "claims": 1, "items": ["axioms[0].quotes[2]"]}
    ]
    assert data["counts"][0]["id"] == "lineage.factorio" and data["counts"][0]["measured"] == 2
    assert data["computed_gaps"] == ["Lex Fridman podcast"]
    assert data["counts"][0]["status"] == "close"  # off by one
    assert data["summary"]["grounding"] == 50.0  # (verbatim 1 + not found 0 + close 0.5) / 3, the podcast apart


def test_show_lists_the_documents_behind_a_count(run, workspace: tuple[str, Path]) -> None:
    db_path, profile = workspace
    result = run("verify", profile, "--db", db_path, "--show", "lineage.factorio")
    assert result.exit_code == 0
    assert "claimed 1, measured 2" in result.output and "Small Programs" in result.output
    shown = json.loads(run("verify", profile, "--db", db_path, "--show", "axioms[0].quotes[0]", "--json").output)
    assert shown["status"] == "verbatim" and shown["location"]["title"] == "Small Programs"
    missing = run("verify", profile, "--db", db_path, "--show", "lineage.nobody")
    assert missing.exit_code == 1 and "No item 'lineage.nobody'" in missing.output


def test_exit_codes(run, workspace: tuple[str, Path]) -> None:
    db_path, profile = workspace
    assert run("verify", profile, "--db", db_path, "--fail-under", "50").exit_code == 0
    below = run("verify", profile, "--db", db_path, "--fail-under", "60")
    assert below.exit_code == 1 and "below --fail-under 60" in below.output
    strict = run("verify", profile, "--db", db_path, "--strict")
    assert strict.exit_code == 1 and "failure(s) under --strict" in strict.output


def test_input_errors_are_one_line(run, workspace: tuple[str, Path], tmp_path: Path) -> None:
    db_path, profile = workspace
    assert run("verify", "--db", db_path).exit_code == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("identity: [", encoding="utf-8")
    result = run("verify", bad, "--db", db_path)
    assert result.exit_code == 1 and "Traceback" not in result.output and "bad.yaml" in result.output
    missing_db = run("verify", profile, "--db", tmp_path / "none.db")
    assert missing_db.exit_code == 1 and "does not exist" in missing_db.output


def test_quotes_file_text_and_jsonl(run, workspace: tuple[str, Path], tmp_path: Path) -> None:
    db_path, _ = workspace
    text = tmp_path / "quotes.txt"
    text.write_text("SMALL PROGRAMS teach more than big frameworks\nNothing like this was said\n", encoding="utf-8")
    result = run("verify", "--quotes", text, "--db", db_path)
    assert result.exit_code == 0 and "1 verbatim, 0 approximate, 1 not found" in result.output
    jsonl = tmp_path / "quotes.jsonl"
    jsonl.write_text('{"text": "Small programs teach more than huge frameworks", "id": "a"}\n', encoding="utf-8")
    data = json.loads(run("verify", "--quotes", jsonl, "--db", db_path, "--json").output)
    assert data[0]["id"] == "a" and data[0]["status"] == "approximate"
    assert data[0]["location"]["url"] == "https://ada.example/small"
    assert run("verify", "--quotes", jsonl, "--db", db_path, "--strict").exit_code == 1
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{oops\n", encoding="utf-8")
    failed = run("verify", "--quotes", broken, "--db", db_path)
    assert failed.exit_code == 1 and "broken.jsonl:1" in failed.output


def test_terminal_output_escapes_markup_and_bidi_controls(run, workspace: tuple[str, Path], tmp_path: Path) -> None:
    db_path, _ = workspace
    quotes = tmp_path / "quotes.txt"
    quotes.write_text("evil \u202e[bold red]reversed[/bold red] text\n", encoding="utf-8")
    result = run("verify", "--quotes", quotes, "--db", db_path)
    assert "\u202e" not in result.output
    assert "[U+202E]" in result.output and "red]reversed[/bold" in result.output
