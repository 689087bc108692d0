"""Quote verification: quality on a labelled set from the real corpora, speed on 1M synthetic passages.

Quality (needs ../shared/corpora-raw): bench/labelled/build.py imports the karpathy and
simon-willison corpora and builds the labelled set (verbatim sentences, the same with
format changes, with one or two words changed, and invented quotes); every quote is
checked and the table reports verbatim precision/recall, perturbed found rate and
not_found recall on invented quotes.

Speed: 1,000 quotes (half verbatim slices of stored passages, a quarter with one word
changed, a quarter random words) against a synthetic store of 1,000,000 tweet-sized
Zipf-text documents, built once into bench/.cache/verify-synthetic-<n>.db. Reported:
total time, per-quote p50/p95/max. Beside it, in the same run, two naive full scans
(subsampled over the first ``--scan-passages`` passages and extrapolated linearly to the
whole store, as the table says): the same matcher run on every passage, and an
exact-only ``str.find`` over the pre-normalised text held in memory.

    python bench/bench_verify.py                 # both parts, writes bench/results/verify.json
    python bench/bench_verify.py --speed-only --passages 100000

Nothing here calls a model or the network.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from common import CACHE, ZipfText, fresh_db, table, write_result  # noqa: E402

from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.models import Document, ImportReport  # noqa: E402
from deepinsights.verify import Locator  # noqa: E402
from deepinsights.verify.align import Haystack, align_approx, align_exact  # noqa: E402
from deepinsights.verify.normalize import normalize, norms  # noqa: E402

CORPORA = HERE.parent.parent / "shared" / "corpora-raw"


# -- quality -------------------------------------------------------------------------------------------


def quality(corpora: Path, *, verbatim: int = 250, invented: int = 150, seed: int = 0) -> dict[str, Any]:
    """Build the labelled set from ``corpora`` and score the verifier on it."""
    from labelled.build import build_items, import_corpora, write_items

    folder = CACHE / "labelled"
    db_path = import_corpora(corpora, folder / "labelled.db")
    store = Store(db_path)
    try:
        items = build_items(store, seed=seed, verbatim=verbatim, invented=invented)
        write_items(items, folder / "labelled.jsonl")
        locator = Locator(store)
        started = time.perf_counter()
        outcomes = [(item.label, locator.locate(item.text).status) for item in items]
        seconds = time.perf_counter() - started
    finally:
        store.close()
    return {"items": len(items), "seconds": round(seconds, 2), **score(outcomes)}


def score(outcomes: list[tuple[str, str]]) -> dict[str, Any]:
    """The quality bars from (label, status) pairs: see the module docstring."""
    tally = Counter(outcomes)
    labels = sorted({label for label, _ in outcomes})
    said_verbatim = sum(n for (_, status), n in tally.items() if status == "verbatim")
    true_verbatim = sum(
        n for (label, status), n in tally.items() if status == "verbatim" and label in ("verbatim", "format")
    )
    expected_verbatim = sum(n for (label, _), n in tally.items() if label in ("verbatim", "format"))
    perturbed = sum(n for (label, _), n in tally.items() if label in ("format", "words"))
    perturbed_found = sum(
        n for (label, status), n in tally.items() if label in ("format", "words") and status != "not_found"
    )
    invented = sum(n for (label, _), n in tally.items() if label == "invented")
    invented_missed = tally[("invented", "not_found")]
    return {
        "table": {label: {s: tally[(label, s)] for s in ("verbatim", "approximate", "not_found")} for label in labels},
        "verbatim_precision": _ratio(true_verbatim, said_verbatim),
        "verbatim_recall": _ratio(true_verbatim, expected_verbatim),
        "perturbed_found": _ratio(perturbed_found, perturbed),
        "words_approximate": _ratio(
            tally[("words", "approximate")], sum(n for (lb, _), n in tally.items() if lb == "words")
        ),
        "invented_not_found_recall": _ratio(invented_missed, invented),
        "cut_not_verbatim": _ratio(
            sum(n for (lb, s), n in tally.items() if lb == "cut" and s != "verbatim"),
            sum(n for (lb, _), n in tally.items() if lb == "cut"),
        ),
    }


def _ratio(a: int, b: int) -> float | None:
    return round(a / b, 4) if b else None


# -- speed ---------------------------------------------------------------------------------------------


def synthetic_db(passages: int) -> Path:
    """A store of ``passages`` synthetic documents (one passage each, a tenth long ones), built once."""
    path = CACHE / f"verify-synthetic-{passages}.db"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)  # a fresh clone has no bench/.cache yet
    partial = fresh_db(path.with_suffix(".partial.db"))
    store = Store(partial)
    text, start = ZipfText(seed=7), datetime(2024, 1, 1, tzinfo=UTC)
    report = ImportReport()

    def documents() -> Any:
        for i in range(passages):
            body = text.tweet() if i % 10 else " ".join(text.words(text.rng.randint(60, 220)))
            yield Document("synthetic", str(i), "tweet", body, published_at=start - timedelta(minutes=7 * i))

    try:
        with store.transaction():
            store.upsert_documents(documents(), report, thinker="synthetic")
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        store.close()
    partial.replace(path)
    return path


def sample_quotes(store: Store, n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, text): half verbatim slices of random passages, a quarter with one word changed, a quarter invented."""
    rng, text = random.Random(seed), ZipfText(seed=seed)
    top = int(store.rows("SELECT max(id) AS m FROM passages")[0]["m"])
    quotes: list[tuple[str, str]] = []
    while len(quotes) < n:
        kind = ("verbatim", "verbatim", "changed", "invented")[len(quotes) % 4]
        if kind == "invented":
            quotes.append((kind, " ".join(text.words(rng.randint(8, 20)))))
            continue
        row = store.rows("SELECT text FROM passages WHERE id = ?", [rng.randint(1, top)])
        words = row[0]["text"].split() if row else []
        if len(words) < 8:
            continue
        size = rng.randint(8, min(20, len(words)))
        at = rng.randint(0, len(words) - size)
        chosen = words[at : at + size]
        if kind == "changed":
            chosen[rng.randrange(size)] = text.words(1)[0] + "x"
        quotes.append((kind, " ".join(chosen)))
    return quotes


