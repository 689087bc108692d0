"""distill --no-llm runtime at 100,000 passages (synthetic tweets over five years, vectors given).

Each passage gets a stored 384-dimensional vector near its subject's centre (four subjects, one
after another over the five years, plus noise), written straight into ``passage_vectors`` as
``insights index`` would, so distill clusters, labels and dates topics without embedding
anything: the issue's "vectors given". Baseline in the same run: one bare pass that only reads
every passage from SQLite and splits it into words, so the ratio shows what distill's
measuring costs on top of I/O.

    python bench/bench_distill.py [--passages 100000]

Writes bench/results/distill.json. The bar: ≤ 60 s at 100,000 passages on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import numpy as np  # noqa: E402

from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.distill import distill  # noqa: E402
from deepinsights.distill.lineage import LineageCollector  # noqa: E402
from deepinsights.distill.measure import rows  # noqa: E402
from deepinsights.models import Document, ImportReport  # noqa: E402

VOCAB = [f"w{i}" for i in range(20000)]
TOPICS = [
    "tokenizers attention logits",
    "convnets imagenet pixels",
    "agents autoresearch loops",
    "compilers cuda kernels",
]
NAMES = ["Grace Hopper", "Alan Turing", "Ada Lovelace", "Claude Shannon"]


def corpus(n: int, seed: int = 0) -> list[Document]:
    rng = random.Random(seed)
    start = datetime(2020, 1, 1, tzinfo=UTC)
    weights = [1 / (i + 1) for i in range(len(VOCAB))]
    docs = []
    for i in range(n):
        when = start + timedelta(minutes=i * 26)  # ~5 years over 100k items
        topic = TOPICS[(i * len(TOPICS)) // n]
        words = rng.choices(VOCAB, weights=weights, k=25)
        extra = f" Thanks to {rng.choice(NAMES)}." if i % 50 == 0 else ""
        extra += " I expect agents will change everything by 2030." if i % 400 == 0 else ""
        docs.append(
            Document(
                source="bench",
                source_id=str(i),
                kind="tweet",
                thinker="bench",
                text=f"{' '.join(words)} {topic}.{extra}",
                published_at=when,
            )
        )
    return docs


DIMS = 384
MODEL = "all-MiniLM-L6-v2"


def build(path: Path, n: int) -> Store:
    store = Store(path)
    if store.document_count() != n:
        with store.transaction():
            store.upsert_documents(corpus(n), ImportReport())
        give_vectors(store, n)
    return store


def give_vectors(store: Store, n: int) -> None:
    """A unit vector per passage: its subject's centre plus noise (seeded), as if indexed."""
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((len(TOPICS), DIMS))
    rows = list(store.conn.execute("SELECT p.id, d.source_id FROM passages p JOIN documents d ON d.id = p.document_id"))
    with store.transaction():
        store.conn.execute("DELETE FROM passage_vectors")
        store.conn.execute("DELETE FROM vector_meta")
        store.conn.execute(
            "INSERT INTO vector_meta VALUES ('model', ?), ('generation', '1'), ('dims', ?)", (MODEL, DIMS)
        )
        for start in range(0, len(rows), 20_000):
            chunk = rows[start : start + 20_000]
            subjects = [(int(source_id) * len(TOPICS)) // n for _, source_id in chunk]
            matrix = centres[subjects] + 1.5 * rng.standard_normal((len(chunk), DIMS))
            matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
            blobs = matrix.astype(np.float16)
            store.conn.executemany(
                "INSERT INTO passage_vectors VALUES (?, ?, '', 1, ?)",
                [(pid, MODEL, blobs[i].tobytes()) for i, (pid, _) in enumerate(chunk)],
            )


def bare_pass(store: Store) -> float:
    started = time.perf_counter()
    word = re.compile(r"\w+")
    total = 0
    for (text,) in store.conn.execute("SELECT text FROM passages"):
        total += len(word.findall(text))
    return time.perf_counter() - started


def lineage_pass(store: Store) -> float:
    """Typed lineage alone (issue 18 part 2: references, the NER model, merging): its share of distill."""
    started = time.perf_counter()
    collector = LineageCollector("bench")
    for row in rows(store, "bench"):
        collector.add(row)
    collector.finish()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    args = parser.parse_args()
    cache = HERE / ".cache" / f"distill-vectors-{args.passages}.db"
    cache.parent.mkdir(parents=True, exist_ok=True)
    store = build(cache, args.passages)
    baseline = bare_pass(store)
    started = time.perf_counter()
    report = distill(store, "bench")
    seconds = time.perf_counter() - started  # the NER model's loading included, as for a first distill
    lineage = lineage_pass(store)
    result = {
        "benchmark": "distill --no-llm",
        "machine": {"python": platform.python_version(), "cpu": platform.machine(), "load_average": os.getloadavg()},
        "passages": report.passages,
        "seconds": round(seconds, 2),
        "baseline_read_and_tokenize_seconds": round(baseline, 2),
        "ratio_to_baseline": round(seconds / baseline, 1),
        "lineage_seconds_within": round(lineage, 2),
        "bar_seconds": 60,
        "vectors": report.topics.vectors,
        "topics": [{"label": t.label, "passages": t.passages} for t in report.topics.topics[:8]],
        "topic_stability": report.topics.stability,
        "eras": [{k: v for k, v in e.as_dict().items() if k != "representatives"} for e in report.eras],
        "era_robustness": report.findings.era_robustness,
        "predictions": len(report.predictions),
        "top_lineage": [m.as_dict() | {"examples": []} for m in report.lineage[:4]],
    }
    out = HERE / "results" / "distill.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(json.dumps({k: v for k, v in result.items() if k not in ("eras", "top_lineage", "topics")}, indent=2))


if __name__ == "__main__":
    main()
