"""Corpus commands: import, stats, imports."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, ProgressColumn, Task, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from ..errors import EmbeddingError, ImporterError
from ..importers import ImportOptions, url_template
from ..importers.exclude import compile_patterns
from ..models import ImportReport
from ..moments import clock
from ..semantic import build_index
from ..semantic.index import pending_passages
from ..semantic.lease import Holder
from ..workspace import Db, Workspace
from .common import (
    db_option,
    echo_json,
    errors_as_messages,
    json_option,
    open_store,
    shown,
    trust_schema_option,
)
from .priority import below_servers
from .progress import Rate, progress, steps

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


@click.command(name="import")
@click.argument("sources", nargs=-1, required=True)
@click.option("--thinker", help="Slug of the thinker these items belong to (e.g. karpathy).")
@click.option(
    "--handle",
    help="Tweet dumps, Dogsheep databases, Bluesky: the thinker's account (screen name, login or handle); "
    "other accounts' items are left out.",
)
@click.option("--include-private", is_flag=True, help="Keep followers-only and direct posts (excluded by default).")
@click.option("--text-field", help="JSON/CSV: field holding the text.")
@click.option("--date-field", help="JSON/CSV: field holding the date.")
@click.option("--url-field", help="JSON/CSV: field holding the link.")
@click.option("--title-field", help="JSON/CSV: field holding the title.")
@click.option(
    "--url-template",
    callback=lambda ctx, param, value: _checked_template(value),
    help="Markdown files without a permalink, Substack and Ghost posts: their published URL, e.g. "
    "'https://example.org/{year}/{month}/{day}/{slug}/' ({path}, {name}, {slug}, {year}, {month}, {day}).",
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="GLOB",
    callback=lambda ctx, param, value: _checked_globs(value),
    help="Leave out files or folders matching GLOB (gitignore syntax, relative to the folder imported: "
    "SOURCES.md, drafts/, *.tmp.md); repeatable. A .insightsignore file in the folder adds its own.",
)
@click.option(
    "--keep-raw",
    is_flag=True,
    help="X archives: also keep each tweet's original JSON in documents.raw (a third larger workspace).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Fail (and import nothing) if any file or record is skipped, except what is left out by design "
    "(an archive's media and private data, drafts, non-public posts), or on any warning (a date that is "
    "no date, a file holding fewer records than it claims).",
)
@trust_schema_option
@db_option
@json_option
def import_(
    sources: tuple[str, ...], db_path: Db, as_json: bool, strict: bool, trust_schema: bool, **fields: Any
) -> None:
    """Import archives, folders, files, URLs or git repositories into the workspace.

    The format of each file is detected from its content. The whole import is one
    transaction: on an error nothing is written. Re-importing is idempotent.

    \b
    Example usage:
        insights import twitter-archive.zip --thinker karpathy
        insights import ~/blog/_posts talks/*.vtt --thinker karpathy
        insights import https://github.com/karpathy/karpathy.github.io --thinker karpathy
        insights import til/ --thinker simonw --url-template 'https://til.simonwillison.net/{path}'
        insights import corpus/ --thinker karpathy --exclude SOURCES.md --exclude 'drafts/'
    """
    from ..ingest import run_import  # subtle: here, so that search and stats do not load httpx and the pipeline

    options = ImportOptions(**fields)
    below_servers()
    with open_store(db_path, trust_schema=trust_schema) as store:
        with _progress(as_json) as bar, progress(err, "importing", "items", quiet=as_json or err.is_terminal) as log:
            task = bar.add_task("importing", total=None)

            def tick(label: str, n: int) -> None:
                bar.update(task, advance=n, description=shown(Path(label).name))
                log(int(bar.tasks[0].completed), None)

            with errors_as_messages():
                report = run_import(
                    store, list(sources), options, progress=tick, strict=strict, audio_progress=_audio_bar(bar)
                )
        vectors = _update_vectors(store, report, as_json)
    if as_json:
        echo_json({**report.as_dict(), "vectors": vectors})
    else:
        _print_report(report)
        _print_vectors(vectors)


def _checked_globs(value: tuple[str, ...]) -> tuple[str, ...]:
    try:
        compile_patterns(value, "--exclude")
    except ImporterError as ex:
        raise click.BadParameter(str(ex).removeprefix("--exclude: ")) from None
    return value


def _checked_template(value: str | None) -> str | None:
    try:
        return url_template.check(value) if value else None
    except ImporterError as ex:
        raise click.BadParameter(str(ex).removeprefix(f"--url-template {value!r}: ")) from None


def _update_vectors(store: Workspace, report: ImportReport, quiet: bool) -> dict[str, Any] | None:
    """Keep semantic search current: embed this import's new passages when the workspace has vectors.

    Only the passages this import wrote: older ones still waiting (an interrupted index) stay
    for ``insights index``, and are counted as ``pending``. When ``insights index`` runs in
    another process, nothing is embedded here: that process embeds these passages too.
    """
    model = store.indexed_model()
    if not model:
        return None
    done: dict[str, Any] = {"embedded": 0, "busy": None, "error": None}
    if report.added or report.updated:
        try:
            with steps(err, quiet=quiet) as step:
                embedding = step("embedding new passages", "passages", at_once=True)
                building = step("building the vector index", "vectors")
                index = build_index(store, model, progress=embedding, building=building, import_id=report.import_id)
            done.update(embedded=index.embedded + index.reused, busy=index.busy)
        except EmbeddingError as ex:
            done["error"] = str(ex)
    return {**done, "pending": pending_passages(store)}


def _print_vectors(vectors: dict[str, Any] | None) -> None:
    if vectors is None:
        return
    if vectors["error"]:
        err.print(
            f"[yellow]{shown(vectors['error'])}[/] Semantic search misses the new passages until 'insights index' runs."
        )
    elif vectors["busy"]:
        who = Holder(**vectors["busy"]).describe()
        err.print(f"Vectors: {shown(who)} is computing vectors; it embeds the new passages too.")
    elif vectors["embedded"]:
        err.print(f"Vectors: {vectors['embedded']:,} new passages embedded for semantic search.")
    if vectors["pending"] and not vectors["busy"]:
        err.print(
            f"{vectors['pending']:,} passages have no vector yet (found by their words only): "
            "run 'insights index' (or 'insights index --background') to embed them."
        )


def _audio_bar(progress: Progress) -> Callable[[str, float, float | None], None]:
    """A bar per recording over its audio time, advanced as segments are transcribed."""
    tasks: dict[str, TaskID] = {}

    def advance(label: str, done: float, total: float | None) -> None:
        if label not in tasks:
            tasks[label] = progress.add_task(f"transcribing {shown(Path(label).name)}", total=total, audio=True)
        progress.update(tasks[label], completed=done, total=total)

    return advance


class _Amount(ProgressColumn):
    """Items done, or for a recording the audio time transcribed ("12:03 / 1:02:00 audio")."""

    def render(self, task: Task) -> Text:
        if task.fields.get("audio"):
            total = f" / {clock(task.total)}" if task.total else ""
            return Text(f"{clock(task.completed)}{total} audio")
        return Text(f"{int(task.completed):,} items")


class _progress(Progress):
    """A rich progress bar on stderr, shown only for imports that take over a second."""

    def __init__(self, quiet: bool) -> None:
        super().__init__(
            TextColumn("{task.description}"),
            BarColumn(),
            _Amount(),
            Rate("items"),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=quiet or not err.is_terminal,
        )
        self._started = time.monotonic()


def _print_report(report: ImportReport) -> None:
    for source, provenance in report.provenance.items():
        if "transcript" in provenance:
            err.print(f"[dim]{shown(source)}: transcript from {shown(provenance['transcript'])}[/]")
    for line in problem_lines(report):
        err.print(line, soft_wrap=True)  # subtle: never wrapped here, so a long path stays one copyable line
    table = Table("source", "items", title=None, box=None)
    for source, n in sorted(report.by_source.items()):
        table.add_row(source, f"{n:,}")
    if report.by_source:
        err.print(table)
    if report.by_kind:
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in sorted(report.by_kind.items(), key=lambda kv: (-kv[1], kv[0])))
        err.print(f"by kind: {shown(kinds)}")
    click.echo(
        f"{report.added:,} added, {report.updated:,} updated, {report.unchanged:,} unchanged, "
        f"{len(report.skipped):,} skipped" + (f", {len(report.warnings):,} warnings" if report.warnings else "")
    )
    for (old, new), n in sorted(report.moved.items()):
        click.echo(f"{n:,} moved from thinker {old!r} to {new!r} (--thinker {new})")


REPEATED = 3  # this many files passed over (or noted) for the same reason make one summary line
_LABELS = {
    "skipped": "[yellow]skipped[/]",
    "left out": "[dim]left out[/]",
    "warning": "[yellow]warning[/]",
    "note": "[cyan]note[/]",
}


def problem_lines(report: ImportReport) -> list[str]:
    """Rich markup lines for what was skipped, left out, warned or noted: one per file, or per repeated reason."""
    groups: dict[tuple[str, str], list[str]] = {}
    for item in report.skipped:
        groups.setdefault(("left out" if item.expected else "skipped", item.reason), []).append(item.path)
    for caveat in report.warnings:
        groups.setdefault(("warning", caveat.reason), []).append(caveat.path)
    for note in report.notes:
        groups.setdefault(("note", note.message), []).append(note.path)
    lines = []
    for (label, reason), paths in groups.items():
        if len(paths) < REPEATED:
            lines += [f"{_LABELS[label]} {shown(path)}: {shown(reason)}" for path in paths]
            continue
        first = ", ".join(shown(p) for p in paths[:2])
        lines.append(
            f"{_LABELS[label]} {len(paths):,} files: {shown(reason)} ({first} and {len(paths) - 2:,} more; "
            "--json lists them all)"
        )
    return lines


@click.command(name="stats")
@click.option("--thinker", help="Only this thinker.")
@db_option
@json_option
def stats(thinker: str | None, db_path: Db, as_json: bool) -> None:
    """Items, words and date range per thinker and kind, measured from the corpus.

    \b
    Example usage:
        insights stats
        insights stats --thinker karpathy --json
    """
    with open_store(db_path, read_only=True) as store:
        rows = store.stats(thinker)
    if as_json:
        echo_json(rows)
        return
    table = Table("thinker", "kind", "items", "words", "first", "last")
    for row in rows:
        table.add_row(
            shown(row["thinker"]),
            shown(row["kind"]),
            f"{row['items']:,}",
            f"{row['words'] or 0:,}",
            (row["first"] or "")[:10],
            (row["last"] or "")[:10],
        )
    out.print(table)


@click.command(name="imports")
@db_option
@json_option
def imports(db_path: Db, as_json: bool) -> None:
    """What was imported when, with counts and skipped records.

    \b
    Example usage:
        insights imports --json
    """
    with open_store(db_path, read_only=True) as store:
        rows = store.imports()
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "finished", "sources", "added", "updated", "unchanged", "skipped", "warnings")
    for row in rows:
        table.add_row(
            str(row["id"]),
            shown(row["finished_at"]),
            shown(", ".join(map(str, row["paths"]))),
            str(row["added"]),
            str(row["updated"]),
            str(row["unchanged"]),
            str(len(row["skipped"])),
            str(len(row["warnings"])),
        )
    out.print(table)


COMMANDS = [import_, stats, imports]
