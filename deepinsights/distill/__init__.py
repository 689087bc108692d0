"""Distill: from a corpus to a draft profile whose every element carries its evidence.

``distill(store, slug)`` measures typed lineage (``lineage.py``), coverage (``measure.py``) and, on the thinker's
own words, topics, eras, framings and mental models, signature vocabulary, predictions and
"changed my mind" pairs (``findings.py``); no model. ``draft_profile(report, existing)``
(``drafting_profile.py``) turns that into a ``Profile`` in the shipped schema, keeping every
edit a person made to an earlier draft and listing what changed. The optional model-drafted
parts (axioms, tensions, aesthetics, the generating function) live in ``drafting.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..workspace import Workspace
from .eras import FoundEra
from .findings import Findings, measure_own_words
from .lineage import Entity, Lineage, LineageCollector
from .measure import OwnWordsTally, coverage, rows
from .mind import MindChange
from .predictions import Prediction
from .profile_draft import draft_profile
from .projects import readme_projects
from .references import credit_fields
from .topics import TopicModel

__all__ = ["DistillReport", "distill", "draft_profile"]

OWN = "own words only (reposts, quotations, link titles, blockquotes, code and boilerplate left out)"
TEXT_USED = {
    "lineage": "all text: own words and others' (each reference says which, and its relation)",
    "topics": OWN,
    "eras": OWN,
    "framings": OWN,
    "signature_vocabulary": OWN,
    "predictions": OWN + "; a sentence holding anyone else's words is left out whole",
    "mind_changes": OWN + " for both passages",
    "coverage": "every document",
}


@dataclass
class DistillReport:
    """Everything measured for one thinker; ``as_dict()`` is the JSON the CLI prints."""

    thinker: str
    passages: int
    lineage: list[Entity] = field(default_factory=list)
    findings: Findings = field(default_factory=Findings)
    coverage: dict[str, Any] = field(default_factory=dict)
    own_words: OwnWordsTally = field(default_factory=lambda: OwnWordsTally())
    entities: Lineage = field(default_factory=lambda: Lineage([], {}, []))

    @property
    def topics(self) -> TopicModel:
        return self.findings.topics

    @property
    def eras(self) -> list[FoundEra]:
        return self.findings.eras

    @property
    def predictions(self) -> list[Prediction]:
        return self.findings.predictions

    @property
    def mind_changes(self) -> list[MindChange]:
        return self.findings.mind_changes

    def as_dict(self) -> dict[str, Any]:
        return {
            "thinker": self.thinker,
            "passages": self.passages,
            "own_words": self.own_words.as_dict(),
            "text_used": TEXT_USED,
            "lineage": [m.as_dict() for m in self.lineage],
            **{k: v for k, v in self.entities.as_dict().items() if k != "lineage"},
            **self.findings.as_dict(),
            "coverage": self.coverage,
        }


def distill(
    store: Workspace,
    thinker: str,
    *,
    since: str | None = None,
    until: str | None = None,
    handles: set[str] | None = None,
    names: set[str] | None = None,
    check_robustness: bool = True,
    embedding_model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DistillReport:
    """Measure ``thinker``'s corpus. Deterministic: the same corpus gives the same report.

    ``handles`` and ``names`` (besides the slug) are the thinker's own: never their lineage, never
    a topic label. Passages without vectors are embedded first (with ``embedding_model``, the
    default model when None; LSA when none loads), ``progress`` reporting how far.
    """
    own_names = {thinker, *(names or set())}
    lineage = LineageCollector(thinker, names=names, handles=handles, readmes=readme_projects(store, thinker))
    for credit in credit_fields(store, thinker):
        lineage.add_credit(credit)
    count = 0
    own = OwnWordsTally()
    for row in rows(store, thinker, since, until):
        count += 1
        own.add(row)
        lineage.add(row)
    findings = measure_own_words(
        store,
        thinker,
        own_names | set(handles or ()),
        since=since,
        until=until,
        check_robustness=check_robustness,
        embedding_model=embedding_model,
        progress=progress,
    )
    typed = lineage.finish()
    return DistillReport(thinker, count, typed.people_and_works, findings, coverage(store, thinker), own, typed)
