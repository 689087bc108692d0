"""Match the sources a profile cites (a podcast, a blog post, a thread) to documents in the store.

A cited title naming several sources (``Sequoia, Dwarkesh``) is split at commas outside
quotes and brackets; each part is one source. A source is

* ``found`` when a document's URL equals its URL (scheme, ``www.``, query and trailing
  slash ignored) or a document's title is close to its title: whole-title similarity, or
  all content words of the cited title present in the document's title (genre words such
  as "post", "essay", "podcast" left out; a quoted part such as ``Bear blog
  "Verifiability" (Nov 2025)`` is compared on ``Verifiability``), score ≥ ``TITLE_MIN``;
* ``kind`` when it names only document kinds (``tweets``, ``YouTube lectures``) and the
  store holds every kind it names;
* ``quoted`` when its title matched nothing but quotes citing it were located;
* ``missing`` otherwise: a computed known gap.

Title candidates come from the FTS index on titles, so matching never scans every document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz

from ..errors import SearchError
from ..models import DocRef, SearchFilter
from ..workspace import Workspace
from .align import STOPWORDS
from .normalize import normalize

TITLE_MIN = 85.0
TITLE_CANDIDATES = 50
FOUND, KIND, QUOTED, MISSING = "found", "kind", "quoted", "missing"
_QUOTED = re.compile(r"[\"“”]([^\"“”]{3,})[\"“”]")
_PAREN = re.compile(r"\([^()]*\)")
_KIND_FILLERS = frozenset({"and", "youtube", "the", "his", "her", "their", "a", "every", "all", "many"})
_TWEETS = ("tweet", "reply", "quote", "repost")
_WRITING = ("post", "page", "note", "newsletter")
_TALKS = ("transcript",)
# subtle: a genre word in a cited title says what kind of document it is, so "autoresearch
# thread" is not matched by the autoresearch README; words mapped to () constrain nothing.
_GENRE: dict[str, tuple[str, ...]] = {
    "tweet": _TWEETS, "tweets": _TWEETS, "thread": _TWEETS, "threads": _TWEETS,
    "post": _WRITING, "posts": _WRITING, "blog": _WRITING, "essay": _WRITING, "article": _WRITING,
    "newsletter": _WRITING, "podcast": _TALKS, "keynote": _TALKS, "talk": _TALKS, "lecture": _TALKS,
    "lectures": _TALKS, "video": _TALKS, "videos": _TALKS, "interview": _TALKS, "episode": _TALKS,
    "paper": ("paper",), "review": (),
}  # fmt: skip
_KIND_WORDS = {
    "tweet": _TWEETS,
    "thread": _TWEETS,
    "post": ("post",),
    "blog": ("post",),
    "transcript": _TALKS,
    "lecture": _TALKS,
    "video": _TALKS,
    "paper": ("paper",),
    "readme": ("readme",),
    "note": ("note",),
}


@dataclass
class SourceCheck:
    """One cited source, where the profile cites it, and the documents it matched."""

    title: str
    url: str | None
    date: str | None
    cited_by: list[str] = field(default_factory=list)
    status: str = MISSING
    score: float | None = None
    documents: list[DocRef] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "url": self.url,
            "date": self.date,
            "cited_by": list(self.cited_by),
            "status": self.status,
            "score": self.score,
            "documents": [d.to_dict() for d in self.documents],
        }


def split_sources(title: str) -> list[str]:
    """``Sequoia, Dwarkesh`` → ``["Sequoia", "Dwarkesh"]``; commas inside quotes or brackets do not split."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for char in title:
        if char in '"“”':
            quoted = not quoted
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth = max(0, depth - 1)
        if char == "," and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [re.sub(r"^(?:and|&)\s+", "", part.strip()) for part in parts if part.strip()]


def match_source(store: Workspace, check: SourceCheck, scope: SearchFilter, kinds: set[str]) -> None:
    """Fill ``check.status``, ``score`` and ``documents`` from the store."""
    if check.url:
        docs = _by_url(store, check.url, scope)
        if docs:
            check.status, check.score, check.documents = FOUND, 100.0, docs
            return
    named = kind_source(check.title)
    if named:
        check.status = KIND if all(group & kinds for group in named) else MISSING
        return
    genre = genre_kinds(check.title)
    scored = _by_title(store, check.title, replace(scope, kinds=tuple(sorted(genre))))
    if scored and scored[0][0] >= TITLE_MIN:
        best = scored[0][0]
        check.status, check.score = FOUND, round(best, 1)
        check.documents = [doc for score, doc in scored if score >= best - 0.01]


def genre_kinds(title: str) -> set[str]:
    """The document kinds a cited title's genre words allow (empty: any kind)."""
    return {kind for word in normalize(title).split() for kind in _GENRE.get(word, ())}


def kind_source(title: str) -> list[set[str]]:
    """The kind groups a title names when it names only kinds (``YouTube lectures, blog posts``); else []."""
    groups: list[set[str]] = []
    for word in normalize(title).split():
        singular = word[:-1] if word.endswith("s") else word
        if singular in _KIND_WORDS:
            group = set(_KIND_WORDS[singular])
            if not groups or group != groups[-1]:
                groups.append(group)
        elif word not in _KIND_FILLERS:
            return []
    return groups


def title_keys(title: str) -> list[str]:
    """What to compare a cited title on: its quoted parts if any, else the title without parentheses."""
    quoted = _QUOTED.findall(title)
    keys = quoted if quoted else [_PAREN.sub(" ", title)]
    return [normalize(k) for k in keys if normalize(k)]


def _by_url(store: Workspace, url: str, scope: SearchFilter) -> list[DocRef]:
    key = _url_key(url)
    if not key:
        return []
    found = store.documents_matching(replace(scope, url_contains=key), limit=200)
    return [doc for doc in found if _url_key(doc.url or "") == key]


def _url_key(url: str) -> str:
    key = re.sub(r"^[a-z]+://", "", url.strip().lower())
    key = key.removeprefix("www.")
    return re.split(r"[?#]", key, maxsplit=1)[0].rstrip("/")


def _by_title(store: Workspace, title: str, scope: SearchFilter) -> list[tuple[float, DocRef]]:
    """Documents whose titles are candidates for ``title``, best score first."""
    keys = title_keys(title)
    terms = sorted({w for k in keys for w in k.split() if len(w) > 2} or {w for k in keys for w in k.split()})
    if not terms:
        return []
    fts = "title : (" + " OR ".join(f'"{t}"' for t in terms[:16]) + ")"
    try:
        found = store.documents_matching(scope, fts, limit=TITLE_CANDIDATES * 20)
    except SearchError:
        return []
    scored = [(max(_title_score(k, doc.title or "") for k in keys), doc) for doc in found]
    return sorted(scored, key=lambda pair: -pair[0])[:TITLE_CANDIDATES]


def _title_score(key: str, title: str) -> float:
    """Similarity of a cited title to a document title, 0-100.

    Whole-title similarity, or the share of the key's content words (genre words left out)
    present in the document title, so ``Power to the People`` matches ``Power to the People:
    How LLMs Flip the Script`` and ``biohacking posts`` matches ``Biohacking Lite``, but
    ``Tesla era`` does not match ``Tesla``. A one-word key counts only against short titles.
    """
    other = normalize(title)
    if not other:
        return 0.0
    present = other.split()
    content = [w for w in key.split() if w not in STOPWORDS and w not in _GENRE]
    contained = 0.0
    if len(content) >= 2 or (len(content) == 1 and len(present) <= 3):
        contained = 100.0 * sum(w in present for w in content) / len(content)
    return max(float(fuzz.ratio(key, other)), contained)
