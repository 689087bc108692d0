"""Recordings made at test time: speech from Debian's espeak-ng, silence, tones, other containers via PyAV.

No audio file is checked in: every test builds the few seconds it needs. espeak-ng and the
installed speech model are required where DEEPINSIGHTS_REQUIRE_SPEECH=1 (.ci/run sets it);
elsewhere tests that need them skip with the reason.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import wave
from pathlib import Path

import click
import numpy as np
import pytest

RATE = 22_050  # espeak-ng's output rate
INSTALLED = Path(click.get_app_dir("deepinsights")) / "models"


def skip_or_fail(message: str) -> None:
    if os.environ.get("DEEPINSIGHTS_REQUIRE_SPEECH") == "1":
        pytest.fail(message + " (DEEPINSIGHTS_REQUIRE_SPEECH=1)")
    pytest.skip(message)


def speak(text: str, path: Path, *, voice: str = "en-us", words_per_minute: int = 160) -> Path:
    """``text`` read by espeak-ng into the WAV file ``path``."""
    if shutil.which("espeak-ng") is None:
        skip_or_fail("needs espeak-ng (apt-get install espeak-ng) to synthesise speech")
    subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(words_per_minute), "-w", str(path), text], check=True, timeout=60
    )
    return path


def samples(path: Path) -> np.ndarray:
    """The 16-bit mono samples of a WAV file."""
    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), dtype=np.int16)


def write_wav(path: Path, data: np.ndarray, rate: int = RATE) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.asarray(data, dtype=np.int16).tobytes())
    return path


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def talk(parts: list[tuple[float, str]], path: Path, tmp: Path, *, voice: str = "en-us") -> Path:
    """A WAV where each (start second, text) is spoken from that second on, silence between."""
    pieces: list[np.ndarray] = []
    length = 0
    for i, (start, text) in enumerate(parts):
        gap = int(start * RATE) - length
        assert gap >= 0, f"part {i} starts at {start}s but the speech before it ends at {length / RATE:.1f}s"
        spoken = samples(speak(text, tmp / f"part{i}.wav", voice=voice))
        pieces += [np.zeros(gap, dtype=np.int16), spoken]
        length += gap + len(spoken)
    pieces.append(silence(1.0))
    return write_wav(path, np.concatenate(pieces))


def tones(path: Path, seconds: float = 12.0) -> Path:
    """Music without words: a looping arpeggio of soft harmonic notes."""
    t = np.arange(int(seconds * RATE)) / RATE
    notes = [261.63, 329.63, 392.0, 523.25]
    freq = np.array([notes[int(x * 4) % 4] for x in t])
    envelope = np.exp(-4 * ((t * 4) % 1))
    wave_ = sum(np.sin(2 * math.pi * k * freq * t) / k for k in (1, 2, 3)) * envelope
    return write_wav(path, (wave_ / np.abs(wave_).max() * 12000).astype(np.int16))


CODECS = {  # container suffix -> (PyAV codec, sample rate)
    ".mp3": ("libmp3lame", 22_050),
    ".m4a": ("aac", 22_050),
    ".ogg": ("libvorbis", 22_050),
    ".opus": ("libopus", 48_000),
    ".flac": ("flac", 22_050),
    ".webm": ("libopus", 48_000),
    ".mkv": ("libopus", 48_000),
    ".mp4": ("aac", 22_050),
    ".wav": ("pcm_s16le", 22_050),
}


def encode(source: Path, target: Path) -> Path:
    """``source`` (a WAV) re-encoded into ``target``'s container and the codec ``CODECS`` gives it."""
    import av

    codec, rate = CODECS[target.suffix]
    if codec == "libvorbis" and codec not in av.codecs_available:
        codec = "vorbis"
    with av.open(str(source)) as src, av.open(str(target), "w") as out:
        stream = out.add_stream(codec, rate=rate)
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


def silent_video(target: Path, seconds: float = 2.0) -> Path:
    """An mp4 with a picture and no sound track."""
    import av

    with av.open(str(target), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(int(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i * 10 % 255, dtype=np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return target


def unknown_codec_wav(target: Path) -> Path:
    """A well-formed WAV whose format tag (0x3FFF) names no codec FFmpeg knows."""
    data = np.zeros(RATE, dtype=np.int16).tobytes()
    fmt = (0x3FFF).to_bytes(2, "little") + (1).to_bytes(2, "little") + RATE.to_bytes(4, "little")
    fmt += (RATE * 2).to_bytes(4, "little") + (2).to_bytes(2, "little") + (16).to_bytes(2, "little")
    body = b"WAVE" + b"fmt " + len(fmt).to_bytes(4, "little") + fmt + b"data" + len(data).to_bytes(4, "little") + data
    target.write_bytes(b"RIFF" + len(body).to_bytes(4, "little") + body)
    return target


def install_model_link(name: str = "base") -> None:
    """Make the installed speech model visible in this test's user directory (a symlink, no copy)."""
    from deepinsights import config
    from deepinsights.speech import catalog

    spec = catalog.get(name)
    installed = INSTALLED / spec.folder_name
    if not (installed / "model.bin").is_file():
        skip_or_fail(f"needs the speech model in {installed} (run: {catalog.install_hint(spec)})")
    try:
        import faster_whisper  # noqa: F401
    except ImportError:
        skip_or_fail("needs faster-whisper (pip install -e '.[speech]')")
    models = config.user_dir() / "models"
    models.mkdir(parents=True, exist_ok=True)
    if not (models / spec.folder_name).exists():
        (models / spec.folder_name).symlink_to(installed)


def words(text: str) -> list[str]:
    """Lower-case words without punctuation, for word error rates."""
    import re

    return re.findall(r"[a-z0-9äöüßéèàç']+", text.lower().replace("-", " "))


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word-level edit distance over the reference's length (rapidfuzz's Levenshtein on word lists)."""
    from rapidfuzz.distance import Levenshtein

    ref, hyp = words(reference), words(hypothesis)
    return Levenshtein.distance(ref, hyp) / max(len(ref), 1)
