"""insights compare: two self-made thinkers in a real workspace (SQLite and PostgreSQL).

Ada writes about image models (only she does) and language models (from 2020); Bo about language
models (from 2022) and gardening (only he does); both credit Grace Hopper (``two_thinkers.py``).
The scripted model stands in for a remote model when labelling positions: one reply is honest,
one invents a disagreement, one swaps the sides' words.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deepinsights.compare import Identity, add_positions, compare
from deepinsights.compare.report import markdown_report
from deepinsights.compare.vocabulary import log_odds_z
from deepinsights.errors import CompareError

from . import two_thinkers

ADA, BO = Identity("ada", "Ada"), Identity("bo", "Bo")


@pytest.fixture
def both(store):
    two_thinkers.fill(store)
    return store


def _texts(topic, side: str) -> list[str]:
    return [p.text for p in getattr(topic, side).nearest]


def test_topics_only_one_covers_are_the_extensions(both) -> None:
    result = compare(both, ADA, BO)
    only_a, only_b, shared = result.covered("a"), result.covered("b"), result.covered("both")
    assert only_a and only_b and shared
    assert all(any(s in t for s in two_thinkers.VISION for t in _texts(topic, "a")) for topic in only_a)
    assert all(topic.b.documents == 0 for topic in only_a)
    assert all(any(s in t for s in two_thinkers.GARDEN for t in _texts(topic, "b")) for topic in only_b)
    assert len(shared) == 2  # language models and running, each side's passage beside the other's
    language = next(t for t in shared if two_thinkers.SMALL_WINS in t.a.representative.text)
    assert two_thinkers.LARGE_WINS in language.b.representative.text
    running = next(t for t in shared if t is not language)
    assert any(s in running.a.representative.text and s in running.b.representative.text for s in two_thinkers.RUNNING)
    assert all(t.first == "a" and t.lead_days > 300 for t in shared)  # Ada wrote about both two years earlier
    assert all(t.before_other_corpus for t in shared)  # ... before Bo's corpus even begins


def test_distinctive_vocabulary_both_ways(both) -> None:
    result = compare(both, ADA, BO)
    words_a = {w.word: w for w in result.words_a}
    words_b = {w.word: w for w in result.words_b}
    assert {"image", "pixels"} <= set(words_a) and {"garden", "tomatoes"} <= set(words_b)
    assert not set(words_a) & set(words_b)
    assert words_a["image"].z > 2 and words_b["garden"].z < -2
    assert words_a["image"].count_b == 0 and "image" in words_a["image"].example.text.lower()
    assert "ada" not in words_a and "bo" not in words_b  # their own names are not vocabulary


@given(st.integers(0, 500), st.integers(0, 500), st.integers(1000, 50_000), st.integers(1000, 50_000))
def test_swapping_the_sides_flips_the_z_score(y_a: int, y_b: int, n_a: int, n_b: int) -> None:
    assert log_odds_z(y_a, y_b, n_a, n_b) == pytest.approx(-log_odds_z(y_b, y_a, n_b, n_a))


def test_the_prior_shrinks_rare_words() -> None:
    """Twice against never is weaker evidence than two hundred times against never."""
    assert 0 < log_odds_z(2, 0, 10_000, 10_000) < log_odds_z(200, 0, 10_000, 10_000)
    assert log_odds_z(50, 50, 10_000, 10_000) == pytest.approx(0)


def test_shared_and_distinct_lineage(both) -> None:
    lineage = compare(both, ADA, BO).lineage
    assert [s.name for s in lineage.shared] == ["Grace Hopper"]
    assert lineage.shared[0].a.count == 6 and lineage.shared[0].b.count == 6
    assert "Alan Turing" in [e.name for e in lineage.only_a] and "Julia Child" in [e.name for e in lineage.only_b]
    assert "Julia Child" not in [e.name for e in lineage.only_a]


def test_a_thinker_without_own_words_is_a_clear_error(both) -> None:
    with pytest.raises(CompareError, match="No own-word passages for 'nobody'"):
        compare(both, ADA, Identity("nobody", "Nobody"))
    with pytest.raises(CompareError, match="two different thinkers"):
        compare(both, ADA, ADA)


def _reply(relation: str, quote_a: str, quote_b: str) -> str:
    return json.dumps({"relation": relation, "statement": "Small models against large.", "quote_a": quote_a,
                       "quote_b": quote_b})  # fmt: skip


def test_a_position_is_kept_only_with_a_verified_quote_from_each_side(both, scripted) -> None:
    result = compare(both, ADA, BO)
    scripted.enqueue(
        _reply("disagree", "small models win in the end", "large models win every benchmark"),
        _reply("disagree", "small models are always worse than large ones", "large models win every benchmark"),
        _reply("disagree", "large models win every benchmark", "small models win in the end"),
        _reply("furious", "small models win in the end", "large models win every benchmark"),
        "I think they disagree.",
    )
    outcomes = []
    for _ in range(5):
        positions = add_positions(both, result, scripted, limit=1)
        outcomes.append(positions.kept[0].relation if positions.kept else positions.dropped[0]["reason"])
    assert outcomes[0] == "disagree"
    assert outcomes[1] == "side A: 1 quote(s) not in the corpus"  # the invented disagreement leaves nothing
    assert outcomes[2] == "side A: 1 quote(s) are another thinker's words (bo)"
    assert outcomes[3] == "unknown relation 'furious'"
    assert outcomes[4] == "model reply was not the requested JSON"
    assert "A1 (Ada)" in scripted.prompts[0].prompt and "B1 (Bo)" in scripted.prompts[0].prompt


def test_markdown_report_has_every_section(both) -> None:
    text = markdown_report(compare(both, ADA, BO).as_dict())
    headings = ["# Ada and Bo compared", "## Distinctive vocabulary", "### Both cover", "### Only Ada", "### Only Bo"]
    headings += ["## Shared topics side by side", "## Lineage", "## How this was measured"]
    assert all(heading in text for heading in headings)
    assert "[Ada post" in text and "(https://ada.example.org/" in text


def test_cli_prints_tables_json_and_markdown_and_keeps_the_result(both, db, run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("compare", "ada", "bo", "--db", db)
    assert result.exit_code == 0, result.output
    assert "Vocabulary" in result.output and "only ada" in result.output and "Grace Hopper" in result.output
    data = json.loads(run("compare", "ada", "bo", "--db", db, "--json").stdout)
    assert data["topics"]["only_a"] and data["lineage"]["shared"][0]["name"] == "Grace Hopper"
    assert run("compare", "ada", "bo", "--db", db, "--markdown").stdout.startswith("# ada and bo compared")
    folder = tmp_path if db.startswith("postgresql") else (tmp_path / "insights.db").parent
    assert json.loads((folder / "comparisons" / "ada--bo.json").read_text())["a"]["slug"] == "ada"


def test_cli_names_a_missing_thinker_in_one_line(both, db, run) -> None:
    result = run("compare", "ada", "nobody", "--db", db)
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "Error: No own-word passages for 'nobody' in this workspace; import their writing with "
        "'insights import PATH --thinker nobody'"
    ]