def speed(passages: int, quotes: int, scan_passages: int) -> dict[str, Any]:
    cached = (CACHE / f"verify-synthetic-{passages}.db").exists()
    built = time.perf_counter()
    path = synthetic_db(passages)
    build_seconds = None if cached else round(time.perf_counter() - built, 1)
    store = Store(path, read_only=True)
    try:
        sample = sample_quotes(store, quotes)
        locator = Locator(store)
        times, statuses = [], Counter()
        started = time.perf_counter()
        for kind, quote in sample:
            t0 = time.perf_counter()
            statuses[(kind, locator.locate(quote).status)] += 1
            times.append(time.perf_counter() - t0)
        total = time.perf_counter() - started
        baseline = _baselines(store, [q for _, q in sample[:3]], scan_passages, passages, quotes)
    finally:
        store.close()
    times_ms = sorted(t * 1000 for t in times)
    return {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "passages": passages,
        "quotes": quotes,
        "db_build_seconds": build_seconds,
        "db_cached": cached,
        "db_mib": round(path.stat().st_size / 2**20, 1),
        "total_seconds": round(total, 3),
        "p50_ms": round(statistics.median(times_ms), 2),
        "p95_ms": round(times_ms[int(len(times_ms) * 0.95) - 1], 2),
        "max_ms": round(times_ms[-1], 2),
        "statuses": {f"{k}:{s}": n for (k, s), n in sorted(statuses.items())},
        "baseline": baseline,
    }


def _baselines(store: Store, quotes: list[str], scan: int, passages: int, total_quotes: int) -> dict[str, Any]:
    """Two naive full scans over the first ``scan`` passages, extrapolated to ``passages``."""
    rows = [r["text"] for r in store.rows("SELECT text FROM passages ORDER BY id LIMIT ?", [scan])]
    factor = passages / len(rows)
    started = time.perf_counter()
    for quote in quotes:
        fragments = [norms(quote)]
        for text in rows:
            hay = Haystack.of(norms(text))
            if align_exact(fragments, hay) is None:
                align_approx(fragments, hay)
    matcher = (time.perf_counter() - started) / len(quotes) * factor
    started = time.perf_counter()
    big = "\x00".join(" " + normalize(text) + " " for text in rows)
    prepare = (time.perf_counter() - started) * factor
    started = time.perf_counter()
    for quote in quotes * 10:
        big.find(" " + normalize(quote) + " ")
    find = (time.perf_counter() - started) / (len(quotes) * 10) * factor
    return {
        "measured_on_passages": len(rows),
        "extrapolated_to": passages,
        "full_scan_matcher_seconds_per_quote": round(matcher, 2),
        "full_scan_matcher_seconds_all_quotes": round(matcher * total_quotes, 0),
        "exact_find_prepare_seconds": round(prepare, 1),
        "exact_find_seconds_per_quote": round(find, 4),
        "exact_find_seconds_all_quotes": round(prepare + find * total_quotes, 1),
    }


