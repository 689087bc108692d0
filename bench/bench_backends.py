"""SQLite and PostgreSQL side by side: import, size, search, verify and the web API on one corpus.

    .venv/bin/python bench/bench_backends.py                                   # 1,000,000 passages, both
    .venv/bin/python bench/bench_backends.py --passages 20000                  # quicker
    .venv/bin/python bench/bench_backends.py --passages 10000000 --backends postgresql --skip web

It starts its own throwaway PostgreSQL cluster (initdb + pg_ctl in a temp folder, Unix
socket only, as the ``postgres`` OS user when run as root, like tests/pg.py) with the
benchmark settings in ``PG_SETTINGS`` (durable: fsync, full_page_writes and
synchronous_commit stay on), and builds the synthetic corpus of bench_search.py (tweets of
Zipf words, four thinkers, three kinds, 16 years) into a fresh SQLite workspace and a fresh
PostgreSQL database, each through the library's ``upsert_documents`` in one import
transaction. The generator's own time is measured apart (``generate_seconds``) so the
store's share can be told from it. Then, per backend:

* ``import``: seconds and passages/s (SQLite: until the store is closed, WAL checkpointed;
  PostgreSQL: until COMMIT, then ``VACUUM (ANALYZE)`` timed apart: autovacuum would do it
  within a minute, the planner and the GIN pending list need it);
* ``size``: the SQLite file; ``pg_database_size`` and each table with its indexes;
* ``search``: bench_search.py's 44 queries through ``search.search`` (which dispatches per
  backend), one warm-up pass, then ``--repeat`` interleaved rounds; p50/p95/max, per
  category, and per query the matches and the top-10 overlap between the backends;
* ``verify``: bench_verify.py's speed test (``--quotes`` quotes, half verbatim slices, a
  quarter with a word changed, a quarter invented) through ``verify.Locator``;
* ``web``: bench_web.py's wrk load (the same 20 rotating queries) against uvicorn serving
  the workspace (``DEEPINSIGHTS_DB`` = the file or the URL), with the app's result cache and
  without, idle and while ``insights import`` writes a synthetic X archive into it.

Load average is recorded around each phase: on a shared 2-core machine the numbers are noisy.
Writes bench/results/backends.json at 1M passages, backends-<size>.json otherwise (or ``--name``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import bench_search  # noqa: E402
import bench_verify  # noqa: E402
from common import CACHE, Timer, fresh_db, table, write_result  # noqa: E402

from deepinsights.backends.postgresql.cluster import Cluster, ClusterError, find_bin_dir  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.models import ImportReport  # noqa: E402
from deepinsights.search import search  # noqa: E402
from deepinsights.verify import Locator  # noqa: E402

BACKENDS = ("sqlite", "postgresql")
PHASES = ("import", "search", "verify", "web")
DATABASE = "bench"
PG_SETTINGS = {
    "listen_addresses": "''",
    "max_connections": "50",
    "shared_buffers": "'2GB'",
    "effective_cache_size": "'8GB'",
    "work_mem": "'32MB'",
    "maintenance_work_mem": "'1GB'",
    "max_wal_size": "'16GB'",
    "checkpoint_timeout": "'30min'",
    "random_page_cost": "1.1",
    "jit": "off",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}
SHOWN = (*PG_SETTINGS, "fsync", "synchronous_commit", "full_page_writes", "wal_level", "autovacuum", "server_version")


def load() -> float:
    return round(os.getloadavg()[0], 2)


# -- the throwaway cluster --------------------------------------------------------------------------


def pg_bin() -> Path:
    """The folder with initdb and pg_ctl ($DEEPINSIGHTS_PG_BIN, $PATH, then Debian's), or exit saying so."""
    found = find_bin_dir()
    if found is None:
        raise SystemExit(
            "needs PostgreSQL server binaries (initdb, pg_ctl): install postgresql or set DEEPINSIGHTS_PG_BIN"
        )
    return found


@contextmanager
def cluster(settings: dict[str, str], keep: bool) -> Iterator[Cluster]:
    try:
        running = Cluster.create(pg_bin(), settings, prefix="di-bench-pg-")
    except ClusterError as ex:
        raise SystemExit(str(ex)) from None
    try:
        running.admin(f"CREATE DATABASE \"{DATABASE}\" TEMPLATE template0 ENCODING 'UTF8'")
        yield running
    finally:
        if keep:
            print(
                f"cluster kept running: {running.url(DATABASE)} (stop: pg_ctl -D {running.data} stop)", file=sys.stderr
            )
        else:
            running.destroy()


def pg_settings(store: Any) -> dict[str, str]:
    """The settings the server actually runs with (``SHOW``), fsync and friends included."""
    return {name: str(store.rows(f"SHOW {name}")[0][name]) for name in SHOWN if name != "listen_addresses"}


# -- import and size ---------------------------------------------------------------------------------


def generate_seconds(count: int) -> float:
    """How long the corpus generator alone takes (timed on up to 1M documents, scaled linearly)."""
    sample = min(count, 1_000_000)
    with Timer() as timer:
        for _ in bench_search.corpus(sample):
            pass
    return round(timer.seconds * count / sample, 1)


def import_corpus(store: Any, count: int) -> ImportReport:
    """The bench_search corpus into ``store`` as one import, through the library."""
    report = ImportReport()
    with store.transaction():
        report.import_id = store.begin_import(["synthetic"], None)
        store.upsert_documents(bench_search.corpus(count), report)
        store.finish_import(report)
    return report


def build_sqlite(path: Path, count: int) -> dict[str, Any]:
    before = load()
    store = Store(fresh_db(path))
    with Timer() as timer:
        report = import_corpus(store, count)
        store.close()  # subtle: closing checkpoints the WAL into the file; part of the import
    return {
        "seconds": round(timer.seconds, 1),
        "passages_per_s": round(count / timer.seconds),
        "added": report.added,
        "load_average_before_after": [before, load()],
    }


def build_pg(url: str, count: int) -> dict[str, Any]:
    from deepinsights.backends.postgresql.store import PgStore

    before = load()
    store = PgStore(url)
    try:
        with Timer() as timer:
            report = import_corpus(store, count)
        with Timer() as vacuum:
            store.execute("VACUUM (ANALYZE)")
    finally:
        store.close()
    return {
        "seconds": round(timer.seconds, 1),
        "passages_per_s": round(count / timer.seconds),
        "vacuum_analyze_seconds": round(vacuum.seconds, 1),
        "added": report.added,
        "load_average_before_after": [before, load()],
    }


def size_sqlite(path: Path) -> dict[str, Any]:
    return {
        "total_mib": _mib(sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()))
    }


