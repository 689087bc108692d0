"""RSS and Atom feeds (Substack newsletters included), read from a local file with feedparser.

The bytes are made safe before feedparser sees them: the DOCTYPE, and with it every entity
declaration (internal "billion laughs" or external ``SYSTEM "file:///etc/passwd"``), is cut
out of the prologue, so no entity is ever expanded and no file or URL is read. feedparser
receives a byte stream, never a string it could treat as a file name or URL. Bozo feeds
(mismatched tags, a wrong declared encoding) import the items that parse, and the problem
is reported as one skip entry.

Each item becomes a ``post`` (``newsletter`` when Substack generated the feed) whose text is
the plain text of ``content:encoded``/Atom content, else the summary. It does not fetch
feeds (``remote.py`` downloads URLs), follow item links, or read enclosures.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import feedparser

from ..errors import CorruptArchiveError
from ..hookspecs import hookimpl
from ..models import Document, Span
from .base import ImportRun
from .marking import cleaned, html_to_marked, text_marked
from .textutil import clean, html_to_text, tidy

SNIFF_BYTES = 4096
_NAME = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "html", "xhtml")


class FeedImporter:
    name = "feed"
    description = "RSS or Atom feed file (.xml, .rss, .atom), including Substack newsletter exports"

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with path.open("rb") as f:
                head = _utf8(f.read(SNIFF_BYTES))
        except OSError:
            return False
        return _is_feed(head)

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        parsed, had_entities = _parse(path)
        if had_entities:
            options.skip(path, "DTD entity declarations ignored (entities are never expanded)")
        entries = list(parsed.entries)
        if parsed.bozo and not entries:
            raise CorruptArchiveError(f"'{path}' is not a readable feed: {_problem(parsed)}")
        context = _FeedContext(parsed.feed, options.provenance.get("url"), options.relative(path), options.origin)
        dropped = 0
        for entry in entries:
            doc = _document(entry, context, str(path), options)
            if doc is None:
                dropped += 1
            else:
                yield doc
        if dropped:
            options.skip(path, f"{dropped} items without text or id not imported")
        if parsed.bozo:
            options.skip(path, f"feed is malformed ({_problem(parsed)}); imported the {len(entries)} items that parsed")


IMPORTER = FeedImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)


# -- making the bytes safe ------------------------------------------------------------


def _utf8(data: bytes) -> bytes:
    """UTF-16/32 feeds re-encoded as UTF-8 so that the byte-level prologue scan below sees ASCII."""
    for bom, codec in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xff\xfe", "utf-16"),
                       (b"\xfe\xff", "utf-16")):  # fmt: skip
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return re.sub(r"^\s*<\?xml[^>]*\?>", '<?xml version="1.0" encoding="utf-8"?>', text).encode("utf-8")
    return data


def _split_prologue(data: bytes) -> tuple[bytes, bytes, bytes]:
    """Return (XML declaration, DOCTYPE, the rest from the root element on); comments and PIs dropped."""
    declaration = doctype = b""
    i = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while True:
        while i < len(data) and data[i] in b" \t\r\n":
            i += 1
        if data.startswith(b"<?", i):
            end = _after(data, b"?>", i)
            if not declaration and data[i : i + 6].lower() == b"<?xml ":
                declaration = data[i:end]
        elif data.startswith(b"<!--", i):
            end = _after(data, b"-->", i)
        elif data[i : i + 9].upper() == b"<!DOCTYPE":
            end = _doctype_end(data, i)
            doctype = data[i:end]
        else:
            return declaration, doctype, data[i:]
        i = end


def _after(data: bytes, marker: bytes, start: int) -> int:
    found = data.find(marker, start)
    return len(data) if found < 0 else found + len(marker)


def _doctype_end(data: bytes, start: int) -> int:
    """Index just past the DOCTYPE at ``start``, skipping its internal subset, quoted strings and comments."""
    quote: int | None = None
    depth = 0
    i = start + 9
    while i < len(data):
        byte = data[i]
        if quote is not None:
            quote = None if byte == quote else quote
        elif data.startswith(b"<!--", i):
            i = _after(data, b"-->", i)
            continue
        elif byte in b"\"'":
            quote = byte
        elif byte == ord("["):
            depth += 1
        elif byte == ord("]"):
            depth -= 1
        elif byte == ord(">") and depth <= 0:
            return i + 1
        i += 1
    return len(data)


def _is_feed(head: bytes) -> bool:
    _, _, body = _split_prologue(head)
    match = _NAME.match(body)
    if match is None:
        return False
    root = match.group(1).lower()
    if root == b"rss":
        return True
    if root == b"feed":
        return b"www.w3.org/2005/Atom" in head or b"purl.org/atom" in head
    return root.endswith(b"rdf") and b"purl.org/rss" in head


def _parse(path: Path) -> tuple[Any, bool]:
    """feedparser's result for the file with its DOCTYPE removed, and whether that DOCTYPE declared entities."""
    try:
        data = _utf8(path.read_bytes())
    except OSError as ex:
        raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror}") from None
    declaration, doctype, body = _split_prologue(data)
    safe = (declaration + b"\n" if declaration else b"") + body
    # subtle: a stream, not bytes: feedparser tries open() on bytes, which would read a file named by the feed
    parsed = feedparser.parse(io.BytesIO(safe), sanitize_html=True, resolve_relative_uris=False)
    return parsed, b"<!ENTITY" in doctype.upper()


