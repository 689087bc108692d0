"""The baseline the prediction benchmark compares with: distill's prediction regex before issue 18.

Sentences of ``[^.!?\\n]{20,400}[.!?]`` in a passage's own words that match the one future-cue
regex ``insights distill`` used before (``FUTURE`` below, verbatim), questions left out. Kept
here, outside the package, only to measure against.
"""

from __future__ import annotations

import re

from deepinsights.distill.own import OwnPassage
from deepinsights.distill.prose import GAP

FUTURE = re.compile(
    r"\b(by (?:19|20)\d\d|in (?:\d+|a few|the next|ten|five|two) (?:years|decades)|the decade of|"
    r"i (?:expect|predict|bet|suspect)|i think [^.]{0,80}\bwill\b|eventually|in the future|"
    r"will (?:soon|probably|likely|eventually|never|become|be able|replace|change|take over|look like)|"
    r"going to (?:be|change|become|happen))\b",
    re.IGNORECASE,
)
SENTENCE = re.compile(r"[^.!?\n]{20,400}[.!?]")


def baseline_predictions(passages: list[OwnPassage]) -> list[tuple[OwnPassage, str]]:
    """(passage, sentence) for every sentence the old regex calls a prediction, first seen first."""
    found, seen = [], set()
    for passage in passages:
        for match in SENTENCE.finditer(passage.text):
            sentence = " ".join(match.group(0).split())
            key = sentence.lower()[:80]
            if GAP.strip() in sentence or sentence.endswith("?") or not FUTURE.search(sentence) or key in seen:
                continue
            seen.add(key)
            found.append((passage, sentence))
    return found
