"""References in a passage: who or what it names, how, and in whose words.

``references(row)`` finds, in one passage, the surfaces that may name a person, work,
organisation, project, product, place or concept, each with the relation the sentence
states and whether it stood in the thinker's own words:

* ``@handles`` (never inside code: ``@pytest`` is a decorator), ``github.com/owner/repo`` links;
* capitalised names ("Ilya Sutskever", "Kaplan-Moss", "Łukasz Langa", "Tolkien"), code-like
  project names (``nanoGPT``, ``llm.c``);
* academic citations: "Vaswani et al. (2017)", "[Kingma & Ba, 2014](…)" (a *work*, relation
  ``cites``);
* the patterns people credit and quote in: "via X", "h/t X", "thanks to X", "inspired by X",
  "as X put it", "X wrote:", an author line under a quoted block ("— Alan Kay").

Relations: ``quotes`` (inside a repost, quoted post, blockquote or quotation, or "as X put
it"), ``links to`` (inside a link post's title), ``credits``, ``cites``, ``builds on``,
``disagrees with``, else ``mentions``. ``credit_fields`` reads the link-blog credit fields
(``via_title`` / ``via_url`` of a document's meta). Typing and merging happen in ``lineage``.

Pure functions over ``measure.Row``: no model, no store.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from ..models import Span
from ..workspace import Workspace
from .measure import STOP, Row

HANDLE = re.compile(r"(?<![\w/@.:-])@([A-Za-z0-9_]{2,30})\b(?!\.\w|@|\()")
# At-rules and decorators that read like handles when code is not marked as code ("@media", "@pytest").
CODE_AT = frozenset(
    "media import font-face keyframes supports page charset namespace layer container property staticmethod "
    "classmethod dataclass pytest override param return returns decorator app api mixin include extend apply "
    "tailwind component router click cached_property abstractmethod functools login_required csrf_exempt "
    "example param type throws deprecated see since author version todo".split()
)
REPO = re.compile(r"github\.com/([A-Za-z0-9-]{1,39})/([A-Za-z0-9_.-]{1,100})")
_UPPER = r"A-ZÀ-ÖØ-ÞĀ-Ž"
_LOWER = r"a-zß-öø-ÿā-ž"
_WORD = (
    rf"(?:[{_UPPER}][{_LOWER}]+(?:-[{_UPPER}][{_LOWER}]+)?|[{_UPPER}]'[{_UPPER}][{_LOWER}]+|Mc[{_UPPER}][{_LOWER}]+)"
)
_PARTICLE = r"(?:van der|van|von|de|da|del|di|du|le|la|bin|al)"
NAME = re.compile(rf"(?<![\w@#/.-])({_WORD}(?:\s+(?:{_PARTICLE}\s+)?(?:[{_UPPER}]\.\s*)?{_WORD}){{0,3}})(?![\w@-])")
PROJECT = re.compile(r"(?<![\w/.-])([a-z]+[A-Z][A-Za-z0-9]*|[a-z][a-z0-9]*\.(?:c|cpp|js|py))(?![\w-])")
ET_AL = re.compile(rf"(?<![\w])({_WORD})\s+et\s+al\.?,?\s*\(?((?:19|20)\d\d)?")
# What ET_AL and PROJECT cannot match without: scanning for it costs a fraction of the pattern.
MAY_CITE = re.compile(r"et\s+al")
MAY_NAME_PROJECT = re.compile(r"[a-z][A-Z]|[a-z0-9]\.(?:c|js|py)")
CUE_BEFORE = {
    "credits": re.compile(
        r"(?:\bvia|\bh/t|\bhat tip(?: to)?|\bthanks(?: to)?|\bcourtesy of|\bcredit(?:s)? to|\bshout ?out to)[:,]?\s+$",
        re.I,
    ),
    "builds on": re.compile(r"(?:\binspired by|\bbased on|\bport of|\bfork of|\bbuilds? on|\bbuilt on)\s+$", re.I),
    "quotes": re.compile(r"(?:\bas|\bquoting|\bto quote|[—–]|--)\s*$", re.I),
    "disagrees with": re.compile(r"(?:\bdisagree with|\bunlike|\bcontra)\s+$", re.I),
}
CUE_AFTER = {
    "quotes": re.compile(
        r"^(?:'s)?\s+(?:put it|puts it|says|said|wrote|writes|notes|noted|argues|argued)\b|^:\s*[\"“]", re.I
    ),
    "disagrees with": re.compile(r"^(?:'s)?\s+(?:is wrong|was wrong|gets this wrong)", re.I),
}
QUOTED = frozenset({"repost", "quoted-post", "blockquote", "quotation"})
NOT_TEXT = frozenset({"code", "math", "license", "boilerplate"})
SENTENCE = re.compile(r"[^.!?\n]*(?:[.!?]+|\n|$)")


@dataclass(frozen=True)
class Reference:
    """One surface in one passage that may name an entity."""

    surface: str
    pattern: str  # handle | name | project | repository | citation | credit-field
    relation: str
    own: bool
    start: int
    end: int


def references(row: Row, known: re.Pattern[str] | None = None) -> Iterator[Reference]:
    """Every reference in ``row``'s text (see the module docstring), never inside code or licences.

    ``known`` matches names to find however they are written (the thinker's projects: "micrograd").
    """
    text = row.text
    if known is not None:
        for match in known.finditer(text):
            yield from _found(row, match.group(0), "project", match.start(), match.end())
    for match in HANDLE.finditer(text) if "@" in text else ():
        if match.group(1).lower() not in CODE_AT:
            yield from _found(row, "@" + match.group(1), "handle", match.start(), match.end())
    for match in REPO.finditer(text) if "github.com/" in text else ():
        repo = f"{match.group(1)}/{match.group(2).removesuffix('.git').rstrip('.')}"
        yield from _found(row, repo, "repository", match.start(), match.end())
    cited = set()
    for match in ET_AL.finditer(text) if MAY_CITE.search(text) else ():
        year = f" ({match.group(2)})" if match.group(2) else ""
        cited.add(match.start(1))
        yield from _found(row, f"{match.group(1)} et al.{year}", "citation", match.start(), match.end(), "cites")
    for match in NAME.finditer(text):
        start, name = _without_function_words(match.start(1), match.group(1))
        if name and match.start(1) not in cited:
            yield from _found(row, name, "name", start, match.end(1))
    for match in PROJECT.finditer(text) if MAY_NAME_PROJECT.search(text) else ():
        yield from _found(row, match.group(1), "project", match.start(1), match.end(1))


def _without_function_words(start: int, name: str) -> tuple[int, str]:
    """ "As Alan Kay", "The Tolkien": a capitalised function word opening a sentence is no part of a name."""
    words = name.split(" ")
    while words and words[0].lower() in STOP:
        start += len(words[0]) + 1
        words = words[1:]
    return start, " ".join(words)


def opens_sentence(text: str, start: int) -> bool:
    """True when ``text[start:]`` starts a sentence, line or heading (where every word is capitalised)."""
    return text[:start].rstrip()[-1:] in ("", ".", "!", "?", ":", "\n", '"', "(", "[", "*", "#", "-")


def _found(
    row: Row, surface: str, pattern: str, start: int, end: int, relation: str | None = None
) -> Iterator[Reference]:
    reason = _reason_at(row.others, start)
    if reason in NOT_TEXT:
        return
    if relation is None:
        relation = _relation(row.text, start, end, reason)
    yield Reference(surface, pattern, relation, reason is None, start, end)


def _reason_at(spans: tuple[Span, ...], at: int) -> str | None:
    for span in spans:
        if span.start <= at < span.end:
            return span.reason
        if span.start > at:
            break
    return None


def _relation(text: str, start: int, end: int, reason: str | None) -> str:
    """The relation the words around ``text[start:end]`` state; in quoted text, ``quotes``."""
    if reason in QUOTED:
        return "quotes"
    if reason == "link-title":
        return "links to"
    if reason == "via":
        return "credits"
    before, after = text[max(0, start - 40) : start], text[end : end + 40]
    for relation, cue in CUE_BEFORE.items():
        if cue.search(before):
            return relation
    for relation, cue in CUE_AFTER.items():
        if cue.search(after):
            return relation
    return "mentions"


def sentence_at(text: str, start: int, end: int, limit: int = 160) -> str:
    """The sentence around ``text[start:end]``, at most ``limit`` characters (NER reads this)."""
    left = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start), text.rfind("! ", 0, start))
    left = max(left + 1, start - limit // 2)
    right_cut = [i for i in (text.find(". ", end), text.find("\n", end), text.find("! ", end)) if i >= 0]
    right = min([*right_cut, len(text), end + limit // 2])
    return text[left : right + 1].strip()


@dataclass(frozen=True)
class Credit:
    """A link post's credit field: whom the thinker found the link through."""

    document_id: str
    published_at: str | None
    title: str
    url: str | None


def credit_fields(store: Workspace, thinker: str) -> list[Credit]:
    """The ``via_title`` / ``via_url`` credit fields link-blog imports keep in a document's meta."""
    found = []
    for doc_id, published_at, raw in store.metas(thinker, containing="via_"):
        meta = _meta(raw)
        title, url = str(meta.get("via_title") or "").strip(), str(meta.get("via_url") or "").strip() or None
        if title or url:
            found.append(Credit(doc_id, published_at, title, url))
    return found


def _meta(value: Any) -> dict[str, Any]:
    try:
        meta = json.loads(value) if value else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


SOCIAL = ("twitter.com", "x.com", "bsky.app", "mastodon.social", "threads.net", "instagram.com", "linkedin.com")
HUBS = SOCIAL + (
    "github.com", "gist.github.com", "gitlab.com", "medium.com", "substack.com", "youtube.com", "youtu.be",
    "reddit.com", "news.ycombinator.com", "flickr.com", "del.icio.us", "delicious.com", "tumblr.com",
    "wordpress.com", "blogspot.com", "google.com", "groups.google.com", "docs.google.com", "arxiv.org",
    "wikipedia.org", "en.wikipedia.org", "lobste.rs", "metafilter.com", "slashdot.org", "facebook.com",
)  # fmt: skip
# A host that many people publish on says nothing about who wrote a page there: only an account does.
# A subdomain of these is a section of the same site (it.slashdot.org), not someone's blog.
SECTIONED = ("slashdot.org", "reddit.com", "google.com", "github.com", "ycombinator.com", "wikipedia.org", "yahoo.com")


def host_alias(url: str | None) -> str | None:
    """What a URL says about who wrote it: ``tbray.org``, ``twitter.com/@jacobian``; None for a hub page."""
    if not url:
        return None
    parsed = urlparse(url if "//" in url else f"//{url}")
    host = (parsed.hostname or "").lower().removeprefix("www.")
    if not host:
        return None
    if host in SOCIAL or host.endswith(".social") or host.startswith(("mastodon.", "fedi.")):
        account = parsed.path.strip("/").split("/")[0].lstrip("@").lower()
        if not account or account in ("status", "i", "search", "home", "users", "web"):
            return None
        return f"@{account}" if host in SOCIAL else f"@{account}@{host}"  # a fediverse account names its server
    if host in HUBS or any(host.endswith("." + site) for site in SECTIONED):
        return None
    return host
