"""Eras: change points in the monthly topic mix, named by the topics that rise in them.

Each month with dated own-word documents becomes a vector of topic shares (the share of that
month's documents with a passage in each topic; catch-all topics left out), smoothed with its
neighbours (the document-weighted mean of it and the months with documents either side: one
month's handful of documents is noise, not a change of mind). The months are cut into at most
``MAX_ERAS`` contiguous segments by exact dynamic programming, minimising the within-segment
squared distance to each segment's mean, each month weighted by the square root of its
documents, plus a penalty per extra segment, so the result is the same on every run. (Measured
on the shared corpora over 20 resamples, smoothing and √-weights moved the boundaries a median
of 0–1 months, the most 5 months on Simon Willison's corpus and 18 on Karpathy's 56 documents;
unsmoothed with weights capped at 10 documents, a median of 0–11 and at most 14 and 29.)

An era is named by its rising topics (share in the era minus share in the era
before; the first era against the rest of the corpus), shows 2–3 own-word passages of those
topics from inside the era, and says so when its first month is where one feed of the corpus
ends or another begins: that boundary may be a change of source, not a change of mind.

``robustness`` re-finds the eras on 90% document subsamples (seeds 1–10) and reports how far
the boundaries move (None for a subsample that cannot be cut into as many eras).

This module does not cluster (``topics.py``) and reads no store.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .own import OwnPassage
from .topics import Topic, TopicModel
from .vectors import Matrix

MIN_MONTHS = 2
MIN_DOCUMENTS = 5  # an era holds at least this many documents, and at least 2% of them all
PENALTY_DIVISOR = 16  # penalty per extra era: the one-era cost / (16 × max eras)
MAX_ERAS = 6
RISING = 3
REPRESENTATIVES = 3
FEED_SHARE = 0.2  # a feed that starts or ends at a boundary matters when it holds this share of a side
ROBUSTNESS_SEEDS = tuple(range(1, 11))


@dataclass
class FoundEra:
    """A span of months, the topics that rise in it, passages that show them, and a source note."""

    start: str
    end: str
    months: int
    documents: int
    rising: list[tuple[Topic, float, float]] = field(default_factory=list)  # (topic, share before, share in)
    representatives: list[OwnPassage] = field(default_factory=list)
    source_change: str | None = None

    @property
    def name(self) -> str:
        """The era's name: the first phrase of each of its two most rising topics."""
        names = [t.phrases[0] for t, _, _ in self.rising[:2] if t.phrases]
        return " · ".join(names) or f"{self.start} – {self.end}"

    @property
    def reason(self) -> str:
        """Why the era is one: how its rising topics' shares moved."""
        moves = [
            f"topic {t.number} ({t.label}) {before:.0%} → {inside:.0%} of documents"
            for t, before, inside in self.rising
        ]
        return "Rising: " + "; ".join(moves) if moves else "The only era."

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "months": self.months,
            "documents": self.documents,
            "name": self.name,
            "reason": self.reason,
            "rising_topics": [
                {"topic": t.number, "label": t.label, "share_before": round(b, 3), "share": round(s, 3)}
                for t, b, s in self.rising
            ],
            "source_change": self.source_change,
            "representatives": [p.as_example() for p in self.representatives],
        }


@dataclass
class MonthlyMix:
    """Documents per month, and per topic per month (a document counts once per topic)."""

    documents: Counter[str] = field(default_factory=Counter)
    topics: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))

    @classmethod
    def of(cls, passages: list[OwnPassage], assignment: list[int], keep: set[str] | None = None) -> MonthlyMix:
        """The mix of the dated passages (of the documents in ``keep``, when given)."""
        mix = cls()
        seen: set[tuple[str, int]] = set()
        counted: set[str] = set()
        for passage, topic in zip(passages, assignment, strict=True):
            month = passage.month
            if month is None or (keep is not None and passage.document_id not in keep):
                continue
            if passage.document_id not in counted:
                counted.add(passage.document_id)
                mix.documents[month] += 1
            if (passage.document_id, topic) not in seen:
                seen.add((passage.document_id, topic))
                mix.topics[month][topic] += 1
        return mix


def find_eras(
    model: TopicModel, passages: list[OwnPassage], vectors: Matrix, *, count: int | None = None
) -> list[FoundEra]:
    """Cut the months into eras and describe each (rising topics, passages, source changes)."""
    mix = MonthlyMix.of(passages, model.assignment)
    spans = segment_months(mix, [t.number for t in model.topics if not t.mixed], count=count)
    eras = [_era(span, mix) for span in spans]
    by_number = {t.number: t for t in model.topics}
    for i, era in enumerate(eras):
        era.rising = _rising(eras, i, mix, spans, by_number)
        era.representatives = _representatives(era, passages, vectors, model.assignment)
    _mark_source_changes(eras, passages)
    return eras


