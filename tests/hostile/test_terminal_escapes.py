"""Terminal escape injection (issue 19 item 4): no corpus or profile text reaches a screen as a control.

Corpus text, titles, file names and thinker names were printed raw, so OSC 52 (writes the
clipboard), CSI 2J (clears the screen) and OSC 0/8 (retitles, hides links) reached the
terminal through ``search``, ``stats`` and import's skip lines. Every human output now shows
them as ``[U+001B]`` (``display.visible``), JSON escapes them, and the page and the static
export show profile text by the same rule as search hits.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import deepinsights.web
from deepinsights.display import CONTROL_CLASS, json_text, visible
from deepinsights.site_export import export_site
from deepinsights.web.app import create_app

from ..webutil import serving

OSC52 = "\x1b]52;c;cHduZWQ=\x07"
CSI_CLEAR = "\x1b[2J"
OSC_TITLE = "\x1b]0;pwned\x07"
OSC_LINK = "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\"
C1_CSI = "\u009b2J"
BIDI = "\u202e"
EVIL = OSC52 + CSI_CLEAR + OSC_TITLE + OSC_LINK + C1_CSI + BIDI + "\r\b"
RAW = re.compile(f"[{CONTROL_CLASS}]")


def _raw_controls(text: str) -> list[str]:
    return sorted({f"U+{ord(c):04X}" for c in RAW.findall(text)})


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A folder whose titles, text, file names and (Mastodon) thinker name carry escape sequences."""
    root = tmp_path / "hostile"
    (root / "blog").mkdir(parents=True)
    (root / "blog" / f"post{CSI_CLEAR}.md").write_text(
        '---\ntitle: "Title \\e]52;c;cHduZWQ=\\a end"\n---\n\n' + f"Engine words {EVIL} engine text.\n",
        encoding="utf-8",
    )  # YAML's \e and \a: the title holds a real ESC and BEL
    (root / "blog" / "raw.md").write_text(f"---\ntitle: raw {CSI_CLEAR}\n---\n\nRaw control in front matter.\n")
    (root / "blog" / f"bin{OSC_TITLE}.md").write_bytes(b"\x81\x00\x02\x83" * 500)  # skipped: its name is printed
    outbox = {"type": "OrderedCollection", "orderedItems": [{
        "id": "https://s.example/1/activity", "type": "Create", "to": ["https://www.w3.org/ns/activitystreams#Public"],
        "object": {"id": "https://s.example/1", "type": "Note", "content": f"<p>engine toot {EVIL}</p>",
                   "published": "2023-01-02T10:00:00Z"}}]}  # fmt: skip
    (root / "mastodon").mkdir()
    (root / "mastodon" / "outbox.json").write_text(json.dumps(outbox))
    (root / "mastodon" / "actor.json").write_text(json.dumps({"preferredUsername": f"ada{OSC_LINK}"}))
    return root


def _assert_shown(output: str, where: str) -> None:
    assert _raw_controls(output) == [], f"{where}: raw {_raw_controls(output)} in {output[:400]!r}"


def test_every_human_output_shows_escape_sequences_visibly(hostile, tmp_path, run, db, store):
    imported = run("import", hostile, "--db", db)
    _assert_shown(imported.output, "import")
    assert "[U+001B]" in imported.output  # the skipped file's name, shown
    for args in (["search", "engine"], ["search", "engine", "--mode", "bm25"], ["stats"], ["imports"]):
        result = run(*args, "--db", db)
        assert result.exit_code == 0, result.output
        _assert_shown(result.output, " ".join(args))
    assert "[U+001B]]52;c;" in run("search", "engine", "--db", db).output


def test_error_messages_show_escape_sequences_visibly(tmp_path, run, db):
    unknown = tmp_path / f"notes{OSC52}.xyz"
    unknown.write_bytes(b"\x00\x01 not a format")
    result = run("import", unknown, "--db", db)
    assert result.exit_code == 1
    _assert_shown(result.output, "import error")
    assert "[U+001B]]52" in result.output


def test_json_output_escapes_every_control_character(hostile, run, db, store):
    run("import", hostile, "--db", db)
    for args in (["search", "engine", "--json"], ["stats", "--json"], ["imports", "--json"]):
        output = run(*args, "--db", db).output
        _assert_shown(output, " ".join(args))
        json.loads(output)
    hits = json.loads(run("search", "engine", "--json", "--db", db).output)
    assert any(OSC52 in hit["snippet"] or C1_CSI in hit["snippet"] for hit in hits)  # the data itself is intact


def test_json_text_round_trips():
    data = {"text": EVIL, "name": "ada" + BIDI}
    document = json_text(json.dumps(data, ensure_ascii=False))
    assert _raw_controls(document) == [] and json.loads(document) == data


