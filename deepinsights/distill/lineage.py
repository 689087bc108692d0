"""Lineage: the people and works a thinker draws on, told apart from organisations, products, places and concepts.

One pass over the passages (``LineageCollector.add``) gathers every reference (``references``)
and the link-blog credit fields; ``finish()`` then:

1. keeps the surfaces seen in at least ``MIN_DOCUMENTS`` documents, at most ``NER_SURFACES``
   of them, and asks the offline NER model (``ner``) what each is in up to ``CONTEXTS`` of the
   sentences it occurs in (bounded work, whatever the corpus size);
2. types each: the NER vote, corrected by the patterns (a citation is a work; "X's blog" is
   X's; a handle is a person unless it reads like a brand; a name also written in lower case is
   a concept; code-like names and repositories are projects);
3. merges the names of one person: "Ilya" and "Sutskever" into the one "Ilya Sutskever" they can
   only mean, ``@ilyasut`` when the handle is built from the name (or the corpus pairs them:
   "Name (@handle)", a credit titled with the name whose link is the account or the blog), a
   blog's host into the person its credits name ("ongoing" and "Tim Bray" on tbray.org);
4. drops the thinker: their slug, names, handles and hosts, and whatever merges into them;
5. ranks people and works by relation-weighted documents (``WEIGHTS``: crediting, citing,
   building on and quoting someone count more than naming them), with counts per year and
   example passages; organisations, projects and products, places and concepts are ranked apart.

The thinker's own projects (the folders their READMEs came from, repositories under their
handle) form the *project lineage*, ordered by the first dated document that names each.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from wordfreq import zipf_frequency

from ..workspace import Workspace
from .measure import Example, Row, rows
from .ner import Votes, entity_types
from .projects import ProjectOrder, readme_projects
from .references import (
    NAME,
    Credit,
    Reference,
    credit_fields,
    host_alias,
    opens_sentence,
    references,
    sentence_at,
)

MIN_DOCUMENTS = 2
NER_SURFACES = 400
CONTEXTS = 3
OPENING_ZIPF = 4.0  # "Reading", "Digital": everyday words that open sentences
COMMON_ZIPF = 3.3  # a single capitalised word more common than this is a word, not a name ("Thanks", "Python")
WEIGHTS = {
    "credits": 3.0,
    "cites": 3.0,
    "builds on": 3.0,
    "quotes": 2.0,
    "disagrees with": 2.0,
    "links to": 1.0,
    "mentions": 0.5,
}
LINEAGE_KINDS = ("person", "work")
SECTIONS = ("organisation", "project", "place", "concept")
_SITE_WORDS = re.compile(
    r"\b(?:news|blogs?|weblogs?|journal|radar|project|magazine|daily|times|post|digest|network|wiki|forums?|"
    r"community|review|podcast|reddit|hacker|slashdot|planet|group|labs?|inc|ltd|foundation|university|institute)\b",
    re.I,
)
_POSSESSIVE_BLOG = re.compile(r"^(.+?)['’]s\s+(?:blog|weblog|journal|site|links|linklog|notes)\b", re.I)
_BRAND_HANDLE = re.compile(r"[a-z][A-Z]|^[A-Z]{2,}|[0-9]{3,}")
_HOSTLIKE = re.compile(r"^[\w-]+(?:\.[\w-]+)+/?$")
# What is said around a name: people write, say and have blogs; things are used, installed and versioned.
PERSON_BEFORE = re.compile(
    r"\b(?:by|thanks to|according to|interview with|talk by|conversation with|h/t|hat tip to)\s+$", re.I
)
PERSON_AFTER = re.compile(
    r"^(?:['’]s\s+(?:blog|weblog|post|talk|essay|article|paper|book|newsletter|thread|tweets?|piece|write-?up|notes|"
    r"site|work|team|company|startup|podcast|keynote|lecture|course)\b|\s+(?:said|says|wrote|writes|thinks|argues|"
    r"argued|explains|explained|described|describes|tweeted|points out|pointed out|suggests|suggested|who|built|"
    r"created|talked|told|asked|replied|gave|presented|put it|puts it|agrees|agreed|would agree)\b|\s*\(@\w+\))",
    re.I,
)
THING_BEFORE = re.compile(
    r"\b(?:using|use|install|installed|installing|run|running|try|tried|upgrade to|the|a|an)\s+$", re.I
)
THING_AFTER = re.compile(
    r"^(?:\s+v?\d|\s+(?:version|plugin|plugins|app|apps|api|apis|extension|library|model|models|package|server|"
    r"release|beta|alpha|tool|cli|command|database|framework|feature|features|support|integration|users|instance|"
    r"account|engine|project|interface|ui|sdk)\b|['’]s\s+(?:api|new|latest|own)\b)",
    re.I,
)


@dataclass
class Surface:
    """Everything seen of one surface string before it is typed."""

    pattern: str
    documents: dict[str, str] = field(default_factory=dict)  # document -> strongest relation there
    dates: dict[str, str | None] = field(default_factory=dict)
    own: set[str] = field(default_factory=set)
    contexts: list[str] = field(default_factory=list)
    examples: list[Example] = field(default_factory=list)
    lowercase_documents: int = 0
    aliases: set[str] = field(default_factory=set)
    person_cues: int = 0
    thing_cues: int = 0
    mid_sentence: int = 0  # occurrences not opening a sentence, where capitals mean a name


@dataclass
class Entity:
    """A person, work, organisation, project, place or concept, with its references over time."""

    name: str
    kind: str
    documents: set[str] = field(default_factory=set)
    relations: Counter[str] = field(default_factory=Counter)
    by_year: Counter[str] = field(default_factory=Counter)
    own_documents: int = 0
    first: str | None = None
    last: str | None = None
    examples: list[Example] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)
    score: float = 0.0
    pattern: str = ""  # what found it: name, handle, credit, citation, project, repository

    @property
    def count(self) -> int:
        return len(self.documents)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "count": self.count,
            "score": round(self.score, 1),
            "relations": dict(self.relations.most_common()),
            "in_own_words": self.own_documents,
            "aliases": sorted(self.aliases - {self.name}),
            "by_year": dict(sorted(self.by_year.items())),
            "first": self.first,
            "last": self.last,
            "examples": [e.as_dict() for e in self.examples],
        }


@dataclass
class Lineage:
    """What ``finish`` found: the ranked lineage, the other typed sections, the project lineage."""

    people_and_works: list[Entity]
    sections: dict[str, list[Entity]]
    projects: list[Entity]

    def as_dict(self) -> dict[str, Any]:
        return {
            "lineage": [e.as_dict() for e in self.people_and_works],
            **{kind: [e.as_dict() for e in found] for kind, found in self.sections.items()},
            "project_lineage": [e.as_dict() for e in self.projects],
        }


def measure_lineage(
    store: Workspace, thinker: str, *, names: set[str] | None = None, handles: set[str] | None = None
) -> Lineage:
    """Typed lineage alone (what ``distill`` reports under ``lineage`` and beside it), in one pass."""
    collector = LineageCollector(thinker, names=names, handles=handles, readmes=readme_projects(store, thinker))
    for credit in credit_fields(store, thinker):
        collector.add_credit(credit)
    for row in rows(store, thinker):
        collector.add(row)
    return collector.finish()


class LineageCollector:
    """Feed it every passage (``add``) and the credit fields, then ``finish()``."""

    def __init__(
        self,
        thinker: str,
        *,
        names: set[str] | None = None,
        handles: set[str] | None = None,
        readmes: dict[str, str] | None = None,
        examples: int = 3,
    ) -> None:
        self.handles: set[str] = set()  # every handle seen, filled by finish()
        self.parts: set[str] = set()  # every word of a full name seen often enough, filled by finish()
        self.own = OwnIdentity(thinker, names or set(), handles or set())
        self.project_order = ProjectOrder(readmes or {})
        self.projects = {p.lower(): p for p in (readmes or {}).values() if len(p) >= 3}
        spelled = sorted(map(re.escape, self.projects), key=len, reverse=True)
        self.known = re.compile(r"(?<![\w/.-])(?:" + "|".join(spelled) + r")(?![\w-])", re.I) if spelled else None
        self.surfaces: dict[str, Surface] = {}
        self.max_examples = examples

    def add(self, row: Row) -> None:
        lowered: str | None = None
        found = list(references(row, self.known))
        self.project_order.add(row, found)
        for ref in found:
            surface = self._surface(ref)
            if surface is None:
                continue
            key = _key(ref)
            self._count(surface, row, ref, key)
            if ref.pattern == "name":
                lowered = lowered if lowered is not None else row.text
                if key.lower() in lowered:
                    surface.lowercase_documents += 1

    def add_credit(self, credit: Credit) -> None:
        """A link post's credit field: a reference of relation ``credits``, not in the thinker's words."""
        title = credit.title or (host_alias(credit.url) or "")
        if not title:
            return
        title = title.lower() if title.startswith("@") else title
        surface = self.surfaces.setdefault(title, Surface("credit"))
        surface.documents[credit.document_id] = "credits"  # the strongest relation there is
        surface.dates[credit.document_id] = credit.published_at
        alias = host_alias(credit.url)
        if alias and not self.own.owns_alias(alias):  # a comment on the thinker's own blog is not their blog
            surface.aliases.add(alias)

    def _surface(self, ref: Reference) -> Surface | None:
        key = _key(ref)
        if ref.pattern == "name" and " " not in key and zipf_frequency(key.lower(), "en") >= COMMON_ZIPF:
            return None  # a common word capitalised at a sentence start
        surface = self.surfaces.get(key)
        if surface is None:
            surface = self.surfaces[key] = Surface(ref.pattern)
        return surface

    def _count(self, surface: Surface, row: Row, ref: Reference, key: str) -> None:
        doc = row.document_id
        old = surface.documents.get(doc)
        if old is None or WEIGHTS[ref.relation] > WEIGHTS[old]:
            surface.documents[doc] = ref.relation
        surface.dates.setdefault(doc, row.published_at)
        if ref.own:
            surface.own.add(doc)
        if ref.pattern == "name":
            surface.mid_sentence += not opens_sentence(row.text, ref.start)
            if len(surface.contexts) < CONTEXTS:
                surface.contexts.append(sentence_at(row.text, ref.start, ref.end))
            before, after = row.text[max(0, ref.start - 30) : ref.start], row.text[ref.end : ref.end + 40]
            surface.person_cues += bool(PERSON_BEFORE.search(before) or PERSON_AFTER.search(after))
            surface.thing_cues += bool(THING_BEFORE.search(before) or THING_AFTER.search(after))
        if old is None and len(surface.examples) < self.max_examples:
            start = max(0, ref.start - 120)
            surface.examples.append(
                Example(doc, row.passage_id, row.published_at, row.url, row.text[start : start + 300])
            )

    def finish(self, limit: int = 60) -> Lineage:
        """Type, merge and rank everything collected (see the module docstring)."""
        self._drop_opening_words()
        candidates = {
            k: s for k, s in self.surfaces.items() if len(s.documents) >= MIN_DOCUMENTS or s.pattern == "credit"
        }
        self.parts = {p.lower() for k, s in candidates.items() if s.pattern == "name" and " " in k for p in k.split()}
        built = {h for k, s in candidates.items() if s.pattern == "name" and " " in k for h in handles_of(k)}
        for key, surface in self.surfaces.items():  # rare other names of someone named often: "Ilya", "@ilyasut"
            bare = key.lstrip("@").lower()
            if (surface.pattern == "handle" and bare in built) or (surface.pattern == "name" and bare in self.parts):
                candidates.setdefault(key, surface)
        credited = [k for k, s in candidates.items() if s.pattern == "credit"]  # few, and the strongest evidence
        named = sorted(
            (k for k, s in candidates.items() if s.pattern != "credit"),
            key=lambda k: (-len(candidates[k].documents), k),
        )
        ranked = credited + named[:NER_SURFACES]
        self.handles = {k.lstrip("@").split("@")[0] for k, s in self.surfaces.items() if s.pattern == "handle"}
        asked = {
            k: _contexts(k, candidates[k])
            for k in ranked
            if candidates[k].pattern == "name" or (candidates[k].pattern == "credit" and _may_name_someone(k))
        }
        votes = entity_types(asked)
        entities = [self._entity(k, candidates[k], votes.get(k, Votes())) for k in ranked]
        merged = merge(_same_names([e for e in entities if e is not None]), self.own)
        for entity in merged:
            entity.score = sum(WEIGHTS[r] * n for r, n in entity.relations.items())
        lineage = sorted((e for e in merged if e.kind in LINEAGE_KINDS), key=_rank)[:limit]
        sections = {kind: sorted((e for e in merged if e.kind == kind), key=_rank)[:30] for kind in SECTIONS}
        own = {e.name: e for e in merged if e.kind == "project" and e.name.lower() in self.projects}
        order = self.project_order.order({name: e.first for name, e in own.items()})
        return Lineage(lineage, sections, [own[name] for name in order if name in own])

    def _drop_opening_words(self) -> None:
        """ "Reading Tolkien", "Digital Factorio" (only ever opening a sentence, with an everyday first
        word) are "Tolkien" and "Factorio" when those occur on their own."""
        for key, surface in list(self.surfaces.items()):
            first, _, rest = key.partition(" ")
            if surface.pattern != "name" or not rest or surface.mid_sentence:
                continue
            target = self.surfaces.get(rest)
            if target is not None and target.pattern == "name" and zipf_frequency(first.lower(), "en") >= OPENING_ZIPF:
                for doc, relation in surface.documents.items():
                    target.documents.setdefault(doc, relation)
                    target.dates.setdefault(doc, surface.dates.get(doc))
                target.own |= surface.own
                del self.surfaces[key]

    def _entity(self, key: str, surface: Surface, votes: Votes) -> Entity | None:
        kind = self._kind(key, surface, votes)
        if kind is None:
            return None
        own_project = self.projects.get(key.split("/")[-1].lower() if surface.pattern == "repository" else key.lower())
        name = own_project if kind == "project" and own_project else key
        if surface.pattern == "credit" and kind == "person" and votes.people:
            found = votes.people.most_common(1)[0][0]  # "Leonard Lin" in "Leonard Lin on IM"
            name = found if found in key and len(found.split()) >= 2 else name
        if surface.pattern == "credit" and (possessor := _POSSESSIVE_BLOG.match(key)):
            name = possessor.group(1)  # "Jeremy Zawodny's blog"
        entity = Entity(name=name, kind=kind, aliases={key, *surface.aliases}, pattern=surface.pattern)
        for doc, relation in surface.documents.items():
            entity.documents.add(doc)
            entity.relations[relation] += 1
            _dated(entity, surface.dates.get(doc))
        entity.own_documents = len(surface.own)
        entity.examples = list(surface.examples)
        return entity

    def _kind(self, key: str, surface: Surface, found: Votes) -> str | None:
        """What the surface names, from the pattern that found it and the NER votes."""
        if surface.pattern == "citation":
            return "work"
        if surface.pattern in ("project", "repository"):
            return "project"
        if key.lower() in self.projects or key.split("/")[-1].lower() in self.projects:
            return "project"
        if surface.pattern == "handle":
            return "organisation" if _BRAND_HANDLE.search(key.lstrip("@")) else "person"
        if surface.pattern == "credit":
            kind = _credit_kind(key, found)
            return "person" if kind == "organisation" and _speaks(surface) and not _SITE_WORDS.search(key) else kind
        if surface.lowercase_documents:
            return "concept"  # "Deep Learning" also written "deep learning"
        named = Counter({k: n for k, n in found.types.items() if k != "none"})
        evidence = surface.person_cues + bool(self.handles & handles_of(key))  # @ilyasut for Ilya Sutskever
        if " " in key and looks_like_name(key) and evidence > surface.thing_cues and (evidence >= 2 or not named):
            return "person"  # "by Julia Evans", "X argued": the small model did not know the name
        if " " not in key and key.lower() in self.parts:
            return "maybe-person"  # "Ilya", "Lovelace": a person only if it is the one "Ilya Sutskever"
        if not named:
            return None
        kind = named.most_common(1)[0][0]
        if kind == "person" and " " not in key and zipf_frequency(key.lower(), "en") >= 2.5:
            return None  # a lone word the model took for a name ("Optimizer")
        if kind == "person" and not looks_like_name(key):
            return None  # the model's person, but not shaped like a name
        if kind in ("person", "work") and surface.thing_cues > surface.person_cues:
            return "project"  # "using Stable Diffusion", "Jython 2.2": a product the model took for a name
        return "project" if kind == "product" else kind


def _same_names(entities: list[Entity]) -> list[Entity]:
    """One entity per kind and name, whatever the case or pattern ("MetaFilter" and "Metafilter";
    the ``nanoGPT`` of the text and the one of ``github.com/karpathy/nanoGPT``)."""
    first: dict[tuple[str, str], Entity] = {}
    out = []
    for entity in entities:
        key = (entity.kind, entity.name.lower())
        if key in first:
            _fold(first[key], entity)
        else:
            first[key] = entity
            out.append(entity)
    return out


def _speaks(surface: Surface) -> bool:
    """Said of a person more than of a thing, at least twice: "by X", "X wrote", "X's blog"."""
    return surface.person_cues >= 2 and surface.person_cues > surface.thing_cues


def _key(ref: Reference) -> str:
    return ref.surface.lower() if ref.pattern in ("handle", "repository") else ref.surface


def _contexts(key: str, surface: Surface) -> list[str]:
    if surface.pattern == "credit":
        return [f"(via {key})"]  # of the templates tried, the one the small model types sites best in
    return surface.contexts or [key]


def _may_name_someone(title: str) -> bool:
    """A credit title worth asking the model about: not a handle, a host or a site's name, and holding
    two capitalised words in a row ("Tim Bray", "Leonard Lin on IM") or being a name itself ("Cal")."""
    if title.startswith("@") or _HOSTLIKE.match(title) or _SITE_WORDS.search(title):
        return False
    return looks_like_name(title) or bool(re.search(r"\b[A-Z][\w'’-]+ [A-Z][\w'’-]+", title))


def _credit_kind(title: str, found: Votes) -> str:
    """A credit field's title: a person's name, "X's blog", or a site."""
    if _POSSESSIVE_BLOG.match(title):
        return "person"
    if title.startswith("@"):
        return "organisation" if _BRAND_HANDLE.search(title[1:]) else "person"
    if _HOSTLIKE.match(title) or _SITE_WORDS.search(title):
        return "organisation"
    if found.types.get("person", 0) > 0 and (looks_like_name(title) or any(map(looks_like_name, found.people))):
        return "person"  # one word ("Cal", "Metafilter") stays a person only if it merges into a full name
    return "organisation"


def looks_like_name(text: str) -> bool:
    """One to three capitalised words, particles and initials besides: "Miguel de Icaza", not "Zell | Metafilter"
    or "Comment Spam Kills Sites"."""
    return bool(NAME.fullmatch(text)) and len([w for w in text.split() if w[:1].isupper() and len(w) > 2]) <= 3


def _dated(entity: Entity, published: str | None) -> None:
    entity.by_year[published[:4] if published else "undated"] += 1
    if published:
        entity.first = min(filter(None, [entity.first, published]))
        entity.last = max(filter(None, [entity.last, published]))


def _rank(entity: Entity) -> tuple[float, int, str]:
    return (-entity.score, -entity.count, entity.name)


# -- merging and the thinker's own names --------------------------------------------------------


class OwnIdentity:
    """The thinker's slug, names, handles and hosts: never their own lineage."""

    def __init__(self, thinker: str, names: set[str], handles: set[str]) -> None:
        spelled = " ".join(part.capitalize() for part in re.split(r"[-_. ]+", thinker) if part)
        self.names = {n for n in {*names, spelled} if n}
        self.words = {w.lower() for n in self.names for w in n.split() if len(w) >= 2}
        self.handles = {h.lower().lstrip("@") for h in {*handles, thinker.replace("-", "").replace("_", "")}}
        self.compact = {re.sub(r"\W", "", n.lower()) for n in self.names}

    def owns(self, entity: Entity) -> bool:
        return any(self.owns_alias(alias) for alias in entity.aliases | {entity.name})

    def owns_alias(self, alias: str) -> bool:
        """True for the thinker's name or part of it, their handles and accounts, and their sites' hosts."""
        low = alias.lower()
        if low.startswith("@"):
            handle, _, server = low[1:].partition("@")
            on_own_server = any(w in server for w in self.words if len(w) >= 5)
            return on_own_server or handle in self.handles or any(_handle_matches(handle, n) for n in self.names)
        if "." in low and " " not in low:  # a host: simonwillison.net, karpathy.github.io
            labels = low.split(".")
            return any(label in self.compact or label in self.handles for label in labels) or any(
                len(w) >= 5 and w in low for w in self.words
            )
        words = {w.lower() for w in alias.split()}
        return bool(words) and words <= self.words


