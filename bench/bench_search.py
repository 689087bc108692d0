"""Search latency over a million synthetic tweet-sized passages: deep-insights vs naive FTS5.

    .venv/bin/python bench/bench_search.py                       # 1,000,000 passages (built once, cached)
    .venv/bin/python bench/bench_search.py --passages 100000     # quicker

The corpus: tweets of 4-45 words drawn from a Zipf distribution (see common.py), four
thinkers, three kinds, dates over 16 years, imported through ``Store.upsert_documents``
(so the build time is our import path). It is cached as bench/.cache/search-<N>.db.

The queries cover what makes FTS5 slow: the most common words alone and together, common
words next to rare ones, mid-frequency and rare words, phrases, prefixes (search as you
type) and filters. After one warm-up pass, each query runs ``--repeat`` times through
``search()`` (p50/p95 over all runs) and once or twice through the naive query: ``bm25()`` over every match, joined to
passages and documents, ``ORDER BY`` score, ``LIMIT`` 10, with snippets, and once through
the design this module replaced (``previous``: count up to 20,000 joined matches, rank the
20,000 most recent with bm25). Where our search
ranked every match with every word weighted (``capped`` false, nothing unweighted), its
top 10 is compared with the naive top 10 (equal scores in the same order).

Writes bench/results/search.json (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import CACHE, Timer, ZipfText, fresh_db, table, vocabulary, write_result  # noqa: E402

from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.models import (  # noqa: E402
    HIGHLIGHT_END,
    HIGHLIGHT_START,
    Document,
    ImportReport,
    SearchFilter,
)
from deepinsights.query import build_fts_query  # noqa: E402
from deepinsights.search import search  # noqa: E402

CORPUS_VERSION = 3  # bump when the synthetic corpus or the schema changes, so cached databases are rebuilt
LIMIT = 10


# -- the corpus ---------------------------------------------------------------------------------


def corpus(count: int) -> Any:
    text, rng = ZipfText(7), random.Random(8)
    start, span = datetime(2008, 1, 1, tzinfo=UTC), 16 * 365 * 86400
    for i in range(count):
        draw = rng.random()
        kind = "tweet" if draw < 0.7 else ("reply" if draw < 0.9 else "repost")
        yield Document(
            source="bench",
            source_id=str(i),
            kind=kind,
            text=text.tweet(),
            thinker=f"thinker{i % 4}",
            url=f"https://x.com/t/status/{i}",
            published_at=start + timedelta(seconds=rng.randrange(span)),
        )


def build(path: Path, count: int) -> dict[str, Any]:
    """Build (or reuse) the cached corpus database; return how long building took and its size."""
    marker = path.with_suffix(".built")
    if path.exists() and marker.exists():
        info = {"seconds": float(marker.read_text()), "cached": True}
    else:
        print(f"building {path} ({count:,} passages)…", file=sys.stderr)
        store = Store(fresh_db(path))
        report = ImportReport()
        with Timer() as timer:
            with store.transaction():
                report.import_id = store.begin_import(["synthetic"], None)
                store.upsert_documents(corpus(count), report)
                store.finish_import(report)
            store.close()
        marker.write_text(f"{timer.seconds:.1f}")
        info = {"seconds": round(timer.seconds, 1), "cached": False}
    info.update(passages=count, db_mib=round(path.stat().st_size / 2**20, 1))
    info["passages_per_s"] = round(count / info["seconds"])
    return info


# -- the queries --------------------------------------------------------------------------------


def queries() -> list[tuple[str, str, dict[str, Any]]]:
    """(category, query, search options): fixed, so every run measures the same thing."""
    v = vocabulary()
    mid = [v[r] for r in (120, 180, 260, 400, 700, 1000)]
    rare = [v[r] for r in (3000, 8000, 15000, 30000, 45000, 59000)]
    found: list[tuple[str, str, dict[str, Any]]] = []
    found += [("very common", w, {}) for w in ("the", "of", "and", "to", "a")]
    found += [("common pair", q, {}) for q in ("the of", "and to", "in is", "it you that")]
    found += [("mid", w, {}) for w in mid]
    found += [("rare", w, {}) for w in rare]
    found += [("common + rare", f"{c} {r}", {}) for c, r in zip(("the", "of", "to", "a"), rare, strict=False)]
    found += [("mid pair", f"{a} {b}", {}) for a, b in zip(mid, reversed(mid), strict=False)][:3]
    found += [("data", q, {}) for q in ("model", "neural network", "learning data", "software")]
    found += [("phrase", q, {}) for q in ('"of the"', '"in the"', f'"{mid[0]} {mid[1]}"')]
    found += [("prefix", q, {"prefix_last": True}) for q in ("lear", "netwo", "softw", "langu")]
    found += [
        ("filtered", "model", {"thinker": "thinker1"}),
        ("filtered", "the", {"kind": "reply"}),
        ("filtered", rare[0], {"since": "2015", "until": "2016-06"}),
        ("filtered", "the", {"thinker": "nobody"}),
        ("filtered", mid[2], {"kind": ["tweet", "repost"], "since": "2020"}),
    ]
    return found


# -- naive ---------------------------------------------------------------------------------------


def naive(store: Store, query: str, options: dict[str, Any]) -> list[tuple[int, float]]:
    """bm25 over every match, joined and filtered in SQL, top 10 with snippets: the obvious query."""
    fts = build_fts_query(query, prefix_last=options.get("prefix_last", False))
    where, params = _naive_filters(options)
    sql = (
        "SELECT passages_fts.rowid, bm25(passages_fts, 2.0, 1.0) AS score, d.id, d.title, d.url, d.published_at, "
        f"snippet(passages_fts, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24) "
        "FROM passages_fts JOIN passages p ON p.id = passages_fts.rowid JOIN documents d ON d.id = p.document_id "
        f"WHERE passages_fts MATCH ? {where} ORDER BY score LIMIT {LIMIT}"
    )
    return [(row[0], round(-row[1], 4) + 0.0) for row in store.conn.execute(sql, [fts, *params])]


def _naive_filters(options: dict[str, Any]) -> tuple[str, list[Any]]:
    where, params = "", []
    kinds = options.get("kind")
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds:
        where += f" AND d.kind IN ({', '.join('?' * len(kinds))})"
        params += kinds
    if options.get("thinker"):
        where += " AND d.thinker = ?"
        params.append(options["thinker"])
    if options.get("since"):
        where += " AND d.published_at >= ?"
        params.append(options["since"])
    if options.get("until"):
        where += " AND d.published_at < ?"
        params.append(options["until"] + "~")
    return where, params


def previous(store: Store, query: str, options: dict[str, Any], cap: int = 20_000) -> list[tuple[int, float]]:
    """The design this replaced (commit 6cabf59): count matches (joined) up to ``cap``; when there
    are more, rank the ``cap`` most recently imported matches with bm25; snippets for the top 10."""
    fts = build_fts_query(query, prefix_last=options.get("prefix_last", False))
    where, params = _naive_filters(options)
    joined = (
        "FROM passages_fts f JOIN passages p ON p.id = f.rowid JOIN documents d ON d.id = p.document_id "
        f"WHERE passages_fts MATCH ? {where}"
    )
    count_sql = f"SELECT count(*) FROM (SELECT 1 {joined} LIMIT ?)"
    matched = store.conn.execute(count_sql, [fts, *params, cap + 1]).fetchone()[0]
    match = f"SELECT f.rowid AS pid, bm25(passages_fts, 2.0, 1.0) AS score {joined}"
    if matched > cap:
        match += f" ORDER BY f.rowid DESC LIMIT {cap}"
    sql = (
        f"WITH m AS ({match}), top AS (SELECT pid, score FROM m ORDER BY score LIMIT {LIMIT}) "
        "SELECT top.pid, top.score, d.id, d.title, d.url, d.published_at, p.text, "
        f"snippet(passages_fts, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24) "
        "FROM top JOIN passages p ON p.id = top.pid JOIN documents d ON d.id = p.document_id "
        "JOIN passages_fts ON passages_fts.rowid = top.pid AND passages_fts MATCH ? ORDER BY top.score"
    )
    return [(row[0], round(-row[1], 4) + 0.0) for row in store.conn.execute(sql, [fts, *params, fts])]


def same_top(ours: list[tuple[int, float]], reference: list[tuple[int, float]]) -> bool:
    """Same scores in the same order, and the same ids except among ties at the cut-off score."""
    if [s for _, s in ours] != [s for _, s in reference]:
        return False
    last = reference[-1][1] if reference else None
    return {i for i, s in ours if s != last} == {i for i, s in reference if s != last}


# -- measuring -----------------------------------------------------------------------------------


def filter_of(options: dict[str, Any]) -> SearchFilter:
    """A query's filter options as the one value ``search`` takes."""
    kind = options.get("kind")
    kinds = (kind,) if isinstance(kind, str) else tuple(kind or ())
    return SearchFilter(kinds, options.get("thinker"), options.get("since"), options.get("until"), limit=LIMIT)


