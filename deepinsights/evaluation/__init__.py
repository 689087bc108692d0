"""insights eval: does the simulator think like the thinker? Measured on a held-out period.

``run_eval`` splits the thinker's dated own-word passages in time (``plan``: the last 20% held
out), builds a profile that has seen only the earlier passages (``distill`` up to the cutoff, no
model; or a given profile, then marked as possibly having seen the held-out period), and asks the
model each question twice in the same run: as the **simulator** (the compiled profile plus
passages retrieved from before the cutoff, ``ask``'s prompts) and as the **baseline** (the same
model, the same passages, no profile: only the thinker's name). Each answer is scored against
the held-out passage its question came from:

* stance: a judge model with the fixed, versioned rubric (``judge``), which sees the passage;
* meaning: cosine similarity of the answer's and the passage's embeddings (the workspace's
  embedding model; None without one);
* voice: Burrows' Delta on function words, sentence length and signature-vocabulary rate of all
  answers against all held-out questions' passages (``voice``; no judge).

**Honest limits**: questions on topics the corpus never covers (``plan.add_limits``) go to the
model *without* ``ask``'s relevance gate, so what is measured is whether the model declines or
says it is extrapolating; the report also says how many the gate would have declined.

The profile's value is the difference simulator − baseline. Results are data (``EvalReport``);
the CLI prints and saves them, the page shows the latest.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..ask import ask, is_relevant, retrieve
from ..ask.models import Model
from ..distill import distill, draft_profile
from ..distill.vocabulary import signature_vocabulary
from ..errors import EmbeddingError
from ..models import SearchFilter
from ..profile import Profile
from ..semantic.registry import get_embedder
from ..workspace import Workspace
from .judge import RUBRIC_SHA256, RUBRIC_VERSION, Verdict, judge_stance
from .plan import Plan, Question, add_limits, add_questions, split
from .voice import Stylometry

__all__ = ["EvalReport", "run_eval", "flags_limits"]

ARMS = ("simulator", "baseline")
_LIMITS = re.compile(
    r"not in (?:the|my) (?:corpus|passages|writing)|(?:haven't|have not|never) (?:written|spoken|talked|said|"
    r"covered)|(?:don't|do not|can't|cannot) (?:know|say|answer|speak)|no (?:passage|record|writing)s?\b|"
    r"outside (?:what|my)|extrapolat|not covered|(?:passages|corpus) (?:do|does)(?:n't| not)|"
    r"(?:doesn't|does not|don't|do not) (?:cover|address|mention)|won't make up|no view on",
    re.IGNORECASE,
)


def flags_limits(answer: str) -> bool:
    """True when ``answer`` declines or says it goes beyond the corpus."""
    return bool(_LIMITS.search(answer))


@dataclass
class Scored:
    """One arm's answer to one question, with its scores."""

    answer: str
    verdict: Verdict | None = None
    similarity: float | None = None
    labels: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "answer": self.answer,
            "stance": self.verdict.as_dict() if self.verdict else None,
            "similarity": None if self.similarity is None else round(self.similarity, 3),
            "sentence_labels": self.labels,
        }


@dataclass
class EvalReport:
    """Everything one eval run measured; ``as_dict()`` is what is saved and shown."""

    slug: str
    model: str
    judge: str
    when: str
    plan: Plan
    profile_source: str
    embedding: str | None
    answers: dict[str, list[Scored]] = field(default_factory=lambda: {arm: [] for arm in ARMS})
    limits: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: {arm: [] for arm in ARMS})
    voice: dict[str, dict[str, Any]] = field(default_factory=dict)

    def scores(self, arm: str) -> dict[str, Any]:
        """One arm's summary: mean stance, similarity, limits pass rate, voice."""
        answers = self.answers[arm]
        judged = [a.verdict.score for a in answers if a.verdict and a.verdict.score is not None]
        similar = [a.similarity for a in answers if a.similarity is not None]
        limits = self.limits[arm]
        return {
            "stance": _mean(judged),
            "judged": len(judged),
            "declined": sum(1 for a in answers if a.verdict and a.verdict.verdict == "declined"),
            "similarity": _mean(similar),
            "limits_pass_rate": _mean([1.0 if x["passed"] else 0.0 for x in limits]),
            "voice": self.voice.get(arm, {}),
        }

    def as_dict(self) -> dict[str, Any]:
        simulator, baseline = self.scores("simulator"), self.scores("baseline")
        return {
            "slug": self.slug,
            "model": self.model,
            "judge": self.judge,
            "when": self.when,
            "rubric": {"version": RUBRIC_VERSION, "sha256": RUBRIC_SHA256},
            "split": self.plan.as_dict(),
            "profile_source": self.profile_source,
            "embedding_model": self.embedding,
            "scores": {"simulator": simulator, "baseline": baseline, "difference": _difference(simulator, baseline)},
            "questions": [
                {**q.as_dict(), **{arm: self.answers[arm][i].as_dict() for arm in ARMS}}
                for i, q in enumerate(self.plan.questions)
            ],
            "limits": [
                {"question": question, **{arm: self.limits[arm][i] for arm in ARMS}}
                for i, question in enumerate(self.plan.limits)
            ],
        }


