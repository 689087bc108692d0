"""Framings: the explanatory figures a thinker reaches for, counted; mental models are the ones
that travel across topics.

A framing is a sentence of own words that explains one thing through another: an analogy ("X
is like Y", "think of X as Y", "X is basically a Y", "X is the new Y"), a named law, principle
or slogan ("Goodhart's law", "the bitter lesson"), or a term the thinker sets off in quotes
(“prompt injection”, "scale to zero"). Framings are grouped
by their *vehicle* (what the thing is compared to: "a lossy zip file", "an operating system")
or the law's name, and counted in documents and in topics. A vehicle that recurs in at least
``MIN_TOPICS`` topics passes the cross-domain test that guides to how a thinker thinks use:
it is a candidate mental model, and candidates are ordered by how many documents use them.

This module reads sentences only; it does not judge whether a framing is apt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .own import OwnPassage
from .prose import GAP, is_code, sentences
from .topics import STOP_WORDS

ARTICLE = r"(?:an?|the|your|my|our|this|some|one|kind of an?|sort of an?)"
VEHICLE = r"((?:[\w'-]+\s){0,3}[\w'-]+)"
ANALOGY = re.compile(
    r"\b(?:is|are|was|were|'s|'re|feels?|works?|acts?)\s+(?:just\s+|basically\s+|really\s+|a bit\s+|"
    r"kind of\s+|sort of\s+|much\s+|exactly\s+|more\s+)?like\s+" + ARTICLE + r"\s+" + VEHICLE,
    re.IGNORECASE,
)
THINK_OF = re.compile(
    r"\b(?:think of|thought of|think about|view|see|treat|imagine)\s+(?:it|them|this|that|[\w'-]+(?:\s[\w'-]+){0,3})"
    r"\s+as\s+" + ARTICLE + r"\s+" + VEHICLE,
    re.IGNORECASE,
)
IS_A = re.compile(
    r"\b(?:is|are|'s|'re)\s+(?:just|basically|essentially|really|effectively|literally|fundamentally|ultimately|"
    r"nothing but|nothing more than|simply)\s+" + ARTICLE + r"\s+" + VEHICLE,
    re.IGNORECASE,
)
NEW_Y = re.compile(r"\b(?!(?:this|that|it|which|here|there)\b)[A-Za-z][\w-]+\s+(?:is|are)\s+the new\s+" + VEHICLE, re.I)
LAW = re.compile(
    r"\b((?:[A-Z][\w-]+(?:'s)?\s){1,3}(?:[Ll]aw|[Pp]rinciple|[Pp]aradox|[Ff]allacy|[Ee]ffect|[Rr]azor|[Ll]esson|"
    r"[Tt]rap|[Tt]est))\b|\b(the (?:bitter|hard|sweet|first|second|third) lesson|law of [\w\s]{3,30}?)\b"
)
# A coined or borrowed term set off in quotes (“prompt injection”, "scale to zero")
# (two to four words, lower case: a capitalised one is a UI label or a title; never a command)
COINED = re.compile(r'["“]([a-z][a-z\'-]*(?: [A-Za-z][A-Za-z\'-]*){1,3})["”]')
PATTERNS = {"analogy": ANALOGY, "think of": THINK_OF, "is a": IS_A, "the new": NEW_Y}
# vehicles that are idiom or filler, not an explanation ("like a charm", "like this")
IDIOMS = frozenset(
    """charm result whole example way thing bit lot number couple few kind sort part one reminder side note
    total sense matter fact while time day week year person guy little bunch single simple good nice small
    big huge long short quick same different similar normal regular typical standard general real old
    new code version list set sum value copy function number string""".split()
)
MIN_DOCUMENTS = 2
MIN_TOPICS = 2
EXAMPLES = 3


@dataclass
class Framing:
    """One vehicle or law, with the documents, topics and passages that use it."""

    key: str
    kind: str
    documents: set[str] = field(default_factory=set)
    topics: set[int] = field(default_factory=set)
    examples: list[tuple[OwnPassage, str]] = field(default_factory=list)

    @property
    def mental_model(self) -> bool:
        return len(self.topics) >= MIN_TOPICS and len(self.documents) >= MIN_DOCUMENTS

    def as_dict(self) -> dict[str, Any]:
        return {
            "framing": self.key,
            "kind": self.kind,
            "documents": len(self.documents),
            "topics": sorted(self.topics),
            "mental_model": self.mental_model,
            "examples": [p.as_example() | {"sentence": s} for p, s in self.examples],
        }


def find_framings(passages: list[OwnPassage], assignment: list[int]) -> list[Framing]:
    """Framings used in at least ``MIN_DOCUMENTS`` documents: mental-model candidates first,
    then by documents, topics and name."""
    found: dict[str, Framing] = {}
    for passage, topic in zip(passages, assignment, strict=True):
        for kind, key, sentence in framings_in(passage.text):
            framing = found.setdefault(key, Framing(key, kind))
            framing.topics.add(topic)
            if passage.document_id not in framing.documents:
                framing.documents.add(passage.document_id)
                if len(framing.examples) < EXAMPLES:
                    framing.examples.append((passage, sentence))
    recurring = [f for f in found.values() if len(f.documents) >= MIN_DOCUMENTS]
    return sorted(recurring, key=lambda f: (not f.mental_model, -len(f.documents), -len(f.topics), f.key))


def framings_in(text: str) -> list[tuple[str, str, str]]:
    """(kind, key, sentence) for each framing in ``text``."""
    out: list[tuple[str, str, str]] = []
    for sentence in sentences(text):
        if sentence.endswith("?") or GAP.strip() in sentence:
            continue
        for kind, pattern in PATTERNS.items():
            for m in pattern.finditer(sentence):
                key = vehicle(m.group(m.lastindex or 1), single=kind != "is a")
                if key:
                    out.append((kind, key, sentence))
        for m in COINED.finditer(sentence):
            term = " ".join(m.group(1).lower().split())
            if any(w not in STOP_WORDS for w in term.split()) and not is_code(term):
                out.append(("coined", term, sentence))
        for m in LAW.finditer(sentence):
            name = " ".join((m.group(1) or m.group(2)).lower().split())
            if name.split()[0] not in STOP_WORDS or name.startswith("the ") and " lesson" in name:
                out.append(("law", name, sentence))
    return out


def vehicle(words: str, *, single: bool = True) -> str | None:
    """The compared-to phrase cut at its first stop word: 'lossy zip file of the' → 'lossy zip file'."""
    kept: list[str] = []
    for word in words.lower().split():
        if word in STOP_WORDS and kept:
            break
        if word not in STOP_WORDS:
            kept.append(word)
    if not kept or kept[-1] in IDIOMS or len(kept[-1]) < 3 or (len(kept) == 1 and not single):
        return None
    return " ".join(kept)
