"""PDF importer: page anchors, titles, and hostile PDFs read in a child process with caps."""

from __future__ import annotations

import json
import time

import pytest

from deepinsights.errors import CorruptArchiveError
from deepinsights.importers import importer_for
from deepinsights.importers.base import ImportOptions, ImportRun
from deepinsights.importers.pdf import IMPORTER
from deepinsights.ingest import run_import


def _escape(text: str) -> bytes:
    return text.encode("latin-1").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def _content(text: str) -> bytes:
    shown = b" ".join(b"(" + _escape(line) + b") Tj T*" for line in text.splitlines())
    return b"BT /F1 12 Tf 14 TL 72 720 Td " + shown + b" ET"


def make_pdf(
    pages: list[str],
    *,
    title: str | None = None,
    created: str | None = None,
    contents: list[bytes] | None = None,
    extra_trailer: bytes = b"",
) -> bytes:
    """A minimal valid PDF: one Helvetica text page per item of ``pages`` (lines on new lines)."""
    objects = [b"", b""]

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    kids = []
    for i, text in enumerate(pages):
        stream = contents[i] if contents else _content(text)
        content = add(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
        page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> >> "
        kids.append(add(page % font + b"/Contents %d 0 R >>" % content))
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (b" ".join(b"%d 0 R" % k for k in kids), len(kids))
    info = b""
    if title or created:
        fields = (b"/Title (" + _escape(title) + b") " if title else b"") + (
            b"/CreationDate (" + created.encode() + b")" if created else b""
        )
        info = b" /Info %d 0 R" % add(b"<< " + fields + b" >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = b"trailer\n<< /Size %d /Root 1 0 R%s%s >>\nstartxref\n%d\n%%%%EOF\n"
    out += trailer % (len(objects) + 1, info, extra_trailer, xref)
    return bytes(out)


def test_tiny_fixture_is_one_titled_page(store, fixtures):
    report = run_import(store, [str(fixtures / "tiny.pdf")], ImportOptions(thinker="t"))
    assert report.added == 1 and report.skipped == []
    doc = store.rows("SELECT * FROM documents")[0]
    assert doc["kind"] == "paper" and doc["source"] == "pdf"
    assert doc["title"] == "A Tiny Paper on Small Steps"
    assert doc["published_at"] == "2020-01-02T03:04:05Z"
    assert "each step is small" in doc["text"]
    assert json.loads(doc["meta"])["pages"] == 1
    assert [p["anchor"] for p in store.passages(doc["id"])] == ["page 1"]


def test_pages_become_anchors_with_page_links(tmp_path):
    path = tmp_path / "two.pdf"
    path.write_bytes(make_pdf(["Intro page\nfirst words", "Second page\nmore words"]))
    options = ImportRun(root=path, provenance={"url": "https://example.org/two.pdf"})
    [doc] = IMPORTER.read(path, options)
    assert [a.label for a in doc.anchors] == ["page 1", "page 2"]
    second = doc.anchors[1]
    assert doc.text[second.offset :].startswith("Second page")
    assert second.url == "https://example.org/two.pdf#page=2"
    assert doc.title == "Intro page"  # no /Title: the first line


def test_title_falls_back_to_file_name_and_untitled_is_ignored(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_bytes(make_pdf(["Real first line"], title="untitled"))
    [doc] = IMPORTER.read(path, ImportRun(root=tmp_path))
    assert doc.title == "Real first line" and doc.url is None and doc.source_id == "notes.pdf"


def test_detects_by_extension_or_header(tmp_path):
    named = tmp_path / "paper.pdf"
    named.write_bytes(b"")
    disguised = tmp_path / "paper.bin"
    disguised.write_bytes(make_pdf(["x"]))
    text = tmp_path / "paper.txt"
    text.write_text("not a pdf")
    assert IMPORTER.detect(named) and IMPORTER.detect(disguised)
    assert not IMPORTER.detect(text)
    assert importer_for(disguised) is IMPORTER


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty (0 bytes)"),
        (b"hello, I am text with a pdf name", "no %PDF- header"),
        (b"%PDF-1.4\n1 0 obj garbage", "not a readable PDF"),
    ],
)
def test_broken_pdf_is_one_line_error_naming_the_file(tmp_path, data, message):
    path = tmp_path / "broken.pdf"
    path.write_bytes(data)
    with pytest.raises(CorruptArchiveError) as caught:
        list(IMPORTER.read(path, ImportRun(root=path)))
    assert message in str(caught.value) and "broken.pdf" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_encrypted_pdf_is_refused(tmp_path):
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    plain.write_bytes(make_pdf(["secret words"]))
    writer = PdfWriter()
    writer.append(PdfReader(plain))
    writer.encrypt(user_password="hunter2", owner_password="owner", algorithm="RC4-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(CorruptArchiveError, match="encrypted"):
        list(IMPORTER.read(locked, ImportRun(root=locked)))


def test_pdf_without_text_layer_is_reported(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf(["x"], contents=[b"0 0 m 10 10 l S"]))
    with pytest.raises(Exception, match="no text layer"):
        list(IMPORTER.read(path, ImportRun(root=path)))


def test_circular_prev_and_inline_image_without_ei_finish_quickly(tmp_path, store):
    looping = make_pdf(["looping xref"])
    start = int(looping.rsplit(b"startxref\n", 1)[1].split(b"\n")[0])
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "prev.pdf").write_bytes(looping.replace(b"/Root 1 0 R", b"/Root 1 0 R /Prev %d" % start))
    image = b"BT /F1 12 Tf 72 720 Td (before) Tj ET BI /W 100 /H 100 /BPC 8 /CS /G ID " + bytes(range(256)) * 40
    (folder / "image.pdf").write_bytes(make_pdf(["x"], contents=[image]))
    (folder / "good.pdf").write_bytes(make_pdf(["A good paper"]))
    began = time.monotonic()
    report = run_import(store, [str(folder)], ImportOptions())
    assert time.monotonic() - began < 30
    titles = {row["title"] for row in store.rows("SELECT title FROM documents")}
    assert "A good paper" in titles
    # each hostile file either imported its text or was reported, never a traceback
    for name in ("prev.pdf", "image.pdf"):
        skipped = [s.reason for s in report.skipped if s.path.endswith(name)]
        assert skipped or any(row["source_id"] == name for row in store.rows("SELECT source_id FROM documents"))
    assert store.integrity_check() == "ok"


def test_timeout_marks_a_slow_pdf_failed_and_others_continue(tmp_path, store, monkeypatch):
    monkeypatch.setenv("DEEPINSIGHTS_PDF_TIMEOUT", "0.5")
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "huge.pdf").write_bytes(make_pdf([f"page {i}" for i in range(10_000)]))
    (folder / "notes.md").write_text("# Still imported\n\nA sibling file.\n")
    began = time.monotonic()
    report = run_import(store, [str(folder)], ImportOptions())
    assert time.monotonic() - began < 15
    [skipped] = report.skipped
    assert skipped.path.endswith("huge.pdf") and "took longer than 0.5 s" in skipped.reason
    assert report.added == 1


def test_memory_cap_stops_the_reader(tmp_path, monkeypatch):
    monkeypatch.setenv("DEEPINSIGHTS_PDF_MAX_MEMORY", str(16 * 1024 * 1024))  # less than pypdf needs
    path = tmp_path / "paper.pdf"
    path.write_bytes(make_pdf(["needs memory to read"]))
    with pytest.raises(CorruptArchiveError) as caught:
        list(IMPORTER.read(path, ImportRun(root=path)))
    message = str(caught.value)
    assert "paper.pdf" in message and ("memory" in message or "stopped" in message or "ImportError" in message)


def test_cli_imports_a_pdf_and_reports_a_bad_one(run, fixtures, db, tmp_path):
    result = run("import", fixtures / "tiny.pdf", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_source"] == {"pdf": 1}
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"")
    result = run("import", bad, "--db", db)
    assert result.exit_code == 1
    assert "bad.pdf" in result.output and "Traceback" not in result.output
