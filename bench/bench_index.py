"""Time to searchable: ``insights index`` end to end, the fastest path beside the shipped and numpy ones, in one run.

Two workloads, each imported once into a cached workspace (bench/.cache/index):

* ``karpathy`` — Karpathy's shared corpus (../shared/corpora-raw/karpathy, as ``make demo``
  imports it: ~1,670 long passages, ~7,600 windows of 64 word pieces). Goal: ≤ 15 s quiet.
* ``tweets`` — ``--tweets`` synthetic tweet-sized passages (Zipf words, bench/common.py; none
  repeats, so skipping duplicates does not help here). Goal: 100,000 in ≤ 5 minutes.

Each path runs ``insights index --json`` in a fresh process on a fresh copy of the workspace,
so a time is what a user waits for: starting Python, loading (and quantising) the model,
tokenising, the forward passes, writing vectors and building the HNSW file. Paths:

* ``auto`` — as shipped: OpenVINO, in bfloat16 where the CPU computes it natively (this
  machine: AVX512_BF16); recall@10 as float32's (``bench_semantic.py quality --precisions
  fp32,auto``);
* ``openvino-fp32`` — OpenVINO held to float32 (``DEEPINSIGHTS_EMBEDDING_PRECISION=fp32``);
* ``onnxruntime`` — the baseline, the default before OpenVINO: ONNX Runtime in float32;
* ``int8`` — opt-in: passages through ONNX Runtime's int8 layers
  (``DEEPINSIGHTS_EMBEDDING_PRECISION=int8``), quantised once per machine and kept in the
  user directory (the first run of all also quantises, ~2.5 s); it costs 0.02–0.03 of
  recall@10 (``bench_semantic.py quality --precisions fp32,int8``), so it is not the default;
* ``numpy`` — the numpy forward pass (``DEEPINSIGHTS_EMBEDDING_BACKEND=numpy``).

On the tweets workload every path runs on the first ``--baseline-sample`` tweets (embedding
100,000 in numpy would take most of an hour), and the shipped path on the whole set too, so
the ratios come from the same passages. Reported per run: seconds, passages/s, word pieces/s
(the windows' pieces with their start and end tokens, counted once here) and the ratio to
``onnxruntime``. The load average before and after each run is recorded: on a busy machine
only the ratios mean anything.

    python bench/bench_index.py                                   # ~15 min quiet
    python bench/bench_index.py --tweets 2000 --baseline-sample 500  # quick check
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CACHE, ROOT, ZipfText, fresh_db, table, write_result  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402
from deepinsights.models import Document, ImportReport  # noqa: E402
from deepinsights.semantic.index import model_input  # noqa: E402
from deepinsights.semantic.model import MiniLM  # noqa: E402

SHARED = Path(os.environ.get("DEEPINSIGHTS_SHARED", ROOT.parent / "shared"))  # as tests/conftest.py
AUTO = {"DEEPINSIGHTS_EMBEDDING_BACKEND": "auto", "DEEPINSIGHTS_EMBEDDING_PRECISION": "auto"}
PATHS = {
    "auto": AUTO,
    "openvino-fp32": AUTO | {"DEEPINSIGHTS_EMBEDDING_PRECISION": "fp32"},
    "onnxruntime": {"DEEPINSIGHTS_EMBEDDING_BACKEND": "onnxruntime", "DEEPINSIGHTS_EMBEDDING_PRECISION": "fp32"},
    "int8": AUTO | {"DEEPINSIGHTS_EMBEDDING_PRECISION": "int8"},
    "numpy": AUTO | {"DEEPINSIGHTS_EMBEDDING_BACKEND": "numpy"},
}
BASELINE, SHIPPED = "onnxruntime", "auto"
GOALS_S = {"karpathy": 15, "tweets-100000": 300}


def karpathy(work: Path) -> Path:
    """The Karpathy corpus imported as ``make demo`` does (cached)."""
    path = work / "karpathy.db"
    if not path.exists():
        partial = fresh_db(work / "karpathy.partial.db")
        store = Store(partial)
        options = ImportOptions(thinker="karpathy", exclude=("SOURCES.md",))
        run_import(store, [str(SHARED / "corpora-raw" / "karpathy")], options)
        store.close()
        partial.replace(path)
    return migrated(path)


def tweets(work: Path, count: int) -> Path:
    """``count`` synthetic tweet-sized documents, the first ``count`` of one seeded sequence (cached)."""
    path = work / f"tweets-{count}.db"
    if not path.exists():
        partial = fresh_db(work / f"tweets-{count}.partial.db")
        store = Store(partial)
        text = ZipfText(seed=23)
        docs = (Document(source="bench", source_id=str(i), kind="tweet", text=text.tweet()) for i in range(count))
        with store.transaction():
            store.upsert_documents(docs, ImportReport(), thinker="bench")
        store.close()
        partial.replace(path)
    return migrated(path)


def migrated(path: Path) -> Path:
    """``path`` brought up to this version's schema once, here: else every timed run would upgrade its copy."""
    Store(path).close()
    return path


