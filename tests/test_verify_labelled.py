"""The verifier's quality bars on a labelled set built at run time from the real Karpathy corpus.

The builder (bench/labelled/build.py) samples real sentences, perturbs them and invents
quotes, checking every label against a full scan of the normalised corpus; see
docs/verification.md for the full-size run (bench/bench_verify.py). The quality bars are
checked on both backends (conftest's ``store``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from deepinsights.backends.sqlite import Store
from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.verify import Locator

BENCH = Path(__file__).resolve().parent.parent / "bench"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_quality_bars_on_the_karpathy_corpus(corpora: Path, store: Store) -> None:
    build = _load("verify_labelled_build", BENCH / "labelled" / "build.py")
    run_import(store, [str(corpora / "karpathy")], ImportOptions(thinker=build.THINKERS["karpathy"]))
    items = build.build_items(store, seed=1, verbatim=80, invented=60)
    locator = Locator(store)
    outcomes = [(item.label, locator.locate(item.text).status) for item in items]
    labels = {label for label, _ in outcomes}
    assert labels == {"verbatim", "format", "cut", "words", "invented"}
    said_verbatim = [label for label, status in outcomes if status == "verbatim"]
    perturbed = [status for label, status in outcomes if label in ("format", "words")]
    invented = [status for label, status in outcomes if label == "invented"]
    assert len(invented) >= 50 and len(perturbed) >= 150
    assert all(label in ("verbatim", "format") for label in said_verbatim), "verbatim precision must be 1.0"
    assert sum(s != "not_found" for s in perturbed) / len(perturbed) >= 0.95
    assert sum(s == "not_found" for s in invented) / len(invented) >= 0.98
    assert all(s == "verbatim" for label, s in outcomes if label == "verbatim")
    cut = [status for label, status in outcomes if label == "cut"]
    assert len(cut) >= 10 and "verbatim" not in cut, "a cut negation, contrast or number is never verbatim"
    assert sum(s == "approximate" for s in cut) / len(cut) >= 0.9, "…and its words are still found"


@pytest.mark.slow
def test_the_karpathy_example_regenerates(corpora: Path, tmp_path: Path) -> None:
    bench = _load("verify_bench", BENCH / "bench_verify.py")
    out = bench.karpathy_example(corpora, tmp_path / "verify-karpathy.md", workdir=tmp_path)
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# `insights verify karpathy`")
    assert "grounding" in text and "| status |" in text