# -- the Karpathy example ------------------------------------------------------------------------------


DEMO_URL_TEMPLATE = "https://karpathy.github.io/{year}/{month}/{day}/{slug}/"


def karpathy_example(corpora: Path, out: Path, *, workdir: Path | None = None) -> Path:
    """Import the shared Karpathy corpus, verify the packaged profile, write the Markdown summary to ``out``."""
    from deepinsights.importers import ImportOptions
    from deepinsights.ingest import run_import
    from deepinsights.profile import load_profile
    from deepinsights.verify import verify_profile

    db_path = fresh_db((workdir or CACHE) / "verify-karpathy.db")
    db_path.parent.mkdir(parents=True, exist_ok=True)
    store = Store(db_path)
    try:
        options = ImportOptions(thinker="karpathy", url_template=DEMO_URL_TEMPLATE, exclude=("SOURCES.md",))
        run_import(store, [str(corpora / "karpathy")], options)  # as `make demo` imports it
        report = verify_profile(load_profile("karpathy"), store)
        kinds = store.stats("karpathy")
    finally:
        store.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render_example(report, kinds), encoding="utf-8")
    return out


def _cell(value: Any, limit: int = 90) -> str:
    text = " ".join(str("—" if value is None else value).split())
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return text.replace("|", "\\|")


def _rows(header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]


def render_example(report: Any, kinds: list[dict[str, Any]]) -> str:
    """The report as Markdown: summary, what to act on, then one table per section (no corpus excerpts)."""
    s = report.summary
    lines = [
        "# `insights verify karpathy` on the shared Karpathy corpus",
        "",
        "Generated by `python bench/bench_verify.py --karpathy-example docs/examples/verify-karpathy.md` from",
        "`../shared/corpora-raw/karpathy` (imported as `make demo` imports it) and the packaged",
        "profile `deepinsights/profiles/karpathy.yaml`. Regenerate it after changing the profile, an importer or",
        "the verifier. Document titles are cited; corpus text is not copied here.",
        "",
        f"Corpus: {report.documents} documents — "
        + ", ".join(f"{k['items']} {k['kind']}" for k in kinds) + ".",
        "",
        f"**Summary:** {s.line()}",
        "",
        "## What a reader can act on",
        "",
        *_actions(report, {k["kind"] for k in kinds}),
        "",
        "## Quotes",
        "",
        *_rows(("status", "score", "item", "quote", "found in (or closest, for reference; or why not checked)"), [
            (q.status, f"{q.result.score:.2f}", q.item, q.result.text, q.gap.reason if q.gap else _place(q.result))
            for q in report.quotes
        ]),
        "",
        "## Counts",
        "",
        *_rows(("item", "claimed", "measured", "status", "recounted by"), [
            (c.id, c.claimed, c.measured, c.status,
             " ".join(filter(None, [c.query, ",".join(c.kinds), c.gap.reason if c.gap else c.note])))
            for c in report.counts
        ]),
        "",
        f"## Mental-model order (claimed by frequency: {'yes' if report.order.claimed else 'no'}; "
        f"Spearman ρ {'n/a' if s.spearman is None else format(s.spearman, '+.2f')})",
        "",
        *_rows(("rank", "model", "documents", "measured rank"), [
            (r.rank, r.title, r.documents, r.measured_rank) for r in report.order.rows
        ]),
        "",
        "## Sources",
        "",
        *_rows(("status", "source", "matched documents", "cited by"), [
            (x.status, x.title, ", ".join(d.title or d.id for d in x.documents[:3]), len(x.cited_by))
            for x in report.sources
        ]),
        "",
        "## Known gaps",
        "",
        "Listed by the profile: " + "; ".join(report.known_gaps) + ".",
        "",
        "Computed (cited by the profile, not found in this corpus): " + "; ".join(report.computed_gaps) + ".",
        "",
    ]  # fmt: skip
    return "\n".join(lines)


