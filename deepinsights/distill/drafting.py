"""The drafted half of distill: candidate axioms, mental models, tensions and aesthetics.

Map: for each of the corpus's top themes, the passages that use it most are shown to the
model, which proposes one candidate with verbatim supporting quotes (JSON). Reduce: a
candidate survives only if every quote it gives verifies against the corpus (``verify``,
verbatim or approximate) and the verified quotes come from at least ``MIN_DOCUMENTS``
different documents; the rest are dropped and counted with the reason. Answers are cached
per theme in a JSON file, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ask.models import Model, run
from ..models import SearchFilter
from ..search import search
from ..store import Store
from ..verify import check_quotes

KINDS = ("axiom", "mental_model", "tension", "aesthetic")
MIN_DOCUMENTS = 2
PASSAGES_PER_THEME = 6
_JSON = re.compile(r"\{.*\}", re.DOTALL)

PROMPT = """Below are passages written by {name}, all touching the theme "{theme}".
Propose ONE {wanted} that {name} holds, supported by these passages.
Reply with JSON only, no prose:
{{"kind": "axiom" | "mental_model" | "tension" | "aesthetic", "title": "a short title",
  "statement": "one or two sentences in plain words",
  "quotes": ["a span copied word for word from one passage", "another span from a DIFFERENT passage"]}}

{passages}
"""


@dataclass
class Candidate:
    """A proposed profile element with the verdicts on its quotes."""

    theme: str
    kind: str
    title: str
    statement: str
    quotes: list[dict[str, Any]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "theme": self.theme,
            "kind": self.kind,
            "title": self.title,
            "statement": self.statement,
            "quotes": self.quotes,
            "documents": self.documents,
        }


@dataclass
class Drafted:
    """What survived, what was dropped and why."""

    kept: list[Candidate] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kept": [c.as_dict() for c in self.kept], "dropped": self.dropped}


def draft_candidates(
    store: Store,
    thinker: str,
    name: str,
    themes: list[str],
    model: Model,
    *,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Drafted:
    """Ask the model for one candidate per theme, keep those whose quotes verify in several documents."""
    answers: dict[str, str] = json.loads(cache.read_text()) if cache and cache.exists() else {}
    drafted = Drafted()
    for i, theme in enumerate(themes):
        if progress:
            progress(theme)
        if theme not in answers:
            answers[theme] = _ask_model(store, thinker, name, theme, KINDS[i % len(KINDS)], model)
            if cache:
                cache.write_text(json.dumps(answers, indent=1))
        _judge(theme, answers[theme], store, thinker, drafted)
    return drafted


def _ask_model(store: Store, thinker: str, name: str, theme: str, wanted: str, model: Model) -> str:
    hits = search(store, theme, SearchFilter(thinker=thinker, limit=PASSAGES_PER_THEME)).hits
    passages = "\n\n".join(f"PASSAGE {n} ({h.title or h.kind}):\n{h.text[:1200]}" for n, h in enumerate(hits, 1))
    prompt = PROMPT.format(name=name, theme=theme, wanted=wanted.replace("_", " "), passages=passages)
    return run(model, prompt)


def _judge(theme: str, answer: str, store: Store, thinker: str, drafted: Drafted) -> None:
    data = _parse(answer)
    if data is None:
        drafted.dropped.append({"theme": theme, "reason": "model reply was not the requested JSON"})
        return
    quotes = [str(q) for q in data.get("quotes") or [] if str(q).strip()]
    if not quotes:
        drafted.dropped.append({"theme": theme, "reason": "no supporting quotes"})
        return
    results = check_quotes(quotes, store, thinker=thinker)
    failed = [r.text for r in results if not r.found]
    documents = sorted({r.location.document_id for r in results if r.location})
    if failed:
        drafted.dropped.append({"theme": theme, "reason": f"{len(failed)} quote(s) not in the corpus"})
    elif len(documents) < MIN_DOCUMENTS:
        drafted.dropped.append({"theme": theme, "reason": f"supported by {len(documents)} document(s) only"})
    else:
        kind = str(data.get("kind", "mental_model"))
        drafted.kept.append(
            Candidate(
                theme,
                kind if kind in KINDS else "mental_model",
                str(data.get("title") or theme)[:120],
                str(data.get("statement") or "")[:600],
                [r.to_dict() for r in results],
                documents,
            )
        )


def _parse(answer: str) -> dict[str, Any] | None:
    match = _JSON.search(answer)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
