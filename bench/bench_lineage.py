"""Typed lineage on the real corpora: are Simon Willison's top-20 lineage people people, and the ones he credits?

Ground truth: ``bench/labelled/simonw-top-people.json``, the 20 people his link blog's
``via_title`` / ``via_url`` fields credit most, labelled by ``bench/labelled/simonw_credits.py``
before the ranking existed. For each method, the first 20 entries it calls people are judged:

* precision: how many are people: an entry matching a labelled source is judged by its label;
  any other by ``bench/labelled/simonw-person-judgements.json`` (one line per name, judged by
  hand from the corpus: is this a person?); an entry judged nowhere is listed as unjudged;
* recall: how many of the 20 labelled people it names (any shared name, handle, blog title or host).

Methods, in the same run: deep-insights' ``distill`` lineage (typed, merged, credit fields
read); the same without the credit fields (text only); and two baselines: the capitalised-words
method distill used before (names of 2-3 capitalised words and @handles by document count, the
thinker's name left out) and the raw credit titles by count.

Karpathy's corpus: Andrej Karpathy must be absent from every section, and the project lineage
must hold micrograd → nanoGPT → llm.c → nanochat in that order.

    python bench/bench_lineage.py [--corpora ../shared/corpora-raw]

Writes bench/results/lineage.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from deepinsights.backends.sqlite import Store  # noqa: E402
from deepinsights.distill.lineage import LineageCollector, measure_lineage  # noqa: E402
from deepinsights.distill.measure import rows  # noqa: E402
from deepinsights.distill.projects import readme_projects  # noqa: E402
from deepinsights.distill.references import credit_fields  # noqa: E402
from deepinsights.importers import ImportOptions  # noqa: E402
from deepinsights.ingest import run_import  # noqa: E402

SIMON, KARPATHY = ("simonw", {"Simon Willison"}), ("karpathy", {"Andrej Karpathy"})
PROJECTS = ["micrograd", "nanoGPT", "llm.c", "nanochat"]
OLD_NAME = re.compile(r"\b([A-Z][a-z]{1,20}(?:\s+(?:van|de|von|Le|La)?\s*[A-Z][a-z]{1,20}){1,2})\b")
OLD_HANDLE = re.compile(r"(?<![\w/@])@([A-Za-z0-9_]{2,15})\b")


def workspace(cache: Path, corpora: Path, folder: str, thinker: str) -> Store:
    store = Store(cache / f"lineage-{thinker}.db")
    if store.document_count() == 0:
        run_import(store, [str(corpora / folder)], ImportOptions(thinker=thinker))
    return store


def norm(alias: str) -> str:
    return alias.lower().lstrip("@").removeprefix("www.").strip()


class Judge:
    """Person or not, for any name a method lists, from the blind labels and the hand judgements."""

    def __init__(self) -> None:
        labels = json.loads((HERE / "labelled" / "simonw_credit_labels.json").read_text())
        self.top = json.loads((HERE / "labelled" / "simonw-top-people.json").read_text())["people"]
        self.judged = json.loads((HERE / "labelled" / "simonw-person-judgements.json").read_text())
        self.kind: dict[str, str] = {}
        for source, label in labels.items():
            names = [source.split(":", 1)[-1], *label.get("aliases", []), label.get("person", "")]
            for name in filter(None, names):
                self.kind.setdefault(norm(name.split("/")[-1] if "/" in name and "." in name else name), label["kind"])

    def is_person(self, name: str, aliases: set[str]) -> bool | None:
        """The entry's own name decides first (a person credited once on a site keeps that site as an alias)."""
        if norm(name) in self.kind:
            return self.kind[norm(name)] == "person"
        if name in self.judged:
            return self.judged[name].startswith("person")
        for alias in sorted(aliases):
            if norm(alias) in self.kind:
                return self.kind[norm(alias)] == "person"
        return None

    def recall(self, entries: list[tuple[str, set[str]]]) -> list[str]:
        named = {norm(a) for name, aliases in entries for a in {name, *aliases}}
        return [p["person"] for p in self.top if {norm(a) for a in p["aliases"]} & named]


