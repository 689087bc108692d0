"""The baseline the topic benchmark compares with: distill's token themes before topics.

The themes ``insights distill`` printed before issue 18: words and two-word phrases counted
once per document (own words only), kept when rarer than everyday English (wordfreq Zipf < 4),
ranked by documents. Kept here, outside the package, only to measure against.
"""

from __future__ import annotations

import re
from collections import Counter

from wordfreq import zipf_frequency

from deepinsights.backends.sqlite import Store
from deepinsights.distill.measure import STOP, WORD, rows

COMMON_ZIPF = 4.0
CLAUSE = re.compile(r"[.!?;:,()\[\]\n]+(?:\s|$)|\n")


def token_themes(store: Store, thinker: str, n: int = 40) -> list[tuple[str, int]]:
    """The ``n`` most frequent distinctive terms, with their document counts."""
    total: Counter[str] = Counter()
    documents: set[str] = set()
    counted: dict[str, set[str]] = {}
    for row in rows(store, thinker):
        documents.add(row.document_id)
        seen = counted.setdefault(row.document_id, set())
        new = terms_of(row.own_text) - seen
        seen |= new
        total.update(new)
    ceiling = 0.9 * len(documents)
    return [(t, c) for t, c in total.most_common(n * 50) if 3 <= c <= ceiling and distinctive(t)][:n]


def terms_of(text: str) -> set[str]:
    terms: set[str] = set()
    for clause in CLAUSE.split(text):
        words = [w.lower() for w in WORD.findall(clause)]
        terms.update(w for w in words if len(w) > 2 and w not in STOP)
        pairs = zip(words, words[1:], strict=False)
        terms.update(f"{a} {b}" for a, b in pairs if a not in STOP and b not in STOP and len(a) > 2)
    return terms


def distinctive(term: str) -> bool:
    words = term.split()
    if len(words) == 1:
        return zipf_frequency(term, "en") < COMMON_ZIPF
    return min(zipf_frequency(w, "en") for w in words) < COMMON_ZIPF + 0.5
