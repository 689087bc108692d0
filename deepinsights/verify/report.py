"""Verify a whole profile against the store: quotes, counts, order, sources, dates, a score.

``verify_profile(profile, store)`` returns a ``ProfileReport``: plain dataclasses whose
``to_dict()`` is the JSON the CLI prints and the web page renders. Nothing here calls a
model or the network, and nothing writes to the store.

The grounding score (0-100) is the mean of the points of every claim this workspace can check:

* each quote: verbatim 1, approximate 0.5, not found 0;
* each claimed number with a way to recount it (documents, words, first/last date):
  match 1, close 0.5, mismatch 0 — numbers with no query or kinds are listed as
  ``unverifiable`` and not scored, numbers the profile does not claim are ``measured``;
* the mental-model order, when the profile claims it is by frequency: max(0, Spearman ρ).

A claim resting on sources the workspace does not hold (no tweets imported, a cited podcast
absent) is ``unverifiable_here`` (``here``): counted apart, with its reason, and not scored.

Matching rules: documents match exactly; words match within 5% (close within 25%),
since profiles round them ("32K"); a date matches when the measured date starts with the
claimed partial date (``2022-11``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..errors import VerificationError
from ..models import DocRef, SearchFilter, Tally
from ..profile.schema import CorpusClaim, Profile, SourceRef
from ..workspace import Workspace
from .counting import kinds_in_store, tally, thinker_in_store
from .here import UNVERIFIABLE_HERE, Gap, Holdings, corpus_gaps, count_gap, grouped, quote_gap
from .locate import APPROXIMATE, NOT_FOUND, STATUSES, VERBATIM, Locator, QuoteResult
from .order import OrderCheck, check_order
from .sources import FOUND, KIND, MISSING, QUOTED, SourceCheck, kind_source, match_source, split_sources

MATCH, CLOSE, MISMATCH, UNVERIFIABLE, MEASURED = "match", "close", "mismatch", "unverifiable", "measured"
COUNT_STATUSES = (MATCH, CLOSE, MISMATCH, UNVERIFIABLE, UNVERIFIABLE_HERE, MEASURED)
QUOTE_STATUSES = (*STATUSES, UNVERIFIABLE_HERE)
_POINTS = {VERBATIM: 1.0, APPROXIMATE: 0.5, NOT_FOUND: 0.0, MATCH: 1.0, CLOSE: 0.5, MISMATCH: 0.0}


@dataclass
class QuoteCheck:
    """One quote of the profile: where it sits, what it cites, and the verdict."""

    path: str
    item: str
    source: str
    result: QuoteResult
    in_cited_source: bool | None = None
    gap: Gap | None = None  # set when the quote is not found and nothing it cites is in the workspace

    @property
    def status(self) -> str:
        """The locator's verdict, or ``unverifiable_here`` when its sources were never imported."""
        return UNVERIFIABLE_HERE if self.gap is not None else self.result.status

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "item": self.item,
            "source": self.source,
            "in_cited_source": self.in_cited_source,
            **self.result.to_dict(),
            "status": self.status,
            "gap": self.gap.to_dict() if self.gap else None,
        }


@dataclass
class CountCheck:
    """A number the profile states (or a query it gives), recounted.

    ``metric`` is ``documents``, ``words``, ``first`` or ``last``. ``matches`` lists the
    first matching documents (oldest first); ``first_seen``/``last_seen`` are their dates.
    """

    id: str
    section: str
    label: str
    metric: str
    claimed: int | str | None
    measured: int | str | None
    status: str
    query: str | None = None
    kinds: list[str] = field(default_factory=list)
    url_contains: str | None = None
    note: str | None = None
    first_seen: str | None = None
    last_seen: str | None = None
    matches: list[DocRef] = field(default_factory=list)
    gap: Gap | None = None  # set, with status unverifiable_here, when what it counts was never imported

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section,
            "label": self.label,
            "metric": self.metric,
            "claimed": self.claimed,
            "measured": self.measured,
            "status": self.status,
            "query": self.query,
            "kinds": list(self.kinds),
            "url_contains": self.url_contains,
            "note": self.note,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "matches": [m.to_dict() for m in self.matches],
            "gap": self.gap.to_dict() if self.gap else None,
        }


@dataclass(frozen=True)
class Seen:
    """When an axiom, lineage entry or mental model first and last appears in the corpus."""

    id: str
    label: str
    first: str | None
    last: str | None
    documents: int

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "first": self.first, "last": self.last, "documents": self.documents}


