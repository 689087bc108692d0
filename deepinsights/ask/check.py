"""Check a model's answer against the passages it was given. No model, no network.

The answer is split into sentences. For each sentence:

* every ``[n]`` citation must name a passage that was retrieved (else flag ``unknown citation``);
* every quoted span (``"…"``, ``“…”``) must occur in one of the sentence's cited passages, after
  the verifier's normalisation (else flag ``quote not in cited passage``);
* a cited sentence must share content words with the passage it cites (else flag
  ``citation does not support sentence``): a real passage cited for a claim it does not
  contain is caught here.

Labels: ``quoted`` (it quotes, every quote is inside a cited passage and nothing is flagged),
``cited`` (a cited paraphrase whose citations are valid and supportive), ``extrapolation``
(everything else: no citation, or only failed ones). A flagged sentence is never labelled
``quoted`` or ``cited``, so nothing fabricated is ever shown as valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..verify.normalize import normalize, split_elisions

# A sentence ends at . ! ? or … plus any closing quotes and trailing [n] citations, before
# whitespace and a capital, digit or opening quote; blank lines and bullets also split.
_SENTENCE_END = re.compile(
    r"[.!?…]+[\"”’)]*(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])*(?=\s+[\"“‘(]?[A-Z0-9])|\n{2,}|\n(?=\s*[-*•]\s)"
)
_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
_QUOTE = re.compile(r"[\"“]([^\"“”]{3,500})[\"”]")
_WORD = re.compile(r"[a-z0-9]{4,}")
MIN_SUPPORT = 0.2

STOPWORDS = frozenset(
    """
    that this with from have they them their there what when where which would could should about into more
    most much many some such than then these those very will just also been being were does your yours only
    over like because think thing things really know make made said says
    """.split()
)


@dataclass
class CheckedSentence:
    """One sentence of an answer with its label, citations and what failed."""

    text: str
    label: str
    citations: list[int] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "label": self.label,
            "citations": self.citations,
            "flags": self.flags,
            "quotes": self.quotes,
        }


def split_sentences(answer: str) -> list[str]:
    """Split an answer into sentences, keeping each sentence's trailing citations with it."""
    text = answer.strip()
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        parts.append(text[start : match.end()])
        start = match.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def check_answer(answer: str, passages: dict[int, str]) -> list[CheckedSentence]:
    """Label and flag every sentence of ``answer``; ``passages`` maps citation number to text."""
    normalized = {n: normalize(text) for n, text in passages.items()}
    return [_check_sentence(s, passages, normalized) for s in split_sentences(answer)]


def _check_sentence(sentence: str, passages: dict[int, str], normalized: dict[int, str]) -> CheckedSentence:
    cited = _citations(sentence)
    quotes = [q.strip() for q in _QUOTE.findall(sentence)]
    checked = CheckedSentence(text=sentence, label="extrapolation", citations=cited, quotes=quotes)
    valid = [n for n in cited if n in passages]
    checked.flags += [f"unknown citation [{n}]" for n in cited if n not in passages]
    for quote in quotes:
        if not any(_contains(normalized[n], quote) for n in valid):
            checked.flags.append(f"quote not in cited passage: {quote[:80]!r}")
    claim = _QUOTE.sub(" ", _CITATION.sub(" ", sentence))
    if valid and not quotes and not any(_supports(passages[n], claim) for n in valid):
        checked.flags.append("citation does not support sentence")
    if checked.flags or not valid:
        return checked
    checked.label = "quoted" if quotes else "cited"
    return checked


def _citations(sentence: str) -> list[int]:
    numbers: list[int] = []
    for group in _CITATION.findall(sentence):
        numbers += [int(n) for n in group.split(",")]
    return list(dict.fromkeys(numbers))


def _contains(passage_normalized: str, quote: str) -> bool:
    """True when every fragment of ``quote`` (split at elisions) occurs in the passage, in order."""
    haystack = f" {passage_normalized} "
    position = 0
    for fragment in split_elisions(quote):
        wanted = normalize(fragment)
        if not wanted:
            continue
        found = haystack.find(f" {wanted} ", position)
        if found < 0:
            return False
        position = found + len(wanted) + 1
    return True


def _content_words(text: str) -> set[str]:
    return {w[:6] for w in _WORD.findall(text.lower()) if w not in STOPWORDS}


def _supports(passage: str, claim: str) -> bool:
    """A passage supports a paraphrase when enough of the claim's content words occur in it."""
    words = _content_words(claim)
    if not words:
        return True
    return len(words & _content_words(passage)) / len(words) >= MIN_SUPPORT