def size_pg(store: Any) -> dict[str, Any]:
    """The database, and each table: its heap (with TOAST) and each of its indexes, in MiB."""
    total = store.rows("SELECT pg_database_size(current_database()) AS n")[0]["n"]
    tables = store.rows(
        "SELECT c.relname AS name, pg_table_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes "
        "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname = current_schema() ORDER BY pg_total_relation_size(c.oid) DESC"
    )
    indexes = store.rows(
        "SELECT indexrelid::regclass::text AS name, pg_relation_size(indexrelid) AS size FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = current_schema() ORDER BY 2 DESC"
    )
    return {
        "total_mib": _mib(total),
        "tables": {t["name"]: {"heap_mib": _mib(t["heap"]), "indexes_mib": _mib(t["indexes"])} for t in tables},
        "indexes_mib": {i["name"]: _mib(i["size"]) for i in indexes},
    }


def _mib(size: int) -> float:
    return round(size / 2**20, 1)


# -- search and verify -------------------------------------------------------------------------------


def measure_search(store: Any, repeat: int) -> dict[str, Any]:
    """bench_search's queries: warm-up, then ``repeat`` interleaved rounds; per-query ms, matches, top 10."""
    plan = bench_search.queries()
    before = load()
    for _, query, options in plan:
        search(store, query, bench_search.filter_of(options), prefix_last=bool(options.get("prefix_last")))
    timings: list[list[float]] = [[] for _ in plan]
    for _ in range(repeat):
        for i, (_, query, options) in enumerate(plan):
            with Timer() as timer:
                search(store, query, bench_search.filter_of(options), prefix_last=bool(options.get("prefix_last")))
            timings[i].append(round(timer.seconds * 1000, 2))
    rows = []
    for (category, query, options), runs in zip(plan, timings, strict=True):
        found = search(store, query, bench_search.filter_of(options), prefix_last=bool(options.get("prefix_last")))
        top = [h.passage_id for h in found.hits]
        rows.append({"category": category, "query": query, "ms": runs, "matched": found.matched, "top": top})
    return {"summary": _search_summary(rows), "queries": rows, "load_average_before_after": [before, load()]}