def _problem(parsed: Any) -> str:
    text = str(parsed.get("bozo_exception") or "unknown error")
    return clean(text)[:200]


# -- one item -> one document ------------------------------------------------------------


class _FeedContext:
    """What every item of one feed shares: its kind, title and a namespace for bare guids.

    The namespace is the feed's link, else the URL it was fetched from, else its path in the
    import root; only the last is relative, and then ``origin`` (the root's) goes with it.
    """

    def __init__(self, feed: Any, url: str | None, rel: str, root: str) -> None:
        generator = str(feed.get("generator") or "")
        self.kind = "newsletter" if "substack" in generator.lower() else "post"
        self.title = _text(feed.get("title"), feed.get("title_detail"))
        link = feed.get("link") or url
        self.namespace = str(link or rel)
        self.origin = "" if link else root


def _document(entry: Any, feed: _FeedContext, source_path: str, options: ImportRun) -> Document | None:
    (body, others), from_content = _body(entry)
    title = _text(entry.get("title"), entry.get("title_detail")) or None
    link = _http_url(entry.get("link"))
    guid = str(entry.get("id") or "") or link
    if not guid or not (body or title):
        return None
    meta = _meta(entry, feed, from_content)
    source_id = guid if ":" in guid else f"{feed.namespace}#{guid}"
    stated = entry.get("published") or entry.get("updated") or entry.get("created")
    return Document(
        source="feed",
        source_id=source_id,
        origin="" if ":" in guid else feed.origin,
        kind=feed.kind,
        text=body,
        title=title,
        url=link,
        published_at=options.date(stated, f"{source_path}#{guid}"),
        source_path=source_path,
        meta=meta,
        others=others,
    )


def _body(entry: Any) -> tuple[tuple[str, tuple[Span, ...]], bool]:
    """Plain text (and the spans not the author's words) of the fullest content (content:encoded,
    Atom content), else of the summary."""
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    if contents:
        best = max(contents, key=lambda c: len(c.get("value") or ""))
        return _marked(best.get("value"), best), True
    return _marked(entry.get("summary"), entry.get("summary_detail")), False


def _marked(value: Any, detail: Any) -> tuple[str, tuple[Span, ...]]:
    if not isinstance(value, str) or not value:
        return "", ()
    kind = str(detail.get("type") or "") if detail else ""
    return cleaned(*(html_to_marked(value) if kind in _HTML_TYPES or not kind else text_marked(tidy(value))))


def _text(value: Any, detail: Any) -> str:
    if not isinstance(value, str) or not value:
        return ""
    kind = str(detail.get("type") or "") if detail else ""
    return clean(html_to_text(value) if kind in _HTML_TYPES or not kind else tidy(value))


def _meta(entry: Any, feed: _FeedContext, from_content: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if feed.title:
        meta["feed"] = feed.title
    if entry.get("author"):
        meta["author"] = clean(str(entry.get("author")))
    tags = [str(t.get("term")) for t in entry.get("tags") or [] if t.get("term")]
    if tags:
        meta["tags"] = tags
    if from_content and entry.get("summary"):
        meta["description"] = _text(entry.get("summary"), entry.get("summary_detail"))
    return meta


def _http_url(value: Any) -> str | None:
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None
