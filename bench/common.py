"""What every benchmark shares: synthetic Zipf text, a synthetic X archive, machine info, results.

The text is synthetic on purpose (no corpus text may enter the repository): words drawn
from a Zipf distribution (s = 1) over a fixed vocabulary whose first ranks are the most
common English words, so "the", "of" and "and" are as frequent as in real prose and a
query for them is as hard. Everything is seeded: two runs build byte-identical files.

This module measures nothing itself and never touches the package's database code.
"""

from __future__ import annotations

import itertools
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CACHE = BENCH / ".cache"
RESULTS = BENCH / "results"

_COMMON_WORDS = (
    "the of and to a in is it you that he was for on are with as i his they be at one have this from or had by "
    "not word but what some we can out other were all there when up use your how said an each she which do their "
    "time if will way about many then them write would like so these her long make thing see him two has look more "
    "day could go come did number sound no most people my over know water than call first who may down side been "
    "now find any new work part take get place made live where after back little only round man year came show "
    "every good me give our under name very through just form sentence great think say help low line differ turn "
    "cause much mean before move right boy old too same tell does set three want air well also play small end put "
    "home read hand port large spell add even land here must big high such follow act why ask men change went "
    "light kind off need house picture try us again animal point mother world near build self earth father model "
    "data learning network neural training code language software"
)
COMMON = _COMMON_WORDS.split()
_SYLLABLES = "ka lo mi nu pe ra si tu ve zo ba de fi go hu ja ke li mo ny pa qu re so ti"
SYLLABLES = _SYLLABLES.split()
VOCAB_SIZE = 60_000


def vocabulary() -> list[str]:
    """The fixed vocabulary, most frequent first: common English words, then pseudo-words."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    for length in itertools.count(2):
        for parts in itertools.product(SYLLABLES, repeat=length):
            word = "".join(parts)
            if word not in seen:
                words.append(word)
                seen.add(word)
            if len(words) >= VOCAB_SIZE:
                return words
    raise AssertionError("unreachable")


class ZipfText:
    """Seeded generator of tweet-sized texts with Zipf-distributed words."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.vocab = vocabulary()
        self.cum = list(itertools.accumulate(1.0 / rank for rank in range(1, len(self.vocab) + 1)))

    def words(self, n: int) -> list[str]:
        return self.rng.choices(self.vocab, cum_weights=self.cum, k=n)

    def tweet(self) -> str:
        """4 to 45 words (about 20 on average, 120 characters): the size of a typical tweet."""
        return " ".join(self.words(self.rng.randint(4, 45)))


def tweet_item(i: int, text: str, when: datetime, rng: random.Random) -> dict[str, Any]:
    """One ``tweets.js`` item in the shape X archives have used since 2019."""
    tid = str(1_000_000_000_000_000_000 + i)
    urls = []
    if rng.random() < 0.2:
        short = f"https://t.co/{i:010d}"
        text = f"{text} {short}"
        urls.append({"url": short, "expanded_url": f"https://example.org/post/{i}", "display_url": f"example.org/{i}"})
    tweet: dict[str, Any] = {
        "retweeted": False,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": urls},
        "display_text_range": ["0", str(len(text))],
        "favorite_count": str(rng.randint(0, 500)),
        "id_str": tid,
        "truncated": False,
        "retweet_count": str(rng.randint(0, 50)),
        "id": tid,
        "created_at": when.strftime("%a %b %d %H:%M:%S +0000 %Y"),
        "favorited": False,
        "full_text": text,
        "lang": "en",
    }
    return {"tweet": tweet}


def write_tweets_js(path: Path, count: int, *, seed: int = 1) -> Path:
    """Write a ``window.YTD.tweets.part0 = [...]`` file of ``count`` tweets (streamed, newest first)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text, rng = ZipfText(seed), random.Random(seed + 1)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    partial = path.with_suffix(".partial")
    with partial.open("w", encoding="utf-8") as out:
        out.write("window.YTD.tweets.part0 = [ ")
        for i in range(count):
            item = tweet_item(i, text.tweet(), start - timedelta(minutes=7 * i), rng)
            out.write((", " if i else "") + json.dumps(item, indent=2, ensure_ascii=False))
        out.write(" ]\n")
    partial.replace(path)
    return path


def cached_tweets_js(count: int) -> Path:
    """The synthetic archive of ``count`` tweets in bench/.cache, written on first use."""
    path = CACHE / "import" / f"tweets-{count}.js"
    return path if path.exists() else write_tweets_js(path, count)


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "platform": platform.platform(),
        "processor": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "git": _git_head(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def _git_head() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    except OSError:
        return ""
    return out.stdout.strip()


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def write_result(name: str, data: dict[str, Any], *, out: Path | None = None) -> Path:
    """Write ``data`` (plus machine info and time) to bench/results/<name>.json and return the path."""
    folder = out or RESULTS
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    payload = {"benchmark": name, "when": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    payload.update(data)
    path.write_text(json.dumps(payload, indent=2) + "\n")
    return path


def fresh_db(path: Path) -> Path:
    """Remove a database file and its WAL companions."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


class Timer:
    """``with Timer() as t: ...`` then ``t.seconds``."""

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start


def table(rows: list[tuple[str, ...]]) -> str:
    """A plain text table (first row is the header)."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def python() -> str:
    return sys.executable


def iter_chunks(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(items, size)):
        yield chunk
