"""The thinker's own projects, in the order they came: the project lineage (micrograd → nanoGPT → …).

A project is the thinker's when one of their READMEs was imported from its folder. Order comes
from what the corpus says, strongest first:

1. what a project's README says of another: "a rewrite of minGPT", "my earlier nanoGPT" (the
   other came first; naming another project in one's README usually means building on it), or
   "a new and improved cousin called nanochat", "for more recent developments see…" (it came after);
2. the first dated document that names each;
3. how many of the other projects its README names (a project that names none builds on none).

Statements can contradict each other (two READMEs each calling the other newer); such a cycle is
broken at the project the dates and counts put first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

from ..workspace import Workspace
from .measure import STOP, Row
from .references import Reference

FORWARD = re.compile(
    r"\b(?:newer|new and improved|more recent|successor|superseded|deprecated|see my rewrite|evolved into|instead)\b",
    re.I,
)
GENERIC = frozenset(
    {"projects", "project", "doc", "docs", "dev", "src", "data", "examples", "test", "tests", "scripts"}
)
WINDOW = 120


def readme_projects(store: Workspace, thinker: str) -> dict[str, str]:
    """Document id -> project name, for the thinker's READMEs (the folder each was imported from)."""
    found = {}
    for doc_id, source_id in store.source_ids(thinker, "readme").items():
        parts = source_id.split("/")
        if len(parts) >= 2 and parts[-2].lower() not in STOP | GENERIC and not parts[-2].startswith((".", "_")):
            found[doc_id] = parts[-2]
    return found


class ProjectOrder:
    """Collects what READMEs say about each other (``add``); ``order`` sorts projects by it."""

    def __init__(self, readmes: dict[str, str]) -> None:
        self.readmes = readmes
        self.names = {p.lower(): p for p in readmes.values()}
        self.before: set[tuple[str, str]] = set()  # (earlier, later)
        self.named: dict[str, set[str]] = defaultdict(set)

    def project_named(self, ref: Reference) -> str | None:
        """The own project ``ref`` names: ``nanoGPT``, ``llm.c`` or ``github.com/<owner>/nanoGPT``."""
        surface = ref.surface.split("/")[-1] if ref.pattern == "repository" else ref.surface
        return self.names.get(surface.lower())

    def add(self, row: Row, refs: Iterable[Reference]) -> None:
        project = self.readmes.get(row.document_id)
        if project is None:
            return
        for ref in refs:
            other = self.project_named(ref)
            if other is None or other == project:
                continue
            around = row.text[max(0, ref.start - WINDOW) : ref.end + WINDOW]
            self.before.add((project, other) if FORWARD.search(around) else (other, project))
            self.named[project].add(other)

    def order(self, first_seen: dict[str, str | None]) -> list[str]:
        """Every project, earliest first (see the module docstring)."""

        def key(p: str) -> tuple[str, int, str]:
            return (first_seen.get(p) or "9999", len(self.named[p]), p.lower())

        todo = set(self.names.values())
        done: list[str] = []
        while todo:
            free = [p for p in todo if not any(a in todo and b == p for a, b in self.before)]
            pick = min(free or todo, key=key)  # no free one: a cycle, broken at the best-placed project
            done.append(pick)
            todo.discard(pick)
        return done
