"""The measured lineage and coverage of distill (all text, own words and others').

Everything here is counted from the stored corpus: deterministic, no model, no network.
Counts are documents (not passages) so that one long post mentioning a name ten times
counts once, the way "4 explicit references" is meant. Each finding keeps a few example
passages (document id, passage id, date, url) so a person can check it.

Topics, eras, framings, vocabulary and predictions read own words only (``findings.py``).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from wordfreq import zipf_frequency

from .. import ownwords
from ..models import Span
from ..store import Store

WORD = re.compile(r"[A-Za-z][A-Za-z0-9'+#.-]*[A-Za-z0-9+#]|[A-Za-z]")
HANDLE = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]{2,15})\b")
REPO = re.compile(r"github\.com/([A-Za-z0-9-]{1,39})/([A-Za-z0-9_.-]{1,100})")
# A single capitalised word in mid-sentence that everyday English does not use: a name or a
# work ("Factorio", "Tolkien", "Licklider"); checked against wordfreq in ``_single_names``.
SINGLE = re.compile(r"(?<=[a-z0-9,;:] )([A-Z][a-z]{3,20})\b")
RARE_ZIPF = 3.3
NAME = re.compile(r"\b([A-Z][a-z]{1,20}(?:\s+(?:van|de|von|Le|La)?\s*[A-Z][a-z]{1,20}){1,2})\b")
# Code-like project names: mixed case (nanoGPT, minGPT) or a C/C++ source name (llm.c, llama2.c)
PROJECT = re.compile(r"\b([a-z]+[A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*\.(?:c|cpp))\b")
CUES = {
    "credits": re.compile(r"\b(thanks to|credit|inspired by|shout ?out|h/t|hat tip|courtesy of)\b", re.I),
    "builds on": re.compile(r"\b(based on|builds? on|following|port of|fork of|on top of)\b", re.I),
    "disagrees": re.compile(r"\b(disagree|i don't think|wrong|not convinced|overrated)\b", re.I),
}

STOP = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below
    between both but by can could did do does doing down during each even few for from further get got had
    has have having he her here hers him his how i if in into is it its itself just like make many may me
    more most much must my no nor not now of off on once one only or other our out over own really same see
    she should so some such than that the their them then there these they this those through to too two
    under until up us use used using very was way we well were what when where which while who whom why will
    with would you your yours new also like get go going know lot think thing things want way one first time
    good right let actually okay ok so yeah we'll we're i'm it's that's don't there's you're can't let's
    here's i've i'd you've etc almost part bit end last look back come based example note still something
    anything everything nothing already always never often sometimes maybe perhaps quite rather pretty kind
    sort around across along another every either neither whether though although however therefore thus
    hence instead since yet three four five six seven eight nine ten next previous able basically simply
    simple exactly whole take takes took give gives gave put puts say says said tell told ask asked try
    tried trying need needs work works worked working makes made making see seen seeing look looks looked
    looking find found mean means meant call called come came comes start started long little big great
    small large many
    """.split()
)
NAME_STOP = frozenset(
    """
    The This That These Those There Here What When Where Which While Who Why How And But For From With Into
    Over Our Your His Her Its Their My We You It In On At As By If Of To Or So Then Now Also Once Just Let
    Note Yes No Okay Hello Thanks Please Today Monday Tuesday Wednesday Thursday Friday Saturday Sunday
    January February March April May June July August September October November December Figure Table
    Section Step
    """.split()
)


@dataclass
class Example:
    """A passage that supports a finding."""

    document_id: str
    passage_id: int
    published_at: str | None
    url: str | None
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "passage_id": self.passage_id,
            "published_at": self.published_at,
            "url": self.url,
            "text": self.text,
        }


@dataclass
class Mention:
    """A person, handle, repository or project the thinker mentions, with counts and dates."""

    name: str
    kind: str
    documents: set[str] = field(default_factory=set)
    by_year: Counter[str] = field(default_factory=Counter)
    relations: Counter[str] = field(default_factory=Counter)
    first: str | None = None
    last: str | None = None
    examples: list[Example] = field(default_factory=list)
    common_noun_documents: int = 0

    @property
    def count(self) -> int:
        return len(self.documents)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "by_year": dict(sorted(self.by_year.items())),
            "relations": dict(self.relations),
            "first": self.first,
            "last": self.last,
            "examples": [e.as_dict() for e in self.examples],
        }


