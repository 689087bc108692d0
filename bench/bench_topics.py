"""Topics, eras and predictions of ``insights distill`` on the two shared corpora, against a baseline.

For Karpathy's and Simon Willison's corpora (``../shared/corpora-raw``, imported and indexed
into bench/.cache/topics/ once), it runs ``distill`` and checks, with rules that do not use
distill's own filters:

* **labels** — no markup, boilerplate or own-name word among the labels of the 30 largest
  topics (their first three phrases; all eight phrases reported too) or any era name. A word is
  *markup* when nine in ten of its occurrences in the stored text fall inside a URL, an HTML
  tag or entity, LaTeX, or a span the importer marked as code or math (a word the thinker also
  writes in prose, such as "pytest" or "text", is not); *boilerplate* when
  at least half fall inside lines repeated in three or more documents or spans marked as
  boilerplate or licence; *own name* when it holds a part of the thinker's name, handle or host.
  The baseline is distill's token themes before topics (``token_themes.py``), checked alike.
* **eras** — every era has at least two representative passages, each found in the own-word
  text of its document (``ownwords.own_text``), and a boundary where a feed ends or starts is
  reported as such.
* **predictions** — each prediction sentence is found in the own-word text of its document;
  precision of "states an expectation about the future" on the blind-labelled sample
  (``bench/labelled/predictions-labels.jsonl``), per method (distill; the regex it used before,
  ``baseline_predictions.py``, also on its seeded random draw alone) and per corpus, with 95%
  Wilson intervals (``--sample`` writes the sample to label, see ``bench/labelled/predictions.md``).
* **topics and eras** — stability of the topics on 90% subsamples, catch-all (``mixed``) topics,
  and how far era boundaries move on ten 90% document subsamples.
* **framings** — every example sentence reads as prose (no code syntax, no cut markup); each
  mental model recurs in three own-word documents and two topics; the models listed with their
  documents, topics and first example (the two other shared corpora too, on LSA topics).

    python bench/bench_topics.py [--predictions-only] [--sample 25]

Writes bench/results/topics.json (with --predictions-only, bench/results/predictions.json).
"""

from __future__ import annotations

import argparse
import bisect
import hashlib
import json
import os
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from baseline_predictions import baseline_predictions  # noqa: E402
from token_themes import token_themes  # noqa: E402

from deepinsights import ownwords  # noqa: E402
from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.distill import distill  # noqa: E402
from deepinsights.distill.prose import GAP  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402
from deepinsights.semantic import build_index  # noqa: E402

CORPORA = Path(os.environ.get("DEEPINSIGHTS_SHARED", HERE.parent.parent / "shared")) / "corpora-raw"
WORK = HERE / ".cache" / "topics"
LABELLED = HERE / "labelled" / "predictions-labels.jsonl"
SAMPLE = HERE / "labelled" / "predictions-sample.jsonl"
# the texts to label hold corpus text: outside the repository, where the labeller reads them
TO_LABEL = Path(os.environ.get("DEEPINSIGHTS_LABEL_DIR", "/work/label-predictions")) / "predictions-to-label.jsonl"
CONTEXT = 300  # characters of the passage shown on each side of a candidate sentence
QUESTION = (
    "Does the sentence, read in its context, state an expectation about the future: the writer or speaker "
    "expects, predicts or bets that something will happen or be the case later?"
)
# folder → (slug, the thinker's own names, handles and hosts)
THINKERS = {
    "karpathy": ("karpathy", ["Andrej", "Karpathy", "karpathy.github.io"]),
    "simon-willison": ("simonw", ["Simon", "Willison", "simonw", "simonwillison.net"]),
}
# the other two shared corpora add prediction candidates to the blind sample only
MORE_PREDICTIONS = {"andreruffert": "andreruffert", "dealingwith": "dealingwith"}
PROFILED = {slug for slug, _ in THINKERS.values()}
TOP = 30
FRAMING_DOCUMENTS = 3
BASELINE_DRAW = 25  # baseline candidates drawn per profiled corpus into the blind sample
MARKUP_SHARE = 0.9  # a word is markup when nine in ten of its occurrences are inside markup
URLISH = re.compile(
    r"https?://\S+|www\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|dev|ai|edu|gov|co|uk|html?|md|py|js)\b\S*"
)
MARKUP_CONTEXT = re.compile(URLISH.pattern + r"|<[^<>\n]{1,300}>|&#?\w+;|\$[^$\n]{1,300}\$|\\[A-Za-z]+")
TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")


