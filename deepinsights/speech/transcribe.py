"""Transcribe a recording locally with faster-whisper on the CPU (int8, no torch), window by window.

The recording is decoded a window (``WINDOW`` seconds) at a time by ``speech.decode`` and each
window is given to Whisper with its voice-activity filter (silence and music are skipped, not
hallucinated into words). Whisper cuts a window's last sentence where the window ends, so the
segments ending in its last ``TAIL`` seconds are not kept: the next window starts at the end of
the last kept segment and hears that sentence whole. Every kept segment is final and goes to
the ``SegmentCache`` at once, so an interrupted run resumes from the last finished segment, and
a finished one is never transcribed again. Memory holds one window, whatever the recording's
length (peak RSS measured in bench/bench_speech.py).

The language is detected from the first window (Whisper's own detection) unless the user set
one (``DEEPINSIGHTS_SPEECH_LANGUAGE``); the rest is transcribed in that language, never translated.
It does not build documents (``importers.audio`` does) and never writes to the store.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import config
from ..errors import CorruptArchiveError, SpeechError
from . import catalog
from .cache import Segment, SegmentCache, file_digest
from .decode import RATE, Sound

WINDOW = 300.0  # seconds of sound given to Whisper at once (about 19 MB of samples)
TAIL = 10.0  # a window's segments ending this close to its end are redone by the next window
BEAM = 1  # greedy decoding: as accurate as beam 5 on the benchmark, about twice as fast
TRUNCATED = 0.9  # decoding fewer than this share of the declared length means the file was cut short

Progress = Callable[[float, float | None], None]  # (seconds transcribed, seconds in the recording)

_NOT_SPEECH = re.compile(r"\[[^\]]*\]|\([^)]*\)|[♪♫♩♬*#~\s.,!?\-–—]")


@dataclass(frozen=True)
class Transcription:
    """The speech of one recording: its segments in order, language and length."""

    segments: list[Segment]
    language: str | None
    language_probability: float | None
    duration: float
    model: str
    resumed_at: float = 0.0  # seconds already transcribed by an earlier, interrupted run


def transcribe(path: Path, *, model: str | None = None, progress: Progress | None = None) -> Transcription:
    """Transcribe ``path`` (resuming or reusing the cache); raise SpeechError without the model,
    CorruptArchiveError for a file that is not sound or was cut short.

    An empty ``segments`` list means no speech was heard (silence or music only).
    """
    spec = catalog.get(model)
    wanted = _language(spec)
    with Sound(path) as sound:  # subtle: first, so a file that is not sound fails before the model loads
        if sound.cut_short:
            raise CorruptArchiveError(f"'{path}' is truncated: the file is shorter than its WAV header declares")
        cache = SegmentCache(file_digest(path), f"{spec.name}:{wanted or 'auto'}:beam{BEAM}")
        saved = cache.load()
        if saved.done and saved.duration is not None:
            return Transcription(saved.segments, saved.language, saved.language_probability, saved.duration, spec.name)
        engine = load_model(str(catalog.installed_dir(spec)))
        run = _Run(engine, cache, saved.segments, wanted or saved.language, saved.language_probability, progress)
        try:
            run.through(sound, saved.resume_at)
            _check_complete(path, sound)
            cache.finish(sound.decoded)
        finally:
            cache.close()
    return Transcription(run.segments, run.language, run.probability, sound.decoded, spec.name, saved.resume_at)


def _language(spec: catalog.SpeechModel) -> str | None:
    wanted = config.SPEECH_LANGUAGE.value().strip().lower() or None
    if spec.english_only:
        if wanted not in (None, "en"):
            raise SpeechError(f"The speech model '{spec.name}' knows English only; use the base model for '{wanted}'")
        return "en"
    return wanted


@functools.lru_cache(maxsize=1)
def load_model(folder: str) -> Any:
    """The faster-whisper model in ``folder`` on the CPU, int8 (loaded once per process)."""
    try:
        from faster_whisper import WhisperModel
    except ImportError:
        raise SpeechError(
            f"Speech recognition needs faster-whisper. Install it with: {catalog.INSTALL_COMMAND}"
        ) from None
    try:
        return WhisperModel(folder, device="cpu", compute_type="int8", local_files_only=True)
    except (RuntimeError, ValueError, OSError) as ex:
        raise SpeechError(f"The speech model in {folder} cannot be loaded ({ex}); reinstall it") from None


class _Run:
    """One pass over a recording from ``resume_at``, window by window, keeping what is final."""

    def __init__(
        self,
        engine: Any,
        cache: SegmentCache,
        segments: list[Segment],
        language: str | None,
        probability: float | None,
        progress: Progress | None,
    ) -> None:
        self.engine, self.cache, self.progress = engine, cache, progress
        self.segments = list(segments)
        self.language, self.probability = language, probability

    def through(self, sound: Sound, start: float) -> None:
        while True:
            samples = sound.window(start, WINDOW)
            last = sound.ends_within(WINDOW)
            if not len(samples):
                return
            end_of_kept = self._window(samples, start, sound.declared, last)
            if self.progress:
                self.progress(start + len(samples) / RATE if last else max(end_of_kept, start), sound.declared)
            if last:
                return
            start = end_of_kept if end_of_kept > start else start + WINDOW - TAIL
            self.cache.mark(start, self.language, self.probability)

    def _window(self, samples: Any, start: float, total: float | None, last: bool) -> float:
        """Transcribe one window; keep (and cache) its final segments; return where the last one ends."""
        found, info = self.engine.transcribe(
            samples, language=self.language, beam_size=BEAM, vad_filter=True, condition_on_previous_text=True
        )
        if self.language is None:
            self.language, self.probability = info.language, round(float(info.language_probability), 3)
            self.cache.mark(start, self.language, self.probability)
        kept_end = start
        limit = len(samples) / RATE - TAIL
        for segment in _speech(found):
            if not last and segment.end > limit:
                break  # subtle: stop here, so Whisper does not go on decoding the tail for nothing
            kept = Segment(round(start + segment.start, 2), round(start + segment.end, 2), segment.text.strip())
            self.segments.append(kept)
            self.cache.add(kept)
            kept_end = kept.end
            if self.progress:
                self.progress(kept.end, total)
        return kept_end


def _speech(segments: Iterable[Any]) -> Iterable[Any]:
    """Whisper's segments that hold words: not '[Music]', '(applause)' or '♪'."""
    for segment in segments:
        if _NOT_SPEECH.sub("", segment.text):
            yield segment


def _check_complete(path: Path, sound: Sound) -> None:
    """CorruptArchiveError when the sound ends well before the length its header declares."""
    declared = sound.declared
    if declared and declared > 5 and sound.decoded < TRUNCATED * declared:
        raise CorruptArchiveError(
            f"'{path}' is truncated: its sound ends at {clock(sound.decoded)} of the {clock(declared)} it declares"
        )


def clock(seconds: float) -> str:
    """``m:ss`` (``h:mm:ss`` from an hour on)."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
