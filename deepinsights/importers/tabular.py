"""Records in JSON, JSON Lines, CSV and sqlite-diffable files: one Document per row.

Shapes read: a JSON array of objects, an object wrapping one such array (``{"items": […]}``),
JSON Lines / NDJSON (an object per line), CSV/TSV with a header row, and sqlite-diffable
dumps (``<table>.ndjson`` whose lines are JSON *arrays*, named by the ``columns`` of the
sibling ``<table>.metadata.json``).

Which field is the text, date, link and title comes from ``--text-field`` and friends,
else from a known table (Simon Willison's blog backup: ``blog_blogmark``, ``blog_note``,
``guides_*``), else from common names (``text``, ``body``, ``created_at``, ``url``…). A
file with no recognisable text field fails with an ``ImporterError`` that lists its fields.

A document's ``source_id`` is ``<file>#<id>`` (the row's id column) or ``<file>#<n>`` (its
1-based position). Rows without text, drafts and unreadable rows are reported as one
aggregated skip per file. JSON Lines and CSV are streamed line by line with a per-line
cap; a JSON document is parsed in memory up to ``MAX_JSON_BYTES``. Malformed JSON
(nesting bombs, huge numbers, invalid UTF-8) is a per-file ``CorruptArchiveError``.

This module does not infer schemas beyond picking fields, does not follow foreign keys
between tables, and does not read SQLite databases themselves.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import chain, islice
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, ImporterError
from ..hookspecs import hookimpl
from ..models import Document, Span
from ..ownwords import whole
from .base import ImportRun
from .markdown import markdown_to_marked
from .marking import html_to_marked, text_marked
from .textutil import bounded_lines, clean, is_binary

MAX_JSON_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 16 * 1024 * 1024
SAMPLE_ROWS = 50

JSON_SUFFIXES = (".json",)
LINE_SUFFIXES = (".jsonl", ".ndjson")
CSV_SUFFIXES = (".csv", ".tsv")
METADATA_SUFFIX = ".metadata.json"

TEXT_FIELDS = ("text", "full_text", "body", "content", "commentary", "description", "summary", "message")
DATE_FIELDS = ("date", "created", "created_at", "published", "published_at", "pub_date", "timestamp")
URL_FIELDS = ("url", "link", "link_url", "permalink", "href")
TITLE_FIELDS = ("title", "link_title", "subject", "headline")
ID_FIELDS = ("id", "uuid", "guid", "slug")
_MARKDOWN = re.compile(r"\]\(|\*\*|__|^#{1,6} |^```", re.M)
_HTML = re.compile(r"<(?:p|a|br|div|em|strong|b|i|img|blockquote|ul|ol|li|h[1-6]|span|code|pre)\b", re.I)


@dataclass(frozen=True)
class Fields:
    """Which fields of a row make which parts of a Document."""

    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    id: str | None = None
    kind: str = "record"
    markup: str = "auto"  # auto (HTML or Markdown when it looks like it) | markdown | html
    title_in_text: bool = False
    ignore: frozenset[str] = field(default_factory=frozenset)


# Simon Willison's blog backup (simonw/simonwillisonblog-backup, sqlite-diffable of the
# Django tables as of 2023-2026): blogmarks are link posts whose commentary was HTML
# until ~2017 and Markdown after; notes and guide chapters are Markdown.
KNOWN_TABLES = {
    "blog_blogmark": Fields(
        text="commentary",
        title="link_title",
        date="created",
        url="link_url",
        id="id",
        kind="link",
        markup="markdown",
        title_in_text=True,
        ignore=frozenset({"search_document", "import_ref"}),
    ),
    "blog_note": Fields(
        text="body",
        title="title",
        date="created",
        id="id",
        kind="note",
        markup="markdown",
        ignore=frozenset({"search_document", "import_ref"}),
    ),
    "guides_chapter": Fields(
        text="body",
        title="title",
        date="created",
        id="id",
        kind="page",
        markup="markdown",
        ignore=frozenset({"search_document", "import_ref"}),
    ),
    "guides_guide": Fields(text="description", title="title", date="created", id="id", kind="page", markup="markdown"),
}


@dataclass
class _Tally:
    """What one file's rows came to, reported as a single skip entry."""

    rows: int = 0
    no_text: int = 0
    drafts: int = 0
    bad: int = 0
    first_bad: str = ""

    def fail(self, where: str, reason: str) -> None:
        self.bad += 1
        if not self.first_bad:
            self.first_bad = f"{where}: {reason}"

    def summary(self) -> str | None:
        parts = [f"{self.no_text:,} without text"] if self.no_text else []
        parts += [f"{self.drafts:,} drafts"] if self.drafts else []
        parts += [f"{self.bad:,} unreadable (first at {self.first_bad})"] if self.bad else []
        if not parts:
            return None
        skipped = self.no_text + self.drafts + self.bad
        return f"{skipped:,} of {self.rows:,} records skipped: " + ", ".join(parts)