def measure(store: Store, repeat: int, naive_repeat: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    plan = queries()
    timings: list[list[float]] = [[] for _ in plan]
    for _, query, options in plan:  # warm-up, not measured: a server's page cache is warm
        search(store, query, filter_of(options), prefix_last=bool(options.get("prefix_last")))
    for _ in range(repeat):  # subtle: rounds interleave queries, so a burst of load hits them all alike
        for i, (_, query, options) in enumerate(plan):
            with Timer() as timer:
                search(store, query, filter_of(options), prefix_last=bool(options.get("prefix_last")))
            timings[i].append(timer.seconds * 1000)
    for (category, query, options), runs in zip(plan, timings, strict=True):
        results = search(store, query, filter_of(options), prefix_last=bool(options.get("prefix_last")))
        ours = [(h.passage_id, h.score) for h in results.hits]
        naive_ms, reference = [], []
        for _ in range(naive_repeat):
            with Timer() as timer:
                reference = naive(store, query, options)
            naive_ms.append(timer.seconds * 1000)
        with Timer() as timer:
            previous(store, query, options)
        previous_ms = timer.seconds * 1000
        exact = not results.capped and not results.unweighted
        rows.append(
            {
                "category": category,
                "query": query,
                "options": options,
                "ours_ms": [round(t, 2) for t in runs],
                "naive_ms": round(min(naive_ms), 1),
                "previous_ms": round(previous_ms, 1),
                "matched": results.matched,
                "capped": results.capped,
                "unweighted": results.unweighted,
                "exact_mode": exact,
                "identical_to_naive": same_top(ours, reference) if exact else None,
                "top10_overlap_with_naive": len({i for i, _ in ours} & {i for i, _ in reference}),
            }
        )
    return rows


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))], 2)


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ours = [t for r in rows for t in r["ours_ms"]]
    naive_all = [r["naive_ms"] for r in rows]
    previous_all = [r["previous_ms"] for r in rows]
    exact = [r for r in rows if r["exact_mode"]]
    summary: dict[str, Any] = {
        "queries": len(rows),
        "ours_p50_ms": percentile(ours, 50),
        "ours_p95_ms": percentile(ours, 95),
        "ours_max_ms": round(max(ours), 2),
        "naive_p50_ms": percentile(naive_all, 50),
        "naive_p95_ms": percentile(naive_all, 95),
        "naive_max_ms": round(max(naive_all), 1),
        "previous_p50_ms": percentile(previous_all, 50),
        "previous_p95_ms": percentile(previous_all, 95),
        "exact_queries": len(exact),
        "exact_identical_to_naive": sum(1 for r in exact if r["identical_to_naive"]),
        "capped_queries": sum(1 for r in rows if r["capped"]),
        "with_unweighted_words": sum(1 for r in rows if r["unweighted"]),
    }
    summary["p95_speedup"] = round(summary["naive_p95_ms"] / max(summary["ours_p95_ms"], 0.01), 1)
    unfiltered = [t for r in rows if r["category"] != "filtered" for t in r["ours_ms"]]
    filtered = [t for r in rows if r["category"] == "filtered" for t in r["ours_ms"]]
    summary["ours_unfiltered_p95_ms"] = percentile(unfiltered, 95) if unfiltered else None
    summary["ours_filtered_p95_ms"] = percentile(filtered, 95) if filtered else None
    per_category: dict[str, dict[str, float]] = {}
    for category in dict.fromkeys(r["category"] for r in rows):
        runs = [t for r in rows if r["category"] == category for t in r["ours_ms"]]
        naive_runs = [r["naive_ms"] for r in rows if r["category"] == category]
        previous_runs = [r["previous_ms"] for r in rows if r["category"] == category]
        per_category[category] = {
            "ours_p95_ms": percentile(runs, 95),
            "previous_median_ms": round(statistics.median(previous_runs), 1),
            "naive_median_ms": round(statistics.median(naive_runs), 1),
        }
    summary["per_category"] = per_category
    return summary


