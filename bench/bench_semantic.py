"""Semantic and hybrid search: quality on the real corpora, embedding speed, latency at scale.

Three parts, each writing into bench/results/semantic.json:

* ``quality`` — imports ../shared/corpora-raw (one workspace in bench/.cache/semantic), indexes
  it with a model, and runs the labelled queries of bench/queries/semantic.jsonl (our own
  paraphrases; targets are documents named by thinker + source_id) in bm25, semantic and
  hybrid modes. A query's rank is that of its first target document among the hits with
  each document counted once (its best passage). Reports recall@5, recall@10 and MRR@20.
  The same for bench/queries/semantic-heldout.jsonl (``held_out``): 30 more queries written
  blind, by someone who saw no ranking, after the settings had been chosen on the first set;
  a third, bench/queries/semantic-blind.jsonl (``blind``), 40 queries written blind after
  all settings were fixed, about documents neither earlier set targets; and for all sets
  together (``all_paraphrases``, 136 queries). ``within_thinker`` repeats the three sets with
  each query searching only its thinker's archive, as the profile page searches (the rest
  search all four archives at once, as ``insights search`` does without ``--thinker``).
* ``speed`` — passages/s embedding a seeded sample of real passages: a bare numpy baseline
  (texts in input order, padded per batch, 3-D matmuls: the straightforward port), our
  numpy path (length-bucketed, 2-D matmuls), the same with the layers in ONNX Runtime
  (``onnxruntime``, with its speed-up over numpy and the lowest cosine between the two), the
  layers in OpenVINO as shipped (``openvino``: bfloat16 where the CPU has it, with its speed-up
  over ONNX Runtime and the lowest and mean cosine to it), the static distillation and, when
  installed, all-mpnet-base-v2 on the three backends; passages through
  the int8 layers as ``insights index`` runs them (``onnxruntime-int8``: speed-up over float32
  and numpy, lowest and mean cosine to float32; quantising once per process timed apart), word
  pieces/s beside passages/s, and the time tokenising takes; with
  ``--reference-python``, the same windows through the reference implementation
  (transformers + torch, bench/reference_embed.py); and the time to embed one query per
  model and backend (p50/p95, no cache).
* ``boilerplate`` — prose before licence headers and page furniture: the three labelled sets
  (within each thinker, as the page searches) with passages scaled down by their furniture share
  (``hybrid.FURNITURE_WEIGHT``, shipped) and without (weight 0, the previous ranking): recall@10
  and MRR@20 per mode, how many queries show a passage at least a fifth furniture among their
  first three documents, the median query time, and where "software 2.0" puts the GPL header
  quoted in a post.
* ``scale`` — hybrid query latency (p50/p95, query embedding included, no query cache) over
  N synthetic passages (Zipf text, random unit vectors) with the HNSW file, plus index size;
  the first ``WARMUP`` queries after loading (pages of the memory-mapped file still on disk)
  are reported apart.

Run: ``.venv/bin/python bench/bench_semantic.py quality speed scale --scale 100000``; what int8
passages and OpenVINO's bfloat16 (``auto``) cost in recall: ``… quality --models all-MiniLM-L6-v2
--precisions fp32,auto,int8`` (``precision_recall`` in the JSON: recall@10 per set and mode at each
precision, and each one's difference to fp32).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import CACHE, RESULTS, ROOT, ZipfText, write_result  # noqa: E402
from deepinsights import config  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.backends.sqlite import vectors as sqlite_vectors  # noqa: E402
from deepinsights.backends.sqlite.vectors import UsearchIndex  # noqa: E402
from deepinsights.errors import EmbeddingError  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402
from deepinsights.models import (  # noqa: E402
    Document,
    ImportReport,
    SearchFilter,  # noqa: E402
)
from deepinsights.ownwords import furniture_share  # noqa: E402
from deepinsights.semantic import hybrid, index, registry  # noqa: E402
from deepinsights.semantic.hybrid import hybrid_search  # noqa: E402
from deepinsights.semantic.index import build_index  # noqa: E402
from deepinsights.semantic.model import Encoder, MiniLM, blas_threads, normalize, one_blas_thread  # noqa: E402
from deepinsights.semantic.mpnet import MPNet  # noqa: E402
from deepinsights.semantic.registry import DEFAULT_MODEL, get_embedder  # noqa: E402

CORPORA = Path(os.environ.get("DEEPINSIGHTS_SHARED", ROOT.parent / "shared")) / "corpora-raw"  # as tests/conftest.py
THINKERS = {
    "karpathy": "karpathy",
    "simon-willison": "simonw",
    "andreruffert": "andreruffert",
    "dealingwith": "dealingwith",
}
QUERIES = ROOT / "bench" / "queries" / "semantic.jsonl"
HELD_OUT = ROOT / "bench" / "queries" / "semantic-heldout.jsonl"  # written blind, after the settings were chosen
BLIND = ROOT / "bench" / "queries" / "semantic-blind.jsonl"  # written blind later, after every setting was fixed
SETS = {"paraphrases": QUERIES, "held_out": HELD_OUT, "blind": BLIND}
WORK = CACHE / "semantic"
DEFAULT_MODELS = "all-MiniLM-L6-v2,all-MiniLM-L6-v2-static"
OUT = RESULTS
MODES = ("bm25", "semantic", "hybrid")
WARMUP = 50  # scale: queries timed apart, right after the index is loaded
BACKENDS = ("numpy", "onnxruntime", "openvino")
PRECISION = {"numpy": "fp32", "onnxruntime": "fp32", "openvino": "auto"}  # openvino as shipped: bfloat16 here


# -- quality -------------------------------------------------------------------------


def corpus_db(model: str, precision: str = "auto") -> Path:
    """The real corpora imported and indexed with ``model`` at ``precision`` (cached between runs)."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / (f"corpora-{model}.db" if precision == "auto" else f"corpora-{model}-{precision}.db")
    base = WORK / "corpora.db"
    if not base.exists():
        store = Store(base)
        for folder, slug in THINKERS.items():
            run_import(store, [str(CORPORA / folder)], ImportOptions(thinker=slug))
        store.close()
    if not path.exists():
        shutil.copy(base, path)
    store = Store(path)
    started = time.monotonic()
    os.environ[config.EMBEDDING_PRECISION.env] = precision
    registry._loaded.clear()  # subtle: a model loaded at another precision would be reused
    report = build_index(store, model, progress=lambda done, total: print(f"\r  {model}: {done}/{total}", end=""))
    print(f"\n  indexed {report.as_dict()} in {time.monotonic() - started:.0f}s")
    store.close()
    return path


