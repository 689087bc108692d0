"""Model-drafted parts: axioms, tensions, aesthetics and the generating function from measured
sections, kept only with verified own-word quotes from two documents.

The model is the scripted test model (``tests/llm_test_models.py``): a real ``llm`` plugin whose
replies the test writes, including a model that invents quotes, swaps speakers and cites other
people's words. The corpus is real SQLite (and PostgreSQL) with two thinkers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights import ownwords
from deepinsights.distill import distill, draft_profile
from deepinsights.distill.drafting import draft_candidates, jobs
from deepinsights.models import Document, ImportReport

from .test_distill_topics import VISION, corpus_documents

BOB = "Bob believes that gardens are the best teachers of patience and of care."
BORROWED = "Gardens of code grow only when the gardener stops pulling at every single weed."


@pytest.fixture
def corpus(store):
    extra = [
        Document(source="bob", source_id=str(i), kind="post", thinker="bob", text=f"{BOB} Note {i}.",
                 published_at=datetime(2021, 1, i + 1, tzinfo=UTC))
        for i in range(3)
    ]  # fmt: skip
    text = f'Someone Else wrote: "{BORROWED}" I am not sure about that.'
    marked = ownwords.normalise(ownwords.mark_text(text), text)  # as importers mark a quotation
    when = datetime(2021, 6, 1, tzinfo=UTC)
    extra.append(
        Document(
            source="test", source_id="quoting", kind="post", thinker="ada", text=text, published_at=when, others=marked
        )
    )
    with store.transaction():
        store.upsert_documents([*corpus_documents(), *extra], ImportReport())
    return store


def reply(**fields):
    return json.dumps(fields)


def test_only_verified_own_word_quotes_from_two_documents_survive(corpus, scripted):
    model = scripted
    report = distill(corpus, "ada", check_robustness=False)
    keys = [job.key for job in jobs(report.findings, "Ada", topics=2)]
    assert keys[2:] == [f"tension:{keys[0][6:]}-{keys[1][6:]}", "aesthetic", "generating_function"]
    model.enqueue(
        reply(title="Learn filters from data", statement="Features are learned.", quotes=[VISION[0], VISION[3]]),
        "Sure! " + reply(title="Invented", statement="x", quotes=["neural networks secretly dream of sheep"]),
        reply(title="Swapped", statement="y", side_a=[BOB], side_b=[VISION[1]]),
        reply(title="Borrowed", statement="z", quotes=[BORROWED, VISION[2]]),
        reply(statement="Make it small, then make it run.", phases=["small", "run"], quotes=[VISION[1], VISION[4]]),
    )
    drafted = draft_candidates(corpus, "ada", "Ada", report.findings, model, topics=2)
    assert [c.title for c in drafted.kept] == ["Learn filters from data", "Make it small, then make it run."]
    assert {d["job"]: d["reason"] for d in drafted.dropped} == {
        keys[1]: "1 quote(s) not in the corpus",
        keys[2]: "1 quote(s) are another thinker's words (bob)",
        "aesthetic": "1 quote(s) are someone else's words in the thinker's documents",
    }
    assert drafted.as_dict()["dropped_by_reason"]["quote(s) not in the corpus"] == 1
    assert "Tokenizers" not in model.prompts[0].prompt or "TOPIC" in model.prompts[0].prompt  # measured sections
    assert all("PASSAGE" in p.prompt and "Copy every quote word for word" in p.prompt for p in model.prompts)
    profile, _ = draft_profile(report, None, drafted)
    assert profile.axioms[0].title == "Learn filters from data" and len(profile.axioms[0].quotes) == 2
    assert profile.generating_function.statement == "Make it small, then make it run."
    assert profile.generating_function.phases == ["small", "run"]


def test_a_tension_needs_a_quote_on_each_side_and_bad_replies_are_counted(corpus, scripted, tmp_path):
    model = scripted
    report = distill(corpus, "ada", check_robustness=False)
    one_sided = reply(title="One side", statement="t", side_a=[VISION[0], VISION[3]], side_b=[])
    model.enqueue("not json", reply(title="No quotes", statement="s", quotes=[]), one_sided, "", "")
    cache = tmp_path / "cache.json"
    drafted = draft_candidates(corpus, "ada", "Ada", report.findings, model, topics=2, cache=cache)
    assert not drafted.kept
    assert drafted.reasons() == {
        "model reply was not the requested JSON": 3,
        "no supporting quotes": 1,
        "a tension without a verified quote on each side": 1,
    }
    asked = len(model.prompts)
    again = draft_candidates(corpus, "ada", "Ada", report.findings, model, topics=2, cache=cache)
    assert len(model.prompts) == asked and again.reasons() == drafted.reasons()  # answers come from the cache


def test_cli_distill_with_the_scripted_model_reports_what_was_dropped(corpus, db, run, scripted):
    scripted.enqueue(*["no json"] * 5)
    result = run("distill", "ada", "-m", "scripted-test", "--topics", "2", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    drafted = json.loads(result.stdout)["drafted"]
    assert drafted["kept"] == [] and drafted["dropped_by_reason"] == {"model reply was not the requested JSON": 5}
