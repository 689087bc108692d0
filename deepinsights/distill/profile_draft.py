"""The draft profile: a distill report turned into a ``Profile``, merged with the last draft.

Measured sections (lineage, topics as themes, eras, mental-model candidates, signature
vocabulary, predictions, corpus claims, gaps) come from the report; every item keeps its
evidence as quotes (own-word passages with their source) or counts. Re-running on a grown
corpus keeps every edit a person made (their text, their era names, their entries) and lists
what changed. Model-drafted candidates, when given, are added where the draft has none of
the same title.

This module does not measure anything (``findings.py``, ``measure.py``) and calls no model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..profile.schema import (
    Axiom,
    CorpusClaim,
    Era,
    GeneratingFunction,
    Identity,
    LineageEntry,
    MentalModel,
    Prediction,
    Profile,
    Quote,
    SignatureWord,
    Simulator,
    SourceRef,
    Tension,
    Theme,
)
from .drafting import Candidate, Drafted
from .eras import FoundEra
from .framings import Framing
from .lineage import Entity
from .own import OwnPassage
from .predictions import Prediction as Forecast
from .prose import GAP
from .topics import Topic

if TYPE_CHECKING:
    from . import DistillReport

THEMES = 30
MENTAL_MODELS = 12
WORDINGS = 4  # a grouped figure's recount query names up to this many of its wordings
PREDICTIONS = 30
QUOTE_CHARS = 240


def draft_profile(
    report: DistillReport, existing: Profile | None = None, drafted: Drafted | None = None, *, name: str | None = None
) -> tuple[Profile, list[str]]:
    """A profile from the measurements (and model-drafted candidates, when given); with
    ``existing``, keep every edit made to it and list what changed. ``name``: the thinker's
    name for a new draft (the slug when not given)."""
    base = existing or Profile(identity=_identity(report, name))
    changes: list[str] = []
    found = report.findings
    lineage = _merge_lineage(base.lineage, report.lineage[:20], changes)
    eras = _merge_eras(base.eras, found.eras, changes)
    known = {p.text for p in base.predictions}
    added = [_prediction(p) for p in found.predictions[:PREDICTIONS] if p.text not in known]
    if added and existing is not None:
        changes.append(f"{len(added)} new prediction candidate(s)")
    claims = [_claim(row) for row in report.coverage.get("by_kind", [])]
    update: dict[str, Any] = {
        "lineage": lineage,
        "eras": eras,
        "predictions": [*base.predictions, *added],
        "corpus_claims": claims,
        "themes": [_theme(t) for t in found.topics.topics[:THEMES]],
        "vocabulary": [_signature(w) for w in found.vocabulary],
    }
    if not base.mental_models or base.mental_models_ordered_by_frequency:
        models = _merge_models(base.mental_models, found.mental_models[:MENTAL_MODELS], changes)
        update |= {"mental_models": models, "mental_models_ordered_by_frequency": True}
    if not base.known_gaps and report.coverage.get("empty_months"):
        update["known_gaps"] = _gaps(report.coverage["empty_months"])
    if drafted is not None:
        update.update(_drafted_sections(base, drafted.kept, changes))
    return base.model_copy(update=update), changes


def _identity(report: DistillReport, name: str | None) -> Identity:
    found = report.findings
    description = (
        f"Distilled by insights distill from {found.passages:,} own-word passages of {report.passages:,}: "
        "every section below is measured, with its passages."
    )
    return Identity(slug=report.thinker, name=name or report.thinker, description=description)


def _drafted_sections(base: Profile, kept: list[Candidate], changes: list[str]) -> dict[str, Any]:
    """Add surviving candidates that the profile does not already hold (matched by title); a
    generating function only where the profile has none."""
    titles = {x.title.lower() for x in base.axioms} | {x.title.lower() for x in base.tensions}
    new = [c for c in kept if c.title.lower() not in titles]
    if new and (base.axioms or base.tensions):
        changes.append(f"{len(new)} new drafted candidate(s)")
    axioms, tensions = list(base.axioms), list(base.tensions)
    aesthetics = list(base.simulator.aesthetics) if base.simulator else []
    generating = base.generating_function
    for c in new:
        quotes = [_quote(q) for q in c.quotes if q.get("location")]
        if c.kind == "axiom":
            axioms.append(Axiom(number=len(axioms) + 1, title=c.title, statement=c.statement, quotes=quotes))
        elif c.kind == "tension":
            tensions.append(Tension(number=len(tensions) + 1, title=c.title, text=c.statement, quotes=quotes))
        elif c.kind == "aesthetic" and f"{c.title}: {c.statement}" not in aesthetics:
            aesthetics.append(f"{c.title}: {c.statement}")
        elif c.kind == "generating_function" and generating is None:
            note = "Drafted by a model from the measured sections; its quotes verify: " + " / ".join(
                f"“{q.text}” ({q.source.title})" for q in quotes
            )
            generating = GeneratingFunction(statement=c.statement or c.title, phases=c.phases, note=note)
    simulator = base.simulator or Simulator(opening=f"You are simulating the thinking of {base.name}.")
    return {
        "axioms": axioms,
        "tensions": tensions,
        "generating_function": generating,
        "simulator": simulator.model_copy(update={"aesthetics": aesthetics}),
    }


def _quote(result: dict[str, Any]) -> Quote:
    where = result["location"]
    title = where.get("title") or where.get("url") or where["document_id"]
    date = (where.get("published_at") or "")[:10] or None
    return Quote(text=result["text"], source=SourceRef(title=title, date=date, url=where.get("url")))


def _theme(topic: Topic) -> Theme:
    """A topic as the page shows it: label, phrases, size, documents per year, passages."""
    by_year: dict[str, int] = {}
    for month, n in topic.by_month.items():
        by_year[month[:4]] = by_year.get(month[:4], 0) + n
    return Theme(
        term=topic.label or f"topic {topic.number}",
        documents=topic.documents,
        by_year=_every_year(by_year),
        phrases=topic.phrases,
        passages=topic.passages,
        stability=topic.stability,
        quotes=[passage_quote(p) for p in topic.representatives],
    )


def _signature(word: Any) -> SignatureWord:
    ratio = round(word.ratio, 1)
    return SignatureWord(word=word.word, count=word.count, documents=word.documents, times_everyday_english=ratio)


def passage_quote(passage: OwnPassage, text: str | None = None) -> Quote:
    """An own-word passage (or a sentence of it) as a quote with its source."""
    excerpt = text or _excerpt(passage.text)
    source = SourceRef(
        title=passage.title or passage.url or passage.document_id,
        date=(passage.published_at or "")[:10] or None,
        url=passage.url,
    )
    return Quote(text=excerpt, source=source)


def _excerpt(text: str) -> str:
    """The passage's longest stretch of own words on one line, cut at a word boundary near
    ``QUOTE_CHARS`` (so the quote is a span the thinker wrote, and verifies)."""
    pieces = [piece.strip() for line in text.splitlines() for piece in line.split(GAP.strip())]
    line = max(pieces, key=len, default="")
    return line if len(line) <= QUOTE_CHARS else line[:QUOTE_CHARS].rsplit(" ", 1)[0]


def _merge_models(current: list[MentalModel], framings: list[Framing], changes: list[str]) -> list[MentalModel]:
    """Measured mental-model candidates, ranked by documents; a person's edits to one are kept."""
    by_title = {m.title.lower(): m for m in current}
    models = []
    for rank, framing in enumerate(framings, start=1):
        measured = _model(rank, framing)
        kept = by_title.pop(framing.key.lower(), None)
        if kept is None and current:
            changes.append(f"new mental model: {framing.key} ({len(framing.documents)} documents)")
        models.append(measured if kept is None else kept.model_copy(update={"rank": rank, **_counts(measured)}))
    rest = [m.model_copy(update={"rank": len(models) + i}) for i, m in enumerate(by_title.values(), start=1)]
    return models + rest


