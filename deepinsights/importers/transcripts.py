"""Talk and video transcripts: WebVTT, SRT, and ``[123s] text`` caption files.

The caption format is one line per caption with a whole-second offset, after optional
header lines (``SOURCE: https://www.youtube.com/watch?v=<id>``, ``Title: …``, ``Date: …``).
A transcript becomes one Document whose text is the captions joined with spaces (a
paragraph break about every minute), with one ``Anchor`` per caption: its offset in the
text, an "m:ss" label, and the source URL at that second (``…&t=123s``), so that a search
hit or citation opens the video there.

Parsing is lenient, by a small state machine rather than a strict WebVTT parser: a missing
``WEBVTT`` header, overlapping or backwards timestamps, ``-->`` inside caption text, lines
in legacy encodings and huge cues are read, and reported once per file through
``options.skip``. A timestamp that cannot be parsed is kept as the anchor's text label.
A cue is capped at ``MAX_CUE_CHARS`` and a line at ``MAX_LINE_BYTES`` of memory.

Title, link and date come from the file's own header (``Title:``, ``SOURCE:``, ``Date:``)
and, for what it lacks, from the ``NAME.info.json`` that yt-dlp writes beside ``NAME.en.vtt``
(``--write-info-json``); that metadata file is then not imported as a record of its own. A
sidecar that cannot be used is reported and the captions imported without it. Without a
title, a file named only by its video (``youtube_<id>.txt``) is titled by its first words;
without a date, the import says so (``options.note``).

It does not fetch captions from the network, translate, or punctuate auto-captions, and
it keeps VTT styling (``<c>``, ``<v Speaker>``) only as plain text.
"""

from __future__ import annotations

import functools
import html
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import parse_qsl, urlsplit

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Anchor, Document
from ..moments import clock, url_at
from .base import ImportRun
from .textutil import bounded_lines, clean, is_binary

CAPTION_SUFFIXES = (".vtt", ".srt", ".txt")
SIDECAR_SUFFIX = ".info.json"  # yt-dlp --write-info-json
MAX_SIDECAR_BYTES = 32 * 1024 * 1024
MAX_CUE_CHARS = 100_000
MAX_LINE_BYTES = 4 * MAX_CUE_CHARS
MAX_TEXT_CHARS = 20_000_000
MAX_UTF16_BYTES = 64 * 1024 * 1024
PARAGRAPH_SECONDS = 60
TITLE_CHARS = 80  # a title made of a transcript's first words is cut at a word within this
NO_DATE = (
    "no date: add a 'Date: YYYY-MM-DD' line to its header, or yt-dlp's NAME.info.json beside it; "
    "until then it is undated (left out of date filters and timelines)"
)
# Words a file name holds beside a video id that say nothing about the talk (``youtube_<id>.en``).
_MACHINE_WORDS = frozenset({"youtube", "yt", "video", "captions", "caption", "transcript", "subtitles", "auto", "en"})

_CAPTION = re.compile(r"^\[(\d{1,7}(?:\.\d+)?)s\]\s?(.*)$")
_ODD_CAPTION = re.compile(r"^\[([^\]\s]{1,40})\]\s?(.*)$")
_TIMING = re.compile(r"^\s*(\S{1,40}?)\s*-->")
_STAMP = re.compile(r"^(?:(\d{1,3}):)?(\d{1,2}):(\d{2})(?:[.,](\d{1,3}))?$")
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*$")  # the "en" of NAME.en.vtt
_HEADER_FIELD = re.compile(r"^(title|source|url|date|kind|language)\s*:\s*(.+)$", re.I)
_TAG = re.compile(r"<[^<>\n]{0,200}>")


@dataclass
class Cue:
    """One caption: where it starts (None when unparseable), how to label that, its text."""

    start: float | None
    label: str
    lines: list[str] = field(default_factory=list)
    size: int = 0


