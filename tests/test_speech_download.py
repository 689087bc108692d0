"""Talks from URLs: which URLs go to yt-dlp, captions preferred to sound, a direct link to a media file.

The network is not reachable from the tests, so yt-dlp reads pages served on 127.0.0.1 with
its generic extractor (``generic=True``): an HTML5 ``<video>`` with or without a captions
``<track>``. Which URLs go to yt-dlp at all is decided by its site extractors' own URL
patterns, checked here without a request.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deepinsights.errors import ImporterError
from deepinsights.speech.download import captions_language, fetch_talk, media_site
from deepinsights.workspace import open_store

from .speech_audio import encode, install_model_link, talk
from .test_importer_audio import PARTS, PHRASE_AT, seconds

pytest.importorskip("yt_dlp", reason="needs yt-dlp (pip install -e '.[speech]')")

CAPTIONS = "WEBVTT\n\n00:00.000 --> 00:06.000\nWelcome to this short talk about learning by building.\n"


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A folder served on 127.0.0.1: two talk pages (with and without captions), the recording, the captions."""
    root = tmp_path_factory.mktemp("site")
    wav = talk(PARTS, root / "talk.wav", root)
    encode(wav, root / "talk.webm")
    encode(wav, root / "episode.mp3")
    (root / "talk.en.vtt").write_text(CAPTIONS)
    video = '<video controls><source src="talk.webm" type="video/webm">{track}</video>'
    track = '<track kind="captions" srclang="en" src="talk.en.vtt" label="English">'
    for name, inner in (("captioned.html", video.format(track=track)), ("plain.html", video.format(track=""))):
        (root / name).write_text(f"<!doctype html><title>Learning by building</title><body>{inner}</body>")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.youtube.com/watch?v=P6sfmUTpUmc", True),
        ("https://youtu.be/P6sfmUTpUmc", True),
        ("https://vimeo.com/76979871", True),
        ("https://karpathy.github.io/2015/05/21/rnn-effectiveness/", False),
        ("https://github.com/karpathy/nanoGPT", False),
        ("http://127.0.0.1:8000/talk.html", False),  # the generic extractor never decides
    ],
)
def test_only_urls_a_site_extractor_claims_go_to_yt_dlp(url, expected):
    assert media_site(url) is expected


def test_captions_language_prefers_published_captions_in_the_talks_language():
    vtt = [{"ext": "vtt", "url": "x"}]
    assert captions_language({"subtitles": {"de": vtt, "en": vtt}, "language": "de"}) == "de"
    assert captions_language({"subtitles": {"fr": vtt, "en-GB": vtt}}) == "en-GB"
    assert captions_language({"subtitles": {"fr": vtt}}) == "fr"
    assert captions_language({"subtitles": {"en": [{"ext": "json3"}]}}) is None  # no format we read
    assert captions_language({"subtitles": {"live_chat": vtt}}) is None
    assert captions_language({"automatic_captions": {"en": vtt}}) is None  # machine captions never count


def test_a_page_with_published_captions_gives_the_captions(site, tmp_path):
    base, _ = site
    fetched = fetch_talk(f"{base}/captioned.html", tmp_path, generic=True)
    assert fetched is not None and fetched.used == "published captions (en)"
    assert fetched.path.suffix == ".vtt" and "learning by building" in fetched.path.read_text()
    assert not list(tmp_path.glob("*.webm"))  # the recording was not downloaded
    info = json.loads(next(tmp_path.glob("*.info.json")).read_text())
    assert info["webpage_url"] == f"{base}/captioned.html"


def test_a_page_without_captions_gives_its_recording_and_the_import_transcribes_it(site, tmp_path, db, run):
    install_model_link("base")
    base, _ = site
    fetched = fetch_talk(f"{base}/plain.html", tmp_path / "download", generic=True)
    assert fetched is not None and fetched.used == "speech recognition of the recording"
    assert fetched.path.suffix == ".webm"
    report = json.loads(run("import", fetched.path, "--db", db, "--thinker", "ada", "--json").output)
    assert report["added"] == 1, report
    store = open_store(db)
    [doc] = store.rows("SELECT title, url, meta FROM documents")
    store.close()
    assert doc["title"].startswith("Learning by building") and doc["url"] == f"{base}/plain.html"
    hit = json.loads(run("search", "compass", "--db", db, "--json").output)[0]
    assert hit["url"].startswith(f"{base}/plain.html?t=") and abs(seconds(hit["anchor"]) - PHRASE_AT) <= 2


def test_a_link_to_a_media_file_is_downloaded_and_transcribed(site, db, run):
    install_model_link("base")
    base, _ = site
    result = run("import", f"{base}/episode.mp3", "--db", db, "--json")
    assert json.loads(result.output)["added"] == 1, result.output
    hit = json.loads(run("search", "compass", "--db", db, "--json").output)[0]
    assert hit["url"].startswith(f"{base}/episode.mp3#t=")
    assert abs(int(hit["url"].rsplit("=", 1)[1]) - PHRASE_AT) <= 2


def test_a_page_that_cannot_be_read_is_one_line_naming_it(site, tmp_path):
    base, _ = site
    with pytest.raises(ImporterError, match=r"^Cannot fetch 'http://127\.0\.0\.1:\d+/missing\.html' with yt-dlp: "):
        fetch_talk(f"{base}/missing.html", tmp_path, generic=True)
