"""Find where a quote comes from in the store: candidate passages, then exact and fuzzy matching.

A quote is ``verbatim`` when its comparison form (``normalize``) occurs in one stored
passage, or across adjacent passages of one document (passages are cut at about 1,200
characters, and a quote may straddle a cut); a quote with elisions (``…``) is verbatim
when every fragment occurs, in order, in one such window and no elision cuts a negation,
a contrast or a number (``elision``): one that does is at best approximate, its note says
what was cut, and its diff shows each elision with the words it left out. Otherwise it is
``approximate`` when the best window aligns with similarity ≥ ``APPROXIMATE_MIN`` (see
``align``), and ``not_found`` below that, with the closest window kept for reference.

Candidates come from the full-text index, never a scan (FTS5 on SQLite, the tsvector GIN
index on PostgreSQL: the workspace's ``count_matches`` and ``passages_matching``). The quote's content words are
looked up in the index (passages holding each, counted up to ``SEED_CAP + 1`` and cached); the
rarest, at most ``SEEDS`` and together at most ``ANCHOR_CAP`` passages, are the seeds,
and the ``CANDIDATES`` passages holding most seeds are compared, each with its
neighbours. A quote with fewer than ``FEW_SEEDS`` rare words adds at most ``EXTRA``
queries (the seeds' neighbours as phrases, the longest fragment as a phrase, its other
words ANDed with the seeds); one with none falls back to the phrase, then to an AND of
its words. A quote not found is looked up once more without its ``RETRY_SKIP`` rarest
words. Quotes are capped at ``MAX_QUOTE_CHARS`` / ``MAX_QUOTE_WORDS`` so matching time
stays bounded on hostile input. This module reads the store and never writes it; it calls no model.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ..moments import moment, timeline_of
from ..workspace import Workspace
from .align import STOPWORDS, Alignment, Haystack, align_approx, align_exact
from .elision import cut_whole, describe
from .normalize import Word, elided_fragments, norms, strip_invisible, words

PhraseQuery = Callable[[list[str], str], str]  # (tokenized words, their own text) -> an FTS5 phrase query

VERBATIM = "verbatim"
APPROXIMATE = "approximate"
NOT_FOUND = "not_found"
STATUSES = (VERBATIM, APPROXIMATE, NOT_FOUND)

APPROXIMATE_MIN = 0.75
CLOSEST_MIN = 0.5
CLOSEST_WORDS = 3
SEED_CAP = 2000
SEEDS = 6
ANCHOR_CAP = 4000
SEED_LOOKUPS = 12
FEW_SEEDS = 3
RETRY_SKIP = 2
EXTRA = 4
MAX_PHRASE = 64
CANDIDATES = 8
MAX_QUOTE_CHARS = 5000
MAX_QUOTE_WORDS = 300
MAX_EXCERPT = 600
_CACHE = 4096
_DF_CACHE = 200_000
_FTS_WORD = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Location:
    """Where a match lies: a document, the passage(s) it spans, and the original words.

    ``start``/``end`` are character offsets into the document's text; ``excerpt`` is that
    stretch of the stored text (shortened in the middle when longer than ``MAX_EXCERPT``).
    """

    document_id: str
    passage_id: int
    passage_ids: tuple[int, ...]
    thinker: str
    kind: str
    title: str | None
    url: str | None
    published_at: str | None
    anchor: str | None
    start: int
    end: int
    excerpt: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "document_id": self.document_id,
            "passage_id": self.passage_id,
            "passage_ids": list(self.passage_ids),
            "thinker": self.thinker,
            "kind": self.kind,
            "title": self.title,
            "url": self.url,
            "published_at": self.published_at,
            "anchor": self.anchor,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
        }


@dataclass(frozen=True)
class DiffOp:
    """One step of the word-level diff from the quote to the corpus text.

    ``op`` is ``equal``, ``replace`` (quote words → corpus words), ``delete`` (quote words the
    corpus lacks), ``insert`` (corpus words the quote lacks) or ``elision`` (a ``…`` in the quote).
    """

    op: str
    quote: str
    corpus: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "quote": self.quote, "corpus": self.corpus}


@dataclass
class QuoteResult:
    """The verdict on one quote.

    ``score`` is 1.0 for verbatim, the best window's similarity otherwise (0.0 when no
    candidate shares a word). ``location`` is set for verbatim and approximate quotes;
    ``closest`` only for not_found ones whose best window scored at least ``CLOSEST_MIN``
    and shares at least ``CLOSEST_WORDS`` content words (shown for reference: it is not a source),
    or whose elision cut a negation, contrast or number (the words are there; the cut is wrong).
    ``diff`` is empty for a verbatim quote without elisions; for an elided quote it shows each
    elision (``…``) with the corpus words it left out.
    """

    text: str
    status: str
    score: float
    id: str | None = None
    location: Location | None = None
    closest: Location | None = None
    diff: list[DiffOp] = field(default_factory=list)
    fragments: int = 1
    note: str | None = None

    @property
    def found(self) -> bool:
        return self.status != NOT_FOUND

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "status": self.status,
            "score": self.score,
            "location": self.location.to_dict() if self.location else None,
            "closest": self.closest.to_dict() if self.closest else None,
            "diff": [op.to_dict() for op in self.diff],
            "fragments": self.fragments,
            "note": self.note,
        }


@dataclass
class _Part:
    """One stored passage as the matcher sees it; cached between quotes."""

    row: dict[str, Any]
    joined: str
    _words: list[Word] | None = None

    @property
    def words(self) -> list[Word]:
        if self._words is None:
            self._words = words(self.row["text"])
        return self._words


@dataclass
class _Window:
    """Adjacent passages of one document, matched as one run of words."""

    doc: dict[str, Any]
    parts: list[_Part]
    hay: Haystack
    firsts: list[int]

    def span(self, i: int) -> tuple[int, int, int]:
        """Word ``i`` of the window: (part index, start, end) with offsets into the document's text."""
        k = bisect.bisect_right(self.firsts, i) - 1
        w = self.parts[k].words[i - self.firsts[k]]
        shift = int(self.parts[k].row["start"])
        return k, w.start + shift, w.end + shift

    def text(self, start: int, end: int) -> str:
        """The document's text between two offsets inside this window."""
        base = int(self.parts[0].row["start"])
        return "".join(p.row["text"] for p in self.parts)[start - base : end - base]

    def isolated(self, j: int, lo: int, hi: int) -> bool:
        """True when word ``j``, cut by an elision with words ``[lo, hi)``, is in a sentence cut whole."""
        before = self.text(self.span(lo - 1)[2], self.span(j)[1]) if lo > 0 else "."
        after = self.text(self.span(j)[2], self.span(hi)[1]) if hi < len(self.hay.tokens) else "."
        return cut_whole(before, after)


