"""Grounded-ask quality and timing on the real Karpathy corpus in ../shared.

For each question in bench/queries/ask_questions.jsonl (written for this project: 33 the
corpus covers, 11 it does not) it reports whether ask declined, whether an answered question
got at least one valid citation, the share of sentences per label, time to first token,
total time, and the overhead of retrieval + checking relative to the model's time.

    python bench/bench_ask.py -m qwen2.5-coder-0.5b      # with the offline model
    python bench/bench_ask.py --retrieval-only           # declines only, no model
    python bench/bench_ask.py --recheck                  # the checker, on the answers already stored

Writes bench/results/ask.json. ``--recheck`` runs no model: it re-retrieves the passages of
each stored answer, checks it again with the current checker and writes, beside the labels
stored with it (the checker of that run), the new ones and every sentence whose label
changed, to bench/results/ask-recheck.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from deepinsights.ask import ask, is_relevant, retrieve  # noqa: E402
from deepinsights.ask.check import check_answer  # noqa: E402
from deepinsights.ask.models import choose_model  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402
from deepinsights.models import SearchFilter  # noqa: E402
from deepinsights.profile import load_profile  # noqa: E402

CORPUS = Path(os.environ.get("DEEPINSIGHTS_SHARED", HERE.parent.parent / "shared")) / "corpora-raw" / "karpathy"
CACHE = HERE / ".cache" / "ask-karpathy.db"


def workspace() -> Store:
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    store = Store(CACHE)
    if not store.document_count():
        run_import(store, [str(CORPUS)], ImportOptions(thinker="karpathy"))
    return store


def run(model_name: str | None, limit: int | None) -> dict[str, object]:
    store = workspace()
    profile = load_profile("karpathy")
    model = None if model_name is None else choose_model(model_name)
    questions = [json.loads(line) for line in (HERE / "queries" / "ask_questions.jsonl").read_text().splitlines()]
    rows = [_one(q, store, profile, model) for q in questions[:limit]]
    return _summary(rows, model_name)


def _one(item: dict[str, object], store: Store, profile: object, model: object) -> dict[str, object]:
    question = str(item["q"])
    started = time.perf_counter()
    passages = retrieve(store, question, SearchFilter(thinker="karpathy"))
    declined = not passages or not is_relevant(question, passages[0])
    retrieval = time.perf_counter() - started
    row: dict[str, object] = {"q": question, "covered": item["covered"], "declined": declined, "retrieval_s": retrieval}
    if model is None or declined:
        return row
    first: list[float] = []
    t0 = time.perf_counter()
    answer = ask(question, profile, store, model, on_chunk=lambda _: first or first.append(time.perf_counter()))  # type: ignore[arg-type]
    total = time.perf_counter() - t0
    c0 = time.perf_counter()
    check_answer(answer.answer, {p.n: p.text for p in answer.passages})
    check = time.perf_counter() - c0
    labels = [s.label for s in answer.sentences]
    row.update(
        answer=answer.answer,
        labels=labels,
        valid_citation=any(s.label in ("quoted", "cited") for s in answer.sentences),
        ttft_s=(first[0] - t0) if first else None,
        total_s=total,
        overhead_s=retrieval + check,
    )
    return row


def _summary(rows: list[dict[str, object]], model_name: str | None) -> dict[str, object]:
    uncovered = [r for r in rows if not r["covered"]]
    covered = [r for r in rows if r["covered"]]
    answered = [r for r in covered if "labels" in r]
    labels = [label for r in answered for label in r["labels"]]  # type: ignore[attr-defined]
    model_times = [float(r["total_s"]) for r in answered]  # type: ignore[arg-type]
    overheads = [float(r["overhead_s"]) for r in answered]  # type: ignore[arg-type]
    return {
        "benchmark": "ask",
        "machine": {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()},
        "model": model_name,
        "questions": len(rows),
        "declined_uncovered_rate": sum(bool(r["declined"]) for r in uncovered) / max(len(uncovered), 1),
        "declined_covered_rate": sum(bool(r["declined"]) for r in covered) / max(len(covered), 1),
        "answered_with_valid_citation_rate": (
            sum(bool(r.get("valid_citation")) for r in covered) / max(len(covered), 1) if model_name else None
        ),
        "label_share": {k: labels.count(k) / len(labels) for k in ("quoted", "cited", "extrapolation")}
        if labels
        else {},
        "ttft_s_median": statistics.median([float(r["ttft_s"]) for r in answered if r.get("ttft_s")])
        if answered
        else None,
        "total_s_median": statistics.median(model_times) if model_times else None,
        "overhead_ratio": (sum(overheads) / sum(model_times)) if model_times else None,
        "rows": rows,
    }


def recheck() -> dict[str, object]:
    """Check the answers stored in results/ask.json again; the stored labels are the baseline."""
    stored = json.loads((HERE / "results" / "ask.json").read_text())
    store = workspace()
    before: list[str] = []
    after: list[str] = []
    changed: list[dict[str, object]] = []
    for row in stored["rows"]:
        if "answer" not in row:
            continue
        passages = retrieve(store, row["q"], SearchFilter(thinker="karpathy"))
        sentences = check_answer(row["answer"], {p.n: p.text for p in passages})
        before += row["labels"]
        after += [s.label for s in sentences]
        old = dict(zip(_sentences(row["answer"]), row["labels"], strict=False))
        changed += [
            {"q": row["q"], "sentence": s.text, "was": old.get(s.text), "now": s.label, "flags": s.flags}
            for s in sentences
            if old.get(s.text) != s.label
        ]
    return {"benchmark": "ask-recheck", "model": stored["model"], "sentences_before": len(before),
            "sentences_after": len(after), "label_share_stored": _share(before), "label_share_now": _share(after),
            "changed": changed}  # fmt: skip


def _share(labels: list[str]) -> dict[str, float]:
    return {k: round(labels.count(k) / max(len(labels), 1), 4) for k in ("quoted", "cited", "extrapolation")}


def _sentences(answer: str) -> list[str]:
    from deepinsights.ask.check import split_sentences

    return split_sentences(answer)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-m", "--model", help="llm model id (e.g. qwen2.5-coder-0.5b)")
    parser.add_argument("--retrieval-only", action="store_true")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--recheck", action="store_true", help="re-check the stored answers; no model")
    args = parser.parse_args()
    if args.recheck:
        checked = recheck()
        (HERE / "results" / "ask-recheck.json").write_text(json.dumps(checked, indent=2, ensure_ascii=False) + "\n")
        for key, value in checked.items():
            print(f"{key:24} {value if key != 'changed' else len(value)}")
        return
    result = run(None if args.retrieval_only else args.model, args.limit)
    out = HERE / "results" / "ask.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    for key, value in result.items():
        if key != "rows":
            print(f"{key:36} {value}")


if __name__ == "__main__":
    main()
