"""The simulator-prompt compiler: the seed's prompt reproduced line by line, counts, formats, CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from deepinsights.errors import ProfileError
from deepinsights.models import Document, ImportReport
from deepinsights.profile import load_profile, parse_profile
from deepinsights.prompt import (
    CLAIMED_MARKER,
    MEASURED_MARKER,
    QUOTES_MARKER,
    Checked,
    compile_prompt,
    count_lines,
    prompt_json,
    render_prompt,
)
from deepinsights.workspace import open_store

from .conftest import require_shared

SEED = ("seeds", "000_55aa6308f3551af2.txt")
STATS = [
    {"thinker": "karpathy", "kind": "tweet", "items": 600, "words": 1, "first": None, "last": None},
    {"thinker": "karpathy", "kind": "reply", "items": 100, "words": 1, "first": None, "last": None},
    {"thinker": "karpathy", "kind": "post", "items": 30, "words": 1, "first": None, "last": None},
    {"thinker": "someone", "kind": "transcript", "items": 9, "words": 1, "first": None, "last": None},
]


@pytest.fixture(scope="module")
def karpathy():
    return load_profile("karpathy")


def _missing_in_order(wanted: list[str], text: str) -> list[str]:
    """Lines of ``wanted`` not found in ``text``'s lines in the same order."""
    got, at, missing = text.splitlines(), 0, []
    for line in wanted:
        try:
            at = got.index(line, at) + 1
        except ValueError:
            missing.append(line)
    return missing


def test_compiled_prompt_holds_every_line_of_the_seed_prompt_in_order(karpathy):
    seed = require_shared(*SEED).read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(seed) if line.startswith("You are simulating the thinking of"))
    wanted = [line for line in seed[start:] if line.strip()]
    assert len(wanted) >= 80
    assert _missing_in_order(wanted, compile_prompt(karpathy)) == []


def test_line_order_check_can_fail(karpathy):
    text = compile_prompt(karpathy)
    lines = text.splitlines()
    swapped = "\n".join([lines[3], *lines[:3], *lines[4:]])
    assert _missing_in_order(lines, swapped) != []


def test_claimed_counts_are_marked_as_claims(karpathy):
    lines = compile_prompt(karpathy).splitlines()
    assert lines[0].endswith("(756 tweets, 35 blog posts, 7 video lectures, 4 podcast appearances, 21 GitHub repos).")
    assert lines[1] == CLAIMED_MARKER


def test_measured_counts_replace_claims_labelled_by_what_was_counted(karpathy):
    lines = compile_prompt(karpathy, STATS).splitlines()
    # "tweets" counts tweets and replies, "blog posts" posts; no transcripts or READMEs for karpathy; podcasts
    # stay claims. Each measured number says what it counted, not the profile's label ("GitHub repos" are READMEs).
    assert lines[0].endswith("public output (600 tweets, 100 replies, 30 posts, 4 podcast appearances (claimed)).")
    assert lines[1] == MEASURED_MARKER
    assert [(c.label, c.count, c.measured) for c in count_lines(karpathy, STATS)] == [
        ("tweets", 600, True),
        ("replies", 100, True),
        ("posts", 30, True),
        ("podcast appearances", 4, False),
    ]
    readmes = [{"thinker": "karpathy", "kind": "readme", "items": 13}]
    assert ("READMEs", 13, True) in [(c.label, c.count, c.measured) for c in count_lines(karpathy, readmes)]


def test_sections_and_headings(karpathy):
    text = compile_prompt(karpathy)
    assert "## THE 10 AXIOMS (what you take as given)\n1. DETERMINISTIC PHYSICALISM — " in text
    assert "## CURRENT STATE (as of March 2026)\n- Hasn't typed code" in text
    assert text.index("## ELON MANAGEMENT") < text.index("## CURRENT STATE")


def test_profile_without_simulator_still_compiles(fixtures):
    profile = load_profile(fixtures / "profile.yaml").model_copy(update={"simulator": None})
    text = compile_prompt(profile)
    assert text.startswith("You are simulating the thinking of Ada Example — ")
    assert "1. SMALL TOOLS COMPOSE — Build the small one first." in text
    assert "- Cards Are Programs: The card carries the program." in text
    assert "AESTHETIC" not in text


def test_fixture_prompt(fixtures):
    text = compile_prompt(load_profile(fixtures / "profile.yaml"))
    assert "## NOTES ON LOOMS\nObservations:\n- Cards carry the program." in text
    assert "## HOW TO RESPOND\nWhen analyzing any problem:\n1. Ask what the smallest version is." in text
    assert '- "small tools compose" — and big ones dictate. (Long post)' in text


def test_llm_template_format(karpathy):
    template = yaml.safe_load(render_prompt(karpathy, "llm-template"))
    assert template == {"system": compile_prompt(karpathy)}


def test_json_format(karpathy):
    data = json.loads(render_prompt(karpathy, "json", STATS))
    assert set(data) == {"slug", "name", "system_prompt", "sections", "counts"}
    assert data["system_prompt"] == compile_prompt(karpathy, STATS)
    assert list(data["sections"])[:3] == ["opening", "core_generating_function", "axioms"]
    assert data["counts"]["measured"] is True
    assert prompt_json(karpathy)["counts"]["items"][0] == {"label": "tweets", "count": 756, "measured": False}