def _place(result: Any) -> str:
    loc = result.location or result.closest
    if loc is None:
        return "—"
    prefix = "" if result.location else "closest: "
    return f"{prefix}{loc.title or loc.kind} ({loc.kind}, {(loc.published_at or 'undated')[:10]})"


def _actions(report: Any, present: set[str]) -> list[str]:
    s = report.summary
    total = sum(s.quotes.values())
    actions = [
        f"- {s.quotes['verbatim']} of {total} quotes are verbatim in this corpus, {s.quotes['approximate']} "
        f"approximate, {s.quotes['not_found']} not found, and {s.quotes['unverifiable_here']} unverifiable here: "
        "they cite tweets, podcasts and essays this corpus does not hold, so they are counted apart, not as "
        "mismatches.",
        f"- The grounding score, {s.grounding:.1f}/100, is computed over the {s.scored_claims} claims this corpus "
        f"can check; {s.unverifiable_here} more wait for their sources:",
        *(f"  - {line.removeprefix('unverifiable here: ')}" for line in s.here_lines()),
    ]
    mismatched = [c.id for c in report.counts if c.status == "mismatch" and c.measured]
    if mismatched:
        actions.append(f"- Claims measured but different from the profile: {', '.join(mismatched)}.")
    if s.spearman is not None:
        strength = "strong" if s.spearman >= 0.7 else "partial" if s.spearman >= 0.3 else "weak or no"
        actions.append(
            f"- Mental-model order vs measured frequency: Spearman ρ = {s.spearman:+.2f} "
            f"({strength} agreement on this corpus)."
        )
    return actions


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--quotes", type=int, default=1000)
    parser.add_argument("--scan-passages", type=int, default=20_000)
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--speed-only", action="store_true")
    parser.add_argument("--quality-only", action="store_true")
    parser.add_argument(
        "--karpathy-example",
        type=Path,
        metavar="OUT.md",
        help="Only write the verify report summary for the shared Karpathy corpus to OUT.md.",
    )
    args = parser.parse_args(argv)
    if args.karpathy_example:
        print(f"wrote {karpathy_example(args.corpora, args.karpathy_example)}")
        return 0
    result: dict[str, Any] = {}
    if not args.speed_only:
        result["quality"] = quality(args.corpora)
        print_quality(result["quality"])
    if not args.quality_only:
        result["speed"] = speed(args.passages, args.quotes, args.scan_passages)
        print_speed(result["speed"])
    path = write_result("verify", result)
    print(f"wrote {path}")
    return 0


def print_quality(q: dict[str, Any]) -> None:
    rows = [("label", "verbatim", "approximate", "not_found")]
    rows += [(label, *(str(c[s]) for s in ("verbatim", "approximate", "not_found"))) for label, c in q["table"].items()]
    print(table(rows))
    for key in (
        "verbatim_precision",
        "verbatim_recall",
        "perturbed_found",
        "words_approximate",
        "invented_not_found_recall",
        "cut_not_verbatim",
    ):
        print(f"{key}: {q.get(key)}")


def print_speed(s: dict[str, Any]) -> None:
    b = s["baseline"]
    print(
        f"{s['quotes']} quotes vs {s['passages']:,} passages: {s['total_seconds']} s, p50 {s['p50_ms']} ms, "
        f"p95 {s['p95_ms']} ms, max {s['max_ms']} ms"
    )
    print(
        f"full scan, same matcher (extrapolated from {b['measured_on_passages']:,} passages): "
        f"{b['full_scan_matcher_seconds_per_quote']} s/quote, {b['full_scan_matcher_seconds_all_quotes']:,} s in all"
    )
    print(
        f"full scan, exact str.find over pre-normalised text: {b['exact_find_prepare_seconds']} s to prepare, "
        f"{b['exact_find_seconds_per_quote']} s/quote, {b['exact_find_seconds_all_quotes']} s in all"
    )


if __name__ == "__main__":
    raise SystemExit(main())