def quality(model: str, precision: str = "auto") -> dict[str, Any]:
    store = Store(corpus_db(model, precision), read_only=True)
    out: dict[str, Any] = {"model": model, "precision": precision, **_paraphrases(store, QUERIES)}
    out["passages"] = _count(store, "passages")
    out["titles"] = _titles(store)
    out["held_out"] = _paraphrases(store, HELD_OUT)
    out["blind"] = _paraphrases(store, BLIND)
    out["all_paraphrases"] = _combined(out["per_query"] + out["held_out"]["per_query"] + out["blind"]["per_query"])
    within = {name: _paraphrases(store, path, within_thinker=True) for name, path in SETS.items()}
    within["all_paraphrases"] = _combined([p for found in within.values() for p in found["per_query"]])
    out["within_thinker"] = within
    store.close()
    return out


def precision_recall(entries: list[dict[str, Any]], precisions: list[str]) -> dict[str, Any]:
    """recall@10 per model, labelled set and mode at each precision, and each one's difference to the first."""
    out: dict[str, Any] = {}
    sets = {"paraphrases": lambda e: e, "held_out": lambda e: e["held_out"], "blind": lambda e: e["blind"]}
    sets["all_paraphrases"] = lambda e: e["all_paraphrases"]
    for model in dict.fromkeys(e["model"] for e in entries):
        found = {e["precision"]: e for e in entries if e["model"] == model}
        table: dict[str, Any] = {}
        for name, pick in sets.items():
            for mode in ("semantic", "hybrid"):
                row = {p: pick(found[p])[mode]["recall@10"] for p in precisions}
                row.update({f"{p}-{precisions[0]}": round(row[p] - row[precisions[0]], 3) for p in precisions[1:]})
                table[f"{name}/{mode}"] = row
        out[model] = table
    return out