def test_ask_shows_a_models_escape_sequences_visibly(hostile, tmp_path, run, db, store, scripted):
    run("import", hostile, "--db", db, "--thinker", "ada")
    profile = tmp_path / "ada.yaml"
    profile.write_text('identity:\n  slug: ada\n  name: "Ada \\e]0;pwned\\a"\nsimulator:\n  opening: You are Ada.\n')
    scripted.enqueue(f'Engines {CSI_CLEAR} matter "engine words" [1]. {OSC52}')
    result = run("ask", profile, "What about engines?", "-m", "scripted-test", "--db", db)
    assert result.exit_code == 0, result.output
    _assert_shown(result.output, "ask")


def test_profile_commands_show_escape_sequences_visibly(tmp_path, run, db, monkeypatch):
    profile = tmp_path / "ada.yaml"
    profile.write_text(  # YAML escapes (\e ESC, \a BEL, \x9b C1 CSI): a YAML file may not hold them raw
        'identity:\n  slug: ada\n  name: "Ada \\e]0;pwned\\a"\n  description: "Looms \u202e \\e[2J \\x9b2J"\n'
        'axioms:\n  - number: 1\n    title: "Small \\e]52;c;cHduZWQ=\\a"\n    statement: Small first.\n'
    )
    for args in (["profile", "check", profile], ["profile", "show", profile]):
        result = run(*args, "--db", db)
        assert result.exit_code == 0, result.output
        _assert_shown(result.output, " ".join(map(str, args)))
    piped = run("prompt", profile, "--db", db)  # data for another program: kept as it is when piped
    assert OSC_TITLE in piped.output
    from deepinsights.cli import common

    monkeypatch.setattr(common.sys, "stdout", type("Tty", (), {"isatty": staticmethod(lambda: True)})())
    shown: list[str] = []
    monkeypatch.setattr(common.click, "echo", lambda text, **kw: shown.append(text))
    common.echo_data(f"prompt {OSC_TITLE}")
    assert shown == ["prompt [U+001B]]0;pwned[U+0007]"]


def test_visible_names_every_control_by_code_point():
    assert visible(EVIL).count("[U+001B]") == 7
    assert "[U+009B]" in visible(C1_CSI) and visible(BIDI) == "[U+202E]"
    assert visible("tabs\tand\nnewlines stay") == "tabs\tand\nnewlines stay"
    assert visible("emoji 👨\u200d👩\u200d👧 and ünïcödé stay") == "emoji 👨\u200d👩\u200d👧 and ünïcödé stay"


PROFILE = """\
identity:
  slug: ada
  name: "Ada \u202eExample"
  description: "Looms \\e]52;c;cHduZWQ=\\a and \\e[2J"
generating_function:
  statement: "Rebuild it \u202esmall."
axioms:
  - number: 1
    title: "Small \\x9b2J first"
    statement: "Build the \u202e smallest thing."
"""  # YAML escapes: \e is ESC, \a BEL, \x9b the C1 CSI (raw C0/C1 are not allowed in YAML)


def _text_of(html: str) -> str:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    for node in tree.css("script"):
        node.decompose()
    return tree.body.text() if tree.body else ""


def test_profile_page_shows_profile_text_controls_as_search_hits_do(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "ada.yaml").write_text(PROFILE, encoding="utf-8")
    with serving(create_app(None, profiles)) as url:
        import urllib.request

        with urllib.request.urlopen(f"{url}/profile/ada") as response:
            html = response.read().decode()
    assert _raw_controls(html) == []
    assert "Ada [U+202E]Example" in _text_of(html) and "[U+001B]]52;c;" in _text_of(html)


def test_static_export_shows_profile_text_controls_too(tmp_path):
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "ada.yaml").write_text(PROFILE, encoding="utf-8")
    report = export_site(tmp_path / "site", None, slug="ada", profiles_dir=profiles)
    html = report.entry.read_text(encoding="utf-8")
    assert _raw_controls(html) == [] and "Ada [U+202E]Example" in _text_of(html)


def test_page_script_uses_the_same_control_class_as_the_server():
    source = (Path(deepinsights.web.__file__).parent / "static" / "site.js").read_text(encoding="utf-8")
    assert f"var CONTROLS = /[{CONTROL_CLASS}]/g;" in source


def test_profile_with_raw_control_characters_is_a_one_line_error_not_a_traceback(tmp_path, run, db):
    profile = tmp_path / "ada.yaml"
    profile.write_text(f'identity:\n  slug: ada\n  name: "Ada {OSC_TITLE}"\n', encoding="utf-8")
    result = run("profile", "check", profile, "--db", db)
    assert result.exit_code == 1 and "invalid YAML" in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1
    _assert_shown(result.output, "profile check")
