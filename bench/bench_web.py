"""Load test of the archive search API with wrk: throughput, latency and errors, idle and under import.

Builds (once, cached in bench/.cache) a synthetic workspace of ``--docs`` tweet-sized
documents with Zipf-distributed words, serves it with uvicorn as ``insights serve`` does (one
process, which hands searches to its search processes, one per core: ``web.searchers``;
``--workers`` runs more server processes, each with its own), and runs wrk for
``--seconds`` with ``--connections`` connections against ``/api/search``; a Lua script
rotates through queries of every shape the page sends (common and rare words, prefixes as
typed, phrases, kind and date filters). The second phase repeats the run while
``insights import`` writes a synthetic X archive into the same workspace, started in a session
of its own as from another terminal (``--import-session same``: in the server's).

    python bench/bench_web.py                       # 100k docs, 16 connections, 10 s
    python bench/bench_web.py --docs 20000 --seconds 5

Targets: at least 300 requests/s, p95 at most 50 ms, zero errors, in both phases.
Writes bench/results/web.json (or ``--out``). Needs wrk (``/usr/bin/wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import CACHE, ZipfText, cached_tweets_js, fresh_db, write_result  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.models import Document, ImportReport  # noqa: E402

TARGET_RPS = 300
TARGET_P95_MS = 50.0
KINDS = ("tweet", "reply", "quote", "post")

# What the page sends while someone types and filters: common words (the worst case for
# ranking), rare words, the last word as a prefix, phrases and filters.
QUERIES = [
    "q=the",
    "q=model",
    "q=learning&kind=tweet",
    "q=neural%20network",
    "q=data%20training",
    "q=kalo",
    "q=mi",
    "q=mino",
    "q=nupe",
    "q=%22word%20of%22",
    "q=code&since=2023-06-01",
    "q=language&until=2022-12-31",
    "q=software&kind=post",
    "q=think%20about",
    "q=sentence",
    "q=picture&kind=reply&since=2022-01-01",
    "q=kalomi",
    "q=rasi",
    "q=great%20help",
    "q=follow",
]

LUA = """
local paths = {%(paths)s}
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write("RESULT " .. string.format(
    '{"requests": %%d, "duration_us": %%d, "bytes": %%d, "errors": {"connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d}, "latency_ms": {"mean": %%.3f, "p50": %%.3f, "p90": %%.3f, "p95": %%.3f, ' ..
    '"p99": %%.3f, "max": %%.3f}}',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean / 1000, latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000) .. "\\n")
