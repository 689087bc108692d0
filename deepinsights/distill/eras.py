"""Eras: change points in the monthly theme mix.

Each month with dated items becomes a vector of theme shares (the share of that month's
documents using each of the corpus's top themes). The months are then cut into at most
``max_eras`` contiguous segments by exact dynamic programming, minimising the within-segment
squared distance to each segment's mean plus a penalty per extra segment, so the result
is the same on every run. ``seed`` only chooses a 90% subsample of documents, which is how
the stability check asks "would slightly different data move the boundaries?".

This module does not read the store; it works on the counts ``measure.ThemeCounter`` made.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

MIN_MONTHS = 2
MIN_DOCUMENTS = 3  # an era holds at least this many documents, and at least 2% of them all
PENALTY_DIVISOR = 4  # penalty per extra era: the one-era cost / (4 × max eras)


@dataclass
class FoundEra:
    """A span of months with its distinctive themes."""

    start: str
    end: str
    months: int
    documents: int
    themes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "end": self.end,
            "months": self.months,
            "documents": self.documents,
            "themes": self.themes,
        }


def subsample(document_ids: list[str], seed: int | None, share: float = 0.9) -> set[str] | None:
    """The documents kept for a run with this seed (None: keep all)."""
    if seed is None:
        return None
    rng = random.Random(seed)
    return {d for d in sorted(document_ids) if rng.random() < share}


def find_eras(
    by_month: dict[str, Counter[str]],
    documents_by_month: Counter[str],
    themes: list[str],
    *,
    max_eras: int = 6,
    penalty: float | None = None,
    count: int | None = None,
) -> list[FoundEra]:
    """Split the months into eras; each era lists the themes most over-represented in it."""
    months = sorted(m for m in by_month if documents_by_month[m])
    if len(months) < MIN_MONTHS * 2:
        overall = _theme_totals(months, by_month, themes)
        return [_era(months, by_month, documents_by_month, themes, overall)] if months else []
    vectors = [[by_month[m][t] / documents_by_month[m] for t in themes] for m in months]
    weights = [min(documents_by_month[m], 10) for m in months]
    documents = [documents_by_month[m] for m in months]
    minimum = max(MIN_DOCUMENTS, sum(documents) // 50)
    cuts = _segment(vectors, weights, documents, minimum, count or max_eras, penalty, exact=count is not None)
    bounds = [0, *cuts, len(months)]
    overall = _theme_totals(months, by_month, themes)
    spans = zip(bounds, bounds[1:], strict=False)
    return [_era(months[a:b], by_month, documents_by_month, themes, overall) for a, b in spans]


def _theme_totals(months: list[str], by_month: dict[str, Counter[str]], themes: list[str]) -> dict[str, int]:
    return {t: sum(by_month[m][t] for m in months) for t in themes}


def _segment(
    vectors: list[list[float]],
    weights: list[int],
    documents: list[int],
    minimum: int,
    max_segments: int,
    penalty: float | None,
    *,
    exact: bool = False,
) -> list[int]:
    """Cut points of the best segmentation into spans of at least MIN_MONTHS months and
    ``minimum`` documents; ``exact`` forces ``max_segments`` segments."""
    n = len(vectors)
    cost = _cost_table(vectors, weights)
    before = [0]
    for d in documents:
        before.append(before[-1] + d)
    beta = penalty if penalty is not None else cost[0][n] / (PENALTY_DIVISOR * max_segments)
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


def _cost_table(vectors: list[list[float]], weights: list[int]) -> list[list[float]]:
    """cost[a][b]: weighted squared distance of months a..b-1 to their weighted mean."""
    n, dims = len(vectors), len(vectors[0]) if vectors else 0
    table = [[0.0] * (n + 1) for _ in range(n + 1)]
    for a in range(n):
        sums, squares, weight = [0.0] * dims, 0.0, 0
        for b in range(a, n):
            w, v = weights[b], vectors[b]
            weight += w
            squares += w * sum(x * x for x in v)
            for i in range(dims):
                sums[i] += w * v[i]
            table[a][b + 1] = squares - sum(s * s for s in sums) / weight
    return table


def _era(
    months: list[str],
    by_month: dict[str, Counter[str]],
    documents_by_month: Counter[str],
    themes: list[str],
    everywhere: dict[str, int],
) -> FoundEra:
    docs = sum(documents_by_month[m] for m in months)
    inside = _theme_totals(months, by_month, themes)
    all_docs = sum(documents_by_month.values())
    lift = {t: (inside[t] / docs) / (everywhere[t] / all_docs) for t in themes if inside[t] >= 2 and everywhere[t]}
    top = sorted(lift, key=lambda t: (-lift[t], -inside[t], t))[:8]
    return FoundEra(start=months[0], end=months[-1], months=len(months), documents=docs, themes=top)


def boundary_shift(a: list[FoundEra], b: list[FoundEra]) -> int | None:
    """Largest distance in months between matching era starts of two runs (None if counts differ)."""
    if len(a) != len(b):
        return None
    return max((abs(_months(x.start) - _months(y.start)) for x, y in zip(a, b, strict=True)), default=0)


def _months(value: str) -> int:
    return int(value[:4]) * 12 + int(value[5:7])
