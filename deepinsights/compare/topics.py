"""Topics of two thinkers measured together: which both cover, which only one does, who came first.

Both sides' own-word passages are clustered **jointly** by the chain's topic model
(``distill.topics.find_topics`` on the union, with the workspace's vectors), so a topic is the
same cluster for both and the sides can be compared on it. Per topic and side: passages,
documents, the share of the side's passages it holds, the first dated passage, and the side's
passage nearest the topic's centre (so the two shown side by side speak to the same thing).

A side **covers** a topic when it has at least ``MIN_DOCUMENTS`` documents there and the topic
holds at least ``COVER_SHARE`` of an even share (1/topics) of the side's passages. A topic
both cover is *shared*; one only A covers is A's *extension* beyond B (the seed's "where your
framework extends beyond his"), and the other way round. For a shared topic, who reached it
first is the side with the earlier first dated passage there, with the lead in days, marked
when it falls before the other side's corpus even begins (then the lead says more about what was
imported than about who got there first).

This module does not cluster or label (``distill.topics`` does) and reads no store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from ..distill.own import OwnPassage
from ..distill.topics import Topic, TopicModel
from ..distill.vectors import Matrix

MIN_DOCUMENTS = 3
COVER_SHARE = 0.25
NEAREST = 3


@dataclass
class SideInTopic:
    """One side's part of a joint topic."""

    passages: int = 0
    documents: int = 0
    share: float = 0.0
    first: OwnPassage | None = None
    nearest: list[OwnPassage] = field(default_factory=list)  # nearest the topic's centre, one per document
    by_year: dict[str, int] = field(default_factory=dict)

    @property
    def representative(self) -> OwnPassage | None:
        """The side's most representative passage of the topic: the one nearest its centre."""
        return self.nearest[0] if self.nearest else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "passages": self.passages,
            "documents": self.documents,
            "share": round(self.share, 4),
            "first": self.first.as_example() if self.first else None,
            "representative": self.representative.as_example(600) if self.representative else None,
            "by_year": self.by_year,
        }


@dataclass
class JointTopic:
    """A topic of the joint clustering with both sides' parts and what that makes of it."""

    number: int
    label: str
    phrases: list[str]
    a: SideInTopic
    b: SideInTopic
    coverage: str  # "both", "a", "b" or "neither" (too small on both sides)
    first: str | None = None  # "a", "b", or None (same day or undated)
    lead_days: int | None = None
    before_other_corpus: bool = False  # the first side wrote on it before the other's corpus even begins

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "label": self.label,
            "phrases": self.phrases,
            "coverage": self.coverage,
            "first": self.first,
            "lead_days": self.lead_days,
            "before_other_corpus": self.before_other_corpus,
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
        }


def joint_topics(model: TopicModel, passages: list[OwnPassage], sides: list[str], vectors: Matrix) -> list[JointTopic]:
    """The joint topics, both sides' parts measured; ``sides[i]`` is "a" or "b" for ``passages[i]``."""
    totals = {side: max(1, sides.count(side)) for side in ("a", "b")}
    starts = {side: min((p.published_at for p, s in zip(passages, sides, strict=True) if s == side and p.published_at),
                        default=None) for side in ("a", "b")}  # fmt: skip
    even = 1 / max(1, len(model.topics))
    by_topic: dict[int, list[int]] = {}
    for i, number in enumerate(model.assignment):
        by_topic.setdefault(number, []).append(i)
    found = []
    for topic in model.topics:
        members = by_topic.get(topic.number, [])
        centre = vectors[members].mean(axis=0) if members else None
        parts = {
            side: _side(passages, vectors, [i for i in members if sides[i] == side], totals[side], centre)
            for side in ("a", "b")
        }
        found.append(_joint(topic, parts["a"], parts["b"], even, starts))
    return found


def _side(passages: list[OwnPassage], vectors: Matrix, members: list[int], total: int, centre: Any) -> SideInTopic:
    if not members:
        return SideInTopic()
    dated = [passages[i] for i in members if passages[i].published_at]
    order = np.argsort(-(vectors[members] @ centre), kind="stable")
    by_year: dict[str, int] = {}
    for p in dated:
        by_year[p.published_at[:4]] = by_year.get(p.published_at[:4], 0) + 1  # type: ignore[index]
    return SideInTopic(
        passages=len(members),
        documents=len({passages[i].document_id for i in members}),
        share=len(members) / total,
        first=min(dated, key=lambda p: p.published_at or "") if dated else None,
        nearest=_per_document([passages[members[int(j)]] for j in order[: NEAREST * 20]], NEAREST),
        by_year=dict(sorted(by_year.items())),
    )


def _joint(topic: Topic, a: SideInTopic, b: SideInTopic, even: float, starts: dict[str, str | None]) -> JointTopic:
    covers = {side: part.documents >= MIN_DOCUMENTS and part.share >= COVER_SHARE * even for side, part in
              (("a", a), ("b", b))}  # fmt: skip
    coverage = "both" if all(covers.values()) else "a" if covers["a"] else "b" if covers["b"] else "neither"
    joint = JointTopic(topic.number, topic.label, topic.phrases, a, b, coverage)
    if coverage == "both" and a.first and b.first:
        days = (_day(b.first) - _day(a.first)).days
        joint.first, joint.lead_days = ("a" if days > 0 else "b" if days < 0 else None), abs(days)
        if joint.first:
            other = starts["b" if joint.first == "a" else "a"] or ""
            first = (a if joint.first == "a" else b).first
            joint.before_other_corpus = bool(first and (first.published_at or "")[:10] < other[:10])
    return joint


def _per_document(passages: list[OwnPassage], limit: int) -> list[OwnPassage]:
    chosen: dict[str, OwnPassage] = {}
    for p in passages:
        chosen.setdefault(p.document_id, p)
        if len(chosen) == limit:
            break
    return list(chosen.values())


def _day(passage: OwnPassage) -> date:
    return date.fromisoformat((passage.published_at or "")[:10])
