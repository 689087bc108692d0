"""Where deep-insights keeps things, and the tunables a user may change.

One user directory (``$DEEPINSIGHTS_USER_PATH`` or the platform's app dir), the workspace
database (``--db``, ``$INSIGHTS_DB``, default ``./insights.db``), and every setting declared
once as a ``Setting`` so that docs and tests can list them. No config framework.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click


@dataclass(frozen=True)
class Setting:
    """A tunable with its environment variable, default and meaning."""

    name: str
    env: str
    default: str
    help: str

    def value(self) -> str:
        return os.environ.get(self.env, self.default)


DB = Setting("db", "INSIGHTS_DB", "insights.db", "Workspace database file used by every command.")
USER_PATH = Setting(
    "user_path",
    "DEEPINSIGHTS_USER_PATH",
    "",
    "Directory for caches (cloned git repositories) and user settings; defaults to the platform app dir.",
)
MAX_FETCH_BYTES = Setting(
    "max_fetch_bytes", "INSIGHTS_MAX_FETCH_BYTES", str(50 * 1024 * 1024), "Largest URL download accepted, in bytes."
)
FETCH_TIMEOUT = Setting("fetch_timeout", "INSIGHTS_FETCH_TIMEOUT", "30", "Seconds before a URL fetch is abandoned.")
MAX_MEMBER_BYTES = Setting(
    "max_member_bytes",
    "INSIGHTS_MAX_MEMBER_BYTES",
    str(2 * 1024 * 1024 * 1024),
    "Largest uncompressed size of one zip member; larger members are refused as a possible zip bomb.",
)
MAX_ZIP_RATIO = Setting(
    "max_zip_ratio",
    "INSIGHTS_MAX_ZIP_RATIO",
    "200",
    "Largest compression ratio of one zip member; higher ratios are refused as a possible zip bomb.",
)
SEARCH_CANDIDATES = Setting(
    "search_candidates",
    "INSIGHTS_SEARCH_CANDIDATES",
    "2000",
    "Matches ranked by BM25 per query; a query matching more ranks the most recently imported this many.",
)

BUSY_TIMEOUT = Setting(
    "busy_timeout",
    "INSIGHTS_BUSY_TIMEOUT",
    "5",
    "Seconds a write waits for another process's write to finish before the workspace is reported as locked.",
)

PDF_TIMEOUT = Setting(
    "pdf_timeout",
    "INSIGHTS_PDF_TIMEOUT",
    "60",
    "Seconds one PDF may take to read; a slower (possibly hostile) PDF is marked failed and the import goes on.",
)
PDF_MAX_MEMORY = Setting(
    "pdf_max_memory",
    "INSIGHTS_PDF_MAX_MEMORY",
    str(1024 * 1024 * 1024),
    "Largest address space, in bytes, of the child process that reads one PDF.",
)

PARSE_IN_CHILD_BYTES = Setting(
    "parse_in_child_bytes",
    "INSIGHTS_PARSE_IN_CHILD_BYTES",
    str(8 * 1024 * 1024),
    "Files at least this big are parsed in a child process while the import writes, and an X archive's first pass "
    "over them in two halves at once (0: always; -1: never).",
)
EMBEDDING_MODEL = Setting(
    "embedding_model", "INSIGHTS_EMBEDDING_MODEL", "all-MiniLM-L6-v2", "Embedding model for semantic and hybrid search."
)
EMBEDDING_BACKEND = Setting(
    "embedding_backend",
    "INSIGHTS_EMBEDDING_BACKEND",
    "auto",
    "What runs the built-in embedding models' layers: onnxruntime (about twice as fast), numpy, or auto "
    "(onnxruntime when it can be imported, else numpy).",
)

SETTINGS = (
    DB,
    EMBEDDING_MODEL,
    EMBEDDING_BACKEND,
    USER_PATH,
    MAX_FETCH_BYTES,
    FETCH_TIMEOUT,
    MAX_MEMBER_BYTES,
    MAX_ZIP_RATIO,
    SEARCH_CANDIDATES,
    BUSY_TIMEOUT,
    PDF_TIMEOUT,
    PDF_MAX_MEMORY,
    PARSE_IN_CHILD_BYTES,
)


def user_dir() -> Path:
    """Return (and create) the user directory."""
    path = Path(USER_PATH.value() or click.get_app_dir("deepinsights"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return Path(DB.value())
