"""Helpers shared by the web and browser tests: a tiny corpus, a tiny profile, a real server, and
module-scoped workspaces on both backends (used by other modules too).

The corpus is written straight into a real workspace with ``upsert_documents`` (page tests
need documents, not importers), on either backend: ``make_workspace`` takes a --db value (a
SQLite path or a PostgreSQL URL). ``module_db`` gives a module-scoped fixture its --db value
for ``request.param`` (one of ``BACKENDS``), so tests that only read share one workspace per
backend instead of cloning a database each. The corpus holds ordinary posts, a transcript with a
timestamped link, and hostile items (script tags, ``onerror``, ``javascript:`` links,
unbalanced markup, ``</script>`` and U+2028) that must stay inert text everywhere.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import pytest
import uvicorn
from starlette.applications import Starlette

from deepinsights.models import Anchor, Document, ImportReport
from deepinsights.workspace import open_store

from . import pg

BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]
"""Params for a module-scoped workspace fixture, as conftest's ``backend``."""

DbT = TypeVar("DbT", str, Path)


HOSTILE_SCRIPT = "<script>window.__pwned = 1; alert('script')</script> pwned by script"
HOSTILE_IMG = "<img src=x onerror=\"window.__pwned = 2; alert('img')\"> pwned by image"
HOSTILE_LINK = "<a href=\"javascript:alert('link')\">click</a> pwned by link"
HOSTILE_UNBALANCED = "<div><b>pwned by unbalanced <i>markup</script><script>window.__pwned = 4</script>"
HOSTILE_BIDI = "pwned by bidi: invoice\u202eexe.pdf and \u2066isolate\u2069"
HOSTILE_SEPARATORS = 'pwned by separators \u2028 line \u2029 paragraph "quotes" & ampersands > <'

PROFILE_YAML = """\
identity:
  slug: ada
  name: Ada Example
  description: "A test thinker <script>window.__pwned = 9</script>"
generating_function:
  statement: Make it small, then make it run.
  phases: [Make it small., Make it run.]
axioms:
  - number: 1
    title: Small first
    statement: Build the smallest working thing.
    quotes:
      - text: the smallest working version
        source: {title: Smallness post, date: 2021-03, url: "javascript:alert(1)"}
  - number: 2
    title: Recovered axiom
    reconstructed: true
    reconstruction_note: The heading was lost.
    statement: Measure before believing.
lineage:
  - name: Feynman
    work: What I cannot create
    claimed_count: 3
    count_query: feynman
mental_models:
  - rank: 1
    title: Loops
    explanation: Loops everywhere.
tensions:
  - number: 1
    title: Small vs big
    text: Both at once.
predictions:
  - {kind: explicit, text: Small models win, made: 2023, horizon: 5 years}
  - {kind: implicit, text: Loops close, status: came_true}
extensions:
  - number: 1
    title: Beyond loops
    text: Further out.
eras:
  - {name: Early, start: 2020-01, end: 2021-12, summary: Early work.}
  - {name: Late, start: 2022-01, summary: Later work.}
corpus_claims:
  - {label: posts, items: 3, kinds: [post]}
known_gaps: [Old talks]
simulator:
  opening: "You are simulating Ada ({counts})."
  header_counts:
    - {count: 3, label: posts, kinds: [post]}
  aesthetics: [Small things]
"""


def _doc(n: int, kind: str, text: str, when: str | None, **extra: object) -> Document:
    moment = datetime.fromisoformat(when).replace(tzinfo=UTC) if when else None
    fields: dict[str, object] = {"title": f"Fixture {kind} {n}", "url": f"https://example.com/{kind}/{n}"}
    fields.update(extra)
    return Document(source="fixture", source_id=str(n), kind=kind, text=text, published_at=moment, **fields)  # type: ignore[arg-type]


TRANSCRIPT_HIT_SECONDS = 250


