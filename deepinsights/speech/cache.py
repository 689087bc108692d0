"""Finished speech segments kept on disk, so an interrupted transcription resumes where it stopped.

One JSON-lines file per recording and model setting in ``<user dir>/speech-cache/``, named by
the sha256 of the file's bytes and the settings that shape the text (model, language, beam).
Each finished segment is appended and flushed as soon as it is final; a line cut short by a
crash is ignored on reading. A finished transcription ends with a ``done`` line, so importing
the same recording again (a re-import, or the same episode in another folder) costs no
transcription at all.

The cache lies outside the workspace on purpose: the import stays one transaction (an
interrupted import writes nothing to the store), while the hours of transcription it did
survive. Deleting the folder is always safe. It knows nothing about audio or models.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .. import config

FORMAT = 1


@dataclass(frozen=True)
class Segment:
    """Speech from ``start`` to ``end`` seconds of the recording."""

    start: float
    end: float
    text: str


@dataclass
class Progress:
    """What a cache file holds: the segments so far, where to go on from, and whether it is complete."""

    segments: list[Segment] = field(default_factory=list)
    resume_at: float = 0.0
    language: str | None = None
    language_probability: float | None = None
    done: bool = False
    duration: float | None = None


def file_digest(path: Path) -> str:
    """sha256 of the file's bytes (read a megabyte at a time)."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class SegmentCache:
    """The cache file of one recording transcribed with one setting."""

    def __init__(self, digest: str, setting: str) -> None:
        key = hashlib.sha256(f"{FORMAT}:{digest}:{setting}".encode()).hexdigest()[:32]
        self.path = config.user_dir() / "speech-cache" / f"{key}.jsonl"
        self._out: IO[str] | None = None

    def load(self) -> Progress:
        """The progress recorded so far (empty when there is none)."""
        progress = Progress()
        try:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return progress
        for line in lines:
            _apply(progress, line)
        return progress

    def add(self, segment: Segment) -> None:
        self._write({"start": segment.start, "end": segment.end, "text": segment.text})

    def mark(self, resume_at: float, language: str | None, probability: float | None) -> None:
        """Record that everything before ``resume_at`` is transcribed (a window finished)."""
        self._write({"resume_at": resume_at, "language": language, "language_probability": probability})

    def finish(self, duration: float) -> None:
        self._write({"done": True, "duration": duration})
        self.close()

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None

    def _write(self, record: dict[str, Any]) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("a", encoding="utf-8")
            if self._out.tell() and not _ends_with_newline(self.path):
                self._out.write("\n")  # subtle: a crash mid-line leaves a fragment; start afresh after it
        self._out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._out.flush()
        os.fsync(self._out.fileno())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as f:
        f.seek(-1, os.SEEK_END)
        return f.read(1) == b"\n"


def _apply(progress: Progress, line: str) -> None:
    """Fold one cache line into ``progress``; unreadable lines (a crash mid-write) are ignored."""
    try:
        record = json.loads(line)
    except ValueError:
        return
    if not isinstance(record, dict):
        return
    if isinstance(record.get("text"), str) and _number(record.get("start")) and _number(record.get("end")):
        progress.segments.append(Segment(float(record["start"]), float(record["end"]), record["text"]))
        progress.resume_at = max(progress.resume_at, float(record["end"]))
    elif _number(record.get("resume_at")):
        progress.resume_at = max(progress.resume_at, float(record["resume_at"]))
        if isinstance(record.get("language"), str):
            progress.language = record["language"]
            probability = record.get("language_probability")
            progress.language_probability = float(probability) if isinstance(probability, int | float) else None
    elif record.get("done") is True and _number(record.get("duration")):
        progress.done, progress.duration = True, float(record["duration"])


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
