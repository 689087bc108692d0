"""Audio and video imports: speech synthesised by espeak-ng, transcribed by the installed Whisper base model.

Every recording is made at test time from text written here. One talk (about 45 s) is
transcribed once per session: tests share a segment cache (``speech`` fixture), so on both
backends the same bytes cost one transcription. Needs espeak-ng and the model installed by
``insights models install-speech``; skips without them, fails under DEEPINSIGHTS_REQUIRE_SPEECH=1.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deepinsights import config
from deepinsights.errors import CorruptArchiveError, SpeechError
from deepinsights.speech import transcribe as transcribing
from deepinsights.workspace import open_store

from .speech_audio import encode, install_model_link, speak, talk, tones, word_error_rate, write_wav

PHRASE_AT = 30.0
PARTS = [
    (0.0, "Welcome to this short talk about learning by building. I will describe three habits that helped me."),
    (12.0, "First, write the smallest version of the idea that can work. Second, measure it before you change it."),
    (PHRASE_AT, "The gradient is a compass, not a map."),
    (36.0, "Third, explain the result to a friend, because teaching shows you what you still do not know."),
]
SPOKEN = " ".join(text for _, text in PARTS)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("speech-cache")


@pytest.fixture
def speech(shared_cache: Path) -> None:
    """The installed model, and a segment cache shared by the tests (one transcription per recording)."""
    install_model_link("base")
    (config.user_dir() / "speech-cache").symlink_to(shared_cache)


@pytest.fixture(scope="session")
def talk_wav(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("talk")
    return talk(PARTS, folder / "talk.wav", folder)


@pytest.fixture(scope="session")
def talk_mp3(talk_wav: Path) -> Path:
    return encode(talk_wav, talk_wav.with_suffix(".mp3"))


def seconds(label: str) -> int:
    parts = [int(p) for p in label.split(":")]
    return sum(p * 60**i for i, p in enumerate(reversed(parts)))


def documents(db: str) -> list[dict]:
    store = open_store(db)
    try:
        return store.rows("SELECT * FROM documents ORDER BY source_path")
    finally:
        store.close()


# -- transcription -------------------------------------------------------------------------


def test_transcribes_the_talk_in_english_with_few_errors(speech, talk_mp3):
    result = transcribing.transcribe(talk_mp3)
    text = " ".join(s.text for s in result.segments)
    assert word_error_rate(SPOKEN, text) <= 0.15, text
    assert result.language == "en" and result.language_probability > 0.5
    assert abs(result.duration - 46) < 6 and result.model == "base"
    starts = [s.start for s in result.segments]
    assert starts == sorted(starts) and all(s.end >= s.start for s in result.segments)


def test_progress_runs_over_audio_time(speech, talk_wav, tmp_path):
    seen: list[tuple[float, float | None]] = []
    own = write_wav(tmp_path / "own.wav", __import__("numpy").concatenate([_samples(talk_wav), _quiet(0.5)]))
    transcribing.transcribe(own, progress=lambda done, total: seen.append((done, total)))
    assert seen and all(total and abs(total - seen[0][1]) < 0.01 for _, total in seen)
    done = [d for d, _ in seen]
    assert done == sorted(done) and done[-1] == pytest.approx(seen[-1][1], abs=0.05)


def test_speech_in_another_language_is_transcribed_in_it(speech, tmp_path):
    german = (
        "Das Wetter ist heute sehr schön. Wir gehen am Nachmittag in den Park und trinken Kaffee. "
        "Am Abend lesen wir ein Buch über die Geschichte der Stadt."
    )
    result = transcribing.transcribe(speak(german, tmp_path / "de.wav", voice="de", words_per_minute=140))
    text = " ".join(s.text for s in result.segments).lower()
    assert result.language == "de", text
    assert {"heute", "schön", "park", "kaffee", "abend", "geschichte", "stadt"} <= set(re.findall(r"\w+", text)), text


def test_an_interrupted_transcription_resumes_after_its_last_finished_segment(speech, talk_wav, monkeypatch, tmp_path):
    monkeypatch.setattr(transcribing, "WINDOW", 20.0)
    monkeypatch.setattr(transcribing, "TAIL", 4.0)
    recording = write_wav(tmp_path / "resume.wav", _samples(talk_wav)[: int(22_050 * 44)])

    class Interrupted(Exception):
        pass

    def stop_after_first_window(done: float, total: float | None) -> None:
        if done > 10:
            raise Interrupted

    with pytest.raises(Interrupted):
        transcribing.transcribe(recording, progress=stop_after_first_window)
    resumed = transcribing.transcribe(recording)
    assert resumed.resumed_at > 5  # the first run's finished segments were kept
    text = " ".join(s.text for s in resumed.segments)
    assert word_error_rate(" ".join(t for _, t in PARTS), text) <= 0.2, text
    ends = [s.end for s in resumed.segments]
    assert ends == sorted(ends)  # no segment transcribed twice
    again = transcribing.transcribe(recording, progress=stop_after_first_window)  # done: read from the cache
    assert again.segments == resumed.segments


def test_silence_and_music_hold_no_speech(speech, tmp_path):
    quiet = write_wav(tmp_path / "quiet.wav", _quiet(8.0))
    assert transcribing.transcribe(quiet).segments == []
    assert transcribing.transcribe(tones(tmp_path / "music.wav", 12.0)).segments == []


def test_an_english_only_model_refuses_another_language(monkeypatch, talk_wav):
    monkeypatch.setenv("DEEPINSIGHTS_SPEECH_LANGUAGE", "de")
    with pytest.raises(SpeechError, match="knows English only"):
        transcribing.transcribe(talk_wav, model="tiny.en")


# -- importing -------------------------------------------------------------------------------


def test_import_and_search_find_the_phrase_at_its_moment(speech, talk_mp3, db, run):
    result = run("import", talk_mp3, "--db", db, "--thinker", "ada")
    assert result.exit_code == 0, result.output
    [doc] = documents(db)
    assert doc["kind"] == "transcript" and doc["source"] == "audio" and doc["title"] == "talk"
    meta = json.loads(doc["meta"])
    assert meta["language"] == "en" and meta["transcribed_by"] == "whisper-base" and meta["segments"] >= 4
    hits = json.loads(run("search", "compass", "--db", db, "--json").output)
    assert hits and abs(seconds(hits[0]["anchor"]) - PHRASE_AT) <= 2, hits[0]
    assert hits[0]["url"] is None  # no source URL: the moment is the label
    shown = run("search", "compass", "--db", db).output
    assert f"talk @ {hits[0]['anchor']}" in shown
    assert "0 added, 0 updated, 1 unchanged" in run("import", talk_mp3, "--db", db, "--thinker", "ada").output


def test_yt_dlp_metadata_beside_a_recording_gives_title_link_and_date(speech, talk_mp3, tmp_path, db, run):
    folder = tmp_path / "downloads"
    folder.mkdir()
    name = "Building things [dQw4w9WgXcQ]"
    (folder / f"{name}.mp3").write_bytes(talk_mp3.read_bytes())
    info = {"title": "Building things", "webpage_url": "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
            "upload_date": "20230415"}  # fmt: skip
    (folder / f"{name}.info.json").write_text(json.dumps(info))
    result = run("import", folder, "--db", db, "--thinker", "ada", "--json")
    report = json.loads(result.output)
    assert report["added"] == 1 and report["skipped"][0]["expected"], report
    [doc] = documents(db)
    assert (doc["title"], doc["source_id"]) == ("Building things", "dQw4w9WgXcQ")
    assert doc["published_at"].startswith("2023-04-15")
    hit = json.loads(run("search", "compass", "--db", db, "--json").output)[0]
    moment = int(re.search(r"[?&]t=(\d+)s", hit["url"]).group(1))
    assert hit["url"].startswith("https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=") and abs(moment - PHRASE_AT) <= 2


def test_published_captions_beside_a_recording_are_imported_instead(speech, talk_mp3, tmp_path, db, run):
    folder = tmp_path / "talks"
    folder.mkdir()
    (folder / "talk.mp3").write_bytes(talk_mp3.read_bytes())
    (folder / "talk.en.vtt").write_text("WEBVTT\n\n00:00.000 --> 00:05.000\nWelcome to this short talk.\n")
    report = json.loads(run("import", folder, "--db", db, "--json").output)
    assert report["by_source"] == {"transcript": 1}
    assert any("published captions 'talk.en.vtt' imported instead" in s["reason"] for s in report["skipped"])


@pytest.mark.parametrize("suffix", [".m4a", ".ogg", ".opus", ".flac", ".webm", ".mkv", ".mp4", ".wav"])
def test_every_format_is_read(speech, talk_wav, tmp_path, suffix):
    """Each container yields the same speech (transcribed from the first 11 seconds, to keep this quick)."""
    clip = write_wav(tmp_path / "clip.wav", _samples(talk_wav)[: int(22_050 * 11)])
    result = transcribing.transcribe(encode(clip, tmp_path / f"clip{suffix}"))
    text = " ".join(s.text for s in result.segments)
    assert word_error_rate(PARTS[0][1], text) <= 0.3, text  # lossy codecs at 22 kHz, synthetic voice


def test_bad_recordings_fail_in_one_line_and_leave_the_store_unchanged(speech, talk_mp3, tmp_path, db, run):
    run("import", talk_mp3, "--db", db)
    before = documents(db)
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(talk_mp3.read_bytes()[: talk_mp3.stat().st_size // 2])
    notes = tmp_path / "notes.mp3"
    notes.write_text("not sound")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    cases = {
        empty: "is empty (0 bytes)",
        notes: "is not a readable audio or video file",
        cut: "is truncated: its sound ends at 0:2",
        write_wav(tmp_path / "quiet.wav", _quiet(6.0)): "no speech found in 0:06 of sound",
        tones(tmp_path / "music.wav", 12.0): "(silence or music only); nothing imported",
    }
    for path, message in cases.items():
        result = run("import", path, "--db", db)
        assert result.exit_code == 1 and message in result.output, result.output
        assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert documents(db) == before


def test_a_bad_recording_in_a_folder_is_skipped_and_the_rest_imported(speech, talk_mp3, tmp_path, db, run):
    folder = tmp_path / "episodes"
    folder.mkdir()
    (folder / "01-talk.mp3").write_bytes(talk_mp3.read_bytes())
    (folder / "02-broken.mp3").write_text("not sound")
    report = json.loads(run("import", folder, "--db", db, "--json").output)
    assert report["added"] == 1
    [skipped] = report["skipped"]
    assert skipped["path"].endswith("02-broken.mp3") and "not a readable audio" in skipped["reason"]


def test_without_the_model_the_error_names_the_install_command(talk_wav, db, run):
    result = run("import", talk_wav, "--db", db)
    assert result.exit_code == 1
    assert "not installed. Install it with: insights models install-speech" in result.output


def test_truncated_wav_is_refused_before_transcribing(talk_wav, tmp_path):
    cut = tmp_path / "cut.wav"
    cut.write_bytes(talk_wav.read_bytes()[:50_000])
    with pytest.raises(CorruptArchiveError, match="shorter than its WAV header declares"):
        transcribing.transcribe(cut)


def _samples(path: Path):
    from .speech_audio import samples

    return samples(path)


def _quiet(seconds_: float):
    from .speech_audio import silence

    return silence(seconds_)