@dataclass
class Summary:
    """The report in numbers; ``grounding`` is the score defined in the module docstring."""

    quotes: dict[str, int]
    counts: dict[str, int]
    sources: dict[str, int]
    spearman: float | None
    grounding: float
    scored_claims: int
    here: list[dict[str, Any]] = field(default_factory=list)  # here.grouped(): claims unverifiable here, by reason

    @property
    def unverifiable_here(self) -> int:
        return sum(int(g["claims"]) for g in self.here)

    def line(self) -> str:
        q, c = self.quotes, self.counts
        checked = c[MATCH] + c[CLOSE] + c[MISMATCH]
        rho = "n/a" if self.spearman is None else f"{self.spearman:+.2f}"
        quotes = f"quotes: {q[VERBATIM]} verbatim, {q[APPROXIMATE]} approximate, {q[NOT_FOUND]} not found"
        counts = f"counts: {c[MATCH]}/{checked} match ({c[CLOSE]} close), {c[UNVERIFIABLE]} unverifiable"
        if self.here:
            quotes += f", {q[UNVERIFIABLE_HERE]} unverifiable here"
            counts += f", {c[UNVERIFIABLE_HERE]} unverifiable here"
        grounding = f"grounding {self.grounding:.1f}/100"
        if self.here:
            scored = f"{self.scored_claims} claim{'' if self.scored_claims == 1 else 's'}"
            grounding += f" over the {scored} checkable here ({self.unverifiable_here} unverifiable here)"
        return f"{quotes} · {counts} · sources: {self.sources[MISSING]} missing · order ρ {rho} · {grounding}"

    def here_lines(self) -> list[str]:
        """One line per reason: ``unverifiable here: no tweets imported — import an X archive to check 6 claims``."""
        lines = []
        for gap in self.here:
            claims = f"{gap['claims']} claim{'' if gap['claims'] == 1 else 's'}"
            lines.append(f"unverifiable here: {gap['reason']} — {gap['hint']} to check {claims}")
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "quotes": dict(self.quotes),
            "counts": dict(self.counts),
            "sources": dict(self.sources),
            "spearman": self.spearman,
            "grounding": self.grounding,
            "scored_claims": self.scored_claims,
            "unverifiable_here": self.here,
            "line": self.line(),
            "here_lines": self.here_lines(),
        }


@dataclass
class ProfileReport:
    """Everything ``verify_profile`` found, section by section."""

    profile: str
    name: str
    thinker: str | None
    documents: int
    quotes: list[QuoteCheck]
    counts: list[CountCheck]
    order: OrderCheck
    sources: list[SourceCheck]
    seen: list[Seen]
    known_gaps: list[str]
    computed_gaps: list[str]
    summary: Summary
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "name": self.name,
            "thinker": self.thinker,
            "documents": self.documents,
            "summary": self.summary.to_dict(),
            "quotes": [q.to_dict() for q in self.quotes],
            "counts": [c.to_dict() for c in self.counts],
            "order": self.order.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "seen": [s.to_dict() for s in self.seen],
            "known_gaps": list(self.known_gaps),
            "computed_gaps": list(self.computed_gaps),
            "notes": list(self.notes),
        }

    def item(self, item_id: str) -> CountCheck | QuoteCheck | None:
        """The count (by id, or the first whose id starts with ``item_id.``) or quote (by path) named."""
        for count in self.counts:
            if count.id == item_id or count.id.startswith(item_id + "."):
                return count
        return next((q for q in self.quotes if q.path == item_id), None)

    def quote_statuses(self) -> dict[str, str]:
        """Each quote's path and status (``unverifiable_here`` included): what the prompt marks by."""
        return {q.path: q.status for q in self.quotes}

    def item_ids(self) -> list[str]:
        return [c.id for c in self.counts] + [q.path for q in self.quotes]

    def failures(self) -> list[str]:
        """What ``--strict`` fails on: quotes not verbatim, numbers not matching, an order against frequency."""
        found = [f"{q.path}: {q.status}" for q in self.quotes if q.status not in (VERBATIM, UNVERIFIABLE_HERE)]
        found += [
            f"{c.id}: claimed {c.claimed}, measured {c.measured}" for c in self.counts if c.status in (CLOSE, MISMATCH)
        ]
        if self.order.claimed and self.order.spearman is not None and self.order.spearman < 0:
            found.append(f"mental_models order: Spearman ρ {self.order.spearman:+.2f}")
        return found


