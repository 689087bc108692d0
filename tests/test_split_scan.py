"""A big tweet file's first pass runs in two halves at once; a wrong guess at the split must never show.

``DEEPINSIGHTS_PARSE_IN_CHILD_BYTES=0`` makes every file big enough to split; ``-1`` never splits.
The middle of each file here is placed on purpose: at an item boundary, inside a string that
contains what looks like one, inside a nested list of objects, and before invalid JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers.base import ImportRun
from deepinsights.importers.split_scan import scan_in_halves
from deepinsights.importers.x_archive import IMPORTER, _observe


def tweet(tid: int, text: str = "hello", **extra) -> dict:
    item = {"id_str": str(tid), "full_text": text, "created_at": "Thu Nov 03 08:50:26 +0000 2022"}
    return {"tweet": {**item, **extra}}


def thread(start: int, length: int) -> list[dict]:
    """A self-thread, newest first as archives list it: each tweet replies to the one before."""
    own = {"in_reply_to_user_id_str": "42", "in_reply_to_screen_name": "me"}
    items = [
        tweet(start + n, f"part {n}", in_reply_to_status_id_str=str(start + n - 1), **own) for n in range(1, length)
    ]
    return [*reversed(items), tweet(start, "thread head")]


def write(path: Path, items: list[dict]) -> Path:
    path.write_text("window.YTD.tweets.part0 = " + json.dumps(items, indent=2), encoding="utf-8")
    return path


def documents(path: Path, monkeypatch: pytest.MonkeyPatch, setting: str) -> tuple[list[tuple], list[tuple]]:
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", setting)
    options = ImportRun()
    docs = [(d.id, d.kind, d.thinker, d.url, d.text, d.meta) for d in IMPORTER.read(path, options)]
    return docs, [(s.path, s.reason) for s in options.skipped]


def no_child_left() -> bool:
    """No forked copy of this process (same command line) is still running or unreaped."""
    me = Path("/proc/self/cmdline").read_bytes()
    children = " ".join(p.read_text() for p in Path("/proc/self/task").glob("*/children")).split()
    return not [pid for pid in children if Path(f"/proc/{pid}/cmdline").read_bytes() in (me, b"")]


def around_the_middle(before: list[dict], middle: dict, after: list[dict]) -> list[dict]:
    return [*before, middle, *after]


# -- where the middle falls --------------------------------------------------------------


def test_a_split_at_an_item_boundary_gives_the_same_archive(tmp_path, monkeypatch):
    items = [*thread(1000, 40), *(tweet(n, f"tweet {n}") for n in range(2000, 2100)), *thread(3000, 40)]
    path = write(tmp_path / "tweets.js", items)
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "0")
    halves = scan_in_halves(path, str(path), _observe)
    assert halves is not None and halves[0].items + halves[1].items == len(items)
    assert no_child_left()
    split, whole = documents(path, monkeypatch, "0"), documents(path, monkeypatch, "-1")
    assert split == whole
    threaded = [meta for _, kind, _, _, _, meta in split[0] if "thread_root" in meta]
    assert len(threaded) == 80 and {m["thread_root"] for m in threaded} == {"1000", "3000"}


@pytest.mark.parametrize(
    "middle",
    [
        tweet(5000, ', {"tweet": {"id_str": "6"}}, ' * 3000),  # looks like a boundary, inside a string
        tweet(
            5000, "links", entities={"urls": [{"url": f"https://t.co/{n}", "expanded_url": "x"} for n in range(3000)]}
        ),
    ],
    ids=["inside-a-string", "inside-a-nested-list"],
)
def test_a_split_inside_an_item_is_detected_and_the_file_read_whole(tmp_path, monkeypatch, middle):
    items = around_the_middle(thread(1000, 5), middle, thread(3000, 5))
    path = write(tmp_path / "tweets.js", items)
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "0")
    assert scan_in_halves(path, str(path), _observe) is None
    assert no_child_left()
    split, whole = documents(path, monkeypatch, "0"), documents(path, monkeypatch, "-1")
    assert split == whole and len(split[0]) == 11


def test_invalid_json_in_the_second_half_is_reported_as_without_a_split(tmp_path, monkeypatch):
    text = "window.YTD.tweets.part0 = " + json.dumps([tweet(n) for n in range(200)], indent=2)
    cut = text.rindex('"id_str"')
    path = tmp_path / "tweets.js"
    path.write_text(text[:cut] + '"id_str": nonsense' + text[cut + 8 :], encoding="utf-8")
    messages = []
    for setting in ("0", "-1"):
        monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", setting)
        with pytest.raises(CorruptArchiveError) as error:
            list(IMPORTER.read(path, ImportRun()))
        messages.append(str(error.value))
    assert messages[0] == messages[1] and "invalid" in messages[0]
    assert no_child_left()


def test_a_file_with_no_boundary_past_the_middle_is_read_whole(tmp_path, monkeypatch):
    path = write(tmp_path / "tweets.js", [tweet(1, "x" * 100_000)])
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", "0")
    assert scan_in_halves(path, str(path), _observe) is None
    assert len(documents(path, monkeypatch, "0")[0]) == 1


def test_small_files_are_never_split(tmp_path, monkeypatch):
    path = write(tmp_path / "tweets.js", [tweet(n) for n in range(100)])
    monkeypatch.setenv("DEEPINSIGHTS_PARSE_IN_CHILD_BYTES", str(10**9))
    assert scan_in_halves(path, str(path), _observe) is None
