"""Grounded ask: the checker flags every fabricated citation and quote; off-corpus questions decline.

The models here are real ``llm`` plugin models (tests/llm_test_models.py) standing in for a
remote paid API; the retrieval, prompt, streaming and checking code paths are the real ones.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights.ask import ask, retrieve, retrieve_hybrid
from deepinsights.ask.check import check_answer, split_sentences
from deepinsights.ask.models import choose_model, run
from deepinsights.errors import AskError
from deepinsights.models import Document, ImportReport, SearchFilter
from deepinsights.profile.schema import Identity, Profile, Simulator

from . import llm_test_models
from .pgvector import vector_db, vector_store  # noqa: F401  (a workspace on the pgvector cluster)

TEXTS = [
    "What I cannot create, I do not understand. Building a tiny autograd engine from scratch is how "
    "I learned backpropagation properly.",
    "The tokenizer is a completely separate stage of the LLM pipeline: it translates between strings "
    "and tokens using byte pair encoding.",
    "I think the hottest new programming language is English. Prompts are programs now.",
]


@pytest.fixture
def profile() -> Profile:
    return Profile(
        identity=Identity(slug="ada", name="Ada Example"),
        simulator=Simulator(opening="You are simulating the thinking of Ada Example."),
    )


@pytest.fixture
def corpus(store):
    return fill(store)


@pytest.fixture
def vector_corpus(vector_store):  # noqa: F811
    """``corpus`` in a workspace whose PostgreSQL server has pgvector."""
    return fill(vector_store)


def fill(store):
    report = ImportReport()
    docs = [
        Document(
            source="test",
            source_id=str(i),
            kind="post",
            text=text,
            thinker="ada",
            title=f"Post {i}",
            url=f"https://example.org/{i}",
            published_at=datetime(2023, 1, i + 1, tzinfo=UTC),
        )
        for i, text in enumerate(TEXTS)
    ]
    with store.transaction():
        store.upsert_documents(docs, report)
    return store


def _numbered(corpus, question):
    passages = retrieve(corpus, question, SearchFilter(thinker="ada"))
    return passages, {p.n: p.text for p in passages}


def test_valid_quote_and_paraphrase_are_labelled(corpus, profile, scripted):
    passages, _ = _numbered(corpus, "Why build an autograd engine from scratch?")
    n = next(p.n for p in passages if "autograd" in p.text)
    scripted.enqueue(
        f'As I put it, "What I cannot create, I do not understand." [{n}] '
        f"Writing a small autograd engine from scratch taught me backpropagation [{n}]. "
        "Everyone should try it."
    )
    answer = ask("Why build an autograd engine from scratch?", profile, corpus, scripted)
    assert not answer.declined
    labels = [s.label for s in answer.sentences]
    assert labels == ["quoted", "cited", "extrapolation"], answer.sentences
    assert all(not s.flags for s in answer.sentences)


def test_adversarial_answers_are_all_flagged(corpus, profile, scripted):
    question = "What does the tokenizer do in the LLM pipeline for programming?"
    passages, numbered = _numbered(corpus, question)
    tok = next(p.n for p in passages if "tokenizer" in p.text)
    other = next(n for n in numbered if n != tok)
    scripted.enqueue(
        f'I always said "tokenizers are the root of all suffering and must be abolished" [{tok}]. '
        f"Tokens are translated from strings by the tokenizer [{len(numbered) + 5}]. "
        f"The tokenizer stage was invented by medieval monks in Bavaria [{other}]. "
        f'As I wrote, "byte pair encoding" is used [{tok}].'
    )
    answer = ask(question, profile, corpus, scripted)
    by_text = {s.text[:20]: s for s in answer.sentences}
    invented, unknown, unsupported, real = answer.sentences
    assert invented.label != "quoted" and any("quote not in cited passage" in f for f in invented.flags)
    assert unknown.label == "extrapolation" and any("unknown citation" in f for f in unknown.flags)
    assert unsupported.label == "extrapolation"
    assert "citation does not support sentence" in unsupported.flags
    assert real.label == "quoted" and not real.flags, by_text
    # zero fabricated citation or quote displayed as valid
    for sentence in answer.sentences:
        if sentence.label in ("quoted", "cited"):
            assert not sentence.flags
            for quote in sentence.quotes:
                assert any(quote.lower() in numbered[n].lower() for n in sentence.citations)


def test_off_corpus_question_is_declined_without_calling_the_model(corpus, profile, scripted):
    answer = ask("What is the best recipe for Brazilian feijoada stew?", profile, corpus, scripted)
    assert answer.declined
    assert "not in the corpus" in answer.answer
    assert scripted.prompts == []
    assert answer.sentences == []


def test_prompt_carries_profile_disclosure_and_numbered_passages(corpus, profile, scripted):
    scripted.enqueue("English is the new programming language [1].")
    ask("Is English a programming language now?", profile, corpus, scripted)
    prompt = scripted.prompts[0]
    assert "You are simulating the thinking of Ada Example." in prompt.system
    assert "model of Ada Example built from 3 items" in prompt.system
    assert "[1] (Post" in prompt.prompt and "QUESTION: Is English a programming language now?" in prompt.prompt


def test_remote_default_model_is_refused_but_explicit_choice_works(monkeypatch, scripted):
    import llm

    monkeypatch.delenv("DEEPINSIGHTS_MODEL", raising=False)
    llm.set_default_model(llm_test_models.REMOTE.model_id)
    with pytest.raises(AskError, match="remote service"):
        choose_model(None)
    notices: list[str] = []
    model = choose_model(llm_test_models.REMOTE.model_id, notify=notices.append)
    assert model is llm_test_models.REMOTE
    assert notices == [
        "remote-scripted-test is a remote service: questions and the passages retrieved for them are sent to it."
    ]
    choose_model(llm_test_models.REMOTE.model_id, notify=notices.append)
    choose_model(llm_test_models.SCRIPTED.model_id, notify=notices.append)
    assert len(notices) == 1  # once per remote model, never for a local one


def test_the_model_named_in_the_environment_is_explicit(monkeypatch, scripted):
    import llm

    llm.set_default_model(llm_test_models.SCRIPTED.model_id)
    monkeypatch.setenv("DEEPINSIGHTS_MODEL", llm_test_models.REMOTE.model_id)
    assert choose_model(None) is llm_test_models.REMOTE
    monkeypatch.delenv("DEEPINSIGHTS_MODEL")
    monkeypatch.setenv("INSIGHTS_MODEL", llm_test_models.REMOTE.model_id)  # the old name still works
    assert choose_model(None) is llm_test_models.REMOTE


def test_run_streams_chunks_and_returns_the_whole_reply(scripted):
    scripted.enqueue("  A reply in several chunks, padded.  ")
    chunks: list[str] = []
    assert run(scripted, "Hello?", system="Be brief.", on_chunk=chunks.append) == "A reply in several chunks, padded."
    assert len(chunks) > 1 and scripted.prompts[-1].system == "Be brief."


def test_without_a_chosen_model_the_error_says_how_to_pick_one(monkeypatch, db, run):
    import llm

    with pytest.raises(AskError, match=r"No model chosen\. Pass -m MODEL") as raised:
        choose_model(None)
    assert llm.DEFAULT_MODEL not in str(raised.value), "llm's built-in default is nobody's choice"
    result = run("ask", "karpathy", "Why build things from scratch?", "--db", db)
    assert result.exit_code == 1
    assert "No model chosen" in result.output and "'llm models' lists" in result.output
    assert llm.DEFAULT_MODEL not in result.output


def test_unknown_model_is_a_clear_error(scripted):
    with pytest.raises(AskError, match="Unknown model 'no-such-model'"):
        choose_model("no-such-model")


def test_cli_ask_json_keys(corpus, db, run, scripted, monkeypatch, tmp_path):
    profile_file = tmp_path / "ada.yaml"
    profile_file.write_text(
        "identity:\n  slug: ada\n  name: Ada Example\nsimulator:\n  opening: You are simulating Ada.\n"
    )
    scripted.enqueue('"The tokenizer is a completely separate stage" [1].')
    result = run("ask", profile_file, "What is the tokenizer stage?", "-m", "scripted-test", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"question", "model", "declined", "answer", "passages", "sentences"} <= set(data)
    assert {"n", "id", "url", "text"} <= set(data["passages"][0])
    assert data["sentences"][0]["label"] == "quoted"
    assert {"text", "label", "citations", "flags"} <= set(data["sentences"][0])


def test_split_sentences_keeps_citations_with_their_sentence():
    parts = split_sentences('First claim [1]. "Quoted words." [2] Third one? Yes [3].')
    assert parts == ["First claim [1].", '"Quoted words." [2]', "Third one?", "Yes [3]."]


def test_elided_quote_fragments_must_appear_in_order():
    passages = {1: "alpha beta gamma delta epsilon zeta"}
    good, bad = check_answer(
        'He said "alpha beta … epsilon zeta" [1]. He said "epsilon zeta … alpha beta" [1].', passages
    )
    assert good.label == "quoted"
    assert bad.label != "quoted" and bad.flags


def test_with_passage_vectors_the_model_reads_hybrid_passages(vector_corpus, profile, scripted):
    from deepinsights.semantic import registry
    from deepinsights.semantic.index import index_passages

    from .test_semantic_model import require_model

    require_model()
    question = "Why build an autograd engine from scratch?"
    assert retrieve_hybrid(vector_corpus, question, SearchFilter(thinker="ada", since=None, until=None)) is None
    index_passages(vector_corpus, registry.get_embedder())
    hybrid = retrieve_hybrid(vector_corpus, question, SearchFilter(thinker="ada", since=None, until=None))
    assert hybrid is not None and len(hybrid) == len(TEXTS)  # meaning finds passages no word matches
    scripted.enqueue("I built an autograd engine [1].")
    answer = ask(question, profile, vector_corpus, scripted)
    assert not answer.declined and [p.id for p in answer.passages] == [p.id for p in hybrid]
    assert "autograd" in answer.passages[0].text
    assert "[1] (Post 0" in scripted.prompts[0].prompt
    declined = ask("What is the best recipe for Brazilian feijoada stew?", profile, vector_corpus, scripted)
    assert declined.declined and len(scripted.prompts) == 1
