"""What opening a workspace costs now that it is checked first (issue 19 items 5-7), beside bare SQLite.

    .venv/bin/python bench/bench_open.py                    # 200,000 passages (bench_search's corpus, cached)
    .venv/bin/python bench/bench_open.py --passages 20000   # quicker

Each way of opening is timed best of ``--repeat`` on the same file, page cache warm:

* ``bare``: ``sqlite3.connect`` and one read of ``sqlite_master`` (the baseline);
* ``read_only``: ``Store(path, read_only=True)``: the immutable look that refuses another
  application's file, then a ``query_only`` connection (what search, stats and serve open);
* ``writable``: ``Store(path)``: also ``PRAGMA quick_check`` and the schema compared with what
  the migrations create in memory (what import, index and distill open);
* ``writable_trusted``: the same with ``trust_schema=True`` (quick_check, no schema comparison);
* ``quick_check``: ``PRAGMA quick_check(1)`` alone on a bare connection.

Writes bench/results/open.json (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_search import CORPUS_VERSION, build  # noqa: E402
from common import CACHE, Timer, table, write_result  # noqa: E402

from deepinsights.backends.sqlite import Store  # noqa: E402


def bare(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    conn.close()


def quick_check(path: Path) -> None:
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA quick_check(1)").fetchone()[0] == "ok"
    conn.close()


WAYS: dict[str, Callable[[Path], None]] = {
    "bare": bare,
    "read_only": lambda path: Store(path, read_only=True).close(),
    "writable": lambda path: Store(path).close(),
    "writable_trusted": lambda path: Store(path, trust_schema=True).close(),
    "quick_check": quick_check,
}


def measure(path: Path, repeat: int) -> dict[str, float]:
    """Best seconds of each way of opening, after one unmeasured open to warm the page cache."""
    bare(path)
    quick_check(path)
    best: dict[str, float] = {}
    for name, way in WAYS.items():
        for _ in range(repeat):
            with Timer() as timer:
                way(path)
            best[name] = min(best.get(name, timer.seconds), timer.seconds)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument("--out", help="results folder (default bench/results)")
    args = parser.parse_args()
    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"search-{args.passages}-v{CORPUS_VERSION}.db"
    built = build(path, args.passages)
    seconds = measure(path, args.repeat)
    result: dict[str, Any] = {
        "workspace": {"passages": args.passages, "mib": built["db_mib"]},
        "seconds": {k: round(v, 4) for k, v in seconds.items()},
        "ratios": {f"{k}/bare": round(v / seconds["bare"], 1) for k, v in seconds.items() if k != "bare"},
        "quick_check_mib_per_s": round(built["db_mib"] / seconds["quick_check"]) if seconds["quick_check"] else None,
    }
    written = write_result("open", result, out=Path(args.out) if args.out else None)
    rows = [("way", "seconds")] + [(k, f"{v:.4f}") for k, v in seconds.items()]
    print(table(rows))
    print(f"{built['db_mib']} MiB workspace; written to {written}")


if __name__ == "__main__":
    main()