@dataclass
class _Quote:
    text: str
    fragments: list[list[Word]]
    note: str | None

    @property
    def tokens(self) -> list[list[str]]:
        return [[w.norm for w in fragment] for fragment in self.fragments]


class Locator:
    """Locates quotes in one store, caching word frequencies and passage words between quotes.

    ``thinker`` limits candidates to that thinker's documents (None: every document).
    """

    def __init__(self, store: Workspace, *, thinker: str | None = None) -> None:
        self.store = store
        self.thinker = thinker
        self._df: dict[str, int] = {}
        self._parts: OrderedDict[int, _Part] = OrderedDict()

    def locate(self, text: str, *, id: str | None = None) -> QuoteResult:
        """Return the verdict on one quote (see the module docstring for the rules)."""
        quote = _prepare(text)
        if not quote.fragments:
            return QuoteResult(text, NOT_FOUND, 0.0, id=id, fragments=0, note="no words to compare")
        windows = self._windows(quote)
        result = self._exact(quote, windows) or self._approximate(quote, windows)
        if result.status == NOT_FOUND:
            # subtle: a misremembered word is often the quote's rarest, and so its seed; look
            # again without the rarest seeds before calling the quote not found
            retry = self._windows(quote, skip=RETRY_SKIP)
            if retry:
                second = self._exact(quote, retry) or self._approximate(quote, retry)
                result = second if second.score > result.score else result
        result.text, result.id, result.fragments = text, id, len(quote.fragments)
        result.note = result.note or quote.note
        return result

    # -- matching ----------------------------------------------------------------

    def _exact(self, quote: _Quote, windows: list[_Window]) -> QuoteResult | None:
        for window in windows:
            alignment = align_exact(quote.tokens, window.hay, window.isolated)
            if alignment is not None and alignment.exact:
                diff = _diff(quote, window, alignment) if len(quote.fragments) > 1 else []
                return QuoteResult("", VERBATIM, 1.0, location=_location(window, alignment), diff=diff)
        return None

    def _approximate(self, quote: _Quote, windows: list[_Window]) -> QuoteResult:
        best: tuple[Alignment, _Window] | None = None
        for window in windows:
            # subtle: an exact alignment that is not verbatim (its elision cuts a negation) scores n / (n + k)
            tried = (
                align_exact(quote.tokens, window.hay, window.isolated),
                align_approx(quote.tokens, window.hay, window.isolated),
            )
            alignment = max((a for a in tried if a is not None and a.spans), key=lambda a: a.score, default=None)
            if alignment is not None and (best is None or alignment.score > best[0].score):
                best = (alignment, window)
        if best is None:
            return QuoteResult("", NOT_FOUND, 0.0)
        alignment, window = best
        location = _location(window, alignment)
        diff = _diff(quote, window, alignment)
        note = describe(list(alignment.cut)) if alignment.cut else None
        if alignment.score >= APPROXIMATE_MIN:
            return QuoteResult("", APPROXIMATE, alignment.score, location=location, diff=diff, note=note)
        shared = _shared_content_words(quote.tokens, alignment)
        closest = location if alignment.cut or (alignment.score >= CLOSEST_MIN and shared >= CLOSEST_WORDS) else None
        return QuoteResult("", NOT_FOUND, alignment.score, closest=closest, diff=diff if closest else [], note=note)

    # -- candidates ----------------------------------------------------------------

    def _windows(self, quote: _Quote, *, skip: int = 0) -> list[_Window]:
        """Each candidate passage with its neighbours, best candidate first, overlaps skipped."""
        candidates = self._candidates(quote, skip)
        rows = self._neighbours(candidates)
        docs = self._documents({r["document_id"] for r in candidates})
        windows: list[_Window] = []
        covered: set[tuple[str, int]] = set()
        for row in candidates:
            key = (row["document_id"], row["ordinal"])
            if key in covered or row["document_id"] not in docs:
                continue
            near = [r for r in rows.get(row["document_id"], []) if abs(r["ordinal"] - row["ordinal"]) <= 1]
            covered.update((r["document_id"], r["ordinal"]) for r in near)
            windows.append(self._window(docs[row["document_id"]], near))
        return windows

    def _candidates(self, quote: _Quote, skip: int = 0) -> list[dict[str, Any]]:
        """Candidate passages, best first; ``skip`` leaves out that many of the rarest words (a retry)."""
        content = _terms(quote)
        looked_up = sorted(content, key=lambda t: (-len(t), t))[:SEED_LOOKUPS]
        frequency = self._frequencies(looked_up)
        known = sorted((frequency[t], t) for t in looked_up)
        present = [t for df, t in known if df > 0]
        rare = [(df, t) for df, t in known if 0 < df <= SEED_CAP]
        if skip:
            if len(rare) <= skip:
                return []
            present, rare = present[skip:], rare[skip:]
        seeds = _pick_seeds(rare)
        if not seeds:
            return self._passage_rows(self._fallback(quote, present))
        extra: list[str] = []
        if len(seeds) < FEW_SEEDS and sum(df for df, t in rare if t in seeds) > CANDIDATES:
            others = [t for t in present if t not in seeds]
            extra = _extra_queries(quote, seeds, others, self.store.phrase_query)
        return self._passage_rows(self._ranked(seeds, extra))

    def _frequencies(self, terms: list[str]) -> dict[str, int]:
        """Passages holding each term (as the FTS index stems it), counted up to ``SEED_CAP + 1``.

        The terms not cached yet are counted in one query (on PostgreSQL, two round trips in
        all instead of two per term).
        """
        if len(self._df) > _DF_CACHE:
            self._df.clear()
        missing = [t for t in terms if t not in self._df]
        if missing:
            counts = self.store.count_matches([_fts_term(t) for t in missing], SEED_CAP + 1)
            self._df.update(zip(missing, counts, strict=True))
        return {t: self._df[t] for t in terms}

    def _ranked(self, seeds: list[str], extra: list[str]) -> list[int]:
        """Passages holding a seed, ranked by how many seeds (and ``extra`` FTS queries) they match."""
        queries = [_fts_term(t) for t in seeds] + extra
        return self.store.passages_matching_most(queries, thinker=self.thinker, limit=CANDIDATES)

    def _fallback(self, quote: _Quote, present: list[str]) -> list[int]:
        """Candidates for a quote without rare words: its longest fragment as a phrase, then all its words."""
        queries = _phrases(quote, self.store.phrase_query)[:1]
        if present:
            queries.append(" AND ".join(_fts_term(t) for t in present))
        found: list[int] = []
        for fts in queries:
            found += [i for i in self._match(fts, CANDIDATES) if i not in found]
            if len(found) >= CANDIDATES:
                break
        return found[:CANDIDATES]

    def _match(self, fts: str, limit: int) -> list[int]:
        return self.store.passages_matching(fts, thinker=self.thinker, limit=limit)

    def _passage_rows(self, ids: list[int]) -> list[dict[str, Any]]:
        return self.store.passage_positions(ids)

    # -- windows -------------------------------------------------------------------

    def _neighbours(self, candidates: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """The candidate passages and the ones before and after them, by document, in order."""
        places = [(r["document_id"], r["ordinal"]) for r in candidates]
        by_doc: dict[str, list[dict[str, Any]]] = {}
        for row in self.store.passage_neighbourhoods(places):
            by_doc.setdefault(row["document_id"], []).append(row)
        return by_doc

    def _documents(self, ids: set[str]) -> dict[str, dict[str, Any]]:
        return self.store.documents_by_id(ids)

    def _window(self, doc: dict[str, Any], rows: list[dict[str, Any]]) -> _Window:
        parts = [self._part(row) for row in rows]
        firsts, total = [], 0
        for part in parts:
            firsts.append(total)
            total += part.joined.count(" ") + 1 if part.joined else 0
        text = " " + " ".join(p.joined for p in parts if p.joined) + " "
        return _Window(doc, parts, Haystack(text), firsts)

    def _part(self, row: dict[str, Any]) -> _Part:
        pid = int(row["id"])
        part = self._parts.get(pid)
        if part is None:
            part = _Part(row, " ".join(norms(row["text"])))
            self._parts[pid] = part
            if len(self._parts) > _CACHE:
                self._parts.popitem(last=False)
        else:
            self._parts.move_to_end(pid)
        return part


def locate(text: str, store: Workspace, *, thinker: str | None = None) -> QuoteResult:
    """Return the verdict on one quote against ``store`` (use ``Locator`` for many quotes)."""
    return Locator(store, thinker=thinker).locate(text)


def check_quotes(
    quotes: Iterable[str | tuple[str, str | None]], store: Workspace, *, thinker: str | None = None
) -> list[QuoteResult]:
    """Return one verdict per quote, in order; a quote is its text or ``(text, id)``."""
    locator = Locator(store, thinker=thinker)
    results = []
    for quote in quotes:
        text, quote_id = (quote, None) if isinstance(quote, str) else quote
        results.append(locator.locate(text, id=quote_id))
    return results


def _prepare(text: str) -> _Quote:
    note = None
    if len(text) > MAX_QUOTE_CHARS:
        text, note = text[:MAX_QUOTE_CHARS], f"checked the first {MAX_QUOTE_CHARS:,} characters"
    fragments = elided_fragments(text)
    total = sum(len(f) for f in fragments)
    if total > MAX_QUOTE_WORDS:
        fragments, note = _truncate(fragments), f"checked the first {MAX_QUOTE_WORDS} words"
    return _Quote(text, fragments, note)


def _truncate(fragments: list[list[Word]]) -> list[list[Word]]:
    kept: list[list[Word]] = []
    room = MAX_QUOTE_WORDS
    for fragment in fragments:
        if room <= 0:
            break
        kept.append(fragment[:room])
        room -= len(kept[-1])
    return kept


def _terms(quote: _Quote) -> list[str]:
    """The quote's distinct content words usable as FTS terms (stopwords left out).

    A word is usable when the FTS tokenizer sees it as we do: plain letters and digits, with
    no apostrophe or diacritic folded away (``don't`` and ``café`` are left out).
    """
    content: dict[str, None] = {}
    for fragment in quote.fragments:
        for w in fragment:
            raw = strip_invisible(quote.text[w.start : w.end])
            if _FTS_WORD.fullmatch(raw) and raw.lower() == w.norm and w.norm not in STOPWORDS and len(w.norm) >= 3:
                content[w.norm] = None
    return list(content)


def _pick_seeds(rare: list[tuple[int, str]]) -> list[str]:
    """The rarest terms, at most ``SEEDS``, while together they hold at most ``ANCHOR_CAP`` passages."""
    seeds: list[str] = []
    total = 0
    for df, term in rare:
        if seeds and (len(seeds) >= SEEDS or total + df > ANCHOR_CAP):
            break
        seeds.append(term)
        total += df
    return seeds


def _fts_words(quote: _Quote) -> list[list[str]]:
    """Each fragment's words as the FTS tokenizer cuts them (``don't`` → ``don t``), longest fragment first."""
    return [
        _FTS_WORD.findall(strip_invisible(quote.text[f[0].start : f[-1].end]).lower())
        for f in sorted(quote.fragments, key=len, reverse=True)
    ]


def _phrases(quote: _Quote, phrase_query: PhraseQuery) -> list[str]:
    """The longest fragment as an FTS phrase (it matches where those words are consecutive).

    ``phrase_query`` is the workspace's: it may add the fragment's own text as a second
    phrase, where its parser cuts words otherwise than FTS5 (PostgreSQL).
    """
    tokens = _fts_words(quote)[0][:MAX_PHRASE]
    if len(tokens) <= 1:
        return []
    fragment = max(quote.fragments, key=len)[:MAX_PHRASE]
    own = strip_invisible(quote.text[fragment[0].start : fragment[-1].end])
    return [f"text : {phrase_query(tokens, own)}"]


def _extra_queries(quote: _Quote, seeds: list[str], others: list[str], phrase_query: PhraseQuery) -> list[str]:
    """At most ``EXTRA`` queries that tell apart the many passages sharing a quote's only rare words.

    The seeds' neighbours as phrases first (``"the code"``, ``"code and"``), then the whole
    longest fragment, then the quote's other words ANDed with the seeds.

    subtle: a common word costs FTS5 a seek through its long doclist at every seed row, so
    these are few, and only for quotes with fewer than ``FEW_SEEDS`` rare words.
    """
    pairs = []
    for tokens in _fts_words(quote):
        for i, token in enumerate(tokens):
            if token not in seeds:
                continue
            if i:
                pairs.append(f"{tokens[i - 1]} {token}")
            if i + 1 < len(tokens):
                pairs.append(f"{token} {tokens[i + 1]}")
    anchor = "(" + " OR ".join(_fts_term(t) for t in seeds) + ")"
    queries = [_fts_term(p) for p in dict.fromkeys(pairs)] + _phrases(quote, phrase_query)
    queries += [f"{anchor} AND {_fts_term(t)}" for t in sorted(others, key=lambda t: (-len(t), t))]
    return queries[:EXTRA]


def _fts_term(term: str) -> str:
    return 'text : "' + term.replace('"', "") + '"'


def _location(window: _Window, alignment: Alignment) -> Location:
    first, last = alignment.spans[0], alignment.spans[-1]
    k0, start, _ = window.span(first.lo)
    k1, _, end = window.span(max(last.hi, first.lo + 1) - 1)
    passage = window.parts[k0].row
    at = (
        moment(timeline_of(window.doc["meta"]), start, window.doc["url"])
        if window.doc["kind"] == "transcript"
        else None
    )
    anchor, url = at or (passage["anchor"], None)
    return Location(
        document_id=window.doc["id"],
        passage_id=int(passage["id"]),
        passage_ids=tuple(int(p.row["id"]) for p in window.parts[k0 : k1 + 1]),
        thinker=window.doc["thinker"],
        kind=window.doc["kind"],
        title=window.doc["title"],
        url=url or passage["url"] or window.doc["url"],
        published_at=window.doc["published_at"],
        anchor=anchor,
        start=start,
        end=end,
        excerpt=_excerpt(window.text(start, end)),
    )


def _excerpt(text: str) -> str:
    if len(text) <= MAX_EXCERPT:
        return text
    half = MAX_EXCERPT // 2
    return text[:half].rstrip() + " … " + text[-half:].lstrip()


def _diff(quote: _Quote, window: _Window, alignment: Alignment) -> list[DiffOp]:
    """Word-level diff from the quote to the aligned corpus words, fragment by fragment."""
    ops: list[DiffOp] = []
    by_fragment = {span.fragment: span for span in alignment.spans}
    for k, fragment in enumerate(quote.fragments):
        if k:
            before, after = by_fragment.get(k - 1), by_fragment.get(k)
            cut = _corpus_text(window, before.hi, after.lo) if before and after else ""
            ops.append(DiffOp("elision", "…", cut))
        span = by_fragment.get(k)
        if span is None:
            ops.append(DiffOp("delete", _quote_text(quote, fragment, 0, len(fragment)), ""))
            continue
        for tag, q0, q1, c0, c1 in span.opcodes:
            ops.append(DiffOp(tag, _quote_text(quote, fragment, q0, q1), _corpus_text(window, c0, c1)))
    return ops


def _shared_content_words(fragments: list[list[str]], alignment: Alignment) -> int:
    """How many of the quote's non-stopwords the alignment matched."""
    shared = 0
    for span in alignment.spans:
        for tag, q0, q1, _, _ in span.opcodes:
            if tag == "equal":
                shared += sum(1 for t in fragments[span.fragment][q0:q1] if t not in STOPWORDS)
    return shared


def _quote_text(quote: _Quote, fragment: list[Word], lo: int, hi: int) -> str:
    if lo >= hi:
        return ""
    return quote.text[fragment[lo].start : fragment[hi - 1].end]


def _corpus_text(window: _Window, lo: int, hi: int) -> str:
    if lo >= hi:
        return ""
    return window.text(window.span(lo)[1], window.span(hi - 1)[2])
