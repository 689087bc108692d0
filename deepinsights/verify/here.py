"""Which claims this workspace cannot check, and why: what they rest on was never imported.

A claim rests on a kind of source (tweets, papers), a site (``bearblog.dev``) or one cited
work (a podcast). When the workspace holds none of it, the claim is **unverifiable here**:
not a mismatch, left out of the grounding score, and reported with what to import to check
it ("no tweets imported — import an X archive"). Only claims that would otherwise fail are
marked: a quote not found that cites a source the workspace lacks, a number with its kinds or
site absent, and a number measured below its claim while the profile's own corpus claims
name sources the workspace lacks (a partial corpus can only undercount).

This module decides and explains; it does not count (``counting``) or match titles
(``sources``). It reads the store only through ``counting.tally``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..models import SearchFilter
from ..profile.schema import Profile
from ..workspace import Workspace
from .counting import tally
from .sources import MISSING, SourceCheck, genre_kinds, kind_source, split_sources

UNVERIFIABLE_HERE = "unverifiable_here"

# What a reader calls each group of kinds, and what to import to have them.
_KIND_NAMES: tuple[tuple[frozenset[str], str, str], ...] = (
    (
        frozenset({"tweet", "reply", "quote", "repost"}),
        "tweets",
        "import an X archive (or a Mastodon or Bluesky export)",
    ),
    (frozenset({"paper"}), "papers", "import the papers' PDFs"),
    (frozenset({"transcript"}), "transcripts", "import the talks' captions or transcripts"),
    (frozenset({"post", "page", "note", "newsletter"}), "blog posts", "import the blog (a folder, feed or export)"),
    (frozenset({"readme"}), "READMEs", "import the repositories"),
)


@dataclass(frozen=True)
class Gap:
    """Why a claim cannot be checked in this workspace: ``reason`` says what is missing, ``hint`` what to do."""

    key: str
    reason: str
    hint: str

    def to_dict(self) -> dict[str, str]:
        return {"reason": self.reason, "hint": self.hint}


def kinds_gap(kinds: Iterable[str]) -> Gap:
    """No documents of ``kinds``: ``no tweets imported``."""
    wanted = frozenset(kinds)
    for group, name, hint in _KIND_NAMES:
        if wanted & group:
            return Gap(f"kinds:{name}", f"no {name} imported", hint)
    names = ", ".join(sorted(wanted))
    return Gap(f"kinds:{names}", f"no documents of kind {names} imported", "import them")


def url_gap(fragment: str) -> Gap:
    """No document whose URL contains ``fragment``: ``nothing from bearblog.dev imported``."""
    return Gap(f"url:{fragment}", f"nothing from {fragment} imported", "import what was published there")


def source_gap(title: str) -> Gap:
    """A cited work the workspace does not hold."""
    shown = title.strip()
    if not any(mark in shown for mark in '"“”'):
        shown = f"“{shown}”"
    elif shown[0] in '"“' and shown[-1] in '"”' and shown.count('"') + shown.count("“") + shown.count("”") == 2:
        shown = f"“{shown[1:-1]}”"
    return Gap(f"source:{' '.join(title.lower().split())}", f"{shown} is not in the workspace", "import it")


def partial_gap(gaps: list[Gap]) -> Gap:
    """A number measured low while the profile's corpus held sources this one lacks."""
    missing = "; ".join(g.reason for g in gaps)
    return Gap(
        "partial:" + ",".join(g.key for g in gaps),
        f"the profile counted over more than is here ({missing})",
        "import them",
    )


class Holdings:
    """What the workspace (one thinker's part of it) holds, asked once per kind set or site."""

    def __init__(self, store: Workspace, scope: SearchFilter, kinds: set[str]) -> None:
        self.store, self.scope, self.kinds = store, scope, kinds
        self._sites: dict[tuple[tuple[str, ...], str], bool] = {}

    def has_kinds(self, kinds: Iterable[str]) -> bool:
        return bool(self.kinds & set(kinds))

    def has_site(self, kinds: tuple[str, ...], fragment: str) -> bool:
        """True when a document of ``kinds`` (any, when empty) has a URL containing ``fragment``."""
        key = (kinds, fragment)
        if key not in self._sites:
            scope = SearchFilter(thinker=self.scope.thinker, kinds=kinds, url_contains=fragment)
            self._sites[key] = tally(self.store, scope).documents > 0
        return self._sites[key]

    def claim_gap(self, kinds: list[str], url_contains: str | None) -> Gap | None:
        """Why a claim about documents of ``kinds`` (from a site) cannot be checked here, or None."""
        if kinds and not self.has_kinds(kinds):
            return kinds_gap(kinds)
        if url_contains and not self.has_site(tuple(kinds), url_contains):
            return url_gap(url_contains)
        return None


def corpus_gaps(profile: Profile, holdings: Holdings) -> list[tuple[list[str], Gap]]:
    """The sources the profile says its corpus held and this workspace lacks, with their kinds."""
    claims = [(list(c.kinds), c.url_contains) for c in profile.corpus_claims]
    if profile.simulator:
        claims += [(list(h.kinds), None) for h in profile.simulator.header_counts if h.kinds]
    found: dict[str, tuple[list[str], Gap]] = {}
    for kinds, url in claims:
        gap = holdings.claim_gap(kinds, url)
        if gap is not None:
            found.setdefault(gap.key, (kinds, gap))
    return list(found.values())


def count_gap(check: Any, holdings: Holdings, profile_gaps: list[tuple[list[str], Gap]], failing: bool) -> Gap | None:
    """Why ``check`` (a ``CountCheck`` that would fail: ``failing``) cannot be checked here, or None."""
    if not failing:
        return None
    own = holdings.claim_gap(check.kinds, check.url_contains)
    if own is not None:
        return own
    if not isinstance(check.claimed, int) or not isinstance(check.measured, int) or check.measured >= check.claimed:
        return None
    wanted = set(check.kinds)
    related = [gap for kinds, gap in profile_gaps if not wanted or not kinds or wanted & set(kinds)]
    return partial_gap(related) if related else None


def quote_gap(cited: str, sources: dict[str, SourceCheck], holdings: Holdings) -> Gap | None:
    """Why a quote not found, citing ``cited``, cannot be checked here: a source it cites is missing.

    subtle: one missing source is enough, since the quote may be in it: ``YouTube lectures,
    blog posts, and tweets`` with no tweets imported is unverifiable here, not a mismatch.
    """
    for title in split_sources(cited):
        check = sources.get(" ".join(title.lower().split()))
        if check is not None and check.status == MISSING:
            return _missing_source(title, holdings)
    return None


def _missing_source(title: str, holdings: Holdings) -> Gap:
    named = kind_source(title)
    if named:
        absent = set().union(*(group for group in named if not holdings.has_kinds(group)))
        return kinds_gap(absent) if absent else source_gap(title)
    genre = genre_kinds(title)
    if genre and not holdings.has_kinds(genre):
        return kinds_gap(genre)
    return source_gap(title)


def grouped(items: Iterable[tuple[str, Gap]]) -> list[dict[str, Any]]:
    """``(item id, gap)`` pairs as one entry per reason, most claims first: what the CLI and page list."""
    groups: dict[str, dict[str, Any]] = {}
    for item, gap in items:
        entry = groups.setdefault(gap.key, {**gap.to_dict(), "claims": 0, "items": []})
        entry["claims"] += 1
        entry["items"].append(item)
    return sorted(groups.values(), key=lambda g: -int(g["claims"]))
