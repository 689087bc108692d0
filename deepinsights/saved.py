"""Where comparisons and eval runs are kept beside the workspace, so the page can show the latest.

``insights compare A B`` keeps its last result (with the model's positions, when it had a model)
as ``comparisons/A--B.json`` and ``insights eval SLUG`` each run as
``evals/SLUG/<UTC time>.json``, in the folder where the workspace's profiles live
(``workspace.folder``). Files are written whole (a temporary name, then renamed), never half.
``latest_eval`` and ``saved_comparison`` read them back for the page; an unreadable file reads
as none.

This module decides the paths and does the file I/O (``write_whole`` is also how exports write
files); it does not compute anything.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def comparison_path(folder: Path, a: str, b: str) -> Path:
    """The file holding the last comparison of ``a`` with ``b`` (in that order)."""
    return folder / "comparisons" / f"{_safe(a)}--{_safe(b)}.json"


def eval_folder(folder: Path, slug: str) -> Path:
    """The folder holding every eval run of ``slug``'s simulator."""
    return folder / "evals" / _safe(slug)


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as JSON to ``path`` whole (``write_whole``)."""
    return write_whole(path, json.dumps(data, indent=2, ensure_ascii=False, default=str).encode("utf-8"))


def write_whole(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole: a temporary file beside it, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def new_eval_path(folder: Path, slug: str, now: datetime | None = None) -> Path:
    """A new run's file: named by its UTC time, so names sort by time."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return eval_folder(folder, slug) / f"{stamp}.json"


def latest_eval(folder: Path, slug: str) -> dict[str, Any] | None:
    """The most recent readable eval run of ``slug``, or None."""
    runs = sorted(eval_folder(folder, slug).glob("*.json"), reverse=True) if _SLUG.match(slug) else []
    for path in runs:
        data = _read(path)
        if data is not None:
            return data
    return None


def saved_comparison(folder: Path, a: str, b: str) -> dict[str, Any] | None:
    """The last saved comparison of ``a`` with ``b``, or None."""
    if not (_SLUG.match(a) and _SLUG.match(b)):
        return None
    return _read(comparison_path(folder, a, b))


def comparisons(folder: Path) -> list[tuple[str, str]]:
    """The (a, b) slug pairs of every saved comparison, sorted."""
    pairs = []
    for path in sorted((folder / "comparisons").glob("*--*.json")):
        a, _, b = path.stem.partition("--")
        if _SLUG.match(a) and _SLUG.match(b):
            pairs.append((a, b))
    return pairs


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _safe(slug: str) -> str:
    """A slug as a file name part: anything but letters, digits, '_', '.' and '-' becomes '_'."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", slug).lstrip(".") or "_"
