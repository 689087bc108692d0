"""Distill on own words: prose cleaning, topics, eras with reasons, framings, vocabulary, predictions.

A small self-made corpus in a real SQLite workspace (and PostgreSQL, where topics fall back to
LSA vectors without pgvector): two subjects over two years and two feeds, with code, URLs,
LaTeX, HTML, a repeated footer, the thinker's own name and host, quoted words of others.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights import ownwords
from deepinsights.distill import distill, draft_profile
from deepinsights.distill.own import with_gaps
from deepinsights.distill.predictions import is_forecast
from deepinsights.distill.prose import (
    SPOKEN_MAX_WORDS,
    Boilerplate,
    is_code,
    is_unpunctuated,
    lower_words,
    prose,
    sentences,
    words,
)
from deepinsights.distill.topics import labelable, topic_count
from deepinsights.models import Document, ImportReport

VISION = [
    "Convolutional networks learn image filters from pixels, and pooling layers summarise them.",
    "Training a convnet on imagenet: the filters of the first layer look like edge detectors.",
    "Data augmentation with crops and flips makes the image classifier far more robust.",
    "Residual connections let very deep convolutional networks train on image datasets.",
    "Batch normalization keeps the activations of each convolutional layer well scaled.",
    "Transfer learning: reuse an imagenet convnet as the backbone for a new image task.",
]
LANGUAGE = [
    "Tokenizers split text into tokens with byte pair encoding merges over a large vocabulary.",
    "Attention lets every token look at the previous tokens and mix their values.",
    "Sampling from the logits with a temperature decides how creative the language model is.",
    "The transformer stacks attention and feed-forward blocks over token embeddings.",
    "Next token prediction on web text teaches a language model grammar and facts.",
    "A tokenizer trained on code handles indentation tokens much better than one trained on prose.",
]
FOOTER = "Thanks for reading Ada's Notebook! Subscribe for free to receive new posts."
MARKUP = (
    "\nfor i in range(10): print(model.forward(x_batch))\n"
    "See https://ada.example.org/posts/convnets-and-tokens.html for the full code.\n"
    "The loss is $\\mathbf{L} = -\\sum_i \\log p_i$ as usual in this note.\n"
    '<div class="figure">&nbsp;</div>'
)


def corpus_documents() -> list[Document]:
    """2020: vision posts (feed 'post'); 2021: language notes (feed 'note'), each with markup and a footer."""
    docs = []
    for i in range(24):
        year, month = 2020 + i // 12, i % 12 + 1
        kind, texts = ("post", VISION) if year == 2020 else ("note", LANGUAGE)
        body = " ".join(texts[(i + k) % len(texts)] for k in range(3))
        extra = " Ada Lovelace wrote this." if i % 3 == 0 else ""
        extra += " A tokenizer is like a compiler for text." if i in (4, 15) else ""
        extra += " A convnet is like a compiler for pixels." if i in (2, 20) else ""
        extra += " I expect language models will replace most search engines by 2030." if i == 14 else ""
        extra += " Language models are replacing search engines for many questions now." if i == 22 else ""
        docs.append(
            Document(
                source="test",
                source_id=str(i),
                kind=kind,
                thinker="ada",
                title=f"Entry {i}",
                text=f"{body}{extra} Entry number {chr(65 + i)}.{MARKUP}\n{FOOTER}",
                url=f"https://ada.example.org/{i}",
                published_at=datetime(year, month, 10, tzinfo=UTC),
            )
        )
    return docs


@pytest.fixture
def corpus(store):
    with store.transaction():
        store.upsert_documents(corpus_documents(), ImportReport())
    return store


def test_prose_drops_code_urls_latex_html_and_boilerplate():
    text = "Attention mixes the values of earlier tokens together." + MARKUP + "\n" + FOOTER
    footer = Boilerplate()
    for _ in range(3):
        footer.add([FOOTER])
    cleaned = prose(text, footer.lines())
    assert cleaned.splitlines() == [
        "Attention mixes the values of earlier tokens together.",
        "See ¦ for the full code.",
    ]
    assert is_code("x = torch.zeros(3)") and is_code("pip install llm") and not is_code("A plain sentence here.")
    assert words("The GPU, AI and n_layer (p.grad) with @handle") == ["the", "GPU", "AI", "and", "with"]
    assert sentences("first line lower case goes nowhere\nSecond one is a sentence. And a third one here!") == [
        "Second one is a sentence.",
        "And a third one here!",
    ]


@pytest.mark.parametrize(
    "line",
    ["$ insights search llm", "# a comment", "def forward(self, x):", "for token in tokens:", "if loss < best:",
     "config = {", "return x;", "lr = 3e-4 is what worked", "a != b", "x == y", "fn => x", "f(x) -> y",
     "std::vector of ints", "call loss.backward( now", "the n_layer setting matters", "use the --verbose flag",
     "wrap it in `backticks` here", "print(x)", "SELECT * FROM passages"],
)  # fmt: skip
def test_a_line_with_code_syntax_is_code(line: str) -> None:
    assert is_code(line)


@pytest.mark.parametrize(
    "line",
    ["A plain sentence here.", "It was a long-running job: three days (or so) of training.",
     "Read the post — then decide whether it holds up.", "Self-attention is a communication mechanism.",
     "Ten years - give or take - of writing every day."],
)  # fmt: skip
def test_prose_with_dashes_colons_and_brackets_is_not_code(line: str) -> None:
    assert not is_code(line)


def test_lower_words_are_the_label_words_in_lower_case() -> None:
    text = "The GPU’s AI isn’t RLHF-tuned: n_layer p.grad @handle Ünïcode İstanbul GPT-4 works."
    assert lower_words(text) == [w.lower() for w in words(text)]
    assert "gpu's" in lower_words(text) and "rlhf-tuned" in lower_words(text)


def test_own_words_put_a_gap_where_others_words_were():
    text = 'They said "this will change everything for all of us, very soon now" and I doubt it.'
    spans = ownwords.normalise(ownwords.mark_text(text), text)
    assert with_gaps(text, spans) == "They said  ¦  and I doubt it."
    assert with_gaps("all mine", ()) == "all mine"


def test_labels_never_use_markup_stop_words_or_the_thinkers_own_name():
    own = {"ada", "lovelace"}
    assert labelable("tokenizer", own) and labelable("byte pair", own) and labelable("GPU", own)
    for term in ("href", "nbsp", "mathbf", "the model", "lovelace", "ada's notebook", "ok", "time"):
        assert not labelable(term, own), term
    assert topic_count(3) == 2 and topic_count(300) == 10 and topic_count(10**6) == 60


def test_topics_are_labelled_clusters_with_passages_and_dates(corpus):
    report = distill(corpus, "ada", names={"Ada Lovelace"})
    topics = report.topics.topics
    assert len(topics) >= 2 and report.topics.vectors
    labels = [phrase for t in topics for phrase in t.phrases]
    assert {"convolutional", "tokenizers", "tokens", "image", "attention", "convnet"} & set(labels)
    banned = {"http", "https", "org", "html", "div", "nbsp", "mathbf", "sum", "print", "range", "ada", "lovelace"}
    assert not banned & {w.lower() for phrase in labels for w in phrase.split()}, labels
    assert not any("subscribe" in phrase or "reading" in phrase for phrase in labels)  # the footer is boilerplate
    for topic in topics:
        assert topic.representatives and topic.passages >= topic.documents >= 1
        assert all(m[:4] in ("2020", "2021") for m in topic.by_month)
    assert report.topics.stability["mean_adjusted_rand"] is not None
    again = distill(corpus, "ada", names={"Ada Lovelace"})
    assert [t.as_dict() for t in again.topics.topics] == [t.as_dict() for t in topics]  # fixed seeds


def test_eras_are_named_by_rising_topics_with_passages_and_source_changes(corpus):
    report = distill(corpus, "ada")
    assert [e.start for e in report.eras][:2] == ["2020-01", "2021-01"]
    later = report.eras[1]
    assert later.rising and later.name != f"{later.start} – {later.end}"
    assert {"tokenizers", "tokens", "attention", "token", "language"} & {
        p for t, _, _ in later.rising for p in t.phrases
    }
    assert all(len(e.representatives) >= 2 for e in report.eras)
    assert all(e.start <= (p.month or "") <= e.end for e in report.eras for p in e.representatives)
    assert later.source_change and "test/post ends 2020-12" in later.source_change
    assert "test/note starts 2021-01" in later.source_change


def test_framings_recurring_across_topics_are_mental_models(corpus):
    report = distill(corpus, "ada", check_robustness=False)
    models = {f.key: f for f in report.findings.mental_models}
    assert "compiler" in models
    compiler = models["compiler"]
    assert len(compiler.documents) == 4 and len(compiler.topics) >= 2 and compiler.kind == "analogy"
    draft, _ = draft_profile(report)
    assert draft.mental_models_ordered_by_frequency and draft.mental_models[0].title == "compiler"
    assert draft.mental_models[0].documents == 4 and draft.mental_models[0].quotes


def test_named_terms_are_framings_and_literals_in_quotes_are_not():
    from deepinsights.distill.framings import framings_in

    found = framings_in(
        "I coined the term prompt injection in a post last year. "
        'Then click "attach database" and type "hello world" in the box. '
        "We should think of the context window as a kind of working memory for the model. "
        "I'm calling it Datasette Cloud."
    )
    keys = {(kind, key) for kind, key, _ in found}
    assert ("coined", "prompt injection") in keys and ("think of", "working memory") in keys
    assert not {key for _, key, _ in found} & {"attach database", "hello world", "datasette cloud"}


def _framings_of_posts(store, texts):
    """Distill ``texts`` as Ada's posts, one a day; her framings by key."""
    docs = [
        Document(
            source="t", source_id=str(i), kind="post", thinker="ada", text=t, published_at=datetime(2022, 1, 1 + i)
        )
        for i, t in enumerate(texts)
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport())
    return {f.key: f for f in distill(store, "ada", check_robustness=False).findings.framings}


