"""What an importer is: a name, ``detect(path)`` and ``read(path, options)`` yielding Documents.

Importers are pure transformers: they never touch the store. What they are given is an
``ImportRun``: the user's ``ImportOptions`` (never written during an import) plus what the
run of one source knows (its root, provenance, file dates) and its log of skipped records
and warnings. Records they pass over are reported through ``options.skip(path, reason)``,
records kept with a caveat (a date that is no date, fewer records than a file claims)
through ``options.warn(path, reason)``; a source that is unreadable as a whole raises an
``ImporterError`` naming the file and the problem. Dates are read through
``options.date``, so that every importer applies the same rules. What is worth knowing about
what was imported, and no problem in it (a transcript with no date at all), goes through
``options.note(path, message)``; ``--strict`` ignores notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from ..models import Caveat, Document, Note, Skipped
from .dates import DateError, parse_date

SYMLINK_NOT_FOLLOWED = "symbolic link not followed"


@dataclass(frozen=True)
class ImportOptions:
    """Choices the user made on the command line that importers honour; nothing writes them."""

    thinker: str | None = None
    include_private: bool = False
    text_field: str | None = None
    date_field: str | None = None
    url_field: str | None = None
    title_field: str | None = None
    url_template: str | None = None
    keep_raw: bool = False
    handle: str | None = None
    exclude: tuple[str, ...] = ()  # gitignore patterns of files to leave out of a folder (importers.exclude)

    def own_handle(self) -> str:
        """``--handle`` as the archive writes it: without a leading ``@``, lower-cased ('' when not given)."""
        return (self.handle or "").strip().lstrip("@").lower()


@dataclass(frozen=True)
class ImportRun(ImportOptions):
    """The import of one source as importers see it: the user's options and the run's own state.

    ``root`` is the folder or file the user named (ids are paths relative to it),
    ``provenance`` and ``file_dates`` what resolving it found (a URL, a git commit's dates);
    ``skipped``, ``warnings`` and ``notes`` collect what was passed over, kept with a caveat,
    and worth knowing; each is also handed to ``on_skip``.
    """

    root: Path | None = None
    origin: str = ""
    """The identity of the root being imported (set by ``ingest`` from ``remote.resolve``). An importer whose
    ``source_id`` is only distinct within that root (a path from ``relative``, a row number, a
    site-local post id) passes ``origin=options.origin`` to each Document; one whose native id
    is distinct on its own (a tweet id, a URL, a GUID) leaves ``origin`` empty (see ``models``)."""
    provenance: dict[str, str] = field(default_factory=dict)
    file_dates: dict[str, datetime] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Caveat] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    on_skip: Callable[[Skipped | Caveat | Note], None] | None = None
    on_progress: Callable[[str, float, float | None], None] | None = None  # (file, done, total) of a long step

    @classmethod
    def of(cls, options: ImportOptions, **state: Any) -> ImportRun:
        """A run with the user's ``options`` and the given run state."""
        return cls(**{f.name: getattr(options, f.name) for f in fields(ImportOptions)}, **state)

    def relative(self, path: Path) -> str:
        """``path`` relative to the import root, as POSIX: the stable native id of a file."""
        root = self.root if self.root is not None else path.parent
        if root.is_file():
            root = root.parent
        try:
            return path.resolve().relative_to(root.resolve()).as_posix() or path.name
        except ValueError:
            return path.name

    def skip(self, path: str | Path, reason: str, *, expected: bool = False) -> None:
        """Record that ``path`` (a file, or ``file#record``) was passed over and why.

        ``expected``: left out by design (media, private data, drafts), not a problem in it.
        """
        item = Skipped(str(path), reason, expected)
        self.skipped.append(item)
        if self.on_skip:
            self.on_skip(item)

    def warn(self, path: str | Path, reason: str) -> None:
        """Record that ``path`` (a file, or ``file#record``) was imported with a caveat, and which."""
        item = Caveat(str(path), reason)
        self.warnings.append(item)
        if self.on_skip:
            self.on_skip(item)

    def date(self, value: object, where: str | Path) -> datetime | None:
        """``value`` as a UTC datetime (``dates.parse_date``); None when absent or not a date.

        A value that is not a date is reported as a warning on ``where`` and the record is
        kept undated: one bad date never costs the record or the import.
        """
        try:
            return parse_date(value)
        except DateError as ex:
            self.reject_date(where, ex)
            return None

    def reject_date(self, where: str | Path, error: DateError) -> None:
        """Report that the date of ``where`` was not used, and why; the record itself is kept."""
        self.warn(where, f"date not used: {error}")

    def followed(self, path: Path) -> bool:
        """False, and ``path`` reported as skipped, when it is a symbolic link: an import never follows one.

        The one rule for every file an import reads that the user did not name: each file
        of a walked folder, and each sidecar read beside a named file (``actor.json``,
        ``NAME.info.json``, ``TABLE.metadata.json``), so that a link planted in a download
        cannot pull a file from elsewhere on the disk into the workspace.
        """
        if path.is_symlink():
            self.skip(path, SYMLINK_NOT_FOLLOWED)
            return False
        return True

    def sidecar(self, path: Path) -> Path | None:
        """``path``, a file read beside the one imported, when it exists and is no symbolic link (see ``followed``)."""
        return path if self.followed(path) and path.is_file() else None

    def note(self, path: str | Path, message: str) -> None:
        """Record something worth knowing about ``path``, which was imported (``--strict`` ignores notes)."""
        item = Note(str(path), message)
        self.notes.append(item)
        if self.on_skip:
            self.on_skip(item)


class Importer(Protocol):
    """One source format.

    An importer may set ``parse_in_child = False`` to be read in the importing process even
    when its file is big (the import otherwise parses big files in a forked child).
    """

    name: str
    description: str

    def detect(self, path: Path) -> bool:
        """Return True if this importer reads ``path`` (decided from content, not only the name)."""
        ...

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        """Yield the documents in ``path``."""
        ...
