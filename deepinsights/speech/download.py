"""Fetch a talk or podcast from its page with yt-dlp: the published captions when the page has
them, else the sound, with yt-dlp's metadata file (title, date, link) beside it.

``media_site(url)`` decides which URLs go to yt-dlp: those one of its site extractors claims
(YouTube, Vimeo, Apple Podcasts, …), never its generic one, which would claim every page.
``fetch_talk(url, folder)`` then asks yt-dlp what the page holds. Captions a person published
(``subtitles``; not the automatic ones) are preferred, in the talk's own language when there
are several; otherwise the best audio-only format is downloaded (no ffmpeg needed). Either
way yt-dlp also writes ``NAME.info.json``, which the transcript and audio importers read for
the title, date and link. The result says which was used.

It needs the network (there is none in the tests: they serve a page from 127.0.0.1 and pass
``generic=True``) and writes only into ``folder``. Downloads are capped at
``DEEPINSIGHTS_MAX_MEDIA_BYTES``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config
from ..errors import ImporterError

CAPTION_FORMATS = ("vtt", "srt")
NO_MEDIA = ("no video formats", "no media", "unsupported url", "no video could be found", "does not contain")


@dataclass(frozen=True)
class Fetched:
    """What ``fetch_talk`` left in the folder: published captions or a recording, and which."""

    path: Path
    used: str  # "published captions (en)" or "speech recognition of the recording"


@functools.lru_cache(maxsize=1)
def _site_extractors() -> tuple[Any, ...]:
    from yt_dlp.extractor import gen_extractor_classes

    return tuple(ie for ie in gen_extractor_classes() if ie.ie_key() != "Generic")


def media_site(url: str) -> bool:
    """True when one of yt-dlp's site extractors (not the generic one) claims ``url``."""
    try:
        extractors = _site_extractors()
    except ImportError:
        return False  # without yt-dlp every URL is fetched as a page
    return any(ie.suitable(url) for ie in extractors)


def fetch_talk(url: str, folder: Path, *, generic: bool = False) -> Fetched | None:
    """Download ``url``'s captions or sound into ``folder``; None when the page holds no media.

    ``generic``: let yt-dlp's generic extractor read the page (tests, and pages no site
    extractor knows). Raises ImporterError (one line, naming the URL) when yt-dlp fails.
    """
    try:
        from yt_dlp import YoutubeDL
        from yt_dlp.utils import DownloadError
    except ImportError:
        raise ImporterError(
            f"'{url}' is a video or podcast page; reading it needs yt-dlp: pip install yt-dlp"
        ) from None
    params = _params(folder, generic)
    try:
        with YoutubeDL(params) as ydl:
            info = ydl.extract_info(url, download=False)
        if not isinstance(info, dict) or info.get("_type") in ("playlist", "multi_video"):
            raise ImporterError(f"'{url}' is a playlist or channel; import its videos one by one")
        language = captions_language(info)
        extra = _captions_params(language) if language else {"format": "bestaudio/best"}
        with YoutubeDL({**params, **extra}) as ydl:
            done = ydl.process_ie_result(info, download=True)
    except DownloadError as ex:
        message = _one_line(str(ex))
        if any(marker in message.lower() for marker in NO_MEDIA):
            return None
        raise ImporterError(f"Cannot fetch '{url}' with yt-dlp: {message}") from None
    return _result(folder, done, language, url)


def _params(folder: Path, generic: bool) -> dict[str, Any]:
    return {
        "quiet": True,
        "no_warnings": True,
        "noprogress": True,
        "noplaylist": True,
        "logger": _Quiet(),
        "socket_timeout": float(config.FETCH_TIMEOUT.value()),
        "outtmpl": str(folder / "%(title).80B [%(id)s].%(ext)s"),
        "restrictfilenames": True,
        "writeinfojson": True,
        "max_filesize": int(config.MAX_MEDIA_BYTES.value()),
        "force_generic_extractor": generic,
        "retries": 2,
    }


def _captions_params(language: str) -> dict[str, Any]:
    return {
        "skip_download": True,
        "writesubtitles": True,
        "subtitleslangs": [language],
        "subtitlesformat": "/".join(CAPTION_FORMATS),
    }


def captions_language(info: dict[str, Any]) -> str | None:
    """The language of the published captions to use: the talk's own, else English, else the first.

    Only captions in a format the transcript importer reads (VTT, SRT) count; automatic
    captions (``automatic_captions``) never do.
    """
    published = info.get("subtitles")
    if not isinstance(published, dict):
        return None
    usable = [
        lang
        for lang, tracks in published.items()
        if lang != "live_chat" and isinstance(tracks, list) and any(_readable(t) for t in tracks)
    ]
    if not usable:
        return None
    own = info.get("language")
    for wanted in (own, "en"):
        for lang in usable:
            if isinstance(wanted, str) and (lang == wanted or lang.startswith(wanted + "-")):
                return str(lang)
    return str(usable[0])


def _readable(track: object) -> bool:
    return isinstance(track, dict) and track.get("ext") in CAPTION_FORMATS


def _result(folder: Path, done: Any, language: str | None, url: str) -> Fetched:
    if language:
        found = sorted(p for p in folder.iterdir() if p.suffix.lower() in {f".{ext}" for ext in CAPTION_FORMATS})
        if found:
            return Fetched(found[0], f"published captions ({language})")
    downloads = done.get("requested_downloads") if isinstance(done, dict) else None
    paths = [Path(d["filepath"]) for d in downloads or [] if isinstance(d, dict) and d.get("filepath")]
    if not paths or not paths[0].is_file():
        raise ImporterError(
            f"Cannot fetch '{url}' with yt-dlp: nothing was downloaded (over DEEPINSIGHTS_MAX_MEDIA_BYTES?)"
        )
    return Fetched(paths[0], "speech recognition of the recording")


class _Quiet:
    """A logger that keeps yt-dlp silent: its errors come back as exceptions, with their message."""

    def debug(self, message: str) -> None: ...

    def info(self, message: str) -> None: ...

    def warning(self, message: str) -> None: ...

    def error(self, message: str) -> None: ...


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return (lines[-1] if lines else "no message").removeprefix("ERROR: ")[:300]