def segment_months(mix: MonthlyMix, topics: list[int], *, count: int | None = None) -> list[list[str]]:
    """The months (with documents) cut into eras: a list of month lists, in order."""
    months = sorted(m for m in mix.documents if mix.documents[m])
    if len(months) < MIN_MONTHS * 2 or not topics:
        return [months] if months else []
    shares = np.asarray([[mix.topics[m][t] / mix.documents[m] for t in topics] for m in months], dtype=np.float64)
    documents = [mix.documents[m] for m in months]
    vectors = smooth(shares, np.asarray(documents, dtype=np.float64))
    weights = np.sqrt(np.asarray(documents, dtype=np.float64))
    minimum = max(MIN_DOCUMENTS, sum(documents) // 50)
    cuts = _segment(vectors, weights, documents, minimum, count or MAX_ERAS, exact=count is not None)
    bounds = [0, *cuts, len(months)]
    return [months[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def smooth(shares: Any, documents: Any) -> Any:
    """Each row replaced by the ``documents``-weighted mean of it and the rows either side."""
    weighted = shares * documents[:, None]
    padded = np.vstack([np.zeros((1, shares.shape[1])), weighted, np.zeros((1, shares.shape[1]))])
    counts = np.concatenate([[0.0], documents, [0.0]])
    window = padded[:-2] + padded[1:-1] + padded[2:]
    return window / (counts[:-2] + counts[1:-1] + counts[2:])[:, None]


def _segment(
    vectors: Any, weights: Any, documents: list[int], minimum: int, max_segments: int, *, exact: bool = False
) -> list[int]:
    """Cut points of the best segmentation into spans of at least MIN_MONTHS months and
    ``minimum`` documents; ``exact`` forces ``max_segments`` segments."""
    n = len(vectors)
    cost = _cost_table(vectors, weights)
    before = [0]
    for d in documents:
        before.append(before[-1] + d)
    beta = cost[0][n] / (PENALTY_DIVISOR * max_segments)
    best: dict[tuple[int, int], tuple[float, list[int]]] = {(0, 0): (0.0, [])}  # (segments, end) -> (cost, cuts)
    for k in range(1, max_segments + 1):
        for end in range(MIN_MONTHS * k, n + 1):
            options = [
                (best[(k - 1, start)][0] + cost[start][end], [*best[(k - 1, start)][1], start])
                for start in range(MIN_MONTHS * (k - 1), end - MIN_MONTHS + 1)
                if (k - 1, start) in best and before[end] - before[start] >= minimum
            ]
            if options:
                best[(k, end)] = min(options, key=lambda o: o[0])
    ks = [max_segments] if exact and (max_segments, n) in best else range(1, max_segments + 1)
    choices = [(best[(k, n)][0] + beta * k, best[(k, n)][1][1:]) for k in ks if (k, n) in best]
    return min(choices, key=lambda c: c[0])[1] if choices else []


def _cost_table(vectors: Any, weights: Any) -> list[list[float]]:
    """cost[a][b]: weighted squared distance of months a..b-1 to their weighted mean."""
    n = len(vectors)
    zero = np.zeros((1, vectors.shape[1]))
    sums = np.vstack([zero, np.cumsum(weights[:, None] * vectors, axis=0)])
    squares = np.concatenate([[0.0], np.cumsum(weights * (vectors**2).sum(axis=1))])
    total = np.concatenate([[0.0], np.cumsum(weights)])
    table = [[0.0] * (n + 1) for _ in range(n + 1)]
    for a in range(n):
        spans = sums[a + 1 :] - sums[a]
        costs = squares[a + 1 :] - squares[a] - (spans**2).sum(axis=1) / (total[a + 1 :] - total[a])
        table[a][a + 1 :] = np.maximum(costs, 0.0).tolist()
    return table


def _era(months: list[str], mix: MonthlyMix) -> FoundEra:
    return FoundEra(
        start=months[0], end=months[-1], months=len(months), documents=sum(mix.documents[m] for m in months)
    )


def _rising(
    eras: list[FoundEra], i: int, mix: MonthlyMix, spans: list[list[str]], topics: dict[int, Topic]
) -> list[tuple[Topic, float, float]]:
    """The era's topics whose share of documents grew most against the era before (the first
    era: against all later months), each held by at least two of the era's documents."""
    inside = _shares(spans[i], mix)
    before = _shares(spans[i - 1] if i else [m for span in spans[1:] for m in span], mix)
    held = {t for m in spans[i] for t, n in mix.topics[m].items() if n} if spans[i] else set()
    counts = Counter({t: sum(mix.topics[m][t] for m in spans[i]) for t in held})
    rise = {
        t: inside.get(t, 0.0) - before.get(t, 0.0)
        for t in held
        if counts[t] >= 2 and t in topics and not topics[t].mixed  # a catch-all names no era
    }
    best = sorted(rise, key=lambda t: (-rise[t], t))[:RISING]
    return [(topics[t], before.get(t, 0.0), inside.get(t, 0.0)) for t in best if rise[t] > 0]


def _shares(months: list[str], mix: MonthlyMix) -> dict[int, float]:
    documents = sum(mix.documents[m] for m in months)
    totals: Counter[int] = Counter()
    for m in months:
        totals.update(mix.topics[m])
    return {t: n / documents for t, n in totals.items()} if documents else {}


def _representatives(
    era: FoundEra, passages: list[OwnPassage], vectors: Matrix, assignment: list[int]
) -> list[OwnPassage]:
    """Own-word passages from inside the era, of its rising topics in turn, nearest each topic's
    centre, one per document."""
    chosen: list[OwnPassage] = []
    documents: set[str] = set()
    for topic, _, _ in era.rising or []:
        members = [i for i, t in enumerate(assignment) if t == topic.number]
        within = [i for i in members if passages[i].month and era.start <= str(passages[i].month) <= era.end]
        if not within:
            continue
        centre = vectors[members].mean(axis=0)
        for j in np.argsort(-(vectors[within] @ centre), kind="stable"):
            passage = passages[within[int(j)]]
            if passage.document_id not in documents:
                chosen.append(passage)
                documents.add(passage.document_id)
                break
    return chosen[:REPRESENTATIVES] if len(chosen) >= 2 else _fill(era, passages, chosen, documents)


def _fill(era: FoundEra, passages: list[OwnPassage], chosen: list[OwnPassage], seen: set[str]) -> list[OwnPassage]:
    """Top up to two passages with the era's longest own-word passages of other documents."""
    inside = [p for p in passages if p.month and era.start <= p.month <= era.end and p.document_id not in seen]
    for passage in sorted(inside, key=lambda p: (-len(p.text), p.passage_id)):
        if len(chosen) >= 2:
            break
        if passage.document_id not in seen:
            chosen.append(passage)
            seen.add(passage.document_id)
    return chosen


def _mark_source_changes(eras: list[FoundEra], passages: list[OwnPassage]) -> None:
    """Note each boundary where a feed that matters on its side ends just before it or starts
    within one month (with documents) of it."""
    months = sorted({p.month for p in passages if p.month})
    position = {m: i for i, m in enumerate(months)}
    feeds: dict[str, list[str]] = defaultdict(list)
    documents: dict[str, set[str]] = defaultdict(set)
    for p in passages:
        if p.month:
            feeds[p.feed].append(p.month)
            documents[p.feed].add(p.document_id)
    for before, era in zip(eras, eras[1:], strict=False):
        notes = []
        at = position[era.start]
        for feed, seen in sorted(feeds.items()):
            first, last = position[min(seen)], position[max(seen)]
            if at - 2 <= last < at and len(documents[feed]) >= FEED_SHARE * before.documents:
                notes.append(f"{feed} ends {max(seen)}")
            # subtle: a month's mix is smoothed with its neighbours, so a cut can land one month
            # (with documents) after the feed's first: that still coincides with it
            if at - 1 <= first <= at + 1 and first > 0 and len(documents[feed]) >= FEED_SHARE * era.documents:
                notes.append(f"{feed} starts {min(seen)}")
        if notes:
            era.source_change = "Boundary coincides with a change of source: " + "; ".join(notes)


def robustness(model: TopicModel, passages: list[OwnPassage], eras: list[FoundEra]) -> dict[str, Any]:
    """Re-find the same number of eras on 90% document subsamples and report how far the
    boundaries move (the era finder itself is deterministic)."""
    documents = sorted({p.document_id for p in passages})
    shifts: dict[str, int | None] = {}
    for seed in ROBUSTNESS_SEEDS:
        draws = np.random.default_rng(seed).random(len(documents))
        keep = {d for d, r in zip(documents, draws, strict=True) if r < 0.9}
        mix = MonthlyMix.of(passages, model.assignment, keep)
        again = segment_months(mix, [t.number for t in model.topics if not t.mixed], count=len(eras))
        shifts[str(seed)] = boundary_shift([e.start for e in eras], [span[0] for span in again])
    worst = [s for s in shifts.values() if s is not None]
    return {
        "seeds": shifts,
        "max_shift_months": max(worst) if worst else None,
        "median_shift_months": float(np.median(worst)) if worst else None,
        "resamples_within_one_month": sum(s <= 1 for s in worst),
    }


def boundary_shift(a: list[str], b: list[str]) -> int | None:
    """Largest distance in months between matching era starts of two runs (None if counts differ)."""
    if len(a) != len(b):
        return None
    return max((abs(_months(x) - _months(y)) for x, y in zip(a, b, strict=True)), default=0)


def _months(value: str) -> int:
    return int(value[:4]) * 12 + int(value[5:7])
