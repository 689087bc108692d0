"""Import a WordPress export (WXR: Tools → Export, an RSS file with ``wp:`` elements).

Each ``<item>`` is a post, page, attachment or menu item. Published posts and pages become
``post`` and ``page`` Documents: title, ``content:encoded`` as plain text, the permalink
(``<link>``), the date (``wp:post_date_gmt``, else ``pubDate``) in UTC, categories and tags
(``<category domain="category|post_tag">``), the author (``dc:creator``) and the post id
(``wp:post_id``, the ``source_id``). Private and password-protected posts are left out
unless ``--include-private``; drafts, pending, scheduled and trashed posts always are;
comments are never imported (they are other people's words). Everything left out is counted.

The XML is parsed with defusedxml, streaming item by item: a DTD (and so any entity,
external or billion-laughs) is refused with a one-line error naming the file, nothing
is fetched or expanded.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from ..errors import CorruptArchiveError
from ..hookspecs import hookimpl
from ..models import Document
from .base import ImportRun
from .marking import cleaned, html_to_marked
from .textutil import clean, html_to_text, tidy

NAME = "wordpress"
HEAD_BYTES = 8192
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
KINDS = {"post": "post", "page": "page"}
_PRIVATE = "{n} private or password-protected items left out (use --include-private)"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _wp(item: Element, name: str) -> str:
    """The text of the item's ``wp:<name>`` child, whatever WXR version (1.0–1.2) namespaces it."""
    for child in item:
        if _local(child.tag) == name and child.tag.startswith("{http://wordpress.org/export/"):
            return (child.text or "").strip()
    return ""


def _text(item: Element, tag: str) -> str:
    child = item.find(tag)
    return (child.text or "") if child is not None else ""


def _excerpt(item: Element) -> str:
    for child in item:
        if child.tag.endswith("/excerpt/}encoded"):
            return child.text or ""
    return ""


def _terms(item: Element, domain: str) -> list[str]:
    return [clean(c.text.strip()) for c in item.findall("category") if c.get("domain") == domain and c.text]


def _date(item: Element, where: str, options: ImportRun) -> datetime | None:
    gmt = _wp(item, "post_date_gmt")
    if gmt and not gmt.startswith("0000"):  # subtle: drafts carry 0000-00-00; the value has no zone and is UTC
        return options.date(gmt, where)
    return options.date(_text(item, "pubDate"), where)


def _document(item: Element, kind: str, label: str, options: ImportRun) -> Document:
    link = _text(item, "link").strip()
    meta: dict[str, Any] = {
        "post_id": _wp(item, "post_id"),
        "slug": _wp(item, "post_name"),
        "categories": _terms(item, "category"),
        "tags": _terms(item, "post_tag"),
        "author": clean(_text(item, CREATOR).strip()),
        "excerpt": clean(html_to_text(_excerpt(item))),
    }
    text, others = cleaned(*html_to_marked(_text(item, CONTENT)))
    return Document(
        source=NAME,
        source_id=_wp(item, "post_id") or link,
        origin=options.origin if _wp(item, "post_id") else "",  # post ids are numbered per site: 1, 2, 3…
        kind=kind,
        text=text,
        title=clean(tidy(_text(item, "title"))) or None,
        url=link if link.startswith(("https://", "http://")) else None,
        published_at=_date(item, f"{label}#{_wp(item, 'post_id')}", options),
        source_path=label,
        meta={k: v for k, v in meta.items() if v},
        others=others,
    )


def _verdict(item: Element, options: ImportRun) -> str | None:
    """The kind to import the item as, or the reason (a ``{n}`` template) it is left out."""
    post_type, status = _wp(item, "post_type") or "post", _wp(item, "status") or "publish"
    if post_type not in KINDS:
        return f"{{n}} '{post_type[:30]}' items not imported (only posts and pages are)"
    if status == "private" or (_wp(item, "post_password") and status == "publish"):
        return None if options.include_private else _PRIVATE
    if status != "publish":
        return f"{{n}} '{status[:20]}' {post_type}s left out (not published)"
    return None


class WordPressImporter:
    name = NAME
    description = "WordPress export (WXR .xml): published posts and pages, comments left out"

    def detect(self, path: Path) -> bool:
        if not path.is_file() or path.suffix.lower() not in (".xml", ".wxr"):
            return False
        try:
            with path.open("rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError:
            return False
        return b"<rss" in head and b"wordpress.org/export/" in head

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        label = options.relative(path)
        left: Counter[str] = Counter()
        try:
            yield from self._items(path, label, options, left)
        except (ParseError, DefusedXmlException) as ex:
            raise CorruptArchiveError(f"'{path}' is not a readable WordPress export: {_why(ex)}") from None
        except OSError as ex:
            raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None
        for reason, n in sorted(left.items()):
            options.skip(label, reason.format(n=n), expected=True)

    def _items(self, path: Path, label: str, options: ImportRun, left: Counter[str]) -> Iterator[Document]:
        for _, element in iterparse(str(path), events=("end",), forbid_dtd=True):
            if element.tag != "item":
                continue
            comments = [c for c in element if _local(c.tag) == "comment"]
            if comments:
                left["{n} comments left out (other people's words)"] += len(comments)
            kind = KINDS.get(_wp(element, "post_type") or "post", "")
            reason = _verdict(element, options)
            if reason is None:
                yield _document(element, kind, label, options)
            else:
                left[reason] += 1
            element.clear()  # subtle: keeps memory flat on a big export


def _why(ex: Exception) -> str:
    if isinstance(ex, DefusedXmlException):
        return "it declares a DTD or entities, refused (no entity is expanded or fetched)"
    return str(ex)[:160]


IMPORTER = WordPressImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