class TabularImporter:
    """Rows of JSON, JSON Lines, CSV and sqlite-diffable files."""

    name = "tabular"
    description = "JSON / JSON Lines / CSV records and sqlite-diffable tables, one document per row"

    def detect(self, path: Path) -> bool:
        """True for a JSON, JSON Lines or CSV file whose first bytes look like one."""
        name = path.name.lower()
        if not name.endswith(JSON_SUFFIXES + LINE_SUFFIXES + CSV_SUFFIXES) or not path.is_file():
            return False
        if name.endswith(METADATA_SUFFIX) and _table_file(path).is_file():
            return True
        try:
            with path.open("rb") as handle:
                sample = handle.read(65536)
        except OSError:
            return False
        if is_binary(sample):
            return False
        head = sample.lstrip(b"\xef\xbb\xbf \t\r\n")
        if name.endswith(CSV_SUFFIXES):
            return any(sep in head.split(b"\n", 1)[0] for sep in (b",", b"\t", b";"))
        return head[:1] in (b"[", b"{")

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        if path.name.lower().endswith(METADATA_SUFFIX):
            # subtle: the table is read through its .ndjson; only a metadata file named
            # on its own (not met while walking a folder) stands for the table.
            if options.root is not None and options.root.resolve() == path.resolve():
                table = options.sidecar(_table_file(path))
                if table is None:
                    raise ImporterError(f"'{path}' describes a table, but '{_table_file(path).name}' is not beside it")
                yield from self.read(table, options)
            return
        tally = _Tally()
        try:
            yield from _documents(_records(path, tally, options), path, options, tally)
        except OSError as ex:
            raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None
        if tally.rows and tally.bad == tally.rows:
            raise CorruptArchiveError(f"'{path}' has no readable records ({tally.first_bad})")
        message = tally.summary()
        if message:
            options.skip(options.relative(path), message)


# -- reading rows -----------------------------------------------------------------


def _records(path: Path, tally: _Tally, options: ImportRun) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (1-based position, row) for every row of ``path``; bad rows go to ``tally``."""
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        rows: Iterator[tuple[int, Any]] = _csv_rows(path, tally)
    elif name.endswith(LINE_SUFFIXES):
        rows = _line_rows(path, tally)
    else:
        rows = _json_rows(path, tally)
    columns: list[str] | None = None
    for n, row in rows:
        if isinstance(row, list):
            columns = columns or _columns(path, options)
            if len(row) != len(columns):
                tally.fail(f"record {n}", f"{len(row)} values for {len(columns)} columns")
                continue
            row = dict(zip(columns, row, strict=True))
        if isinstance(row, dict):
            yield n, row
        else:
            tally.fail(f"record {n}", f"a JSON {type(row).__name__}, not an object")


def _json_rows(path: Path, tally: _Tally) -> Iterator[tuple[int, Any]]:
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise CorruptArchiveError(
            f"'{path}' is {size:,} bytes; JSON over {MAX_JSON_BYTES:,} bytes is not read in memory: "
            "convert it to JSON Lines (one object per line)"
        )
    data = path.read_bytes()
    try:
        document = _parse_json(data.decode("utf-8-sig"))
    except UnicodeDecodeError as ex:
        raise CorruptArchiveError(f"'{path}' is not valid UTF-8 (byte {ex.start}); JSON must be UTF-8") from None
    except ValueError as ex:
        if "Extra data" in str(ex) and data.lstrip()[:1] == b"{":
            yield from _line_rows(path, tally)  # JSON Lines saved with a .json name
            return
        raise CorruptArchiveError(f"'{path}' is not valid JSON: {ex}") from None
    items = _unwrap(document, path)
    tally.rows = len(items)
    yield from enumerate(items, 1)


def _parse_json(text: str) -> Any:
    """``json.loads`` with every failure (nesting bombs, 10⁶-digit numbers) as ValueError."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except ValueError as ex:
        raise ValueError(" ".join(str(ex).split())[:200]) from None


def _unwrap(document: Any, path: Path) -> list[Any]:
    """The list of rows in a parsed JSON document: the array, a wrapped array, or one object."""
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        lists = [v for v in document.values() if isinstance(v, list) and v and isinstance(v[0], (dict, list))]
        if len(lists) == 1:
            return lists[0]
        if _pick(list(document), TEXT_FIELDS):
            return [document]
        keys = ", ".join(list(map(str, document))[:20])
        raise ImporterError(
            f"'{path}': unknown JSON shape: an object with keys [{keys}]; expected an array of objects, "
            "an object wrapping one such array, or JSON Lines"
        )
    raise ImporterError(f"'{path}': unknown JSON shape: a JSON {type(document).__name__}, not records")