def word_pieces(db: Path, model: MiniLM) -> tuple[int, int, int, float]:
    """(passages, windows, word pieces) the model is fed for this workspace, and the seconds tokenising took."""
    store = Store(db, read_only=True)
    texts = [model_input(r["title"], r["text"]) for r in store.rows("SELECT title, text FROM passages")]
    store.close()
    started = time.perf_counter()
    _, windows = model.window_ids(texts)
    return len(texts), len(windows), sum(len(w) for w in windows), time.perf_counter() - started


def run_index(base: Path, path: str, work: Path) -> dict[str, Any]:
    """``insights index --json`` on a fresh copy of ``base`` with the path's settings, timed from outside."""
    db = fresh_db(work / "run.db")
    shutil.copyfile(base, db)
    env = {**os.environ, **PATHS[path], "PYTHONPATH": str(ROOT)}
    load = os.getloadavg()[0]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "deepinsights", "index", "--db", str(db), "--json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    report = json.loads(done.stdout)
    fresh_db(db)
    Path(f"{db}.usearch").unlink(missing_ok=True)
    Path(f"{db}.usearch.json").unlink(missing_ok=True)
    return {"seconds": round(seconds, 2), "report": report, "load_before": round(load, 2), "load_after": _load()}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def measure(name: str, base: Path, paths: list[str], model: MiniLM, work: Path) -> dict[str, Any]:
    """Every path on one workspace, with rates and ratios to the baseline."""
    passages, windows, pieces, tokenise_s = word_pieces(base, model)
    out: dict[str, Any] = {"passages": passages, "windows": windows, "word_pieces": pieces}
    out["tokenise_s_in_process"] = round(tokenise_s, 2)
    for path in paths:
        run = run_index(base, path, work)
        run["passages_per_s"] = round(passages / run["seconds"], 1)
        run["word_pieces_per_s"] = round(pieces / run["seconds"])
        out[path] = run
        print(f"  {name} {path}: {run['seconds']:.1f} s, {run['passages_per_s']:,} passages/s", flush=True)
    for path in paths:
        if BASELINE in out:
            out[path]["speedup_over_baseline"] = round(out[BASELINE]["seconds"] / out[path]["seconds"], 2)
    goal = GOALS_S.get(name)
    if goal and SHIPPED in out:
        out["goal_s"], out["meets_goal"] = goal, out[SHIPPED]["seconds"] <= goal
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=5_000, help="Tweets the baselines run on.")
    parser.add_argument("--paths", default=",".join(PATHS), help="Comma-separated paths to run.")
    parser.add_argument("--skip-karpathy", action="store_true")
    parser.add_argument("--cache", type=Path, default=CACHE / "index")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    paths = args.paths.split(",")
    model = MiniLM()
    results: dict[str, Any] = {
        "paths": {p: PATHS[p] for p in paths},
        "baseline": BASELINE,
        "threads": os.environ.get("OMP_NUM_THREADS"),
    }
    if not args.skip_karpathy:
        results["karpathy"] = measure("karpathy", karpathy(args.cache), paths, model, args.cache)
    sample = min(args.baseline_sample, args.tweets)
    results[f"tweets-{sample}"] = measure(f"tweets-{sample}", tweets(args.cache, sample), paths, model, args.cache)
    if args.tweets > sample and SHIPPED in paths:
        full = f"tweets-{args.tweets}"
        results[full] = measure(full, tweets(args.cache, args.tweets), [SHIPPED], model, args.cache)
    rows = [("workload", "path", "seconds", "passages/s", "pieces/s", f"× {BASELINE}")]
    for name, value in results.items():
        for path in paths:
            if isinstance(value, dict) and isinstance(value.get(path), dict) and "seconds" in value[path]:
                run = value[path]
                ratio = f"{run['speedup_over_baseline']:.2f}" if "speedup_over_baseline" in run else ""
                rows.append(
                    (
                        name,
                        path,
                        f"{run['seconds']:.1f}",
                        f"{run['passages_per_s']:,}",
                        f"{run['word_pieces_per_s']:,}",
                        ratio,
                    )
                )
    print(table(rows))
    print(f"wrote {write_result('index', results, out=args.out)}")


if __name__ == "__main__":
    main()
