"""Compare two thinkers in one workspace: vocabulary, topics, lineage and (with a model) positions.

``compare(store, a, b)`` reads both sides' own-word passages once (``distill.own``), clusters
them jointly with the chain's topic model so that a topic means the same for both, and measures:

* distinctive vocabulary both ways (``vocabulary``: log-odds with an informative Dirichlet prior);
* topics both cover, topics only one covers (the computed *extensions*), who reached a shared
  topic first, and for each shared topic the passage of each side nearest its centre (``topics``);
* shared and distinct lineage (``lineage``), from the chain's lineage counting of each side.

``label_positions`` (``positions``) adds, with a model, agree / disagree / different-question
labels on the shared topics, each kept only with a verified quote from both sides.
Deterministic without a model: the same workspace gives the same comparison.

This module does not print or render (``report`` renders Markdown; the CLI and the page show it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..ask.models import Model
from ..distill.findings import names_of_slug, own_hosts
from ..distill.lineage import Entity, measure_lineage
from ..distill.own import OwnPassage, own_passages
from ..distill.topics import find_topics
from ..distill.vectors import vectors_for
from ..errors import CompareError
from ..workspace import Workspace
from .lineage import LineageComparison, compare_lineage
from .positions import Positions, Sides, label_positions
from .topics import JointTopic, joint_topics
from .vocabulary import DistinctiveWord, distinctive_words

__all__ = ["Comparison", "Identity", "compare", "add_positions"]


@dataclass(frozen=True)
class Identity:
    """A thinker: slug, display name, and the names and handles that are theirs (never lineage or topic words)."""

    slug: str
    name: str
    names: frozenset[str] = frozenset()
    handles: frozenset[str] = frozenset()

    def own(self) -> set[str]:
        return {self.slug, self.name, *self.names, *self.handles}


@dataclass
class Side:
    """What one side brought to the comparison."""

    identity: Identity
    passages: list[OwnPassage]
    documents: int
    first: str | None
    last: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.identity.slug,
            "name": self.identity.name,
            "own_word_passages": len(self.passages),
            "documents": self.documents,
            "first": self.first,
            "last": self.last,
        }


@dataclass
class Comparison:
    """Everything measured about two thinkers side by side; ``as_dict()`` is the JSON the CLI prints."""

    a: Side
    b: Side
    vectors: str
    words_a: list[DistinctiveWord]
    words_b: list[DistinctiveWord]
    topics: list[JointTopic]
    lineage: LineageComparison
    positions: Positions | None = None

    def covered(self, coverage: str) -> list[JointTopic]:
        """Topics with this coverage ("both", "a", "b"), largest first."""
        return [t for t in self.topics if t.coverage == coverage]

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.as_dict(),
            "b": self.b.as_dict(),
            "vectors": self.vectors,
            "vocabulary": {"a": [w.as_dict() for w in self.words_a], "b": [w.as_dict() for w in self.words_b]},
            "topics": {
                "shared": [t.as_dict() for t in self.covered("both")],
                "only_a": [t.as_dict() for t in self.covered("a")],
                "only_b": [t.as_dict() for t in self.covered("b")],
            },
            "lineage": self.lineage.as_dict(),
            "positions": self.positions.as_dict() if self.positions else None,
            "method": METHOD,
        }


METHOD = {
    "vocabulary": "log-odds ratio with an informative Dirichlet prior from the pooled corpus (Monroe et al. 2008), "
    "z-scores; own words only",
    "topics": "the chain's topic model fitted on both sides' own-word passages together; a side covers a topic "
    "with at least 3 documents and a quarter of an even share of its passages",
    "lineage": "each side's lineage as distill counts it (documents), lined up by name and alias",
    "positions": "a model's agree / disagree / different-question label, kept only when a quote from each side "
    "verifies as that side's own words",
}


def compare(
    store: Workspace, a: Identity, b: Identity, *, progress: Callable[[int, int], None] | None = None
) -> Comparison:
    """Measure ``a`` against ``b``. Raises ``CompareError`` when a side has no own-word passages."""
    if a.slug == b.slug:
        raise CompareError(f"Compare two different thinkers (both are '{a.slug}')")
    side_a, side_b = _side(store, a), _side(store, b)
    passages = side_a.passages + side_b.passages
    sides = ["a"] * len(side_a.passages) + ["b"] * len(side_b.passages)
    own = _own_names(a, side_a.passages) | _own_names(b, side_b.passages)
    vectors = vectors_for(store, passages, progress=progress)
    model = find_topics(passages, vectors.matrix, vectors.source, own, stability=False)
    topics = joint_topics(model, passages, sides, vectors.matrix)
    words_a, words_b = distinctive_words(side_a.passages, side_b.passages, own)
    lineage = compare_lineage(thinker_lineage(store, a), thinker_lineage(store, b))
    return Comparison(side_a, side_b, vectors.source, words_a, words_b, topics, lineage)


def add_positions(
    store: Workspace,
    comparison: Comparison,
    model: Model,
    *,
    limit: int = 8,
    progress: Callable[[str], None] | None = None,
) -> Positions:
    """Label the ``limit`` largest shared topics with ``model`` (see ``positions``); stored on the comparison."""
    a, b = comparison.a.identity, comparison.b.identity
    shared = comparison.covered("both")[:limit]
    work = [(t, t.a.nearest, t.b.nearest) for t in shared]
    comparison.positions = label_positions(store, Sides(a.slug, b.slug, a.name, b.name), work, model, progress=progress)
    return comparison.positions


def thinker_lineage(store: Workspace, who: Identity) -> list[Entity]:
    """The thinker's lineage as distill measures it (all their text, own words and others')."""
    return measure_lineage(store, who.slug, names={*who.names, who.name}, handles=set(who.handles)).people_and_works


def _side(store: Workspace, who: Identity) -> Side:
    passages = own_passages(store, who.slug)
    if not passages:
        raise CompareError(
            f"No own-word passages for '{who.slug}' in this workspace; import their writing with "
            f"'insights import PATH --thinker {who.slug}'"
        )
    dates = [p.published_at for p in passages if p.published_at]
    return Side(
        who, passages, len({p.document_id for p in passages}), min(dates, default=None), max(dates, default=None)
    )


def _own_names(who: Identity, passages: list[OwnPassage]) -> set[str]:
    return who.own() | own_hosts(passages) | names_of_slug(who.slug, passages)