def _line_rows(path: Path, tally: _Tally) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        n = 0
        for line, complete in bounded_lines(handle, MAX_LINE_BYTES):
            if not line.strip():
                continue
            n += 1
            tally.rows += 1
            row = _parse_line(line, complete, n, tally)
            if row is not None:
                yield n, row


def _parse_line(line: bytes, complete: bool, n: int, tally: _Tally) -> Any:
    if not complete:
        tally.fail(f"line {n}", f"longer than {MAX_LINE_BYTES:,} bytes")
        return None
    try:
        return _parse_json(line.decode("utf-8-sig") if n == 1 else line.decode("utf-8"))
    except UnicodeDecodeError as ex:
        tally.fail(f"line {n}", f"invalid UTF-8 at byte {ex.start}")
    except ValueError as ex:
        tally.fail(f"line {n}", str(ex))
    return None


def _csv_rows(path: Path, tally: _Tally) -> Iterator[tuple[int, Any]]:
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)  # subtle: process-wide, so raised once and never lowered
    with path.open("rb") as handle:
        encoding = _csv_encoding(handle.read(1 << 20))
        handle.seek(0)
        lines = (line.decode(encoding, "replace") for line, _ in bounded_lines(handle, MAX_LINE_BYTES))
        first = next(lines, "").lstrip("\ufeff")
        delimiter = "\t" if path.suffix.lower() == ".tsv" else max(",;\t", key=first.count)
        reader = csv.reader(chain([first], lines), delimiter=delimiter)
        header = [h.strip() for h in next(reader, [])]
        yield from _csv_records(reader, header, tally)


def _csv_records(reader: Iterator[list[str]], header: list[str], tally: _Tally) -> Iterator[tuple[int, Any]]:
    n = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as ex:
            n += 1
            tally.rows += 1
            tally.fail(f"row {n}", str(ex)[:200])
            continue
        if row:
            n += 1
            tally.rows += 1
            yield n, dict(zip(header, row, strict=False))


def _csv_encoding(sample: bytes) -> str:
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as ex:
        if ex.start >= len(sample) - 3 and ex.reason == "unexpected end of data":
            return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample).best()
    return best.encoding if best is not None else "cp1252"


def _table_file(metadata: Path) -> Path:
    return metadata.with_name(metadata.name[: -len(METADATA_SUFFIX)] + ".ndjson")


def _columns(path: Path, options: ImportRun) -> list[str]:
    """Column names of a sqlite-diffable table, from ``<table>.metadata.json`` beside it (never a symlink)."""
    wanted = path.with_name(_table_name(path) + METADATA_SUFFIX)
    meta = options.sidecar(wanted)
    if meta is None:
        raise ImporterError(f"'{path}' holds rows as arrays but has no '{wanted.name}' beside it to name the columns")
    try:
        columns = json.loads(meta.read_bytes()[:10_000_000]).get("columns")
    except (ValueError, RecursionError, AttributeError) as ex:
        raise CorruptArchiveError(f"'{meta}' is not valid sqlite-diffable metadata: {str(ex)[:200]}") from None
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        raise CorruptArchiveError(f"'{meta}' has no list of column names under 'columns'")
    return columns