def _counts(model: MentalModel) -> dict[str, Any]:
    return {"documents": model.documents, "topics": model.topics}


def _model(rank: int, framing: Framing) -> MentalModel:
    kinds = {
        "analogy": "an analogy",
        "think of": "a 'think of X as' framing",
        "is a": "a metaphor",
        "the new": "an 'X is the new Y' framing",
        "coined": "a term the thinker named",
    }
    what = kinds.get(framing.kind, "a named law or slogan" if framing.kind == "law" else "a framing")
    return MentalModel(
        rank=rank,
        title=framing.key,
        explanation=f"{what.capitalize()} used in {len(framing.documents)} documents across "
        f"{len(framing.topics)} topics.",
        quotes=[passage_quote(p, sentence) for p, sentence in framing.examples],
        query=" OR ".join(f'"{w}"' for w in [framing.key, *sorted(set(framing.wordings) - {framing.key})][:WORDINGS]),
        documents=len(framing.documents),
        topics=len(framing.topics),
    )


def _every_year(counts: dict[str, int]) -> dict[str, int]:
    """Counts for every year from the first to the last (0 where there were none), in order."""
    years = [int(y) for y in counts if y.isdigit()]
    if not years:
        return {}
    return {str(y): counts.get(str(y), 0) for y in range(min(years), max(years) + 1)}


def _merge_lineage(current: list[LineageEntry], mentions: list[Entity], changes: list[str]) -> list[LineageEntry]:
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


def _lineage(m: Entity) -> LineageEntry:
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


def _dated(m: Entity) -> dict[str, int]:
    """References per year, leaving out undated documents (the page draws years)."""
    return _every_year(dict(m.by_year))


def _merge_eras(current: list[Era], found: list[FoundEra], changes: list[str]) -> list[Era]:
    if current and any(not e.name.startswith("Era ") for e in current):
        return current  # a person named the eras: keep theirs
    eras = [
        Era(
            name=f"Era {i}: {e.name}",
            start=e.start,
            end=e.end,
            summary=f"{e.documents} documents. {e.reason}",
            quotes=[passage_quote(p) for p in e.representatives],
            note=e.source_change,
        )
        for i, e in enumerate(found, start=1)
    ]
    if current and [(e.start, e.end) for e in current] != [(e.start, e.end) for e in eras]:
        changes.append(f"eras changed: {len(current)} → {len(eras)}")
    return eras


def _prediction(p: Forecast) -> Prediction:
    source = SourceRef(title=p.passage.title or p.passage.url or p.passage.document_id, date=p.made, url=p.passage.url)
    return Prediction(
        text=p.text,
        kind="explicit",
        source=source,
        made=p.made,
        horizon=p.horizon,
        revisits=[passage_quote(r) for r in p.revisits],
    )


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
