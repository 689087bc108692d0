"""Importer registry and dispatch: which importer reads a path, and walking directories.

Every built-in importer registers through the ``register_importers`` hook, like a plugin.
``plan(path)`` decides, from content, which importer reads each file: a folder that an
importer recognises as a whole (an extracted X archive, a Mastodon export) is read as one
source; any other folder is walked, each file dispatched, and files nobody reads are
reported as skipped with the reason. Files and folders matched by ``--exclude`` or the
folder's ``.insightsignore`` (``exclude``) are left out and reported as left out.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..errors import UnknownFormatError
from .base import Importer, ImportOptions, ImportRun
from .exclude import Exclusions, exclusions_for

__all__ = ["Importer", "ImportOptions", "ImportRun", "get_importers", "importer_for", "plan"]

_IGNORED_DIRS = {".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "_site", ".jekyll-cache"}


def get_importers() -> list[Importer]:
    """All importers, in the order detection tries them (plugins first, catch-alls last)."""
    from ..plugins import load_plugins, pm

    load_plugins()
    found: list[Importer] = []
    pm.hook.register_importers(register=found.append)
    return found


def importer_for(path: Path) -> Importer | None:
    """Return the first importer whose ``detect`` accepts ``path``, or None."""
    for importer in get_importers():
        if importer.detect(path):
            return importer
    return None


def plan(path: Path, options: ImportRun) -> Iterator[tuple[Importer, Path]]:
    """Yield (importer, file) pairs for ``path``; skipped files go to ``options.skip``.

    Raises UnknownFormatError when ``path`` is a single file no importer reads.
    """
    if not path.exists():
        raise UnknownFormatError(f"'{path}' does not exist")
    importer = importer_for(path)
    if importer is not None:
        yield importer, path
        return
    if path.is_file():
        names = ", ".join(i.name for i in get_importers())
        raise UnknownFormatError(f"No importer recognises '{path}'. Supported: {names}")
    yield from _walk(path, options, exclusions_for(path, options.exclude), path)


def _walk(folder: Path, options: ImportRun, exclusions: Exclusions, root: Path) -> Iterator[tuple[Importer, Path]]:
    for child in sorted(folder.iterdir()):
        excluded = exclusions.reason(child.relative_to(root).as_posix(), folder=child.is_dir())
        if excluded and not child.name.startswith("."):
            options.skip(child, excluded, expected=True)
            continue
        if not options.followed(child):
            continue
        if child.is_dir():
            if child.name in _IGNORED_DIRS or child.name.startswith("."):
                continue
            importer = importer_for(child)
            if importer is not None:
                yield importer, child
            else:
                yield from _walk(child, options, exclusions, root)
        elif child.name.startswith("."):
            continue
        else:
            importer = importer_for(child)
            if importer is None:
                options.skip(child, "no importer recognises this file")
            else:
                yield importer, child