def _search_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    every = [t for r in rows for t in r["ms"]]
    per_category = {}
    for category in dict.fromkeys(r["category"] for r in rows):
        runs = [t for r in rows if r["category"] == category for t in r["ms"]]
        per_category[category] = {"p50_ms": _pct(runs, 50), "p95_ms": _pct(runs, 95)}
    return {
        "queries": len(rows),
        "p50_ms": _pct(every, 50),
        "p95_ms": _pct(every, 95),
        "max_ms": round(max(every), 2),
        "per_category": per_category,
    }


def _pct(values: list[float], p: float) -> float:
    return bench_search.percentile(values, p)


def measure_verify(store: Any, quotes: int) -> dict[str, Any]:
    """bench_verify's speed test on this corpus: ``quotes`` quotes through one ``Locator``."""
    sample = bench_verify.sample_quotes(store, quotes)
    locator, statuses, times = Locator(store), Counter[str](), list[float]()
    before = load()
    with Timer() as total:
        for kind, quote in sample:
            with Timer() as one:
                status = locator.locate(quote).status
            statuses[f"{kind}:{status}"] += 1
            times.append(one.seconds * 1000)
    times.sort()
    return {
        "quotes": quotes,
        "seconds": round(total.seconds, 2),
        "quotes_per_s": round(quotes / total.seconds, 1),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
        "max_ms": round(times[-1], 2),
        "statuses": dict(sorted(statuses.items())),
        "load_average_before_after": [before, load()],
    }


# -- the web API ---------------------------------------------------------------------------------------


def measure_web(db: str, args: argparse.Namespace) -> dict[str, Any]:
    """bench_web's wrk load against the workspace ``db``, per app mode: idle, then during an import."""
    import bench_web

    script = Path(args.cache) / "rotate.lua"
    script.write_text(bench_web.LUA % {"paths": ", ".join(f'"/api/search?{q}"' for q in bench_web.QUERIES)})
    results = {}
    for mode in args.web_modes.split(","):
        port = bench_web.free_port()
        server = bench_web.start_server(db, args.workers, port, bench_web.FACTORIES[mode])  # type: ignore[arg-type]
        try:
            bench_web.warm_up(port)
            idle = bench_web.run_wrk(port, args.web_seconds, args.connections, 2, script)
            busy = _during_import(bench_web, db, port, args, script)
        finally:
            server.terminate()
            server.wait(timeout=30)
        results[mode] = {"idle": idle, "during_import": busy}
        print(f"  web {mode:8} idle: {_web_line(idle)}\n  web {mode:8} import: {_web_line(busy)}", file=sys.stderr)
    return results


def _during_import(bench_web: Any, db: str, port: int, args: argparse.Namespace, script: Path) -> dict[str, Any]:
    writer = bench_web.importing(db, args.import_tweets)
    time.sleep(0.5)
    busy: dict[str, Any] = bench_web.run_wrk(port, args.web_seconds, args.connections, 2, script)
    busy["import_still_running_at_end"] = writer.poll() is None
    writer.wait(timeout=1800)
    busy["import_exit_code"] = writer.returncode
    if writer.returncode != 0:
        busy["import_stderr"] = writer.stderr.read().decode(errors="replace")[-2000:]
    return busy


def _web_line(r: dict[str, Any]) -> str:
    lat = r["latency_ms"]
    return (
        f"{r['requests_per_s']:,.0f} req/s, p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, {r['error_total']} errors"
    )


