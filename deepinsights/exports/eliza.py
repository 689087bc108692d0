"""An elizaOS character file (``character.json``) of a thinker's simulator.

Written to the character schema of elizaOS 1.x (``@elizaos/core``'s ``characterSchema``, which
accepts no other keys): ``name``, ``username``, ``system`` (the compiled simulator prompt), ``bio``,
``topics``, ``adjectives``, ``style`` (``all``, ``chat``, ``post``), ``messageExamples`` and
``postExamples``. elizaOS 0.x's ``lore`` is not a key of 1.x (its migration folds lore into the
bio), so the lineage and the eras, the thinker's lore, are bio lines here.

``messageExamples`` and ``postExamples`` are **verified** own-word quotes only (``evidence``): a
question about what the quote supports, answered by the quote. Without verified quotes both are
empty. This module reads no store and writes no file.
"""

from __future__ import annotations

import re
from typing import Any

from ..profile import Profile
from .evidence import Evidence

USER = "{{name1}}"  # elizaOS's placeholder for the other speaker
MAX_ADJECTIVE_WORDS = 3


def eliza_character(profile: Profile, prompt: str, evidence: Evidence) -> dict[str, Any]:
    """The elizaOS character object."""
    sim = profile.simulator
    return {
        "name": profile.name,
        "username": profile.slug,
        "system": prompt.strip(),
        "bio": _bio(profile),
        "topics": _topics(profile),
        "adjectives": _adjectives(profile),
        "style": {
            "all": [*(sim.how_to_respond if sim else []), _GROUNDED.format(name=profile.name)],
            "chat": ["Answer in the first person, briefly, and say when the corpus does not cover the question."],
            "post": list(sim.aesthetics) if sim else [],
        },
        "messageExamples": [
            [
                {"name": USER, "content": {"text": f"What do you think about {q.about}?"}},
                {"name": profile.name, "content": {"text": q.text}},
            ]
            for q in evidence.quotes[:10]
        ],  # fmt: skip
        "postExamples": [q.text for q in evidence.quotes[:10]],
        "plugins": [],
        "settings": {"deepinsights": {"profile": profile.slug, "counts_measured": evidence.measured}},
    }


_GROUNDED = "Stay with {name}'s recorded views; outside what their work covers, say so instead of inventing a position."


def _bio(profile: Profile) -> list[str]:
    lines = [profile.identity.description] if profile.identity.description else []
    if profile.generating_function:
        lines.append(f"Core generating function: {profile.generating_function.statement}")
    lines += [f"{a.title}: {a.statement}".rstrip(": ") for a in profile.axioms]
    lines += [f"Draws on {e.heading()}" for e in profile.lineage]
    lines += [f"{e.name} ({e.start or '?'} – {e.end or 'now'}): {e.summary}".rstrip(": ") for e in profile.eras]
    return lines or [f"A model of {profile.name}'s thinking."]


def _topics(profile: Profile) -> list[str]:
    topics = [t.term for t in profile.themes] + [m.title for m in profile.mental_models]
    return list(dict.fromkeys(topics))


def _adjectives(profile: Profile) -> list[str]:
    """Short aesthetic preferences ('Minimalism'), the nearest thing a profile has to adjectives."""
    sim = profile.simulator
    found = []
    for item in sim.aesthetics if sim else []:
        head = re.split(r"[:—(.;,]", item, maxsplit=1)[0].strip()
        if head and len(head.split()) <= MAX_ADJECTIVE_WORDS:
            found.append(head.lower())
    return list(dict.fromkeys(found))