def _combined(per_query: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall and MRR over all labelled sets together (each query counted once)."""
    return {"queries": len(per_query), **{mode: _metrics([p[mode] for p in per_query]) for mode in MODES}}


def _paraphrases(store: Store, path: Path, *, within_thinker: bool = False) -> dict[str, Any]:
    """Recall and MRR per mode over the labelled queries in ``path``, and each query's rank.

    ``within_thinker``: each query searches only its targets' thinker's archive, as the
    profile page's search does; otherwise all four archives at once, as ``insights search``.
    """
    queries = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    targets = [_target_ids(store, q) for q in queries]
    out: dict[str, Any] = {"queries": len(queries)}
    per_query: dict[str, list[int | None]] = {}
    for mode in MODES:
        ranks = [
            _rank(store, q["query"], mode, t, q["targets"][0]["thinker"] if within_thinker else None)
            for q, t in zip(queries, targets, strict=True)
        ]
        per_query[mode] = ranks
        out[mode] = _metrics(ranks)
    out["per_query"] = [{"id": q["id"], **{mode: per_query[mode][i] for mode in MODES}} for i, q in enumerate(queries)]
    return out


def _titles(store: Store, n: int = 100) -> dict[str, Any]:
    """Known-item search, the keyword case: 100 seeded documents, each queried by its own title.

    The titles are read from the corpus at run time (no corpus text is stored here); this
    checks that fusion keeps what BM25 is good at.
    """
    rows = store.rows("SELECT id, title FROM documents WHERE title IS NOT NULL AND length(title) > 20 ORDER BY id")
    picked = random.Random(11).sample(rows, min(n, len(rows)))
    out: dict[str, Any] = {"queries": len(picked)}
    for mode in MODES:
        out[mode] = _metrics([_rank(store, r["title"], mode, {r["id"]}) for r in picked])
    return out


def _target_ids(store: Store, query: dict[str, Any]) -> set[str]:
    ids = set()
    for t in query["targets"]:
        row = store.rows("SELECT id FROM documents WHERE thinker = ? AND source_id = ?", [t["thinker"], t["source_id"]])
        if not row:
            raise SystemExit(f"{query['id']}: no document {t} in the corpus workspace")
        ids.add(row[0]["id"])
    return ids


def _rank(store: Store, q: str, mode: str, targets: set[str], thinker: str | None = None) -> int | None:
    docs: list[str] = []
    for hit in hybrid_search(store, q, SearchFilter(limit=50, thinker=thinker), mode=mode).hits:
        if hit.id not in docs:
            docs.append(hit.id)
    return next((i + 1 for i, d in enumerate(docs[:20]) if d in targets), None)


def _metrics(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    return {
        "recall@5": round(sum(1 for r in ranks if r and r <= 5) / n, 3),
        "recall@10": round(sum(1 for r in ranks if r and r <= 10) / n, 3),
        "mrr@20": round(sum(1 / r for r in ranks if r) / n, 3),
    }


def _count(store: Store, table: str) -> int:
    return int(store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


# -- boilerplate ---------------------------------------------------------------------

FURNITURE_SHARE = 0.2  # a passage this much licence header or page furniture counts as furniture here
EXAMPLE = "software 2.0"  # the example: a GPL header quoted in a post was hybrid's top hit


def boilerplate(model: str) -> dict[str, Any]:
    """Ranking with licence headers and page furniture scaled down (shipped) and not, per thinker."""
    store = Store(corpus_db(model), read_only=True)
    queries = [json.loads(line) for path in SETS.values() for line in path.read_text().splitlines() if line.strip()]
    shipped = hybrid.FURNITURE_WEIGHT
    out: dict[str, Any] = {"model": model, "queries": len(queries), "weight": shipped, "floor": hybrid.FURNITURE_FLOOR}
    try:
        for name, weight in (("off", 0.0), ("on", shipped)):
            hybrid.FURNITURE_WEIGHT = weight
            out[name] = {mode: _boilerplate_mode(store, queries, mode) for mode in MODES}
            out[name]["example"] = {mode: _example(store, mode) for mode in MODES}
    finally:
        hybrid.FURNITURE_WEIGHT = shipped
        store.close()
    return out


def _boilerplate_mode(store: Store, queries: list[dict[str, Any]], mode: str) -> dict[str, Any]:
    ranks, polluted, seconds = [], 0, []
    for q in queries:
        thinker = q["targets"][0]["thinker"]
        started = time.perf_counter()
        hits = hybrid_search(store, q["query"], SearchFilter(thinker=thinker, limit=50), mode=mode).hits
        seconds.append(time.perf_counter() - started)
        docs = list(dict.fromkeys(h.id for h in hits))
        targets = _target_ids(store, q)
        ranks.append(next((i + 1 for i, d in enumerate(docs[:20]) if d in targets), None))
        shown = list({h.id: h for h in reversed(hits)}.values())[::-1][:3]  # each document's best passage
        polluted += any(furniture_share(h.text or _text(store, h.passage_id)) >= FURNITURE_SHARE for h in shown)
    p50 = statistics.median(seconds) * 1000
    return {**_metrics(ranks), "furniture_in_top3": polluted, "p50_ms": round(p50, 1)}


def _example(store: Store, mode: str) -> list[dict[str, Any]]:
    """The first three documents for EXAMPLE in Karpathy's archive, each with its furniture share."""
    hits = hybrid_search(store, EXAMPLE, SearchFilter(thinker="karpathy", limit=50), mode=mode).hits
    shown = list({h.id: h for h in reversed(hits)}.values())[::-1][:3]
    return [{"title": h.title, "furniture": round(furniture_share(_text(store, h.passage_id)), 2)} for h in shown]


def _text(store: Store, passage_id: int) -> str:
    return str(store.conn.execute("SELECT text FROM passages WHERE id = ?", [passage_id]).fetchone()[0])


# -- speed ---------------------------------------------------------------------------


def speed(sample: int, reference_python: str | None = None) -> dict[str, Any]:
    Store(WORK / "corpora.db").close()  # subtle: migrates a cached workspace from an older schema
    store = Store(WORK / "corpora.db", read_only=True)
    rows = store.rows("SELECT title, text FROM passages WHERE length(trim(text)) > 0")
    store.close()
    texts = [index.model_input(r["title"], r["text"]) for r in random.Random(7).sample(rows, sample)]
    model = MiniLM()
    static = get_embedder("all-MiniLM-L6-v2-static")
    _, windows = model.window_ids(texts)
    results: dict[str, Any] = {
        "passages": sample,
        "windows": len(windows),
        "word_pieces": sum(len(w) for w in windows),
        "blas_threads": os.environ.get("OPENBLAS_NUM_THREADS", "all cores"),
        "onnxruntime_threads": blas_threads(),  # it follows BLAS's thread count (Encoder.layer_stack)
    }
    models: dict[str, Encoder] = {"numpy": model}
    try:
        models["mpnet"] = MPNet()
    except EmbeddingError as ex:
        print(f"  skipping all-mpnet-base-v2: {ex}")
    runs = {"numpy-baseline": lambda: _baseline(model, windows), "static": lambda: static.embed(texts)}
    for name, encoder in models.items():
        for backend, key in zip(BACKENDS, _keys(name), strict=True):
            twin = encoder.using(backend, PRECISION[backend])
            twin.embed_windows(["warm up"])  # subtle: ONNX Runtime's session is built before the clock starts
            runs[key] = functools.partial(_embed_windows, twin, texts)
        if encoder.int8_allowed:
            int8 = encoder.using("onnxruntime", "int8")
            started = time.perf_counter()
            int8.embed_windows(["warm up"])  # quantising is timed apart: once per process
            results[f"{_keys(name)[1]}-int8-load_s"] = round(time.perf_counter() - started, 2)
            runs[f"{_keys(name)[1]}-int8"] = functools.partial(_embed_windows, int8, texts)
    tokenising = time.perf_counter()
    model.window_ids(texts)
    results["tokenise_s"] = round(time.perf_counter() - tokenising, 3)
    vectors: dict[str, np.ndarray] = {}
    for name, run in runs.items():
        started = time.perf_counter()
        vectors[name] = run()
        seconds = time.perf_counter() - started
        results[name] = {
            "passages_per_s": round(sample / seconds, 1),
            "word_pieces_per_s": round(results["word_pieces"] / seconds),
            "seconds": round(seconds, 2),
        }
    # same model, same windows: the vectors must agree
    results["numpy"]["min_cosine_to_baseline"] = _min_cosine(vectors["numpy"], vectors["numpy-baseline"])
    for name in models:
        plain, onnx, openvino = _keys(name)
        results[onnx]["speedup_over_numpy"] = round(results[plain]["seconds"] / results[onnx]["seconds"], 2)
        results[onnx]["min_cosine_to_numpy"] = _min_cosine(vectors[onnx], vectors[plain])
        bf16 = results[openvino]
        bf16["speedup_over_onnxruntime"] = round(results[onnx]["seconds"] / bf16["seconds"], 2)
        bf16["min_cosine_to_onnxruntime"] = _min_cosine(vectors[openvino], vectors[onnx])
        bf16["mean_cosine_to_onnxruntime"] = _mean_cosine(vectors[openvino], vectors[onnx])
        if f"{onnx}-int8" in vectors:
            int8 = results[f"{onnx}-int8"]
            int8["speedup_over_fp32"] = round(results[onnx]["seconds"] / int8["seconds"], 2)
            int8["speedup_over_numpy"] = round(results[plain]["seconds"] / int8["seconds"], 2)
            int8["min_cosine_to_fp32"] = _min_cosine(vectors[f"{onnx}-int8"], vectors[onnx])
            int8["mean_cosine_to_fp32"] = _mean_cosine(vectors[f"{onnx}-int8"], vectors[onnx])
        if reference_python:
            ours = {backend: vectors[key] for backend, key in zip(BACKENDS, _keys(name), strict=True)}
            results[f"{name}-reference"] = _reference(reference_python, models[name], texts, sample, ours)
    results["query_ms"] = {encoder.name: _query_ms_by_backend(encoder) for encoder in models.values()}
    return results


def _keys(name: str) -> tuple[str, str, str]:
    """The result keys of a model's run on each of BACKENDS: numpy/onnxruntime/openvino, mpnet/mpnet-onnxruntime/…"""
    return name, *(backend if name == "numpy" else f"{name}-{backend}" for backend in BACKENDS[1:])


def _embed_windows(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """All window vectors of ``texts``, one row each."""
    return np.vstack(encoder.embed_windows(texts))


def _min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.min(np.sum(a * b, axis=1))), 6)