def score(judge: Judge, entries: list[tuple[str, set[str]]]) -> dict[str, Any]:
    verdicts = [(name, judge.is_person(name, aliases)) for name, aliases in entries[:20]]
    judged = [v for _, v in verdicts if v is not None]
    found = judge.recall(entries[:20])
    return {
        "top_20": [name for name, _ in verdicts],
        "not_people": [name for name, v in verdicts if v is False],
        "unjudged": [name for name, v in verdicts if v is None],
        "precision": round(sum(judged) / len(judged), 2) if judged else None,
        "recall": round(len(found) / len(judge.top), 2),
        "labelled_people_found": found,
        "labelled_people_missed": [p["person"] for p in judge.top if p["person"] not in found],
    }


def distilled(store: Store, thinker: str, names: set[str]) -> tuple[list[tuple[str, set[str]]], float]:
    """Distill's lineage (``measure_lineage`` is the part of ``distill`` that makes it), and its time."""
    started = time.perf_counter()
    found = measure_lineage(store, thinker, names=names)
    seconds = time.perf_counter() - started
    return [(e.name, e.aliases) for e in found.people_and_works if e.kind == "person"], seconds


def text_only(store: Store, thinker: str, names: set[str]) -> list[tuple[str, set[str]]]:
    """The same lineage without the link blog's credit fields."""
    collector = LineageCollector(thinker, names=names, readmes=readme_projects(store, thinker))
    for row in rows(store, thinker):
        collector.add(row)
    return [(e.name, e.aliases) for e in collector.finish().people_and_works if e.kind == "person"]


def capitalised_words(store: Store, thinker: str, names: set[str]) -> list[tuple[str, set[str]]]:
    """The method distill used before: capitalised names and handles by documents, own name left out."""
    own = {w.lower() for n in names for w in n.split()} | {thinker.lower()}
    counts: Counter[str] = Counter()
    for row in rows(store, thinker):
        found = {m for m in OLD_NAME.findall(row.text) if not {w.lower() for w in m.split()} <= own}
        found |= {"@" + h.lower() for h in OLD_HANDLE.findall(row.text) if h.lower() not in own}
        counts.update(found)  # subtle: passages, not documents, as a plain counter would
    return [(name, set()) for name, _ in counts.most_common(20)]


def credit_titles(store: Store, thinker: str) -> list[tuple[str, set[str]]]:
    counts = Counter(c.title for c in credit_fields(store, thinker) if c.title)
    return [(title, set()) for title, _ in counts.most_common(20)]


def karpathy_checks(store: Store) -> dict[str, Any]:
    thinker, names = KARPATHY
    report = measure_lineage(store, thinker, names=names)
    every = [e for found in [report.people_and_works, *report.sections.values()] for e in found]
    own = [e.name for e in every if any("karpathy" in a.lower() for a in e.aliases | {e.name})]
    order = [p.name for p in report.projects]
    return {
        "andrej_karpathy_in_any_section": own,
        "project_lineage": order,
        "micrograd_nanogpt_llmc_nanochat_in_order": [p for p in order if p in PROJECTS] == PROJECTS,
        "lineage_top_10": [(e.name, e.kind, e.count) for e in report.people_and_works[:10]],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpora", type=Path, default=HERE.parents[1] / "shared" / "corpora-raw")
    parser.add_argument("--cache", type=Path, default=HERE / ".cache")
    parser.add_argument("--out", type=Path, default=HERE / "results")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    judge = Judge()
    simon = workspace(args.cache, args.corpora, "simon-willison", SIMON[0])
    ours, seconds = distilled(simon, *SIMON)
    result = {
        "benchmark": "typed lineage (issue 18 part 2)",
        "machine": {"load_average": os.getloadavg()},
        "simon_willison": {
            "passages": simon.rows("SELECT count(*) AS n FROM passages")[0]["n"],
            "lineage_seconds": round(seconds, 1),
            "deep_insights": score(judge, ours),
            "deep_insights_without_credit_fields": score(judge, text_only(simon, *SIMON)),
            "baseline_capitalised_words": score(judge, capitalised_words(simon, *SIMON)),
            "baseline_credit_titles_by_count": score(judge, credit_titles(simon, SIMON[0])),
        },
        "karpathy": karpathy_checks(workspace(args.cache, args.corpora, "karpathy", KARPATHY[0])),
    }
    args.out.mkdir(exist_ok=True)
    (args.out / "lineage.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
