"""Split a document's text into passages with character offsets.

A passage is what search returns and what a citation points at, so it must be small
enough to read (about ``TARGET`` characters) and carry the document's nearest anchor
(a transcript timestamp, a PDF page) so that a hit links to a place, not just a file.

Splits fall on paragraph breaks, then sentence ends, then spaces; a passage never cuts a
word unless a single word is longer than ``HARD_MAX``. This module does not decide what
the text is: importers do that.
"""

from __future__ import annotations

import bisect
import re

from .models import Anchor, Document, Passage

TARGET = 1200
HARD_MAX = 2000

_BREAKS = (re.compile(r"\n\s*\n"), re.compile(r"(?<=[.!?])\s+"), re.compile(r"\n"), re.compile(r"\s+"))


def split_document(doc: Document) -> list[Passage]:
    """Return the passages of ``doc``, in order, covering its whole text."""
    spans = list(_spans(doc.text))
    offsets = [a.offset for a in doc.anchors]
    passages = []
    for ordinal, (start, end) in enumerate(spans):
        anchor = _anchor_at(doc.anchors, offsets, start)
        passages.append(
            Passage(
                ordinal=ordinal,
                start=start,
                end=end,
                text=doc.text[start:end],
                anchor_label=anchor.label if anchor else None,
                url=(anchor.url if anchor and anchor.url else doc.url),
            )
        )
    return passages


def _anchor_at(anchors: tuple[Anchor, ...], offsets: list[int], start: int) -> Anchor | None:
    i = bisect.bisect_right(offsets, start) - 1
    return anchors[i] if i >= 0 else (anchors[0] if anchors else None)


def _spans(text: str) -> list[tuple[int, int]]:
    if len(text) <= HARD_MAX:
        return [(0, len(text))]
    spans = []
    start = 0
    while start < len(text):
        end = _cut(text, start)
        spans.append((start, end))
        start = end
    return spans


def _cut(text: str, start: int) -> int:
    """Return where the passage starting at ``start`` should end."""
    if len(text) - start <= HARD_MAX:
        return len(text)
    window = text[start + TARGET // 2 : start + HARD_MAX]
    for pattern in _BREAKS:
        matches = list(pattern.finditer(window))
        if matches:
            # subtle: prefer the break closest to TARGET, not the last one in the window
            best = min(matches, key=lambda m: abs(m.end() + TARGET // 2 - TARGET))
            return start + TARGET // 2 + best.end()
    return start + HARD_MAX