end
"""


def workspace(docs: int, *, cache: Path = CACHE) -> Path:
    """The cached synthetic workspace of ``docs`` documents (built on first use, migrated to this version's schema)."""
    path = cache / "web" / f"web-{docs}.db"
    if path.exists():
        Store(path).close()  # subtle: else the import of phase 2 would migrate the served copy while it is measured
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = fresh_db(path.with_suffix(".partial.db"))
    store = Store(partial)
    try:
        with store.transaction():
            store.upsert_documents(_documents(docs), ImportReport(), thinker="bench")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    partial.replace(path)
    return path


def _documents(count: int) -> Any:
    text = ZipfText(seed=7)
    start = datetime(2024, 6, 1, tzinfo=UTC)
    for i in range(count):
        yield Document(
            source="bench",
            source_id=str(i),
            kind=KINDS[i % len(KINDS)],
            text=text.tweet(),
            url=f"https://example.org/status/{i}",
            published_at=start - timedelta(minutes=11 * i),
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uncached_app() -> Any:
    """The shipped app with its search-result cache turned off: every request runs a search."""
    from deepinsights.web.app import create_app

    return create_app(os.environ["DEEPINSIGHTS_DB"], cache_size=0)


FACTORIES = {"cached": "deepinsights.web.app:app_from_env", "uncached": "bench.bench_web:uncached_app"}


def start_server(db: Path, workers: int, port: int, factory: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DEEPINSIGHTS_DB": str(db)}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        factory,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(command, env=env, cwd=HERE.parent)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?q=warmup", timeout=2):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the server did not start")


def warm_up(port: int) -> None:
    """Each worker opens its connections and page cache before measuring."""
    for _ in range(3):
        for query in QUERIES:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/search?{query}", timeout=10) as response:
                response.read()


def cpu_seconds(server: subprocess.Popen[bytes]) -> dict[str, float]:
    """CPU seconds used so far by the server process and by its children: its search processes (with
    ``--workers``, uvicorn's worker processes, whose own search processes are not counted)."""
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(server.pid)], capture_output=True, text=True).stdout
    return {"server": _cpu(server.pid), "children": sum(_cpu(int(pid)) for pid in children.split())}


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:  # exited meanwhile
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def run_wrk(
    port: int, seconds: int, connections: int, threads: int, script: Path, server: subprocess.Popen[bytes]
) -> dict[str, Any]:
    command = [
        shutil.which("wrk") or "/usr/bin/wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    before = cpu_seconds(server)
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    after = cpu_seconds(server)
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["requests_per_s"] = round(result["requests"] / (result["duration_us"] / 1e6), 1)
    result["cpu_ms_per_request"] = {
        name: round((after[name] - before[name]) * 1000 / max(result["requests"], 1), 3) for name in after
    }
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    result["error_total"] = sum(result["errors"].values())
    result["meets_target"] = (
        result["requests_per_s"] >= TARGET_RPS
        and result["latency_ms"]["p95"] <= TARGET_P95_MS
        and result["error_total"] == 0
    )
    return result


def importing(db: Path, tweets: int, *, own_session: bool) -> subprocess.Popen[bytes]:
    """Start ``insights import`` of a synthetic archive into the served workspace.

    ``own_session``: as from another terminal than the server's (its own session; where the
    kernel groups processes by session, priority then orders it only against its own group).
    """
    archive = cached_tweets_js(tweets)
    command = [
        sys.executable,
        "-m",
        "deepinsights",
        "import",
        str(archive),
        "--thinker",
        "bench-import",
        "--db",
        str(db),
        "--json",
    ]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=HERE.parent, start_new_session=own_session
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (insights serve runs one)")
    parser.add_argument("--import-tweets", type=int, default=50_000, help="size of the archive imported in phase 2")
    parser.add_argument(
        "--import-session",
        choices=("same", "own"),
        default="own",
        help="run the import in the server's session, or in its own as from another terminal (the default)",
    )
    parser.add_argument("--out", help="results folder (default bench/results), e.g. for runs alternating two trees")
    args = parser.parse_args()

    base = workspace(args.docs)
    script = CACHE / "web" / "rotate.lua"
    script.write_text(LUA % {"paths": ", ".join(f'"/api/search?{q}"' for q in QUERIES)})
    results = {mode: measure(base, mode, args, script) for mode in ("cached", "uncached")}
    path = write_result(
        "web",
        {
            "docs": args.docs,
            "connections": args.connections,
            "seconds": args.seconds,
            "wrk_threads": args.threads,
            "uvicorn_workers": args.workers,
            "queries": QUERIES,
            "targets": {"requests_per_s": TARGET_RPS, "p95_ms": TARGET_P95_MS, "errors": 0},
            "import_tweets": args.import_tweets,
            "import_session": args.import_session,
            "note": (
                "cached: the app as shipped (LRU of search results, invalidated by any commit); the 20 rotating "
                "queries all hit it after warm-up, so this measures the HTTP path. uncached: every request runs "
                "the FTS5 search."
            ),
            **results,
        },
        out=Path(args.out) if args.out else None,
    )
    print(f"wrote {path}")


def measure(base: Path, mode: str, args: argparse.Namespace, script: Path) -> dict[str, Any]:
    """Serve a fresh copy of the workspace in ``mode``; run wrk idle, then during an import."""
    db = CACHE / "web" / "served.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(base, db)  # the import writes to it; the cached workspace stays pristine
    port = free_port()
    server = start_server(db, args.workers, port, FACTORIES[mode])
    try:
        warm_up(port)
        idle = run_wrk(port, args.seconds, args.connections, args.threads, script, server)
        print(f"{mode:8} idle:   {_line(idle)}")
        writer = importing(db, args.import_tweets, own_session=args.import_session == "own")
        time.sleep(0.5)
        busy = run_wrk(port, args.seconds, args.connections, args.threads, script, server)
        busy["import_still_running_at_end"] = writer.poll() is None
        writer.wait(timeout=600)
        busy["import_exit_code"] = writer.returncode
        print(f"{mode:8} import: {_line(busy)}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"idle": idle, "during_import": busy}


def _line(result: dict[str, Any]) -> str:
    lat = result["latency_ms"]
    ok = "meets target" if result["meets_target"] else "MISSES target"
    cpu = result["cpu_ms_per_request"]
    return (
        f"{result['requests_per_s']:,.0f} req/s, p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
        f"p99 {lat['p99']:.1f} ms, {result['error_total']} errors, CPU/request {cpu['server']:.2f} + "
        f"{cpu['children']:.2f} ms — {ok}"
    )


if __name__ == "__main__":
    main()