def handles_of(name: str) -> set[str]:
    """The handles ``_handle_matches`` accepts for ``name`` (lower case, no @)."""
    parts = [p.lower() for p in re.findall(r"[^\W\d_]+", name)]
    if len(parts) < 2:
        return set()
    first, last = parts[0], parts[-1]
    made = {first + last[:k] for k in range(1, len(last) + 1)} if len(first) >= 3 else set()
    made |= {last, first + last, first[0] + last, last + first[0]} if len(last) >= 4 else set()
    return {h for h in made if len(h) >= 4}


def _handle_matches(handle: str, name: str) -> bool:
    """True when ``handle`` is built from ``name``: ilyasut / Ilya Sutskever, tbray / Tim Bray, karpathy."""
    return re.sub(r"[\W_\d]", "", handle.lower()) in handles_of(name)


def _host_matches(host: str, name: str) -> bool:
    """tbray.org / Tim Bray, nedbatchelder.com / Ned Batchelder, jacobian.org / Jacob Kaplan-Moss."""
    label = _host_label(host)
    return _handle_matches(label, name) or re.sub(r"\W", "", name.lower()) == label


def merge(entities: list[Entity], own: OwnIdentity) -> list[Entity]:
    """One entity per person (names, first names, surnames, handles, hosts folded in); none for the thinker.

    A host is evidence of authorship only where it is no publication (no credit there is titled
    like a site: "SitePoint Blogs") and only one person is credited on it; a credit titled with
    the host's own name ("Daring Fireball" on daringfireball.net) is that blog, not a second person.
    """
    publications = _publications(entities)
    site_named = {id(e) for e in entities if e.pattern == "credit" and _names_its_host(e)}
    people = [e for e in entities if e.kind == "person" and _full_name(e) and id(e) not in site_named]
    by_part: dict[str, list[Entity]] = defaultdict(list)
    for person in people:
        parts = person.name.split()
        by_part[parts[0].lower()].append(person)
        by_part[parts[-1].lower()].append(person)
    kept: list[Entity] = []
    for entity in entities:
        target = _merge_target(entity, people, by_part, publications, id(entity) in site_named)
        if target is not None:
            _fold(target, entity)
            continue
        if entity.kind == "person" and entity.pattern == "credit" and " " not in entity.name:
            entity.kind = "organisation" if not entity.name.startswith("@") else "person"  # "Metafilter": no one known
        if entity.kind != "maybe-person":  # a first name alone that is no one in particular
            kept.append(entity)
    return [e for e in kept if not own.owns(e)]


