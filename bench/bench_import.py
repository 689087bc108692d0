"""Import throughput: a synthetic X archive (``tweets.js``) through deep-insights vs bare SQLite.

    .venv/bin/python bench/bench_import.py                  # 200,000 tweets (cached in bench/.cache)
    .venv/bin/python bench/bench_import.py --tweets 20000   # quicker
    .venv/bin/python bench/bench_import.py --size 1GB       # streaming check: peak RSS vs file size

Each stage runs in a fresh process (so its peak RSS is its own) and is timed best of
``--repeat``; the stages of one repetition run back to back, so ratios compare like with like:

* ``parse``: the x-archive importer alone (read ``tweets.js``, build Documents, no database);
* ``pipeline``: ``run_import`` into a new workspace: parse + store + FTS index + commit (what
  ``insights import`` does: a file this big is parsed in a forked child while this process writes);
* ``pipeline_one_process``: the same with ``DEEPINSIGHTS_PARSE_IN_CHILD_BYTES=-1`` (parse and write in turn);
* ``store``: ``Store.upsert_documents`` of Documents already in memory, in one transaction;
* ``bare_triggers``: ``executemany`` of the very same rows into the same schema (documents,
  passages, FTS5 kept in step by the schema's per-row triggers), one transaction, with the
  store's PRAGMAs (WAL, synchronous=NORMAL, the same page cache) but no foreign-key checks;
* ``bare_bulk``: the same rows, the FTS index filled by one ``INSERT … SELECT`` (the fastest
  bare way to get the same final database).

Writes bench/results/import.json (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import CACHE, Timer, fresh_db, machine, peak_rss_mib, table, write_result, write_tweets_js  # noqa: E402

STAGES = ("parse", "pipeline", "pipeline_one_process", "store", "bare_triggers", "bare_bulk")


def parse_size(text: str) -> int:
    units = {"KB": 10**3, "MB": 10**6, "GB": 10**9}
    for unit, factor in units.items():
        if text.upper().endswith(unit):
            return int(float(text[: -len(unit)]) * factor)
    return int(text)


# -- stages (each runs in its own process: bench_import.py --stage NAME FILE DB) -------------------


def stage_parse(archive: Path, db: Path) -> dict[str, Any]:
    from deepinsights.importers import ImportRun, importer_for

    importer = importer_for(archive)
    assert importer is not None, f"no importer reads {archive}"
    with Timer() as timer:
        count = sum(1 for _ in importer.read(archive, ImportRun()))
    return {"seconds": timer.seconds, "documents": count}


def stage_pipeline_one_process(archive: Path, db: Path) -> dict[str, Any]:
    import os

    os.environ["DEEPINSIGHTS_PARSE_IN_CHILD_BYTES"] = "-1"  # parse and write in turn, in this process
    return stage_pipeline(archive, db)


def stage_pipeline(archive: Path, db: Path) -> dict[str, Any]:
    from deepinsights.backends.sqlite import Store
    from deepinsights.importers import ImportOptions
    from deepinsights.ingest import run_import

    store = Store(fresh_db(db))
    with Timer() as timer:
        report = run_import(store, [str(archive)], ImportOptions())
        store.close()  # subtle: closing checkpoints the WAL into the file; part of the work
    return {"seconds": timer.seconds, "documents": report.added}


def _documents(archive: Path) -> list[Any]:
    from deepinsights.importers import ImportRun, importer_for

    importer = importer_for(archive)
    assert importer is not None
    return list(importer.read(archive, ImportRun()))


def stage_store(archive: Path, db: Path) -> dict[str, Any]:
    from deepinsights.backends.sqlite import Store
    from deepinsights.models import ImportReport

    docs = _documents(archive)
    store = Store(fresh_db(db))
    report = ImportReport()
    with Timer() as timer:
        with store.transaction():
            report.import_id = store.begin_import([str(archive)], None)
            store.upsert_documents(iter(docs), report)
            store.finish_import(report)
        store.close()
    return {"seconds": timer.seconds, "documents": report.added}


def _rows(archive: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The exact rows the store writes for these documents (built before the clock starts)."""
    from deepinsights.models import iso_utc
    from deepinsights.prepare import _document_row, _passage_rows

    documents, passages = [], []
    for doc in _documents(archive):
        row = _document_row(doc, doc.id, doc.content_hash, iso_utc(doc.published_at), doc.thinker or "default", 1)
        documents.append(row)
        passages.extend(_passage_rows(doc, doc.id, row[7]))
    return documents, passages


