"""The spans a sentence presents as quoted, in every common quoting convention.

A model can quote in any language's marks, and a quote the checker does not see as one is
checked only as a loose paraphrase, so each of these is a quote:

* double marks: ``"…"``, ``“…”``, ``„…“`` and ``„…”`` (German, Polish), ``”…”`` (Swedish),
  ``«…»`` (French), ``»…«`` (German, Danish), fullwidth ``＂…＂``;
* single marks: ``‘…’``, ``'…'``, ``‚…‘`` and ``‚…’``, ``‹…›`` and ``›…‹``;
* CJK corner brackets ``「…」``, ``『…』``, ``﹁…﹂``, ``﹃…﹄`` and ``〝…〞`` / ``〝…〟``;
* a Markdown blockquote: a sentence starting with ``>`` quotes all of its text.

Single straight and curly marks double as apostrophes (``don't``, ``the '90s``,
``students’``): one opens a quote only where no letter or digit precedes it and a non-space
follows, and closes one only where a non-space precedes it and no letter or digit follows.
A double mark left open quotes the rest of the sentence (a quote must not escape checking by
never closing); a single one left open is an apostrophe. A span with no word in it
(``"!!!"``) is punctuation, not a quote. Quotes are not length-capped.

It does not check anything (``check`` does).
"""

from __future__ import annotations

import re

from ..verify.normalize import normalize

# opener -> the marks that close it
PAIRS = {
    '"': '"',
    "“": "”“",
    "„": "“”",
    "”": "”",
    "«": "»",
    "»": "«",
    "＂": "＂",
    "'": "'",
    "‘": "’",
    "‚": "‘’",
    "‹": "›",
    "›": "‹",
    "「": "」",
    "『": "』",
    "﹁": "﹂",
    "﹃": "﹄",
    "〝": "〞〟",
}
APOSTROPHE_LIKE = frozenset("'‘’‚")
OPEN_TO_END = frozenset('"“„«＂「『﹁﹃〝')  # a double mark left open quotes the rest of the sentence
_CITATIONS = re.compile(r"\s*\[\d{1,3}(?:\s*,\s*\d{1,3})*\]")


def quoted_spans(sentence: str) -> list[str]:
    """The quoted spans of ``sentence``, outermost first, each stripped; spans without words are left out."""
    if sentence.lstrip().startswith(">"):
        return [q for q in [_CITATIONS.sub("", sentence.lstrip()[1:]).strip()] if normalize(q)]
    spans = [_CITATIONS.sub("", sentence[start + 1 : end]).strip() for start, end in regions(sentence)]
    return [span for span in spans if normalize(span)]


def without_quotes(sentence: str) -> str:
    """``sentence`` with its quoted spans (and their marks) removed: what it says in its own words."""
    if sentence.lstrip().startswith(">"):
        return ""
    kept, i = [], 0
    for start, end in regions(sentence):
        kept.append(sentence[i:start] + " ")
        i = end + 1
    kept.append(sentence[i:])
    return "".join(kept)


def regions(text: str) -> list[tuple[int, int]]:
    """``(opening mark, closing mark)`` positions of each outermost quote; an open one ends at ``len(text)``."""
    found: list[tuple[int, int]] = []
    i = 0
    while (start := _next_opener(text, i)) is not None:
        end = _closer(text, start)
        if end is None and text[start] not in OPEN_TO_END:
            i = start + 1  # an apostrophe, not a quote
            continue
        found.append((start, len(text) if end is None else end))
        i = len(text) if end is None else end + 1
    return found


def _next_opener(text: str, i: int) -> int | None:
    for j in range(i, len(text)):
        mark = text[j]
        if mark in PAIRS and (mark not in APOSTROPHE_LIKE or _may_open(text, j)):
            return j
    return None


def _closer(text: str, start: int) -> int | None:
    closers = PAIRS[text[start]]
    for j in range(start + 1, len(text)):
        mark = text[j]
        if mark in closers and (mark not in APOSTROPHE_LIKE or _may_close(text, j)):
            return j
    return None


def _may_open(text: str, j: int) -> bool:
    before = text[j - 1] if j else " "
    after = text[j + 1] if j + 1 < len(text) else " "
    return not before.isalnum() and not after.isspace()


def _may_close(text: str, j: int) -> bool:
    before = text[j - 1] if j else " "
    after = text[j + 1] if j + 1 < len(text) else " "
    return not before.isspace() and not after.isalnum()
