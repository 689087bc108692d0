"""insights compare without a model: two synthetic thinkers of 100,000 passages each, bar 30 s.

Each thinker writes Zipf-distributed tweets (``common.ZipfText``) over five years, on four
subjects: two both write about, one each only they write about, so the comparison has shared
topics and extensions to find. Compare reads the workspace's passage vectors; embedding 200,000
passages takes about an hour on 2 cores, so the benchmark stores synthetic ones instead (not
timed): each subject a random direction, each passage its subject's direction plus noise, in the
layout ``insights index`` writes (the MiniLM model's name and dimensions). Baseline in the same run: a
bare pass that reads every passage of both thinkers from SQLite and splits it into words.

    python bench/bench_compare.py [--passages 100000]

Writes bench/results/compare.json.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from bench.common import CACHE, Timer, ZipfText, table, write_result  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.compare import Identity, compare  # noqa: E402
from deepinsights.models import Document, ImportReport  # noqa: E402
from deepinsights.semantic.registry import DEFAULT_MODEL, get_embedder  # noqa: E402

BAR_SECONDS = 30
SUBJECTS = {
    "ann": ["tokenizers attention logits transformer", "compilers cuda kernels gpu", "convnets imagenet pixels"],
    "ben": ["tokenizers attention logits transformer", "compilers cuda kernels gpu", "gardens tomatoes compost"],
}


def corpus(thinker: str, n: int) -> list[Document]:
    text = ZipfText(seed=len(thinker) + ord(thinker[0]))
    start = datetime(2020, 1, 1, tzinfo=UTC)
    subjects = SUBJECTS[thinker]
    return [
        Document(
            source="bench",
            source_id=f"{thinker}-{i}",
            kind="tweet",
            thinker=thinker,
            text=f"{text.tweet()} {subjects[i % 3]}." + (" Thanks to Grace Hopper." if i % 50 == 0 else ""),
            published_at=start + timedelta(minutes=i * 26),
        )
        for i in range(n)
    ]


def build(path: Path, n: int) -> Store:
    store = Store(path)
    if store.document_count() != 2 * n:
        with store.transaction():
            for thinker in SUBJECTS:
                store.upsert_documents(corpus(thinker, n), ImportReport())
    if store.indexed_model() is None:
        synthetic_vectors(store)
    return store


def synthetic_vectors(store: Store) -> None:
    """One unit vector per passage: its subject's random direction plus Gaussian noise (seeded)."""
    rng = np.random.default_rng(7)
    dims = get_embedder(DEFAULT_MODEL).dims
    subjects = sorted({s for ones in SUBJECTS.values() for s in ones})
    directions = {s: rng.standard_normal(dims) for s in subjects}
    rows = store.conn.execute("SELECT p.id, p.text FROM passages p ORDER BY p.id").fetchall()
    with store.transaction():
        store.conn.execute(
            "INSERT INTO vector_meta VALUES ('model', ?), ('generation', '1'), ('dims', ?)", (DEFAULT_MODEL, str(dims))
        )
        for start in range(0, len(rows), 50_000):
            chunk = rows[start : start + 50_000]
            base = np.stack([directions[next(s for s in subjects if s in text)] for _, text in chunk])
            matrix = base + 1.5 * rng.standard_normal(base.shape)
            matrix = (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float16)
            store.conn.executemany(
                "INSERT INTO passage_vectors VALUES (?, ?, '', 1, ?)",
                [(pid, DEFAULT_MODEL, matrix[i].tobytes()) for i, (pid, _) in enumerate(chunk)],
            )


def bare_pass(store: Store) -> float:
    word = re.compile(r"\w+")
    with Timer() as timer:
        for thinker in SUBJECTS:
            for (text,) in store.stream(
                "SELECT p.text FROM passages p JOIN documents d ON d.id = p.document_id WHERE d.thinker = ?", [thinker]
            ):
                word.findall(text)
    return timer.seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000, help="passages per thinker")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    store = build(args.cache / f"compare-{args.passages}.db", args.passages)
    baseline = bare_pass(store)
    cpu = time.process_time()
    with Timer() as timer:
        result = compare(store, Identity("ann", "Ann"), Identity("ben", "Ben"))
    cpu = time.process_time() - cpu
    data = {
        "passages_per_thinker": args.passages,
        "vectors": result.vectors,
        "seconds": round(timer.seconds, 2),
        "cpu_seconds": round(cpu, 2),  # this process's CPU time: on a busy shared machine, wall time is mostly waiting
        "baseline_read_and_tokenize_seconds": round(baseline, 2),
        "ratio_to_baseline": round(timer.seconds / max(baseline, 1e-9), 1),
        "bar_seconds": BAR_SECONDS,
        "topics": {k: len(result.covered(k)) for k in ("both", "a", "b")},
        "top_words": {"a": [w.word for w in result.words_a[:5]], "b": [w.word for w in result.words_b[:5]]},
    }
    path = write_result("compare", data, out=args.out)
    print(table([("compare", "seconds", "baseline", "ratio", "bar"),
                 ("2 × " + f"{args.passages:,}", f"{timer.seconds:.1f}", f"{baseline:.1f}",
                  f"{data['ratio_to_baseline']}", str(BAR_SECONDS))]))  # fmt: skip
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
