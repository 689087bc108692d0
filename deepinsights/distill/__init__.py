"""Distill: from a corpus to a draft profile whose every element carries its evidence.

``distill(store, slug)`` measures lineage, themes by month, eras, predictions and coverage
(no model). ``draft_profile(report, existing)`` turns that into a ``Profile`` in the shipped
schema, keeping every edit a person made to an earlier draft and listing what changed.
The optional model-drafted parts (candidate axioms and mental models) live in ``drafting.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..profile.schema import (
    Axiom,
    CorpusClaim,
    Era,
    Identity,
    LineageEntry,
    MentalModel,
    Prediction,
    Profile,
    Quote,
    Simulator,
    SourceRef,
    Tension,
    Theme,
)
from ..store import Store
from .drafting import Candidate, Drafted
from .eras import FoundEra, boundary_shift, find_eras, subsample
from .measure import (
    LineageCounter,
    Mention,
    OwnWordsTally,
    PredictionCandidate,
    Row,
    ThemeCounter,
    coverage,
    own_projects,
    predictions,
    rows,
)
from .mind import MindChange, is_cue, pair_up

__all__ = ["DistillReport", "distill", "draft_profile"]

ROBUSTNESS_SEEDS = (1, 2, 3)
OWN = "own words only (reposts, quotations, link titles, blockquotes, code and boilerplate left out)"
TEXT_USED = {
    "lineage": "all text: own words and others' (each reference says which, and its relation)",
    "themes": OWN,
    "eras": OWN,
    "predictions": OWN + "; a sentence holding anyone else's words is left out whole",
    "mind_changes": OWN + " for the cue; the earlier passage is found by full-text search",
    "coverage": "every document",
}


@dataclass
class DistillReport:
    """Everything measured for one thinker; ``as_dict()`` is the JSON the CLI prints."""

    thinker: str
    passages: int
    lineage: list[Mention] = field(default_factory=list)
    themes: list[tuple[str, int]] = field(default_factory=list)
    themes_by_month: dict[str, dict[str, int]] = field(default_factory=dict)
    eras: list[FoundEra] = field(default_factory=list)
    era_robustness: dict[str, Any] = field(default_factory=dict)
    predictions: list[PredictionCandidate] = field(default_factory=list)
    mind_changes: list[MindChange] = field(default_factory=list)
    coverage: dict[str, Any] = field(default_factory=dict)
    own_words: OwnWordsTally = field(default_factory=lambda: OwnWordsTally())

    def as_dict(self) -> dict[str, Any]:
        return {
            "thinker": self.thinker,
            "passages": self.passages,
            "own_words": self.own_words.as_dict(),
            "text_used": TEXT_USED,
            "lineage": [m.as_dict() for m in self.lineage],
            "themes": [{"term": t, "documents": n} for t, n in self.themes],
            "themes_by_month": self.themes_by_month,
            "eras": [e.as_dict() for e in self.eras],
            "era_robustness": self.era_robustness,
            "predictions": [p.as_dict() for p in self.predictions],
            "mind_changes": [m.as_dict() for m in self.mind_changes],
            "coverage": self.coverage,
        }


def distill(
    store: Store,
    thinker: str,
    *,
    since: str | None = None,
    until: str | None = None,
    handles: set[str] | None = None,
    names: set[str] | None = None,
    check_robustness: bool = True,
) -> DistillReport:
    """Measure ``thinker``'s corpus. Deterministic: the same corpus gives the same report.

    ``handles`` and ``names`` (besides the slug) are the thinker's own: never their lineage.
    """
    own_names = {thinker, *(names or set())}
    lineage = LineageCounter(handles, own_projects(store, thinker), own_names=own_names)
    themes = ThemeCounter()
    found: list[PredictionCandidate] = []
    cues: list[Row] = []
    count = 0
    own = OwnWordsTally()
    for row in rows(store, thinker, since, until):
        count += 1
        own.add(row)
        lineage.add(row)
        themes.add(row)
        if len(found) < 500:
            found.extend(predictions(row))
        if is_cue(row) and len(cues) < 100:
            cues.append(row)
    top = themes.top(40)
    terms = [t for t, _ in top]
    report = DistillReport(thinker=thinker, passages=count, lineage=lineage.ranked(), themes=top, own_words=own)
    report.themes_by_month = {m: {t: c[t] for t in terms if c[t]} for m, c in sorted(themes.by_month.items())}
    report.eras = find_eras(themes.by_month, themes.documents_by_month, terms)
    if check_robustness:
        report.era_robustness = _robustness(store, thinker, since, until, report.eras, terms)
    report.predictions = _dedupe(found)[:100]
    report.mind_changes = pair_up(store, thinker, cues, terms)
    report.coverage = coverage(store, thinker)
    return report


def _robustness(
    store: Store, thinker: str, since: str | None, until: str | None, eras: list[FoundEra], terms: list[str]
) -> dict[str, Any]:
    """Re-find the same number of eras on 90% document subsamples (one per seed) and report how
    far the boundaries move. The era finder itself is deterministic: without subsampling, any two
    runs give identical eras, so this measures sensitivity to the data, not to randomness."""
    ids = [r["id"] for r in store.rows("SELECT id FROM documents WHERE thinker = ?", [thinker])]
    samples = {seed: (subsample(ids, seed) or set(), ThemeCounter(only=set(terms))) for seed in ROBUSTNESS_SEEDS}
    for row in rows(store, thinker, since, until):  # one pass feeds every subsample
        for keep, counter in samples.values():
            if row.document_id in keep:
                counter.add(row)
    shifts: dict[str, int | None] = {}
    for seed, (_, counter) in samples.items():
        again = find_eras(counter.by_month, counter.documents_by_month, terms, count=len(eras))
        shifts[str(seed)] = boundary_shift(eras, again)
    worst = [s for s in shifts.values() if s is not None]
    return {
        "seeds": shifts,
        "max_shift_months": max(worst) if worst else None,
        "within_one_month": bool(worst) and len(worst) == len(shifts) and max(worst) <= 1,
    }


def _dedupe(found: list[PredictionCandidate]) -> list[PredictionCandidate]:
    seen: set[str] = set()
    out = []
    for p in found:
        key = p.text.lower()[:80]
        if key not in seen:
            seen.add(key)
            out.append(p)
    return sorted(out, key=lambda p: (p.horizon is None, p.made or ""))


def draft_profile(
    report: DistillReport, existing: Profile | None = None, drafted: Drafted | None = None
) -> tuple[Profile, list[str]]:
    """A profile from the measurements (and model-drafted candidates, when given); with
    ``existing``, keep every edit made to it and list what changed."""
    base = existing or Profile(identity=Identity(slug=report.thinker, name=report.thinker))
    changes: list[str] = []
    lineage = _merge_lineage(base.lineage, report.lineage[:20], changes)
    eras = _merge_eras(base.eras, report.eras, changes)
    known = {p.text for p in base.predictions}
    added = [_prediction(p) for p in report.predictions[:30] if p.text not in known]
    if added and existing is not None:
        changes.append(f"{len(added)} new prediction candidate(s)")
    claims = [_claim(row) for row in report.coverage.get("by_kind", [])]
    update = {
        "lineage": lineage,
        "eras": eras,
        "predictions": [*base.predictions, *added],
        "corpus_claims": claims,
        "themes": _themes(report),
    }
    if not base.known_gaps and report.coverage.get("empty_months"):
        update["known_gaps"] = _gaps(report.coverage["empty_months"])
    if drafted is not None:
        update.update(_drafted_sections(base, drafted.kept, changes))
    return base.model_copy(update=update), changes


def _drafted_sections(base: Profile, kept: list[Candidate], changes: list[str]) -> dict[str, Any]:
    """Add surviving candidates that the profile does not already hold (matched by title)."""
    titles = {x.title.lower() for x in base.axioms} | {x.title.lower() for x in base.mental_models}
    titles |= {x.title.lower() for x in base.tensions}
    new = [c for c in kept if c.title.lower() not in titles]
    if new and (base.axioms or base.mental_models):
        changes.append(f"{len(new)} new drafted candidate(s)")
    axioms, models, tensions = list(base.axioms), list(base.mental_models), list(base.tensions)
    aesthetics = list(base.simulator.aesthetics) if base.simulator else []
    for c in new:
        quotes = [_quote(q) for q in c.quotes if q.get("location")]
        if c.kind == "axiom":
            axioms.append(Axiom(number=len(axioms) + 1, title=c.title, statement=c.statement, quotes=quotes))
        elif c.kind == "tension":
            tensions.append(Tension(number=len(tensions) + 1, title=c.title, text=c.statement))
        elif c.kind == "aesthetic":
            aesthetics.append(f"{c.title}: {c.statement}")
        else:
            models.append(
                MentalModel(
                    rank=len(models) + 1, title=c.title, explanation=c.statement, quotes=quotes, query=f'"{c.theme}"'
                )
            )
    simulator = base.simulator or Simulator(opening=f"You are simulating the thinking of {base.name}.")
    return {
        "axioms": axioms,
        "mental_models": models,
        "tensions": tensions,
        "simulator": simulator.model_copy(update={"aesthetics": aesthetics}),
    }


def _quote(result: dict[str, Any]) -> Quote:
    where = result["location"]
    title = where.get("title") or where.get("url") or where["document_id"]
    date = (where.get("published_at") or "")[:10] or None
    return Quote(text=result["text"], source=SourceRef(title=title, date=date, url=where.get("url")))


def _themes(report: DistillReport) -> list[Theme]:
    """The top themes with their documents per year, for the page's themes-over-time chart."""
    by_year: dict[str, dict[str, int]] = {}
    for month, counts in report.themes_by_month.items():
        for term, n in counts.items():
            year = by_year.setdefault(term, {})
            year[month[:4]] = year.get(month[:4], 0) + n
    return [Theme(term=t, documents=n, by_year=_every_year(by_year.get(t, {}))) for t, n in report.themes[:20]]


