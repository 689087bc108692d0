"""Moments in a recording: "m:ss" labels, links that open a recording at a second, and the
moment of any character of a timed transcript.

A timed transcript (a recording transcribed by ``importers.audio``, or captions read by
``importers.transcripts``) keeps its timeline in ``meta["timeline"]``, one entry per segment
or caption, where ``offset`` is a character offset into the text (see ``timeline_of``). A
passage is longer than a sentence, so its own anchor is where it starts; ``moment`` gives
the segment that holds a given character, so a search hit or a verified quote links to the
moment its words are spoken, not to the start of the passage around them.

Pure functions, no I/O: callers bring the stored meta and URL.
"""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MEDIA_SUFFIXES = frozenset(
    (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".oga", ".opus", ".flac", ".webm", ".mp4", ".m4v", ".mov", ".mkv")
)


@dataclass(frozen=True)
class Span:
    """Where a caption or segment lies in the text, and when it is spoken (``end`` None: unknown)."""

    offset: int
    length: int
    start: float
    end: float | None


Timeline = tuple[Span, ...]


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on) for an offset in seconds."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def url_at(url: str | None, seconds: float | None) -> str | None:
    """``url`` opened at ``seconds``: a page gets ``…&t=123s`` (``?t=123s`` without a query),
    a link to a media file itself the media fragment ``#t=123``."""
    if not url or seconds is None:
        return url
    parts = urlsplit(url)
    if PurePosixPath(parts.path).suffix.lower() in MEDIA_SUFFIXES:
        return urlunsplit(parts._replace(fragment=f"t={int(seconds)}"))
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "t"]
    query.append(("t", f"{int(seconds)}s"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def timeline_of(meta: str | dict[str, Any] | None) -> Timeline:
    """The timeline in a document's meta (JSON text or dict), in text order; empty when it has none.

    Entries are ``[offset, seconds]`` (a caption's start) or ``[offset, length, start, end]``
    (a transcribed segment: its characters and the seconds it spans).
    """
    if isinstance(meta, str):
        return _timeline_of_text(meta)
    entries = meta.get("timeline") if isinstance(meta, dict) else None
    if not isinstance(entries, list):
        return ()
    spans = [_span(e) for e in entries if isinstance(e, list) and len(e) in (2, 4) and _numbers(e)]
    return tuple(sorted(spans, key=lambda s: s.offset))


@lru_cache(maxsize=16)
def _timeline_of_text(meta: str) -> Timeline:
    """subtle: a lecture's timeline holds thousands of captions (about 2.5 ms to read), and a page
    of search hits in the same few talks reads them on every request; kept by the text itself."""
    try:
        return timeline_of(json.loads(meta))
    except ValueError:
        return ()


def moment(timeline: Timeline, offset: int, url: str | None) -> tuple[str, str | None] | None:
    """(label, link) of the moment character ``offset`` is spoken; None without a timeline.

    Inside a segment with a known end, the moment is interpolated by character position
    (speech is about even within one segment of a few seconds).
    """
    if not timeline:
        return None
    i = max(bisect.bisect_right(timeline, offset, key=lambda s: s.offset) - 1, 0)
    span = timeline[i]
    seconds = span.start
    if span.end is not None and span.length > 0 and span.offset <= offset < span.offset + span.length:
        seconds += (offset - span.offset) / span.length * max(span.end - span.start, 0.0)
    return clock(seconds), url_at(url, seconds)


def offset_in(text: str, snippet: str, start_mark: str, end_mark: str) -> int | None:
    """Where the first highlighted word of ``snippet`` (an FTS snippet of ``text``) lies in ``text``."""
    head, marked, rest = snippet.partition(start_mark)
    if not marked:
        return None
    head = head.lstrip("…")
    word = rest.split(end_mark, 1)[0]
    found = text.find(head + word)
    return found + len(head) if found >= 0 else None


def _span(entry: list[Any]) -> Span:
    if len(entry) == 2:
        return Span(int(entry[0]), 0, float(entry[1]), None)
    return Span(int(entry[0]), int(entry[1]), float(entry[2]), float(entry[3]))


def _numbers(entry: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in entry)
