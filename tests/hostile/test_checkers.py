"""The checkers call invented words supported (issue 19 item 3): quotes in any convention, elisions that flip meaning.

``ask``'s sentence checker saw only ``"…"`` and ``“…”`` quotes of at most 500 characters,
so a quote in ‘single curly’, 'single straight' or «guillemet» marks (or a long one) was
judged as a loose paraphrase and came out *cited* when half of it was real; a sentence with
no word of four letters passed the support check untested; ``"!!!"`` was *quoted*. The
verifier called ``I … use frameworks when I can`` verbatim against "I never use frameworks
when I can avoid it". Each case here is checked against real passages (ask) or a real
workspace (verify).
"""

from __future__ import annotations

import pytest

from deepinsights.ask.check import check_answer, split_sentences
from deepinsights.ask.quotes import quoted_spans
from deepinsights.models import Document, ImportReport
from deepinsights.verify import APPROXIMATE, NOT_FOUND, VERBATIM, locate

PASSAGE = (
    "I love teaching and I love Python. I never use frameworks when I can avoid it. "
    "We will not ship it this year. It works, but only on Linux. I trained 3 models last week."
)
PASSAGES = {1: PASSAGE, 2: "The tokenizer is a completely separate stage of the LLM pipeline."}
CONVENTIONS = [
    ("“", "”"), ('"', '"'), ("‘", "’"), ("'", "'"), ("«", "»"), ("»", "«"), ("‹", "›"), ("„", "“"), ("„", "”"),
    ("‚", "‘"), ("「", "」"), ("『", "』"), ("〝", "〞"), ("＂", "＂"), ("”", "”"),
]  # fmt: skip


def _only(answer: str):
    [sentence] = check_answer(answer, PASSAGES)
    return sentence


# -- ask: every quoting convention is checked as a quote --------------------------------------------


@pytest.mark.parametrize(("opening", "closing"), CONVENTIONS)
def test_invented_quote_in_any_convention_is_never_cited(opening, closing):
    sentence = _only(f"He said {opening}I hate Python and I hate teaching{closing} [1].")
    assert sentence.label == "extrapolation"
    assert sentence.quotes == ["I hate Python and I hate teaching"]
    assert any("quote not in cited passage" in flag for flag in sentence.flags)


@pytest.mark.parametrize(("opening", "closing"), CONVENTIONS)
def test_real_quote_in_any_convention_is_quoted(opening, closing):
    sentence = _only(f"As he put it, {opening}I love teaching and I love Python{closing} [1].")
    assert sentence.label == "quoted" and not sentence.flags, sentence


def test_half_real_half_invented_quote_is_not_cited_or_quoted():
    for answer in (
        '"I love teaching and I love Python, and I hate every framework" [1].',
        "He said ‘I love teaching and I love Python, and I hate every framework’ [1].",
        "He said 'I never use frameworks when I can avoid them at any cost' [1].",
    ):
        sentence = _only(answer)
        assert sentence.label == "extrapolation" and sentence.flags, answer


