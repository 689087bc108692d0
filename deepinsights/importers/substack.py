"""Import a Substack export: the zip from Settings → Export (or its folder), ``posts.csv`` + ``posts/<id>.html``.

``posts.csv`` lists every post (``post_id`` = ``<number>.<slug>``, ``post_date``,
``is_published``, ``type``, ``audience``, ``title``, ``subtitle``); each post's body is
``posts/<post_id>.html``. Published posts for everyone become ``newsletter`` Documents;
drafts are left out, and so are paid-subscriber posts unless ``--include-private`` (they
are not public). The export names no domain, so a post's URL comes from ``--url-template``
(``https://NAME.substack.com/p/{slug}``); without one it has none.

It never reads the subscriber lists (``email_list*.csv``) or the per-post open and delivery
statistics, which are private: they are reported as left out. It never extracts the zip.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from . import url_template
from .archive import Tree, is_zip, safe_names
from .base import ImportRun
from .marking import cleaned, html_to_marked
from .textutil import clean, decode

NAME = "substack"
HEADER = {"post_id", "post_date", "is_published", "title"}
MAX_CSV_BYTES = 64 * 1024 * 1024


class _Export:
    """The export's files: ``posts.csv`` and the post bodies by file name; unsafe member names apart."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.names, self.unsafe = safe_names(tree)
        self.csv = next((n for n in self.names if n == "posts.csv" or n.endswith("/posts.csv")), None)
        self.bodies = {n.rsplit("/", 1)[-1]: n for n in self.names if "posts/" in n and n.endswith(".html")}


def _open(path: Path) -> _Export | None:
    """The export, when ``path`` is a zip or folder holding ``posts.csv`` with Substack's header."""
    if not (is_zip(path) or (path / "posts.csv").is_file()):  # subtle: a folder walk asks every folder
        return None
    try:
        export = _Export(Tree(path))
    except CorruptArchiveError:
        return None
    try:
        if export.csv is not None and _header(b"".join(_first(export.tree, export.csv))) >= HEADER:
            return export
    except CorruptArchiveError:
        pass
    export.tree.close()
    return None


def _first(tree: Tree, name: str) -> Iterator[bytes]:
    for chunk in tree.stream(name):
        yield chunk[:4096]
        return


def _header(head: bytes) -> set[str]:
    line = head.decode("utf-8-sig", "replace").splitlines()[0] if head else ""
    return {c.strip() for c in line.split(",")}


def _rows(tree: Tree, name: str, label: str) -> list[dict[str, str]]:
    if tree.size(name) > MAX_CSV_BYTES:
        raise CorruptArchiveError(f"'{label}' is larger than {MAX_CSV_BYTES:,} bytes")
    text = decode(tree.read_bytes(name), label)
    try:
        return list(csv.DictReader(io.StringIO(text)))
    except csv.Error as ex:
        raise CorruptArchiveError(f"'{label}' is not valid CSV: {ex}") from None


def _document(
    row: dict[str, str], export: _Export, base: str, options: ImportRun, tally: Counter[str]
) -> Document | None:
    post_id = (row.get("post_id") or "").strip()
    if not post_id:
        tally["{n} rows without a post_id skipped"] += 1
        return None
    if (row.get("is_published") or "").strip().lower() != "true":
        tally["{n} drafts left out"] += 1
        return None
    audience = (row.get("audience") or "everyone").strip()
    if audience != "everyone" and not options.include_private:
        tally["{n} posts for paid subscribers only left out (use --include-private)"] += 1
        return None
    member = export.bodies.get(f"{post_id}.html")
    if member is None:
        tally["{n} posts whose posts/<post_id>.html is missing skipped"] += 1
        return None
    text, others = cleaned(*html_to_marked(decode(export.tree.read_bytes(member), f"{base}/{member}")))
    slug = post_id.split(".", 1)[1] if "." in post_id else post_id
    published = options.date(row.get("post_date"), f"{base}/{member}")
    meta: dict[str, Any] = {"slug": slug, "audience": audience, "type": row.get("type") or "", "post_id": post_id}
    meta["subtitle"] = clean(row.get("subtitle") or "")
    return Document(
        source=NAME,
        source_id=post_id.split(".", 1)[0],
        kind="newsletter",
        text=text,
        title=clean(row.get("title") or "") or None,
        url=url_template.fill(options.url_template, slug, published) if options.url_template else None,
        published_at=published,
        source_path=f"{base}/{member}",
        meta={k: v for k, v in meta.items() if v},
        others=others,
    )


def _report_unread(export: _Export, used: set[str], label: str, options: ImportRun) -> None:
    if export.unsafe:
        options.skip(label, f"{len(export.unsafe):,} members with unsafe names ('..', absolute) ignored: "
                     f"{export.unsafe[0]!r}")  # fmt: skip
    private = [n for n in export.names if n.rsplit("/", 1)[-1].startswith("email_list") or n.endswith(
        (".opens.csv", ".delivers.csv"))]  # fmt: skip
    if private:
        options.skip(label, f"{len(private):,} subscriber lists and open/delivery statistics never read", expected=True)
    other = [n for n in export.names if n not in used and n not in private and not n.endswith("/")]
    if other:
        options.skip(label, f"{len(other):,} other files not imported (e.g. {other[0]})", expected=True)


class SubstackImporter:
    name = NAME
    description = "Substack export: the zip (or folder) with posts.csv and posts/<id>.html"

    def detect(self, path: Path) -> bool:
        export = _open(path)
        if export is None:
            return False
        export.tree.close()
        return True

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        export = _open(path)
        if export is None:
            raise CorruptArchiveError(f"'{path}' is not a Substack export (no posts.csv with post_id, post_date…)")
        base = options.relative(path).strip(".") or path.name
        try:
            yield from self._read(export, path, base, options)
        finally:
            export.tree.close()

    def _read(self, export: _Export, path: Path, base: str, options: ImportRun) -> Iterator[Document]:
        csv_name = export.csv
        assert csv_name is not None
        rows = _rows(export.tree, csv_name, f"{path}/{csv_name}")
        tally: Counter[str] = Counter()
        listed = {f"{(row.get('post_id') or '').strip()}.html" for row in rows}
        used = {csv_name, *(name for body, name in export.bodies.items() if body in listed)}
        count = 0
        for row in rows:
            doc = _document(row, export, base, options, tally)
            if doc is not None:
                count += 1
                yield doc
        for reason, n in sorted(tally.items()):
            options.skip(str(path), reason.format(n=n), expected="left out" in reason)
        _report_unread(export, used, str(path), options)
        if rows and not count and not tally:
            raise EmptyImportError(f"'{path}': posts.csv lists {len(rows):,} rows but none could be imported")


IMPORTER = SubstackImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
