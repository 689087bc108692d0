"""What an elision may not cut: the words that turn what a sentence says around.

A quote with ``…`` says "these words, in this order, with something left out between them".
That is honest only when what was left out does not change what the rest says. Cutting a
negation (``not``, ``never``, ``don't``), a contrast (``but``, ``although``, ``except``,
``only``) or a number (``3``, ``ten``, ``million``) does: ``I … use frameworks when I can``
is not what "I never use frameworks when I can avoid it" says. ``meaning_cut`` names such
words in what an elision cut, and ``describe`` says so in a few words; the verifier and
``ask``'s checker call an elided quote that cuts one at best approximate. A whole sentence
left out (between two ``SENTENCE_BREAK``s: ``.``, ``!``, ``?``, ``;``, a line break or an
emoticon) may hold any word: what the quote keeps does not depend on it.

It works on words in comparison form (``normalize``: lower case, apostrophes dropped, so
``don't`` is ``dont``). It does not judge paraphrase or decide anything else about meaning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SENTENCE_BREAK = re.compile(r"[.!?;\n]|[:;]-?[()DPp](?!\w)")
"""Where a sentence ends: a cut word between two of these is in a sentence cut whole, which may go."""

NEGATIONS = frozenset(
    """
    not no never nor neither none nobody nothing nowhere without cannot cant dont doesnt didnt isnt arent wasnt
    werent wont wouldnt shouldnt couldnt hasnt havent hadnt aint mustnt neednt mightnt shant hardly barely
    scarcely rarely seldom
    """.split()
)
CONTRASTS = frozenset(
    "but however although though yet except unless instead rather whereas despite nevertheless nonetheless "
    "otherwise only".split()
)
NUMBER_WORDS = frozenset(
    """
    zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
    eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand million billion trillion
    half twice once dozen percent
    """.split()
)


def cut_whole(before: str, after: str) -> bool:
    """True when the text between the last kept word and a cut word (``before``), and between it
    and the next kept word (``after``), both end a sentence: the cut word's sentence went whole."""
    return bool(SENTENCE_BREAK.search(before) and SENTENCE_BREAK.search(after))


def kind_of(word: str) -> str | None:
    """``negation``, ``contrast`` or ``number`` for a word an elision may not cut; None otherwise."""
    if word in NEGATIONS:
        return "negation"
    if word in CONTRASTS:
        return "contrast"
    if word in NUMBER_WORDS or any(c.isdigit() for c in word):
        return "number"
    return None


def meaning_cut(cut: Iterable[str]) -> list[str]:
    """The words of ``cut`` (what an elision left out, in comparison form) that change what a quote says."""
    return [word for word in cut if kind_of(word)]


def describe(words: list[str]) -> str:
    """A few words saying what an elision cut: ``the elision cuts 'never' (a negation)``."""
    shown = ", ".join(f"'{w}' (a {kind_of(w)})" for w in dict.fromkeys(words[:3]))
    more = f" and {len(words) - 3} more" if len(words) > 3 else ""
    return f"the elision cuts {shown}{more}, which changes what the quote says"
