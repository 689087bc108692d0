"""What an eval asks: the time split, questions from the held-out topics, and questions the corpus
never covers.

**Split.** The thinker's dated own-word passages (``distill.own``) in date order; the last
``HELD_OUT`` (20%) are held out. The cutoff is the day of the first held-out passage: everything
published before that day is *earlier* (what the profile and retrieval may see), everything from
that day on is *held out* (what the thinker actually wrote next).

**Questions.** The held-out passages are clustered by the chain's topic model
(``distill.topics``) and each of the largest topics gives one question, asked about its two
leading phrases ("What do you think about tokenizers and byte pair encoding?"), paired with the
held-out passage nearest the topic's centre: the answer is scored against that passage. The
question is a template, never written by a model that saw the passage, so it cannot leak its words.

**Limits.** Questions on topics the thinker never wrote about: the profile's known gaps, words
other thinkers of the workspace use often that this thinker never uses (none of their passages
holds them), and fixed everyday probes; each is asked only when no passage of the thinker's uses
its subject (a gap's words, the other thinker's word, a probe's subject words such as
"sourdough": "recipe" and "good" appear in anyone's writing).

This module calls no model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..distill.own import OwnPassage, own_passages
from ..distill.topics import find_topics
from ..distill.vectors import vectors_for
from ..distill.vocabulary import signature_vocabulary
from ..errors import EvalError
from ..workspace import Workspace

HELD_OUT = 0.2
MIN_HELD_OUT = 3
# Everyday questions, each with its subject: a probe is asked only when no passage of the
# thinker uses any subject word ("recipe" or "good" may well appear; "sourdough" should not)
PROBES = (
    ("What is your recipe for a good sourdough bread?", ("sourdough",)),
    ("Which football club should win the next Champions League?", ("football", "soccer")),
    ("How should I prune my roses in autumn?", ("roses", "gardening")),
    ("What do you think of the latest season of your favourite reality TV show?", ("sitcom", "television")),
    ("Which knitting pattern would you recommend for a first sweater?", ("knitting", "sweater", "yarn")),
    ("What is the best way to train a puppy to walk on a leash?", ("puppy", "leash")),
    ("Which wine would you pair with oysters?", ("wine", "oysters")),
)


@dataclass(frozen=True)
class Question:
    """A question from a held-out topic, with the held-out passage its answer is scored against."""

    text: str
    topic: str
    passage: OwnPassage

    def as_dict(self) -> dict[str, Any]:
        return {"question": self.text, "topic": self.topic, "held_out": self.passage.as_example(600)}


@dataclass
class Plan:
    """The split and every question of one eval."""

    slug: str
    cutoff: str  # first held-out day (ISO)
    earlier: list[OwnPassage]
    held_out: list[OwnPassage]
    questions: list[Question] = field(default_factory=list)
    limits: list[str] = field(default_factory=list)

    @property
    def until(self) -> str:
        """The last day the profile and retrieval may see."""
        return (date.fromisoformat(self.cutoff) - timedelta(days=1)).isoformat()

    def as_dict(self) -> dict[str, Any]:
        return {
            "cutoff": self.cutoff,
            "earlier": _span(self.earlier),
            "held_out": _span(self.held_out),
            "held_out_share": HELD_OUT,
        }


def split(store: Workspace, slug: str) -> Plan:
    """Hold out the last ``HELD_OUT`` of ``slug``'s dated own-word passages (from the day the first falls)."""
    dated = [p for p in own_passages(store, slug) if p.published_at]
    if len(dated) * HELD_OUT < MIN_HELD_OUT:
        raise EvalError(
            f"'{slug}' has {len(dated)} dated own-word passages in this workspace; an eval holds out the last "
            f"{HELD_OUT:.0%} and needs at least {MIN_HELD_OUT} held out ({int(MIN_HELD_OUT / HELD_OUT)} dated passages)"
        )
    cutoff = (dated[int(len(dated) * (1 - HELD_OUT))].published_at or "")[:10]
    earlier = [p for p in dated if (p.published_at or "")[:10] < cutoff]
    if not earlier:
        raise EvalError(f"Every dated passage of '{slug}' is from {cutoff}: nothing is earlier than the held-out part")
    return Plan(slug, cutoff, earlier, [p for p in dated if (p.published_at or "")[:10] >= cutoff])


def add_questions(store: Workspace, plan: Plan, own_names: set[str], count: int) -> None:
    """One question per large held-out topic (at most ``count``), each with its nearest passage."""
    vectors = vectors_for(store, plan.held_out)
    model = find_topics(plan.held_out, vectors.matrix, vectors.source, own_names, stability=False)
    for topic in model.topics:
        if len(plan.questions) == count:
            break
        phrases = [p for p in topic.phrases if p.lower() not in {w.lower() for w in own_names}][:2]
        if phrases and topic.representatives:
            text = f"What do you think about {' and '.join(phrases)}?"
            plan.questions.append(Question(text, topic.label, topic.representatives[0]))


def add_limits(store: Workspace, plan: Plan, gaps: list[str], others: list[str], count: int) -> None:
    """Questions on what ``plan.slug`` never wrote about: known ``gaps``, other thinkers' words, probes."""
    mine = {w.lower() for p in plan.earlier + plan.held_out for w in p.words}
    candidates = [(f"What did you say in {gap}?", _content_words(gap)) for gap in gaps]
    candidates += [(f"What is your view on {word}?", {word.lower()}) for word in _foreign_words(store, mine, others)]
    candidates += [(question, set(subject)) for question, subject in PROBES]
    for question, subject in candidates:
        if len(plan.limits) == count:
            break
        if question not in plan.limits and not subject & mine:
            plan.limits.append(question)


def _foreign_words(store: Workspace, mine: set[str], others: list[str], per_thinker: int = 2) -> list[str]:
    """Signature words of other thinkers that none of the thinker's passages uses (``mine``: their words)."""
    found = []
    for other in others:
        words = signature_vocabulary(own_passages(store, other), {other})
        found += [w.word for w in words if w.word.lower() not in mine][:per_thinker]
    return found


def _content_words(text: str) -> set[str]:
    """The words of ``text`` that name a subject: 5 letters or more, not generic."""
    return {w.lower().strip("?.,:;()") for w in text.split() if len(w.strip("?.,:;()")) >= 5} - GENERIC


GENERIC = frozenset(
    {"think", "about", "should", "would", "which", "recommend", "first", "season", "latest", "favourite"}
)


def _span(passages: list[OwnPassage]) -> dict[str, Any]:
    dates = [p.published_at for p in passages if p.published_at]
    return {
        "passages": len(passages),
        "documents": len({p.document_id for p in passages}),
        "first": min(dates, default=None),
        "last": max(dates, default=None),
    }
