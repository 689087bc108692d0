"""Import a Medium export: the zip from Settings → Download your information (or its folder), ``posts/*.html``.

Each post is one HTML file marked up with microformats: the title in ``h1.p-name`` (or
``<title>``), the subtitle in ``section[data-field=subtitle]``, the body in
``section[data-field=body]``, the date in ``time.dt-published``, the canonical URL in
``a.p-canonical`` and the author in ``a.p-author``. Published posts become ``post``
Documents whose ``source_id`` is Medium's post id (the hex suffix of the file name); drafts
(``draft_*.html``) are left out by default (``--include-private`` keeps them).

It does not read the export's other folders (bookmarks, claps, highlights, interests,
sessions, IP addresses, profile), which are reported as left out, and never extracts the zip.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from selectolax.lexbor import LexborHTMLParser

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .archive import Tree, is_zip, safe_names
from .base import ImportRun
from .marking import cleaned, html_to_marked
from .textutil import clean, decode, tidy

NAME = "medium"
MAX_POST_BYTES = 32 * 1024 * 1024
_POST = re.compile(r"(?:^|/)posts/([^/]+)\.html$")
_ID = re.compile(r"-([0-9a-f]{8,16})$")


def _posts(tree: Tree) -> list[str]:
    return [n for n in safe_names(tree)[0] if _POST.search(n)]


def _is_medium(tree: Tree) -> bool:
    """Its posts/*.html carry Medium's markup: an h-entry article with data-field sections."""
    for name in _posts(tree)[:3]:
        head = b"".join(_take(tree, name, 16384))
        if b'class="h-entry"' in head and b"data-field=" in head:
            return True
    return False


def _take(tree: Tree, name: str, limit: int) -> Iterator[bytes]:
    got = 0
    for chunk in tree.stream(name):
        yield chunk[: limit - got]
        got += len(chunk)
        if got >= limit:
            return


def _open(path: Path) -> Tree | None:
    if not (is_zip(path) or (path / "posts").is_dir()):  # subtle: a folder walk asks every folder
        return None
    try:
        tree = Tree(path)
    except CorruptArchiveError:
        return None
    try:
        if _is_medium(tree):
            return tree
    except CorruptArchiveError:
        pass
    tree.close()
    return None


def _document(name: str, markup: str, base: str, options: ImportRun) -> Document:
    page = LexborHTMLParser(markup)
    for repeated in page.css(".graf--title"):  # subtle: Medium repeats the title as the body's first line
        repeated.decompose()
    body = page.css_first('section[data-field="body"]') or page.css_first(".e-content") or page.body
    title_node = page.css_first("h1.p-name") or page.css_first("title")
    subtitle = page.css_first('section[data-field="subtitle"]')
    time = page.css_first("time.dt-published")
    canonical = page.css_first("a.p-canonical")
    author = page.css_first("a.p-author")
    stem = name.rsplit("/", 1)[-1].removesuffix(".html")
    native = _ID.search(stem)
    href = canonical.attributes.get("href") if canonical else None
    meta: dict[str, Any] = {"file": stem}
    if subtitle is not None:
        meta["subtitle"] = clean(tidy(subtitle.text()))
    if author is not None:
        meta["author"] = clean(tidy(author.text()))
        meta["author_url"] = author.attributes.get("href") or ""
    text, others = cleaned(*html_to_marked(body.html or "")) if body is not None else ("", ())
    return Document(
        source=NAME,
        source_id=native.group(1) if native else stem,
        origin="" if native else options.origin,  # a file name is only distinct within its export
        kind="post",
        text=text,
        title=clean(tidy(title_node.text())) or None if title_node is not None else None,
        url=href if href and href.startswith(("https://", "http://")) else None,
        published_at=options.date(time.attributes.get("datetime") if time else None, f"{base}/{name}"),
        source_path=f"{base}/{name}",
        meta={k: v for k, v in meta.items() if v},
        others=others,
    )


class MediumImporter:
    name = NAME
    description = "Medium export: the zip (or folder) with posts/*.html; drafts left out"

    def detect(self, path: Path) -> bool:
        tree = _open(path)
        if tree is None:
            return False
        tree.close()
        return True

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        tree = _open(path)
        if tree is None:
            raise CorruptArchiveError(f"'{path}' is not a Medium export (no posts/*.html in Medium's markup)")
        base = options.relative(path).strip(".") or path.name
        try:
            yield from self._read(tree, path, base, options)
        finally:
            tree.close()

    def _read(self, tree: Tree, path: Path, base: str, options: ImportRun) -> Iterator[Document]:
        posts = _posts(tree)
        drafts = [n for n in posts if n.rsplit("/", 1)[-1].startswith("draft")]
        count = 0
        for name in posts:
            if name in drafts and not options.include_private:
                continue
            if tree.size(name) > MAX_POST_BYTES:
                options.skip(f"{path}/{name}", f"larger than {MAX_POST_BYTES:,} bytes, skipped")
                continue
            doc = _document(name, decode(tree.read_bytes(name), f"{path}/{name}"), base, options)
            if name in drafts:
                doc = replace(doc, meta={**doc.meta, "draft": True})
            count += 1
            yield doc
        if drafts and not options.include_private:
            options.skip(str(path), f"{len(drafts):,} drafts left out (use --include-private)", expected=True)
        unsafe = safe_names(tree)[1]
        if unsafe:
            options.skip(
                str(path), f"{len(unsafe):,} members with unsafe names ('..', absolute) ignored: {unsafe[0]!r}"
            )
        other = len(tree.names()) - len(posts) - len(unsafe)
        if other:
            options.skip(str(path), f"{other:,} files outside posts/ not imported (profile, claps…)", expected=True)
        if not count and len(posts) > len(drafts):
            raise EmptyImportError(f"'{path}' holds {len(posts):,} posts but none could be imported")


IMPORTER = MediumImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