def _merge_target(
    entity: Entity, people: list[Entity], by_part: dict[str, list[Entity]], publications: set[str], site_named: bool
) -> Entity | None:
    """The one person ``entity`` is another name of, or None (none, or more than one, fits)."""
    if entity.kind not in ("person", "maybe-person", "organisation") or (
        entity.kind == "organisation" and _SITE_WORDS.search(entity.name)
    ):
        return None  # a publication ("O'Reilly Radar") is not the one person who once wrote there
    if entity.kind == "person" and _full_name(entity) and not site_named:
        return None  # a full name is a person of its own
    handles = [a.lower().lstrip("@") for a in entity.aliases if a.startswith("@")]
    hosts = [h for h in _hosts(entity) if h not in publications]
    found = {id(p): p for p in people for h in handles if _same_handle(h, p)}
    found |= {id(p): p for p in people for h in hosts if _host_matches(h, p.name) or h in _lower(p.aliases)}
    if entity.kind in ("person", "maybe-person") and " " not in entity.name and not entity.name.startswith("@"):
        found |= {id(p): p for p in by_part.get(entity.name.lower(), [])}
    found.pop(id(entity), None)
    if site_named and entity.kind == "person":  # "Daring Fireball" is Gruber's blog; "Ian Bicking" is Ian Bicking
        found = {k: p for k, p in found.items() if p.count >= entity.count}
    return next(iter(found.values())) if len(found) == 1 else None


