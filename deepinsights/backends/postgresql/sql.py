"""SQL as both backends write it (``?`` placeholders), made ready for psycopg (``%s``, literal ``%`` doubled).

The shared mixins write SQLite's placeholders; this is the one translation, cached.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKENS = re.compile(r"""'(?:[^']|'')*'|"(?:[^"]|"")*"|--[^\n]*|/\*.*?\*/|\?|%""", re.DOTALL)


@lru_cache(maxsize=512)
def pg_sql(sql: str) -> str:
    """``sql`` with SQLite's ``?`` placeholders as ``%s`` and literal ``%`` doubled, for psycopg.

    subtle: a ``?`` inside a quoted string, quoted name or comment is text, not a placeholder.
    """

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        return token.replace("%", "%%")

    return _TOKENS.sub(replace, sql)
