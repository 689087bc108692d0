"""``insights verify``: check a profile (or a file of quotes) against the corpus and print the report.

The command loads the profile, calls ``verify_profile`` (or ``check_quotes``) and renders
the result: one rich table per section on stdout, notes on stderr, or the whole result
with ``--json``. Exit status: 0 unless ``--fail-under`` is missed or ``--strict`` finds a
failure (1), or the input is wrong (1, with a one-line message); see docs/verification.md.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import workspace
from ..profile import load_profile
from ..verify import (
    APPROXIMATE,
    NOT_FOUND,
    VERBATIM,
    CountCheck,
    ProfileReport,
    QuoteCheck,
    QuoteResult,
    check_quotes,
    quote_score,
    read_quotes,
    verify_profile,
)
from ..workspace import Db
from .common import db_option, echo_json, errors_as_messages, json_option, open_store, shown

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)

_STYLE = {
    VERBATIM: "green",
    APPROXIMATE: "yellow",
    NOT_FOUND: "red",
    "match": "green",
    "close": "yellow",
    "mismatch": "red",
    "unverifiable": "dim",
    "unverifiable_here": "blue",
    "measured": "cyan",
    "found": "green",
    "kind": "green",
    "quoted": "yellow",
    "missing": "red",
}
_ZERO_WIDTH = re.compile(r"[\u200b-\u200d\ufeff]")  # invisible, but a quote that differs by one is not verbatim


@click.command(name="verify")
@click.argument("profile", required=False)
@click.option(
    "--quotes",
    "quotes_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check the quotes in FILE (one per line, or JSONL with text/id) instead of a profile.",
)
@click.option("--thinker", help="Check against this thinker's documents only [default: the profile's slug].")
@click.option("--show", "show", metavar="ITEM", help="Show one item in full: its matching documents or its diff.")
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    metavar="SCORE",
    help="Exit 1 when the grounding score (0-100) is below SCORE.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any quote is not verbatim or any number does not match.")
@db_option
@json_option
def verify(
    profile: str | None,
    quotes_file: Path | None,
    thinker: str | None,
    show: str | None,
    fail_under: float | None,
    strict: bool,
    db_path: Db,
    as_json: bool,
) -> None:
    """Check a profile's quotes, counts, order and sources against the corpus.

    PROFILE is a slug (karpathy) or a YAML file. Quotes are verbatim, approximate (with a
    word diff) or not found; every number is recounted; sources missing from the corpus
    are listed as computed gaps. Exits 0 unless --fail-under or --strict fails.

    \b
    Example usage:
        insights verify karpathy
        insights verify karpathy --show lineage.factorio
        insights verify profiles/karpathy.yaml --json --fail-under 50
        insights verify --quotes quotes.jsonl --json
    """
    if (profile is None) == (quotes_file is None):
        raise click.UsageError("Give a PROFILE (slug or .yaml file) or --quotes FILE, not both.")
    if quotes_file is not None:
        _verify_quotes(quotes_file, thinker, db_path, as_json, fail_under, strict)
        return
    assert profile is not None
    with errors_as_messages():
        loaded = load_profile(profile, workspace.folder(db_path))
    with open_store(db_path, read_only=True) as store, errors_as_messages():
        report = verify_profile(loaded, store, thinker=thinker)
    if show:
        _show(report, show, as_json)
        return
    for note in report.notes:
        err.print(f"[yellow]note:[/] {shown(note)}")
    if as_json:
        echo_json(report.to_dict())
    else:
        _print_report(report, db_path)
    _exit_status(report.summary.grounding, report.failures(), fail_under, strict)


def _verify_quotes(
    path: Path, thinker: str | None, db_path: Db, as_json: bool, fail_under: float | None, strict: bool
) -> None:
    with errors_as_messages():
        quotes = read_quotes(path)
    with open_store(db_path, read_only=True) as store:
        results = check_quotes(quotes, store, thinker=thinker)
    if as_json:
        echo_json([r.to_dict() for r in results])
    else:
        _print_quote_results(results)
    failures = [f"{r.id or i + 1}: {r.status}" for i, r in enumerate(results) if r.status != VERBATIM]
    _exit_status(quote_score(results), failures, fail_under, strict)


def _exit_status(score: float, failures: list[str], fail_under: float | None, strict: bool) -> None:
    if fail_under is not None and score < fail_under:
        err.print(f"[red]Grounding score {score:.1f} is below --fail-under {fail_under:g}[/]")
        raise SystemExit(1)
    if strict and failures:
        err.print(f"[red]{len(failures)} failure(s) under --strict[/], first: {shown(failures[0])}")
        raise SystemExit(1)


# -- rendering -------------------------------------------------------------------------


def _safe(text: str | None, limit: int = 0) -> str:
    """Corpus text for one table cell: on one line, cut at ``limit``, zero-width characters too shown (``shown``)."""
    text = _ZERO_WIDTH.sub(lambda m: f"[U+{ord(m.group()):04X}]", " ".join((text or "").split()))
    if limit and len(text) > limit:
        text = text[: limit - 1] + "…"
    return shown(text)


def _status(status: str) -> str:
    return f"[{_STYLE.get(status, 'white')}]{status}[/]"


def _print_report(report: ProfileReport, db_path: Db) -> None:
    scope = f"thinker '{report.thinker}'" if report.thinker else "every thinker"
    out.print(
        f"[bold]{shown(report.name)}[/] ({report.profile}): {report.documents:,} documents of {scope} "
        f"in {shown(workspace.describe(db_path))}\n"
    )
    out.print(_quotes_table(report.quotes))
    out.print(_counts_table(report.counts))
    out.print(_order_table(report))
    out.print(_seen_table(report))
    out.print(_sources_table(report))
    out.print(_gaps_table(report))
    out.print(f"[bold]{shown(report.summary.line())}[/]", soft_wrap=True)
    for line in report.summary.here_lines():
        out.print(f"[blue]{shown(line)}[/]", soft_wrap=True)


def _quotes_table(quotes: list[QuoteCheck]) -> Table:
    table = Table("status", "score", "item", "quote", "found in / diff", title="Quotes", title_justify="left")
    for check in quotes:
        result = check.result
        where = f"[blue]{shown(check.gap.reason)}[/]" if check.gap else _where(result)
        table.add_row(
            _status(check.status), f"{result.score:.2f}", _safe(check.item, 40), _safe(result.text, 70), where
        )
    return table


def _where(result: QuoteResult) -> str:
    location = result.location or result.closest
    if location is None:
        return "[dim]—[/]"
    prefix = "" if result.location else "[dim]closest:[/] "
    place = f"{prefix}{_safe(location.title or location.kind, 40)} {_safe((location.published_at or '')[:10])}"
    changes = [f"{op.quote or '∅'} → {op.corpus or '∅'}" for op in result.diff if op.op != "equal"]  # and what … cut
    if changes:
        place += "\n[dim]" + _safe("; ".join(changes), 80) + "[/]"
    return place


def _counts_table(counts: list[CountCheck]) -> Table:
    table = Table(
        "item", "claimed", "measured", "status", "recounted by", "first – last", title="Counts", title_justify="left"
    )
    for count in counts:
        how = count.query or ""
        if count.kinds:
            how += f" kinds={','.join(count.kinds)}"
        if count.url_contains:
            how += f" url~{count.url_contains}"
        if count.gap:
            how += f" ({count.gap.reason})"
        elif count.note:
            how += f" ({count.note})"
        dates = f"{(count.first_seen or '')[:10]} – {(count.last_seen or '')[:10]}" if count.first_seen else ""
        table.add_row(
            shown(count.id),
            _text(count.claimed),
            _text(count.measured),
            _status(count.status),
            _safe(how.strip(), 60),
            dates,
        )
    return table


def _text(value: int | str | None) -> str:
    if value is None:
        return "[dim]—[/]"
    return f"{value:,}" if isinstance(value, int) else shown(value)


def _order_table(report: ProfileReport) -> Table:
    order = report.order
    rho = "n/a" if order.spearman is None else f"{order.spearman:+.2f}"
    claim = "claimed ordered by frequency" if order.claimed else "order not claimed"
    table = Table(
        "rank",
        "model",
        "documents",
        "measured rank",
        title=f"Mental-model order ({claim}; Spearman ρ {rho})",
        title_justify="left",
    )
    for row in order.rows:
        measured = "" if row.measured_rank is None else f"{row.measured_rank:g}"
        table.add_row(str(row.rank), _safe(row.title, 60), _text(row.documents), measured)
    return table


def _seen_table(report: ProfileReport) -> Table:
    table = Table("item", "first seen", "last seen", "documents", title="First and last seen", title_justify="left")
    for seen in report.seen:
        table.add_row(_safe(seen.label, 60), (seen.first or "—")[:10], (seen.last or "—")[:10], str(seen.documents))
    return table


def _sources_table(report: ProfileReport) -> Table:
    table = Table("status", "source", "matched", "cited by", title="Sources", title_justify="left")
    for source in report.sources:
        matched = ", ".join(d.title or d.id for d in source.documents[:3])
        table.add_row(_status(source.status), _safe(source.title, 50), _safe(matched, 50), str(len(source.cited_by)))
    return table


def _gaps_table(report: ProfileReport) -> Table:
    table = Table(
        "known gaps (profile)", "computed gaps (cited, not in corpus)", title="Known gaps", title_justify="left"
    )
    for i in range(max(len(report.known_gaps), len(report.computed_gaps))):
        left = report.known_gaps[i] if i < len(report.known_gaps) else ""
        right = report.computed_gaps[i] if i < len(report.computed_gaps) else ""
        table.add_row(_safe(left), _safe(right))
    return table


def _print_quote_results(results: list[QuoteResult]) -> None:
    table = Table("#", "status", "score", "quote", "found in / diff", "link")
    for i, result in enumerate(results, 1):
        location = result.location or result.closest
        link = _safe(location.url) if location and location.url else ""
        table.add_row(
            _safe(result.id or str(i)),
            _status(result.status),
            f"{result.score:.2f}",
            _safe(result.text, 70),
            _where(result),
            link,
        )
    out.print(table)
    counts = {status: sum(1 for r in results if r.status == status) for status in (VERBATIM, APPROXIMATE, NOT_FOUND)}
    out.print(f"{counts[VERBATIM]} verbatim, {counts[APPROXIMATE]} approximate, {counts[NOT_FOUND]} not found")


def _show(report: ProfileReport, item_id: str, as_json: bool) -> None:
    item = report.item(item_id)
    if item is None:
        known = ", ".join(report.item_ids()[:12])
        raise click.ClickException(f"No item '{item_id}' in the report. Items include: {known} …")
    if as_json:
        echo_json(item.to_dict())
    elif isinstance(item, CountCheck):
        _show_count(item)
    else:
        _show_quote(item)


def _show_count(count: CountCheck) -> None:
    out.print(
        f"[bold]{shown(count.id)}[/] {_safe(count.label)}: claimed {_text(count.claimed)}, "
        f"measured {_text(count.measured)} ({_status(count.status)})"
    )
    if count.gap:
        out.print(f"[blue]unverifiable here: {shown(count.gap.reason)} — {shown(count.gap.hint)}[/]")
    out.print(f"recounted by: {_safe(count.query or '')} {shown(','.join(count.kinds))}")
    table = Table("published", "kind", "title", "link", "id")
    for doc in count.matches:
        table.add_row(
            _safe((doc.published_at or "")[:10]), _safe(doc.kind), _safe(doc.title), _safe(doc.url), _safe(doc.id)
        )
    out.print(table)
    if isinstance(count.measured, int) and count.measured > len(count.matches):
        err.print(f"[dim]showing the first {len(count.matches)} of {count.measured:,} documents[/]")


def _show_quote(check: QuoteCheck) -> None:
    result = check.result
    out.print(f"[bold]{shown(check.path)}[/] {_safe(check.item)} — cites {_safe(check.source)}")
    out.print(f"quote: {_safe(result.text)}")
    out.print(f"status: {_status(check.status)} (score {result.score:.2f})")
    if check.gap:
        out.print(f"[blue]unverifiable here: {shown(check.gap.reason)} — {shown(check.gap.hint)}[/]")
    location = result.location or result.closest
    if location is not None:
        label = "found in" if result.location else "closest"
        details: dict[str, Any] = {
            "document": location.document_id,
            "passage": location.passage_id,
            "title": location.title,
            "date": location.published_at,
            "link": location.url,
        }
        out.print(f"{label}: " + ", ".join(f"{k} {_safe(str(v))}" for k, v in details.items() if v is not None))
        out.print(f"text: {_safe(location.excerpt)}")
    for op in result.diff:
        if op.op != "equal":
            out.print(f"  {op.op}: {_safe(op.quote) or '∅'} → {_safe(op.corpus) or '∅'}")


COMMANDS: list[click.Command] = [verify]
