"""Own words: which parts of a document's text are the thinker speaking, and which are not.

A document carries ``others``: spans of its text that are someone else's words or not words
at all, each with a reason (``REASONS``). Everything outside them is the thinker's own
words. Importers find the spans (they know the markup: a ``<blockquote>``, a retweet, a
link post's title); this module holds what they share, pure and without I/O:

* ``mark_text(text)`` — spans that plain-text patterns reveal in any prose: a trailing
  "via @x" / "h/t" credit, an old-style "RT @x:" tail, licence and copyright lines, blog
  footer lines ("Posted by", "Filed under"), long quotations in double quotes;
* ``normalise``, ``dumps`` / ``loads`` — the stored form (JSON ``[[start, end, reason], …]``
  in character offsets of ``Document.text``, sorted, not overlapping);
* ``within``, ``own_share``, ``own_text`` — what readers use: the spans inside one passage,
  the share of a passage that is own words, and the text with other people's words blanked.

It does not parse markup (``importers.textutil.html_to_marked`` does) and does not decide
what a section of distill reads (distill does, and says which text it used).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from .models import Span

REASONS = {
    "repost": "a repost or boost: the whole item is someone else's post",
    "quoted-post": "the text of another account's post quoted inside this one",
    "link-title": "the title of the page a link post points to",
    "blockquote": "a quoted block (Markdown '>' or HTML <blockquote>)",
    "quotation": "a long quotation in double quotes",
    "via": "a credit line: 'via X', 'h/t X'",
    "code": "code: a code block or inline code",
    "math": "LaTeX math ($$…$$): notation, not words",
    "license": "a licence section, licence or copyright line",
    "boilerplate": "page furniture: 'Posted by', 'Filed under', share and comment lines",
}

_CREDIT = r"(?:[Vv]ia|[Hh]/[Tt]|[Hh]at tip(?: to)?|HT:)"
_VIA = re.compile(
    rf"\(\s*{_CREDIT}\s+[^()\n]{{1,80}}\)"  # (via Instapaper), (h/t Jane Doe)
    rf"|(?<![\w@/]){_CREDIT}:?\s+@\w+"  # via @handle
    rf"|^[ \t]*{_CREDIT}:?\s+[^\n]{{1,100}}$"  # a line of its own
    r"|(?<![\w/])[Hh]/[Tt]:?\s+@?[\w.'-]+(?:[ \t]+[A-Z][\w.'-]*){0,2}",  # h/t is always a credit
    re.M,
)
_RT_TAIL = re.compile(r"(?<=\s)RT @\w+:?[\s\S]*\Z")
_LICENSE_LINE = re.compile(
    r"^[ \t]*(?:MIT License|Copyright (?:\(c\)|©|\d{4})|Licensed under the|SPDX-License-Identifier:|"
    r"All rights reserved\.?$|This (?:project|software|code) is (?:licensed|released) under)[^\n]{0,300}$",
    re.M | re.I,
)
_BOILERPLATE_LINE = re.compile(
    r"^[ \t]*(?:Posted (?:by|in|on)\b[^\n]{0,80}|Filed under\b[^\n]{0,120}|Tagged(?: with)?:[^\n]{0,200}|"
    r"Tags:[^\n]{0,200}|Categories:[^\n]{0,200}|Share (?:this|on)\b[^\n]{0,40}|Comments? \(\d+\)|\d+ comments?|"
    r"Leave a (?:comment|reply)|Subscribe to\b[^\n]{0,60}|Read more\W{0,3}|Continue reading\b[^\n]{0,60}|Permalink)"
    r"[ \t]*$",
    re.M | re.I,
)
# A quotation: an opening quote after a space or bracket and a closing one before a space or
# punctuation, so that the gap between two quoted phrases ('"a" and "b"') is never taken for one.
_QUOTATION = re.compile(r"(?<![\w\"“”])[\"“](?=\S)([^\"“”\n]{40,800}?)(?<=\S)[\"”](?!\w)")
_QUOTED_ACCOUNT = re.compile(r"^[\"“]@\w+:")  # “@someone: their words” (an old-style quote tweet)
QUOTATION_WORDS = 8


def mark_text(text: str) -> list[Span]:
    """Spans of ``text`` that plain-text patterns show are not the thinker's own words."""
    spans = [Span(m.start(), m.end(), "via") for m in _VIA.finditer(text)]
    spans += [Span(m.start(), m.end(), "quoted-post") for m in _RT_TAIL.finditer(text)]
    spans += [Span(m.start(), m.end(), "license") for m in _LICENSE_LINE.finditer(text)]
    spans += [Span(m.start(), m.end(), "boilerplate") for m in _BOILERPLATE_LINE.finditer(text)]
    for m in _QUOTATION.finditer(text):
        if _QUOTED_ACCOUNT.match(m.group()):
            spans.append(Span(m.start(), m.end(), "quoted-post"))
        elif len(m.group(1).split()) >= QUOTATION_WORDS:
            spans.append(Span(m.start(), m.end(), "quotation"))
    return spans


LICENCE_LINES = 3
LICENCE_LINE_CHARS = 100  # a licence header is wrapped text; a paragraph about licences is one long line
# A line of a licence text, wherever it stands (prose, or a comment block in code: `` * ``, ``#``, ``//``).
_LICENCE_WORDS = re.compile(
    r"copyright|all rights reserved|licen[cs]ed? |licen[cs]e (?:version|for more)|warranty|merchantability|"
    r"free software foundation|permission is hereby granted|spdx-license-identifier|redistribut",
    re.I,
)