def workspace(folder: str, slug: str, *, index: bool = True) -> Store:
    """The corpus imported (own words marked) and, with ``index``, indexed; cached in bench/.cache/topics/."""
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / f"{slug}.db"
    store = Store(path)
    if not store.document_count():
        run_import(store, [str(CORPORA / folder)], ImportOptions(thinker=slug, exclude=("SOURCES.md",)))
    if index:
        build_index(store)
    return store


class WordContexts:
    """For every word of a thinker's stored text: occurrences, and those inside markup or boilerplate."""

    def __init__(self, store: Store, thinker: str) -> None:
        self.total: Counter[str] = Counter()
        self.markup: Counter[str] = Counter()
        self.boilerplate: Counter[str] = Counter()
        documents = store.rows("SELECT text, others FROM documents WHERE thinker = ?", [thinker])
        lines = Counter(line for d in documents for line in {_norm(x) for x in d["text"].splitlines() if x.strip()})
        repeated = {line for line, n in lines.items() if n >= 3 and len(line.split()) >= 2}
        for d in documents:
            self._add(d["text"], ownwords.loads(d["others"]), repeated)

    def _add(self, text: str, spans: tuple[Any, ...], repeated: set[str]) -> None:
        markup = [(m.start(), m.end()) for m in MARKUP_CONTEXT.finditer(text)]
        markup += [(s.start, s.end) for s in spans if s.reason in ("code", "math")]
        boiler = [(s.start, s.end) for s in spans if s.reason in ("boilerplate", "license")]
        at = 0
        for line in text.splitlines(keepends=True):
            if _norm(line) in repeated:
                boiler.append((at, at + len(line)))
            at += len(line)
        inside_markup, inside_boiler = _membership(markup), _membership(boiler)
        for m in TOKEN.finditer(text):
            word = m.group(0).lower().strip("'-")
            self.total[word] += 1
            self.markup[word] += inside_markup(m.start())
            self.boilerplate[word] += inside_boiler(m.start())

    def verdict(self, word: str, own: list[str]) -> str | None:
        """'markup', 'boilerplate', 'own name' or None for a clean word."""
        lower = word.lower()
        if any(part in lower for part in own):
            return "own name"
        n = self.total[lower]
        if n and self.markup[lower] >= MARKUP_SHARE * n:
            return "markup"
        if n and self.boilerplate[lower] >= n / 2:
            return "boilerplate"
        return None


def _norm(line: str) -> str:
    return " ".join(re.sub(r"\d+", "0", line.lower()).split())


