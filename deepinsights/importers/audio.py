"""Talks and podcasts as recordings: audio and video files transcribed locally into timed transcripts.

A recording (``.mp3 .wav .m4a .aac .ogg .oga .opus .flac .webm .mp4 .m4v .mov .mkv``) becomes
one ``transcript`` Document whose text is Whisper's segments (``speech.transcribe``), with one
``Anchor`` per segment: its "m:ss" label and, when the recording has a source URL, that URL
at that second (``…&t=123s``; ``#t=123`` for a link to the media file itself). Title, link
and date come from yt-dlp's ``NAME.info.json`` beside the file when there is one, else from
the file's own tags (ID3, MP4, Vorbis comments), else the file name; a URL the import was
fetched from is the link of a single downloaded file. The detected language, the model and
the length are kept in ``meta``.

A recording with published captions beside it (``NAME.en.vtt``, as ``yt-dlp --write-subs``
leaves them) is left out as expected: the transcript importer reads the captions, which a
person wrote. The yt-dlp metadata file beside a recording is read with it, not on its own.

It does not decode or transcribe (``speech`` does), and it never reads a file as audio only
because of its name: a file that is not sound fails with one line naming it.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EmptyImportError
from ..hookspecs import hookimpl
from ..models import Anchor, Document
from ..moments import MEDIA_SUFFIXES, clock
from .base import ImportRun
from .transcripts import SIDECAR_SUFFIX, Cue, Transcript, sidecar_header, sidecar_names, text_and_anchors, video_id

if TYPE_CHECKING:
    from ..speech.transcribe import Transcription

AUDIO_SUFFIXES = MEDIA_SUFFIXES
CAPTION_SUFFIXES = (".vtt", ".srt")
_TAG_TITLE = ("title",)
_TAG_DATE = ("date", "creation_time", "year")
_TAG_URL = ("purl", "url", "wxxx", "comment")


class AudioImporter:
    """Audio and video recordings, transcribed by the local speech model."""

    name = "audio"
    description = "Audio and video (.mp3 .wav .m4a .ogg .opus .flac .webm .mp4 .mkv…), transcribed locally"
    parse_in_child = False  # one document, and the speech model must not run in a forked child

    def detect(self, path: Path) -> bool:
        """True for a file with an audio or video suffix, or yt-dlp's metadata file beside one."""
        if path.name.lower().endswith(SIDECAR_SUFFIX):
            return recording_of(path) is not None
        return path.suffix.lower() in AUDIO_SUFFIXES and path.is_file()

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        rel = options.relative(path)
        if path.name.lower().endswith(SIDECAR_SUFFIX):
            recording = recording_of(path)
            options.skip(rel, f"yt-dlp metadata, read with '{recording.name if recording else '?'}'", expected=True)
            return
        captions = captions_beside(path)
        if captions is not None:
            options.skip(rel, f"published captions '{captions.name}' imported instead", expected=True)
            return
        yield _transcribe(path, rel, options)


def _transcribe(path: Path, rel: str, options: ImportRun) -> Document:
    """The recording's transcript as a Document; EmptyImportError when no speech is heard."""
    from ..speech.decode import tags
    from ..speech.transcribe import transcribe

    def tick(done: float, total: float | None) -> None:
        if options.on_progress:
            options.on_progress(rel, done, total)

    result = transcribe(path, progress=tick)
    if not result.segments:
        raise EmptyImportError(
            f"'{path}': no speech found in {clock(result.duration)} of sound (silence or music only); nothing imported"
        )
    header = _header(path, options, tags(path))
    url = header.get("source")
    cues = Transcript(cues=[Cue(s.start, clock(s.start), [s.text], len(s.text)) for s in result.segments])
    text, anchors = text_and_anchors(cues, url)
    video = video_id(url)
    return Document(
        source="audio",
        source_id=video or rel,
        origin="" if video else options.origin,
        kind="transcript",
        text=text,
        thinker=options.thinker or "",
        title=header.get("title") or path.stem,
        url=url,
        published_at=options.date(header.get("date"), rel) or options.file_dates.get(rel),
        source_path=rel,
        meta=_meta(result, anchors, video),
        anchors=anchors,
    )


def _meta(result: Transcription, anchors: tuple[Anchor, ...], video: str | None) -> dict[str, Any]:
    """What the transcript's text does not say: the model, the language heard, the length, the timeline."""
    meta: dict[str, Any] = {
        "transcribed_by": f"whisper-{result.model}",
        "language": result.language,
        "language_probability": result.language_probability,
        "duration_s": round(result.duration, 1),
        "segments": len(result.segments),
        "timeline": [[a.offset, len(s.text), s.start, s.end] for a, s in zip(anchors, result.segments, strict=True)],
    }
    if video:
        meta["video_id"] = video
    return meta


def _header(path: Path, options: ImportRun, tags: dict[str, str]) -> dict[str, str]:
    """Title, source URL and date: yt-dlp's metadata file first, then the import's URL, then the file's tags."""
    header = sidecar_header(path, options)
    fetched = options.provenance.get("final_url") or options.provenance.get("url")
    if fetched and options.root is not None and options.root == path:
        header.setdefault("source", fetched)  # a single file downloaded from this URL
    for key, names in (("title", _TAG_TITLE), ("date", _TAG_DATE), ("source", _TAG_URL)):
        value = next((tags[n] for n in names if tags.get(n, "").strip()), None)
        if value and (key != "source" or value.startswith(("http://", "https://"))):
            header.setdefault(key, " ".join(value.split())[:2000])
    return header


def recording_of(sidecar: Path) -> Path | None:
    """The recording a yt-dlp ``NAME.info.json`` describes, if one lies beside it."""
    stem = sidecar.name[: -len(SIDECAR_SUFFIX)]
    for name in _listing(sidecar.parent):
        base, suffix = os.path.splitext(name)
        if base == stem and suffix.lower() in AUDIO_SUFFIXES:
            return sidecar.with_name(name)
    return None


def captions_beside(recording: Path) -> Path | None:
    """Published captions for ``recording``: ``NAME.vtt``, ``NAME.srt`` or ``NAME.<lang>.vtt`` beside it."""
    stem = recording.stem
    for name in _listing(recording.parent):
        suffix = os.path.splitext(name)[1]
        found = recording.with_name(name)
        if (
            suffix.lower() in CAPTION_SUFFIXES
            and stem + SIDECAR_SUFFIX in sidecar_names(name)
            and not found.is_symlink()
        ):
            return found
    return None


def _listing(folder: Path) -> tuple[str, ...]:
    try:
        return _cached_listing(str(folder), folder.stat().st_mtime_ns)
    except OSError:
        return ()


@functools.lru_cache(maxsize=8)
def _cached_listing(folder: str, mtime_ns: int) -> tuple[str, ...]:
    """One listing per folder (``mtime_ns`` keys out stale ones), not one per file of a big folder."""
    return tuple(sorted(os.listdir(folder)))


IMPORTER = AudioImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
