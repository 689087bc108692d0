"""A Document as the rows every backend stores: its document row, its passage rows, its content hash.

``prepare`` is pure and picklable, so that ``pipeline`` can run it in the process that
parses while the parent writes; ``DOCUMENT_FIELDS`` names a document row's fields in order.
Text a database cannot hold (lone surrogates) is replaced here, one character for one, so
passage offsets stay valid.

It writes nothing: the backends' ``ImportWrites`` does.
"""

from __future__ import annotations

import json
from typing import Any

from .models import Document, iso_utc, storable
from .ownwords import dumps as dump_spans
from .ownwords import own_share
from .passages import HARD_MAX, split_document

BATCH = 2000
DOCUMENT_FIELDS = (
    "id, thinker, kind, source, source_id, source_path, title, text, url, published_at, words, content_hash, "
    "meta, raw, import_id, others, origin"
)  # a document row's fields, in the order rows hold them (not always the table's: m008 ran after m010 in some)
THINKER = 1  # a document row's thinker, by position
Rows = list[tuple[Any, ...]]
_META_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode

Prepared = tuple[str, str, str, tuple[Any, ...], Rows]
"""One document ready to write: (id, source, content hash, document row, passage rows)."""


def prepare(doc: Document, thinker: str | None, import_id: int | None) -> Prepared:
    """Everything about ``doc`` that does not depend on what is stored: rows, hash, passages.

    Pure and picklable, so that ``pipeline`` can run it in the process that parses.
    """
    doc_id = doc.id  # a hash: computed once
    published = iso_utc(doc.published_at)
    digest = doc.content_hash_at(published)
    row = _document_row(doc, doc_id, digest, published, thinker or doc.thinker or "default", import_id)
    return doc_id, doc.source, digest, row, _passage_rows(doc, doc_id, row[7])


def count_words(text: str) -> int:
    """Words as the corpus statistics count them: runs of non-space characters."""
    return len(text.split())


def _storable_or_none(value: str | None) -> str | None:
    return None if value is None else storable(value)


def _document_row(
    doc: Document, doc_id: str, digest: str, published: str | None, thinker: str, import_id: int | None
) -> tuple[Any, ...]:
    meta = _META_JSON(doc.meta) if doc.meta else None
    fields: tuple[str | None, ...] = (thinker, doc.kind, doc.source, doc.source_id, doc.source_path, doc.title,
                                      doc.text, doc.url, meta, doc.raw)  # fmt: skip
    if not _all_storable(fields):
        fields = tuple(_storable_or_none(f) for f in fields)
    who, kind, source, source_id, path, title, text, url, meta, raw = fields
    return (doc_id, who, kind, source, source_id, path, title, text, url, published, count_words(text or ""), digest,
            meta, raw, import_id, dump_spans(doc.others), storable(doc.origin))  # fmt: skip


def _all_storable(fields: tuple[str | None, ...]) -> bool:
    """True when no field holds a lone surrogate: one encode of them all instead of one check each."""
    try:
        "".join(f for f in fields if f).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _passage_rows(doc: Document, doc_id: str, text: str) -> list[tuple[Any, ...]]:
    """Passage rows of ``doc``; ``text`` is its storable text (same length, so offsets hold)."""
    title = _storable_or_none(doc.title)
    if len(text) <= HARD_MAX and not doc.anchors:  # most documents (tweets): one passage, no splitting
        own = own_share(doc.others, 0, len(text)) if doc.others else 1.0
        return [(doc_id, 0, 0, len(text), title, text, None, _storable_or_none(doc.url), own)]
    return [
        (
            doc_id,
            p.ordinal,
            p.start,
            p.end,
            title if p.ordinal == 0 else None,
            text[p.start : p.end],
            _storable_or_none(p.anchor_label),
            _storable_or_none(p.url),
            own_share(doc.others, p.start, p.end) if doc.others else 1.0,
        )
        for p in split_document(doc)
    ]