def _publications(entities: list[Entity]) -> set[str]:
    """Hosts credited under a site's title ("SitePoint Blogs") that names none of the people credited
    there ("Keith Devens .com - Weblog" is Keith Devens's)."""
    named: dict[str, set[str]] = defaultdict(set)
    for e in entities:
        if e.kind == "person" and _full_name(e):
            for host in _hosts(e):
                named[host].add(e.name.lower())
    return {
        host
        for e in entities
        if e.pattern == "credit" and e.kind != "person" and _SITE_WORDS.search(e.name)
        for host in _hosts(e)
        if not any(name in e.name.lower() for name in named[host])
    }


def _full_name(entity: Entity) -> bool:
    return len(entity.name.split()) >= 2 and not entity.name.startswith("@")


def _hosts(entity: Entity) -> list[str]:
    return [a.lower() for a in entity.aliases if "." in a and " " not in a and not a.startswith("@")]


def _names_its_host(entity: Entity) -> bool:
    """ "Daring Fireball" credited with a link on daringfireball.net: the blog's name, not a person's."""
    compact = re.sub(r"\W", "", entity.name.lower())
    return any(compact == _host_label(h) for h in _hosts(entity))


def _host_label(host: str) -> str:
    parts = host.split(".")
    return parts[1] if parts[0] in ("blog", "www", "weblog") and len(parts) > 2 else parts[0]


def _same_handle(handle: str, person: Entity) -> bool:
    """``handle`` is the person's: built from their name, already theirs, or the name of their blog's host."""
    account = handle.split("@")[0]
    aliases = _lower(person.aliases)
    hosts = {a.split(".")[0] for a in aliases if "." in a and " " not in a and not a.startswith("@")}
    return _handle_matches(account, person.name) or f"@{handle}" in aliases or account in hosts


def _lower(values: set[str]) -> set[str]:
    return {v.lower() for v in values}


def _fold(into: Entity, other: Entity) -> None:
    """Count ``other``'s references as ``into``'s (a document counts once, with its strongest relation)."""
    into.aliases |= other.aliases
    new = other.documents - into.documents
    into.documents |= new
    share = len(new) / max(1, other.count)
    for relation, n in other.relations.items():
        into.relations[relation] += round(n * share)
    for year, n in other.by_year.items():
        into.by_year[year] += round(n * share)
    into.own_documents += round(other.own_documents * share)
    into.first = min(filter(None, [into.first, other.first]), default=None)
    into.last = max(filter(None, [into.last, other.last]), default=None)
    into.examples = (into.examples + other.examples)[: max(3, len(into.examples))]
