"""Find quote words inside a window of passage words: exactly, then approximately.

Both sides are lists of words in comparison form (see ``normalize``). An exact match is a
run of window words equal to the fragment's words; a quote with elisions matches when
every fragment matches, in order, without overlapping. An approximate match aligns each
fragment with the stretch of window words that shares the most words with it, in order
(longest common subsequence), and scores the quote by

    similarity = matched words / max(quote words, aligned window words)

(longest common subsequence over the longer side): 1.0 for an exact match, (n - k) / n
for k of n words changed or left out, n / (n + k) for k words the quote skips silently,
and about 0.5 for a quote whose first half comes from this passage and second from elsewhere.
An elision skips words openly, and costs nothing, unless what it cut holds a negation, a
contrast or a number (``elision``) of a sentence the quote keeps part of: each such word
counts as one the quote skips silently, so ``I … use frameworks`` against "I never use
frameworks" scores 3 / 4, never 1.0. Whether a cut word's sentence was cut whole is for the
caller to say (``Isolated``: this module sees words, not punctuation).

subtle: candidate stretches are chosen by diagonal voting (each shared word votes for
"the quote starts at window position j - i"), and only the best few diagonals are aligned,
so the work per window is O(quote + window + shared-word pairs), never quote × window.
This module knows nothing about the store: ``locate`` feeds it windows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz.distance import Indel, Levenshtein

from .elision import meaning_cut

DIAGONALS = 3
MAX_VOTES = 5000
_STOPWORDS_TEXT = """
a about after all also an and any are as at be because been but by can could did do does dont for from had has have
he her here him his how i if in into is it its just like me more most my no not now of on one only or our out over so
some such than that the their them then there these they this those to too up us very was we were what when where
which who why will with would you your
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
Isolated = Callable[[int, int, int], bool]
"""``isolated(j, lo, hi)``: True when window word ``j``, cut with words ``[lo, hi)``, is in a sentence cut whole."""


@dataclass(frozen=True)
class Span:
    """Fragment ``fragment`` matched window words ``[lo, hi)`` with ``matched`` words in common."""

    fragment: int
    lo: int
    hi: int
    matched: int
    opcodes: tuple[tuple[str, int, int, int, int], ...]


@dataclass(frozen=True)
class Alignment:
    """How a whole quote lines up with one window: one span per fragment, and its similarity.

    ``cut`` holds the words between fragments (what the quote's elisions left out) that change
    what it says; each lowers ``score`` as a silently skipped word would.
    """

    spans: tuple[Span, ...]
    score: float
    cut: tuple[str, ...] = ()

    @property
    def exact(self) -> bool:
        return self.score >= 1.0


