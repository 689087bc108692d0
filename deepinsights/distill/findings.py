"""What the thinker's own words show: topics, eras, framings, signature vocabulary, predictions
and "changed my mind" pairs, measured in one pass over the own-word passages.

``measure_own_words`` reads the passages once (``own.py``), gets one vector per passage
(``vectors.py``), clusters them into topics and hands the same passages, vectors and topic
assignment to every other section, so they agree on what a passage is and which topic it
belongs to. Deterministic: the same corpus gives the same findings.

This module does not count lineage or coverage (``measure.py``) and calls no language model.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..workspace import Workspace
from .eras import FoundEra, find_eras, robustness
from .framings import Framing, find_framings
from .mind import MindChange, pair_up
from .own import OwnPassage, own_passages
from .predictions import Prediction, find_predictions
from .topics import TopicModel, find_topics
from .vectors import vectors_for
from .vocabulary import SignatureWord, signature_vocabulary

# platforms that host many people's pages: their name is never the thinker's own
HOSTING = frozenset(
    "github gitlab substack medium wordpress blogspot tumblr bearblog twitter youtube mastodon bsky linkedin "
    "facebook instagram www blog".split()
)
OWN_HOST_SHARE = 0.3
FULL_NAME = re.compile(r"\b([A-Z][a-z]{1,20}) ([A-Z][a-z]{1,25})\b")


@dataclass
class Findings:
    """The own-word sections of a distill report."""

    passages: int = 0
    topics: TopicModel = field(default_factory=lambda: TopicModel([], [], "none"))
    eras: list[FoundEra] = field(default_factory=list)
    era_robustness: dict[str, Any] = field(default_factory=dict)
    framings: list[Framing] = field(default_factory=list)
    vocabulary: list[SignatureWord] = field(default_factory=list)
    predictions: list[Prediction] = field(default_factory=list)
    mind_changes: list[MindChange] = field(default_factory=list)
    own_names: list[str] = field(default_factory=list)

    @property
    def mental_models(self) -> list[Framing]:
        return [f for f in self.framings if f.mental_model]

    def as_dict(self) -> dict[str, Any]:
        return {
            "own_word_passages": self.passages,
            "own_names": self.own_names,
            "topics": self.topics.as_dict(),
            "eras": [e.as_dict() for e in self.eras],
            "era_robustness": self.era_robustness,
            "framings": [f.as_dict() for f in self.framings],
            "mental_models": [f.as_dict() for f in self.mental_models],
            "signature_vocabulary": [w.as_dict() for w in self.vocabulary],
            "predictions": [p.as_dict() for p in self.predictions],
            "mind_changes": [m.as_dict() for m in self.mind_changes],
        }


def measure_own_words(
    store: Workspace,
    thinker: str,
    own_names: set[str],
    *,
    since: str | None = None,
    until: str | None = None,
    check_robustness: bool = True,
    embedding_model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Findings:
    """Every own-word section of ``thinker``'s corpus (``own_names``: their slug, names, handles)."""
    passages = own_passages(store, thinker, since, until)
    names = own_names | own_hosts(passages) | names_of_slug(thinker, passages)
    vectors = vectors_for(store, passages, model=embedding_model, progress=progress)
    topics = find_topics(passages, vectors.matrix, vectors.source, names, stability=check_robustness)
    found = Findings(passages=len(passages), topics=topics, own_names=sorted(names))
    found.eras = find_eras(topics, passages, vectors.matrix)
    if check_robustness and found.eras:
        found.era_robustness = robustness(topics, passages, found.eras)
    found.framings = find_framings(passages, topics.assignment)
    found.vocabulary = signature_vocabulary(passages, names)
    found.predictions = find_predictions(passages, vectors.matrix)
    found.mind_changes = pair_up(passages, vectors.matrix, topics.assignment, topics.topics)
    return found


def names_of_slug(slug: str, passages: list[OwnPassage]) -> set[str]:
    """Full names in the corpus that the slug abbreviates ('simonw' → 'Simon Willison': first name
    and last initial, first and last, initial and last), seen at least twice."""
    counts: Counter[tuple[str, str]] = Counter()
    for p in passages:
        if slug[:3].lower() in p.text.lower():
            counts.update(FULL_NAME.findall(p.text))
    wanted = slug.lower().replace("_", "").replace("-", "").replace(".", "")
    found = set()
    for (first, last), n in counts.items():
        given, family = first.lower(), last.lower()
        forms = {given + family, given + family[0], given[0] + family, family + given, given + "_" + family}
        if n >= 2 and wanted in forms:
            found.add(f"{first} {last}")
    return found


def own_hosts(passages: list[OwnPassage]) -> set[str]:
    """The thinker's own site: a host that at least ``OWN_HOST_SHARE`` of their documents link
    from, named by its distinctive label ('karpathy' for karpathy.github.io)."""
    hosts: dict[str, set[str]] = {}
    for p in passages:
        if p.url:
            hosts.setdefault(urlsplit(p.url).hostname or "", set()).add(p.document_id)
    documents = len({p.document_id for p in passages})
    own = [h for h, d in hosts.items() if h and len(d) >= OWN_HOST_SHARE * documents]
    return {label for host in own for label in host.split(".")[:-1] if label not in HOSTING}