def _every_year(counts: dict[str, int]) -> dict[str, int]:
    """Counts for every year from the first to the last (0 where there were none), in order."""
    years = [int(y) for y in counts if y.isdigit()]
    if not years:
        return {}
    return {str(y): counts.get(str(y), 0) for y in range(min(years), max(years) + 1)}


def _merge_lineage(current: list[LineageEntry], mentions: list[Mention], changes: list[str]) -> list[LineageEntry]:
    by_name = {entry.name.lower(): entry for entry in current}
    merged = list(current)
    for mention in mentions:
        entry = by_name.get(mention.name.lower())
        if entry is None:
            merged.append(_lineage(mention))
            if current:
                changes.append(f"new lineage entry: {mention.name} ({mention.count})")
        elif entry.claimed_count != mention.count:
            changes.append(f"lineage {entry.name}: count {entry.claimed_count} → {mention.count}")
            merged[merged.index(entry)] = entry.model_copy(update={"claimed_count": mention.count})
        if entry is not None and entry.by_year != _dated(mention):
            at = merged.index(next(e for e in merged if e.name == entry.name))
            merged[at] = merged[at].model_copy(update={"by_year": _dated(mention)})
    return merged


def _lineage(m: Mention) -> LineageEntry:
    relations = ", ".join(f"{k} ×{v}" for k, v in m.relations.most_common())
    dates = f"first seen {(m.first or '?')[:10]}, last {(m.last or '?')[:10]}"
    text = f"{m.kind}; {dates}" + (f"; {relations}" if relations else "")
    query = '"' + m.name.lstrip("@").replace('"', "") + '"'
    return LineageEntry(
        name=m.name,
        role=m.kind,
        text=text,
        claimed_count=m.count,
        count_query=query,
        by_year=_dated(m),
    )


