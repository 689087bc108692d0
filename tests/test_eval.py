"""insights eval with scripted models (they stand in for real models, which tests may not run).

The corpus is ``two_thinkers``: Ada's 24 posts (2020-2021) are split in time. Models are
``llm`` plugins whose replies are functions of the prompt (``llm_test_models.FunctionModel``):

* a *copier* that answers each question with the very passage held out for it must score high;
* an *off-topic* model that always talks about tomatoes must score low;
* a model that *never declines* must fail the limits test; one that says "not in my corpus"
  when the question is off its corpus must pass it.

The judge is a function too: it reads the rubric's PASSAGE and ANSWER and calls them "same" when
they share most content words, "unrelated" when they share few, "declined" when the answer declines.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from deepinsights.evaluation import Subject, flags_limits, run_eval
from deepinsights.evaluation.judge import RUBRIC_VERSION
from deepinsights.evaluation.plan import add_limits, add_questions, split
from deepinsights.models import Document, ImportReport
from deepinsights.profile import load_profile

from . import llm_test_models, two_thinkers

ADA = Subject("ada", "Ada", others=("bo",))
DECLINE = "That's not in my corpus: I haven't written about it, and I won't make up a view."
_WORDS = re.compile(r"[a-z]{4,}")


def overlap_judge(prompt: str, system: str | None) -> str:
    passage = prompt.split("PASSAGE (what the person actually wrote):", 1)[1].split("ANSWER (the imitation):")[0]
    answer = prompt.split("ANSWER (the imitation):", 1)[1].split("Compare positions")[0]
    if flags_limits(answer):
        return json.dumps({"verdict": "declined", "reason": "it declined"})
    a, p = set(_WORDS.findall(answer.lower())), set(_WORDS.findall(passage.lower()))
    share = len(a & p) / max(1, len(p))
    verdict = "same" if share > 0.6 else "partly" if share > 0.3 else "unrelated"
    return json.dumps({"verdict": verdict, "reason": f"{share:.2f} of the passage's words"})


@pytest.fixture
def ada(store):
    two_thinkers.fill(store)
    llm_test_models.install()
    llm_test_models.JUDGE.respond = overlap_judge
    llm_test_models.FUNCTION.prompts.clear()
    return store


def _plan(store):
    plan = split(store, "ada")
    add_questions(store, plan, {"ada", "Ada"}, 8)
    add_limits(store, plan, [], ["bo"], 5)
    return plan


def _question(prompt: str) -> str:
    return prompt.split("QUESTION:", 1)[1].split("\n", 1)[0].strip()


def test_the_last_fifth_is_held_out_and_nothing_later_is_seen(ada) -> None:
    plan = _plan(ada)
    assert len(plan.held_out) == 5 and len(plan.earlier) == 19  # of 24 dated posts, one passage each
    assert all(p.published_at[:10] < plan.cutoff for p in plan.earlier)
    assert all(p.published_at[:10] >= plan.cutoff for p in plan.held_out)
    assert plan.questions and all(q.passage in plan.held_out for q in plan.questions)
    run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE, questions=2, limits=1)
    shown = " ".join(p.prompt for p in llm_test_models.FUNCTION.prompts)
    dates = set(re.findall(r"\d{4}-\d{2}-\d{2}", shown))
    assert dates and all(d < plan.cutoff for d in dates)  # retrieval never reached the held-out period


def test_a_model_copying_the_held_out_text_scores_high(ada) -> None:
    answers = {q.text: q.passage.text for q in _plan(ada).questions}
    llm_test_models.FUNCTION.respond = lambda prompt, system: answers.get(_question(prompt), DECLINE)
    scores = run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE).as_dict()["scores"]
    assert scores["simulator"]["stance"] == 1.0
    assert scores["simulator"]["similarity"] > 0.95
    assert scores["simulator"]["voice"]["burrows_delta"] == pytest.approx(0, abs=1e-9)


def test_an_off_topic_model_scores_low(ada) -> None:
    llm_test_models.FUNCTION.respond = lambda prompt, system: two_thinkers.GARDEN[0]
    data = run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE).as_dict()
    assert data["scores"]["simulator"]["stance"] == 0.0
    assert data["scores"]["simulator"]["similarity"] < 0.5
    assert {q["simulator"]["stance"]["verdict"] for q in data["questions"]} == {"unrelated"}


def test_a_model_that_never_declines_fails_the_limits_test(ada) -> None:
    llm_test_models.FUNCTION.respond = lambda prompt, system: "Absolutely: it is the future, everyone uses it by 2030."
    data = run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE).as_dict()
    assert data["scores"]["simulator"]["limits_pass_rate"] == 0.0
    assert len(data["limits"]) == 5 and not any(item["simulator"]["passed"] for item in data["limits"])


def test_a_model_that_declines_off_corpus_passes_the_limits_test(ada) -> None:
    plan = _plan(ada)
    off = set(plan.limits)
    answers = {q.text: q.passage.text for q in plan.questions}
    llm_test_models.FUNCTION.respond = lambda prompt, system: DECLINE if _question(prompt) in off else answers.get(
        _question(prompt), "")  # fmt: skip
    data = run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE).as_dict()
    assert data["scores"]["simulator"]["limits_pass_rate"] == 1.0
    assert data["scores"]["simulator"]["stance"] == 1.0
    mine = {w.lower() for p in plan.earlier + plan.held_out for w in p.words}
    assert any("tomatoes" in q or "garden" in q or "compost" in q for q in plan.limits)  # Bo's words, never Ada's
    assert not {"tomatoes", "garden", "compost"} & mine


def test_a_probe_is_asked_unless_the_thinker_writes_about_its_subject(ada) -> None:
    recipe = "A good recipe for training: start small, overfit one batch, then scale the model up."
    _add(ada, "recipe", recipe)
    plan = split(ada, "ada")
    add_limits(ada, plan, [], [], 6)
    assert "What is your recipe for a good sourdough bread?" in plan.limits  # "recipe" and "good" are incidental
    _add(ada, "starter", "My sourdough starter rose overnight, which I read as a sign to keep going.")
    plan = split(ada, "ada")
    add_limits(ada, plan, [], [], 6)
    assert plan.limits and not any("sourdough" in q for q in plan.limits)


def _add(store, source_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    document = Document(source="test", source_id=source_id, kind="post", thinker="ada", text=text,
                        published_at=datetime(2020, 6, 20, tzinfo=UTC))  # fmt: skip
    with store.transaction():
        store.upsert_documents([document], ImportReport())


def test_the_baseline_is_the_same_model_without_the_profile(ada, tmp_path) -> None:
    profile_file = tmp_path / "ada.yaml"
    profile_file.write_text(
        "identity: {slug: ada, name: Ada}\naxioms:\n  - {number: 1, title: Small models win, statement: Train small.}\n"
    )
    llm_test_models.FUNCTION.respond = lambda prompt, system: "Small models win."
    report = run_eval(ada, ADA, llm_test_models.FUNCTION, llm_test_models.JUDGE, profile=load_profile(profile_file),
                      questions=2, limits=1)  # fmt: skip
    systems = [p.system for p in llm_test_models.FUNCTION.prompts]
    assert len(systems) == 2 * (len(report.plan.questions) + len(report.plan.limits))
    half = len(systems) // 2
    assert all("SMALL MODELS WIN" in s for s in systems[:half])
    assert not any("SMALL MODELS WIN" in s for s in systems[half:])
    assert "may know the held-out period" in report.profile_source
    data = report.as_dict()
    assert data["rubric"]["version"] == RUBRIC_VERSION and len(data["rubric"]["sha256"]) == 64
    assert set(data["scores"]) == {"simulator", "baseline", "difference"}


def test_cli_reports_and_keeps_the_run(ada, db, run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    llm_test_models.FUNCTION.respond = lambda prompt, system: DECLINE
    result = run("eval", "ada", "-m", "function-test", "--judge", "function-judge-test", "--questions", "2",
                 "--limits", "2", "--db", db)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Burrows' Delta" in result.output and "limits" in result.output
    folder = tmp_path if db.startswith("postgresql") else tmp_path
    runs = sorted((folder / "evals" / "ada").glob("*.json"))
    assert len(runs) == 1 and json.loads(runs[0].read_text())["model"] == "function-test"
    markdown = run("eval", "ada", "-m", "function-test", "--questions", "1", "--limits", "1", "--db", db,
                   "--markdown").stdout  # fmt: skip
    assert markdown.startswith("# Does the ada simulator think like them?")


def test_too_little_dated_text_is_a_clear_error(ada, db, run) -> None:
    result = run("eval", "nobody", "-m", "function-test", "--db", db)
    assert result.exit_code == 1
    assert "Error: 'nobody' has 0 dated own-word passages in this workspace" in result.output
