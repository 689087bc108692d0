"""Is a quote verbatim in one given text? The verifier's rule, for a passage already in hand.

``ask`` checks each quoted span of a model's answer against the passages it cited: the same
comparison form (``normalize``), the same elision rule (fragments in order, and no elision
cutting a negation, contrast or number of a sentence it keeps part of: ``elision``), but
against one text instead of the store. It searches nothing and scores nothing: a quote is
verbatim in the text or it is not, and the reason says why not.
"""

from __future__ import annotations

from .align import Haystack, align_exact
from .elision import cut_whole, describe
from .normalize import elided_fragments, words


def quote_problem(quote: str, text: str) -> str | None:
    """None when ``quote`` is verbatim in ``text``; else why not, in a few words."""
    fragments = [[w.norm for w in fragment] for fragment in elided_fragments(quote)]
    if not fragments:
        return "no words to check"
    found = words(text)
    hay = Haystack.of([w.norm for w in found])

    def isolated(j: int, lo: int, hi: int) -> bool:
        before = text[found[lo - 1].end : found[j].start] if lo > 0 else "."
        after = text[found[j].end : found[hi].start] if hi < len(found) else "."
        return cut_whole(before, after)

    alignment = align_exact(fragments, hay, isolated)
    if alignment is None:
        return "not in the passage"
    return describe(list(alignment.cut)) if alignment.cut else None