def report(data: dict[str, Any]) -> str:
    s, b = data["summary"], data["build"]
    lines = [
        f"{b['passages']:,} passages, DB {b['db_mib']} MiB, built in {b['seconds']} s "
        f"({b['passages_per_s']:,}/s{', cached' if b['cached'] else ''})",
        table(
            [("category", "ours p95 ms", "previous median ms", "naive median ms")]
            + [
                (c, f"{v['ours_p95_ms']:.1f}", f"{v['previous_median_ms']:.1f}", f"{v['naive_median_ms']:.1f}")
                for c, v in s["per_category"].items()
            ]
        ),
        f"all {s['queries']} queries: ours p50 {s['ours_p50_ms']} ms, p95 {s['ours_p95_ms']} ms, "
        f"max {s['ours_max_ms']} ms"
        f" | naive p50 {s['naive_p50_ms']} ms, p95 {s['naive_p95_ms']} ms, max {s['naive_max_ms']} ms"
        f" | p95 speed-up x{s['p95_speedup']}"
        f" | previous design p50 {s['previous_p50_ms']} ms, p95 {s['previous_p95_ms']} ms",
        f"ours p95 without filters {s['ours_unfiltered_p95_ms']} ms, with filters {s['ours_filtered_p95_ms']} ms",
        f"exact mode: {s['exact_queries']} queries, identical to naive: {s['exact_identical_to_naive']}; "
        f"capped: {s['capped_queries']}; with unweighted words: {s['with_unweighted_words']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query through search()")
    parser.add_argument("--naive-repeat", type=int, default=1, help="runs of each naive query (best is kept)")
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument("--out", help="results folder (default bench/results)")
    args = parser.parse_args()
    path = Path(args.cache) / f"search-{args.passages}-v{CORPUS_VERSION}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    build_info = build(path, args.passages)
    store = Store(path, read_only=True)
    load = _load()
    started = time.time()
    rows = measure(store, args.repeat, args.naive_repeat)
    data = {
        "build": build_info,
        "summary": summarise(rows),
        "queries": rows,
        "load_average_before_after": [load, _load()],
        "wall_seconds": round(time.time() - started, 1),
    }
    out = write_result("search", data, out=Path(args.out) if args.out else None)
    print(report(data), f"\nwritten to {out}", sep="\n")


def _load() -> float:
    import os

    return round(os.getloadavg()[0], 2)


if __name__ == "__main__":
    main()