def test_unknown_format(karpathy):
    with pytest.raises(ProfileError, match="Unknown prompt format 'xml'"):
        render_prompt(karpathy, "xml")


def _add_tweets(db: str, thinker: str, n: int) -> None:
    store = open_store(db)
    moment = datetime(2024, 1, 1, tzinfo=UTC)
    docs = [Document("x-archive", f"{thinker}-{i}", "tweet", f"tweet {i}", published_at=moment) for i in range(n)]
    with store.transaction():
        store.upsert_documents(docs, ImportReport(), thinker=thinker)
    store.close()


def test_cli_prompt_uses_workspace_stats(run, db, backend):
    claimed = run("prompt", "karpathy", "--db", db)
    assert claimed.exit_code == 0 and CLAIMED_MARKER in claimed.output
    assert backend != "sqlite" or not Path(db).exists(), "prompt must not create the workspace file"
    _add_tweets(db, "someone-else", 2)
    assert CLAIMED_MARKER in run("prompt", "karpathy", "--db", db).output
    _add_tweets(db, "karpathy", 3)
    measured = run("prompt", "karpathy", "--db", db).output
    assert "public output (3 tweets, 4 podcast appearances (claimed))." in measured
    data = json.loads(run("prompt", "karpathy", "--format", "json", "--db", db).output)
    assert data["counts"]["items"][0] == {"label": "tweets", "count": 3, "measured": True}
    # its quotes are checked against those 3 tweets: none is there, most cite sources they are not
    assert QUOTES_MARKER in measured and "[not found in the corpus" in measured and "[not checked: " in measured
    omitted = run("prompt", "karpathy", "--unverified-quotes", "omit", "--db", db).output
    assert "[not found in the corpus" not in omitted and "[not checked: " not in omitted
    assert "## THE 1 AXIOM (" in omitted  # only axiom 5 has no quote in doubt (4 cites tweets; these are not it)
    kept = run("prompt", "karpathy", "--unverified-quotes", "keep", "--db", db).output
    assert "[not checked: " not in kept and "## THE 10 AXIOMS" in kept


def test_cli_prompt_errors(run, db, fixtures):
    assert run("prompt", "nobody", "--db", db).exit_code == 1
    bad = run("prompt", fixtures / "profile_bad.yaml", "--db", db)
    assert bad.exit_code == 1 and "schema error" in bad.output
    template = run("prompt", fixtures / "profile.yaml", "--format", "llm-template", "--db", db)
    assert yaml.safe_load(template.output)["system"].startswith("You are simulating the thinking of Ada Example")


QUOTED = """
identity: {slug: ada, name: Ada Example}
axioms:
  - number: 1
    title: Small first
    statement: 'Build "the smallest working version" first, then grow it.'
    quotes:
      - {text: the smallest working version, source: {title: Smallness post}}
  - number: 2
    title: Loops
    statement: Close the loop.
    quotes:
      - {text: "Loops all the way down.", source: {title: A podcast}}
  - number: 3
    title: Verified
    statement: 'She wrote "it runs" and meant it.'
    quotes:
      - {text: it runs, source: {title: Smallness post}}
simulator:
  opening: "You are simulating Ada ({counts})."
  additional_models:
    - text: '"Ship the toy" - a toy that runs beats a plan.'
      quotes: [{text: Ship the toy, source: {title: A podcast}}]
"""
VERDICTS = {
    "axioms[0].quotes[0]": "not_found",
    "axioms[1].quotes[0]": "unverifiable_here",
    "axioms[2].quotes[0]": "verbatim",
    "simulator.additional_models[0].quotes[0]": "unverifiable_here",
}


def test_unconfirmed_quotes_are_marked_where_they_stand_by_default():
    text = compile_prompt(parse_profile(QUOTED), checked=Checked(VERDICTS))
    assert 'Build "the smallest working version" [not found in the corpus] first, then grow it.' in text
    assert (  # not in the line itself: the mark names the words
        "2. LOOPS — Close the loop. [not checked: its source is not in the corpus: “Loops all the way down.”]"
    ) in text
    assert '3. VERIFIED — She wrote "it runs" and meant it.\n' in text, "a verified quote is left alone"
    assert '- "Ship the toy" [not checked: its source is not in the corpus] - a toy that runs beats a plan.' in text
    assert QUOTES_MARKER in text


def test_omit_leaves_unconfirmed_items_out_and_keep_leaves_them_as_written():
    omitted = compile_prompt(parse_profile(QUOTED), checked=Checked(VERDICTS, "omit"))
    assert "## THE 1 AXIOM (" in omitted and "3. VERIFIED" in omitted
    assert "smallest" not in omitted and "Loops" not in omitted and "Ship the toy" not in omitted
    assert QUOTES_MARKER not in omitted
    kept = compile_prompt(parse_profile(QUOTED), checked=Checked(VERDICTS, "keep"))
    assert kept == compile_prompt(parse_profile(QUOTED)), "keep is the prompt as the profile writes it"
    with pytest.raises(ProfileError, match="Unknown choice 'drop'"):
        Checked(VERDICTS, "drop")
