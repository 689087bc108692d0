"""Decode a JSON array item by item from a stream of bytes, never holding the whole file.

X archives ship ``tweets.js`` files of a gigabyte and more: ``window.YTD.tweets.part0 = [ … ]``.
``iter_json_array`` reads such a file chunk by chunk, decodes UTF-8 incrementally, skips
the ``window.X =`` prefix, a BOM, CRLF and a trailing ``;``, and yields each item as
``json`` decodes it (``raw_decode`` over a sliding buffer). Memory holds about one item
and one chunk.

It does not read files or zips itself (callers pass the chunks, e.g. from ``archive.Tree``)
and does not interpret the items. Every content problem (truncated or invalid JSON,
invalid UTF-8, nesting too deep, a number too long, an item over ``MAX_ITEM_CHARS``)
raises ``JsonStreamError`` with a one-line message naming the file; errors raised by the
chunk source itself (a zip bomb, an unreadable member) pass through unchanged, so a
caller can skip a bad file yet abort on a hostile archive.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from ..errors import CorruptArchiveError
from .archive import CHUNK

MAX_ITEM_CHARS = 32 * 1024 * 1024

_ASSIGN = re.compile(r"(?:window\.)?[A-Za-z_$][\w$.]*\s*=\s*")
_WS = re.compile(r"[ \t\r\n]*")
_COMMA = re.compile(r"[ \t\r\n]*,[ \t\r\n]*")


class JsonStreamError(CorruptArchiveError):
    """One file's content is not a readable JSON array (its siblings in an archive may still be)."""


def iter_json_array(chunks: Iterable[bytes], label: str) -> Iterator[Any]:
    """Yield the items of the JSON array in ``chunks`` (bytes), reading them lazily.

    Accepts an optional ``window.YTD.x.part0 = `` prefix, a BOM, CRLF and a trailing ``;``.
    Memory holds about one item and one chunk, never the whole file. Any content problem
    raises a CorruptArchiveError (subclass) whose one-line message names ``label``.
    """
    reader = _ArrayReader(chunks, label)
    try:
        yield from reader.items()
    except RecursionError:
        raise JsonStreamError(f"'{label}': JSON nested too deeply in item {reader.count + 1}") from None
    except UnicodeDecodeError as ex:
        raise JsonStreamError(f"'{label}' is not valid UTF-8 ({ex.reason} near byte {reader.bytes_read:,})") from None
    except ValueError as ex:  # subtle: also int() past sys.get_int_max_str_digits (a 10**6-digit number)
        raise JsonStreamError(f"'{label}': invalid JSON in item {reader.count + 1}: {str(ex)[:120]}") from None


class _ArrayReader:
    """Decode one JSON array from a byte stream, item by item, over a sliding text buffer."""

    def __init__(self, chunks: Iterable[bytes], label: str) -> None:
        self._chunks = iter(chunks)
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")()
        self._decode = json.JSONDecoder().raw_decode
        self.label = label
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.count = 0
        self.bytes_read = 0

    def items(self) -> Iterator[Any]:
        self._open()
        if self._peek() == "]":
            self.pos += 1
        else:
            yield from self._body()
        self._close()

    def _body(self) -> Iterator[Any]:
        while True:
            yield self._item()
            self.count += 1
            comma = _COMMA.match(self.buf, self.pos)  # the usual case, in one step: ", " then the next item
            if comma and comma.end() < len(self.buf) and self.buf[comma.end()] != "]":
                self.pos = comma.end()
                continue
            sep = self._peek()
            self.pos += 1
            if sep == "]":
                return
            if sep != ",":
                where = f"after item {self.count}"
                raise JsonStreamError(
                    f"'{self.label}': expected ',' or ']' {where}" if sep else f"'{self.label}' is truncated {where}"
                )
            if self._peek() == "]":  # a trailing comma, as JavaScript allows
                self.pos += 1
                return

    def _open(self) -> None:
        """Skip the BOM, whitespace and ``window.YTD.<type>.partN =`` up to the opening '['."""
        self._peek()
        while len(self.buf) - self.pos < 256 and self._fill():
            pass
        match = _ASSIGN.match(self.buf, self.pos)
        if match:
            self.pos = match.end()
        if self._peek() != "[":
            raise JsonStreamError(
                f"'{self.label}' does not hold a JSON array (expected '[' or 'window.YTD.<type>.part0 = [')"
            )
        self.pos += 1

    def _close(self) -> None:
        tail = self._peek()
        if tail == ";":
            self.pos += 1
            tail = self._peek()
        if tail:
            raise JsonStreamError(f"'{self.label}': unexpected content after the closing ']'")

    def _peek(self) -> str:
        """Skip whitespace and return the next character ('' at the end of the input)."""
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._fill():
                return ""

    def _item(self) -> Any:
        while True:
            try:
                value, end = self._decode(self.buf, self.pos)
            except json.JSONDecodeError as ex:
                if self.eof or not _maybe_cut(ex, len(self.buf)):
                    raise JsonStreamError(
                        f"'{self.label}': invalid or truncated JSON in item {self.count + 1}: {ex.msg}"
                    ) from None
                self._grow()
                continue
            if end < len(self.buf) or self.eof:  # subtle: a number ending at the buffer's end may go on
                self.pos = end
                return value
            self._grow()

    def _grow(self) -> None:
        """Read until the pending item's text has doubled (so retries cost O(n) in all) or the input ends."""
        pending = len(self.buf) - self.pos
        if pending > MAX_ITEM_CHARS:
            raise JsonStreamError(
                f"'{self.label}': item {self.count + 1} is invalid or larger than {MAX_ITEM_CHARS:,} characters"
            )
        target = 2 * pending + CHUNK
        while len(self.buf) - self.pos < target and self._fill():
            pass

    def _fill(self) -> bool:
        """Append the next decoded chunk to the buffer; False at the end of the input."""
        if self.eof:
            return False
        if self.pos > CHUNK:  # drop the consumed text
            self.buf, self.pos = self.buf[self.pos :], 0
        chunk = next(self._chunks, None)
        if chunk is None:
            self.eof = True
            self.buf += self._decoder.decode(b"", final=True)
            return False
        self.buf += self._decoder.decode(chunk)
        self.bytes_read += len(chunk)
        return True


def _maybe_cut(ex: json.JSONDecodeError, end: int) -> bool:
    """True when a decode error could come from the buffer ending mid-item (more input may fix it)."""
    return ex.pos >= end - 32 or ex.msg.startswith("Unterminated string")