def _mean_cosine(a: np.ndarray, b: np.ndarray) -> float:
    return round(float(np.mean(np.sum(a * b, axis=1))), 6)


def _reference(
    python: str, encoder: Encoder, texts: list[str], sample: int, ours: dict[str, np.ndarray]
) -> dict[str, Any]:
    """The same windows embedded by transformers + torch (bench/reference_embed.py, one thread)."""
    request = {"folder": str(encoder.folder), "windows": encoder.window_ids(texts)[1], "pad_id": encoder.pad_id}
    script = Path(__file__).with_name("reference_embed.py")
    done = subprocess.run([python, str(script)], input=json.dumps(request), capture_output=True, text=True, check=True)
    answer = json.loads(done.stdout)
    theirs = np.asarray(answer["vectors"], dtype=np.float32)
    return {
        "passages_per_s": round(sample / answer["seconds"], 1),
        "seconds": round(answer["seconds"], 2),
        "torch": answer["torch"],
        "min_cosine_to_ours": {backend: _min_cosine(v, theirs) for backend, v in ours.items()},
    }


def _query_ms_by_backend(encoder: Encoder) -> dict[str, Any]:
    """One query's embedding time on each backend, and how many times faster than numpy ONNX Runtime is and
    than ONNX Runtime OpenVINO is."""
    out: dict[str, Any] = {backend: _query_ms(encoder.using(backend, PRECISION[backend])) for backend in BACKENDS}
    out["p50_ratio"] = round(out["numpy"]["p50"] / out["onnxruntime"]["p50"], 2)
    out["openvino_p50_ratio"] = round(out["onnxruntime"]["p50"] / out["openvino"]["p50"], 2)
    return out


