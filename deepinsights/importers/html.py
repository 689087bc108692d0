"""Saved or fetched HTML pages: the main content as plain text, with title, date and URL.

A file is HTML when it starts with markup and names ``<!doctype html``, ``<html``, ``<head``
or ``<body`` near the start (decided from content, not the extension). The main content is
the page's single ``<article>``, else ``<main>`` / ``[role=main]``, else the body; navigation,
headers, footers, asides, forms, scripts and styles are dropped. Title comes from
``<title>``, ``og:title`` or the first ``<h1>``; the date from ``article:published_time``,
``datePublished`` or a ``<time datetime>``; the URL from the fetched address (remote.py puts
it in ``options.provenance``), else the canonical link or ``og:url``. A page with a date is
a ``post``, one without a ``page`` (a git first-commit date, when known, dates it but does
not make it a post).

It does not follow links, fetch assets, or run anything on the page; it keeps no markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..hookspecs import hookimpl
from ..models import Document, Span
from .base import ImportRun
from .dates import DateError, parse_date
from .marking import cleaned, html_to_marked
from .textutil import clean, decode, looks_binary, tidy

SNIFF_BYTES = 2048
_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")
_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([A-Za-z0-9_.:-]{1,40})""", re.IGNORECASE)
_BOILERPLATE = ["nav", "header", "footer", "aside", "form", "noscript", "template", "dialog"]
_DATE_META = (
    'meta[property="article:published_time"]',
    'meta[name="article:published_time"]',
    'meta[itemprop="datePublished"]',
    'meta[name="date"]',
    'meta[name="dc.date"]',
    'meta[name="DC.date"]',
)


class HtmlImporter:
    name = "html"
    description = "HTML page (.html, .htm): main content, title, date and canonical URL"

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with path.open("rb") as f:
                head = f.read(SNIFF_BYTES)
        except OSError:
            return False
        return _looks_like_html(head)

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        tree = LexborHTMLParser(_decode(path.read_bytes(), path))
        text, others = _main_text(tree)
        if not text:
            options.skip(path, "no text in the page")
            return
        yield _document(tree, text, others, path, options)


IMPORTER = HtmlImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)


def _looks_like_html(head: bytes) -> bool:
    if looks_binary(head):
        return False
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return start.startswith(b"<") and any(marker in start for marker in _MARKERS)


def _decode(data: bytes, path: Path) -> str:
    """UTF-8, else the charset the page declares in a <meta> tag, else textutil's detection."""
    try:
        return clean(data.removeprefix(b"\xef\xbb\xbf").decode("utf-8"))
    except UnicodeDecodeError:
        pass
    declared = _CHARSET.search(data[:SNIFF_BYTES])
    if declared:
        try:
            return clean(data.decode(declared.group(1).decode("ascii"), errors="replace"))
        except LookupError:
            pass  # an unknown charset name: fall back to detection
    return decode(data, path)


def _document(tree: LexborHTMLParser, text: str, others: tuple[Span, ...], path: Path, options: ImportRun) -> Document:
    fetched = _fetched_url(path, options)
    published = _published(tree, path, options)
    meta: dict[str, Any] = {}
    if published is None and (known := options.file_dates.get(options.relative(path))):
        published, meta["date_source"] = known, "git"
    canonical = _canonical(tree, fetched)
    if canonical:
        meta["canonical"] = canonical
    if description := _meta_content(tree, 'meta[property="og:description"]', 'meta[name="description"]'):
        meta["description"] = description
    return Document(
        source="html",
        source_id=fetched or options.relative(path),
        origin="" if fetched else options.origin,
        kind="post" if published is not None and "date_source" not in meta else "page",
        text=text,
        title=_title(tree),
        url=fetched or canonical,
        published_at=published,
        source_path=str(path),
        meta=meta,
        others=others,
    )


def _fetched_url(path: Path, options: ImportRun) -> str | None:
    """The URL this page was downloaded from, when it is the downloaded file itself (not a zip member)."""
    url = options.provenance.get("url")
    if url is None or options.root is None:
        return None
    return url if path.resolve() == options.root.resolve() else None


def _main_node(tree: LexborHTMLParser) -> LexborNode | None:
    """The page's single <article>, else <main> / [role=main], else <body>."""
    articles = tree.css("article")
    if len(articles) == 1:
        return articles[0]
    return tree.css_first("main") or tree.css_first('[role="main"]') or tree.body


def _main_text(tree: LexborHTMLParser) -> tuple[str, tuple[Span, ...]]:
    """The main content's text and the spans of it that are not the author's words."""
    node = _main_node(tree)
    if node is None:
        return "", ()
    # subtle: re-parse the chosen subtree so boilerplate can be stripped without touching the page's
    # <head>, which the title, date and URL are still read from
    sub = LexborHTMLParser(node.html or "")
    sub.strip_tags(_BOILERPLATE)
    return cleaned(*html_to_marked(sub.html or ""))


def _title(tree: LexborHTMLParser) -> str | None:
    title = tree.css_first("title")
    text = tidy(title.text()) if title is not None else ""
    if not text:
        text = _meta_content(tree, 'meta[property="og:title"]', 'meta[name="twitter:title"]')
    if not text and (h1 := tree.css_first("h1")) is not None:
        text = tidy(h1.text())
    return clean(text) or None


def _published(tree: LexborHTMLParser, path: Path, options: ImportRun) -> datetime | None:
    """The first stated date that is a date; when none is but one was stated, the first one's problem is reported."""
    stated: list[str | None] = [_meta_content(tree, selector) for selector in _DATE_META]
    for selector in ("[itemprop=datePublished][datetime]", "article time[datetime]", "time[datetime]"):
        node = tree.css_first(selector)
        stated.append(node.attributes.get("datetime") if node is not None else None)
    problems: list[DateError] = []
    for value in stated:
        try:
            if (found := parse_date(value)) is not None:
                return found
        except DateError as ex:
            problems.append(ex)
    if problems:
        options.reject_date(options.relative(path), problems[0])
    return None


def _canonical(tree: LexborHTMLParser, base: str | None) -> str | None:
    link = tree.css_first('link[rel="canonical"]')
    href = (link.attributes.get("href") or "") if link is not None else ""
    href = href or _meta_content(tree, 'meta[property="og:url"]')
    if not href:
        return None
    url = urljoin(base, href.strip()) if base else href.strip()
    return url if url.lower().startswith(("https://", "http://")) else None


def _meta_content(tree: LexborHTMLParser, *selectors: str) -> str:
    """The ``content`` of the first of ``selectors`` that has one, tidied; "" when none has."""
    for selector in selectors:
        node = tree.css_first(selector)
        content = node.attributes.get("content") if node is not None else None
        if content and content.strip():
            return clean(tidy(content))
    return ""