def furniture_share(text: str) -> float:
    """The share of ``text`` in licence lines and page furniture (0.0 to 1.0), for ranking.

    Unlike ``mark_text`` it also looks inside code, where a licence header quoted in a post
    lives (a code span keeps its own reason when the spans are stored), so search can tell a
    passage that is mostly a licence header from one that is mostly code. Licence lines count
    only when short (wrapped, as headers are) and at least ``LICENCE_LINES`` of them: a post
    that discusses licences is prose.
    """
    if not text:
        return 0.0
    lines = text.splitlines()
    furniture = 0
    if len(lines) >= LICENCE_LINES:  # subtle: search ranks 100 passages a query; most are a line or two
        licence = [line for line in lines if len(line) <= LICENCE_LINE_CHARS and _LICENCE_WORDS.search(line)]
        furniture = sum(map(len, licence)) if len(licence) >= LICENCE_LINES else 0
    furniture += sum(len(line) for line in lines if _BOILERPLATE_LINE.fullmatch(line))
    return min(1.0, furniture / len(text))


def replaced(
    text: str, spans: Iterable[Span], edits: list[tuple[int, int, str]], reason: str | None = None
) -> tuple[str, list[Span]]:
    """Apply ``edits`` ((start, end, new text), in order, not overlapping) and move ``spans`` with them.

    A span edge inside a replaced stretch moves to that stretch's start or end. With
    ``reason``, each replacement is itself marked with it (restored ``$$…$$`` math).
    """
    parts, moves, at, shift = [], [], 0, 0
    for start, end, new in edits:
        parts += [text[at:start], new]
        moves.append((start, end, start + shift, start + shift + len(new)))
        shift += len(new) - (end - start)
        at = end
    parts.append(text[at:])

    def move(offset: int, forward: bool) -> int:
        delta = 0
        for start, end, new_start, new_end in moves:
            if offset <= start:
                break
            if offset < end:
                return new_start if forward else new_end
            delta = new_end - end
        return offset + delta

    moved = [Span(move(s.start, True), move(s.end, False), s.reason) for s in spans]
    if reason is not None:
        moved += [Span(new_start, new_end, reason) for _, _, new_start, new_end in moves]
    return "".join(parts), moved


def whole(text: str, reason: str) -> tuple[Span, ...]:
    """One span covering all of ``text`` (a repost): none of it is the thinker's."""
    return (Span(0, len(text), reason),) if text else ()


def normalise(spans: Iterable[Span], text: str) -> tuple[Span, ...]:
    """Spans clipped to ``text``, trimmed of surrounding whitespace, sorted and not overlapping.

    Where spans overlap, the one that starts first (the outer one, for nested marks) keeps its
    reason and grows to cover both: a code block inside a blockquote is part of the quote. Spans
    of the same reason with only whitespace between them become one.
    """
    out: list[Span] = []
    for span in sorted(_trimmed(spans, text), key=lambda s: (s.start, -s.end)):
        last = out[-1] if out else None
        if last is not None and (
            span.start <= last.end or (span.reason == last.reason and not text[last.end : span.start].strip())
        ):
            if span.end > last.end:
                out[-1] = Span(last.start, span.end, last.reason)
            continue
        out.append(span)
    return tuple(out)


def _trimmed(spans: Iterable[Span], text: str) -> Iterable[Span]:
    for span in spans:
        start, end = max(0, span.start), min(len(text), span.end)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            yield Span(start, end, span.reason)


def dumps(spans: tuple[Span, ...]) -> str | None:
    """The stored form: compact JSON ``[[start, end, reason], …]``; None when there are none."""
    if not spans:
        return None
    return json.dumps([[s.start, s.end, s.reason] for s in spans], separators=(",", ":"))


def loads(value: str | None) -> tuple[Span, ...]:
    """Spans from their stored form (None or empty: none, the whole text is own words)."""
    if not value:
        return ()
    return tuple(Span(int(a), int(b), str(r)) for a, b, r in json.loads(value))


def within(spans: tuple[Span, ...], start: int, end: int) -> tuple[Span, ...]:
    """The parts of ``spans`` inside ``[start, end)`` (a passage), in offsets from ``start``."""
    return tuple(
        Span(max(s.start, start) - start, min(s.end, end) - start, s.reason)
        for s in spans
        if s.start < end and s.end > start
    )


def own_share(spans: tuple[Span, ...], start: int, end: int) -> float:
    """The share of ``[start, end)`` outside ``spans``: 1.0 all own words, 0.0 none."""
    if end <= start:
        return 1.0
    others = sum(s.end - s.start for s in within(spans, start, end))
    return round(1.0 - others / (end - start), 4)


def own_text(text: str, spans: tuple[Span, ...]) -> str:
    """``text`` with the characters of ``spans`` blanked: same length, so offsets still hold.

    Other people's words become spaces (line breaks are kept), so a sentence or phrase found
    in the result is the thinker's own and points at the same place in the original.
    """
    if not spans:
        return text
    parts, at = [], 0
    for span in spans:
        parts.append(text[at : span.start])
        parts.append(re.sub(r"[^\n]", " ", text[span.start : span.end]))
        at = span.end
    parts.append(text[at:])
    return "".join(parts)


def reasons_in(spans: Iterable[Span]) -> dict[str, int]:
    """Characters per reason, for reports ("which text was left out, and why")."""
    counts: dict[str, int] = {}
    for span in spans:
        counts[span.reason] = counts.get(span.reason, 0) + span.end - span.start
    return counts