def _membership(ranges: list[tuple[int, int]]) -> Any:
    """A test 'is offset x inside one of these ranges' (ranges merged, bisected)."""
    merged: list[list[int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    starts = [r[0] for r in merged]

    def inside(x: int) -> bool:
        i = bisect.bisect_right(starts, x) - 1
        return i >= 0 and x < merged[i][1]

    return inside


def check_labels(labels: list[str], contexts: WordContexts, own: list[str]) -> dict[str, Any]:
    """Every word of every label judged; the labels holding a bad word, with the reason."""
    bad = []
    for label in labels:
        reasons = {w: contexts.verdict(w, own) for w in TOKEN.findall(label)}
        found = {w: r for w, r in reasons.items() if r}
        if found:
            bad.append({"label": label, "words": found})
    return {"labels": len(labels), "bad": len(bad), "bad_labels": bad}


def check_framings(framings: list[Any]) -> dict[str, Any]:
    """Framings judged without distill's own filters: each example sentence must read as prose
    (no code syntax, no cut markup, no quoted literal typed or clicked), and a mental model must
    recur in at least ``FRAMING_DOCUMENTS`` own-word documents and two topics."""
    models = [f for f in framings if f.mental_model]
    not_prose = [f.key for f in framings if any(_not_prose(sentence) for _, sentence in f.examples)]
    return {
        "framings": len(framings),
        "mental_models": len(models),
        "mental_models_in_3_documents_and_2_topics": sum(
            len(f.documents) >= FRAMING_DOCUMENTS and len(f.topics) >= 2 for f in models
        ),
        "with_an_example_not_prose": not_prose,
        "by_kind": dict(Counter(f.kind for f in models)),
        "models": [
            {
                "framing": f.key,
                "kind": f.kind,
                "wordings": [w for w, _ in f.wordings.most_common(3)],
                "documents": len(f.documents),
                "topics": len(f.topics),
                "example": f.examples[0][1][:200] if f.examples else None,
            }
            for f in models[:12]
        ],
    }


def _not_prose(sentence: str) -> bool:
    return bool(re.search(r"[{};=<>]|\w\(|\w_\w|`", sentence)) or GAP.strip() in sentence


def own_text_of(store: Store, document_id: str) -> str:
    row = store.rows("SELECT text, others FROM documents WHERE id = ?", [document_id])[0]
    return " ".join(ownwords.own_text(row["text"], ownwords.loads(row["others"])).split())


def in_own_words(store: Store, document_id: str, text: str) -> bool:
    """True when the longest gap-free stretch of ``text`` (first 80 characters) is in the document's own words."""
    piece = max((" ".join(p.split()) for p in text.split(GAP.strip())), key=len)[:80]
    return bool(piece) and piece in own_text_of(store, document_id)


def measure(folder: str) -> dict[str, Any]:
    slug, own_names = THINKERS[folder]
    own = [n.lower().split(".")[0] for n in own_names]
    store = workspace(folder, slug)
    started = time.perf_counter()
    report = distill(store, slug)
    seconds = time.perf_counter() - started
    contexts = WordContexts(store, slug)
    topics = report.topics.topics[:TOP]
    mixed = [t for t in report.topics.topics if t.mixed]
    baseline = [term for term, _ in token_themes(store, slug, TOP)]
    eras = report.eras
    era_checks = [
        {
            "era": f"{e.start} – {e.end}",
            "name": e.name,
            "representatives": len(e.representatives),
            "own_word_representatives": sum(in_own_words(store, p.document_id, p.text) for p in e.representatives),
            "source_change": e.source_change,
        }
        for e in eras
    ]
    predictions = report.predictions
    own_predictions = sum(in_own_words(store, p.passage.document_id, p.text) for p in predictions)
    result = {
        "thinker": slug,
        "passages": report.passages,
        "own_word_passages": report.findings.passages,
        "distill_seconds": round(seconds, 1),
        "vectors": report.topics.vectors,
        "topics": len(report.topics.topics),
        "topic_stability": report.topics.stability,
        "top_labels": [t.label for t in topics],
        "labels_check": check_labels([t.label for t in topics], contexts, own),
        "all_phrases_check": check_labels([p for t in topics for p in t.phrases], contexts, own),
        "era_labels_check": check_labels([e.name for e in eras], contexts, own),
        "baseline_token_themes": baseline,
        "baseline_check": check_labels(baseline, contexts, own),
        "eras": era_checks,
        "every_era_has_two_own_word_passages": all(e["own_word_representatives"] >= 2 for e in era_checks),
        "era_robustness": report.findings.era_robustness,
        "predictions": len(predictions),
        "predictions_in_own_words": own_predictions,
        "mixed_topics": [{"label": t.label, "passages": t.passages, "coherence": t.coherence} for t in mixed],
        "largest_coherent_topic": next((t.label for t in report.topics.topics if not t.mixed), None),
        "framings_check": check_framings(report.findings.framings),
        "signature_vocabulary": [w.word for w in report.findings.vocabulary[:20]],
    }
    store.close()
    return result


def framings_elsewhere() -> dict[str, Any]:
    """Framings of the two other shared corpora (topics on LSA vectors: these corpora are not
    indexed here), judged as the profiled corpora's are."""
    from deepinsights.distill.framings import find_framings
    from deepinsights.distill.own import own_passages
    from deepinsights.distill.topics import find_topics
    from deepinsights.distill.vectors import lsa

    out = {}
    for folder, slug in MORE_PREDICTIONS.items():
        store = workspace(folder, slug, index=False)
        passages = own_passages(store, slug)
        topics = find_topics(passages, lsa([p.text for p in passages]), "lsa", {slug}, stability=False)
        out[slug] = {"own_word_passages": len(passages)} | check_framings(find_framings(passages, topics.assignment))
        store.close()
    return out


def _candidate(store: Store, slug: str, passage: Any, sentence: str) -> dict[str, Any]:
    """A prediction candidate as the labeller sees it: id, sentence, date and the passage around it."""
    row = store.rows("SELECT source_id FROM documents WHERE id = ?", [passage.document_id])[0]
    key = hashlib.sha1(f"{slug}\n{row['source_id']}\n{sentence}".encode()).hexdigest()[:12]
    at = max(0, " ".join(passage.text.split()).find(sentence[:60]))
    context = " ".join(passage.text.split())
    return {
        "id": key,
        "thinker": slug,
        "source_id": row["source_id"],
        "made": passage.published_at[:10] if passage.published_at else None,
        "text": sentence,
        "context": context[max(0, at - CONTEXT) : at + len(sentence) + CONTEXT],
    }


def prediction_candidates(slug: str, store: Store) -> dict[str, list[dict[str, Any]]]:
    """Every prediction candidate of distill and of the baseline regex on one corpus's own words
    (no vectors needed: revisits are not judged)."""
    import numpy as np

    from deepinsights.distill.own import own_passages
    from deepinsights.distill.predictions import find_predictions

    passages = own_passages(store, slug)
    distilled = find_predictions(passages, np.zeros((0, 1), dtype=np.float32), limit=100_000)
    return {
        "distill": [_candidate(store, slug, p.passage, p.text) for p in distilled],
        "baseline": [_candidate(store, slug, passage, s[:300]) for passage, s in baseline_predictions(passages)],
    }


def all_candidates() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """thinker → method → candidates, on the two profiled corpora and the two others."""
    found = {}
    for folder, (slug, _) in THINKERS.items():
        store = workspace(folder, slug, index=False)
        found[slug] = prediction_candidates(slug, store)
        store.close()
    for folder, slug in MORE_PREDICTIONS.items():
        store = workspace(folder, slug, index=False)
        found[slug] = prediction_candidates(slug, store)
        store.close()
    return found


def precision(found: dict[str, dict[str, list[dict[str, Any]]]]) -> dict[str, Any] | None:
    """Per method and thinker: labelled 'yes' among the labelled candidates the method finds now,
    and how many of its candidates are labelled. Every distill candidate is in the sample; the
    baseline's labelled ones are its seeded random draw plus those distill also finds, so the
    baseline is also scored on its random draw alone (``baseline_random_draw``: the fair figure)."""
    if not LABELLED.exists():
        return None
    labels = {r["id"]: r["label"] for r in map(json.loads, LABELLED.read_text().splitlines()) if r.get("label")}
    out: dict[str, Any] = {"labelled": len(labels), "question": QUESTION}
    for method in ("distill", "baseline"):
        per: dict[str, Any] = {}
        pooled: list[str] = []
        every: list[str] = []
        for slug, methods in found.items():
            judged = [labels[c["id"]] for c in methods[method] if c["id"] in labels]
            per[slug] = _share(judged) | {"candidates": len(methods[method])}
            pooled += judged if slug in PROFILED else []
            every += judged
        out[method] = {"karpathy_and_simonw": _share(pooled), "all_four": _share(every), "by_thinker": per}
    draw = baseline_draw(found, BASELINE_DRAW)
    sampled = {json.loads(line)["id"] for line in SAMPLE.read_text().splitlines()} if SAMPLE.exists() else set()
    out["baseline_random_draw"] = {
        "per_thinker": BASELINE_DRAW,
        "same_draw_as_the_sample": all(i in sampled for ids in draw.values() for i in ids),
        "karpathy_and_simonw": _share([labels[i] for ids in draw.values() for i in ids if i in labels]),
        "by_thinker": {slug: _share([labels[i] for i in ids if i in labels]) for slug, ids in draw.items()},
    }
    return out


def baseline_draw(
    found: dict[str, dict[str, list[dict[str, Any]]]], per_thinker: int, rng: random.Random | None = None
) -> dict[str, list[str]]:
    """The seeded random ``per_thinker`` of the baseline's candidates on each profiled corpus, as
    the blind sample drew them (``random.Random(18)``, corpora in order)."""
    rng = rng or random.Random(18)
    drawn = {}
    for slug, methods in found.items():
        if slug in PROFILED:
            baseline = methods["baseline"]
            drawn[slug] = [c["id"] for c in rng.sample(baseline, min(per_thinker, len(baseline)))]
    return drawn


def _share(labels: list[str]) -> dict[str, Any]:
    """Labelled 'yes' among ``labels``, with a 95% Wilson interval (few labels: a wide one)."""
    yes, n = sum(label == "yes" for label in labels), len(labels)
    if not n:
        return {"yes": 0, "labelled": 0, "precision": None, "interval_95": None}
    p, z = yes / n, 1.96
    centre, half = (
        (p + z * z / (2 * n)) / (1 + z * z / n),
        z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n),
    )
    return {
        "yes": yes,
        "labelled": n,
        "precision": round(p, 3),
        "interval_95": [round(centre - half, 2), round(centre + half, 2)],
    }


def write_sample(found: dict[str, dict[str, list[dict[str, Any]]]], baseline_per_thinker: int) -> None:
    """The sample to label blind: every distill candidate of the four corpora, and a seeded random
    ``baseline_per_thinker`` of the baseline's on Karpathy's and Simon Willison's, shuffled together
    (seed 18) so nothing says which method found which. Ids (committed) and texts (outside the
    repository: they hold corpus text) are written apart."""
    chosen: dict[str, dict[str, Any]] = {c["id"]: c for methods in found.values() for c in methods["distill"]}
    rng = random.Random(18)
    drawn = {i for ids in baseline_draw(found, baseline_per_thinker, rng).values() for i in ids}
    chosen |= {c["id"]: c for methods in found.values() for c in methods["baseline"] if c["id"] in drawn}
    sample = sorted(chosen.values(), key=lambda c: c["id"])
    rng.shuffle(sample)
    SAMPLE.write_text("".join(json.dumps({k: c[k] for k in ("id", "thinker", "source_id")}) + "\n" for c in sample))
    TO_LABEL.parent.mkdir(parents=True, exist_ok=True)
    fields = ("id", "thinker", "made", "text", "context")
    TO_LABEL.write_text("".join(json.dumps({k: c[k] for k in fields}) + "\n" for c in sample))
    print(f"wrote {len(sample)} ids to {SAMPLE} and their texts to {TO_LABEL} (to label; never commit it)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--sample",
        type=int,
        help=f"write the blind sample, with this many baseline candidates per thinker (it was {BASELINE_DRAW})",
    )
    parser.add_argument("--predictions-only", action="store_true", help="prediction candidates and precision only")
    args = parser.parse_args()
    found = all_candidates()
    if args.sample:
        write_sample(found, args.sample)
    results = []
    if not args.predictions_only:
        for folder in THINKERS:
            result = measure(folder)
            results.append(result)
            print(json.dumps({k: result[k] for k in ("thinker", "labels_check", "baseline_check")}, indent=1)[:2000])
    out = {
        "benchmark": "distill topics, eras and predictions",
        "corpora": results,
        "framings_of_the_other_corpora": None if args.predictions_only else framings_elsewhere(),
        "prediction_candidates": {slug: {m: len(c) for m, c in methods.items()} for slug, methods in found.items()},
        "predictions": precision(found),
    }
    (HERE / "results" / ("predictions.json" if args.predictions_only else "topics.json")).write_text(
        json.dumps(out, indent=2) + "\n"
    )
    print(json.dumps(out["predictions"], indent=1))


if __name__ == "__main__":
    main()
