"""Small text helpers every importer shares: decoding bytes, HTML to text, cleanup.

They exist so that each importer decodes and strips text the same way: invalid UTF-8 falls
back to a detected encoding, NUL bytes and lone surrogates never reach SQLite, and HTML
becomes readable plain text (scripts and styles dropped, blocks on new lines). Dates are
read by ``dates``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from selectolax.lexbor import LexborHTMLParser

from ..errors import CorruptArchiveError

_BLOCK = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def decode(data: bytes, path: str | Path) -> str:
    """Decode file bytes: UTF-8 (BOM stripped), else the detected encoding; NULs removed.

    Raises CorruptArchiveError when the bytes look binary (not text at all).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_fallback(data, path)
    return clean(text)


def _decode_fallback(data: bytes, path: str | Path) -> str:
    sample = data[:4096]
    if sample.count(b"\x00") > len(sample) // 10 and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorruptArchiveError(f"'{path}' is a binary file, not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 4 * 1024 * 1024]).best()
    if best is None:
        raise CorruptArchiveError(f"'{path}' is not valid text in any known encoding")
    return data.decode(best.encoding, errors="replace")


def looks_binary(data: bytes) -> bool:
    """True when a sample of bytes has NULs or many control bytes (an image, an executable)."""
    sample = data[:4096]
    if not sample:
        return False
    if sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return b"\x00" in sample or controls > len(sample) // 20


def clean(text: str) -> str:
    """Remove NUL bytes and replace lone surrogates, which SQLite cannot store."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


MAX_TAGS = 20_000
_TAG = re.compile(r"<[^<>]{0,2000}>")
_SCRIPT = re.compile(r"<(script|style)\b[^<>]{0,2000}>.{0,100000}?</\1\s*>", re.I | re.S)


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML fragment or page; scripts, styles and comments dropped.

    subtle: the HTML parser takes quadratic time on deeply nested tags (100k ``<div>``:
    minutes), so markup with over MAX_TAGS tags is stripped by regex in linear time instead,
    losing its block structure rather than hanging the import.
    """
    if "<" not in markup and "&" not in markup:
        return markup.strip()
    if markup.count("<") > MAX_TAGS:
        return tidy(html.unescape(_TAG.sub(" ", _SCRIPT.sub(" ", markup))))
    return tidy(html_raw_text(LexborHTMLParser(markup)))


def html_raw_text(tree: LexborHTMLParser) -> str:
    """The text of a parsed page before ``tidy``: scripts and styles dropped, blocks on new lines.

    Changes ``tree`` (``importers.marking`` marks nodes in it first, then calls this).
    """
    tree.strip_tags(["script", "style", "noscript", "template", "iframe", "object", "svg"])
    for node in tree.css("br"):
        node.replace_with("\n")
    for node in tree.css("p, div, li, h1, h2, h3, h4, h5, h6, blockquote, pre, tr, section, article"):
        node.insert_after("\n\n")
    root = tree.body or tree.root
    return root.text(separator="", strip=False) if root is not None else ""


def tidy(text: str) -> str:
    """Collapse runs of spaces and blank lines; strip each line's ends."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.splitlines()]
    return _BLOCK.sub("\n\n", "\n".join(lines)).strip()


def unescape(text: str) -> str:
    return html.unescape(text)


def bounded_lines(stream: BinaryIO, max_bytes: int) -> Iterator[tuple[bytes, bool]]:
    """Yield ``(line, complete)`` from a binary stream, never holding more than ``max_bytes`` of one line.

    A longer line yields its first ``max_bytes`` with ``complete=False``; the rest is read
    in chunks and dropped, so a 50 MB line costs ``max_bytes`` of memory, not 50 MB.
    """
    while line := stream.readline(max_bytes):
        if len(line) < max_bytes or line.endswith(b"\n"):
            yield line, True
            continue
        while (rest := stream.readline(max_bytes)) and not rest.endswith(b"\n"):
            pass
        yield line, False


def is_binary(sample: bytes) -> bool:
    """True when bytes are not text in any encoding: not UTF-8 and full of control bytes.

    Unlike ``looks_binary`` this keeps UTF-8 text with stray NUL bytes (they are stripped
    by ``clean``) and text in legacy 8-bit encodings; a sample cut mid-character is UTF-8.
    """
    if not sample or sample.startswith((b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf")):
        return False
    try:
        sample.decode("utf-8")
        return False
    except UnicodeDecodeError as ex:
        if ex.start >= len(sample) - 3 and ex.reason == "unexpected end of data":
            return False
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls > len(sample) // 20
