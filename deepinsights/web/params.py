"""Checks of what a request sends (query parameters, path parts, JSON fields): a value or ValueError.

Each check raises ``ValueError`` with a message naming the parameter and what it must be, which
the handlers return as a 400. Text is refused past a length cap, and names and ids when they
hold control characters (NUL cannot reach PostgreSQL); numbers must be whole and within range.
It does not decide what a valid query means (search does).
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_TEXT_CHARS = 1000
MAX_QUERY_CHARS = 1_000_000  # search bounds its own work; this only bounds the request
MAX_OFFSET = 100_000
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(name: str, value: Any, *, max_chars: int = MAX_TEXT_CHARS, controls: bool = False) -> str:
    """``value`` as text of at most ``max_chars`` characters, without control characters unless ``controls``.

    A search query may hold them (search reads them as spaces); names and ids may not.
    """
    if not isinstance(value, str):
        raise ValueError(f"{name} must be text (got {type(value).__name__})")
    if len(value) > max_chars:
        raise ValueError(f"{name} must be at most {max_chars:,} characters (got {len(value):,})")
    if not controls and _CONTROL.search(value):
        raise ValueError(f"{name} must not contain control characters")
    return value


def date(name: str, value: Any) -> str:
    """``value`` as a date filter: '' (none), YYYY, YYYY-MM or YYYY-MM-DD."""
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not _DATE.match(value):
        raise ValueError(f"{name} must be a date: YYYY, YYYY-MM or YYYY-MM-DD (got {str(value)[:40]!r})")
    return value


def whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    """``value`` as a whole number from ``low`` to ``high``; ``default`` when it is absent or empty."""
    if value is None or value == "":
        return default
    if not re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        raise ValueError(f"{name} must be a whole number from {low} to {high:,} (got {value[:40]!r})")
    number = int(value)
    if not low <= number <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high:,} (got {number})")
    return number


def json_object(body: bytes, shape: str) -> dict[str, Any]:
    """The JSON object in ``body``; ValueError for anything else (not JSON, nested too deep, not an object)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ValueError(f"The body must be a JSON object: {shape}") from None
    if not isinstance(data, dict):
        raise ValueError(f"The body must be a JSON object: {shape}")
    return data
