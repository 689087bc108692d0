"""Markdown and plain-text documents: Jekyll/Hugo posts, READMEs, pages, TILs, ``.txt`` notes.

A post's title, date, tags and permalink come from its front matter (YAML between ``---``
lines, or TOML between ``+++``), its date otherwise from a ``YYYY-MM-DD-slug`` file name,
then from the file's first commit (``options.file_dates``, filled for git sources). Without
a permalink its URL comes from ``--url-template`` when given (``url_template``), which also
says the site a relative permalink (``/about/``) is on. The
title falls back to the first heading, then the file name. The searchable text is the
rendered Markdown as plain text: raw HTML through ``html_to_text``, links reduced to their
text, images dropped, fenced code kept without its fences, ``$$…$$`` math kept verbatim.

Front matter is untrusted: YAML is read with a safe loader that refuses ``!!python/…``
tags, more than ``MAX_ALIASES`` aliases ("billion laughs") and more than
``MAX_FRONT_MATTER`` characters; a refused block is reported and the body still imports.
Files are read up to ``MAX_BYTES``; documents over ``MAX_RENDER_CHARS`` skip the Markdown
parser (whose cost grows with pathological markup) for a bounded plain-text cleanup.

This importer is the catch-all for text and is tried last. It does not read other
formats' text files (transcripts, tweet lists: their importers come first), does not
follow links or includes, and does not evaluate Liquid/Hugo template tags.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from frontmatter.default_handlers import BaseHandler, YAMLHandler
from markdown_it import MarkdownIt

from ..errors import CorruptArchiveError
from ..hookspecs import hookimpl
from ..models import Document, Span
from ..ownwords import normalise, replaced
from . import url_template
from .base import ImportRun
from .marking import html_to_marked, text_marked
from .textutil import clean, decode, html_to_text, is_binary, tidy

SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".mdown", ".mkd", ".txt"})
MAX_BYTES = 4 * 1024 * 1024
MAX_RENDER_CHARS = 500_000
MAX_FRONT_MATTER = 64 * 1024
MAX_ALIASES = 64
MAX_TAGS = 20_000

_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
_MATH = re.compile(r"\$\$(?:(?!\$\$).){1,20000}?\$\$", re.S)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_DATED_NAME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(.+)$")
_IMAGE = re.compile(r"!\[[^\[\]\n]{0,1000}\]\([^)\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)")
_LINK = re.compile(r"\[([^\[\]\n]{0,1000})\]\([^)\s]{0,2000}(?:\s+\"[^\"\n]{0,500}\")?\)")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*$", re.M)
_META_KEYS = ("tags", "categories", "excerpt", "description", "summary", "layout", "author", "lang")


class FrontMatterError(ValueError):
    """Front matter that is refused (unsafe tag, too many aliases, too long) or malformed."""


class _CappedLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses documents with more than ``MAX_ALIASES`` aliases."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_ALIASES:
                raise FrontMatterError(f"more than {MAX_ALIASES} YAML aliases (a 'billion laughs' bomb?)")
        return super().compose_node(parent, index)


def _timestamp_as_text(loader: _CappedLoader, node: yaml.Node) -> str:
    """subtle: YAML's own timestamps raise inside the loader on an offset of 24 h or more (losing
    the whole block); kept as text, they are read by ``dates.parse_date``, which reports what is no date."""
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]  # a timestamp is always a scalar


_CappedLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def safe_yaml(source: str) -> Any:
    """Load untrusted YAML: plain data only, aliases and size capped. Raises FrontMatterError."""
    if len(source) > MAX_FRONT_MATTER:
        raise FrontMatterError(f"longer than {MAX_FRONT_MATTER:,} characters")
    try:
        loader = _CappedLoader(source)  # subtle: the reader refuses raw control characters here already
    except yaml.YAMLError as ex:
        raise FrontMatterError(" ".join(str(ex).split())[:200]) from None
    try:
        return loader.get_single_data()
    except yaml.YAMLError as ex:
        raise FrontMatterError(" ".join(str(ex).split())[:200]) from None
    except RecursionError:
        raise FrontMatterError("nested too deeply") from None
    finally:
        loader.dispose()


class _YAMLFront(YAMLHandler):
    def load(self, fm: str, **kwargs: object) -> Any:
        return safe_yaml(fm)


class _TOMLFront(BaseHandler):
    FM_BOUNDARY = re.compile(r"^\+{3,}\s*$", re.MULTILINE)
    START_DELIMITER = END_DELIMITER = "+++"

    def load(self, fm: str) -> dict[str, Any]:
        if len(fm) > MAX_FRONT_MATTER:
            raise FrontMatterError(f"longer than {MAX_FRONT_MATTER:,} characters")
        try:
            return tomllib.loads(fm)
        except (tomllib.TOMLDecodeError, RecursionError) as ex:
            raise FrontMatterError(str(ex)[:200]) from None


_HANDLERS = (_YAMLFront(), _TOMLFront())


def split_front_matter(text: str) -> tuple[dict[str, Any], str, str | None]:
    """Return (front matter, body, problem); ``({}, text, None)`` when there is none.

    A refused or malformed block gives ``({}, body without it, what was wrong)``.
    """
    handler = next((h for h in _HANDLERS if h.detect(text)), None)
    if handler is None:
        return {}, text, None
    try:
        raw, body = handler.split(text)
    except ValueError:
        return {}, text, None  # one `---` line: a thematic break, not front matter
    try:
        data = handler.load(raw)
    except FrontMatterError as ex:
        return {}, body, str(ex)
    if not isinstance(data, dict):
        return {}, text, None  # subtle: a body between two `---` rules is not front matter
    return data, body, None


# -- Markdown to text -------------------------------------------------------------


def markdown_to_text(source: str) -> str:
    """Plain searchable text of a Markdown document (see the module docstring for the rules)."""
    return _render(source)[0]


def markdown_to_marked(source: str) -> tuple[str, tuple[Span, ...]]:
    """``markdown_to_text`` and the spans of it that are not the author's words (``importers.marking``);
    restored ``$$…$$`` math is marked ``math``."""
    text, _, spans = _render(source, marked=True)
    return text, spans


def _render(source: str, *, marked: bool = False) -> tuple[str, str | None, tuple[Span, ...]]:
    """Return (text, first heading, spans not the author's words: only when ``marked``) of Markdown ``source``."""
    source = source.replace("\ue000", "").replace("\ue001", "")
    if len(source) > MAX_RENDER_CHARS or source.count("<") > MAX_TAGS:
        text = _plain_cleanup(source)
        return text, None, (text_marked(text)[1] if marked else ())
    protected, math = _protect_math(source)
    env: dict[str, Any] = {}
    tokens = _MD.parse(protected, env)
    markup = _MD.renderer.render(tokens, _MD.options, env)
    markup = markup.replace("</td>", " </td>").replace("</th>", " </th>")
    heading = _first_heading(tokens, env)
    heading = _restore_math(heading, math) if heading else None
    if not marked:
        return _restore_math(html_to_text(markup), math), heading, ()
    text, spans = html_to_marked(markup)
    if math:
        edits = [(m.start(), m.end(), _math_at(m, math)) for m in _PLACEHOLDER.finditer(text)]
        text, moved = replaced(text, spans, edits, reason="math")
        spans = normalise(moved, text)
    return text, heading, spans


def _first_heading(tokens: list[Any], env: dict[str, Any]) -> str | None:
    for i, token in enumerate(tokens[:-1]):
        if token.type == "heading_open" and tokens[i + 1].children:
            markup = _MD.renderer.render(tokens[i + 1].children, _MD.options, env)
            title = " ".join(html_to_text(markup).split())
            if title:
                return title
    return None


def _protect_math(source: str) -> tuple[str, list[str]]:
    """Swap ``$$…$$`` spans for placeholders so emphasis and escapes inside them survive."""
    spans: list[str] = []

    def keep(match: re.Match[str]) -> str:
        spans.append(match.group(0))
        return f"\ue000{len(spans) - 1}\ue001"

    if "$$" not in source:
        return source, spans
    return _MATH.sub(keep, source), spans


def _restore_math(text: str, spans: list[str]) -> str:
    if not spans:
        return text
    return _PLACEHOLDER.sub(lambda m: _math_at(m, spans), text)


def _math_at(placeholder: re.Match[str], spans: list[str]) -> str:
    n = int(placeholder.group(1))
    return spans[n] if n < len(spans) else ""


def _plain_cleanup(source: str) -> str:
    """Bounded-time cleanup for documents too large to parse: links, images, fences, HTML."""
    text = _IMAGE.sub("", source)
    text = _LINK.sub(r"\1", text)
    return html_to_text(_FENCE.sub("", text))


# -- the importer -----------------------------------------------------------------


class MarkdownImporter:
    """Markdown posts and pages, and plain ``.txt`` documents."""

    name = "markdown"
    description = "Markdown posts and pages (Jekyll/Hugo front matter, READMEs) and plain .txt documents"

    def detect(self, path: Path) -> bool:
        """True for a file with a Markdown or ``.txt`` extension.

        Content is checked in ``read``: a binary file with a text name fails there with
        a one-line "binary file" error naming it, which says more than "unrecognised".
        """
        return path.suffix.lower() in SUFFIXES and path.is_file()

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        rel = options.relative(path)
        text = _read_text(path, rel, options)
        front, body = _front_matter(text, path, rel, options)
        if _is_draft(front):
            options.skip(rel, "draft (front matter says published: false or draft: true)", expected=True)
            return
        doc = _document(path, rel, front, body, options)
        if doc is None:
            options.skip(rel, "no text")
            return
        yield doc


def _read_text(path: Path, rel: str, options: ImportRun) -> str:
    """Decoded text of ``path``, at most MAX_BYTES of it; raises CorruptArchiveError for binary files."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as ex:
        raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None
    if is_binary(data[:8192]):
        raise CorruptArchiveError(f"'{path}' is a binary file, not text")
    if len(data) > MAX_BYTES:
        data = _trim_partial_character(data[:MAX_BYTES])
        options.skip(rel, f"text cut at {MAX_BYTES:,} bytes (file is larger)")
    return decode(data, path)


def _trim_partial_character(data: bytes) -> bytes:
    """Drop a UTF-8 sequence cut in two at the end of ``data``."""
    for back in range(1, 4):
        if len(data) >= back and data[-back] >= 0xC0:
            return data[:-back]
        if len(data) < back or data[-back] < 0x80:
            break
    return data


def _front_matter(text: str, path: Path, rel: str, options: ImportRun) -> tuple[dict[str, Any], str]:
    if path.suffix.lower() == ".txt":
        return {}, text
    front, body, problem = split_front_matter(text)
    if problem:
        options.skip(rel, f"front matter not read ({problem}); the body was imported without it")
    return front, body


def _is_draft(front: dict[str, Any]) -> bool:
    return front.get("published") is False or front.get("draft") is True


def _document(path: Path, rel: str, front: dict[str, Any], body: str, options: ImportRun) -> Document | None:
    plain = path.suffix.lower() == ".txt"
    text, heading, others = (tidy(body), None, ()) if plain else _render(body, marked=True)
    if plain:
        others = text_marked(text)[1]
    if not text:
        return None
    own_date, dated_name = _own_date(path, rel, front, options)
    published = own_date or options.file_dates.get(rel)
    own_url = _url(front)
    if own_url:
        url = url_template.resolve(own_url, options.url_template)
    else:
        url = url_template.fill(options.url_template, rel, published) if options.url_template else None
    return Document(
        source="markdown",
        source_id=rel,
        origin=options.origin,
        kind=_kind(path, own_date is not None),
        text=text,
        thinker=options.thinker or "",
        title=_title(front, heading, dated_name or path.stem),
        url=url,
        published_at=published,
        source_path=rel,
        meta=_meta(front),
        others=others,
    )


def _own_date(path: Path, rel: str, front: dict[str, Any], options: ImportRun) -> tuple[datetime | None, str | None]:
    """The date the file itself states (front matter, then file name), and the name's slug."""
    match = _DATED_NAME.match(path.stem)
    slug = match.group(4) if match else None
    stated = options.date(front.get("date"), rel)
    if stated is not None:
        return stated, slug
    if match:
        try:
            day = datetime(int(match.group(1)), int(match.group(2)), int(match.group(3)), tzinfo=UTC)
        except ValueError:
            return None, None
        return day, slug
    return None, None


def _kind(path: Path, dated: bool) -> str:
    if path.name.lower().startswith("readme"):
        return "readme"
    return "post" if dated else "page"


def _title(front: dict[str, Any], heading: str | None, fallback: str) -> str:
    title = front.get("title")
    if isinstance(title, (str, int, float)) and str(title).strip():
        return clean(" ".join(str(title).split()))[:500]
    return heading[:500] if heading else fallback


def _url(front: dict[str, Any]) -> str | None:
    for key in ("permalink", "url"):
        value = front.get(key)
        if isinstance(value, str) and value.strip():
            return clean(value.strip())[:2000]
    return None


def _meta(front: dict[str, Any]) -> dict[str, Any]:
    """The front-matter fields worth keeping, as short strings or lists of short strings."""
    meta: dict[str, Any] = {}
    for key in _META_KEYS:
        value = front.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            meta[key] = _words(value) if key in ("tags", "categories") else clean(str(value))[:1000]
        elif isinstance(value, list):
            meta[key] = [clean(str(v))[:200] for v in value[:100] if isinstance(v, (str, int, float))]
    return meta


def _words(value: str | int | float) -> list[str]:
    """Jekyll lets ``tags`` be one string: "a, b" or "a b"."""
    text = clean(str(value))
    parts = text.split(",") if "," in text else text.split()
    return [p.strip()[:200] for p in parts[:100] if p.strip()]


IMPORTER = MarkdownImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
