"""The records every part of deep-insights shares: Document, Anchor, Span, Passage and search's records.

Pure data, no I/O. Importers build Documents; the store splits them into Passages and
writes both; search takes a SearchFilter and returns SearchResults of SearchHits; a hybrid
search hands the workspace a SearchPlan and gets its Candidates back.

Document identity is a documented contract (see docs/schema.md). A document is told apart by
three things: ``source``, the importer name (``x-archive``, ``mastodon``, ``markdown``…);
``source_id``, its native id (a tweet id, an ActivityPub id, a URL, or a path relative to the
imported root); and ``origin``, what that native id is relative to:

* ``origin == ""`` when the native id is distinct on its own, across every archive of that
  kind (a tweet id, an ActivityPub id, a URL, a feed GUID): the id is
  ``sha1(f"{source}:{source_id}")[:16]``, so two copies of one archive (a zip and its
  extracted folder) are the same documents.
* otherwise the identity of the imported root (``ImportOptions.origin``, from
  ``remote.resolve``): ``git:github.com/karpathy/nanogpt`` for a git repository (its remote,
  however it was cloned or wherever the checkout lives), ``git:github.com/me/blog#_posts`` for a
  folder inside one, ``url:https://…`` for a download, ``path:/abs/folder`` for any other folder.
  The id is ``sha1(source + NUL + origin + NUL + source_id)[:16]``, so two folders that
  both hold ``README.md`` never replace each other.

The thinker is not part of identity: a re-import with another ``--thinker`` moves the documents
and says so (``ImportReport.moved``). Changing any of the three changes the id; a re-import of the
same root is idempotent and an edited item updates in place. Rows stored before migration
``m008_document_identity`` have ``origin`` NULL and are adopted by the first import that yields
them again (``store``).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .errors import SearchError

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

KINDS = (
    "tweet",
    "reply",
    "repost",
    "quote",
    "post",
    "note",
    "page",
    "transcript",
    "paper",
    "readme",
    "link",
    "newsletter",
    "record",
)
_PLURALS = {"reply": "replies", "quote": "quote tweets", "readme": "READMEs", "repost": "reposts"}


def kind_label(kind: str, n: int) -> str:
    """What ``n`` documents of ``kind`` are called: ``post`` → ``posts``, ``readme`` → ``READMEs``."""
    if n == 1:
        return {"readme": "README", "quote": "quote tweet"}.get(kind, kind)
    return _PLURALS.get(kind, f"{kind}s")


def document_id(source: str, source_id: str, origin: str = "") -> str:
    """Return the stable id of the document with this native id, relative to ``origin``, in this source kind."""
    key = f"{source}\x00{origin}\x00{source_id}" if origin else f"{source}:{source_id}"
    return hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def content_hash(*parts: str | None) -> str:
    """Hash of a document's visible content, used to tell 'updated' from 'unchanged'."""
    # subtle: one encode of the parts joined by NUL, each followed by NUL: the same digest as
    # hashing them one by one (stored hashes stay valid), in a third of the time
    joined = "".join(f"{part or ''}\x00" for part in parts)
    return hashlib.sha1(joined.encode("utf-8", "surrogatepass")).hexdigest()


def iso_utc(moment: datetime | None) -> str | None:
    """Format a datetime as ISO 8601 UTC with a Z suffix; naive datetimes are taken as UTC."""
    if moment is None:
        return None
    if moment.tzinfo is not UTC:  # the usual case (importers make UTC datetimes) skips a conversion
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    # subtle: isoformat is C and 3x faster than strftime, which an import calls once per document
    return moment.isoformat(timespec="seconds")[:19] + "Z"


@dataclass(frozen=True)
class Anchor:
    """A place inside a document's text that a link can point to.

    ``offset`` is a character offset into ``Document.text``; ``label`` is what a person
    reads ("12:03", "page 4"); ``url`` opens that place (``…&t=723s``, ``…#page=4``).
    """

    offset: int
    label: str
    url: str | None = None


@dataclass(frozen=True)
class Span:
    """Characters ``[start, end)`` of a document's text that are not the thinker's own words, and why.

    ``reason`` is one of ``ownwords.REASONS`` (``repost``, ``blockquote``, ``code``…).
    """

    start: int
    end: int
    reason: str


