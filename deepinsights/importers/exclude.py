"""Which files of a folder an import leaves out: ``--exclude GLOB`` and the folder's ``.insightsignore``.

Patterns are gitignore's (pathspec's ``GitIgnoreSpec``), matched against paths relative to
the folder imported: ``SOURCES.md`` leaves out every file of that name, ``/notes/`` only the
top-level ``notes`` folder, ``*.draft.md`` every such file, ``!keep.draft.md`` takes one
back. ``.insightsignore`` is read from the folder imported (a git checkout's top folder for a
repository URL), one pattern a line, ``#`` starting a comment. What is left out is reported as
left out by design (``Skipped.expected``), naming which of the two left it out.

This module decides nothing else about walking a folder (``importers.plan`` walks it), and
does not look inside archives: a zip is one file here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImporterError

if TYPE_CHECKING:
    import pathspec

IGNORE_FILE = ".insightsignore"
MAX_IGNORE_BYTES = 1 << 20
BY_OPTION = "excluded by --exclude"
BY_FILE = f"excluded by {IGNORE_FILE}"


@dataclass(frozen=True)
class Exclusions:
    """The patterns in force for one folder: the command line's, then the folder's own file's."""

    option: pathspec.GitIgnoreSpec | None = None
    file: pathspec.GitIgnoreSpec | None = None

    def reason(self, rel: str, *, folder: bool) -> str | None:
        """Why ``rel`` (POSIX, relative to the folder imported) is left out, or None to import it."""
        key = rel + "/" if folder else rel
        if self.option is not None and self.option.match_file(key):
            return BY_OPTION
        if self.file is not None and self.file.match_file(key):
            return BY_FILE
        return None


def compile_patterns(patterns: Iterable[str], where: str) -> pathspec.GitIgnoreSpec | None:
    """The patterns as one spec (None when there are none); ImporterError names ``where`` a bad one is."""
    lines = [p for p in patterns if p.strip() and not p.lstrip().startswith("#")]
    if not lines:
        return None
    import pathspec  # subtle: here, so that commands which import nothing do not load it

    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError) as ex:  # pathspec's pattern errors are ValueErrors
        raise ImporterError(f"{where}: not a gitignore pattern: {ex}") from None


def exclusions_for(folder: Path, option_patterns: Iterable[str]) -> Exclusions:
    """The exclusions of an import of ``folder``: ``--exclude`` patterns and its ``.insightsignore``."""
    return Exclusions(compile_patterns(option_patterns, "--exclude"), _ignore_file(folder))


def _ignore_file(folder: Path) -> pathspec.GitIgnoreSpec | None:
    path = folder / IGNORE_FILE
    if not path.is_file() or path.is_symlink():
        return None
    try:
        if path.stat().st_size > MAX_IGNORE_BYTES:
            raise ImporterError(f"'{path}': larger than {MAX_IGNORE_BYTES // 2**20} MB; not an ignore file")
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as ex:
        reason = ex.strerror if isinstance(ex, OSError) and ex.strerror else "not UTF-8 text"
        raise ImporterError(f"'{path}' cannot be read: {reason}") from None
    return compile_patterns(text.splitlines(), f"'{path}'")
