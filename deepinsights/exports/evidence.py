"""What an export may present as the thinker's words: the profile's quotes that verify verbatim
in the thinker's own words, and the counts measured from the workspace.

A quote is usable as an example message or post only when ``verify`` found it **verbatim** in the
workspace and it lies in the thinker's own words there (not a repost, a quotation of someone
else or a link title: ``distill.drafting.in_own_words``). Approximate, not found and unverifiable
quotes never become examples. Without a workspace nothing is verified, so an export has no
examples and says so.

This module does not compile prompts or write files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..distill.drafting import in_own_words
from ..profile import Profile
from ..verify.locate import VERBATIM

if TYPE_CHECKING:
    from ..verify.report import ProfileReport
    from ..workspace import Workspace


@dataclass(frozen=True)
class VerifiedQuote:
    """A profile quote found verbatim in the thinker's own words, with what it supports and its source."""

    text: str
    about: str  # the title of the item it supports ("Small first")
    source: str
    date: str | None
    url: str | None
    path: str


@dataclass
class Evidence:
    """The verified quotes and measured counts an export draws on; empty without a workspace."""

    quotes: list[VerifiedQuote] = field(default_factory=list)
    stats: Sequence[dict[str, Any]] | None = None
    statuses: dict[str, str] = field(default_factory=dict)  # every quote path → verify's status

    @property
    def measured(self) -> bool:
        return self.stats is not None

    def documents(self) -> int:
        return sum(int(row.get("items") or 0) for row in self.stats or [])


def gather(profile: Profile, report: ProfileReport, store: Workspace) -> Evidence:
    """The evidence for ``profile`` from verify's ``report`` on ``store``."""
    quotes = dict(profile.iter_quotes())
    verified = []
    for check in report.quotes:
        quote = quotes.get(check.path)
        if quote is None or check.status != VERBATIM or not in_own_words(store, check.result):
            continue
        source = quote.source
        verified.append(
            VerifiedQuote(quote.text, _about(profile, check.path), source.title, source.date, source.url, check.path)
        )
    stats = store.stats(profile.slug) or None
    return Evidence(verified, stats, report.quote_statuses())


def _about(profile: Profile, path: str) -> str:
    """The title of the item a quote path belongs to (``axioms[0].quotes[1]`` → the first axiom's title)."""
    item_path = path.rsplit(".quotes[", 1)[0]
    item: Any = profile
    for part in item_path.split("."):
        name, _, index = part.partition("[")
        item = getattr(item, name, None)
        if item is not None and index:
            item = item[int(index.rstrip("]"))]
    return str(getattr(item, "title", None) or getattr(item, "name", None) or getattr(item, "term", "") or profile.name)
