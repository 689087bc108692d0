"""Typed access to an X archive's JSON, which is untrusted: every field is read through a helper.

A hand-made or damaged archive may hold a number where a string belongs, a list where an
object does, or nothing at all; these helpers give the expected type or an empty value,
never an exception. Also the archive's date format and the JSON kept for ``--keep-raw``.

It does not know which fields a tweet has (``x_tweet`` and ``x_archive`` do).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from .textutil import clean

STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w+)/status(?:es)?/(\d+)", re.IGNORECASE)
_CREATED = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d\d) (\d\d):(\d\d):(\d\d) \+0000 (\d{4})")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def parse_created(value: Any, read_date: Callable[[str], datetime | None]) -> datetime | None:
    """Every archive so far writes UTC as "Thu Nov 03 08:50:26 +0000 2022".

    subtle: ``strptime`` was a quarter of the import's time, so that one shape is read by a
    regex; anything else (another offset, another layout, a day that does not exist) goes to
    ``read_date`` (``ImportRun.date``, which reports a value that is not a date).
    """
    text = as_text(value)
    match = _CREATED.fullmatch(text)
    if match and match.group(1) in _MONTHS:
        month, day, hour, minute, second, year = match.groups()
        try:
            return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
        except ValueError:
            pass
    return read_date(text)


def unwrap(item: Any, key: str) -> dict[str, Any]:
    """``{"tweet": {...}}`` (archives since 2019) or the bare object (older exports, hand-made files)."""
    item = as_dict(item)
    return as_dict(item[key]) if isinstance(item.get(key), dict) else item


def tweet_id(tweet: dict[str, Any]) -> int | None:
    return as_int(tweet.get("id_str") or tweet.get("id"))


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else ""


def as_int(value: Any) -> int | None:
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 30:
        return int(value)  # the usual case (ids are strings of digits), without as_text's checks
    text = as_text(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 30 else None


def clean_value(value: Any) -> Any:
    """Meta values reach SQLite as JSON text: no lone surrogates or NULs in strings or lists of them."""
    if isinstance(value, str):
        return clean(value)
    return [clean(v) for v in value] if isinstance(value, list) else value


def dump(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # subtle: lone surrogates survive only as \\u escapes
        return json.dumps(value, separators=(",", ":"))
    return text
