"""Run one import: resolve each source (file, folder, zip, URL, git repository), dispatch
it to importers, and write every document in one transaction.

All-or-nothing: an error in a source the user named aborts the whole import and leaves
the store as it was (a SIGKILL too: tests/test_ingest_atomic.py). Inside a folder or
archive, a file that fails is rolled back to its savepoint, reported as skipped with the
reason, and its siblings still import. Documents stream from the importer to the store a
batch at a time, so memory does not grow with the size of an archive.

It does not parse sources (importers do) and writes nothing itself: the store does,
including the full-text index, which it fills in one pass at commit.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .errors import ImporterError
from .importers import Importer, ImportOptions, ImportRun, plan
from .importers.split_scan import worth_forking
from .models import ImportReport, Skipped
from .pipeline import prepared_batches
from .remote import resolve
from .workspace import Workspace

Progress = Callable[[str, int], None]
SecondsProgress = Callable[[str, float, float | None], None]  # (file, seconds done, seconds in all)


def run_import(
    store: Workspace,
    sources: list[str],
    options: ImportOptions,
    *,
    progress: Progress | None = None,
    strict: bool = False,
    audio_progress: SecondsProgress | None = None,
) -> ImportReport:
    """Import ``sources`` into ``store`` as one transaction and return what happened.

    ``progress`` counts documents written per file; ``audio_progress`` the seconds of each
    recording transcribed so far.

    ``strict``: a skipped file or record (other than what is left out by design, see
    ``Skipped.expected``) or a warning (``Caveat``) fails the import and nothing is written.
    """
    report = ImportReport()
    with store.transaction():
        report.import_id = store.begin_import(sources, options.thinker)
        for source in sources:
            _import_source(store, source, options, report, progress, audio_progress)
        if strict:
            _refuse_problems(report)
        store.finish_import(report)
    return report


def _refuse_problems(report: ImportReport) -> None:
    """Under ``--strict``: raise ImporterError naming the first skip or warning, if there is one."""
    problems = [s for s in report.skipped if not s.expected]
    if problems:
        first = problems[0]
        raise ImporterError(
            f"{len(problems):,} file(s) or record(s) skipped, e.g. {first.path}: {first.reason}; "
            "nothing imported (--strict)"
        )
    if report.warnings:
        first_warning = report.warnings[0]
        raise ImporterError(
            f"{len(report.warnings):,} warning(s), e.g. {first_warning.path}: {first_warning.reason}; "
            "nothing imported (--strict)"
        )


def _import_source(
    store: Workspace,
    source: str,
    options: ImportOptions,
    report: ImportReport,
    progress: Progress | None,
    audio_progress: SecondsProgress | None,
) -> None:
    with resolve(source) as resolved:
        if resolved.provenance:
            report.provenance[source] = dict(resolved.provenance)
        run = ImportRun.of(
            options,
            root=resolved.path,
            origin=resolved.origin,
            provenance=resolved.provenance,
            file_dates=resolved.file_dates,
            skipped=report.skipped,
            warnings=report.warnings,
            notes=report.notes,
            on_progress=audio_progress,
        )
        for importer, path in plan(resolved.path, run):
            named = path == resolved.path
            _import_file(store, importer, path, run, report, progress, named=named)


def _import_file(
    store: Workspace,
    importer: Importer,
    path: Path,
    options: ImportRun,
    report: ImportReport,
    progress: Progress | None,
    *,
    named: bool,
) -> None:
    label = str(path)
    tick = (lambda n: progress(label, n)) if progress else None
    if named:
        _upsert(store, importer, path, options, report, tick)
        return
    before = (report.added, report.updated, report.unchanged, dict(report.by_source), dict(report.by_kind))
    noted = len(report.notes)
    try:
        with store.savepoint():
            _upsert(store, importer, path, options, report, tick)
    except (ImporterError, RecursionError, ValueError, UnicodeError, OSError) as ex:
        report.added, report.updated, report.unchanged, report.by_source, report.by_kind = before
        del report.notes[noted:]  # notes about documents rolled back
        reason = str(ex) if isinstance(ex, ImporterError) else f"{type(ex).__name__}: {str(ex)[:200]}"
        report.skipped.append(Skipped(label, reason))


def _upsert(
    store: Workspace,
    importer: Importer,
    path: Path,
    options: ImportRun,
    report: ImportReport,
    tick: Callable[[int], None] | None,
) -> None:
    """Write what ``importer`` reads from ``path``: a big file is parsed in a child process meanwhile."""
    if getattr(importer, "parse_in_child", True) and worth_forking(path):
        batches = prepared_batches(importer, path, options, report.import_id)
        store.upsert_prepared(batches, report, thinker=options.thinker, progress=tick)
    else:
        store.upsert_documents(importer.read(path, options), report, thinker=options.thinker, progress=tick)
