"""HTML (and Markdown rendered to HTML) to plain text plus the spans that are not the author's words.

``html_to_marked(markup)`` returns exactly the text ``html_to_text`` returns, and the spans
of it that are quoted blocks (``<blockquote>``, Markdown ``>``), code (``<pre>``,
``<code>``), a licence section (a "License" heading and what follows it up to the next
heading of the same level), a Mastodon quote line (``.quote-inline``), plus what
``ownwords.mark_text`` finds in the resulting prose (credit lines, licence lines…).

How: before the text is taken from the parsed tree, each such node is wrapped in marker
characters (Unicode noncharacters, which never occur in published text); the markers are
then removed while their offsets are noted, and the offsets are carried through ``tidy``,
which only ever drops or collapses whitespace, by matching the runs of non-space characters
on both sides.

It does not decide what a whole document is (a repost, a link post): importers do.
"""

from __future__ import annotations

import bisect
import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..models import Span
from ..ownwords import REASONS, mark_text, normalise, whole
from .textutil import MAX_TAGS, clean, html_raw_text, html_to_text, tidy

CLOSE = "\ufdd1"
OPEN = {reason: chr(0xFDD2 + i) for i, reason in enumerate(REASONS)}
REASON_OF = {marker: reason for reason, marker in OPEN.items()}
_MARKER = re.compile("[\ufdd0-\ufdef]")
_MARKABLE = re.compile(r"<(?:blockquote|pre|code|h[1-6]|p class=\"quote-inline)\b", re.I)
_LICENSE_HEADING = re.compile(r"^\s*(?:licen[cs]e|licen[cs]ing|copyright)(?: and \w+)?\s*:?\s*$", re.I)
_RUN = re.compile(r"\S+")


def html_to_marked(markup: str) -> tuple[str, tuple[Span, ...]]:
    """``html_to_text(markup)`` and the spans of it that are not the author's own words."""
    if "<" not in markup or markup.count("<") > MAX_TAGS or not _MARKABLE.search(markup) or _MARKER.search(markup):
        text = html_to_text(markup)
        return text, normalise(mark_text(text), text)
    tree = LexborHTMLParser(markup)
    _mark_nodes(tree)
    plain, raw_spans = _unmark(html_raw_text(tree))
    text = tidy(plain)
    spans = _carry(plain, text, raw_spans) + mark_text(text)
    return text, normalise(spans, text)


def text_marked(text: str) -> tuple[str, tuple[Span, ...]]:
    """Plain text (a tweet, a .txt note) and what ``ownwords.mark_text`` finds in it."""
    return text, normalise(mark_text(text), text)


def post_others(text: str, *, repost: bool) -> tuple[Span, ...]:
    """A short post's spans: all of it when it is a repost, else what ``mark_text`` finds."""
    return whole(text, "repost") if repost else normalise(mark_text(text), text)


def cleaned(text: str, spans: tuple[Span, ...]) -> tuple[str, tuple[Span, ...]]:
    """``textutil.clean(text)`` with ``spans`` kept where it removed nothing (the usual case)."""
    out = clean(text)
    return (out, spans) if len(out) == len(text) else text_marked(out)


def _mark_nodes(tree: LexborHTMLParser) -> None:
    for node in tree.css("blockquote"):
        _wrap(node, node, "blockquote")
    for node in tree.css("pre, code"):
        _wrap(node, node, "code")
    for node in tree.css(".quote-inline"):
        _wrap(node, node, "quoted-post")
    for node in tree.css("h1, h2, h3, h4, h5, h6"):
        if _LICENSE_HEADING.match(node.text(strip=True) or ""):
            _wrap(node, _section_end(node), "license")


def _wrap(first: LexborNode, last: LexborNode, reason: str) -> None:
    first.insert_before(OPEN[reason])
    last.insert_after(CLOSE)


def _section_end(heading: LexborNode) -> LexborNode:
    """The last sibling before the next heading of the same or a higher level."""
    level, last, node = int((heading.tag or "h6")[1]), heading, heading.next
    while node is not None:
        tag = node.tag or ""
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit() and int(tag[1]) <= level:
            break
        if tag != "-text" or (node.text() or "").strip():
            last = node
        node = node.next
    return last


def _unmark(marked: str) -> tuple[str, list[Span]]:
    """The text without markers, and the spans the markers enclosed (in that text's offsets)."""
    parts: list[str] = []
    spans: list[Span] = []
    opened: list[tuple[str, int]] = []
    at = length = 0
    for match in _MARKER.finditer(marked):
        parts.append(marked[at : match.start()])
        length += match.start() - at
        at = match.end()
        if match.group() == CLOSE:
            if opened:
                reason, start = opened.pop()
                spans.append(Span(start, length, reason))
        elif match.group() in REASON_OF:
            opened.append((REASON_OF[match.group()], length))
    parts.append(marked[at:])
    return "".join(parts), spans


def _carry(before: str, after: str, spans: list[Span]) -> list[Span]:
    """``spans`` of ``before`` moved to ``after``, which differs from it only in whitespace."""
    runs_before = [(m.start(), m.end()) for m in _RUN.finditer(before)]
    runs_after = [m.start() for m in _RUN.finditer(after)]
    if len(runs_before) != len(runs_after):
        return []  # subtle: cannot happen with tidy; if it ever did, mark nothing rather than the wrong text
    starts = [start for start, _ in runs_before]
    moved = []
    for span in spans:
        begin = _moved(span.start, starts, runs_before, runs_after, forward=True)
        end = _moved(span.end, starts, runs_before, runs_after, forward=False)
        if begin is not None and end is not None and begin < end:
            moved.append(Span(begin, end, span.reason))
    return moved


def _moved(
    offset: int, starts: list[int], runs: list[tuple[int, int]], targets: list[int], *, forward: bool
) -> int | None:
    """Where ``offset`` lands after tidying; an offset in whitespace snaps to the nearest run inward."""
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and (runs[i][0] <= offset < runs[i][1] or (not forward and offset == runs[i][1])):
        return targets[i] + offset - runs[i][0]
    if forward:
        return targets[i + 1] if i + 1 < len(runs) else None
    return targets[i] + runs[i][1] - runs[i][0] if i >= 0 else None