@dataclass
class Row:
    """One stored passage with its document's metadata, as distill reads it.

    ``text`` is all of the passage; ``others`` the spans of it (offsets within the passage)
    that are not the thinker's own words (``ownwords``); ``own_text`` is ``text`` with those
    blanked, same length. Sections that describe the thinker read ``own_text``.
    """

    document_id: str
    passage_id: int
    kind: str
    published_at: str | None
    url: str | None
    text: str
    others: tuple[Span, ...] = ()
    own: float = 1.0

    @cached_property
    def own_text(self) -> str:
        return ownwords.own_text(self.text, self.others)


def rows(store: Store, thinker: str, since: str | None = None, until: str | None = None) -> Iterator[Row]:
    """Every passage of ``thinker`` (in date order), optionally within [since, until]."""
    sql = (
        "SELECT d.id, p.id, d.kind, d.published_at, coalesce(p.url, d.url), p.text, p.own, d.others, "
        'p.start, p."end" FROM passages p JOIN documents d ON d.id = p.document_id WHERE d.thinker = ?'
    )
    params: list[Any] = [thinker]
    if since:
        sql, params = sql + " AND d.published_at >= ?", [*params, since]
    if until:
        sql, params = sql + " AND d.published_at < ?", [*params, until + "~"]
    # subtle: NULLS FIRST is SQLite's default order and must be said to PostgreSQL (NULLS LAST there)
    for doc, passage, kind, published, url, text, own, others, start, end in store.stream(
        sql + " ORDER BY d.published_at NULLS FIRST, d.id, p.ordinal", params
    ):
        spans = ownwords.within(ownwords.loads(others), start, end) if others else ()
        yield Row(doc, passage, kind, published, url, text, spans, own)


@dataclass
class OwnWordsTally:
    """How much of the corpus is the thinker's own words, and what the rest is (characters per reason)."""

    passages: int = 0
    wholly_own: int = 0
    no_own: int = 0
    others_chars: Counter[str] = field(default_factory=Counter)

    def add(self, row: Row) -> None:
        self.passages += 1
        self.wholly_own += row.own >= 1.0
        self.no_own += row.own <= 0.0
        self.others_chars.update(ownwords.reasons_in(row.others))

    def as_dict(self) -> dict[str, Any]:
        return {
            "passages": self.passages,
            "wholly_own": self.wholly_own,
            "partly_own": self.passages - self.wholly_own - self.no_own,
            "no_own_words": self.no_own,
            "others_characters_by_reason": dict(self.others_chars.most_common()),
        }


