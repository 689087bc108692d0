"""The sections of a profile page, in page order: the one table everything about sections reads.

Each ``Section`` names the profile's item lists it shows (``lists``, dotted paths into a
``Profile``). ``Profile.counts()`` counts those lists, ``Profile.iter_quotes()`` walks them
for the quotes ``verify`` re-locates, the page's contents and its template (one partial,
``web/templates/sections/<key>.html``, per section) follow this order, and the prompt
compiler takes the page sections it compiles in this order. A section without lists, or
marked ``always``, is a block of the page itself (archive search, corpus, ask, the prompt).

Adding a section: its model and field in ``schema.py``, a row here, a partial template; a
test fails while a list holding quotes is in no row (``tests/test_profile_sections.py``).
This module holds data only: no pydantic, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SECTIONS", "Section", "section"]


@dataclass(frozen=True)
class Section:
    """One section of the profile page.

    ``key`` names its heading and intro in ``Profile.sections`` (where the profile may
    give them) and its template; ``anchor`` is its id on the page; ``label`` its entry in
    the contents when the profile gives no title; ``lists`` the item lists it shows, the
    first one counted in the contents; ``always``: shown even when those lists are empty.
    """

    key: str
    anchor: str
    label: str
    lists: tuple[str, ...] = ()
    always: bool = False


SIMULATOR_LISTS = ("simulator.additional_models", "simulator.other_sections")

SECTIONS: tuple[Section, ...] = (
    Section("axioms", "axioms", "Axioms", ("axioms",)),
    Section("lineage", "lineage", "Lineage", ("lineage",)),
    Section("mental_models", "mental-models", "Mental models", ("mental_models",)),
    Section("tensions", "tensions", "Tensions", ("tensions",)),
    Section("predictions", "predictions", "Predictions", ("predictions",)),
    Section("extensions", "extensions", "Extensions", ("extensions",)),
    Section("eras", "eras", "Eras", ("eras",)),
    Section("themes", "themes", "Themes over time", ("themes",)),
    Section("vocabulary", "vocabulary", "Signature vocabulary", ("vocabulary",)),
    Section("search", "search", "Archive search", always=True),
    Section("corpus", "corpus", "Corpus", ("corpus_claims",), always=True),
    Section("known_gaps", "gaps", "Known gaps", ("known_gaps",)),
    Section("ask", "ask", "Ask", always=True),
    Section("simulator", "prompt", "Simulator prompt", SIMULATOR_LISTS, always=True),
)


def section(key: str) -> Section:
    """The section named ``key``; KeyError for a name that is not in ``SECTIONS``."""
    for found in SECTIONS:
        if found.key == key:
            return found
    raise KeyError(key)
