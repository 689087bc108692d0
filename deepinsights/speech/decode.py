"""Read the sound of an audio or video file as 16 kHz mono samples, a window at a time, through PyAV.

PyAV (FFmpeg's libraries, bundled in its wheels; the same decoder faster-whisper uses) opens
every container and codec FFmpeg knows: mp3, wav, m4a/aac, ogg/vorbis, opus, flac, and the
sound track of webm, mp4 and mkv videos. ``Sound.window(start, seconds)`` returns the samples
from ``start`` on, decoding only as far as asked and forgetting what lies before ``start``,
so memory holds one window however long the recording (a 3-hour file is never decoded whole).

Bad input becomes one ``ImporterError`` line naming the file: empty, not audio or video, no
sound track, a codec this FFmpeg cannot decode, or damage met while decoding. It does not
transcribe (``speech.transcribe`` does) and never writes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from ..errors import CorruptArchiveError

RATE = 16_000  # Whisper's sample rate
Samples = NDArray[np.float32]


class Sound:
    """The first sound track of one file, decoded forward on demand (use as a context manager)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if path.stat().st_size == 0:
            raise CorruptArchiveError(f"'{path}' is empty (0 bytes)")
        self.container = _open(path)
        try:
            self.stream = _sound_track(self.container, path)
            self.declared = _declared_seconds(self.container, self.stream)
            self.cut_short = _riff_cut_short(path)
        except BaseException:
            self.container.close()
            raise
        self._frames: Iterator[tuple[float | None, Samples]] | None = None
        self._chunks: deque[Samples] = deque()  # decoded, not yet forgotten; joined once per window
        self._buffered = 0  # samples in _chunks
        self._buffer_start = 0.0  # seconds at the first buffered sample
        self.finished = False

    def __enter__(self) -> Sound:
        return self

    def __exit__(self, kind: type[BaseException] | None, ex: BaseException | None, tb: TracebackType | None) -> None:
        self.container.close()

    @property
    def decoded(self) -> float:
        """Seconds of sound decoded so far (all of it once ``finished``)."""
        return self._buffer_start + self._buffered / RATE

    def window(self, start: float, seconds: float) -> Samples:
        """The samples from ``start`` (not before the last call's ``start``) for ``seconds``, fewer at the end."""
        if self._frames is None:
            self._frames = self._decode_from(start)
        self._forget_before(start)
        wanted = int(round(seconds * RATE))
        while self._buffered < wanted and not self.finished:
            self._read_more()
        if len(self._chunks) > 1:
            joined = np.concatenate(self._chunks)
            self._chunks = deque([joined])
        return self._chunks[0][:wanted] if self._chunks else np.zeros(0, dtype=np.float32)

    def ends_within(self, seconds: float) -> bool:
        """True when the recording ends within ``seconds`` of the last window's start."""
        return self.finished and self._buffered <= int(round(seconds * RATE))

    def _forget_before(self, start: float) -> None:
        while (drop := int(round((start - self._buffer_start) * RATE))) > 0:
            if not self._chunks:
                if self.finished:
                    return
                self._read_more()
                continue
            head = self._chunks[0]
            cut = min(drop, len(head))
            if cut == len(head):
                self._chunks.popleft()
            else:
                self._chunks[0] = head[cut:]
            self._buffered -= cut
            self._buffer_start += cut / RATE

    def _read_more(self) -> None:
        assert self._frames is not None
        item = next(self._frames, None)
        if item is None:
            self.finished = True
            return
        time, chunk = item
        if time is not None and not self._chunks:
            self._buffer_start = max(time, 0.0)  # where decoding resumed after a seek
        self._chunks.append(chunk)
        self._buffered += len(chunk)

    def _decode_from(self, start: float) -> Iterator[tuple[float | None, Samples]]:
        """Samples from near ``start`` on (a seek lands at or before it; ``window`` drops the rest)."""
        if start > 0:
            try:
                target = int(start / self.stream.time_base)
                self.container.seek(target, stream=self.stream, backward=True, any_frame=False)
            except (av.error.FFmpegError, OverflowError, ZeroDivisionError, TypeError):
                pass  # an unseekable file is decoded from the start; window() drops what lies before
        return _resampled(self.container, self.stream, self.path)


def tags(path: Path) -> dict[str, str]:
    """The file's metadata tags (title, date, artist…; keys lower-cased), empty when it has none or cannot be read."""
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            found = {**container.streams.audio[0].metadata} if container.streams.audio else {}
            found.update(container.metadata)
    except (av.error.FFmpegError, OSError, UnicodeDecodeError, ValueError):
        return {}
    return {str(k).lower(): str(v) for k, v in found.items()}


def _riff_cut_short(path: Path) -> bool:
    """True for a WAV (RIFF) file shorter than its header says (FFmpeg reads such a file without a word)."""
    with path.open("rb") as f:
        head = f.read(8)
    if len(head) < 8 or head[:4] != b"RIFF":
        return False
    return int.from_bytes(head[4:8], "little") + 8 > path.stat().st_size


def _open(path: Path) -> Any:
    try:
        return av.open(str(path), metadata_errors="ignore")
    except av.error.FFmpegError as ex:
        raise CorruptArchiveError(f"'{path}' is not a readable audio or video file ({_reason(ex)})") from None
    except (OSError, UnicodeDecodeError, ValueError) as ex:
        raise CorruptArchiveError(f"'{path}' cannot be opened as audio: {ex}") from None


def _sound_track(container: Any, path: Path) -> Any:
    if not container.streams.audio:
        raise CorruptArchiveError(f"'{path}' has no sound track")
    stream = container.streams.audio[0]
    if stream.codec_context is None or stream.codec_context.codec is None:
        raise CorruptArchiveError(f"'{path}' holds sound in a codec this FFmpeg cannot decode")
    return stream


def _declared_seconds(container: Any, stream: Any) -> float | None:
    """The length the file's header claims (a truncated file decodes to less), if it claims one."""
    if stream.duration is not None and stream.time_base:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / av.time_base
    return None


def _resampled(container: Any, stream: Any, path: Path) -> Iterator[tuple[float | None, Samples]]:
    """(time of the first frame, or None after it; samples) as 16 kHz mono float32."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    time: float | None = None
    first = True
    try:
        for frame in container.decode(stream):
            if first:
                time, first = float(frame.time or 0.0), False
            for out in resampler.resample(frame):
                yield time, _floats(out)
                time = None
        for out in resampler.resample(None):
            yield None, _floats(out)
    except av.error.FFmpegError as ex:
        raise CorruptArchiveError(f"'{path}' is damaged: decoding failed ({_reason(ex)})") from None


def _floats(frame: Any) -> Samples:
    samples: Samples = frame.to_ndarray().reshape(-1).astype(np.float32)
    samples /= 32768.0
    return samples


def _reason(ex: BaseException) -> str:
    return (getattr(ex, "strerror", None) or str(ex) or type(ex).__name__).strip().splitlines()[0][:200]