@dataclass(frozen=True)
class Document:
    """One item of a thinker's output: a tweet, a post, a transcript, a paper."""

    source: str
    source_id: str
    kind: str
    text: str
    thinker: str = ""
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    source_path: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    raw: str | None = None
    anchors: tuple[Anchor, ...] = ()
    others: tuple[Span, ...] = ()  # not the thinker's words (see ownwords); sorted, not overlapping
    origin: str = ""
    """``""`` when ``source_id`` is distinct on its own; else ``ImportOptions.origin`` (see the module docstring)."""

    @property
    def id(self) -> str:
        return document_id(self.source, self.source_id, self.origin)

    @property
    def content_hash(self) -> str:
        """Changes when what a reader sees changes, or when the original item starts or stops being kept."""
        return self.content_hash_at(iso_utc(self.published_at))

    def content_hash_at(self, published: str | None) -> str:
        """``content_hash`` for the date already formatted by ``iso_utc`` (the store formats it once).

        subtle: ``raw`` counts only by its presence, and only when present, so the hashes of
        documents without it (all but ``--keep-raw`` imports) are what they always were. The
        same holds for ``others``: a document whose own-words marking changes (one imported
        before marking existed, re-imported) is updated; one with nothing marked keeps its hash.
        """
        kept: tuple[str, ...] = ("raw",) if self.raw else ()
        if self.others:
            kept += (",".join(f"{s.start}-{s.end}-{s.reason}" for s in self.others),)
        return content_hash(self.title, self.text, self.url, published, self.kind, *kept)


@dataclass(frozen=True)
class Passage:
    """A slice of a document's text, the unit that search and citations point at."""

    ordinal: int
    start: int
    end: int
    text: str
    anchor_label: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class SearchHit:
    """One search result: a passage with its document's metadata and a highlighted snippet.

    ``snippet`` holds the matched terms between ``HIGHLIGHT_START`` and ``HIGHLIGHT_END``
    (control characters that cannot occur in stored text), so each renderer chooses its
    own markup and escapes the rest. ``found_by`` names the rankings that returned it
    (``bm25``, ``semantic``); empty for a plain full-text search.
    """

    id: str
    passage_id: int
    thinker: str
    kind: str
    title: str | None
    snippet: str
    url: str | None
    published_at: str | None
    score: float
    text: str = ""
    anchor_label: str | None = None
    found_by: tuple[str, ...] = ()

    def but(self, **changes: Any) -> SearchHit:
        """A copy with ``changes``: ``dataclasses.replace``, at a fraction of its cost.

        subtle: a frozen dataclass's ``__init__`` sets each of the twelve fields through
        ``object.__setattr__``, and ``replace`` adds a pass over the fields of its own; search
        copies up to 200 hits a query (tagged, then dressed), which took 3–9 µs a hit that way
        and under 1 µs this way. Only fields may be changed (checked).
        """
        if not changes.keys() <= _HIT_FIELDS:
            raise TypeError(f"SearchHit has no field {sorted(changes.keys() - _HIT_FIELDS)[0]!r}")
        copied = object.__new__(SearchHit)
        copied.__dict__.update(self.__dict__, **changes)
        return copied


_HIT_FIELDS = frozenset(SearchHit.__dataclass_fields__)


@dataclass(frozen=True)
class SearchFilter:
    """Which passages a search may return, and which page of them: the one value every search passes down.

    ``kinds`` (any of them; empty: all), ``thinker``, and ``since``/``until``: inclusive dates
    (``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or a full ISO timestamp; checked here, a bad one
    raises ``SearchError``). ``limit`` hits from ``offset`` on. ``url_contains``: only documents
    whose URL holds that text, any case (verify recounts a profile's claims by it). The CLI
    and the web build one; search, hybrid search, ask, verify and distill hand it on to the
    workspace, unchanged or narrowed.
    """

    kinds: tuple[str, ...] = ()
    thinker: str | None = None
    since: str | None = None
    until: str | None = None
    limit: int = 20
    offset: int = 0
    url_contains: str | None = None

    def __post_init__(self) -> None:
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not _DATE.fullmatch(value):
                raise SearchError(
                    f"--{name} {value!r} is not a date; use YYYY, YYYY-MM, YYYY-MM-DD or an ISO timestamp"
                )

    @property
    def narrows(self) -> bool:
        """Whether any condition (kind, thinker, dates) leaves passages out."""
        return bool(self.kinds or self.thinker or self.since or self.until or self.url_contains)

    def until_bound(self) -> tuple[str, bool] | None:
        """``until`` as an upper bound on ``published_at``: (value, inclusive); None without ``until``.

        subtle: a partial date is a whole period: '2022-11' + '~' sorts after every '2022-11-…' timestamp.
        """
        if self.until is None:
            return None
        return (self.until, True) if len(self.until) > 10 else (self.until + "~", False)


def storable(value: str) -> str:
    """``value`` with lone surrogates (which SQLite cannot store) replaced by U+FFFD; same length."""
    if value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2}([T ][\d:.]+Z?)?)?)?")


