"""Framings: the explanatory figures a thinker reaches for, counted; mental models are the ones
that travel across topics.

A framing is a sentence of own words that explains one thing through another: an analogy ("X
is like Y", "think of X as Y", "X is basically a Y", "X is the new Y."), a named law, principle
or slogan ("Goodhart's law", "the bitter lesson"), or a term the thinker names right after a
first-person naming cue ("I coined the term prompt injection", "what I call HTML tools").
Figures are grouped by their *vehicle* (what the thing is compared to), by its head noun in the
singular ("a little lego block" with "building blocks"); laws and terms by their name. A named
term, and a figure set up in two documents, also count every document that uses the wording
(a repeated metaphor). A framing recurs in ``MIN_DOCUMENTS`` documents; one in
``MODEL_DOCUMENTS`` documents and ``MIN_TOPICS`` topics passes the cross-domain test that guides
to how a thinker thinks use: it is a candidate mental model, ordered by documents.

This module reads sentences only; it does not judge whether a framing is apt.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from wordfreq import zipf_frequency

from .own import OwnPassage
from .prose import GAP, is_code, is_unpunctuated, sentences
from .topics import STOP_WORDS

# Hedges and fillers between the cue and the vehicle ("kind of like a", "as um a")
HEDGE = (
    r"(?:(?:just|basically|really|a bit|(?:a )?kind of|(?:a )?sort of|roughly|much|exactly|more|almost|"
    r"a little|um|uh|like)\s+)*"
)
ARTICLE = r"(?:(?:an?|the|your|my|our|this|some|one|these|those)\s+)?"
VEHICLE = r"[\"“]?((?:[\w'-]+\s){0,3}[\w'-]+)"
LIKE = r"\b(?:is|are|was|were|'s|'re|feels?|works?|acts?|behaves?)\s+"
ANALOGY = re.compile(LIKE + HEDGE + r"like\s+" + ARTICLE + VEHICLE, re.IGNORECASE)
# In speech "kind of like the …" hedges a description ("this is kind of like a little staging
# area"): only a plain "is like a …" compares
SPOKEN_ANALOGY = re.compile(LIKE + r"like\s+(?:an?|the)\s+" + VEHICLE, re.IGNORECASE)
THINK_OF = re.compile(
    r"\b(?:think of|thought of|think about|view|treat|imagine|interpret|picture)\s+"
    r"(?:it|them|this|that|these|those|[\w'-]+(?:\s[\w'-]+){0,3})\s+as\s+"
    + HEDGE
    + ARTICLE
    + VEHICLE
    + r"|\b(?:can|could|should|might) be (?:thought of|seen|viewed|interpreted|understood) as\s+"
    + HEDGE
    + ARTICLE
    + VEHICLE
    + r"|\b(?:analogous to|akin to|the equivalent of|a metaphor for|an analogy (?:to|for|with))\s+"
    + ARTICLE
    + VEHICLE,
    re.IGNORECASE,
)
IS_A = re.compile(
    r"\b(?:is|are|'s|'re)\s+(?:just|basically|essentially|really|effectively|literally|fundamentally|ultimately|"
    r"nothing but|nothing more than|simply)\s+" + HEDGE + r"(?:an?|the)\s+" + VEHICLE,
    re.IGNORECASE,
)
# "X is the new Y" ends its clause; "LiteFS is the new replication tool from Fly" is news
NEW_Y = re.compile(
    r"\b(?!(?:this|that|it|which|here|there)\b)[A-Za-z][\w-]+\s+(?:is|are)\s+the new\s+"
    + VEHICLE
    + r"(?=\s*(?:[.,;:!)]|$))",
    re.IGNORECASE,
)
LAW = re.compile(
    r"\b((?:[A-Z][\w-]+(?:'s)?\s){1,3}(?:[Ll]aw|[Pp]rinciple|[Pp]aradox|[Ff]allacy|[Ee]ffect|[Rr]azor|[Ll]esson|"
    r"[Tt]rap|[Tt]est))\b|\b(the (?:bitter|hard|sweet|first|second|third) lesson|law of [\w\s]{3,30}?)\b"
)
# A term the thinker names, right after a first-person naming cue ('I coined the term prompt
# injection', 'what I call HTML tools', 'which I've been calling "callback APIs"', 'I call it my
# weird intern'): a quoted string without one is as likely a command, a literal, a label on a
# screen ("hello world", "attach database") or someone else's term of art ("web hooks").
NAMED_AFTER = re.compile(
    r"(?:\bi(?:'ve| have)? (?:coined|came up with|invented) (?:the |a )?(?:term|phrase|name)"
    r"|\bi(?:'m| am) coining (?:the |a )?(?:term|phrase|name)|\bi (?:use|prefer) the (?:term|phrase|name)"
    r"|\b(?:what|which) i(?:'ve been| have been| like to| would|'d)? call(?:ing)?"
    r"|\bi(?:'ve| have) (?:been|started|taken to) calling(?: it| this| these| them)?"
    r"|\bi(?:'m| am) calling (?:it|this|these|them)"
    r"|\bi call (?:it|this|these|them))"
    r"\s+(?:(?:my|our|the|a|an)\s+)?([\"“]?\w[\w'’-]*(?:\s\w[\w'’-]*){0,3})",
    re.IGNORECASE,
)
# Beside a named term, the words of a literal: something typed, run, clicked or printed
LITERAL = re.compile(
    r"\b(?:click(?:ed|ing)?|type[ds]?|typing|run(?:ning)?|enter(?:ed)?|press(?:ed)?|button|menu|command|option|"
    r"flag|string|prints?|printed|outputs?|returns?|query|queries|search(?:ed|ing)? for|label(?:led)?|message|"
    r"error|tab|field|header|prompt(?:ed)? (?:it )?with|titled|headline)\b",
    re.IGNORECASE,
)
IDIOM_CALL = re.compile(r"\bthat's what i call\b|\bi call(?:ed)? (?:it|this) (?:on|from|with|in)\b", re.IGNORECASE)
TERM_ZIPF = 4.0  # a one-word name this common in English ("function", "beats") names nothing new
PATTERNS = {"analogy": ANALOGY, "think of": THINK_OF, "is a": IS_A, "the new": NEW_Y}
SPOKEN_PATTERNS = {"analogy": SPOKEN_ANALOGY, "think of": THINK_OF}
# vehicles that are idiom or filler, not an explanation ("like a charm", "like this")
IDIOMS = frozenset(
    """charm result whole example way thing bit lot number couple few kind sort part one reminder side note
    total sense matter fact while time day week year person guy little bunch single simple good nice small
    big huge long short quick same different similar normal regular typical standard general real old
    new code version list set sum value copy function number string um uh like lot lots stuff things
    something anything everything this that these those it them here there what which solution answer
    approach idea problem option choice improvement mistake step place start win case""".split()
)
QUANTITY = re.compile(r"\d|(?:hundred|thousand|million|billion|trillion|dozen|couple|few|several)s?$", re.I)
MIN_DOCUMENTS = 2  # a framing recurs: two own-word documents
MODEL_DOCUMENTS = 3  # a mental model recurs in three documents …
MIN_TOPICS = 2  # … and two topics (the cross-domain test)
EXAMPLES = 3


@dataclass
class Framing:
    """One vehicle (grouped by its head noun), law or named term, with the documents, topics and
    passages that use it; ``key`` is its most used wording."""

    key: str
    kind: str
    documents: set[str] = field(default_factory=set)
    topics: set[int] = field(default_factory=set)
    examples: list[tuple[OwnPassage, str]] = field(default_factory=list)
    wordings: Counter[str] = field(default_factory=Counter)

    @property
    def mental_model(self) -> bool:
        return len(self.topics) >= MIN_TOPICS and len(self.documents) >= MODEL_DOCUMENTS

    def as_dict(self) -> dict[str, Any]:
        return {
            "framing": self.key,
            "kind": self.kind,
            "wordings": [w for w, _ in self.wordings.most_common(5)],
            "documents": len(self.documents),
            "topics": sorted(self.topics),
            "mental_model": self.mental_model,
            "examples": [p.as_example() | {"sentence": s} for p, s in self.examples],
        }


def find_framings(passages: list[OwnPassage], assignment: list[int]) -> list[Framing]:
    """Framings used in at least ``MIN_DOCUMENTS`` documents: mental-model candidates first,
    then by documents, topics and name."""
    found: dict[tuple[str, str], Framing] = {}
    for passage, topic in zip(passages, assignment, strict=True):
        for kind, key, sentence in framings_in(passage.text):
            group = (kind if kind in ("law", "coined") else "figure", _head(kind, key))
            framing = found.setdefault(group, Framing(key, kind))
            framing.wordings[key] += 1
            _add(framing, passage, topic, sentence)
    _usage([f for f in found.values() if _reused(f)], passages, assignment)
    recurring = [f for f in found.values() if len(f.documents) >= MIN_DOCUMENTS]
    for framing in recurring:
        framing.key = framing.wordings.most_common(1)[0][0]
    return sorted(recurring, key=lambda f: (not f.mental_model, -len(f.documents), -len(f.topics), f.key))


def _add(framing: Framing, passage: OwnPassage, topic: int, sentence: str) -> None:
    framing.topics.add(topic)
    if passage.document_id not in framing.documents:
        framing.documents.add(passage.document_id)
        if len(framing.examples) < EXAMPLES:
            framing.examples.append((passage, sentence))


def _head(kind: str, key: str) -> str:
    """Figures group by their head noun ('real-valued circuit' with 'circuit'); names stay whole."""
    return key.split()[-1] if kind in PATTERNS else key


def _reused(framing: Framing) -> bool:
    """A framing whose wording is counted wherever it is used, not only where it is set up: a
    named term, and a figure set up in two documents whose wording is two words or more (the
    "lego blocks" of a toolbox, once "think of each operation as a little lego block")."""
    return framing.kind == "coined" or (len(framing.documents) >= MIN_DOCUMENTS and framing.kind != "law")


def _usage(framings: list[Framing], passages: list[OwnPassage], assignment: list[int]) -> None:
    """Every own-word document and topic that uses a reused framing's wording (a plural too)
    counts for it, each use counts for its wording (the most used one names the framing), and
    the sentence is an example while there are fewer than ``EXAMPLES``."""
    wordings = {w: f for f in framings for w in f.wordings if f.kind == "coined" or " " in w}
    if not wordings:
        return
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(wordings, key=len, reverse=True))) + r")s?\b", re.I)
    for passage, topic in zip(passages, assignment, strict=True):
        if not pattern.search(passage.text):
            continue
        for sentence in sentences(passage.text):
            for m in pattern.finditer(sentence):
                if GAP.strip() not in sentence and not sentence.endswith("?"):
                    framing = wordings[m.group(1).lower()]
                    framing.wordings[m.group(1).lower()] += 1
                    _add(framing, passage, topic, sentence)


def framings_in(text: str) -> list[tuple[str, str, str]]:
    """(kind, key, sentence) for each framing in ``text``. In speech captions only "think of … as"
    and a plain "like a …" count (a lecture's "it's just a …" describes the code, "kind of like"
    hedges), and no named terms (a lecture names its variables: "which I call block size")."""
    out: list[tuple[str, str, str]] = []
    spoken = is_unpunctuated(text)
    patterns = SPOKEN_PATTERNS if spoken else PATTERNS
    for sentence in sentences(text):
        if sentence.endswith("?") or GAP.strip() in sentence:
            continue
        for kind, pattern in patterns.items():
            for m in pattern.finditer(sentence):
                key = vehicle(m.group(m.lastindex or 1), single=kind != "is a")
                if key:
                    out.append((kind, key, sentence))
        out += [] if spoken else _terms(sentence)
        for m in LAW.finditer(sentence):
            name = " ".join((m.group(1) or m.group(2)).lower().split())
            if name.split()[0] not in STOP_WORDS or name.startswith("the ") and " lesson" in name:
                out.append(("law", name, sentence))
    return out


def _terms(sentence: str) -> list[tuple[str, str, str]]:
    """Terms the thinker names right after a first-person naming cue ("I coined the term prompt
    injection", "what I call HTML tools"); none beside the words of typing, running or clicking
    (a literal, a command, a label on a screen)."""
    if LITERAL.search(sentence) or IDIOM_CALL.search(sentence):
        return []
    terms = (_leading_words(m.group(1).strip("\"“”'")) for m in NAMED_AFTER.finditer(sentence))
    return [("coined", term, sentence) for term in terms if term]


def _leading_words(raw: str) -> str | None:
    """A named term: its words up to the first stop word, lower case; None for a proper name
    (every word capitalised: a product, 'Datasette Cloud', not a framing), code, or one word
    too short or too common to be a coinage."""
    kept: list[str] = []
    for word in raw.split():
        if word.lower() in STOP_WORDS:
            break
        kept.append(word)
    if not kept or all(w[0].isupper() and not w.isupper() for w in kept):
        return None
    term = " ".join(kept).lower()
    if is_code(term) or not re.search(r"[a-z]{3}", term):
        return None
    return None if len(kept) == 1 and zipf_frequency(term, "en") >= TERM_ZIPF else term


def vehicle(words: str, *, single: bool = True) -> str | None:
    """The compared-to phrase cut at its first stop word, its last two words kept and the last
    made singular, so variants group: 'little lego blocks of the' → 'lego block'. None for an
    idiom, a quantity ('like a million examples') or a proper name ('the equivalent of Code
    Interpreter': a product, not a figure)."""
    kept: list[str] = []
    for word in words.split():
        if word.lower() in STOP_WORDS and kept:
            break
        if word.lower() not in STOP_WORDS:
            kept.append(word)
    if not kept or QUANTITY.match(kept[0]) or all(w[0].isupper() for w in kept):
        return None
    kept = [w.lower() for w in kept[-2:]]
    if kept[-1] in IDIOMS or len(kept[-1]) < 3 or (len(kept) == 1 and not single):
        return None
    return " ".join([*kept[:-1], singular(kept[-1])])


def singular(word: str) -> str:
    """'blocks' → 'block', 'examples' → 'example', 'boxes' → 'box', 'libraries' → 'library'."""
    if len(word) <= 3 or not word.endswith("s") or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-2] if word.endswith(("sses", "ches", "shes", "xes", "zes")) else word[:-1]