class Haystack:
    """The words of one window as one string, with the lookups exact and approximate matching need.

    ``text`` is ``" " + " ".join(words) + " "``: a fragment occurs at word ``i`` exactly when
    ``" " + " ".join(fragment) + " "`` occurs at the space before word ``i``.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens: list[str] | None = None

    @classmethod
    def of(cls, tokens: list[str]) -> Haystack:
        return cls(" " + " ".join(tokens) + " " if tokens else " ")

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = self.text.split()
        return self._tokens

    def positions(self, wanted: set[str]) -> dict[str, list[int]]:
        """Where each wanted word occurs in the window."""
        found: dict[str, list[int]] = {}
        for i, token in enumerate(self.tokens):
            if token in wanted:
                found.setdefault(token, []).append(i)
        return found

    def word_at(self, char: int) -> int:
        """The index of the word whose leading space is at ``char``."""
        return self.text.count(" ", 0, char + 1) - 1

    def offset(self, i: int) -> int:
        """Where the leading space of word ``i`` is in ``text``."""
        return sum(len(token) + 1 for token in self.tokens[:i])


def align_exact(fragments: list[list[str]], hay: Haystack, isolated: Isolated | None = None) -> Alignment | None:
    """Every fragment found verbatim, in order, without overlap; None when one is missing.

    Greedy earliest matching is optimal here: taking the first occurrence of a fragment
    leaves the most room for the ones after it.
    """
    spans = []
    pos = 0
    for k, fragment in enumerate(fragments):
        needle = " " + " ".join(fragment) + " "
        at = hay.text.find(needle, pos)
        if at < 0:
            return None
        i, n = hay.word_at(at), len(fragment)
        spans.append(Span(k, i, i + n, n, (("equal", 0, n, i, i + n),)))
        pos = at + len(needle) - 1
    cut = _meaning_cut(spans, hay, isolated)
    if cut:  # subtle: the earliest occurrences may leave a longer cut than the text forces
        spans = _tightened(fragments, hay, spans)
        cut = _meaning_cut(spans, hay, isolated)
    words = sum(len(fragment) for fragment in fragments)
    return Alignment(tuple(spans), round(words / (words + len(cut)), 4) if cut else 1.0, cut)


def _tightened(fragments: list[list[str]], hay: Haystack, spans: list[Span]) -> list[Span]:
    """The same match with each fragment moved to its last occurrence before the next: the smallest cuts."""
    spans = list(spans)
    for k in range(len(spans) - 2, -1, -1):
        needle = " " + " ".join(fragments[k]) + " "
        at = hay.text.rfind(needle, 0, hay.offset(spans[k + 1].lo) + 1)
        i, n = hay.word_at(at), len(fragments[k])
        spans[k] = Span(k, i, i + n, n, (("equal", 0, n, i, i + n),))
    return spans


def align_approx(fragments: list[list[str]], hay: Haystack, isolated: Isolated | None = None) -> Alignment:
    """The best in-order approximate alignment of every fragment with the window."""
    spans = []
    lo = 0
    matched = longer = 0
    for k, fragment in enumerate(fragments):
        span = _best_span(k, fragment, hay, lo)
        longer += max(len(fragment), span.hi - span.lo) if span else len(fragment)
        if span is None:
            continue
        spans.append(span)
        matched += span.matched
        lo = span.hi
    cut = _meaning_cut(spans, hay, isolated)
    longer += len(cut)
    score = matched / longer if longer else 0.0
    return Alignment(tuple(spans), round(score, 4), cut)


def _meaning_cut(spans: list[Span], hay: Haystack, isolated: Isolated | None) -> tuple[str, ...]:
    """The negations, contrasts and numbers in the window words between consecutive fragments.

    A word ``isolated`` says belongs to a sentence the elision left out whole does not count.
    """
    cut: list[str] = []
    for a, b in zip(spans, spans[1:], strict=False):
        for j in range(a.hi, b.lo):
            word = hay.tokens[j]
            if meaning_cut([word]) and not (isolated and isolated(j, a.hi, b.lo)):
                cut.append(word)
    return tuple(cut)


def _best_span(k: int, fragment: list[str], hay: Haystack, lo: int) -> Span | None:
    best: Span | None = None
    for diagonal in _diagonals(fragment, hay, lo):
        span = _span_on(k, fragment, hay, diagonal, lo)
        if span is not None and (best is None or _quality(span, len(fragment)) > _quality(best, len(fragment))):
            best = span
    return best


def _quality(span: Span, n: int) -> float:
    return span.matched / max(n, span.hi - span.lo)


def _diagonals(fragment: list[str], hay: Haystack, lo: int) -> list[int]:
    """The window offsets where the fragment most plausibly starts, best first."""
    content = [(i, t) for i, t in enumerate(fragment) if t not in STOPWORDS] or list(enumerate(fragment))
    where = hay.positions({t for _, t in content})
    votes: Counter[int] = Counter()
    budget = MAX_VOTES  # subtle: a quote and a passage of one repeated word would cast quote × window votes
    for i, token in content:
        hits = [j - i for j in where.get(token, ()) if j >= lo][:budget]
        votes.update(hits)
        budget -= len(hits)
        if budget <= 0:
            break
    return [d for d, _ in votes.most_common(DIAGONALS)]


def _span_on(k: int, fragment: list[str], hay: Haystack, diagonal: int, lo: int) -> Span | None:
    """Align the fragment with the window around one diagonal; trim to the matched stretch."""
    n = len(fragment)
    slack = max(3, n // 4)
    a, b = max(lo, diagonal - slack), min(len(hay.tokens), diagonal + n + slack)
    if a >= b:
        return None
    blocks = [op for op in Indel.opcodes(fragment, hay.tokens[a:b]) if op.tag == "equal"]
    if not blocks:
        return None
    matched = sum(op.src_end - op.src_start for op in blocks)
    # subtle: widen the stretch by the quote words left unmatched at either end, so that a
    # changed first or last word counts as a substitution, like a changed middle word does.
    first, last = blocks[0], blocks[-1]
    start = max(lo, a + first.dest_start - first.src_start)
    end = min(len(hay.tokens), a + last.dest_end + (n - last.src_end))
    ops = Levenshtein.opcodes(fragment, hay.tokens[start:end])
    opcodes = tuple((op.tag, op.src_start, op.src_end, start + op.dest_start, start + op.dest_end) for op in ops)
    return Span(k, start, end, matched, opcodes)
