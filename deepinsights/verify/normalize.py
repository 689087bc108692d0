"""The comparison form of text: the words a quote and a passage are compared on.

``normalize(text)`` returns the words of ``text``, lower-cased and separated by single
spaces, so that two texts "say the same thing verbatim" exactly when one normalised form
is a space-bounded substring of the other. Normalising removes what differs between
copies of the same words and never changes which words they are:

* case (Unicode case folding), whitespace and line breaks;
* punctuation of every kind: straight, curly and low quotes, dashes, ellipses, brackets,
  so a punctuated quote matches a lower-case unpunctuated auto-caption;
* apostrophes inside words (``don't`` = ``don’t`` = ``dont``) and thousands separators
  (``1,000`` = ``1000``); a decimal point stays (``2.0`` is not ``20``);
* HTML entities (``&amp;``, ``&#8217;``), HTML tags, markdown link targets and bare URLs
  (``https://t.co/…`` links differ between copies of one tweet), zero-width and bidi
  control characters, diacritics and compatibility forms (NFKD: ``ﬁ`` = ``fi``).

``words(text)`` returns the same words with the character span each came from, so a
match can be shown as the original text. ``split_elisions`` cuts a quote at ``…``,
``...`` and ``[…]``. This module does no searching and no fuzzy matching.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

_INVISIBLE_CLASS = (
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]"
)
# subtle: one pattern for everything that is removed or replaced before words are cut,
# so that each removal keeps a map from cleaned offsets back to original offsets.
_SPECIAL = re.compile(
    r"(?P<entity>&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});)"
    r"|(?P<tag></?[A-Za-z][^<>\n]{0,500}>)"
    r"|(?P<target>\]\(\s*[^()\s]{1,2000}(?:\s+\"[^\"\n]{0,500}\")?\s*\))"
    r"|(?P<url>(?i:https?://|www\.)[^\s<>\"'\]\[)(]{1,2000})"
    r"|(?P<drop>" + _INVISIBLE_CLASS + "+)"
)
_INVISIBLE = re.compile(_INVISIBLE_CLASS)
_WORD = re.compile(r"\d+(?:[.,]\d+)+|[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")
_STRIP = str.maketrans("", "", "',\u2019\u02bc")

_ELISION = re.compile(
    r"\[\s*(?:\u2026|\.{2,})\s*\]|\(\s*(?:\u2026|\.{2,})\s*\)|\u2026|\.{3,}|\.(?:\s\.){2,}|&hellip;|&#8230;"
)


@dataclass(frozen=True)
class Word:
    """One word in comparison form and the span ``[start, end)`` of the original text it came from."""

    norm: str
    start: int
    end: int


def normalize(text: str) -> str:
    """Return the comparison form of ``text``: its words, case-folded, joined by single spaces.

    Idempotent: ``normalize(normalize(t)) == normalize(t)``. An empty result means the
    text holds no words (only punctuation, markup, links or emoji).
    """
    return " ".join(norms(text))


def norms(text: str) -> list[str]:
    """``[w.norm for w in words(text)]``, faster: the form the matcher compares on, without spans."""
    if not text.isascii():
        return [w.norm for w in words(text)]
    lowered = text.lower()
    # subtle: ASCII text can only hold the specials an entity, tag, link target or URL starts with
    if "&" in lowered or "<" in lowered or "](" in lowered or "://" in lowered or "www." in lowered:
        return [w.norm for w in words(text)]
    found = _WORD.findall(lowered)
    # subtle: strip apostrophes and commas from all words at once (C speed), not word by word
    return "\x00".join(found).translate(_STRIP).split("\x00") if found else []


def words(text: str) -> list[Word]:
    """Return the words of ``text`` in comparison form, each with its span in ``text``."""
    clean, starts, ends = _clean(text)
    found: list[Word] = []
    for match in _WORD.finditer(clean):
        raw = match.group()
        start = starts[match.start()] if starts is not None else match.start()
        end = ends[match.end() - 1] if ends is not None else match.end()
        if raw.isascii():
            found.append(Word(raw.lower().translate(_STRIP), start, end))
        else:
            found.extend(Word(piece, start, end) for piece in _fold(raw))
    return found


def split_elisions(quote: str) -> list[str]:
    """Cut a quote at its elisions (``…``, ``...``, ``[…]``, ``(...)``) into the fragments it quotes.

    Fragments holding no words are dropped, so a leading or trailing ``…`` changes nothing.
    """
    return [part for part in _ELISION.split(quote) if normalize(part)]


def elided_fragments(quote: str) -> list[list[Word]]:
    """The words of each fragment of ``split_elisions(quote)``, with spans in ``quote`` itself."""
    fragments = []
    last = 0
    for match in [*_ELISION.finditer(quote), None]:
        end = match.start() if match else len(quote)
        found = [Word(w.norm, w.start + last, w.end + last) for w in words(quote[last:end])]
        if found:
            fragments.append(found)
        last = match.end() if match else end
    return fragments


def _fold(raw: str) -> list[str]:
    """Comparison form of one non-ASCII word: compatibility-decomposed, case-folded, marks dropped.

    subtle: decomposition can produce non-word characters (``½`` → ``1⁄2``), so the result is
    cut into words again; a word already in comparison form comes back unchanged.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", raw).casefold())
    text = "".join(c for c in text if not unicodedata.combining(c) and unicodedata.category(c) != "Cf")
    return [m.group().translate(_STRIP) for m in _WORD.finditer(text)]


def _clean(text: str) -> tuple[str, list[int] | None, list[int] | None]:
    """Decode entities and blank out markup, links and invisible characters.

    Returns the cleaned text and, when it differs from ``text``, for each cleaned character
    the span ``[starts[i], ends[i])`` of ``text`` it came from (``None``: the identity map).
    """
    pieces: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    last = 0
    for match in _SPECIAL.finditer(text):
        pieces.append(text[last : match.start()])
        starts.extend(range(last, match.start()))
        ends.extend(range(last + 1, match.start() + 1))
        replacement = _replacement(match)
        pieces.append(replacement)
        starts.extend([match.start()] * len(replacement))
        ends.extend([match.end()] * len(replacement))
        last = match.end()
    if not pieces:
        return text, None, None
    pieces.append(text[last:])
    starts.extend(range(last, len(text)))
    ends.extend(range(last + 1, len(text) + 1))
    return "".join(pieces), starts, ends


def strip_invisible(text: str) -> str:
    """``text`` without zero-width, bidi-control and combining characters."""
    return _INVISIBLE.sub("", text)


def _replacement(match: re.Match[str]) -> str:
    if match.lastgroup == "entity":
        decoded = html.unescape(match.group())
        return "" if decoded in ("\u00ad", "\u200b", "\u200c", "\u200d", "\ufeff") else decoded
    if match.lastgroup == "drop":
        return ""
    return " "