# -- one backend, then both --------------------------------------------------------------------------


def run_sqlite(args: argparse.Namespace) -> dict[str, Any]:
    path = Path(args.cache) / f"sqlite-{args.passages}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    print(f"sqlite: importing {args.passages:,} passages…", file=sys.stderr)
    result: dict[str, Any] = {"import": build_sqlite(path, args.passages), "size": size_sqlite(path)}
    store = Store(path, read_only=True)
    try:
        result.update(_read_phases(store, args))
    finally:
        store.close()
    if "web" not in args.skip:
        result["web"] = measure_web(str(path), args)
    fresh_db(path)
    return result


def run_pg(args: argparse.Namespace) -> dict[str, Any]:
    from deepinsights.backends.postgresql.store import PgStore

    settings = {**PG_SETTINGS, **dict(s.split("=", 1) for s in args.pg_set)}
    with cluster(settings, args.keep_cluster) as running:
        print(f"postgresql: importing {args.passages:,} passages…", file=sys.stderr)
        result: dict[str, Any] = {"import": build_pg(running.url(DATABASE), args.passages)}
        store = PgStore(running.url(DATABASE), read_only=True)
        try:
            result["size"] = size_pg(store)
            result["settings"] = pg_settings(store)
            result.update(_read_phases(store, args))
            if "search" not in args.skip:
                result["search_custom_plans"] = measure_custom_plans(store, args.repeat)
        finally:
            store.close()
        if "web" not in args.skip:
            result["web"] = measure_web(running.url(DATABASE), args)
    return result


def measure_custom_plans(store: Any, repeat: int) -> dict[str, Any]:
    """The search phase again with ``plan_cache_mode = force_custom_plan`` on the store's connection.

    subtle: psycopg prepares a statement after 5 runs, and PostgreSQL may then plan it once for
    any tsquery (a generic plan): fine for rare words, a full GIN scan for "the". This measures
    what planning each query for its own words gives.
    """
    store.conn.execute("SET plan_cache_mode = force_custom_plan")
    try:
        return measure_search(store, repeat)
    finally:
        store.conn.execute("RESET plan_cache_mode")


def _read_phases(store: Any, args: argparse.Namespace) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if "search" not in args.skip:
        found["search"] = measure_search(store, args.repeat)
    if "verify" not in args.skip:
        found["verify"] = measure_verify(store, args.quotes)
    return found


