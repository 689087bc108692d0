"""The drafted half of distill: axioms, tensions, aesthetics and the core generating function,
proposed by a model from the measured sections and kept only with verified own-word quotes.

The model never reads the raw corpus. Each prompt holds measured sections (``findings.py``):
a topic's label, phrases and representative own-word passages (axioms); two topics' passages
(tensions); the signature vocabulary, mental models and a topic's passages (aesthetics); the
topics, mental models and eras (the generating function). Jobs run in that order, one reply
(JSON) each, cached in a file so an interrupted run resumes where it stopped.

A candidate survives only if every quote it gives verifies against the corpus (``verify``,
verbatim or approximate) **in the thinker's own words**: a quote found only in another
thinker's documents is a swapped speaker, one that lies in someone else's words inside the
thinker's documents (a quotation, a link title, a repost) is not theirs. The surviving quotes
must come from at least ``MIN_DOCUMENTS`` documents, and a tension needs one on each side.
Everything dropped is counted with its reason.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import ownwords
from ..ask.models import Model, reply_object, run
from ..verify import check_quotes
from ..workspace import Workspace
from .own import OwnPassage
from .prose import GAP

if TYPE_CHECKING:
    from ..verify.locate import QuoteResult
    from .findings import Findings

KINDS = ("axiom", "tension", "aesthetic", "generating_function")
MIN_DOCUMENTS = 2
MAX_OTHERS_SHARE = 0.1  # a quote may touch someone else's words by this share of its length, no more

RULES = """Copy every quote word for word from the numbered passages (no paraphrase, no words of your own).
Reply with JSON only, no prose."""
AXIOM = """{sections}
From these measured sections of {name}'s own writing, state ONE axiom: a belief {name} takes as given.
{rules}
{{"title": "a short title", "statement": "one or two sentences in plain words",
  "quotes": ["a span from one passage", "a span from a passage of a DIFFERENT document"]}}"""
TENSION = """{sections}
These are two topics of {name}'s own writing (SIDE A and SIDE B). State ONE tension: where two beliefs
of {name} pull against each other.
{rules}
{{"title": "a short title", "statement": "one or two sentences",
  "side_a": ["a span from a SIDE A passage"], "side_b": ["a span from a SIDE B passage"]}}"""
AESTHETIC = """{sections}
From these measured sections of {name}'s own writing, state ONE aesthetic preference of {name}
(what they find beautiful, clean or right in work).
{rules}
{{"title": "a short title", "statement": "one sentence",
  "quotes": ["a span from one passage", "a span from a passage of a DIFFERENT document"]}}"""
GENERATING = """{sections}
From these measured sections of {name}'s own writing, state {name}'s core generating function: the one
move that produces most of their work, in a short sentence, with two to four phases.
{rules}
{{"statement": "one short sentence", "phases": ["phase 1", "phase 2"],
  "quotes": ["a span from one passage", "a span from a passage of a DIFFERENT document"]}}"""


@dataclass
class Candidate:
    """A proposed profile element with the verdicts on its quotes."""

    job: str
    kind: str
    title: str
    statement: str
    quotes: list[dict[str, Any]] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    phases: list[str] = field(default_factory=list)
    sides: list[str] = field(default_factory=list)  # for a tension: "a" or "b" per quote

    def as_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "kind": self.kind,
            "title": self.title,
            "statement": self.statement,
            "phases": self.phases,
            "quotes": self.quotes,
            "sides": self.sides,
            "documents": self.documents,
        }


@dataclass
class Drafted:
    """What survived, what was dropped and why."""

    kept: list[Candidate] = field(default_factory=list)
    dropped: list[dict[str, str]] = field(default_factory=list)

    def reasons(self) -> dict[str, int]:
        """Dropped candidates per reason (the reason's words, without the counts)."""
        return dict(Counter(re.sub(r"\d+ ", "", d["reason"]) for d in self.dropped).most_common())

    def as_dict(self) -> dict[str, Any]:
        return {
            "kept": [c.as_dict() for c in self.kept],
            "dropped": self.dropped,
            "dropped_by_reason": self.reasons(),
        }


@dataclass
class Job:
    """One prompt: what it asks for and the passages it shows (each with its document)."""

    key: str
    kind: str
    prompt: str
    sides: dict[str, str] = field(default_factory=dict)  # passage text → "a" / "b" (tensions)


def draft_candidates(
    store: Workspace,
    thinker: str,
    name: str,
    findings: Findings,
    model: Model,
    *,
    topics: int = 6,
    cache: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> Drafted:
    """Ask the model for candidates from the measured sections; keep those whose quotes verify
    as the thinker's own words in several documents."""
    answers: dict[str, str] = json.loads(cache.read_text()) if cache and cache.exists() else {}
    drafted = Drafted()
    for job in jobs(findings, name, topics):
        if progress:
            progress(job.key)
        if job.key not in answers:
            answers[job.key] = run(model, job.prompt)
            if cache:
                cache.write_text(json.dumps(answers, indent=1))
        judge(job, answers[job.key], store, thinker, drafted)
    return drafted


def jobs(findings: Findings, name: str, topics: int) -> list[Job]:
    """The prompts, in order: an axiom per top topic, tensions between pairs of them, aesthetics,
    the generating function."""
    top = [t for t in findings.topics.topics[:topics] if t.representatives]
    out = [Job(f"axiom:{t.number}", "axiom", _fill(AXIOM, name, _topic_section(t, "PASSAGE"))) for t in top]
    for a, b in zip(top[0::2], top[1::2], strict=False):
        sections = _topic_section(a, "SIDE A PASSAGE") + "\n\n" + _topic_section(b, "SIDE B PASSAGE")
        sides = {p.text: "a" for p in a.representatives} | {p.text: "b" for p in b.representatives}
        out.append(Job(f"tension:{a.number}-{b.number}", "tension", _fill(TENSION, name, sections), sides))
    if top:
        out.append(Job("aesthetic", "aesthetic", _fill(AESTHETIC, name, _taste_section(findings, top[0]))))
        out.append(Job("generating_function", "generating_function", _fill(GENERATING, name, _whole(findings, top))))
    return out


def _fill(template: str, name: str, sections: str) -> str:
    return template.format(sections=sections, name=name, rules=RULES)


def _topic_section(topic: Any, label: str) -> str:
    lines = [f"TOPIC {topic.number}: {topic.label} (phrases: {', '.join(topic.phrases)}; "
             f"{topic.documents} documents)"]  # fmt: skip
    lines += [_passage(f"{label} {topic.number}.{i}", p) for i, p in enumerate(topic.representatives, 1)]
    return "\n".join(lines)


def _passage(label: str, passage: OwnPassage) -> str:
    when = (passage.published_at or "undated")[:10]
    text = passage.text.replace(GAP.strip(), "…")[:900]
    return f"{label} ({passage.title or passage.kind}, {when}):\n{text}"


def _taste_section(findings: Findings, topic: Any) -> str:
    words = ", ".join(w.word for w in findings.vocabulary[:20])
    models = "; ".join(f"{f.key} ({len(f.documents)} documents)" for f in findings.mental_models[:8])
    return f"SIGNATURE VOCABULARY: {words}\nMENTAL MODELS: {models or 'none measured'}\n" + _topic_section(
        topic, "PASSAGE"
    )


def _whole(findings: Findings, top: list[Any]) -> str:
    topics = "\n".join(f"TOPIC {t.number}: {t.label} ({t.documents} documents)" for t in findings.topics.topics[:12])
    eras = "\n".join(f"ERA {e.start} – {e.end}: {e.name}" for e in findings.eras)
    models = "; ".join(f.key for f in findings.mental_models[:8]) or "none measured"
    passages = "\n".join(_passage(f"PASSAGE {t.number}", t.representatives[0]) for t in top[:4])
    return f"{topics}\n{eras}\nMENTAL MODELS: {models}\n{passages}"


def judge(job: Job, answer: str, store: Workspace, thinker: str, drafted: Drafted) -> None:
    """Keep the candidate in ``answer`` or record why it is dropped."""
    data = reply_object(answer)
    if data is None:
        return _drop(drafted, job, "model reply was not the requested JSON")
    quoted = _quotes(data, job)
    if not quoted:
        return _drop(drafted, job, "no supporting quotes")
    results = check_quotes([q for q, _ in quoted], store, thinker=thinker)
    reason = quotes_rejected(results, store, thinker)
    documents = sorted({r.location.document_id for r in results if r.location})
    sides = {side for (_, side), r in zip(quoted, results, strict=True) if r.location}
    if reason:
        return _drop(drafted, job, reason)
    if len(documents) < MIN_DOCUMENTS:
        return _drop(drafted, job, f"supported by {len(documents)} document(s) only")
    if job.kind == "tension" and sides != {"a", "b"}:
        return _drop(drafted, job, "a tension without a verified quote on each side")
    drafted.kept.append(_candidate(job, data, quoted, results, documents))
    return None


def _quotes(data: dict[str, Any], job: Job) -> list[tuple[str, str]]:
    """(quote, side) pairs; side is "" except for tensions."""
    if job.kind == "tension":
        return [(str(q), side) for side in ("a", "b") for q in _list(data.get(f"side_{side}")) if str(q).strip()]
    return [(str(q), "") for q in _list(data.get("quotes")) if str(q).strip()]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value] if value else []


def quotes_rejected(results: list[QuoteResult], store: Workspace, thinker: str) -> str | None:
    """Why the quotes fail: not in the corpus, another thinker's words, or someone else's words
    inside the thinker's documents. None when every quote is the thinker's own."""
    missing = [r for r in results if not r.found]
    if missing:
        elsewhere = [r for r in check_quotes([r.text for r in missing], store) if r.location]
        if elsewhere:
            who = sorted({r.location.thinker for r in elsewhere if r.location})
            return f"{len(elsewhere)} quote(s) are another thinker's words ({', '.join(who)})"
        return f"{len(missing)} quote(s) not in the corpus"
    borrowed = [r for r in results if r.location and not in_own_words(store, r)]
    if borrowed:
        return f"{len(borrowed)} quote(s) are someone else's words in the thinker's documents"
    return None


def in_own_words(store: Workspace, result: QuoteResult) -> bool:
    """True when at most ``MAX_OTHERS_SHARE`` of the located quote lies in others' words."""
    where = result.location
    if where is None:
        return False
    document = store.document(where.document_id)
    spans = ownwords.loads(document["others"]) if document and document["others"] else ()
    inside = sum(s.end - s.start for s in ownwords.within(spans, where.start, where.end))
    return inside <= MAX_OTHERS_SHARE * max(1, where.end - where.start)


def _candidate(
    job: Job, data: dict[str, Any], quoted: list[tuple[str, str]], results: list[QuoteResult], documents: list[str]
) -> Candidate:
    phases = [str(p)[:200] for p in _list(data.get("phases"))][:6]
    title = str(data.get("title") or data.get("statement") or job.key)[:120]
    return Candidate(
        job=job.key,
        kind=job.kind,
        title=title,
        statement=str(data.get("statement") or "")[:600],
        quotes=[r.to_dict() for r in results],
        documents=documents,
        phases=phases,
        sides=[side for _, side in quoted],
    )


def _drop(drafted: Drafted, job: Job, reason: str) -> None:
    drafted.dropped.append({"job": job.key, "kind": job.kind, "reason": reason})
