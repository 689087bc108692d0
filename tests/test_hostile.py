"""Hostile inputs that cut across importers and the store (../shared/hostile-inputs.md rows 2 and 15)."""

from __future__ import annotations

import io
import json
import struct
import zipfile
from pathlib import Path

import pytest

from deepinsights.errors import CorruptArchiveError, StoreError
from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import


def _tweets_zip() -> bytes:
    tweets = ",".join(
        json.dumps(
            {"tweet": {"id_str": str(i), "full_text": f"hello {i}", "created_at": "Thu Nov 03 08:50:26 +0000 2022"}}
        )
        for i in range(50)
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/tweets.js", f"window.YTD.tweets.part0 = [{tweets}]")
    return buf.getvalue()


def _overlapping(data: bytes, name: bytes) -> bytes:
    """Add a second central-directory entry pointing at the first member's data (zbsm-style overlap)."""
    eocd = data.rfind(b"PK\x05\x06")
    size, offset = struct.unpack("<II", data[eocd + 12 : eocd + 20])
    directory = data[offset : offset + size]
    name_len, extra_len, comment_len = struct.unpack("<HHH", directory[28:34])
    entry = directory[: 46 + name_len + extra_len + comment_len]
    twin = entry[:28] + struct.pack("<H", len(name)) + entry[30:46] + name + entry[46 + name_len :]
    end = bytearray(data[eocd : eocd + 22])
    struct.pack_into("<HHII", end, 8, 2, 2, len(directory) + len(twin), offset)
    return data[:offset] + directory + twin + bytes(end)


def test_overlapping_zip_entries_abort_the_import_atomically(tmp_path: Path, store, db, run):
    archive = tmp_path / "overlap.zip"
    archive.write_bytes(_overlapping(_tweets_zip(), b"data/tweets-part1.js"))
    with pytest.raises(CorruptArchiveError, match="possible zip bomb"):
        run_import(store, [str(archive)], ImportOptions())
    assert store.document_count() == 0 and store.integrity_check() == "ok"
    result = run("import", archive, "--db", db)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and "overlap.zip" in result.output and "Traceback" not in result.output


@pytest.mark.sqlite_only(reason="fills the disk with PRAGMA max_page_count; the PostgreSQL message is in test_pg_store")
def test_disk_full_rolls_the_import_back_with_a_clear_message(tmp_path: Path, store):
    small = tmp_path / "small.jsonl"
    small.write_text("".join(json.dumps({"text": f"first {i}"}) + "\n" for i in range(10)))
    run_import(store, [str(small)], ImportOptions())
    before = store.document_count()
    big = tmp_path / "big.jsonl"
    big.write_text("".join(json.dumps({"text": f"word{i} " * 200}) + "\n" for i in range(3000)))
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages + 20}")  # subtle: SQLite's own way to run out of space
    with pytest.raises(StoreError, match="Free some space"):
        run_import(store, [str(big)], ImportOptions())
    store.conn.execute("PRAGMA max_page_count = 1073741823")
    assert store.document_count() == before and store.integrity_check() == "ok"
    assert run_import(store, [str(big)], ImportOptions()).added == 3000
