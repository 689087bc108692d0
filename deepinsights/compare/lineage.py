"""Shared and distinct lineage: the people and works both thinkers draw on, and those only one does.

Each side's lineage is the chain's (``distill``'s lineage counting over all of the side's text,
own words and others'); this module only lines the two lists up. Names match case-insensitively,
and an alias of one side's entry (``@handle``, a surname) matching the other side's name counts
as the same entry. Counts are documents, as in distill.

This module does not find references in text and reads no store (``compare.thinker_lineage``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

LIMIT = 30


class LineageEntry(Protocol):
    """What compare needs of a lineage entry (``distill``'s lineage ``Entity``)."""

    name: str
    kind: str

    @property
    def count(self) -> int: ...

    first: str | None

    def as_dict(self) -> dict[str, Any]: ...


@dataclass
class SharedEntry:
    """One name in both lineages, with both sides' counts and first dates."""

    name: str
    kind: str
    a: LineageEntry
    b: LineageEntry

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "count_a": self.a.count,
            "count_b": self.b.count,
            "first_a": self.a.first,
            "first_b": self.b.first,
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
        }


@dataclass
class LineageComparison:
    """Names both credit, and names only one does (each list best first)."""

    shared: list[SharedEntry]
    only_a: list[LineageEntry]
    only_b: list[LineageEntry]

    def as_dict(self) -> dict[str, Any]:
        return {
            "shared": [s.as_dict() for s in self.shared],
            "only_a": [e.as_dict() for e in self.only_a],
            "only_b": [e.as_dict() for e in self.only_b],
        }


def compare_lineage(a: Sequence[LineageEntry], b: Sequence[LineageEntry], limit: int = LIMIT) -> LineageComparison:
    """Line up two lineages; shared entries ranked by the smaller side's count, then the sum."""
    index_b = {key: entry for entry in b for key in _keys(entry)}
    shared, matched_b = [], set()
    only_a = []
    for entry in a:
        other = next((index_b[k] for k in _keys(entry) if k in index_b), None)
        if other is None:
            only_a.append(entry)
        else:
            shared.append(SharedEntry(entry.name, entry.kind, entry, other))
            matched_b.add(id(other))
    only_b = [entry for entry in b if id(entry) not in matched_b]
    shared.sort(key=lambda s: (-min(s.a.count, s.b.count), -(s.a.count + s.b.count), s.name.lower()))
    return LineageComparison(shared[:limit], only_a[:limit], only_b[:limit])


def _keys(entry: LineageEntry) -> list[str]:
    aliases = getattr(entry, "aliases", None) or set()
    return [k.lower().lstrip("@") for k in (entry.name, *sorted(aliases))]