def _query_ms(embedder: Any) -> dict[str, float]:
    """p50/p95 milliseconds to embed one labelled query (no cache, one BLAS thread), as a search does."""
    queries = [json.loads(line)["query"] for line in QUERIES.read_text().splitlines() if line.strip()]
    times = []
    with one_blas_thread():
        embedder.embed(["warm up"])  # subtle: builds the one-thread ONNX Runtime session outside the timings
        for q in queries:
            started = time.perf_counter()
            embedder.embed([q])
            times.append((time.perf_counter() - started) * 1000)
    return _percentiles(sorted(times))


def _baseline(model: MiniLM, ids: list[list[int]]) -> np.ndarray:
    """The straightforward port: batches of 32 in input order, 3-D matmuls over (batch, width, 384)."""
    out = []
    for start in range(0, len(ids), 32):
        batch = ids[start : start + 32]
        width = max(len(r) for r in batch)
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.float32)
        for i, row in enumerate(batch):
            tokens[i, : len(row)], mask[i, : len(row)] = row, 1.0
        x = model.words[tokens] + model.positions[:width] + model.type0
        x = _ln(x, *model.ln0)
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in model.layers:
            b, n, _ = x.shape
            qkv = (x @ layer.qkv + layer.qkv_b).reshape(b, n, 3, 12, 32).transpose(2, 0, 3, 1, 4)
            scores = qkv[0] @ qkv[1].transpose(0, 1, 3, 2) / np.sqrt(32) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(b, n, 384)
            x = _ln(x + context @ layer.out + layer.out_b, *layer.ln1)
            h = x @ layer.up + layer.up_b
            h = 0.5 * h * (1 + np.tanh(np.sqrt(2 / np.pi) * (h + 0.044715 * h**3)))
            x = _ln(x + h @ layer.down + layer.down_b, *layer.ln2)
        out.append(normalize((x * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)))
    return np.vstack(out)


