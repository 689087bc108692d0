"""Child process that reads one PDF with pypdf and prints its text per page as JSON.

Run by ``pdf.py`` as ``python -P …/pdf_worker.py PATH MAX_BYTES MAX_CHARS``; it imports
nothing from deepinsights, so it starts in a few tens of milliseconds.
It caps its own address space (``RLIMIT_AS``) before importing pypdf, so a PDF that makes
pypdf loop or allocate without end is stopped by the parent's timeout or by this cap,
and the importing process never is. Output on stdout is one JSON object: ``{"pages":
[...], "title", "author", "created", "truncated"}`` or ``{"error": "..."}``.

It does not OCR scanned pages, render anything, or write any file.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def main(argv: list[str]) -> int:
    """Read ``argv[1]`` and write the JSON result to stdout; 0 when the PDF was read."""
    path, max_bytes, max_chars = argv[1], int(argv[2]), int(argv[3])
    _cap_memory(max_bytes)
    try:
        result = extract(path, max_chars)
    except MemoryError:
        result = {"error": f"reading it needed more than {max_bytes:,} bytes of memory"}
    except RecursionError:
        result = {"error": "its structure is nested too deeply (a damaged or hostile PDF)"}
    except Exception as ex:  # noqa: BLE001 - any pypdf failure is reported, never raised
        result = {"error": f"not a readable PDF ({type(ex).__name__}: {' '.join(str(ex).split())[:200]})"}
    sys.stdout.write(json.dumps(result))
    return 1 if "error" in result else 0


def _cap_memory(max_bytes: int) -> None:
    if max_bytes <= 0:
        return
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (max_bytes, max_bytes))


def extract(path: str, max_chars: int) -> dict[str, Any]:
    """Text of every page (stopping after ``max_chars``) and the document's metadata."""
    import logging

    from pypdf import PdfReader

    logging.disable(logging.WARNING)  # pypdf logs every repaired xref; the parent reads only stdout
    reader = PdfReader(path, strict=False)
    if reader.is_encrypted and not reader.decrypt(""):
        return {"error": "it is encrypted (password-protected); decrypt it first, e.g. qpdf --decrypt"}
    pages: list[str] = []
    total = 0
    for page in reader.pages:
        text = page.extract_text() or ""
        pages.append(text)
        total += len(text)
        if total > max_chars:
            return {**_metadata(reader), "pages": pages, "truncated": True}
    return {**_metadata(reader), "pages": pages, "truncated": False}


def _metadata(reader: Any) -> dict[str, Any]:
    info = reader.metadata
    if info is None:
        return {}
    try:
        created = info.creation_date
    except (ValueError, TypeError, KeyError, AttributeError):
        created = None  # a malformed /CreationDate loses the date, not the text
    return {
        "title": str(info.title) if info.title else None,
        "author": str(info.author) if info.author else None,
        "created": created.isoformat() if created is not None else None,
    }


if __name__ == "__main__":
    sys.exit(main(sys.argv))