def quote_score(results: list[QuoteResult]) -> float:
    """The grounding score of a list of quotes alone (verbatim 1, approximate 0.5, not found 0), 0-100.

    An empty list scores 100: nothing claimed, nothing unsupported.
    """
    if not results:
        return 100.0
    return round(100 * sum(_POINTS[r.status] for r in results) / len(results), 1)


def verify_profile(profile: Profile, store: Workspace, *, thinker: str | None = None) -> ProfileReport:
    """Check every quote, number, order claim and source of ``profile`` against ``store``.

    ``thinker`` limits the corpus to one thinker's documents; by default the profile's slug
    when the store holds it, else the whole store (and a note says so).
    """
    scope_thinker, notes = _scope(profile, store, thinker)
    scope = SearchFilter(thinker=scope_thinker)
    locator = Locator(store, thinker=scope_thinker)
    quotes = [_quote_check(profile, path, quote.text, quote.source, locator) for path, quote in profile.iter_quotes()]
    counts = list(_counts(profile, store, scope))
    order = check_order(profile, {c.id: c for c in counts})
    holdings = Holdings(store, scope, kinds_in_store(store, scope_thinker))
    sources = _sources(profile, store, scope, quotes, holdings.kinds)
    _mark_cited(quotes, sources)
    _mark_unverifiable_here(profile, quotes, counts, sources, holdings)
    report = ProfileReport(
        profile=profile.slug,
        name=profile.name,
        thinker=scope_thinker,
        documents=tally(store, scope).documents,
        quotes=quotes,
        counts=counts,
        order=order,
        sources=sources,
        seen=_seen(profile, counts, quotes),
        known_gaps=list(profile.known_gaps),
        computed_gaps=[s.title for s in sources if s.status == MISSING],
        summary=_summary(quotes, counts, order, sources),
        notes=notes,
    )
    return report


def _scope(profile: Profile, store: Workspace, thinker: str | None) -> tuple[str | None, list[str]]:
    if thinker is not None:
        return thinker, []
    if thinker_in_store(store, profile.slug):
        return profile.slug, []
    return None, [f"The store holds no documents of thinker '{profile.slug}'; checked against every document."]


# -- quotes ----------------------------------------------------------------------------


def _quote_check(profile: Profile, path: str, text: str, source: SourceRef, locator: Locator) -> QuoteCheck:
    return QuoteCheck(path, _item_label(profile, path), source.title, locator.locate(text, id=path))


def _item_label(profile: Profile, path: str) -> str:
    """``axioms[0].quotes[1]`` → ``Axiom 1: Deterministic Physicalism``."""
    match = re.match(r"([a-z_.]+)\[(\d+)\]", path)
    if not match:
        return path
    section, index = match.group(1), int(match.group(2))
    if section == "axioms":
        axiom = profile.axioms[index]
        return f"Axiom {axiom.number}: {axiom.title}"
    if section == "lineage":
        return f"Lineage: {profile.lineage[index].name}"
    if section == "mental_models":
        model = profile.mental_models[index]
        return f"Model {model.rank}: {model.title}"
    if section == "simulator.other_sections" and profile.simulator:
        return f"Simulator: {profile.simulator.other_sections[index].title}"
    return f"Simulator: additional model {index + 1}"


# -- counts ----------------------------------------------------------------------------


def _counts(profile: Profile, store: Workspace, scope: SearchFilter) -> Iterator[CountCheck]:
    for entry in profile.lineage:
        if entry.count_query or entry.claimed_count is not None:
            ident = f"lineage.{_slug(entry.name)}"
            yield _count(store, scope, ident, "lineage", entry.name, entry.claimed_count, entry.count_query, [])
    for axiom in profile.axioms:
        for claim in axiom.counts:
            ident = f"axioms.{axiom.number}.{_slug(claim.label)}"
            label = f"Axiom {axiom.number}: {claim.label}"
            yield _count(store, scope, ident, "axioms", label, claim.claimed, claim.query, claim.kinds)
    for model in profile.mental_models:
        if model.query:
            ident, label = f"mental_models.{model.rank}", f"Model {model.rank}: {model.title}"
            yield _count(store, scope, ident, "mental_models", label, None, model.query, [])
    for corpus_claim in profile.corpus_claims:
        yield from _corpus_claim(store, scope, corpus_claim)
    if profile.simulator:
        for header in profile.simulator.header_counts:
            ident = f"simulator.{_slug(header.label)}"
            yield _count(store, scope, ident, "simulator", header.label, header.count, None, header.kinds)


