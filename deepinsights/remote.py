"""Turn what the user typed after ``insights import`` into a local path to read.

A local path is used as it is. (URLs and git repositories: see ``resolve``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


@dataclass
class Resolved:
    """A local path to import, and where it came from."""

    path: Path
    provenance: dict[str, str] = field(default_factory=dict)
    file_dates: dict[str, datetime] = field(default_factory=dict)


@contextmanager
def resolve(source: str) -> Iterator[Resolved]:
    """Yield a local path for ``source``; temporary downloads are removed afterwards."""
    yield Resolved(Path(source))