def _table_name(path: Path) -> str:
    name = path.name
    for suffix in (METADATA_SUFFIX, *JSON_SUFFIXES, *LINE_SUFFIXES, *CSV_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


# -- rows to documents ------------------------------------------------------------


def _documents(
    records: Iterator[tuple[int, dict[str, Any]]], path: Path, options: ImportRun, tally: _Tally
) -> Iterator[Document]:
    sample = list(islice(records, SAMPLE_ROWS))
    if not sample:
        return
    keys = list(dict.fromkeys(k for _, row in sample for k in row))
    fields = resolve_fields(_table_name(path), keys, options, path)
    rel = options.relative(path)
    for n, row in chain(sample, records):
        doc = _document(row, n, fields, rel, options, tally)
        if doc is not None:
            yield doc


def resolve_fields(table: str, keys: list[str], options: ImportRun, path: Path) -> Fields:
    """The Fields for rows with these ``keys``: options first, then a known table, then guesses."""
    named = {"text": options.text_field, "title": options.title_field, "date": options.date_field}
    named["url"] = options.url_field
    for role, name in named.items():
        if name and name not in keys and name.split(".")[0] not in keys:
            raise ImporterError(f"'{path}' has no field '{name}' (--{role}-field); its fields are: {_listing(keys)}")
    known = KNOWN_TABLES.get(table)
    text = options.text_field
    base = known if known is not None and (text or known.text) in keys else _guess(keys, path, text)
    return replace(
        base,
        text=text or base.text,
        title=options.title_field or base.title,
        date=options.date_field or base.date,
        url=options.url_field or base.url,
    )


def _guess(keys: list[str], path: Path, text: str | None) -> Fields:
    text = text or _pick(keys, TEXT_FIELDS)
    if text is None:
        raise ImporterError(
            f"'{path}': unknown JSON shape: no text field among its fields ({_listing(keys)}); "
            "name the one holding the text with --text-field FIELD"
        )
    return Fields(
        text=text,
        title=_pick(keys, TITLE_FIELDS),
        date=_pick(keys, DATE_FIELDS),
        url=_pick(keys, URL_FIELDS),
        id=_pick(keys, ID_FIELDS),
    )


def _pick(keys: list[str], candidates: Iterable[str]) -> str | None:
    """The first key equal (ignoring case) to one of ``candidates``, in candidate order."""
    lowered = {str(k).lower(): k for k in keys}
    return next((lowered[c] for c in candidates if c in lowered), None)


def _listing(keys: list[str]) -> str:
    shown = ", ".join(str(k) for k in keys[:30])
    return shown + (f" … ({len(keys)} in all)" if len(keys) > 30 else "") if keys else "(none)"


def _document(
    row: dict[str, Any], n: int, fields: Fields, rel: str, options: ImportRun, tally: _Tally
) -> Document | None:
    if _is_draft(row):
        tally.drafts += 1
        return None
    title = _one_line(_value(row, fields.title))
    text, others = _marked_text(_value(row, fields.text), fields.markup)
    if fields.title_in_text and title:
        text, others = _with_title(title, text, others, fields.kind)
    if not text:
        tally.no_text += 1
        return None
    native = _one_line(_value(row, fields.id)) or str(n)
    return Document(
        source="tabular",
        source_id=f"{rel}#{native[:200]}",
        origin=options.origin,
        kind=fields.kind,
        text=text,
        thinker=options.thinker or "",
        title=title[:500] or None,
        url=_one_line(_value(row, fields.url))[:2000] or None,
        published_at=options.date(_value(row, fields.date), f"{rel}#{native[:200]}"),
        source_path=rel,
        meta=_meta(row, fields),
        others=others,
    )


def _value(row: dict[str, Any], name: str | None) -> Any:
    """``row[name]``, following ``a.b`` into nested objects when there is no key ``a.b``."""
    if name is None:
        return None
    if name in row:
        return row[name]
    value: Any = row
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _marked_text(value: Any, markup: str) -> tuple[str, tuple[Span, ...]]:
    """The row's text and the spans of it that are not the author's words (``importers.marking``)."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "", ()
    text = clean(str(value)).replace("\r\n", "\n")
    if markup == "markdown" or (markup == "auto" and _MARKDOWN.search(text)):
        return markdown_to_marked(text)
    if markup == "html" or _HTML.search(text):
        return html_to_marked(text)
    return text_marked(text.strip())


def _with_title(title: str, text: str, others: tuple[Span, ...], kind: str) -> tuple[str, tuple[Span, ...]]:
    """``title`` on its own paragraph before ``text``; a link post's title is the linked page's words."""
    if not text:
        return title, whole(title, "link-title") if kind == "link" else ()
    shift = len(title) + 2
    moved = tuple(Span(s.start + shift, s.end + shift, s.reason) for s in others)
    return f"{title}\n\n{text}", (whole(title, "link-title") if kind == "link" else ()) + moved


def _one_line(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return ""
    return " ".join(clean(str(value)).split())


def _is_draft(row: dict[str, Any]) -> bool:
    """Drafts are unpublished, so never imported: ``is_draft`` 1/true (also as CSV text), ``draft: true``."""
    flag = row.get("is_draft", row.get("draft"))
    return str(flag).strip().lower() in ("1", "true", "yes") or row.get("published") is False


def _meta(row: dict[str, Any], fields: Fields) -> dict[str, Any]:
    """Short scalar fields the document does not already hold, for filters and display."""
    used = {fields.text, fields.title, fields.date, fields.url, fields.id} | fields.ignore
    meta: dict[str, Any] = {}
    for key, value in row.items():
        if key in used or value is None or value == "" or isinstance(value, (dict, list)):
            continue
        if isinstance(value, str):
            if len(value) > 300:
                continue
            value = clean(value)
        meta[str(key)[:100]] = value
        if len(meta) >= 20:
            break
    return meta


IMPORTER = TabularImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
