"""Read a file of quotes to check: plain text (one quote per line) or JSONL (``{"text": …, "id": …}``).

JSONL is recognised by a ``.jsonl``/``.ndjson`` suffix or a first non-blank line that
starts with ``{``. Blank lines are skipped. A line that is not a JSON object with a
string ``text`` raises ``VerificationError`` naming the file and line. This module
does no checking of its own: ``check_quotes`` does that.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import VerificationError

MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_QUOTES = 100_000


def read_quotes(path: Path) -> list[tuple[str, str | None]]:
    """Return ``(text, id)`` for every quote in ``path``; ids default to None (text) or the line number."""
    lines = _lines(path)
    jsonl = path.suffix.lower() in (".jsonl", ".ndjson") or next(
        (line.lstrip().startswith("{") for line in lines if line.strip()), False
    )
    quotes = [_parse(path, n, line, jsonl) for n, line in enumerate(lines, 1) if line.strip()]
    if len(quotes) > MAX_QUOTES:
        raise VerificationError(f"{path}: {len(quotes):,} quotes; the limit is {MAX_QUOTES:,} per file")
    return quotes


def _lines(path: Path) -> list[str]:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise VerificationError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MB; split it")
        return path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as ex:
        raise VerificationError(f"{path}: not UTF-8 text ({ex.reason} at byte {ex.start})") from None
    except OSError as ex:
        raise VerificationError(f"{path}: cannot read quotes ({ex.strerror})") from None


def _parse(path: Path, number: int, line: str, jsonl: bool) -> tuple[str, str | None]:
    if not jsonl:
        return line.strip(), None
    try:
        item = json.loads(line)
    except (ValueError, RecursionError) as ex:
        raise VerificationError(f"{path}:{number}: not a JSON object ({str(ex)[:80]})") from None
    if not isinstance(item, dict) or not isinstance(item.get("text"), str):
        raise VerificationError(f'{path}:{number}: expected {{"text": "…", "id": …}}')
    quote_id = item.get("id")
    return item["text"], str(quote_id) if quote_id is not None else str(number)
