"""Import a plain-text dump of tweets (a hand-made ``karpathy-tweets-full.txt``): one Document per item.

Accepted shapes (see docs/formats/tweet-text.md for examples):

* Items are separated by blank lines (or by separator lines such as ``---``, ``***``,
  ``===``); an item may span several lines. A file with no blank line at all has one item
  per line. Inside a block, every line that starts with a date starts a new item, so
  ``2023-01-24 text`` lines may follow each other without blank lines.
* An item may open with a date and/or a status URL, in either order, on the first line or
  on lines of their own, optionally in brackets and followed by ``-``, ``|``, ``:`` or a dash:
  ``2023-01-24``, ``2023-01-24 10:00``, ``2023-01-24T10:00:00Z``, ``Jan 24, 2023``,
  ``24 Jan 2023``, ``Thu Nov 03 08:50:26 +0000 2022``, ``[2023-01-24]``, ``(Jan 24, 2023)``,
  ``https://x.com/<name>/status/<id>`` (twitter.com, mobile and www hosts too).
* An item may end with a line holding only its status URL.
* A line holding only a date heads the next item; a line holding only a status URL ends
  the previous item when that has no URL yet.

Each item becomes kind ``tweet`` (``repost`` when it starts with ``RT @``). ``source_id`` is
the status id when a status URL is given, else ``sha1:`` and 16 hex digits of the
(date, text) pair, so a re-import is idempotent; repeated items are counted and skipped.
``thinker`` is the screen name most status URLs in the file carry, lower-cased, if any.

Detection claims only ``.txt`` files whose items look like tweets: most start with a date
or status URL, or (for undated dumps) nearly all are short. Transcripts (a ``SOURCE:``
header, ``[123s]`` caption lines, ``-->`` cue timings) are left to the transcripts importer.

It does not fetch the tweets, resolve t.co links, or find replies or threads: a text dump
holds none of that.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .base import ImportRun
from .dates import DateError, parse_date
from .marking import post_others
from .textutil import clean, decode, looks_binary

NAME = "tweet-text"
MAX_FILE_BYTES = 256 * 1024 * 1024
HEAD_BYTES = 64 * 1024
SHORT_CHARS = 600

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:\s?[AaPp][Mm])?"
_DATE = (
    rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[ T]{_CLOCK}(?:Z|[+-]\d{{2}}:?\d{{2}}|\s?UTC)?)?"
    rf"|{_MONTH} \d{{1,2}},? \d{{4}}(?:,? (?:at )?{_CLOCK})?"
    rf"|\d{{1,2}} {_MONTH},? \d{{4}}(?:,? {_CLOCK})?"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} [+-]\d{4} \d{4}"
)
_SEP = r"(?:\s*[-|:\u2013\u2014]\s*|\s+|$)"
_DATE_START = re.compile(rf"^\s*[\[(]?({_DATE})[\])]?{_SEP}", re.IGNORECASE)
_STATUS = r"https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w+)/status(?:es)?/(\d+)[^\s>)\]]*"
_URL_START = re.compile(rf"^\s*[<(\[]?({_STATUS})[>)\]]?{_SEP}", re.IGNORECASE)
_URL_ONLY = re.compile(rf"^\s*[<(\[]?({_STATUS})[>)\]]?\s*$", re.IGNORECASE)
_SEPARATOR = re.compile(r"^\s*(?:[-=*_~#]\s*){3,}$|^\s*[\u2013\u2014]\s*$")
_CAPTION = re.compile(r"^\[\d+(?:\.\d+)?s\]")
_STATUS_PARTS = re.compile(_STATUS, re.IGNORECASE)


@dataclass
class Item:
    """One tweet as found in the dump: its text, optional date and status URL, first line number."""

    line: int
    text: str
    date: datetime | None = None
    url: str | None = None
    date_error: DateError | None = None  # a leading date that is no date (reported, the item kept undated)


# -- splitting the file into items ---------------------------------------------------------


def parse_items(text: str) -> list[Item]:
    """Split a dump into items and read each one's leading date/URL and trailing URL."""
    blocks = _blocks(text.splitlines())
    per_line = len(blocks) == 1
    chunks = [chunk for block in blocks for chunk in _split_block(block, per_line)]
    return _merge_marker_only([_parse_item(chunk) for chunk in chunks])


