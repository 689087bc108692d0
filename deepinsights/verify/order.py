"""Compare the claimed order of mental models with how often each appears in the corpus.

A profile that says its mental models are "ordered by frequency" claims that rank 1 is
the most frequent. Each model's frequency is the number of documents its ``query``
matches (recounted in ``report``); the agreement is Spearman's rank correlation ρ
between claimed order and measured frequency (average ranks for ties): +1 is the claimed
order exactly, 0 no relation, -1 the reverse. Models without a query are left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..profile.schema import Profile


class _Counted(Protocol):
    @property
    def measured(self) -> int | str | None: ...


@dataclass(frozen=True)
class OrderRow:
    """One model: its claimed rank, its query, the documents it matched and its measured rank."""

    rank: int
    title: str
    query: str | None
    documents: int | None
    measured_rank: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "title": self.title,
            "query": self.query,
            "documents": self.documents,
            "measured_rank": self.measured_rank,
        }


@dataclass
class OrderCheck:
    """Whether the profile claims a frequency order, each model's measurement, and Spearman's ρ."""

    claimed: bool
    rows: list[OrderRow] = field(default_factory=list)
    spearman: float | None = None
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "rows": [r.to_dict() for r in self.rows],
            "spearman": self.spearman,
            "note": self.note,
        }


def check_order(profile: Profile, counts: Mapping[str, _Counted]) -> OrderCheck:
    """Measure the mental models' order; ``counts`` maps ``mental_models.<rank>`` to its recount."""
    check = OrderCheck(claimed=profile.mental_models_ordered_by_frequency)
    measured: dict[int, int] = {}
    for model in sorted(profile.mental_models, key=lambda m: m.rank):
        count = counts.get(f"mental_models.{model.rank}")
        if count is not None and isinstance(count.measured, int):
            measured[model.rank] = count.measured
    ranks = dict(zip(measured, average_ranks([-v for v in measured.values()]), strict=True))
    for model in sorted(profile.mental_models, key=lambda m: m.rank):
        check.rows.append(
            OrderRow(model.rank, model.title, model.query, measured.get(model.rank), ranks.get(model.rank))
        )
    if len(measured) < 2:
        check.note = "fewer than two models have a query to count"
        return check
    check.spearman = spearman([-r for r in measured], list(measured.values()))
    if check.spearman is None:
        check.note = "every model matched the same number of documents"
    return check


def average_ranks(values: Sequence[float]) -> list[float]:
    """Rank 1 for the smallest value; tied values share the mean of their ranks."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Spearman's rank correlation of two equally long sequences; None when either is constant."""
    rx, ry = average_ranks(xs), average_ranks(ys)
    n = len(rx)
    mx, my = sum(rx) / n, sum(ry) / n
    cov = sum((a - mx) * (b - my) for a, b in zip(rx, ry, strict=True))
    vx = sum((a - mx) ** 2 for a in rx)
    vy = sum((b - my) ** 2 for b in ry)
    if vx == 0 or vy == 0:
        return None
    return round(float(cov / (vx * vy) ** 0.5), 4)