@dataclass
class _Notes:
    """Oddities met while parsing one file, reported as one skip entry."""

    missing_header: bool = False
    legacy_lines: int = 0
    long_lines: int = 0
    cut_cues: int = 0
    unparseable: int = 0
    backwards: int = 0
    cut_text: bool = False

    def summary(self) -> str | None:
        parts = ["no WEBVTT header"] if self.missing_header else []
        parts += [f"{self.legacy_lines:,} lines not UTF-8 (read as Windows-1252)"] if self.legacy_lines else []
        parts += [f"{self.long_lines:,} lines over {MAX_LINE_BYTES:,} bytes cut"] if self.long_lines else []
        parts += [f"{self.cut_cues:,} captions cut to {MAX_CUE_CHARS:,} characters"] if self.cut_cues else []
        parts += [f"{self.unparseable:,} timestamps unparseable (kept as text)"] if self.unparseable else []
        parts += [f"{self.backwards:,} captions start before the one above"] if self.backwards else []
        parts += [f"text cut at {MAX_TEXT_CHARS:,} characters"] if self.cut_text else []
        return "read leniently: " + "; ".join(parts) if parts else None


@dataclass
class Transcript:
    """A parsed transcript: its captions in file order and what its header said."""

    cues: list[Cue] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)
    notes: _Notes = field(default_factory=_Notes)
    rolling: bool = False  # VTT/SRT, where captions may repeat the line above


# -- reading lines ----------------------------------------------------------------


def _decoded_lines(path: Path, notes: _Notes) -> Iterator[str]:
    """Lines of ``path`` without line ends; each decoded on its own, so mixed encodings survive."""
    with path.open("rb") as handle:
        if handle.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            yield from _utf16_lines(handle, path)
            return
        handle.seek(0)
        for raw, complete in bounded_lines(handle, MAX_LINE_BYTES):
            if not complete:
                notes.long_lines += 1
                line = raw.decode("utf-8", "ignore")
            else:
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    notes.legacy_lines += 1
                    line = raw.decode("cp1252", "replace")
            yield clean(line.rstrip("\r\n").lstrip("\ufeff"))


def _utf16_lines(handle: BinaryIO, path: Path) -> Iterator[str]:
    handle.seek(0)
    data = handle.read(MAX_UTF16_BYTES + 1)
    if len(data) > MAX_UTF16_BYTES:
        raise CorruptArchiveError(f"'{path}' is a UTF-16 transcript over {MAX_UTF16_BYTES:,} bytes")
    for line in data.decode("utf-16", "replace").splitlines():
        yield clean(line.lstrip("\ufeff"))


# -- parsing ----------------------------------------------------------------------


def parse_transcript(lines: Iterator[str], notes: _Notes, *, vtt: bool = False) -> Transcript:
    """Parse caption-file or VTT/SRT lines, whichever the first content line says they are.

    ``vtt`` says the file claims to be WebVTT, so a missing ``WEBVTT`` header is noted.
    """
    transcript = Transcript(notes=notes)
    for line in lines:
        if not line.strip():
            continue
        if not vtt and (field := _HEADER_FIELD.match(line.strip())):  # a caption file's "Title: …", "Date: …"
            transcript.header.setdefault(field.group(1).lower(), field.group(2).strip()[:2000])
            continue
        if _CAPTION.match(line):
            _parse_captions(line, lines, transcript)
        else:
            notes.missing_header = vtt and not line.startswith("WEBVTT")
            _parse_cues(line, lines, transcript)
        break
    return transcript


def _parse_captions(first: str, lines: Iterator[str], transcript: Transcript) -> None:
    """The ``SOURCE: url`` + ``[123s] text`` format; other lines continue the caption above."""
    for line in _chain(first, lines):
        if line.startswith("SOURCE:") and not transcript.cues:
            transcript.header["source"] = line[7:].strip()
        elif match := _CAPTION.match(line):
            seconds = float(match.group(1))
            transcript.cues.append(Cue(seconds, clock(seconds)))
            _add_text(transcript, match.group(2))
        elif match := _ODD_CAPTION.match(line):
            transcript.notes.unparseable += 1
            transcript.cues.append(Cue(None, match.group(1)))
            _add_text(transcript, match.group(2))
        elif line.strip():
            if not transcript.cues:
                transcript.cues.append(Cue(0.0, clock(0)))
            _add_text(transcript, line)