@dataclass
class SearchResults:
    """Hits best first; how many passages matched (at most the candidate cap) and how they were ranked.

    ``capped``: more passages matched than were ranked (the most recently imported were).
    ``unweighted``: phrases that every hit contains but that did not count in the score.
    The vector modes (``semantic.hybrid``) also say how they got there: ``nearest``, the number
    of nearest passages fetched by meaning (a fixed depth, not a count of matches); ``words``,
    the passages found by words; ``any_word``, True when no passage had every word and the
    words side matched any of them instead.
    """

    query: str
    fts_query: str
    hits: list[SearchHit] = field(default_factory=list)
    matched: int = 0
    capped: bool = False
    unweighted: list[str] = field(default_factory=list)
    nearest: int | None = None
    words: int | None = None
    any_word: bool = False


@dataclass(frozen=True)
class SearchPlan:
    """One search as a workspace runs it (``Workspace.retrieve``): which rankings, with what, how deep.

    ``semantic.hybrid`` plans it above the workspace; the workspace runs each ranking it
    names and fuses nothing. ``words``: the BM25 ranking's filter, its ``limit`` the depth
    (None: no BM25 ranking); it searches ``q`` as plain text (``prefix_last``: its last word a
    prefix) or, with ``raw``, as the FTS5 query language, ranking at most ``candidates``
    matches; when that finds nothing and ``any_word`` (an FTS5 query) is given, it searches
    that instead. ``near``: the vector ranking's filter, its ``limit`` the depth (None: none),
    in ``model``'s vectors; ``vector`` is the query in that model, None when the planner
    expects the workspace to refuse (it has no vectors of ``model``) and say why. A plan with
    neither ranking asks nothing.
    """

    q: str
    words: SearchFilter | None = None
    raw: bool = False
    prefix_last: bool = False
    candidates: int | None = None
    any_word: str = ""
    model: str | None = None
    near: SearchFilter | None = None
    vector: NDArray[np.float32] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class NearPassage:
    """A passage the vector ranking returned, as fusion reads it.

    ``hit``: its document, text and display fields (no snippet, score 0); ``title``: the
    passage's own title; ``text_hash``: the hash of the text its vector was computed from
    (None when it has no vector now), which tells a stale vector from a fresh one.
    """

    hit: SearchHit
    title: str | None
    text_hash: str | None


@dataclass
class Candidates:
    """What a workspace found for a ``SearchPlan``: each ranking as it came, and the passages fusion reads.

    ``words``: the BM25 ranking's results (no hits when the plan had none); ``any_word``:
    they are the plan's any-word query's, as its every-word query found nothing.
    ``nearest``: (passage id, cosine) best first; ``passages``: each of those still stored, by id.
    """

    words: SearchResults
    any_word: bool = False
    nearest: list[tuple[int, float]] = field(default_factory=list)
    passages: dict[int, NearPassage] = field(default_factory=dict)


@dataclass(frozen=True)
class DocRef:
    """A document as a reader sees it in a list (what a recount matched, a source found)."""

    id: str
    kind: str
    title: str | None
    url: str | None
    published_at: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "published_at": self.published_at,
        }


@dataclass
class Tally:
    """What a recount found: how many documents, their words and dates, and the first of them listed."""

    documents: int = 0
    words: int = 0
    first: str | None = None
    last: str | None = None
    listed: list[DocRef] = field(default_factory=list)


HIGHLIGHT_START = "\x02"
HIGHLIGHT_END = "\x03"


@dataclass
class Skipped:
    """A record or file an import passed over, and why.

    ``expected``: left out by design (an archive's media, DMs, deleted tweets, drafts,
    non-public posts), not because something was wrong with it; ``--strict`` ignores these.
    """

    path: str
    reason: str
    expected: bool = False


@dataclass(frozen=True)
class Note:
    """Something worth knowing about a file that was imported (it has no date, say)."""

    path: str
    message: str


@dataclass
class Caveat:
    """Something an import kept but could not take at face value, and why (shown as a warning).

    A record imported without a part that was unusable (a date that is no date), or a
    file holding fewer records than it claims. ``--strict`` fails on these.
    """

    path: str
    reason: str


@dataclass
class ImportReport:
    """What one `insights import` did: counts per outcome and everything skipped."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    moved: dict[tuple[str, str], int] = field(default_factory=dict)  # (from thinker, to thinker) -> documents
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Caveat] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    by_source: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    import_id: int | None = None
    provenance: dict[str, dict[str, str]] = field(default_factory=dict)  # source -> {"url"|"git", "commit"}

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "moved": [{"from": old, "to": new, "documents": n} for (old, new), n in self.moved.items()],
            "skipped": [{"path": s.path, "reason": s.reason, "expected": s.expected} for s in self.skipped],
            "warnings": [{"path": w.path, "reason": w.reason} for w in self.warnings],
            "notes": [{"path": n.path, "message": n.message} for n in self.notes],
            "by_source": dict(self.by_source),
            "by_kind": dict(self.by_kind),
            "import_id": self.import_id,
            "provenance": {source: dict(p) for source, p in self.provenance.items()},
        }
