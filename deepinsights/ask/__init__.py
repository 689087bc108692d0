"""Grounded ask: retrieve passages, prompt the model in the thinker's voice, check the answer.

``ask(question, profile, store, model)`` retrieves passages for the question, declines with
what the corpus does cover when none is relevant (see ``RELEVANCE``), otherwise sends the
profile's simulator prompt plus the numbered passages to the model (streaming chunks to
``on_chunk``) and checks every sentence of the answer (``check.check_answer``).

Relevance threshold (documented in docs/ask.md): the best BM25 passage must contain at least
``RELEVANCE`` (half) of the question's distinct content words (stemmed to 6 letters);
otherwise the question is declined without calling the model. When the workspace has
passage vectors, the passages the model reads come from hybrid search instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ..models import SearchFilter, SearchHit
from ..profile import Profile
from ..prompt import compile_prompt
from ..search import search
from ..semantic.hybrid import search_any
from ..workspace import Workspace
from .check import STOPWORDS, CheckedSentence, check_answer
from .models import Model, run
from .prompt import MAX_PASSAGE_CHARS, NumberedPassage, brief, system_prompt, user_prompt

__all__ = ["Answer", "ask", "retrieve", "CheckedSentence", "RELEVANCE"]

RELEVANCE = 0.5
TOP_K = 6
TOP = SearchFilter(limit=TOP_K)
_WORD = re.compile(r"\w{3,}")


@dataclass
class Answer:
    """A checked answer. ``declined`` answers carry the nearest topics instead of model text."""

    question: str
    model: str | None
    declined: bool
    answer: str
    passages: list[NumberedPassage] = field(default_factory=list)
    sentences: list[CheckedSentence] = field(default_factory=list)
    nearest: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "model": self.model,
            "declined": self.declined,
            "answer": self.answer,
            "passages": [
                {"n": p.n, "id": p.id, "passage_id": p.passage_id, "title": p.title, "url": p.url, "text": p.text}
                for p in self.passages
            ],
            "sentences": [s.as_dict() for s in self.sentences],
            "nearest": self.nearest,
        }


def question_terms(question: str) -> list[str]:
    """The question's content words, in order, without stopwords or question words."""
    words = [w.lower() for w in _WORD.findall(question)]
    skip = STOPWORDS | QUESTION_WORDS
    return list(dict.fromkeys(w for w in words if w not in skip))


QUESTION_WORDS = frozenset(
    """
    what how why who whom whose does did do is are was the and for you your his her he she they their say
    said about think thinks view views opinion feel feels take
    """.split()
)


def retrieve(store: Workspace, question: str, filters: SearchFilter = TOP) -> list[NumberedPassage]:
    """Passages for the question that pass ``filters``, best first: any of its content words, ranked by BM25."""
    terms = question_terms(question)
    if not terms:
        return []
    fts = " OR ".join(f'"{t}"' for t in terms[:16])
    return _numbered(search(store, fts, filters, raw=True).hits)


def retrieve_hybrid(store: Workspace, question: str, filters: SearchFilter = TOP) -> list[NumberedPassage] | None:
    """Passages by hybrid search (words and meaning) when the workspace has vectors, else None."""
    if not store.indexed_model():
        return None
    results, _ = search_any(store, question, filters)
    return _numbered(results.hits) or None


def _numbered(hits: list[SearchHit]) -> list[NumberedPassage]:
    return [
        NumberedPassage(
            n=i,
            id=h.id,
            passage_id=h.passage_id,
            title=h.title,
            kind=h.kind,
            published_at=h.published_at,
            url=h.url,
            text=h.text,
        )
        for i, h in enumerate(hits, start=1)
    ]


def is_relevant(question: str, passage: NumberedPassage) -> bool:
    """True when the passage holds at least RELEVANCE of the question's content words."""
    terms = {t[:6] for t in question_terms(question)}
    if not terms:
        return False
    words = {w.lower()[:6] for w in _WORD.findall(passage.text + " " + (passage.title or ""))}
    return len(terms & words) / len(terms) >= RELEVANCE


def ask(
    question: str,
    profile: Profile,
    store: Workspace,
    model: Model,
    *,
    period: SearchFilter | None = None,
    on_chunk: Callable[[str], None] | None = None,
    history: list[tuple[str, str]] | None = None,
    gate: bool = True,
) -> Answer:
    """Answer ``question`` in the thinker's voice from the corpus, every sentence checked.

    ``period`` narrows the passages (its ``since``/``until``); they are always the profile's thinker's.
    ``gate=False`` always asks the model, even when no passage is relevant (``insights eval``
    measures whether the model itself declines).
    """
    filters = replace(period or TOP, thinker=profile.slug, limit=TOP_K, offset=0)
    passages = retrieve(store, question, filters)
    model_id = model.model_id
    if gate and (not passages or not is_relevant(question, passages[0])):
        return _decline(question, profile, passages, model_id)
    # subtle: whether to answer is decided on the BM25 passages (the measured threshold); which
    # passages the model reads comes from hybrid search when the workspace has vectors
    passages = retrieve_hybrid(store, question, filters) or passages
    items = sum(row["items"] for row in store.stats(profile.slug))
    simulator, passage_chars = compile_prompt(profile), MAX_PASSAGE_CHARS
    budget = getattr(model, "prompt_budget_chars", None)  # small local models read slowly
    if budget:
        simulator = brief(simulator, budget // 3)
        passages = passages[:4]
        passage_chars = min(MAX_PASSAGE_CHARS, (budget * 2 // 3) // max(1, len(passages)))
    system = system_prompt(simulator, profile.name, items)
    text = _complete(model, system, user_prompt(question, passages, passage_chars), history or [], on_chunk)
    numbered = {p.n: p.text for p in passages}
    return Answer(question, model_id, False, text, passages, check_answer(text, numbered))


def _complete(
    model: Model, system: str, prompt: str, history: list[tuple[str, str]], on_chunk: Callable[[str], None] | None
) -> str:
    earlier = "".join(f"Earlier question: {q}\nEarlier answer: {a}\n\n" for q, a in history[-3:])
    return run(model, earlier + prompt, system=system, on_chunk=on_chunk)


def _decline(question: str, profile: Profile, passages: list[NumberedPassage], model_id: str | None) -> Answer:
    nearest = list(dict.fromkeys(p.title or p.kind for p in passages))[:5]
    covered = f" The nearest things it does cover: {'; '.join(nearest)}." if nearest else ""
    text = (
        "That's not in the corpus: I haven't written or spoken about it in anything imported here, "
        f"and I won't make up an answer.{covered}"
    )
    return Answer(question, model_id, True, text, passages, [], nearest)
