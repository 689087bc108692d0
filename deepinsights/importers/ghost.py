"""Import a Ghost export: the JSON file from Settings → Labs → Export (Ghost 1 to 5).

The file is ``{"db": [{"meta": {"exported_on", "version"}, "data": {...}}]}`` (or the inner
object alone, as some versions write it). ``data.posts`` holds posts and pages: published
ones become ``post`` and ``page`` Documents (``type``, or ``page: true`` before Ghost 4) with
the title, the HTML (else ``plaintext``) as text, ``published_at`` in UTC, the canonical URL
(``canonical_url``, else ``--url-template`` with ``{slug}``), tags (``posts_tags`` +
``tags``) and authors (``posts_authors`` + ``users``). Drafts and scheduled posts are left
out; members-only and paid posts too unless ``--include-private``. Each is counted.

It reads the file whole (up to ``MAX_BYTES``): a Ghost export is one JSON object. It does
not read members, newsletters, settings or images.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from . import url_template
from .base import ImportRun
from .marking import cleaned, html_to_marked, text_marked
from .textutil import clean, decode
from .x_json import as_dict, as_list, as_text

NAME = "ghost"
MAX_BYTES = 256 * 1024 * 1024
HEAD_BYTES = 64 * 1024


def _data(path: Path) -> dict[str, Any]:
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CorruptArchiveError(f"'{path}' is {size:,} bytes, over the {MAX_BYTES:,} a Ghost export is read up to")
    try:
        value = json.loads(decode(path.read_bytes(), path))
    except (ValueError, RecursionError) as ex:
        raise CorruptArchiveError(f"'{path}' is not valid JSON: {str(ex)[:160]}") from None
    db = as_list(as_dict(value).get("db"))
    inner = as_dict(db[0]) if db else as_dict(value)
    data = as_dict(inner.get("data"))
    if not isinstance(data.get("posts"), list):
        raise CorruptArchiveError(f"'{path}' is not a Ghost export: no data.posts list")
    return data


def _joined(data: dict[str, Any], link: str, table: str, key: str, field: str) -> dict[str, list[str]]:
    """post id -> names from a join table (``posts_tags`` + ``tags``), in ``sort_order``."""
    names = {as_text(r.get("id")): as_text(r.get(field)) for r in map(as_dict, as_list(data.get(table)))}
    pairs = sorted(map(as_dict, as_list(data.get(link))), key=lambda r: r.get("sort_order") or 0)
    joined: dict[str, list[str]] = defaultdict(list)
    for pair in pairs:
        name = names.get(as_text(pair.get(key)))
        if name:
            joined[as_text(pair.get("post_id"))].append(clean(name))
    return joined


def _verdict(post: dict[str, Any], options: ImportRun) -> str | None:
    status = as_text(post.get("status")) or "published"
    if status != "published":
        return f"{{n}} '{status[:20]}' posts left out (not published)"
    visibility = as_text(post.get("visibility")) or "public"
    if visibility != "public" and not options.include_private:
        return "{n} members-only or paid posts left out (use --include-private)"
    return None


def _document(post: dict[str, Any], tags: list[str], authors: list[str], label: str, options: ImportRun) -> Document:
    page = as_text(post.get("type")) == "page" or post.get("page") is True
    slug = as_text(post.get("slug"))
    published = options.date(as_text(post.get("published_at")) or None, f"{label}#{as_text(post.get('id'))}")
    html = as_text(post.get("html"))
    canonical = as_text(post.get("canonical_url"))
    url = canonical if canonical.startswith(("https://", "http://")) else None
    if url is None and options.url_template and slug:
        url = url_template.fill(options.url_template, slug, published)
    meta = {"slug": slug, "tags": tags, "authors": authors, "excerpt": clean(as_text(post.get("custom_excerpt")))}
    text, others = cleaned(*(html_to_marked(html) if html else text_marked(as_text(post.get("plaintext")))))
    return Document(
        source=NAME,
        source_id=as_text(post.get("id")) or as_text(post.get("uuid")) or slug,
        origin="" if as_text(post.get("id")) or as_text(post.get("uuid")) else options.origin,  # a slug is the site's
        kind="page" if page else "post",
        text=text,
        title=clean(as_text(post.get("title"))) or None,
        url=url,
        published_at=published,
        source_path=label,
        meta={k: v for k, v in meta.items() if v},
        others=others,
    )


class GhostImporter:
    name = NAME
    description = "Ghost JSON export: published posts and pages with tags and authors"

    def detect(self, path: Path) -> bool:
        if not path.is_file() or path.suffix.lower() != ".json":
            return False
        try:
            with path.open("rb") as f:
                head = f.read(HEAD_BYTES)
        except OSError:
            return False
        return b'"exported_on"' in head and b'"data"' in head and head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        data = _data(path)
        label = options.relative(path)
        tags = _joined(data, "posts_tags", "tags", "tag_id", "name")
        authors = _joined(data, "posts_authors", "users", "author_id", "name")
        left: Counter[str] = Counter()
        count = 0
        for post in map(as_dict, data["posts"]):
            reason = _verdict(post, options)
            if reason is not None:
                left[reason] += 1
                continue
            pid = as_text(post.get("id"))
            doc = _document(post, tags.get(pid, []), authors.get(pid, []), label, options)
            if not doc.text or not doc.source_id:
                left["{n} posts without text or id skipped"] += 1
                continue
            count += 1
            yield doc
        for reason, n in sorted(left.items()):
            options.skip(label, reason.format(n=n), expected="left out" in reason)
        if data["posts"] and not count and not left:
            raise EmptyImportError(f"'{path}' lists {len(data['posts']):,} posts but none could be imported")


IMPORTER = GhostImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
