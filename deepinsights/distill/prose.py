"""Prose: the part of a passage that reads as sentences, and the words in it that may name a topic.

Stored passage text is already plain (importers strip HTML and markdown), but code blocks,
shell commands, LaTeX, URLs and repeated boilerplate ("Thanks for reading … Subscribe") survive
as lines of text. Topic labels, framings and signature vocabulary must never be built from
them, so every measured section reads passages through ``prose()`` and counts only the words
``words()`` accepts. ``Boilerplate`` finds the lines a corpus repeats verbatim across documents.

This module does not decide whose words a passage holds (see ``own.py``) and reads no store.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

# Not prose inside a line: URLs and host names, e-mail addresses, LaTeX, HTML tags and entities.
MARKUP = re.compile(
    r"\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|dev|ai|edu|gov|co|uk|html?|md|py|js)\b\S*"
    r"|\b[\w.+-]+@[\w-]+\.[\w.-]+\b"
    r"|\$\$.*?\$\$|\$[^$\n]{1,200}\$|\\\(.*?\\\)|\\\[.*?\\\]|\\[A-Za-z]+(?:\{[^}\n]*\})*"
    r"|</?[A-Za-z][^>\n]{0,200}>|&[a-z]+;|&#\d+;"
)
MAYBE_MARKUP = re.compile(r"[@$\\<&/]|\.[A-Za-z]")  # cheap test before MARKUP's slower scan
SYMBOL = re.compile(r"[^\w\s,.'’?!-]")
LONG_LINE = 300  # longer lines are code only when symbols are dense (minified code, data)
# A line is code when it carries syntax prose does not: a leading prompt, comment or keyword
# (CODE_START), or, inside the line, assignment, calls, brackets, flags, comments, identifiers
# with underscores or dots. Each inner pattern needs a character that prose seldom has, so it
# only runs on lines holding that character (the one combined pattern cost ~28 µs a line).
CODE_START = re.compile(
    r"\s*(?:[$>#]|//|\.\.\.|def |class |import |from \S+ import|return\b|for \w+ in |if .*:\s*$|"
    r"print\(|pip |npm |git |brew |cd |sudo |export |SELECT |CREATE |INSERT |curl )"
)
CODE_INSIDE = {  # character -> the code syntax that holds it
    "=": re.compile(r"[=!<>]=|\w\s*=\s*\S|=>"),
    "(": re.compile(r"\w\(\S*\)|\b[a-z]\w*\.[a-z_]\w*\("),
    "-": re.compile(r"->|(?:^|\s)--?[a-z][\w-]*(?:\s|$)"),
    "_": re.compile(r"\w_\w"),
    ":": re.compile(r"::"),
    "`": re.compile(r"`"),
}
CODE_END = ("{", "}", ";")
SENTENCE_END = re.compile(r"[.!?:;…\"”)]\s*$")
# Words that can label a topic: letters (digits after the first letter, inner hyphens and
# apostrophes allowed), not glued to code punctuation ("p.grad", "n_layer", "@simonw", "#tag").
WORD = re.compile(r"(?<![\w./@#$\\-])[A-Za-z][A-Za-z0-9]*(?:['’-][A-Za-z0-9]+)*(?![\w(/@=\\]|\.\w)")
ACRONYM_CHARS = 6  # an all-capitals word this short keeps its case: GPU, AI, RLHF
GAP = " ¦ "  # where words were cut out: someone else's, or markup
MIN_WORDS = 4
BOILERPLATE_DOCUMENTS = 3
BOILERPLATE_CHARS = 200  # a longer line is never boilerplate (and is not compared)
DIGITS = str.maketrans("0123456789", "0000000000")


def prose(text: str, boilerplate: frozenset[str] = frozenset()) -> str:
    """The lines of ``text`` that read as prose, with URLs, e-mail addresses, HTML and LaTeX cut
    out (``GAP`` in their place)."""
    kept = []
    for line in text.splitlines():
        if (len(line) <= BOILERPLATE_CHARS and normalized(line) in boilerplate) or is_code(line):
            continue
        if MAYBE_MARKUP.search(line):  # what is cut is a gap: no sentence across it is quoted
            line = " ".join(MARKUP.sub(GAP, line).split())
        if len(line.split()) >= MIN_WORDS:
            kept.append(line.strip())
    return "\n".join(kept)


def is_code(line: str) -> bool:
    """True for a line with code syntax, or too short and unpunctuated to be a sentence or title."""
    stripped = line.strip()
    if not stripped:
        return True
    dense = len(SYMBOL.findall(stripped)) > 0.1 * len(stripped)
    if len(stripped) > LONG_LINE:
        return dense
    return dense or _has_code_syntax(stripped)


def _has_code_syntax(line: str) -> bool:
    if line.endswith(CODE_END) or CODE_START.match(line):
        return True
    return any(char in line and pattern.search(line) for char, pattern in CODE_INSIDE.items())


# A sentence as written: it opens a line or follows a sentence end, starts with a capital letter
# or digit (speech captions without punctuation give none), and ends with . ! or ?
SENTENCE = re.compile(r"(?:(?<=^)|(?<=[.!?][ \t])|(?<=[.!?][\"”)][ \t]))[A-Z0-9\"“][^.!?\n]{18,300}[.!?]", re.M)


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, whitespace collapsed: as written (``SENTENCE``), or for speech
    captions without punctuation, spoken clauses (``spoken_clauses``)."""
    if is_unpunctuated(text):
        return spoken_clauses(text)
    return [" ".join(m.group(0).split()) for m in SENTENCE.finditer(text)]


