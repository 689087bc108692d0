"""Where deep-insights keeps things, and the tunables a user may change.

One user directory (``$DEEPINSIGHTS_USER_PATH`` or the platform's app dir), the workspace
database (``--db``, ``$DEEPINSIGHTS_DB``, default ``./insights.db``), and every setting declared
once as a ``Setting`` so that docs and tests can list them. No config framework.

Every setting's environment variable is ``DEEPINSIGHTS_`` + its name in capitals. The names
of before, ``INSIGHTS_…``, still work: ``Setting.value`` reads one when the new name is not
set, and ``renamed_in_environment`` lists those in use, for the CLI to print a deprecation
notice. This module prints nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import click

PREFIX = "DEEPINSIGHTS_"
OLD_PREFIX = "INSIGHTS_"  # the prefix of before; still read, with a deprecation notice


@dataclass(frozen=True)
class Setting:
    """A tunable with its default and meaning; its environment variable is ``PREFIX`` + NAME."""

    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        """The environment variable: ``DEEPINSIGHTS_`` + the name in capitals."""
        return PREFIX + self.name.upper()

    @property
    def old_env(self) -> str:
        """The deprecated name of the environment variable, still read when ``env`` is not set."""
        return OLD_PREFIX + self.name.upper()

    @property
    def envvars(self) -> list[str]:
        """Both names, the new one first (click's ``envvar=`` reads the first that is set)."""
        return [self.env, self.old_env]

    def value(self) -> str:
        """The environment's value (new name first, then the old one), else the default."""
        found = os.environ.get(self.env)
        return found if found is not None else os.environ.get(self.old_env, self.default)

    def positive(self) -> int | None:
        """The value as a whole number above zero; None when it is not one (the caller says what that means)."""
        try:
            number = int(self.value())
        except ValueError:
            return None
        return number if number > 0 else None

    def or_cores(self) -> int:
        """The value as a whole number above zero; otherwise one per core this process may use."""
        if asked := self.positive():
            return asked
        try:
            return max(1, len(os.sched_getaffinity(0)))
        except AttributeError:  # not on Linux
            return max(1, os.cpu_count() or 1)


DB = Setting("db", "insights.db", "Workspace of every command: a SQLite database file, or a postgresql:// URL.")
USER_PATH = Setting(
    "user_path",
    "",
    "Directory for caches (cloned git repositories) and user settings; defaults to the platform app dir.",
)
MAX_FETCH_BYTES = Setting("max_fetch_bytes", str(50 * 1024 * 1024), "Largest URL download accepted, in bytes.")
MAX_MEDIA_BYTES = Setting(
    "max_media_bytes",
    str(2 * 1024 * 1024 * 1024),
    "Largest audio or video download accepted (a talk's page through yt-dlp, or a link to a media file), in bytes.",
)
FETCH_TIMEOUT = Setting("fetch_timeout", "30", "Seconds before a URL fetch is abandoned.")
MAX_MEMBER_BYTES = Setting(
    "max_member_bytes",
    str(2 * 1024 * 1024 * 1024),
    "Largest uncompressed size of one zip member; larger members are refused as a possible zip bomb.",
)
MAX_ZIP_RATIO = Setting(
    "max_zip_ratio",
    "200",
    "Largest compression ratio of one zip member; higher ratios are refused as a possible zip bomb.",
)
SEARCH_CANDIDATES = Setting(
    "search_candidates",
    "2000",
    "Matches ranked by BM25 per query; a query matching more ranks the most recently imported this many.",
)

NICE = Setting(
    "nice",
    "10",
    "How far import and index lower their own CPU priority (Unix nice, 0 to 19; on Linux their terminal "
    "session's too while they run), so that a server on the same machine keeps answering while they run; alone "
    "on the machine they run as fast. 0: normal priority.",
)

BUSY_TIMEOUT = Setting(
    "busy_timeout",
    "5",
    "Seconds a write waits for another process's write to finish before the workspace is reported as locked.",
)

PDF_TIMEOUT = Setting(
    "pdf_timeout",
    "60",
    "Seconds one PDF may take to read; a slower (possibly hostile) PDF is marked failed and the import goes on.",
)
PDF_MAX_MEMORY = Setting(
    "pdf_max_memory",
    str(1024 * 1024 * 1024),
    "Largest address space, in bytes, of the child process that reads one PDF.",
)

PARSE_IN_CHILD_BYTES = Setting(
    "parse_in_child_bytes",
    str(8 * 1024 * 1024),
    "Files at least this big are parsed in a child process while the import writes, and an X archive's first pass "
    "over them in two halves at once (0: always; -1: never).",
)
SEARCH_PROCESSES = Setting(
    "search_processes",
    "0",
    "Processes the web server searches in (0: one per core; 1: in the server's own threads). A search is mostly "
    "Python, which runs on one core per process: see docs/web.md.",
)
SEARCH_SLOTS = Setting(
    "search_slots",
    "0",
    "Searches one web server process runs at once in its threads; the others wait their turn (0: one per core; "
    "with search processes, four each, for the searches that pass through a thread, as on PostgreSQL). With several "
    "worker processes (uvicorn --workers), the cores divided by the workers is a trade-off: see docs/web.md.",
)
MAX_REQUEST_BYTES = Setting(
    "max_request_bytes",
    str(1024 * 1024),
    "Largest request body the web server accepts, in bytes (a question is a few KB); a larger one is refused "
    "with 413 before it is read whole.",
)
EMBEDDING_MODEL = Setting("embedding_model", "all-MiniLM-L6-v2", "Embedding model for semantic and hybrid search.")
EMBEDDING_BACKEND = Setting(
    "embedding_backend",
    "auto",
    "What runs the built-in embedding models' layers: openvino (bfloat16 where the CPU computes it natively, "
    "about 1.7 times as fast as onnxruntime), onnxruntime (float32, about 1.4 times as fast as numpy), numpy, or auto "
    "(the first of openvino and onnxruntime that can be imported, else numpy).",
)
EMBEDDING_PRECISION = Setting(
    "embedding_precision",
    "auto",
    "How exact the built-in models' layers are: auto (bfloat16 in OpenVINO where the CPU computes it natively, "
    "with the same recall as float32 on the labelled query sets; float32 everywhere else), fp32 "
    "(float32 everywhere), or int8 (passages through ONNX Runtime's int8 layers: about 2.3 times as fast as "
    "float32 for all-MiniLM-L6-v2 but 0.02-0.03 lower recall@10; refused for all-mpnet-base-v2, whose vectors "
    "int8 moves too far; queries then run in float32).",
)
SPEECH_MODEL = Setting(
    "speech_model",
    "base",
    "Speech-to-text model for audio and video imports: base (multilingual) or tiny.en (English only, faster).",
)
SPEECH_LANGUAGE = Setting(
    "speech_language",
    "",
    "Language of the speech in audio imports as a code such as en or de; empty: detected from the recording.",
)

MODEL = Setting(
    "model",
    "",
    "Model that ask, chat, distill and the page's Ask panel use (any `llm` model id or alias); "
    "a remote model is used only when named here or with -m.",
)
LLAMA_THREADS = Setting("llama_threads", "0", "CPU threads for the installed local model (0: all cores).")
LOAD_PLUGINS = Setting(
    "load_plugins", "*", "Plugins to load: `*` for every installed one, else a comma-separated list of names."
)
PROGRESS_EVERY = Setting(
    "progress_every",
    "5",
    "Seconds between the progress lines of a long step (indexing, importing, distilling, exporting) when stderr is no "
    "terminal, such as a log file.",
)
PG_BIN = Setting(
    "pg_bin",
    "",
    "Folder holding PostgreSQL's initdb and pg_ctl, for the throwaway clusters of the tests and benchmarks "
    "(default: $PATH, then /usr/lib/postgresql/*/bin).",
)

SETTINGS = (
    DB,
    MODEL,
    EMBEDDING_MODEL,
    EMBEDDING_BACKEND,
    EMBEDDING_PRECISION,
    USER_PATH,
    MAX_FETCH_BYTES,
    MAX_MEDIA_BYTES,
    FETCH_TIMEOUT,
    MAX_MEMBER_BYTES,
    MAX_ZIP_RATIO,
    SEARCH_CANDIDATES,
    BUSY_TIMEOUT,
    PDF_TIMEOUT,
    PDF_MAX_MEMORY,
    PARSE_IN_CHILD_BYTES,
    MAX_REQUEST_BYTES,
    SEARCH_PROCESSES,
    SEARCH_SLOTS,
    LLAMA_THREADS,
    LOAD_PLUGINS,
    PG_BIN,
    PROGRESS_EVERY,
    NICE,
    SPEECH_MODEL,
    SPEECH_LANGUAGE,
)


def renamed_in_environment() -> list[str]:
    """A deprecation notice for each setting the environment gives by its old ``INSIGHTS_`` name."""
    return [
        f"{s.old_env} is deprecated; set {s.env} instead."
        for s in SETTINGS
        if s.old_env in os.environ and s.env not in os.environ
    ]


def user_dir() -> Path:
    """Return (and create) the user directory."""
    path = Path(USER_PATH.value() or click.get_app_dir("deepinsights"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_db_path() -> Path:
    return Path(DB.value())