def test_quotes_over_500_characters_are_checked_as_quotes():
    long_passage = " ".join(f"Sentence {i} says that small programs teach more than big ones." for i in range(20))
    passages = {1: long_passage}
    [quoted] = check_answer(f'He wrote "{long_passage}" [1].', passages)
    assert len(long_passage) > 500 and quoted.label == "quoted", quoted.flags
    invented = long_passage[: len(long_passage) // 2] + " and big programs teach nothing at all, ever."
    [half] = check_answer(f'He wrote "{invented}" [1].', passages)
    assert half.label == "extrapolation" and any("quote not in cited passage" in f for f in half.flags)


def test_a_quote_of_several_sentences_is_one_sentence_to_check():
    answer = 'He said "I love teaching and I love Python. I always use frameworks." [1] Then he left [1].'
    first = split_sentences(answer)[0]
    assert first.endswith("[1]") and "I always use frameworks" in first
    assert check_answer(answer, PASSAGES)[0].label == "extrapolation"


def test_sentence_without_a_four_letter_word_is_judged():
    unsupported = _only("AI is bad [2].")
    assert unsupported.label == "extrapolation" and "citation does not support sentence" in unsupported.flags
    supported = check_answer("AI is bad [1].", {1: "Some say AI is bad for students."})[0]
    assert supported.label == "cited" and not supported.flags
    assert _only("It is so [1].").label == "extrapolation"  # no content word: supports nothing


def test_punctuation_in_quote_marks_is_not_quoted():
    sentence = _only('"!!!" [1].')
    assert sentence.quotes == [] and sentence.label != "quoted"
    assert _only('He said "…" [1].').label != "quoted"


def test_apostrophes_are_not_quotes():
    assert quoted_spans("It's the '90s and I don't use Karpathy’s frameworks.") == []
    assert quoted_spans("The students' work and the teachers’ notes.") == []


def test_an_unclosed_quote_is_checked_to_the_end_of_the_sentence():
    sentence = _only('He said "I love teaching and I hate Python [1].')
    assert sentence.label == "extrapolation" and sentence.flags


def test_a_blockquote_is_a_quote():
    assert _only("> I love teaching and I love Python [1]").label == "quoted"
    assert _only("> I love teaching and I hate Python [1]").label == "extrapolation"


@pytest.mark.parametrize(
    "quote",
    ["I … use frameworks when I can", "We will … ship it this year", "It works … only on Linux", "I trained … models"],
)
def test_ask_elision_that_cuts_a_negation_contrast_or_number_is_not_quoted(quote):
    sentence = _only(f'He said "{quote}" [1].')
    assert sentence.label == "extrapolation"
    assert any("the elision cuts" in flag for flag in sentence.flags), sentence.flags


def test_ask_elision_that_cuts_nothing_that_matters_is_still_quoted():
    assert _only('He said "I never use frameworks … avoid it" [1].').label == "quoted"


# -- verify: an elision that removes a negation, contrast or number is at best approximate --------


@pytest.fixture
def workspace(store):
    report = ImportReport()
    docs = [
        Document("t", "1", "post", PASSAGE, thinker="k", title="Frameworks"),
        Document("t", "2", "tweet", "ah yes, post-AGI :) I didn't touch anything. brb sauna", thinker="k"),
    ]
    with store.transaction():
        store.upsert_documents(docs, report)
    return store


@pytest.mark.parametrize(
    ("quote", "cut"),
    [
        ("I … use frameworks when I can", "never"),
        ("I ... use frameworks when I can avoid it", "never"),
        ("I […] use frameworks when I can", "never"),
        ("We will … ship it this year", "not"),
        ("It works … only on Linux", "but"),
        ("It works, … on Linux", "but"),
        ("I trained … models last week", "3"),
    ],
)
def test_verify_elision_that_removes_a_negation_contrast_or_number_is_not_verbatim(workspace, quote, cut):
    result = locate(quote, workspace)
    assert result.status in (APPROXIMATE, NOT_FOUND) and result.score < 1.0, result
    assert result.note and f"'{cut}'" in result.note
    assert (result.location or result.closest) is not None  # the words are there: shown where
    assert any(op.op == "elision" and cut in op.corpus.split() for op in result.diff)


def test_verify_never_cut_is_the_issues_example(workspace):
    result = locate("I … use frameworks when I can", workspace)
    assert result.status == APPROXIMATE and 0.75 <= result.score < 1.0


def test_verify_elided_quotes_show_what_was_cut(workspace):
    result = locate("I never use frameworks … avoid it", workspace)
    assert result.status == VERBATIM
    assert [(op.op, op.corpus) for op in result.diff if op.op != "equal"] == [("elision", "when I can")]


def test_verify_a_whole_sentence_cut_may_hold_a_negation(workspace):
    result = locate("ah yes, post-AGI … brb sauna", workspace)
    assert result.status == VERBATIM, result


def test_verify_cli_shows_the_cut(workspace, db, run, tmp_path):
    quotes = tmp_path / "quotes.txt"
    quotes.write_text("I … use frameworks when I can\n", encoding="utf-8")
    result = run("verify", "--quotes", quotes, "--db", db)
    assert "approximate" in result.output and "… → never" in result.output