def test_a_coined_term_counts_every_document_that_uses_it(store):
    texts = [
        "I coined the term tool soup for this pattern of agents and plugins.",
        "Tool soup makes planning a database migration harder than it needs to be.",
        "Image models suffer from tool soup as well, when every filter is a plugin.",
        *VISION,
        *LANGUAGE,
    ]
    framings = _framings_of_posts(store, texts)
    assert framings["tool soup"].kind == "coined" and len(framings["tool soup"].documents) == 3


def test_a_figure_set_up_twice_counts_wherever_its_wording_recurs(store):
    texts = [
        "Think of each layer as a little lego block that takes some inputs and gives an output.",
        "A tokenizer is like a lego block for text pipelines, one of many you snap together.",
        "Resist stacking up the lego blocks of the toolbox in exotic ways early in a project.",
        *VISION,
        *LANGUAGE,
    ]
    framings = _framings_of_posts(store, texts)
    blocks = framings["lego block"]
    assert len(blocks.documents) == 3 and any("toolbox" in sentence for _, sentence in blocks.examples)


def test_quantities_proper_names_news_and_spoken_hedges_are_not_figures():
    from deepinsights.distill.framings import framings_in, singular, vehicle

    assert vehicle("little lego blocks of the") == "lego block" and singular("libraries") == "library"
    assert vehicle("million examples") is None and vehicle("Code Interpreter for") is None
    assert not framings_in("When your data set is like a million examples, sample it.")
    assert not framings_in("LiteFS is the new SQLite replication solution from Fly.")
    lecture = " ".join(["so this is kind of like a little staging area for all the local variables"] * 6)
    assert is_unpunctuated(lecture) and not framings_in(lecture)
    assert not framings_in(" ".join(["and this maximum length which I call block size here is what we use"] * 6))


