"""normalize(), words() and elisions: the comparison form quotes and passages are matched on."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepinsights.verify.normalize import elided_fragments, normalize, norms, split_elisions, words

MESSY = st.text(alphabet=st.sampled_from(list("aB1_&;#<>[]()/:.,'’ \u200bé9xX-hwW\u202e\u0301ß½\n")), max_size=60)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Don’t “panic” — it's 2.0… OK", "dont panic its 2.0 ok"),
        ("AT&amp;T caf&eacute;s &#8217;quoted&#8217;", "at t cafes quoted"),
        ("<b>bold</b> and [a link](https://example.com/x_y) here", "bold and a link here"),
        ("see https://t.co/AbC123 and WWW.EXAMPLE.COM/page now", "see and now"),
        ("to\u200bken \u202eevil\u202c e\u0301cole ﬁne ß", "token evil ecole fine ss"),
        ("1,000 items, 2.5 GB, n_embd **bold** _em_", "1000 items 2.5 gb n embd bold em"),
        ("   \n\t  ", ""),
        ("!!! … — 🙂", ""),
    ],
)
def test_normalize_examples(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_words_keep_spans_into_the_original() -> None:
    text = "He said “it’s <em>fine</em>” — caf&eacute;!"
    found = words(text)
    assert [w.norm for w in found] == ["he", "said", "its", "fine", "cafe"]
    assert [text[w.start : w.end] for w in found] == ["He", "said", "it’s", "fine", "caf&eacute;"]


def test_split_elisions_drops_empty_fragments() -> None:
    quote = "…I think [...] the laws (…) of physics... are. . . deterministic…"
    assert split_elisions(quote) == ["I think ", " the laws ", " of physics", " are", " deterministic"]
    assert split_elisions("no elision here") == ["no elision here"]


def test_elided_fragments_point_into_the_quote() -> None:
    quote = "alpha beta … gamma delta"
    fragments = elided_fragments(quote)
    assert [[quote[w.start : w.end] for w in f] for f in fragments] == [["alpha", "beta"], ["gamma", "delta"]]


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), MESSY))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), MESSY))
def test_fast_norms_equal_words(text: str) -> None:
    assert norms(text) == [w.norm for w in words(text)]


@settings(max_examples=200, deadline=None)
@given(MESSY)
def test_normalized_words_are_plain(text: str) -> None:
    for word in normalize(text).split():
        assert word == word.casefold()
        assert word.replace(".", "").isalnum()
