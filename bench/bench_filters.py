"""The page's searches with and without the documents' filters index (migration m013), in one run.

A filtered search walks its matches newest first and looks up each one's document to test
the filter. Migration m013 adds a covering index, ``documents (id, kind, published_at,
thinker)``, so that is one lookup instead of two (the primary key's index, then the table).
This runs ``bench_web.py``'s 20 page queries (common words, prefixes as typed, phrases, kind
and date filters) in process, one search at a time with the result cache off, against the
same workspace twice: as migrated, and as a copy without the index (the migration unrecorded,
as a workspace from before it opens read-only). The two alternate round by round and the CPU
time of each search is kept (the minimum is the least disturbed by other load). Every answer
must be byte-identical between the two.

``--import-tweets`` first imports a synthetic X archive into the workspace, as bench_web's
second phase does: its tweets are then the newest matches, which a kind or date filter must
walk past.

    python bench/bench_filters.py                         # 100k documents, then + 50k tweets
    python bench/bench_filters.py --docs 20000 --rounds 4

Writes bench/results/filters.json (or ``--out``).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.bench_web import QUERIES, workspace  # noqa: E402
from bench.common import CACHE, cached_tweets_js, fresh_db, table, write_result  # noqa: E402
from deepinsights.backends.sqlite.migrations import FILTERS_INDEX, FILTERS_MIGRATION, MIGRATIONS_TABLE  # noqa: E402
from deepinsights.web.app import _search_params  # noqa: E402
from deepinsights.web.corpus import Corpus  # noqa: E402

FILTERED = ("kind=", "since=", "until=")


def prepared(docs: int, tweets: int, cache: Path) -> tuple[Path, Path]:
    """The workspace (plus ``tweets`` imported) as migrated, and a copy as it was before m013."""
    indexed = fresh_db(cache / "filters" / f"indexed-{docs}-{tweets}.db")
    indexed.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(workspace(docs, cache=cache), indexed)
    if tweets:
        archive = cached_tweets_js(tweets)
        command = [sys.executable, "-m", "deepinsights", "import", str(archive), "--thinker", "imported"]
        subprocess.run([*command, "--db", str(indexed), "--json"], check=True, capture_output=True, cwd=HERE.parent)
    with sqlite3.connect(indexed) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = fresh_db(indexed.with_name(f"before-{docs}-{tweets}.db"))
    shutil.copyfile(indexed, before)
    with sqlite3.connect(before) as conn:
        conn.execute(f"DROP INDEX {FILTERS_INDEX}")
        conn.execute(f"DELETE FROM {MIGRATIONS_TABLE} WHERE name = ?", [FILTERS_MIGRATION])
    return indexed, before


def measure(paths: dict[str, Path], rounds: int, repeat: int) -> tuple[dict[str, dict[str, list[float]]], bool]:
    """CPU ms of each search, by workspace and query, alternating which goes first; and whether all answers agree."""
    params = [_search_params(_query_params(q)) for q in QUERIES]
    corpora = {name: Corpus(path, cache_size=0) for name, path in paths.items()}
    answers = {name: [corpus.computed(p) for p in params] for name, corpus in corpora.items()}  # also warms up
    times: dict[str, dict[str, list[float]]] = {name: {q: [] for q in QUERIES} for name in corpora}
    order = list(corpora)
    for _ in range(rounds):
        for name in order:
            for query, p in zip(QUERIES, params, strict=True):
                for _ in range(repeat):
                    start = time.process_time()
                    corpora[name].computed(p)
                    times[name][query].append((time.process_time() - start) * 1000)
        order.reverse()
    for corpus in corpora.values():
        corpus.close()
    first, second = answers.values()
    return times, first == second


def _query_params(query: str) -> Any:
    from starlette.datastructures import QueryParams

    return QueryParams(query)


def summary(times: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    """Per query and in total (all 20, the filtered ones): min and median ms, and before/indexed ratios."""
    rows: dict[str, Any] = {}
    for query in QUERIES:
        stats = {name: {"min": min(t[query]), "median": statistics.median(t[query])} for name, t in times.items()}
        rows[query] = {name: {k: round(v, 3) for k, v in s.items()} for name, s in stats.items()}
        rows[query]["ratio_min"] = round(stats["before"]["min"] / stats["indexed"]["min"], 3)
    totals: dict[str, Any] = {}
    for group, queries in (("all", QUERIES), ("filtered", [q for q in QUERIES if any(f in q for f in FILTERED)])):
        for stat in ("min", "median"):
            sums = {name: sum(rows[q][name][stat] for q in queries) for name in times}
            totals[f"{group}_{stat}_ms"] = {name: round(v, 2) for name, v in sums.items()}
            totals[f"{group}_{stat}_ratio"] = round(sums["before"] / sums["indexed"], 3)
    return {"queries": rows, "totals": totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--import-tweets", type=int, default=50_000, help="imported first (0: none)")
    parser.add_argument("--rounds", type=int, default=30, help="alternating rounds over the 20 queries")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="searches of each query per round (more: the repeats find the caches warm)",
    )
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument("--out", help="results folder (default bench/results)")
    args = parser.parse_args()

    results: dict[str, Any] = {}
    for tweets in sorted({0, args.import_tweets}):
        indexed, before = prepared(args.docs, tweets, Path(args.cache))
        times, identical = measure({"indexed": indexed, "before": before}, args.rounds, args.repeat)
        results[f"plus_{tweets}_tweets"] = {"identical_answers": identical, **summary(times)}
        totals = results[f"plus_{tweets}_tweets"]["totals"]
        print(f"{args.docs:,} documents + {tweets:,} imported tweets (identical answers: {identical})")
        print(
            table(
                [
                    ("queries", "before m013, ms (min)", "indexed, ms (min)", "ratio", "ratio of medians"),
                    *[
                        (
                            group,
                            f"{totals[f'{group}_min_ms']['before']:.1f}",
                            f"{totals[f'{group}_min_ms']['indexed']:.1f}",
                            f"×{totals[f'{group}_min_ratio']:.2f}",
                            f"×{totals[f'{group}_median_ratio']:.2f}",
                        )
                        for group in ("all", "filtered")
                    ],
                ]
            )
        )
    path = write_result(
        "filters",
        {
            "docs": args.docs,
            "import_tweets": args.import_tweets,
            "rounds": args.rounds,
            "repeat": args.repeat,
            "note": "CPU ms per search in process (cache off), summed over bench_web's 20 queries; "
            "ratio = before m013 / indexed (above 1: the index is faster)",
            **results,
        },
        out=Path(args.out) if args.out else None,
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