def _parse_cues(first: str, lines: Iterator[str], transcript: Transcript) -> None:
    """WebVTT and SRT: blocks of an optional id, a ``start --> end`` line, and text lines."""
    in_cue = skipping = False
    transcript.rolling = True
    for line in _chain(first, lines):
        if not line.strip():
            in_cue = skipping = False
        elif (timing := _TIMING.match(line)) and _is_timing(timing.group(1), in_cue):
            in_cue, skipping = _start_cue(timing.group(1), transcript), False
        elif in_cue:
            _add_text(transcript, line)
        elif line.startswith(("NOTE", "STYLE", "REGION")) or skipping:
            skipping = True
            _header_line(line.removeprefix("NOTE").strip(), transcript)
        else:
            _header_line(line, transcript)  # a cue id, or a header field like "Title: …"


def _is_timing(start: str, in_cue: bool) -> bool:
    """Outside a cue any ``x --> y`` line is a timing line; inside one only a clock-like ``x``.

    subtle: this is what lets ``-->`` appear in caption text.
    """
    return not in_cue or (":" in start and any(ch.isdigit() for ch in start))


def _header_line(line: str, transcript: Transcript) -> None:
    if line.startswith("WEBVTT"):
        title = line[6:].strip(" \t-")
        if title:
            transcript.header.setdefault("title", title)
    elif match := _HEADER_FIELD.match(line.strip()):
        transcript.header.setdefault(match.group(1).lower(), match.group(2).strip()[:2000])


def _start_cue(stamp: str, transcript: Transcript) -> bool:
    seconds = parse_timestamp(stamp)
    if seconds is None:
        transcript.notes.unparseable += 1
    previous = next((c.start for c in reversed(transcript.cues) if c.start is not None), None)
    if seconds is not None and previous is not None and seconds < previous:
        transcript.notes.backwards += 1
    transcript.cues.append(Cue(seconds, clock(seconds) if seconds is not None else stamp[:40]))
    return True


def parse_timestamp(stamp: str) -> float | None:
    """Seconds of a VTT/SRT timestamp (``01:02:03.450``, ``02:03,450``, ``2:03``), else None."""
    match = _STAMP.match(stamp.strip())
    if match is None:
        return None
    hours, minutes, seconds, fraction = match.groups()
    total = int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds)
    return total + (int(fraction.ljust(3, "0")) / 1000 if fraction else 0.0)


def _add_text(transcript: Transcript, raw: str) -> None:
    """Append a caption line to the last cue, tags stripped, capped at MAX_CUE_CHARS."""
    cue = transcript.cues[-1]
    room = MAX_CUE_CHARS - cue.size
    if room <= 0:
        return
    text = " ".join(html.unescape(_TAG.sub("", raw)).split())
    if len(text) > room:
        transcript.notes.cut_cues += 1
        text = text[:room]
    if text and not _repeats(transcript, cue, text):
        cue.lines.append(text)
        cue.size += len(text) + 1


def _repeats(transcript: Transcript, cue: Cue, text: str) -> bool:
    """True for the first line of a cue that repeats the last line of the cue above.

    subtle: YouTube's rolling auto-captions show each line twice, in two consecutive cues.
    """
    if not transcript.rolling or cue.lines or len(transcript.cues) < 2:
        return False
    above = transcript.cues[-2].lines
    return bool(above) and above[-1] == text


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


# -- building the document ----------------------------------------------------------