def _dated(m: Mention) -> dict[str, int]:
    """References per year, leaving out undated documents (the page draws years)."""
    return _every_year(dict(m.by_year))


def _merge_eras(current: list[Era], found: list[FoundEra], changes: list[str]) -> list[Era]:
    if current and any(not e.name.startswith("Era ") for e in current):
        return current  # a person named the eras: keep theirs
    eras = [
        Era(
            name=f"Era {i}: {', '.join(e.themes[:3])}",
            start=e.start,
            end=e.end,
            summary=f"{e.documents} items; distinctive themes: {', '.join(e.themes)}",
        )
        for i, e in enumerate(found, start=1)
    ]
    if current and [(e.start, e.end) for e in current] != [(e.start, e.end) for e in eras]:
        changes.append(f"eras changed: {len(current)} → {len(eras)}")
    return eras


def _prediction(p: PredictionCandidate) -> Prediction:
    source = SourceRef(title=p.example.url or p.example.document_id, date=p.made, url=p.example.url)
    return Prediction(text=p.text, kind="explicit", source=source, made=p.made, horizon=p.horizon)


def _claim(row: dict[str, Any]) -> CorpusClaim:
    first, last = (row.get("first") or "")[:7] or None, (row.get("last") or "")[:7] or None
    span = f"{first} – {last}" if first and last else None
    return CorpusClaim(
        label=f"{row['kind']}s",
        items=row["items"],
        kinds=[row["kind"]],
        first=first,
        last=last,
        date_range=span,
        words=f"{row['words'] or 0:,} words",
        words_claimed=row["words"] or 0,
    )


def _gaps(months: list[str]) -> list[str]:
    spans: list[list[str]] = []
    for month in months:
        if spans and _next(spans[-1][-1]) == month:
            spans[-1].append(month)
        else:
            spans.append([month])
    long = [s for s in spans if len(s) >= 6]
    return [f"No items from {s[0]} to {s[-1]} ({len(s)} months)" for s in long][:10]


def _next(month: str) -> str:
    year, m = int(month[:4]), int(month[5:7])
    return f"{year + 1:04d}-01" if m == 12 else f"{year:04d}-{m + 1:02d}"