def test_a_cluster_far_less_coherent_than_the_rest_is_a_catch_all():
    from deepinsights.distill.topics import catch_alls

    coherence = {c: 0.6 + 0.01 * c for c in range(10)} | {10: 0.3}
    assert catch_alls(coherence) == {10}
    assert catch_alls({1: 0.6, 2: 0.2}) == set()  # too few clusters to say which is unlike the rest


def test_clusters_start_from_ward_and_are_the_same_for_a_seed():
    import numpy as np
    from sklearn.metrics import adjusted_rand_score

    from deepinsights.distill.topics import cluster

    rng = np.random.default_rng(7)
    truth = np.repeat(np.arange(4), 50)
    vectors = (np.eye(8)[truth] * 3 + rng.normal(0, 0.3, (200, 8))).astype(np.float32)
    labels = cluster(vectors, 4, 0)
    assert adjusted_rand_score(truth, labels) == 1.0 and (labels == cluster(vectors, 4, 0)).all()
    assert len(set(cluster(vectors[:3], 4, 0).tolist())) <= 3  # fewer rows than topics: fewer topics


def test_a_months_topic_shares_are_smoothed_with_its_neighbours():
    import numpy as np

    from deepinsights.distill.eras import smooth

    shares = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    out = smooth(shares, np.array([1.0, 2.0, 1.0]))
    assert out[1] == pytest.approx([0.5, 0.5]) and out[0] == pytest.approx([1 / 3, 2 / 3])