def video_id(url: str | None) -> str | None:
    """The YouTube video id in a watch, youtu.be, embed or shorts URL, else None."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    if host == "youtu.be":
        return parts.path.strip("/").split("/")[0] or None
    if host.endswith("youtube.com"):
        if parts.path == "/watch":
            return dict(parse_qsl(parts.query)).get("v") or None
        segments = parts.path.strip("/").split("/")
        if len(segments) == 2 and segments[0] in ("embed", "shorts", "live"):
            return segments[1] or None
    return None


def text_and_anchors(transcript: Transcript, url: str | None) -> tuple[str, tuple[Anchor, ...]]:
    """Join captions into text, a paragraph about every PARAGRAPH_SECONDS, one anchor per caption."""
    pieces: list[str] = []
    anchors: list[Anchor] = []
    offset, paragraph_start = 0, None
    for cue in transcript.cues:
        if not cue.lines:
            continue
        if offset >= MAX_TEXT_CHARS:
            transcript.notes.cut_text = True
            break
        if pieces:
            gap = _gap(cue.start, paragraph_start)
            paragraph_start = cue.start if gap == "\n\n" else paragraph_start
            pieces.append(gap)
            offset += len(gap)
        paragraph_start = cue.start if paragraph_start is None else paragraph_start
        text = " ".join(cue.lines)
        anchors.append(Anchor(offset, cue.label, url_at(url, cue.start)))
        pieces.append(text)
        offset += len(text)
    return "".join(pieces), tuple(anchors)


def _gap(start: float | None, paragraph_start: float | None) -> str:
    if start is None or paragraph_start is None:
        return " "
    return "\n\n" if start - paragraph_start >= PARAGRAPH_SECONDS else " "


class TranscriptImporter:
    """WebVTT, SRT and ``[123s] text`` caption transcripts."""

    name = "transcript"
    description = "Transcripts: WebVTT (.vtt), SubRip (.srt), and '[123s] text' caption files (.txt)"

    def detect(self, path: Path) -> bool:
        """True for a .vtt/.srt with a header or timing line, a .txt in the caption format, or
        the yt-dlp metadata file of such a transcript (read with it, not on its own)."""
        if path.name.lower().endswith(SIDECAR_SUFFIX):
            return self.captions_of(path) is not None
        suffix = path.suffix.lower()
        if suffix not in CAPTION_SUFFIXES or not path.is_file():
            return False
        sample = _sample(path)
        if sample is None:
            return False
        lines = [line.strip() for line in sample.splitlines() if line.strip()]
        if not lines:
            return False
        if suffix == ".txt":
            first = lines[0].lstrip("\ufeff")
            return bool(_CAPTION.match(first)) or (bool(_HEADER_FIELD.match(first)) and any(map(_CAPTION.match, lines)))
        return lines[0].lstrip("\ufeff").startswith("WEBVTT") or any("-->" in line for line in lines[:50])

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        rel = options.relative(path)
        captions = self.captions_of(path) if path.name.lower().endswith(SIDECAR_SUFFIX) else None
        if captions is not None:
            options.skip(rel, f"yt-dlp metadata, read with '{captions.name}'", expected=True)
            return
        notes = _Notes()
        try:
            lines = _decoded_lines(path, notes)
            transcript = parse_transcript(lines, notes, vtt=path.suffix.lower() == ".vtt")
        except OSError as ex:
            raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None
        for key, value in sidecar_header(path, options).items():
            transcript.header.setdefault(key, value)  # the file's own header wins
        doc = _document(transcript, path, rel, options)
        message = notes.summary()
        if message:
            options.skip(rel, message)
        yield doc

    def captions_of(self, sidecar: Path) -> Path | None:
        """The transcript a yt-dlp ``NAME.info.json`` describes, if one lies beside it."""
        try:
            folder = sidecar.parent
            found = _captions_by_sidecar(str(folder), folder.stat().st_mtime_ns).get(sidecar.name)
        except OSError:
            return None
        return folder / found if found and self.detect(folder / found) else None


@functools.lru_cache(maxsize=8)
def _captions_by_sidecar(folder: str, mtime_ns: int) -> dict[str, str]:
    """Sidecar name → caption file name for one folder listing (``mtime_ns`` keys out stale listings).

    subtle: one listing per folder, not one per sidecar: a folder of thousands of videos
    would otherwise be listed thousands of times.
    """
    found: dict[str, str] = {}
    for name in sorted(os.listdir(folder)):
        if os.path.splitext(name)[1].lower() in CAPTION_SUFFIXES:
            for sidecar in sidecar_names(name):
                found.setdefault(sidecar, name)
    return found


def sidecar_names(caption_name: str) -> list[str]:
    """``Talk [id].en.vtt`` → ``Talk [id].info.json`` (then ``Talk [id].en.info.json``)."""
    stem = os.path.splitext(caption_name)[0]
    base, dot, tag = stem.rpartition(".")
    names = [base + SIDECAR_SUFFIX] if dot and base and _LANGUAGE_TAG.match(tag) else []
    return [*names, stem + SIDECAR_SUFFIX]


def sidecar_header(path: Path, options: ImportRun) -> dict[str, str]:
    """Header fields (title, source, date, language) from yt-dlp's metadata beside ``path``, if any.

    A sidecar that is not a readable JSON object is reported through ``options.skip`` and
    ignored; fields of the wrong type or form are left out.
    """
    sidecar = next(filter(None, (options.sidecar(path.with_name(name)) for name in sidecar_names(path.name))), None)
    if sidecar is None:
        return {}
    try:
        if sidecar.stat().st_size > MAX_SIDECAR_BYTES:
            raise ValueError(f"larger than {MAX_SIDECAR_BYTES // 2**20} MB")
        info = json.loads(sidecar.read_bytes())
        if not isinstance(info, dict):
            raise ValueError("not a JSON object")
    except (OSError, ValueError, RecursionError) as ex:
        reason = ex.strerror if isinstance(ex, OSError) and ex.strerror else str(ex) or type(ex).__name__
        options.skip(options.relative(sidecar), f"yt-dlp metadata not used: {reason[:200]}")
        return {}
    header: dict[str, str] = {}
    title = info.get("title")
    if isinstance(title, str) and title.strip():
        header["title"] = " ".join(title.split())[:2000]
    url = info.get("webpage_url") or info.get("original_url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        header["source"] = url[:2000]
    stamp, day = info.get("timestamp"), info.get("upload_date")
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and math.isfinite(stamp):
        header["date"] = str(int(stamp))
    elif isinstance(day, str):
        header["date"] = day[:100]  # YYYYMMDD, which dates.parse_date reads as a day
    language = info.get("language")
    if isinstance(language, str) and _LANGUAGE_TAG.match(language):
        header["language"] = language
    return header


def _sample(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            data = handle.read(4096)
    except OSError:
        return None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "ignore")
    return None if is_binary(data) else data.decode("utf-8", "replace")


def _document(transcript: Transcript, path: Path, rel: str, options: ImportRun) -> Document:
    header = transcript.header
    url = header.get("source") or header.get("url")
    url = url if url and url.startswith(("http://", "https://")) else None
    text, anchors = text_and_anchors(transcript, url)
    if not text:
        raise EmptyImportError(f"'{path}' has no caption text")
    video = video_id(url)
    starts = [c.start for c in transcript.cues if c.start is not None]
    published = options.date(header.get("date"), rel) or options.file_dates.get(rel)
    if published is None:
        options.note(rel, NO_DATE)
    return Document(
        source="transcript",
        source_id=video or rel,
        origin="" if video else options.origin,
        kind="transcript",
        text=text,
        thinker=options.thinker or "",
        title=header.get("title") or _title(path.stem, video, text),
        url=url,
        published_at=published,
        source_path=rel,
        meta=_meta(transcript, video, starts, anchors),
        anchors=anchors,
    )


def _title(stem: str, video: str | None, text: str) -> str:
    """The file's name, unless it only names the video (``youtube_VMj-3S1tku0``): then its first words, quoted."""
    if not video or video not in stem:
        return stem
    if any(w not in _MACHINE_WORDS for w in re.split(r"[\W_]+", stem.replace(video, "").lower()) if w):
        return stem
    head = " ".join(text[: 2 * TITLE_CHARS].split())
    if len(head) <= TITLE_CHARS and len(text) <= 2 * TITLE_CHARS:
        return f"“{head}”"
    return f"“{head[: TITLE_CHARS + 1].rsplit(' ', 1)[0]}…”"


def _meta(
    transcript: Transcript, video: str | None, starts: list[float], anchors: tuple[Anchor, ...]
) -> dict[str, Any]:
    meta: dict[str, Any] = {"captions": len(transcript.cues), "duration_s": int(max(starts, default=0))}
    timed = [c.start for c in transcript.cues if c.lines]  # subtle: one per anchor, in the same order
    meta["timeline"] = [[a.offset, s] for a, s in zip(anchors, timed, strict=False) if s is not None]
    if video:
        meta["video_id"] = video
    if "language" in transcript.header:
        meta["language"] = transcript.header["language"][:20]
    return meta


IMPORTER = TranscriptImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