# Speech captions (YouTube's auto-captions) carry no punctuation, and spaCy's parser and senter
# find no boundary in them either (measured: none in a 1,000-character caption passage). A
# speaker marks a new clause with a discourse marker ("so", "okay", "now", "but"), so clauses
# are cut before those, and never run past ``SPOKEN_MAX_WORDS``. Fillers ("um", "uh") do not
# cut: they hesitate inside a phrase as often ("think of this as um a regularizer").
SENTENCE_MARK = re.compile(r"[.!?](?:[\"”)]?)(?:\s|$)")
UNPUNCTUATED_WORDS = 60  # fewer sentence ends than one per this many words: speech captions
SPOKEN_MARKERS = frozenset("so okay ok now alright anyway but because".split())
SPOKEN_MIN_WORDS = 5
SPOKEN_MAX_WORDS = 40


def is_unpunctuated(text: str) -> bool:
    """True for running text of 60 words or more with almost no sentence ends (auto-captions)."""
    words_in = text.count(" ") + 1
    return words_in >= UNPUNCTUATED_WORDS and len(SENTENCE_MARK.findall(text)) * UNPUNCTUATED_WORDS < words_in


def spoken_clauses(text: str) -> list[str]:
    """Clauses of unpunctuated speech: cut before a discourse marker once a clause has
    ``SPOKEN_MIN_WORDS`` words, and at ``SPOKEN_MAX_WORDS``; each is a verbatim run of words."""
    clauses: list[list[str]] = [[]]
    for word in text.split():
        current = clauses[-1]
        marker = word.lower() in SPOKEN_MARKERS
        if (marker and len(current) >= SPOKEN_MIN_WORDS) or len(current) >= SPOKEN_MAX_WORDS:
            clauses.append(current := [])
        current.append(word)
    return [" ".join(c) for c in clauses if len(c) >= SPOKEN_MIN_WORDS]


def words(text: str) -> list[str]:
    """The label words of (already cleaned) ``text`` in order: lower case, except acronyms (AI, RL)."""
    return [w if w.isupper() and len(w) <= ACRONYM_CHARS else w.lower() for w in _label_tokens(text)]


def lower_words(text: str) -> list[str]:
    """``words(text)`` all in lower case, acronyms too: for counting, where case does not matter.

    subtle: a label word is ASCII and holds no space, so one ``lower()`` of the joined words is
    the same as lowering each (and several times faster over a corpus).
    """
    return " ".join(_label_tokens(text)).lower().split()


def _label_tokens(text: str) -> list[str]:
    return WORD.findall(text.replace("’", "'"))


def normalized(line: str) -> str:
    """A line as boilerplate is matched: lower case, single spaces, no digits."""
    return " ".join(line.lower().translate(DIGITS).split())


class Boilerplate:
    """Lines that recur verbatim in ``BOILERPLATE_DOCUMENTS`` or more documents (footers, bylines,
    "Thanks for reading … Subscribe", licence headers). Feed it every document's text, then read
    ``lines()``."""

    def __init__(self) -> None:
        self.documents: Counter[str] = Counter()

    def add(self, lines: Iterable[str]) -> None:
        """Count one document's lines (each distinct line once)."""
        seen = {normalized(line) for line in lines if len(line) <= BOILERPLATE_CHARS and line.count(" ") >= 2}
        self.documents.update(seen)

    def lines(self) -> frozenset[str]:
        return frozenset(line for line, n in self.documents.items() if n >= BOILERPLATE_DOCUMENTS)