def _blocks(lines: list[str]) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines, with 1-based line numbers; separator lines count as blank."""
    blocks: list[list[tuple[int, str]]] = [[]]
    for number, line in enumerate(lines, 1):
        if not line.strip() or _SEPARATOR.match(line):
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append((number, line.rstrip()))
    return [b for b in blocks if b]


def _split_block(block: list[tuple[int, str]], per_line: bool) -> list[list[tuple[int, str]]]:
    """Cut a block before each dated line; else before each 'URL text' line; else per line in a blank-less file."""
    starts = [i for i, (_, line) in enumerate(block) if _DATE_START.match(line)]
    if not starts:
        starts = [i for i, (_, line) in enumerate(block) if _URL_START.match(line) and not _URL_ONLY.match(line)]
    if not starts:
        return [block[i : i + 1] for i in range(len(block))] if per_line else [block]
    bounds = sorted({0, *_cuts_after_text(block, starts), len(block)})
    return [block[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if a < b]


def _cuts_after_text(block: list[tuple[int, str]], starts: list[int]) -> list[int]:
    """Keep the cuts that close a segment holding text, so a URL line stays with the dated line it heads.

    subtle: a URL-only line between two dated items is ambiguous. When the block opens with
    one (``URL / date text / URL / date text``) such lines head the next item; otherwise
    (``date text / URL / date text / URL``) they end the previous one.
    """
    heads = bool(_URL_ONLY.match(block[0][1]))
    cuts, begin = [], 0
    for i in starts:
        if any(not _marker_only(line) for _, line in block[begin:i]):
            while heads and i - 1 > begin and _URL_ONLY.match(block[i - 1][1]):
                i -= 1
            cuts.append(i)
            begin = i
    return cuts


def _marker_only(line: str) -> bool:
    match = _DATE_START.match(line)
    return bool(_URL_ONLY.match(line)) or (match is not None and not line[match.end() :].strip())


def _parse_item(chunk: list[tuple[int, str]]) -> Item:
    lines = [line for _, line in chunk]
    item = Item(line=chunk[0][0], text="")
    while lines and _take_header(item, lines):
        lines = [line for line in lines if line.strip()]
    if lines and item.url is None and (match := _URL_ONLY.match(lines[-1])):
        item.url = match.group(1)
        lines.pop()
    item.text = clean("\n".join(line.strip() for line in lines)).strip()
    return item


def _take_header(item: Item, lines: list[str]) -> bool:
    """Consume one leading date or status URL from ``lines[0]``; False when there is none."""
    first = lines[0]
    if item.date is None and item.date_error is None and (match := _DATE_START.match(first)):
        try:
            item.date = parse_date(match.group(1))
        except DateError as ex:
            item.date_error = ex
    elif item.url is None and (match := _URL_START.match(first)):
        item.url = match.group(1)
    else:
        return False
    lines[0] = first[match.end() :]
    return True


def _merge_marker_only(items: list[Item]) -> list[Item]:
    """A date-only item heads the next item; a URL-only item ends the previous one (or heads the next).

    A marker left with no text to attach to (at the end of the file) is kept with empty text,
    for the caller to report.
    """
    merged: list[Item] = []
    pending: Item | None = None
    for item in items:
        if item.text:
            if pending is not None:
                item.date, item.url, pending = item.date or pending.date, item.url or pending.url, None
            merged.append(item)
        elif item.url and item.date is None and pending is None and merged and merged[-1].url is None:
            merged[-1].url = item.url
        elif pending is None:
            pending = item
        else:
            pending.date, pending.url = pending.date or item.date, pending.url or item.url
    return merged + ([pending] if pending is not None else [])


# -- items to Documents ------------------------------------------------------------------------


def source_id(item: Item) -> str:
    """The status id when the item has a status URL, else ``sha1:`` + 16 hex of (date, text)."""
    match = _STATUS_PARTS.match(item.url or "")
    if match:
        return match.group(2)
    date = item.date.isoformat() if item.date else ""
    return "sha1:" + hashlib.sha1(f"{date}\x00{item.text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _thinker(items: list[Item]) -> str:
    names = Counter(m.group(1).lower() for i in items if (m := _STATUS_PARTS.match(i.url or "")) and m.group(1) != "i")
    return names.most_common(1)[0][0] if names else ""


def _documents(path: Path, items: list[Item], options: ImportRun) -> Iterator[Document]:
    thinker, rel = _thinker(items), options.relative(path)
    seen: set[str] = set()
    repeats = 0
    for item in items:
        if not item.text:
            options.skip(f"{path}:{item.line}", "a date or status URL with no tweet text after it, skipped")
            continue
        sid = source_id(item)
        if sid in seen:
            repeats += 1
            continue
        seen.add(sid)
        if item.date_error is not None:
            options.reject_date(f"{path}:{item.line}", item.date_error)
        repost = item.text.startswith("RT @")
        yield Document(
            source=NAME,
            source_id=sid,
            kind="repost" if repost else "tweet",
            text=item.text,
            thinker=thinker,
            url=item.url,
            published_at=item.date,
            source_path=rel,
            meta={"line": item.line},
            others=post_others(item.text, repost=repost),
        )
    if repeats:
        options.skip(str(path), f"{repeats:,} repeated items (same status URL, or same date and text) skipped")


# -- detection ---------------------------------------------------------------------------------


def looks_like_tweets(text: str, name: str = "") -> bool:
    """True when ``text`` reads as a tweet dump rather than prose or a transcript."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or lines[0].lstrip().upper().startswith("SOURCE:") or text.lstrip().startswith("WEBVTT"):
        return False
    if sum(1 for line in lines[:200] if _CAPTION.match(line) or "-->" in line) >= 3:
        return False
    blocks = _blocks(text.splitlines())
    per_line = len(blocks) == 1
    items = [chunk for block in blocks for chunk in _split_block(block, per_line)]
    if len(items) < 2:
        return False
    sizes = sorted(sum(len(line) for _, line in chunk) for chunk in items)
    short = sum(1 for size in sizes if size < SHORT_CHARS) / len(items)
    marked = sum(1 for chunk in items if _DATE_START.match(chunk[0][1]) or _URL_START.match(chunk[0][1])) / len(items)
    if marked >= 0.5 and short >= 0.5:
        return True
    if any(word in name.lower() for word in ("tweet", "twitter")):  # named like a dump: short items suffice
        return short >= 0.8
    # An undated dump, one tweet per line: many lines, the typical one tweet-sized.
    return per_line and len(items) >= 10 and sizes[len(sizes) // 2] <= 280 and short >= 0.9


class TweetTextImporter:
    """The plain-text tweet dump importer."""

    name = NAME
    description = "Plain-text tweet dump (.txt): one tweet per block or line, optional date and status URL"

    def detect(self, path: Path) -> bool:
        if path.suffix.lower() != ".txt" or not path.is_file():
            return False
        try:
            with path.open("rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError:
            return False
        if looks_binary(head):
            return False
        return looks_like_tweets(head.decode("utf-8", errors="replace"), path.name)

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        items = parse_items(_read_text(path))
        if not items:
            raise EmptyImportError(f"'{path}' holds no tweets")
        yield from _documents(path, items, options)


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CorruptArchiveError(f"'{path}' is larger than {MAX_FILE_BYTES:,} bytes; split the dump")
        return decode(path.read_bytes(), path)
    except OSError as ex:
        raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None


IMPORTER = TweetTextImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