def _ln(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(-1, keepdims=True) + 1e-12) * w + b


# -- scale ---------------------------------------------------------------------------


def scale(n: int, queries: int, model: str = DEFAULT_MODEL) -> dict[str, Any]:
    path = WORK / (f"scale-{n}.db" if model == DEFAULT_MODEL else f"scale-{n}-{model}.db")
    if not path.exists():
        _synthetic(path, n, model)
    Store(path).close()  # subtle: migrates a cached workspace from an older schema (read-only cannot)
    store = Store(path, read_only=True)
    started = time.monotonic()
    vectors = UsearchIndex(store, model)
    vectors.load()
    load_s = time.monotonic() - started
    sqlite_vectors._indexes.clear()
    text = ZipfText(seed=99)
    get_embedder(model).embed(["warm up"])
    # subtle: the HNSW file is memory-mapped, so the first queries after loading read it from disk;
    # they are reported apart (first_queries_ms), as a server that has just started sees them
    first = _hybrid_timings(store, text, WARMUP)
    timings = _hybrid_timings(store, text, queries)
    size = {"usearch_file_mib": round(vectors.size_bytes() / 2**20, 1)}
    size["vector_blobs_mib"] = round(
        store.conn.execute("SELECT sum(length(vector)) FROM passage_vectors").fetchone()[0] / 2**20, 1
    )
    store.close()
    return {
        "passages": n,
        "model": model,
        "queries": queries,
        "index_load_s": round(load_s, 2),
        "hybrid_ms": _percentiles(timings),
        "first_queries_ms": {"queries": WARMUP, **_percentiles(first)},
        **size,
    }


def _hybrid_timings(store: Store, text: ZipfText, n: int) -> list[float]:
    """Milliseconds of ``n`` hybrid searches for 2-5 Zipf words each (no query cache: every query is new)."""
    timings = []
    for _ in range(n):
        q = " ".join(text.words(random.randint(2, 5)))
        started = time.perf_counter()
        hybrid_search(store, q, SearchFilter(limit=10), mode="hybrid")
        timings.append((time.perf_counter() - started) * 1000)
    return sorted(timings)


def _percentiles(timings: list[float]) -> dict[str, float]:
    """p50, p95 and max of sorted ``timings`` (p95: the value 95% of the way up the sorted list)."""
    return {
        "p50": round(statistics.median(timings), 1),
        "p95": round(timings[int(0.95 * len(timings))], 1),
        "max": round(timings[-1], 1),
    }


