"""The whole path for a recording: a synthetic talk → import → search → a quote from it verified in a
profile → the profile page (real Chromium) links to the moment the quote is spoken.

The talk is spoken by espeak-ng with a phrase placed at a known second and transcribed by the
installed Whisper base model; yt-dlp's metadata file beside it gives the talk's title and
link, as it does after ``yt-dlp --write-info-json``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from deepinsights.web.app import create_app

from .speech_audio import encode, install_model_link, talk
from .test_browser import ARGS, CHROMIUM
from .test_importer_audio import PARTS, PHRASE_AT
from .webutil import serving, write_profile

pytestmark = [pytest.mark.browser, pytest.mark.sqlite_only(reason="one backend is enough for the path; both import")]

WATCH = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


def moment_of(url: str) -> int:
    found = re.search(r"[?&]t=(\d+)s", url)
    assert found, url
    return int(found.group(1))


def test_a_quote_from_a_talk_links_to_the_moment_it_is_spoken(tmp_path: Path, db: str, run) -> None:
    install_model_link("base")
    folder = tmp_path / "talks"
    folder.mkdir()
    encode(talk(PARTS, tmp_path / "talk.wav", tmp_path), folder / "talk.mp3")
    info = {"title": "Learning by building", "webpage_url": WATCH, "upload_date": "20240301"}
    (folder / "talk.info.json").write_text(json.dumps(info))

    imported = json.loads(run("import", folder, "--db", db, "--thinker", "ada", "--json").output)
    assert imported["added"] == 1, imported

    hit = json.loads(run("search", "gradient compass", "--db", db, "--json").output)[0]
    assert hit["title"] == "Learning by building" and abs(moment_of(hit["url"]) - PHRASE_AT) <= 2

    sentence = next(s for s in re.split(r"(?<=[.!?])\s+", hit_text(db, hit["passage_id"])) if "compass" in s)
    profiles = write_profile(
        tmp_path / "profiles",
        "identity: {slug: ada, name: Ada Example}\n"
        "axioms:\n  - number: 1\n    title: Direction, not route\n    quotes:\n"
        f"      - text: {json.dumps(sentence)}\n        source: {{title: Learning by building, date: 2024-03-01}}\n",
    )
    checked = json.loads(run("verify", profiles / "ada.yaml", "--db", db, "--json").output)
    [quote] = checked["quotes"]
    assert quote["status"] == "verbatim", quote
    assert abs(moment_of(quote["location"]["url"]) - PHRASE_AT) <= 2

    if not CHROMIUM.exists():
        pytest.skip("needs Debian chromium at /usr/bin/chromium for the page")
    from playwright.sync_api import sync_playwright

    with serving(create_app(db, profiles)) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/profile/ada")
            page.wait_for_selector("html[data-verified]", state="attached", timeout=30_000)
            assert page.inner_text('[data-verify-for="axioms[0].quotes[0]"]') == "verbatim"
            link = page.query_selector('[data-verify-detail="axioms[0].quotes[0]"] a')
            href = link.get_attribute("href")
        finally:
            browser.close()
    assert href.startswith(WATCH + "&t=") and abs(moment_of(href) - PHRASE_AT) <= 2


def hit_text(db: str, passage_id: int) -> str:
    from deepinsights.workspace import open_store

    store = open_store(db)
    try:
        return str(store.passage(passage_id)["text"])
    finally:
        store.close()