def _count(
    store: Workspace,
    scope: SearchFilter,
    ident: str,
    section: str,
    label: str,
    claimed: int | None,
    query: str | None,
    kinds: list[str],
) -> CountCheck:
    check = CountCheck(ident, section, label, "documents", claimed, None, UNVERIFIABLE, query, list(kinds))
    if not query and not kinds:
        check.note = "no query or kinds to recount it"
        return check
    try:
        found = tally(store, SearchFilter(thinker=scope.thinker, kinds=tuple(kinds)), query)
    except VerificationError as ex:  # a malformed query is one failed item, not a failed report
        check.note = str(ex)
        return check
    _fill(check, found, found.documents)
    check.status = MEASURED if claimed is None else _compare(claimed, found.documents)
    return check


def _corpus_claim(store: Workspace, scope: SearchFilter, claim: CorpusClaim) -> Iterator[CountCheck]:
    ident = f"corpus.{_slug(claim.label)}"
    kinds = list(claim.kinds)
    base = CountCheck(
        ident + ".items",
        "corpus",
        claim.label,
        "documents",
        claim.items,
        None,
        UNVERIFIABLE,
        None,
        kinds,
        claim.url_contains,
    )
    if not kinds and not claim.url_contains:
        base.note = "no kinds or url_contains to recount it"
        yield base
        return
    found = tally(store, SearchFilter(thinker=scope.thinker, kinds=tuple(kinds), url_contains=claim.url_contains))
    _fill(base, found, found.documents)
    base.status = _compare(claim.items, found.documents)
    if claim.url_contains and not found.documents:
        without = tally(store, SearchFilter(thinker=scope.thinker, kinds=tuple(kinds))).documents
        base.note = f"{without} document(s) of these kinds, none with a URL containing '{claim.url_contains}'"
    yield base
    if claim.words_claimed is not None:
        words = _derived(base, ".words", "words", claim.words_claimed, found.words)
        words.status = _compare(claim.words_claimed, found.words, exact=0.05, close=0.25)
        yield words
    for metric, claimed_date, measured_date in (("first", claim.first, found.first), ("last", claim.last, found.last)):
        if claimed_date is not None:
            check = _derived(base, "." + metric, metric, claimed_date, measured_date[:10] if measured_date else None)
            check.status = MATCH if measured_date and measured_date.startswith(claimed_date) else MISMATCH
            yield check


def _derived(base: CountCheck, suffix: str, metric: str, claimed: int | str, measured: int | str | None) -> CountCheck:
    return CountCheck(
        base.id.removesuffix(".items") + suffix,
        base.section,
        base.label,
        metric,
        claimed,
        measured,
        MISMATCH,
        base.query,
        list(base.kinds),
        base.url_contains,
        None,
        base.first_seen,
        base.last_seen,
        [],
    )


def _fill(check: CountCheck, found: Tally, measured: int) -> None:
    check.measured = measured
    check.first_seen, check.last_seen = found.first, found.last
    check.matches = found.listed


def _compare(claimed: int, measured: int, *, exact: float = 0.0, close: float = 0.1) -> str:
    """``match`` within ``exact`` (a share of the claim), ``close`` within ``close`` (at least 1), else mismatch."""
    gap = abs(measured - claimed)
    if gap <= exact * claimed:
        return MATCH
    if gap <= max(1.0, close * claimed):
        return CLOSE
    return MISMATCH


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


# -- sources ---------------------------------------------------------------------------


def _sources(
    profile: Profile, store: Workspace, scope: SearchFilter, quotes: list[QuoteCheck], kinds: set[str]
) -> list[SourceCheck]:
    checks: dict[str, SourceCheck] = {}
    for where, ref in _cited(profile):
        for title in split_sources(ref.title):
            check = checks.setdefault(_key(title), SourceCheck(title, None, None))
            check.url, check.date = check.url or ref.url, check.date or ref.date
            if where not in check.cited_by:
                check.cited_by.append(where)
    for check in checks.values():
        match_source(store, check, scope, kinds)
        if check.status == MISSING and not kind_source(check.title) and _quoted(check, quotes):
            check.status = QUOTED
    return list(checks.values())


def _key(title: str) -> str:
    return " ".join(title.lower().split())


