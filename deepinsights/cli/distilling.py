"""The distill command: corpus → draft profile with evidence."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from .. import workspace
from ..distill import DistillReport, distill, draft_profile
from ..distill.drafting import Drafted, draft_candidates
from ..errors import DeepInsightsError, ProfileError
from ..profile import dump_profile, load_profile
from ..workspace import Db
from .common import (
    choose_model,
    db_option,
    echo_json,
    errors_as_messages,
    json_option,
    model_option,
    open_store,
    shown,
    trust_schema_option,
)
from .progress import progress

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


@click.command(name="distill")
@click.argument("slug")
@click.option("--since", help="Only items published on or after this date.")
@click.option("--until", help="Only items published on or before this date.")
@click.option(
    "--no-llm",
    is_flag=True,
    help="Measured parts only (lineage, topics, eras, mental models, vocabulary, predictions, coverage).",
)
@model_option
@click.option(
    "--topics", "themes", default=6, show_default=True, help="Top topics the model drafts axioms and tensions from."
)
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="Draft profile file [profiles/SLUG-draft.yaml]."
)
@trust_schema_option
@db_option
@json_option
def distill_(
    slug: str,
    since: str | None,
    until: str | None,
    no_llm: bool,
    model_name: str | None,
    themes: int,
    out: Path | None,
    trust_schema: bool,
    db_path: Db,
    as_json: bool,
) -> None:
    """Draft a profile of SLUG from the corpus; every element carries counts, dates and passages.

    Topics, eras, mental models, signature vocabulary and predictions are measured on the
    thinker's own words. Re-running on a grown corpus updates the draft, keeps your edits and
    lists what changed. Without --no-llm a model also drafts axioms, tensions, aesthetics and
    the generating function from those measured sections; a candidate is kept only if its
    quotes verify as the thinker's own words in several documents (the rest are counted).

    \b
    Example usage:
        insights distill karpathy --no-llm
        insights distill simonw -m qwen2.5-coder-0.5b --out simonw-draft.yaml
    """
    path = out or workspace.folder(db_path) / "profiles" / f"{slug}-draft.yaml"
    with open_store(db_path, trust_schema=trust_schema) as store, errors_as_messages():
        own_names, handles = _identity(slug, db_path)
        with progress(err, "embedding passages", "passages", quiet=as_json) as tick:
            report = distill(store, slug, since=since, until=until, handles=handles, names=own_names, progress=tick)
        if not report.passages:
            raise DeepInsightsError(
                f"No passages of '{slug}' in {store.location}: "
                f"import some first (insights import PATH --thinker {slug})"
            )
        drafted = None
        if not no_llm:
            model = choose_model(model_name)
            cache = path.with_suffix(".distill-cache.json")
            path.parent.mkdir(parents=True, exist_ok=True)
            drafted = draft_candidates(
                store,
                slug,
                min(own_names, default=slug),
                report.findings,
                model,
                topics=themes,
                cache=cache,
                progress=lambda t: err.print(f"[dim]drafting: {shown(t)}[/]"),
            )
        existing = _existing(path)
        profile, changes = draft_profile(report, existing, drafted, name=min(own_names, default=None))
        path.parent.mkdir(parents=True, exist_ok=True)
        dump_profile(profile, path)
    if as_json:
        echo_json(
            {
                **report.as_dict(),
                "drafted": drafted.as_dict() if drafted else None,
                "changes": changes,
                "profile": str(path),
            }
        )
        return
    _print(report, drafted, changes, path)


def _identity(slug: str, db_path: Db) -> tuple[set[str], set[str]]:
    """The thinker's name and handles from their profile, when there is one (else the slug alone counts)."""
    try:
        identity = load_profile(slug, workspace.folder(db_path)).identity
    except ProfileError:
        return set(), set()
    return {identity.name}, set(identity.handles)


def _existing(path: Path):  # type: ignore[no-untyped-def]
    if not path.exists():
        return None
    try:
        return load_profile(path)
    except ProfileError as ex:
        raise ProfileError(f"{ex} (fix or move the existing draft; distill keeps your edits in it)") from None


def _print(report: DistillReport, drafted: Drafted | None, changes: list[str], path: Path) -> None:
    found = report.findings
    table = Table(
        "lineage", "kind", "documents", "first", "last", title=f"{report.thinker}: {report.passages:,} passages"
    )
    for m in report.lineage[:25]:
        table.add_row(
            shown(m.name), shown(m.kind), str(m.count), shown((m.first or "")[:10]), shown((m.last or "")[:10])
        )
    out.print(table)
    for kind, typed in report.entities.sections.items():
        if typed:
            listed = ", ".join(f"{shown(e.name)} ({e.count})" for e in typed[:12])
            out.print(f"[bold]{kind.capitalize()}s:[/] {listed}")
    if report.entities.projects:
        out.print("[bold]Project lineage:[/] " + " → ".join(shown(p.name) for p in report.entities.projects))
    topics = Table("topic", "label", "passages", "documents", title=f"Topics ({found.topics.vectors} vectors)")
    for t in found.topics.topics[:30]:
        topics.add_row(str(t.number), shown(", ".join(t.phrases[:5])), str(t.passages), str(t.documents))
    out.print(topics)
    for era in found.eras:
        note = f" [yellow]({shown(era.source_change)})[/]" if era.source_change else ""
        out.print(f"[bold]Era[/] {era.start} – {era.end} ({era.documents} documents): {shown(era.name)}{note}")
    models = ", ".join(f"{shown(f.key)} ({len(f.documents)})" for f in found.mental_models[:10])
    out.print(f"[bold]Mental models:[/] {models or 'none recurring across topics'}")
    out.print("[bold]Signature vocabulary:[/] " + ", ".join(shown(w.word) for w in found.vocabulary[:20]))
    out.print(f"[bold]Predictions:[/] {len(found.predictions)} candidate sentences in own words")
    for pair in found.mind_changes:
        out.print(
            f"[bold]Changed my mind[/] ({shown(', '.join(pair.themes))}): "
            f"{shown((pair.earlier.published_at or '')[:10])} → {shown((pair.later.published_at or '')[:10])} "
            f"“{shown(pair.cue)}”"
        )
    gaps = report.coverage.get("empty_months", [])
    out.print(
        f"[bold]Coverage:[/] {report.coverage.get('months_with_items', 0)} months with items, "
        f"{len(gaps)} empty months, {report.coverage.get('undated_items', 0)} undated items"
    )
    if drafted is not None:
        reasons = "; ".join(f"{n} {shown(reason)}" for reason, n in drafted.reasons().items())
        out.print(
            f"[bold]Drafted:[/] {len(drafted.kept)} kept, {len(drafted.dropped)} dropped"
            + (f" ({reasons})" if reasons else "")
        )
    for change in changes:
        out.print(f"[yellow]changed:[/] {shown(change)}")
    err.print(f"Wrote {path}")


COMMANDS = [distill_]