class LineageCounter:
    """Collects mentions from passages; ``ranked()`` returns those seen in enough documents."""

    def __init__(
        self,
        own_handles: set[str] | None = None,
        projects: set[str] | None = None,
        examples: int = 3,
        own_names: set[str] | None = None,
    ) -> None:
        self.mentions: dict[tuple[str, str], Mention] = {}
        self.own = {h.lower().lstrip("@") for h in own_handles or set()}
        # the thinker's own name is not their lineage ("Simon Willison" in his own corpus)
        self.own_words = {word.lower() for name in own_names or set() for word in name.split()}
        self.max_examples = examples
        self.projects = {p for p in projects or set() if len(p) >= 4}
        self._project_pattern = (
            re.compile(r"\b(" + "|".join(sorted(map(re.escape, self.projects), key=len, reverse=True)) + r")\b", re.I)
            if self.projects
            else None
        )
        self._canonical = {p.lower(): p for p in self.projects}
        self._longer: dict[str, list[Mention]] | None = None

    def add(self, row: Row) -> None:
        found: dict[tuple[str, str], None] = {}
        for handle in HANDLE.findall(row.text):
            if handle.lower() not in self.own:
                found[("handle", "@" + handle.lower())] = None
        for owner, repo in REPO.findall(row.text):
            found[("repository", f"{owner}/{repo.removesuffix('.git').rstrip('.')}".lower())] = None
        common = []
        for name in NAME.findall(row.text):
            words = name.split()
            if words[0] not in NAME_STOP and words[-1] not in NAME_STOP and not self._own(words):
                found[("person or work", " ".join(words))] = None
                # subtle: "Deep Learning" also written "deep learning" is a topic, not a name
                if " ".join(words).lower() in row.text:
                    common.append(("person or work", " ".join(words)))
        for name in _single_names(row.text):
            # subtle: "Dropout" also written "dropout" is a common noun starting a heading
            if name.lower() not in row.text and not self._own([name]):
                found[("person or work", name)] = None
        for project in PROJECT.findall(row.text):
            found[("project", self._canonical.get(project.lower(), project))] = None
        if self._project_pattern is not None:
            for project in self._project_pattern.findall(row.text):
                found[("project", self._canonical[project.lower()])] = None
        for key in found:
            self._count(key, row)
        for key in common:
            self.mentions[key].common_noun_documents += 1

    def _own(self, words: list[str]) -> bool:
        """True for the thinker's own name or part of it ("Karpathy", "Andrej Karpathy")."""
        return bool(self.own_words) and all(word.lower() in self.own_words for word in words)

    def _count(self, key: tuple[str, str], row: Row) -> None:
        mention = self.mentions.get(key)
        if mention is None:
            mention = self.mentions[key] = Mention(name=key[1], kind=key[0])
        if row.document_id in mention.documents:
            return
        mention.documents.add(row.document_id)
        mention.by_year[row.published_at[:4] if row.published_at else "undated"] += 1
        if row.published_at:
            mention.first = min(filter(None, [mention.first, row.published_at]))
            mention.last = max(filter(None, [mention.last, row.published_at]))
        for relation, cue in CUES.items():
            if cue.search(row.text):
                mention.relations[relation] += 1
        if len(mention.examples) < self.max_examples:
            mention.examples.append(_example(row, key[1]))

    def ranked(self, min_documents: int = 2, limit: int = 60) -> list[Mention]:
        keep = [
            m
            for m in self.mentions.values()
            if m.count >= min_documents and not (m.kind == "person or work" and m.common_noun_documents)
        ]
        keep = [m for m in keep if not self._inside_longer_name(m)]
        return sorted(keep, key=lambda m: (-m.count, m.first or "9999", m.name))[:limit]

    def _inside_longer_name(self, mention: Mention) -> bool:
        """'Coates' is 'Adam Coates' when every document naming Coates names Adam Coates."""
        if mention.kind != "person or work" or " " in mention.name:
            return False
        if self._longer is None:
            self._longer = defaultdict(list)
            for (kind, name), other in self.mentions.items():
                if kind == "person or work" and " " in name:
                    for word in name.split():
                        self._longer[word].append(other)
        return any(mention.documents <= other.documents for other in self._longer.get(mention.name, []))


def _single_names(text: str) -> set[str]:
    """One-word names mid-sentence, rarer than RARE_ZIPF in everyday English."""
    return {w for w in SINGLE.findall(text) if w not in NAME_STOP and zipf_frequency(w.lower(), "en") < RARE_ZIPF}


def _example(row: Row, needle: str) -> Example:
    at = row.text.lower().find(needle.lower().lstrip("@"))
    start = max(0, at - 120) if at >= 0 else 0
    return Example(row.document_id, row.passage_id, row.published_at, row.url, row.text[start : start + 300])


def coverage(store: Store, thinker: str) -> dict[str, Any]:
    """Items per kind and per month, and the months with nothing between the first and the last."""
    months = [
        r["month"]
        for r in store.rows(
            "SELECT DISTINCT substr(published_at, 1, 7) AS month FROM documents "
            "WHERE thinker = ? AND published_at IS NOT NULL ORDER BY month",
            [thinker],
        )
    ]
    holes = [m for m in _month_range(months[0], months[-1]) if m not in set(months)] if months else []
    undated = store.rows("SELECT count(*) AS n FROM documents WHERE thinker = ? AND published_at IS NULL", [thinker])
    return {
        "by_kind": store.stats(thinker),
        "months_with_items": len(months),
        "empty_months": holes,
        "undated_items": undated[0]["n"],
    }


def _month_range(first: str, last: str) -> list[str]:
    year, month = int(first[:4]), int(first[5:7])
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def own_projects(store: Store, thinker: str) -> set[str]:
    """Names of the thinker's own projects: the folders their READMEs were imported from and
    the repositories of theirs they link to (``github.com/<handle>/<repo>``)."""
    names: set[str] = set()
    for row in store.rows("SELECT source_id FROM documents WHERE thinker = ? AND kind = 'readme'", [thinker]):
        parts = str(row["source_id"]).split("/")
        if len(parts) >= 2:
            names.add(parts[-2])
    generic = {"projects", "project", "doc", "docs", "dev", "src", "data", "examples", "test", "tests", "scripts"}
    return {n for n in names if n.lower() not in STOP | generic and not n.startswith((".", "_"))}
