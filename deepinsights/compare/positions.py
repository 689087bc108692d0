"""Positions on shared topics: agree, disagree, or a different question, each backed by both sides' words.

For each shared topic a model sees the passages of A and of B nearest the topic's centre and
replies with JSON: a ``relation`` (``agree``, ``disagree`` or ``different-question``), a one-line
``statement`` and one verbatim quote from each side. The label is kept only when **both quotes
verify** (``verify``, verbatim or approximate) as the right thinker's own words, by the rule
distill's drafts follow (``distill.drafting.quotes_rejected``): a quote not in the corpus, one
that is the other thinker's words (swapped sides), or one lying in someone else's words inside
the thinker's documents drops the label, and the reason is counted. A model that invents a
disagreement therefore leaves no label behind.

This module does not choose the topics (``compare``) and never shows the model the raw corpus
beyond those passages.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ask.models import Model, reply_object, run
from ..distill.drafting import quotes_rejected
from ..distill.own import OwnPassage
from ..distill.prose import GAP
from ..verify import check_quotes
from ..workspace import Workspace
from .topics import JointTopic

RELATIONS = ("agree", "disagree", "different-question")
PASSAGES_PER_SIDE = 3

PROMPT = """Two thinkers wrote about the same topic ({label}).

{passages}

Do {a} and {b} AGREE, DISAGREE, or answer DIFFERENT QUESTIONS on this topic? Judge only from
these passages. Copy each quote word for word from one passage (no paraphrase, no words of your own).
Reply with JSON only:
{{"relation": "agree" or "disagree" or "different-question",
  "statement": "one line saying what they agree or disagree on, or which question each asks",
  "quote_a": "words of {a} copied from an A passage", "quote_b": "words of {b} copied from a B passage"}}"""


@dataclass
class Position:
    """A kept label on one shared topic, with both verified quotes."""

    topic: int
    label: str
    relation: str
    statement: str
    quote_a: dict[str, Any]
    quote_b: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "label": self.label,
            "relation": self.relation,
            "statement": self.statement,
            "quote_a": self.quote_a,
            "quote_b": self.quote_b,
        }


@dataclass
class Positions:
    """What was kept, what was dropped and why, and which model said it."""

    model: str
    kept: list[Position] = field(default_factory=list)
    dropped: list[dict[str, Any]] = field(default_factory=list)

    def reasons(self) -> dict[str, int]:
        return dict(Counter(re.sub(r"\d+ ", "", d["reason"]) for d in self.dropped).most_common())

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "kept": [p.as_dict() for p in self.kept],
            "dropped": self.dropped,
            "dropped_by_reason": self.reasons(),
        }


@dataclass(frozen=True)
class Sides:
    """The two thinkers: slugs and the names the model is told."""

    a: str
    b: str
    name_a: str
    name_b: str


def label_positions(
    store: Workspace,
    sides: Sides,
    topics: list[tuple[JointTopic, list[OwnPassage], list[OwnPassage]]],
    model: Model,
    *,
    progress: Callable[[str], None] | None = None,
) -> Positions:
    """Ask ``model`` about each (topic, A's passages, B's passages); keep labels both sides' quotes support."""
    found = Positions(model.model_id)
    for topic, passages_a, passages_b in topics:
        if progress:
            progress(topic.label)
        answer = run(model, prompt(sides, topic, passages_a, passages_b))
        judge(store, sides, topic, answer, found)
    return found


def prompt(sides: Sides, topic: JointTopic, a: list[OwnPassage], b: list[OwnPassage]) -> str:
    """The prompt for one topic: A's passages, then B's, each labelled with its side."""
    blocks = [_block(f"A{i} ({sides.name_a})", p) for i, p in enumerate(a[:PASSAGES_PER_SIDE], 1)]
    blocks += [_block(f"B{i} ({sides.name_b})", p) for i, p in enumerate(b[:PASSAGES_PER_SIDE], 1)]
    return PROMPT.format(label=topic.label, passages="\n\n".join(blocks), a=sides.name_a, b=sides.name_b)


def _block(label: str, passage: OwnPassage) -> str:
    when = (passage.published_at or "undated")[:10]
    return f"{label}, {when}:\n{passage.text.replace(GAP.strip(), '…')[:900]}"


def judge(store: Workspace, sides: Sides, topic: JointTopic, answer: str, found: Positions) -> None:
    """Keep the label in ``answer`` when both quotes verify as the right side's own words, else record why not."""
    data = reply_object(answer)
    if data is None:
        return _drop(found, topic, "model reply was not the requested JSON")
    relation = str(data.get("relation", "")).strip().lower().replace(" ", "-")
    if relation not in RELATIONS:
        return _drop(found, topic, f"unknown relation {relation[:40]!r}")
    quote_a, quote_b = str(data.get("quote_a") or "").strip(), str(data.get("quote_b") or "").strip()
    if not quote_a or not quote_b:
        return _drop(found, topic, "a quote missing on one side")
    checked = []
    for side, quote, thinker in (("A", quote_a, sides.a), ("B", quote_b, sides.b)):
        results = check_quotes([quote], store, thinker=thinker)
        reason = quotes_rejected(results, store, thinker)
        if reason:
            return _drop(found, topic, f"side {side}: {reason}")
        checked.append(results[0].to_dict())
    statement = " ".join(str(data.get("statement") or "").split())[:300]
    found.kept.append(Position(topic.number, topic.label, relation, statement, *checked))
    return None


def _drop(found: Positions, topic: JointTopic, reason: str) -> None:
    found.dropped.append({"topic": topic.number, "label": topic.label, "reason": reason})
