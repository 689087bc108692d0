"""Passage vectors: computing them incrementally into the workspace.

Vectors live in the workspace's ``passage_vectors`` table (float16 BLOBs, one embedding model
per workspace, recorded in ``vector_meta``; ``backends.shared.vectors``): that table is the
truth, written in small transactions so an interrupted ``insights index`` keeps what it
finished and resumes. A passage is (re)embedded only when it has no vector or its text hash
changed; vectors of deleted passages are reused for identical text elsewhere, then dropped.
After a run the workspace brings its nearest-neighbour index up to date (a usearch file
beside a SQLite file, a pgvector table on PostgreSQL). Asking for a model other than the one
the workspace was built with raises an EmbeddingError naming the command that rebuilds it:
vectors are never mixed. One process at a time computes vectors: it holds the workspace's
lease (``semantic.lease``) while it plans and embeds.

It does not search or fuse rankings (``semantic.hybrid`` does) and writes through the workspace only.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import lease
from .layers import Vectors
from .registry import Embedder, canonical_name, get_embedder

if TYPE_CHECKING:
    from ..workspace import Workspace

BATCH = 256  # passages per write transaction: what an interrupted run keeps
ROUND_CHARS = 250_000  # characters embedded together: enough tweets to fill the forward batches, ~5 s of work

IndexProgress = Callable[[int, int], None]  # (done, total)


@dataclass
class IndexReport:
    """What one indexing run did."""

    model: str
    total: int = 0
    embedded: int = 0
    reused: int = 0
    unchanged: int = 0
    empty: int = 0
    removed: int = 0
    seconds: float = 0.0
    busy: dict[str, Any] | None = None  # another process held the lease: who, and how far it had got
    runtime: str | None = None  # what ran the model when passages were embedded ("OpenVINO bf16"…)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def merge(self, other: IndexReport) -> None:
        """Add a later run's counts (the catch-up run after letting go of the lease)."""
        for name in ("embedded", "reused", "empty", "removed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.total = max(self.total, other.total)
        self.seconds = round(self.seconds + other.seconds, 3)
        self.runtime = self.runtime or other.runtime


def model_input(title: str | None, text: str) -> str:
    """The text a passage is embedded from: its title (first passage only) and its text."""
    return f"{title}\n\n{text}" if title else text


def text_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def build_index(
    store: Workspace,
    model: str | None = None,
    *,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
    import_id: int | None = None,
    waiting: Callable[[lease.Holder], None] | None = None,
    building: IndexProgress | None = None,
) -> IndexReport:
    """``index_passages`` with the named model, checked against the workspace before it is loaded."""
    store.require_vector_search()
    if not rebuild:
        store.check_model(canonical_name(model))
    found = lease.holder(store)
    if found is not None and not _waits_for(found, import_id):  # subtle: before loading a model it would not use
        return IndexReport(model=canonical_name(model), busy=found.as_dict())
    embedder = get_embedder(model)
    return index_passages(
        store, embedder, rebuild=rebuild, progress=progress, import_id=import_id, waiting=waiting, building=building
    )


def index_passages(
    store: Workspace,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: IndexProgress | None = None,
    import_id: int | None = None,
    waiting: Callable[[lease.Holder], None] | None = None,
    building: IndexProgress | None = None,
) -> IndexReport:
    """Embed every passage that has no current vector; return what was done.

    Idempotent: a second run embeds nothing. ``rebuild=True`` drops all vectors first (the
    way to switch models). Passages are embedded in rounds of about ``ROUND_CHARS`` characters
    and written in transactions of ``BATCH``, so an interrupted run keeps its finished batches
    and the next run resumes after them.
    ``import_id``: only the passages of the documents that import wrote (what an import
    embeds itself; the rest stays for ``insights index``).

    Single-flight: the run holds the workspace's lease (``semantic.lease``) while it embeds,
    and plans what to embed only once it holds it, so no passage is embedded twice. A run
    for everything waits for a holder (``waiting`` is told whom), then embeds what is left.
    An import's run does not wait for a run for everything: that one looks again before it
    lets go, so it embeds the import's passages too; ``busy`` then names it.

    ``progress`` is told (passages embedded, of how many), ``building`` then (vectors added to
    the nearest-neighbour index, of how many) where the backend builds one itself.
    """
    started = time.monotonic()
    store.require_vector_search()
    if not rebuild:
        store.check_model(embedder.name)
    report = IndexReport(model=embedder.name)
    scope = "all" if import_id is None else "import"
    held = lease.take(store, scope, wait_for=lambda h: _waits_for(h, import_id), waiting=waiting)
    if isinstance(held, lease.Holder):
        report.busy = held.as_dict()
        return report
    try:
        with held:
            _embed_all(
                store,
                embedder,
                report,
                held,
                rebuild=rebuild,
                import_id=import_id,
                progress=progress,
                building=building,
            )
    finally:
        report.seconds = round(time.monotonic() - started, 3)
    if import_id is None and _plan(store)[0]:  # subtle: imported after its last plan, before it let go
        report.merge(index_passages(store, embedder, progress=progress, waiting=waiting, building=building))
    return report


def _waits_for(holder: lease.Holder, import_id: int | None) -> bool:
    """Whether a run waits for ``holder``: an import's run not for a run over everything (which embeds its passages)."""
    return import_id is None or holder.scope != "all"


def _embed_all(
    store: Workspace,
    embedder: Embedder,
    report: IndexReport,
    held: lease.Lease,
    *,
    rebuild: bool,
    import_id: int | None,
    progress: IndexProgress | None,
    building: IndexProgress | None,
) -> None:
    """Plan, embed and write until nothing is left (once for an import's passages), then sync the ANN index."""
    store.start_vectors(embedder.name, embedder.dims, rebuild=rebuild)
    spare = _take_orphans(store, report)
    for plans in itertools.count():
        todo, unchanged, known = _plan(store, import_id)
        if plans == 0:  # later plans count this run's own vectors as unchanged
            report.unchanged = unchanged
        report.total = max(report.total, len(todo) + unchanged)
        known.spare = spare
        told = _Told(progress, len(todo))
        done = 0
        for round_ in _rounds(todo):
            blobs = _embed_round(store, embedder, round_, known, report, told.counting_from(done))
            for start in range(0, len(round_), BATCH):
                batch = round_[start : start + BATCH]
                store.write_vectors(embedder.name, [(pid, digest, blobs[pid]) for pid, digest, _ in batch])
                done += len(batch)
                held.renew(done, len(todo))
                told(done)
        if not todo or import_id is not None:
            break
    describe = getattr(embedder, "runtime", None)  # the built-in encoders say what ran them
    if report.embedded and describe is not None:
        report.runtime = describe()
    changed = bool(report.embedded or report.reused or report.empty or report.removed or rebuild)
    store.after_indexing(embedder.name, changed=changed, progress=building)


def pending_passages(store: Workspace) -> int:
    """Passages with no vector yet (imported since the last index run); 0 when the workspace has no vectors."""
    return 0 if store.indexed_model() is None else store.passages_without_vectors()


def backlog(store: Workspace) -> dict[str, Any]:
    """Passages waiting for a vector (``pending``), and how far a process embedding now has got (``indexing``)."""
    pending = pending_passages(store)
    found = lease.holder(store) if pending else None
    return {"pending": pending, "indexing": {"done": found.done, "total": found.total} if found else None}


@dataclass
class _Known:
    """Vectors that exist for a text already: passages' current ones by text hash, and deleted passages' ones.

    subtle: an exact duplicate (a repost, a licence header, boilerplate) is embedded once and
    its vector copied; a copy is the same vector, so nothing about search changes.
    """

    current: dict[str, int] = field(default_factory=dict)  # text hash → a passage whose vector is current
    spare: dict[str, bytes] = field(default_factory=dict)  # text hash → a deleted passage's vector

    def blob(self, store: Workspace, digest: str) -> bytes | None:
        if digest in self.spare:
            return self.spare[digest]
        pid = self.current.get(digest)
        return None if pid is None else store.vector_blob(pid)


Planned = tuple[int, str, int]  # a passage needing a vector: its id, its text hash, the characters it embeds


def _plan(store: Workspace, import_id: int | None = None) -> tuple[list[Planned], int, _Known]:
    """Every passage needing a vector, how many are current, and their vectors.

    ``import_id``: only passages of documents that import wrote need one.
    """
    todo: list[Planned] = []
    known = _Known()
    unchanged = 0
    for pid, title, text, old, imported_by in store.passages_and_vector_hashes():
        embeds = model_input(title, text)
        digest = text_hash(embeds)
        if digest == old:
            unchanged += 1
            known.current.setdefault(digest, pid)
        elif import_id is None or imported_by == import_id:
            todo.append((pid, digest, len(embeds)))
    return todo, unchanged, known


def _rounds(todo: list[Planned]) -> Iterator[list[Planned]]:
    """``todo`` in runs of about ``ROUND_CHARS`` characters (at least one passage each).

    subtle: the model batches the windows of one call by length; 256 tweets at a time left
    its batches a third full (~20 windows each), and 100,000 tweets took 424 s instead of
    ~320 (bench/bench_index.py). Long passages fill the batches either way.
    """
    round_: list[Planned] = []
    chars = 0
    for planned in todo:
        if round_ and chars + planned[2] > ROUND_CHARS:
            yield round_
            round_, chars = [], 0
        round_.append(planned)
        chars += planned[2]
    if round_:
        yield round_


def _take_orphans(store: Workspace, report: IndexReport) -> dict[str, bytes]:
    """Delete vectors of passages that no longer exist; return them by text hash for reuse."""
    rows = store.take_orphan_vectors()
    report.removed = len(rows)
    return {digest: blob for _, digest, blob in rows}


@dataclass
class _Told:
    """``progress`` told (passages done, of ``total``), never going back.

    subtle: the model says how many passages it has embedded after each forward batch (a round
    is ~5 s of work, too long between two ticks); the writes that follow count the same
    passages again, and the round's reused ones, so only a higher count is passed on.
    """

    progress: IndexProgress | None
    total: int
    shown: int = 0

    def __call__(self, done: int) -> None:
        if self.progress and done > self.shown:
            self.shown = done
            self.progress(done, self.total)

    def counting_from(self, base: int) -> Callable[[int], None]:
        """A callback for the model: each call adds passages embedded after the first ``base``."""
        count = base

        def more(n: int) -> None:
            nonlocal count
            count += n
            self(count)

        return more


def _embed_round(
    store: Workspace,
    embedder: Embedder,
    round_: list[Planned],
    known: _Known,
    report: IndexReport,
    embedded: Callable[[int], None] | None = None,
) -> dict[int, Vectors | bytes]:
    """Each passage's vectors (or a stored blob, or ``b""`` for nothing to embed): each distinct text embedded once.

    ``embedded`` is told how many more passages the model has embedded, as it goes.
    """
    texts = {
        pid: model_input(title, text) for pid, (title, text) in store.passage_inputs([p for p, _, _ in round_]).items()
    }
    blobs: dict[int, Vectors | bytes] = {}
    need: dict[str, list[int]] = {}  # text hash → the passages of this round with that text
    for pid, digest, _ in round_:
        text = texts.get(pid, "")
        if not text.strip():
            blobs[pid] = b""
            report.empty += 1
        elif (blob := known.blob(store, digest)) is not None:
            blobs[pid] = blob
            report.reused += 1
        else:
            need.setdefault(digest, []).append(pid)
    if need:
        firsts = [pids[0] for pids in need.values()]
        vectors = embed_passages(embedder, [texts[p] for p in firsts], embedded)
        for pids, rows in zip(need.values(), vectors, strict=True):
            blobs.update(dict.fromkeys(pids, rows))
        report.embedded += len(need)
        report.reused += sum(len(pids) - 1 for pids in need.values())
    known.current.update({digest: pids[0] for digest, pids in need.items()})
    return blobs


def embed_passages(
    embedder: Embedder, texts: list[str], progress: Callable[[int], None] | None = None
) -> list[Vectors]:
    """Each passage's vectors: one per window where the model has windows, else one.

    ``progress`` is told how many more texts are done, as they are.
    """
    windows = getattr(embedder, "embed_windows", None)
    if windows is not None:
        rows: list[Vectors] = windows(texts, progress=progress)
        return rows
    return list(embedder.embed(texts, progress=progress)[:, None, :])
