"""Check a model's answer against the passages it was given. No model, no network.

The answer is split into sentences. For each sentence:

* every ``[n]`` citation must name a passage that was retrieved (else flag ``unknown citation``);
* every quoted span, in any quoting convention (``quotes``: ``"…"``, ``‘…’``, ``'…'``, ``«…»``,
  ``„…“``, ``「…」``, a ``>`` blockquote…) and of any length, must be verbatim in one of the
  sentence's cited passages by the verifier's rule (``verify.within``: its normalisation,
  elisions in order and never cutting a negation, contrast or number), else flag
  ``quote not in cited passage``; half a quote being real does not make it real;
* a cited sentence must share content words with the passage it cites (else flag
  ``citation does not support sentence``): a real passage cited for a claim it does not
  contain is caught here. Every word of two or more letters that is not a function word
  counts (``AI is bad`` is judged on ``ai`` and ``bad``), at least two of them must be
  shared when the claim has two, and a sentence with no such word supports nothing. A quoting
  sentence's own words are judged the same way when they say something of their own
  (``MIN_OWN_WORDS`` content words).

Labels: ``quoted`` (it quotes, every quote is inside a cited passage and nothing is flagged),
``cited`` (a cited paraphrase whose citations are valid and supportive), ``extrapolation``
(everything else: no citation, or only failed ones). A flagged sentence is never labelled
``quoted`` or ``cited``, so nothing fabricated is ever shown as valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..verify.align import STOPWORDS as FUNCTION_WORDS
from ..verify.normalize import norms
from ..verify.within import quote_problem
from .quotes import quoted_spans, regions, without_quotes

# A sentence ends at . ! ? or … plus any closing quotes and trailing [n] citations, before
# whitespace and a capital, digit or opening quote; blank lines and bullets also split.
_SENTENCE_END = re.compile(
    r"[.!?…]+[\"”’»«›‹」』)]*(?:\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\])*"
    r"(?=\s+[\"“‘'«»„‚‹›「『(]?[A-Z0-9])|\n{2,}|\n(?=\s*[-*•>]\s)"
)
_CITATION = re.compile(r"\[(\d{1,3}(?:\s*,\s*\d{1,3})*)\]")
MIN_SUPPORT = 0.2
MIN_SHARED = 2
MIN_OWN_WORDS = 3

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
    """Split an answer into sentences, keeping each sentence's trailing citations with it.

    subtle: never inside a quote, so a quote of several sentences is checked whole, as one.
    """
    text = answer.strip()
    quoted = regions(text)
    parts, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if any(a < match.end() <= b for a, b in quoted):
            continue
        parts.append(text[start : match.end()])
        start = match.end()
    parts.append(text[start:])
    return [p.strip() for p in parts if p.strip()]


def check_answer(answer: str, passages: dict[int, str]) -> list[CheckedSentence]:
    """Label and flag every sentence of ``answer``; ``passages`` maps citation number to text."""
    return [_check_sentence(s, passages) for s in split_sentences(answer)]


def _check_sentence(sentence: str, passages: dict[int, str]) -> CheckedSentence:
    cited = _citations(sentence)
    quotes = quoted_spans(sentence)
    checked = CheckedSentence(text=sentence, label="extrapolation", citations=cited, quotes=quotes)
    valid = [n for n in cited if n in passages]
    checked.flags += [f"unknown citation [{n}]" for n in cited if n not in passages]
    for quote in quotes:
        checked.flags += _quote_flags(quote, [passages[n] for n in valid])
    claim = without_quotes(_CITATION.sub(" ", sentence))
    judged = not quotes or len(_content_words(claim)) >= MIN_OWN_WORDS
    if valid and judged and not any(_supports(passages[n], claim) for n in valid):
        checked.flags.append("citation does not support sentence")
    if checked.flags or not valid:
        return checked
    checked.label = "quoted" if quotes else "cited"
    return checked


def _quote_flags(quote: str, passages: list[str]) -> list[str]:
    """No flag when ``quote`` is verbatim in one of ``passages``; else one saying why not."""
    problems = [quote_problem(quote, text) for text in passages]
    if not passages or None not in problems:
        cut = next((p for p in problems if p and p.startswith("the elision cuts")), None)
        return [f"quote not in cited passage: {quote[:80]!r}" + (f" ({cut})" if cut else "")]
    return []


def _citations(sentence: str) -> list[int]:
    numbers: list[int] = []
    for group in _CITATION.findall(sentence):
        numbers += [int(n) for n in group.split(",")]
    return list(dict.fromkeys(numbers))


def _content_words(text: str) -> set[str]:
    """Words of two or more characters that are not function words, cut to six (a crude stem)."""
    return {w[:6] for w in norms(text) if len(w) >= 2 and w not in STOPWORDS and w not in FUNCTION_WORDS}


def _supports(passage: str, claim: str) -> bool:
    """A passage supports a claim when it holds enough of the claim's content words (none: it does not)."""
    words = _content_words(claim)
    if not words:
        return False
    shared = len(words & _content_words(passage))
    return shared >= min(MIN_SHARED, len(words)) and shared / len(words) >= MIN_SUPPORT
