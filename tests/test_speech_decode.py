"""Decoding sound a window at a time (speech.decode), and bad input named in one line. No model needed."""

from __future__ import annotations

import numpy as np
import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.speech.decode import RATE, Sound, tags

from .speech_audio import CODECS, encode, silent_video, tones, unknown_codec_wav, write_wav


@pytest.fixture(scope="module")
def music(tmp_path_factory):
    return tones(tmp_path_factory.mktemp("decode") / "music.wav", seconds=12.0)


@pytest.mark.parametrize("suffix", sorted(CODECS))
def test_every_container_decodes_to_16khz_mono(music, tmp_path, suffix):
    path = encode(music, tmp_path / f"music{suffix}")
    with Sound(path) as sound:
        samples = sound.window(0, 60)
    assert samples.dtype == np.float32
    assert abs(len(samples) / RATE - 12.0) < 0.1  # 12 s of sound, whatever the codec's padding
    assert 0.1 < np.abs(samples).max() <= 1.0


def test_windows_overlap_exactly_and_memory_holds_one_window(music):
    with Sound(music) as sound:
        first = sound.window(0, 5)
        second = sound.window(4, 5)  # the next window may start before the previous one ended
        assert np.array_equal(first[4 * RATE :], second[:RATE])
        assert sound._buffered <= 5 * RATE + RATE // 10  # forgotten before 4 s; one frame of slack
        rest = sound.window(10, 5)
    assert len(rest) == 2 * RATE and sound.ends_within(5)


def test_a_window_after_a_seek_matches_decoding_from_the_start(music):
    with Sound(music) as sound:
        sound.window(0, 1)
        from_start = sound.window(7, 3)
    with Sound(music) as resumed:
        after_seek = resumed.window(7, 3)  # the first window starts at 7 s: decoding seeks there
    assert len(after_seek) == len(from_start)
    settled = RATE // 100  # subtle: a fresh resampler's filter needs a few samples to match a running one
    assert np.abs(after_seek[settled:] - from_start[settled:]).max() < 0.01


def test_tags_give_the_title_and_date(music, tmp_path):
    import av

    target = tmp_path / "tagged.mp3"
    with av.open(str(music)) as src, av.open(str(target), "w") as out:
        out.metadata.update({"title": "A talk about tokens", "date": "2023-05-01"})
        stream = out.add_stream("libmp3lame", rate=22_050)
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    found = tags(target)
    assert found["title"] == "A talk about tokens" and found["date"].startswith("2023")
    assert tags(tmp_path / "missing.mp3") == {}


def test_bad_input_is_one_line_naming_the_file(tmp_path):
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    text = tmp_path / "notes.mp3"
    text.write_text("these are notes, not sound\n" * 20)
    cases = {
        empty: "is empty (0 bytes)",
        text: "is not a readable audio or video file",
        silent_video(tmp_path / "video.mp4"): "has no sound track",
        unknown_codec_wav(tmp_path / "odd.wav"): "codec this FFmpeg cannot decode",
    }
    for path, message in cases.items():
        with pytest.raises(CorruptArchiveError) as caught:
            Sound(path)
        assert message in str(caught.value) and str(path) in str(caught.value)
        assert "\n" not in str(caught.value)


def test_a_wav_shorter_than_its_header_is_known_to_be_cut_short(music, tmp_path):
    data = music.read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(data[: len(data) // 2])
    with Sound(cut) as sound:
        assert sound.cut_short
    with Sound(music) as whole:
        assert not whole.cut_short


def test_a_truncated_mp3_decodes_less_than_it_declares(music, tmp_path):
    whole = encode(music, tmp_path / "whole.mp3")
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with Sound(cut) as sound:
        sound.window(0, 60)
        assert sound.declared and sound.decoded < 0.7 * sound.declared


def test_silence_decodes_to_zeros(tmp_path):
    path = write_wav(tmp_path / "quiet.wav", np.zeros(22_050 * 3, dtype=np.int16))
    with Sound(path) as sound:
        samples = sound.window(0, 10)
    assert len(samples) == 3 * RATE and not samples.any()