def _transcript() -> tuple[str, tuple[Anchor, ...]]:
    """Thirty caption lines, one every 10 s (two passages); only the line at 4:10 says micrograd."""
    text, anchors = "", []
    for i in range(30):
        seconds = i * 10
        anchors.append(
            Anchor(
                len(text), f"{seconds // 60}:{seconds % 60:02d}", f"https://www.youtube.com/watch?v=abc&t={seconds}s"
            )
        )
        words = (
            "today we build micrograd from scratch" if seconds == TRANSCRIPT_HIT_SECONDS else "and then we keep going"
        )
        text += f"[{seconds}s] {words} " + "filler words to pad the caption line " * 2 + "\n"
    return text, tuple(anchors)


def fixture_documents() -> list[Document]:
    """Eight ordinary items and six hostile ones, for thinker ``ada``."""
    transcript, anchors = _transcript()
    return [
        _doc(1, "post", "Building micrograd taught me backpropagation from scratch.", "2021-02-10"),
        _doc(2, "post", "A tokenizer turns text into tokens; the tokenizer is its own stage.", "2022-05-01"),
        _doc(3, "post", "Factorio is the game where you automate the factory and go AFK.", "2023-07-19"),
        _doc(
            4,
            "tweet",
            "micrograd is 150 lines of Python. Small is beautiful.",
            "2022-11-30",
            url="https://x.com/ada/status/4",
        ),
        _doc(5, "tweet", "New tokenizer lecture is up. Tokenization is at the heart of weirdness.", "2024-02-20"),
        _doc(6, "readme", "micrograd: a tiny autograd engine. The smallest working version of backprop.", None),
        _doc(7, "transcript", transcript, "2022-08-01", url="https://www.youtube.com/watch?v=abc", anchors=anchors),
        _doc(
            8,
            "post",
            'Quotes "like this", parentheses (nested (deep)), NEAR(a b) and OR AND NOT * - ^ : are text.',
            "2023-01-05",
        ),
        _doc(101, "post", HOSTILE_SCRIPT, "2023-03-01", title="<script>alert('title')</script>"),
        _doc(102, "post", HOSTILE_IMG, "2023-03-02", title="<img src=x onerror=alert('title')>"),
        _doc(103, "tweet", HOSTILE_LINK, "2023-03-03", url="javascript:alert('url')"),
        _doc(104, "post", HOSTILE_UNBALANCED, "2023-03-04", url="  JAVASCRIPT:alert('url2')"),
        _doc(105, "post", HOSTILE_SEPARATORS, "2023-03-05", url="data:text/html,<script>alert(1)</script>"),
        _doc(106, "tweet", HOSTILE_BIDI, "2023-03-06", title="bidi \u202etitle"),
    ]


def make_workspace(db: DbT, thinker: str = "ada", docs: list[Document] | None = None) -> DbT:
    """Fill the workspace ``db`` (a SQLite path or a PostgreSQL URL) with ``docs`` (the fixture corpus by default)."""
    store = open_store(db)
    try:
        with store.transaction():
            store.upsert_documents(docs if docs is not None else fixture_documents(), ImportReport(), thinker=thinker)
    finally:
        store.close()
    return db


def skip_sqlite_only(request: pytest.FixtureRequest, backend: str) -> None:
    """Skip a ``sqlite_only`` test on PostgreSQL: for module-scoped workspaces (``backend`` does it for ``db``)."""
    marker = request.node.get_closest_marker("sqlite_only")
    if backend == "postgresql" and marker is not None:
        pytest.skip(f"sqlite_only: {marker.kwargs.get('reason') or (marker.args or ['no reason given'])[0]}")


@contextmanager
def module_db(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """The --db value of a module-scoped workspace on ``request.param``: a file in ``folder``, or a fresh database."""
    if request.param == "sqlite":
        yield str(folder / "insights.db")
        return
    cluster: pg.Cluster = request.getfixturevalue("pg_cluster")
    name = cluster.database(pg.MIGRATED)
    try:
        yield cluster.url(name)
    finally:
        cluster.drop(name)


def write_profile(folder: Path, text: str = PROFILE_YAML, name: str = "ada.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return folder


@contextmanager
def serving(app: Starlette) -> Iterator[str]:
    """Run ``app`` under a real uvicorn on 127.0.0.1 (a free port) in a thread; yield its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