def compare(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """PostgreSQL / SQLite for every number both have (above 1: PostgreSQL larger), and top-10 overlap."""
    if set(BACKENDS) - set(results):
        return {}
    lite, pg = results["sqlite"], results["postgresql"]
    pairs = {key: (_dig(lite, path), _dig(pg, path)) for key, path in _COMPARED.items()}
    ratios = {key: round(b / a, 2) for key, (a, b) in pairs.items() if a and b is not None}
    if "search" in lite and "search" in pg:
        pairs_of_queries = list(zip(lite["search"]["queries"], pg["search"]["queries"], strict=True))
        overlaps = [len(set(a["top"]) & set(b["top"])) for a, b in pairs_of_queries]
        ratios["top10_overlap_mean"] = round(statistics.mean(overlaps), 2)
        ratios["same_matched_count"] = sum(a["matched"] == b["matched"] for a, b in pairs_of_queries)
    return ratios


_COMPARED = {
    "import_seconds": ("import", "seconds"),
    "size_mib": ("size", "total_mib"),
    "search_p50_ms": ("search", "summary", "p50_ms"),
    "search_p95_ms": ("search", "summary", "p95_ms"),
    "search_custom_plans_p50_ms": ("search_custom_plans", "summary", "p50_ms"),
    "search_custom_plans_p95_ms": ("search_custom_plans", "summary", "p95_ms"),
    "verify_quotes_per_s": ("verify", "quotes_per_s"),
    "verify_p95_ms": ("verify", "p95_ms"),
    "web_uncached_idle_rps": ("web", "uncached", "idle", "requests_per_s"),
    "web_uncached_idle_p95_ms": ("web", "uncached", "idle", "latency_ms", "p95"),
    "web_uncached_import_rps": ("web", "uncached", "during_import", "requests_per_s"),
    "web_uncached_import_p95_ms": ("web", "uncached", "during_import", "latency_ms", "p95"),
    "web_cached_idle_rps": ("web", "cached", "idle", "requests_per_s"),
    "web_cached_import_rps": ("web", "cached", "during_import", "requests_per_s"),
}


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


# -- output ----------------------------------------------------------------------------------------------


def report(data: dict[str, Any]) -> str:
    results, ratios = data["results"], data["ratios"]
    names = [b for b in BACKENDS if b in results]
    rows: list[tuple[str, ...]] = [("measure", *names, *(("pg/sqlite",) if ratios else ()))]
    for key, path in _COMPARED.items():
        cells = [_dig(results[b], path) for b in names]
        if all(c is None for c in cells):
            continue
        ratio = (f"{ratios[key]:.2f}" if key in ratios else "-",) if ratios else ()
        rows.append((key, *("-" if c is None else f"{c:,}" for c in cells), *ratio))
    extra = [f"passages {data['passages']:,}; generator alone {data['generate_seconds']} s"]
    if "postgresql" in results:
        extra.append(
            f"postgresql VACUUM (ANALYZE) after import: {results['postgresql']['import']['vacuum_analyze_seconds']} s"
        )
    extra += [f"{k} = {v}" for k, v in ratios.items() if k not in _COMPARED]
    return table(rows) + "\n" + "\n".join(extra)


def result_name(passages: int) -> str:
    if passages == 1_000_000:
        return "backends"
    for unit, size in (("m", 1_000_000), ("k", 1_000)):
        if passages % size == 0:
            return f"backends-{passages // size}{unit}"
    return f"backends-{passages}"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated: sqlite,postgresql")
    parser.add_argument("--skip", default="", help=f"comma-separated phases to leave out: {','.join(PHASES[1:])}")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the search queries")
    parser.add_argument("--quotes", type=int, default=1000, help="quotes verified")
    parser.add_argument("--web-seconds", type=int, default=10, help="wrk seconds per run")
    parser.add_argument("--web-modes", default="cached,uncached", help="the app with its result cache, without")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--import-tweets", type=int, default=50_000, help="archive imported during the web run")
    parser.add_argument("--pg-set", action="append", default=[], metavar="NAME=VALUE", help="override a PG setting")
    parser.add_argument("--keep-cluster", action="store_true", help="leave the PostgreSQL cluster running")
    parser.add_argument("--cache", default=str(CACHE / "backends"), help="where the SQLite workspace is built")
    parser.add_argument("--out", help="results folder (default bench/results)")
    parser.add_argument("--name", help="result file name (default backends[-size])")
    args = parser.parse_args(argv)
    args.skip = {p for p in args.skip.split(",") if p}
    args.backends = [b for b in args.backends.split(",") if b]
    unknown = (set(args.backends) - set(BACKENDS)) | (args.skip - set(PHASES))
    if unknown:
        parser.error(f"unknown backend or phase: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    Path(args.cache).mkdir(parents=True, exist_ok=True)
    started, before = time.time(), load()
    results: dict[str, dict[str, Any]] = {}
    runners = {"sqlite": run_sqlite, "postgresql": run_pg}
    for backend in args.backends:
        results[backend] = runners[backend](args)
    data = {
        "passages": args.passages,
        "backends": args.backends,
        "generate_seconds": generate_seconds(args.passages),
        "search_repeat": args.repeat,
        "pg_settings_requested": {**PG_SETTINGS, **dict(s.split("=", 1) for s in args.pg_set)},
        "web": {
            "connections": args.connections,
            "seconds": args.web_seconds,
            "uvicorn_workers": args.workers,
            "import_tweets": args.import_tweets,
        },  # fmt: skip
        "results": results,
        "ratios": compare(results),
        "load_average_before_after": [before, load()],
        "wall_seconds": round(time.time() - started, 1),
    }
    out = write_result(args.name or result_name(args.passages), data, out=Path(args.out) if args.out else None)
    print(report(data), f"\nwritten to {out}", sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