def test_signature_vocabulary_is_words_used_far_more_than_in_english(corpus):
    report = distill(corpus, "ada", names={"Ada Lovelace"}, check_robustness=False)
    words_found = [w.word for w in report.findings.vocabulary]
    assert {"convnet", "tokenizers", "imagenet"} & set(words_found[:10]), words_found
    assert not {"ada", "lovelace", "the", "subscribe", "notebook"} & {w.lower() for w in words_found}
    assert all(w.ratio > 1 and w.documents >= 3 for w in report.findings.vocabulary)


def test_predictions_come_from_own_words_with_revisits(corpus):
    report = distill(corpus, "ada", check_robustness=False)
    prediction = next(p for p in report.predictions if "replace most search engines" in p.text)
    assert prediction.made == "2021-03-10" and prediction.horizon == "by 2030"
    assert [r.published_at[:7] for r in prediction.revisits] == ["2021-11"]
    assert not any("range" in p.text or "Subscribe" in p.text for p in report.predictions)
    assert is_forecast("I think AGI will arrive within ten years.")
    for narration in ("We will now implement backprop.", "This will print the loss.", "You will need more RAM."):
        assert not is_forecast(narration), narration


FORECASTS = [
    "I expect other browser makers will follow suit.",
    "I imagine we'll see it shipped in every phone pretty soon.",
    "Expect to see this pattern all over the place in the next few months.",
    "One day a computer will look at a page of pixels and read it as a person does.",
    "Any feature that can store state will eventually be used for tracking.",
    "I doubt it will be long before someone builds an open alternative.",
    "Whichever way it goes, I expect this case to have a profound impact on the field.",
    "I suspect it will feature heavy use of reinforcement learning.",
]
NOT_FORECASTS = [
    "I'll write more about this next week.",  # the writer's own plan
    "I expect to use it for all sorts of projects.",
    "Hopefully this will suck less.",  # a hope
    "Jane Doe argues that browsers will disappear within a decade.",  # someone else's view
    "If the file exists it will be overwritten.",  # what code does
    "This is always harder than I think it will be.",
    "Eventually I figured out the recipe that works.",  # the past
    "The Future of Web Apps conference is in London.",
    "Let's see what happens when we train it for longer.",
]


@pytest.mark.parametrize("sentence", FORECASTS)
def test_forecasts_are_predictions(sentence):
    assert is_forecast(sentence)


@pytest.mark.parametrize("sentence", NOT_FORECASTS)
def test_plans_hopes_reports_and_narration_are_not(sentence):
    assert not is_forecast(sentence)


SPOKEN = (
    "okay so now we are going to build the tokenizer and um this is going to take a while "
    "so I think eventually these models will be trained on every language in the world "
    "and that is the whole point um so what's going to happen is the loss is going to come down "
    "and then we will see that the tokens merge okay so let's run it and see what happens here "
)


def test_unpunctuated_speech_is_read_as_spoken_clauses():
    text = SPOKEN * 2
    assert is_unpunctuated(text) and not is_unpunctuated(" ".join(FORECASTS * 3))
    clauses = sentences(text)
    assert all(c in " ".join(text.split()) for c in clauses)  # each a verbatim run of words
    assert all(5 <= len(c.split()) <= SPOKEN_MAX_WORDS for c in clauses)
    assert any(c.startswith("so I think eventually these models will be trained") for c in clauses), clauses
    forecasts = [c for c in clauses if is_forecast(c, spoken=True)]
    assert forecasts and all("every language" in c for c in forecasts)  # narration is not a forecast