def _synthetic(path: Path, n: int, model: str) -> None:
    """N synthetic passages (Zipf text) with random unit vectors, and the HNSW file built from them.

    The search benchmark's synthetic corpus of the same size is reused when it is cached.
    """
    shared = CACHE / f"search-{n}-v1.db"  # the search benchmark's, when it has been run
    if shared.exists():
        shutil.copy(shared, path)
        store = Store(path)
    else:
        store = Store(path)
        text = ZipfText(seed=5)
        docs = (
            Document(source="synthetic", source_id=str(i), kind="note", text=text.tweet(), thinker="synthetic")
            for i in range(n)
        )
        with store.transaction():
            store.upsert_documents(docs, ImportReport())
    rng = np.random.default_rng(5)
    dims = get_embedder(model).dims
    ids = [r[0] for r in store.conn.execute("SELECT id FROM passages ORDER BY id")]
    with store.transaction():
        store.conn.execute(
            "INSERT INTO vector_meta VALUES ('model', ?), ('generation', '1'), ('dims', ?)", (model, str(dims))
        )
        for start in range(0, len(ids), 50_000):
            chunk = ids[start : start + 50_000]
            matrix = normalize(rng.standard_normal((len(chunk), dims)).astype(np.float32)).astype(np.float16)
            store.conn.executemany(
                "INSERT INTO passage_vectors VALUES (?, ?, '', 1, ?)",
                [(pid, model, matrix[i].tobytes()) for i, pid in enumerate(chunk)],
            )
    started = time.monotonic()
    UsearchIndex(store, model).sync()
    print(f"  HNSW over {n:,} vectors built in {time.monotonic() - started:.0f}s")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("parts", nargs="*", default=["quality", "speed", "scale"])
    parser.add_argument("--models", default=DEFAULT_MODELS, help="Models for quality (and scale, when named).")
    parser.add_argument("--scale", default="100000", help="Comma-separated passage counts for the scale test.")
    parser.add_argument(
        "--precisions",
        default="auto",
        help="quality: comma-separated passage precisions (auto, int8, fp32), each in its own workspace, "
        "with recall@10 per set side by side (fp32,int8 measures what int8 costs).",
    )
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--sample", type=int, default=256)
    parser.add_argument(
        "--reference-python",
        help="An interpreter with torch and transformers: speed also times the reference implementation.",
    )
    parser.add_argument("--cache", type=Path, default=CACHE / "semantic", help="Folder for the workspaces built.")
    parser.add_argument("--out", type=Path, default=RESULTS, help="Folder for semantic.json.")
    args = parser.parse_args()
    global WORK, OUT
    WORK, OUT = args.cache, args.out
    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {}
    if "quality" in args.parts:
        precisions = args.precisions.split(",")
        results["quality"] = [quality(m, p) for m in args.models.split(",") for p in precisions]
        if len(precisions) > 1:
            results["precision_recall"] = precision_recall(results["quality"], precisions)
    if "boilerplate" in args.parts:
        results["boilerplate"] = boilerplate(DEFAULT_MODEL)
    if "speed" in args.parts:
        results["speed"] = speed(args.sample, args.reference_python)
    if "scale" in args.parts:
        models = args.models.split(",") if args.models != DEFAULT_MODELS else [DEFAULT_MODEL]
        results["scale"] = [scale(int(n), args.queries, m) for m in models for n in args.scale.split(",")]
    print(json.dumps({k: v for k, v in results.items() if k != "quality"}, indent=2))
    write_result("semantic", _merged(results), out=OUT)


def _merged(results: dict[str, Any]) -> dict[str, Any]:
    """Parts not run this time keep their previous numbers; runs of one part merge by model or size."""
    path = OUT / "semantic.json"
    old = json.loads(path.read_text()) if path.exists() else {}
    merged = {k: old[k] for k in ("quality", "precision_recall", "boilerplate", "speed", "scale") if k in old}
    for part, value in results.items():
        if isinstance(value, list):
            new = {_key(part, v) for v in value}
            merged[part] = [v for v in merged.get(part, []) if _key(part, v) not in new] + value
        else:
            merged[part] = value
    return merged


def _key(part: str, entry: dict[str, Any]) -> tuple[Any, ...]:
    """A quality entry is one model's; a scale entry one model at one size."""
    if part == "quality":
        return (entry["model"], entry.get("precision", "auto"))
    return (entry["passages"], entry.get("model", DEFAULT_MODEL))


if __name__ == "__main__":
    main()
