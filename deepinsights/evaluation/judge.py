"""The stance judge: a model reads what the thinker actually wrote and an answer, and says whether
the answer takes the same position. The rubric is fixed and versioned (``RUBRIC_VERSION``): a run
records the version and the rubric's SHA-256, so scores from different rubrics are never mixed
up; changing a word of the rubric means a new version.

Verdicts and their scores: ``same`` 1.0 (the answer takes the position the passage takes),
``partly`` 0.5 (part of it, or the same position with a claim the passage does not make),
``different`` 0.0 (a position the passage contradicts), ``unrelated`` 0.0 (does not address what
the passage says), ``declined`` (the answer says it cannot answer; scored 0.0 and counted apart).
A reply that is not the requested JSON scores nothing and is counted as unjudged.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from ..ask.models import Model, reply_object, run

RUBRIC_VERSION = "stance-v1"
RUBRIC = """You judge whether an ANSWER takes the same position as a PASSAGE the person actually wrote.
The ANSWER was written by someone imitating that person, who never saw the PASSAGE.

QUESTION: {question}

PASSAGE (what the person actually wrote):
{passage}

ANSWER (the imitation):
{answer}

Compare positions, not wording or style. Choose one verdict:
- "same": the ANSWER takes the position the PASSAGE takes on the question.
- "partly": the ANSWER shares part of the PASSAGE's position, or adds claims the PASSAGE does not make.
- "different": the ANSWER takes a position the PASSAGE contradicts.
- "unrelated": the ANSWER does not address what the PASSAGE says.
- "declined": the ANSWER says it cannot or will not answer.
Reply with JSON only:
{{"verdict": "same" | "partly" | "different" | "unrelated" | "declined", "reason": "one sentence"}}"""
RUBRIC_SHA256 = hashlib.sha256(RUBRIC.encode("utf-8")).hexdigest()
SCORES = {"same": 1.0, "partly": 0.5, "different": 0.0, "unrelated": 0.0, "declined": 0.0}


@dataclass(frozen=True)
class Verdict:
    """The judge's verdict on one answer; ``score`` is None when the reply could not be read."""

    verdict: str
    reason: str
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "reason": self.reason, "score": self.score}


def judge_stance(judge: Model, question: str, passage: str, answer: str) -> Verdict:
    """Ask ``judge`` whether ``answer`` takes the position of ``passage`` (the rubric above)."""
    reply = run(judge, RUBRIC.format(question=question, passage=passage.strip()[:2000], answer=answer.strip()[:2000]))
    data = reply_object(reply) or {}
    verdict = str(data.get("verdict", "")).strip().lower()
    if verdict not in SCORES:
        return Verdict("unjudged", reply[:200], None)
    return Verdict(verdict, str(data.get("reason") or "")[:300], SCORES[verdict])