@dataclass(frozen=True)
class Subject:
    """Who is evaluated: slug, name, own names and handles, known gaps, and the other thinkers here."""

    slug: str
    name: str
    names: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()
    gaps: tuple[str, ...] = ()
    others: tuple[str, ...] = ()


def run_eval(
    store: Workspace,
    subject: Subject,
    model: Model,
    judge: Model,
    *,
    profile: Profile | None = None,
    questions: int = 8,
    limits: int = 5,
    progress: Callable[[str], None] | None = None,
) -> EvalReport:
    """Evaluate ``subject``'s simulator with ``model`` (see the module docstring); ``judge`` scores stance."""
    own = {subject.slug, subject.name, *subject.names, *subject.handles}
    plan = split(store, subject.slug)
    add_questions(store, plan, own, questions)
    add_limits(store, plan, list(subject.gaps), list(subject.others), limits)
    simulator, source = _profile(store, subject, plan, profile)
    report = EvalReport(subject.slug, model.model_id, judge.model_id, _now(), plan, source, None)
    embed = _embedder(store, report)
    arms = {"simulator": simulator, "baseline": Profile(identity=simulator.identity)}
    period = SearchFilter(until=plan.until)
    for arm, arm_profile in arms.items():
        for q in plan.questions:
            _say(progress, f"{arm}: {q.text}")
            report.answers[arm].append(_answer(store, arm_profile, model, judge, q, period, embed))
        for question in plan.limits:
            _say(progress, f"{arm} (limits): {question}")
            answer = ask(question, arm_profile, store, model, period=period, gate=False).answer
            report.limits[arm].append({"answer": answer, "passed": flags_limits(answer), "gate_declines": _gated(
                store, subject.slug, question, period)})  # fmt: skip
    stylometry = Stylometry([p.text for p in plan.earlier], _signature(plan, own))
    held_out = [q.passage.text for q in plan.questions]
    for arm in ARMS:
        report.voice[arm] = stylometry.voice([a.answer for a in report.answers[arm]], held_out).as_dict()
    return report


def _profile(store: Workspace, subject: Subject, plan: Plan, given: Profile | None) -> tuple[Profile, str]:
    if given is not None:
        return (
            given,
            f"given profile '{given.slug}' (made without regard to the cutoff: it may know the held-out period)",
        )
    measured = distill(
        store, subject.slug, until=plan.until, handles=set(subject.handles), names=set(subject.names),
        check_robustness=False,
    )  # fmt: skip
    profile, _ = draft_profile(measured, None, None, name=subject.name)
    return profile, f"distilled from the passages up to {plan.until} (no model)"


def _answer(
    store: Workspace, profile: Profile, model: Model, judge: Model, q: Question, period: SearchFilter, embed: Any
) -> Scored:
    answer = ask(q.text, profile, store, model, period=period, gate=False)
    labels: dict[str, int] = {}
    for sentence in answer.sentences:
        labels[sentence.label] = labels.get(sentence.label, 0) + 1
    return Scored(
        answer.answer,
        judge_stance(judge, q.text, q.passage.text, answer.answer),
        _similarity(embed, answer.answer, q.passage.text),
        labels,
    )


def _gated(store: Workspace, slug: str, question: str, period: SearchFilter) -> bool:
    """Whether ``ask``'s relevance gate would decline ``question`` without calling a model."""
    from dataclasses import replace

    passages = retrieve(store, question, replace(period, thinker=slug))
    return not passages or not is_relevant(question, passages[0])


def _embedder(store: Workspace, report: EvalReport) -> Any:
    try:
        embedder = get_embedder(store.indexed_model())
    except EmbeddingError:
        return None
    report.embedding = embedder.name
    return embedder


def _similarity(embedder: Any, answer: str, passage: str) -> float | None:
    if embedder is None or not answer.strip():
        return None
    vectors = embedder.embed([answer, passage])
    return float(np.dot(vectors[0], vectors[1]))


def _signature(plan: Plan, own: set[str]) -> set[str]:
    return {w.word for w in signature_vocabulary(plan.earlier, own)}


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def _difference(simulator: dict[str, Any], baseline: dict[str, Any]) -> dict[str, float | None]:
    keys = ("stance", "similarity", "limits_pass_rate")
    out: dict[str, float | None] = {
        k: None if simulator[k] is None or baseline[k] is None else round(simulator[k] - baseline[k], 3) for k in keys
    }
    delta_s, delta_b = simulator["voice"].get("burrows_delta"), baseline["voice"].get("burrows_delta")
    out["burrows_delta"] = None if delta_s is None or delta_b is None else round(delta_s - delta_b, 3)
    return out


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _say(progress: Callable[[str], None] | None, text: str) -> None:
    if progress:
        progress(text)