def _bare(archive: Path, db: Path, *, bulk: bool) -> dict[str, Any]:
    import sqlite3

    from sqlite_utils import Database

    from deepinsights.backends.sqlite.migrations import migrations
    from deepinsights.backends.sqlite.store import _INSERT_DOCUMENT, _INSERT_PASSAGE, CACHE_KIB, PAGE_SIZE

    documents, passages = _rows(archive)
    conn = sqlite3.connect(fresh_db(db), isolation_level=None)
    conn.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # the store's settings, so that only the code differs
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    migrations.apply(Database(conn))
    with Timer() as timer:
        conn.execute("BEGIN IMMEDIATE")
        if bulk:
            trigger = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'passages_ai'").fetchone()[0]
            conn.execute("DROP TRIGGER passages_ai")
        conn.executemany(_INSERT_DOCUMENT, documents)
        conn.executemany(_INSERT_PASSAGE, passages)
        if bulk:
            conn.execute("INSERT INTO passages_fts (rowid, title, text) SELECT id, title, text FROM passages")
            conn.execute(trigger)
        conn.execute("COMMIT")
        conn.close()
    return {"seconds": timer.seconds, "documents": len(documents)}


def stage_bare_triggers(archive: Path, db: Path) -> dict[str, Any]:
    return _bare(archive, db, bulk=False)


def stage_bare_bulk(archive: Path, db: Path) -> dict[str, Any]:
    return _bare(archive, db, bulk=True)


def run_stage(name: str, archive: Path, db: Path) -> dict[str, Any]:
    """Run one stage in a fresh interpreter and return its measurements."""
    command = [sys.executable, __file__, "--stage", name, str(archive), str(db)]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"stage {name} failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["db_mib"] = round(db.stat().st_size / 2**20, 1) if db.exists() and name != "parse" else None
    return result


# -- driver -------------------------------------------------------------------------------------


def archive_for(args: argparse.Namespace) -> tuple[Path, int]:
    folder = Path(args.cache) / "import"
    if args.size:
        target = parse_size(args.size)
        count = max(1000, target // 745)  # about 745 bytes per pretty-printed tweet
        path = folder / f"tweets-{args.size}.js"
    else:
        count = args.tweets
        path = folder / f"tweets-{count}.js"
    if not path.exists():
        print(f"writing {path} ({count:,} tweets)…", file=sys.stderr)
        write_tweets_js(path, count)
    return path, count


def measure(args: argparse.Namespace, archive: Path, stages: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    db = Path(args.cache) / "import" / "bench-import.db"
    best: dict[str, dict[str, Any]] = {}
    runs: dict[str, list[float]] = {name: [] for name in stages}
    for _ in range(args.repeat):
        for name in stages:
            result = run_stage(name, archive, db)
            runs[name].append(round(result["seconds"], 3))
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    fresh_db(db)
    for name, result in best.items():
        result["tweets_per_s"] = round(result["documents"] / result["seconds"])
        result["seconds"] = round(result["seconds"], 3)
        result["runs_seconds"] = runs[name]  # every repetition, so the spread is on record, not just the best
    return best


def summary(best: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rate = {name: r["tweets_per_s"] for name, r in best.items()}
    ratios: dict[str, float] = {}
    for bare in ("bare_triggers", "bare_bulk"):
        for ours in ("store", "pipeline", "pipeline_one_process"):
            if bare in rate and ours in rate:
                ratios[f"{ours}/{bare}"] = round(rate[ours] / rate[bare], 2)
    return ratios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tweets", type=int, default=200_000)
    parser.add_argument("--size", help="instead of --tweets: an archive of about this size (e.g. 1GB), pipeline only")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs per stage")
    parser.add_argument("--cache", default=str(CACHE))
    parser.add_argument("--out", help="results folder (default bench/results)")
    parser.add_argument("--stage", nargs=3, metavar=("NAME", "ARCHIVE", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        name, archive, db = args.stage
        result = globals()[f"stage_{name}"](Path(archive), Path(db))
        result["peak_rss_mib"] = peak_rss_mib()
        result["child_peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
        print(json.dumps(result))
        return
    archive, count = archive_for(args)
    load = _load()
    started = time.time()
    best = measure(args, archive, ("parse", "pipeline") if args.size else STAGES)
    data = {
        "tweets": count,
        "archive_mib": round(archive.stat().st_size / 2**20, 1),
        "stages": best,
        "ratios": summary(best),
        "load_average_before_after": [load, _load()],
        "wall_seconds": round(time.time() - started, 1),
    }
    name = "import-size" if args.size else "import"
    path = write_result(name, data, out=Path(args.out) if args.out else None)
    print(report(data), f"\n\nwritten to {path}", sep="")


def _load() -> float:
    import os

    return round(os.getloadavg()[0], 2)


def report(data: dict[str, Any]) -> str:
    rows = [("stage", "seconds", "tweets/s", "peak RSS MiB", "DB MiB")]
    for name, r in data["stages"].items():
        rows.append(
            (name, f"{r['seconds']:.2f}", f"{r['tweets_per_s']:,}", f"{r['peak_rss_mib']:,}", str(r["db_mib"] or "-"))
        )
    head = f"{data['tweets']:,} tweets, archive {data['archive_mib']} MiB, {machine()['cpus']} CPUs\n"
    ratios = "  ".join(f"{k} = {v}" for k, v in data["ratios"].items())
    return head + table(rows) + ("\n" + ratios if ratios else "")


if __name__ == "__main__":
    main()