def _cited(profile: Profile) -> Iterator[tuple[str, SourceRef]]:
    """Every source reference in the profile, with the path that cites it."""
    for path, quote in profile.iter_quotes():
        yield path, quote.source
    for i, axiom in enumerate(profile.axioms):
        for j, ref in enumerate(axiom.sources):
            yield f"axioms[{i}].sources[{j}]", ref
    for i, prediction in enumerate(profile.predictions):
        if prediction.source:
            yield f"predictions[{i}].source", prediction.source
    if profile.simulator:
        for i, model in enumerate(profile.simulator.additional_models):
            for j, ref in enumerate(model.sources):
                yield f"simulator.additional_models[{i}].sources[{j}]", ref
        for i, section in enumerate(profile.simulator.other_sections):
            if section.source:
                yield f"simulator.other_sections[{i}].source", section.source


def _quoted(check: SourceCheck, quotes: list[QuoteCheck]) -> bool:
    located = [q for q in quotes if q.path in check.cited_by and q.result.location is not None]
    check.documents = [_doc_of(q) for q in located]
    return bool(located)


def _doc_of(quote: QuoteCheck) -> DocRef:
    loc = quote.result.location
    assert loc is not None
    return DocRef(loc.document_id, loc.kind, loc.title, loc.url, loc.published_at)


def _mark_cited(quotes: list[QuoteCheck], sources: list[SourceCheck]) -> None:
    """Whether each located quote lies in a document its cited source matched (None: source not matched)."""
    by_title = {_key(s.title): s for s in sources}
    for quote in quotes:
        if quote.result.location is None:
            continue
        matched = [by_title[_key(t)] for t in split_sources(quote.source) if _key(t) in by_title]
        docs = {d.id for s in matched if s.status == FOUND for d in s.documents}
        if docs:
            quote.in_cited_source = quote.result.location.document_id in docs


def _mark_unverifiable_here(
    profile: Profile, quotes: list[QuoteCheck], counts: list[CountCheck], sources: list[SourceCheck], holdings: Holdings
) -> None:
    """Mark the quotes and numbers that fail only because what they rest on was never imported (``here``)."""
    by_title = {_key(s.title): s for s in sources}
    for quote in quotes:
        if quote.result.status == NOT_FOUND:
            quote.gap = quote_gap(quote.source, by_title, holdings)
    profile_gaps = corpus_gaps(profile, holdings)
    for count in counts:
        count.gap = count_gap(count, holdings, profile_gaps, failing=count.status in (CLOSE, MISMATCH))
        if count.gap is not None:
            count.status = UNVERIFIABLE_HERE


# -- dates and summary -----------------------------------------------------------------


def _seen(profile: Profile, counts: list[CountCheck], quotes: list[QuoteCheck]) -> list[Seen]:
    seen = [
        Seen(c.id, c.label, c.first_seen, c.last_seen, int(c.measured or 0))
        for c in counts
        if c.section in ("lineage", "mental_models") and c.metric == "documents" and c.status != UNVERIFIABLE
    ]
    for i, axiom in enumerate(profile.axioms):
        dates = [
            q.result.location.published_at
            for q in quotes
            if q.path.startswith(f"axioms[{i}].") and q.result.location and q.result.location.published_at
        ]
        docs = {
            q.result.location.document_id for q in quotes if q.path.startswith(f"axioms[{i}].") and q.result.location
        }
        for c in counts:
            if c.id.startswith(f"axioms.{axiom.number}.") and c.first_seen and c.last_seen:
                dates += [c.first_seen, c.last_seen]
                docs.update(m.id for m in c.matches)
        seen.append(
            Seen(
                f"axioms.{axiom.number}",
                f"Axiom {axiom.number}: {axiom.title}",
                min(dates) if dates else None,
                max(dates) if dates else None,
                len(docs),
            )
        )
    return seen


def _summary(
    quotes: list[QuoteCheck], counts: list[CountCheck], order: OrderCheck, sources: list[SourceCheck]
) -> Summary:
    quote_tally = {status: sum(1 for q in quotes if q.status == status) for status in QUOTE_STATUSES}
    count_tally = {status: sum(1 for c in counts if c.status == status) for status in COUNT_STATUSES}
    source_tally = {status: sum(1 for s in sources if s.status == status) for status in (FOUND, KIND, QUOTED, MISSING)}
    points = [_POINTS[q.status] for q in quotes if q.gap is None]
    points += [_POINTS[c.status] for c in counts if c.status in (MATCH, CLOSE, MISMATCH)]
    if order.claimed and order.spearman is not None:
        points.append(max(0.0, order.spearman))
    grounding = round(100 * sum(points) / len(points), 1) if points else 0.0
    here = grouped([(q.path, q.gap) for q in quotes if q.gap] + [(c.id, c.gap) for c in counts if c.gap])
    return Summary(quote_tally, count_tally, source_tally, order.spearman, grounding, len(points), here)
