"""PDF papers: text per page with pypdf, page numbers kept as anchors (``#page=N`` links).

pypdf is known to hang or exhaust memory on hostile files (circular ``/Prev`` xrefs,
inline images without ``EI``, 10,000-page bombs), so it never runs in this process: each
PDF is read by ``pdf_worker`` in a child process with a timeout (``DEEPINSIGHTS_PDF_TIMEOUT``)
and an address-space cap (``DEEPINSIGHTS_PDF_MAX_MEMORY``). A PDF that fails, hangs, is empty
or encrypted raises an ``ImporterError`` naming the file; in a folder import that file is
reported as skipped and the others import.

The title is the PDF's /Title, else its first line of text, else the file name; the date
is its /CreationDate, else the file's first commit. It does not OCR scanned pages (a PDF
without a text layer is reported, not imported) and does not repair hyphenation or columns.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import config
from ..errors import CorruptArchiveError, ImporterError
from ..hookspecs import hookimpl
from ..models import Anchor, Document
from .base import ImportRun
from .textutil import clean, tidy

MAX_CHARS = 20_000_000
_WORKER = Path(__file__).with_name("pdf_worker.py")


class PdfImporter:
    """Text PDFs (papers, reports), read in a sandboxed child process."""

    name = "pdf"
    description = "PDF papers (text per page via pypdf in a child process with timeout and memory cap)"

    def detect(self, path: Path) -> bool:
        """True for a ``.pdf`` file (so a damaged one gets a PDF error) or any file with a %PDF header."""
        if not path.is_file():
            return False
        if path.suffix.lower() == ".pdf":
            return True
        return b"%PDF-" in _head(path)

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        rel = options.relative(path)
        try:
            _check_header(path)
        except OSError as ex:
            raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None
        result = extract(path)
        if result.get("truncated"):
            options.skip(rel, f"text cut at {MAX_CHARS:,} characters")
        yield _document(path, rel, result, options)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(1024)
    except OSError:
        return b""


def _check_header(path: Path) -> None:
    if path.stat().st_size == 0:
        raise CorruptArchiveError(f"'{path}' is empty (0 bytes), not a PDF")
    if b"%PDF-" not in _head(path):
        raise CorruptArchiveError(f"'{path}' is not a PDF (no %PDF- header in its first 1024 bytes)")


def extract(path: Path) -> dict[str, Any]:
    """Run ``pdf_worker`` on ``path`` under the timeout and memory cap; return its JSON result."""
    timeout = float(config.PDF_TIMEOUT.value())
    # subtle: run as a script with -P (no script folder on sys.path, so this folder's html.py
    # cannot shadow the stdlib), not with -m, which would import the whole package first.
    command = [sys.executable, "-P", str(_WORKER), str(path), config.PDF_MAX_MEMORY.value(), str(MAX_CHARS)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise CorruptArchiveError(
            f"'{path}': reading the PDF took longer than {timeout:g} s, so it was stopped "
            f"(a damaged or hostile PDF? raise {config.PDF_TIMEOUT.env} to allow more)"
        ) from None
    return _result(path, done)


def _result(path: Path, done: subprocess.CompletedProcess[bytes]) -> dict[str, Any]:
    try:
        result = json.loads(done.stdout)
    except ValueError:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise CorruptArchiveError(
            f"'{path}': the PDF reader stopped (exit code {done.returncode}): {last[0][:200]}"
        ) from None
    if not isinstance(result, dict):
        raise CorruptArchiveError(f"'{path}': the PDF reader returned no result")
    if "error" in result:
        raise CorruptArchiveError(f"'{path}': {result['error']}")
    return result


def _document(path: Path, rel: str, result: dict[str, Any], options: ImportRun) -> Document:
    pages = [tidy(clean(str(p))) for p in result.get("pages") or []]
    url = options.provenance.get("url") if options.root is not None and options.root == path else None
    text, anchors = _join_pages(pages, url)
    if not text:
        raise ImporterError(f"'{path}' has no text layer (a scanned PDF?); OCR it first, e.g. with ocrmypdf")
    meta: dict[str, Any] = {"pages": len(pages)}
    meta.update({"author": clean(result["author"])[:200]} if result.get("author") else {})
    return Document(
        source="pdf",
        source_id=rel,
        origin=options.origin,
        kind="paper",
        text=text,
        thinker=options.thinker or "",
        title=_title(result.get("title"), text, path),
        url=url,
        published_at=options.date(result.get("created"), rel) or options.file_dates.get(rel),
        source_path=rel,
        meta=meta,
        anchors=anchors,
    )


def _join_pages(pages: list[str], url: str | None) -> tuple[str, tuple[Anchor, ...]]:
    """Pages joined by blank lines, with an anchor at the start of each page that has text."""
    pieces: list[str] = []
    anchors: list[Anchor] = []
    offset = 0
    for number, page in enumerate(pages, 1):
        if not page:
            continue
        if pieces:
            pieces.append("\n\n")
            offset += 2
        anchors.append(Anchor(offset, f"page {number}", f"{url}#page={number}" if url else None))
        pieces.append(page)
        offset += len(page)
    return "".join(pieces), tuple(anchors)


def _title(stated: Any, text: str, path: Path) -> str:
    title = " ".join(clean(str(stated)).split()) if stated else ""
    if len(title) >= 3 and title.lower() not in ("untitled", "title"):
        return title[:500]
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first[:200] or path.stem


IMPORTER = PdfImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
