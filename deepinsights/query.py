"""The full-text query language: plain user text as FTS5 phrases, which both backends read.

User text is split on whitespace and each piece becomes a quoted FTS5 phrase, so quotes,
hyphens, ``AND``, ``NEAR(``, ``*`` and unbalanced parentheses are searched for as words,
never parsed as syntax; FTS5 tokenizes each quoted piece exactly as it tokenized the
documents, so a word that occurs in a document always finds it. PostgreSQL reads the same
syntax (``backends.postgresql.search`` translates it to a tsquery).

Pure text: it runs no query and knows no backend.
"""

from __future__ import annotations

import re

from .models import storable

MAX_QUERY_CHARS = 1000
MAX_TERMS = 32
MIN_PREFIX = 3  # a shorter last word is not prefix-searched: "a*" expands to most of the index

_PIECE = re.compile(r'"([^"]*)"|([^\s"]+)')


def build_fts_query(q: str, *, prefix_last: bool = False) -> str:
    """Turn plain user text into an FTS5 query of quoted phrases (implicit AND).

    ``"a phrase"`` in the user text stays a phrase; everything else is split on whitespace.
    Returns "" when the text holds nothing searchable.
    """
    return " ".join(phrases(q, prefix_last=prefix_last))


def phrases(q: str, *, prefix_last: bool) -> list[str]:
    """The quoted phrases of ``q`` (at most ``MAX_TERMS``); the last one ``*`` for search as you type."""
    text = storable(q[:MAX_QUERY_CHARS]).replace("\x00", " ")
    found: list[str] = []
    last_bare = ""
    for match in _PIECE.finditer(text):
        quoted, bare = match.groups()
        piece = quoted if quoted is not None else bare
        if bare == "AND" or not searchable(piece):  # subtle: users type AND meaning "both"; that is implicit
            continue
        found.append(f'"{piece}"')
        last_bare = bare or ""
        if len(found) >= MAX_TERMS:
            break
    if not found and re.search(r"(^|\s)AND(\s|$)", text):
        found = ['"AND"']  # a query that is only AND looks for the word
    if prefix_last and found and last_bare and text[-1:] == last_bare[-1:] and len(last_bare) >= MIN_PREFIX:
        found[-1] += "*"
    return found


def searchable(piece: str) -> bool:
    """False for pieces FTS5 would find no token in (only ASCII punctuation and spaces)."""
    return any(ch.isalnum() or not ch.isascii() for ch in piece)