def test_quoted_forecasts_of_others_are_not_predictions(store):
    quoted = 'Someone Else wrote: "Language models will replace every search engine within five years."'
    own = "My own view: search engines will change, and I expect them to add chat within five years."
    docs = [
        Document(
            source="t",
            source_id=str(i),
            kind="post",
            thinker="ada",
            text=t,
            published_at=datetime(2022, 1, i + 1),
            others=ownwords.normalise(ownwords.mark_text(t), t),  # as importers mark quotations
        )
        for i, t in enumerate([quoted, own, *LANGUAGE])
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport())
    texts = [p.text for p in distill(store, "ada", check_robustness=False).predictions]
    assert any(t.startswith("My own view") for t in texts)
    assert not any("every search engine" in t for t in texts)


def test_cli_prints_topics_eras_and_writes_them_to_the_draft(corpus, db, run):
    result = run("distill", "ada", "--no-llm", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["topics"]["topics"] and data["eras"][1]["source_change"]
    assert data["own_word_passages"] == 24 and "signature_vocabulary" in data
    text = run("distill", "ada", "--no-llm", "--db", db)
    assert text.exit_code == 0 and "Topics (" in text.output and "Era" in text.output


# -- the real corpora ----------------------------------------------------------------------

MARKUP_TOKENS = {"http", "https", "www", "com", "org", "html", "href", "div", "span", "nbsp", "amp", "quot", "src"}
LATEX_TOKENS = {"mathbf", "mathrm", "frac", "sqrt", "cdot", "ldots", "begin", "textbf"}


def _label_words(report) -> set[str]:
    labels = [t.label for t in report.topics.topics[:30]] + [e.name for e in report.eras]
    return {w.lower() for label in labels for w in label.replace(",", " ").replace("·", " ").split()}


def _assert_own_words(store, report) -> None:
    """Every era shows two own-word passages; every prediction is a sentence of own words."""
    own = {}
    for row in store.rows("SELECT id, text, others FROM documents"):
        own[row["id"]] = " ".join(ownwords.own_text(row["text"], ownwords.loads(row["others"])).split())
    assert report.eras and all(len(e.representatives) >= 2 for e in report.eras)
    for prediction in report.predictions:
        assert prediction.text[:80] in own[prediction.passage.document_id], prediction.text


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.timeout(1800)  # embeds 1,670 passages: about a minute on a quiet machine
def test_karpathy_topics_are_labelled_by_prose_not_markup_or_his_name(corpora, tmp_path):
    from deepinsights.backends.sqlite import Store
    from deepinsights.importers import ImportOptions
    from deepinsights.ingest import run_import

    store = Store(tmp_path / "k.db")
    try:
        run_import(store, [str(corpora / "karpathy")], ImportOptions(thinker="karpathy", exclude=("SOURCES.md",)))
        report = distill(store, "karpathy", names={"Andrej Karpathy"})
        assert report.topics.vectors == "all-MiniLM-L6-v2" and len(report.topics.topics) >= 15
        words = _label_words(report)
        assert not words & (MARKUP_TOKENS | LATEX_TOKENS | {"karpathy", "andrej"}), words
        assert {"tokenizer", "tokens", "gradient", "gpu", "loss"} & words
        _assert_own_words(store, report)
    finally:
        store.close()


@pytest.mark.shared
@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_simon_willisons_topics_and_the_source_change_of_his_last_era(corpora, tmp_path):
    """Simon Willison's corpus on LSA vectors (no embedding model: faster in CI, and the fallback
    path on real data): his name is inferred from the slug, the last era starts where his notes
    feed starts, and it says so."""
    from deepinsights.backends.sqlite import Store
    from deepinsights.importers import ImportOptions
    from deepinsights.ingest import run_import

    store = Store(tmp_path / "s.db")
    try:
        exclude = ("SOURCES.md", "guides_guidesection.*")
        run_import(store, [str(corpora / "simon-willison")], ImportOptions(thinker="simonw", exclude=exclude))
        report = distill(store, "simonw", embedding_model="no-such-model")
        assert report.topics.vectors.startswith("lsa") and "Simon Willison" in report.findings.own_names
        words = _label_words(report)
        assert not words & (MARKUP_TOKENS | {"simon", "willison", "simonw", "simonwillison"}), words
        notes = [e for e in report.eras if e.source_change and "note starts" in e.source_change]
        assert notes, [(e.start, e.source_change) for e in report.eras]
        _assert_own_words(store, report)
    finally:
        store.close()
