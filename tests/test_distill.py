"""Distill: measured lineage, themes, eras, predictions and coverage; drafts that keep edits."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights.distill import distill, draft_profile
from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.models import Document, ImportReport
from deepinsights.profile import dump_profile, load_profile

TOPIC_A = "Convolutional networks and imagenet classification with gradient descent on pixels."
TOPIC_B = "Transformers and tokenizers: attention over tokens, byte pair encoding and sampling logits."


def _docs():
    docs = []
    for i in range(24):
        year, month = 2020 + i // 12, i % 12 + 1
        body = TOPIC_A if year == 2020 else TOPIC_B
        extra = " Thanks to Grace Hopper for the idea." if i % 4 == 0 else ""
        extra += " I built this on micrograd, see github.com/ada/micrograd." if i % 6 == 0 else ""
        extra += " I think the decade of agents will change programming by 2030." if i == 20 else ""
        docs.append(
            Document(
                source="test",
                source_id=str(i),
                kind="post",
                thinker="ada",
                title=f"Post {i}",
                text=f"{body}{extra} Entry {chr(65 + i)}.",  # no line repeats: that would be boilerplate
                url=f"https://ada.example/{i}",
                published_at=datetime(year, month, 15, tzinfo=UTC),
            )
        )
    # a year with nothing, then one more post: a coverage hole
    docs.append(
        Document(
            source="test",
            source_id="late",
            kind="post",
            thinker="ada",
            text=TOPIC_B,
            published_at=datetime(2023, 6, 1, tzinfo=UTC),
        )
    )
    return docs


@pytest.fixture
def corpus(store):
    with store.transaction():
        store.upsert_documents(_docs(), ImportReport())
    return store


def test_lineage_counts_documents_with_dates_and_relations(corpus):
    report = distill(corpus, "ada")
    mentions = {m.name: m for m in report.lineage}
    hopper = mentions["Grace Hopper"]
    assert hopper.count == 6 and hopper.kind == "person"
    assert hopper.first.startswith("2020-01") and hopper.last.startswith("2021-09")
    assert hopper.relations["credits"] == 6
    projects = {e.name: e for e in report.entities.sections["project"]}
    assert projects["ada/micrograd"].count == 4 and "ada/micrograd" not in mentions  # a repository is no lineage
    assert hopper.examples and "Grace Hopper" in hopper.examples[0].text


def test_eras_split_at_the_topic_change_and_are_deterministic(corpus):
    first = distill(corpus, "ada")
    second = distill(corpus, "ada")
    assert [e.as_dict() for e in first.eras] == [e.as_dict() for e in second.eras]
    starts = [e.start for e in first.eras]
    assert "2021-01" in starts or "2020-12" in starts or "2021-02" in starts, starts
    later = {phrase for e in first.eras[1:] for topic, _, _ in e.rising for phrase in topic.phrases}
    assert later & {"tokenizers", "transformers", "logits", "sampling", "byte pair", "attention"}, later
    assert all(len(e.representatives) >= 2 for e in first.eras)
    assert first.findings.era_robustness["max_shift_months"] is not None


def test_predictions_and_coverage(corpus):
    report = distill(corpus, "ada")
    texts = [p.text for p in report.predictions]
    assert any("decade of agents" in t for t in texts)
    prediction = next(p for p in report.predictions if "decade of agents" in p.text)
    assert prediction.made == "2021-09-15" and prediction.horizon
    assert "2022-06" in report.coverage["empty_months"]
    assert report.coverage["months_with_items"] == 25


def test_draft_keeps_user_edits_and_reports_changes(corpus, tmp_path):
    report = distill(corpus, "ada")
    draft, changes = draft_profile(report)
    assert changes == []
    hopper = next(e for e in draft.lineage if e.name == "Grace Hopper")
    assert hopper.claimed_count == 6 and hopper.count_query == '"Grace Hopper"'
    path = tmp_path / "ada-draft.yaml"
    edited = draft.model_copy(update={"lineage": [hopper.model_copy(update={"text": "My own words."})]})
    dump_profile(edited, path)
    with corpus.transaction():
        corpus.upsert_documents(
            [
                Document(
                    source="test",
                    source_id="new",
                    kind="post",
                    thinker="ada",
                    text="Grace Hopper again.",
                    published_at=datetime(2023, 7, 1, tzinfo=UTC),
                )
            ],
            ImportReport(),
        )
    again, changes = draft_profile(distill(corpus, "ada"), load_profile(path))
    kept = next(e for e in again.lineage if e.name == "Grace Hopper")
    assert kept.text == "My own words." and kept.claimed_count == 7
    assert "lineage Grace Hopper: count 6 → 7" in changes


def test_cli_distill_no_llm_writes_a_valid_draft(corpus, db, run):
    result = run("distill", "ada", "--no-llm", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"lineage", "topics", "eras", "predictions", "coverage", "changes", "profile"} <= set(data)
    profile = load_profile(data["profile"])
    assert profile.identity.slug == "ada" and profile.lineage
    again = json.loads(run("distill", "ada", "--no-llm", "--db", db, "--json").output)
    assert again["changes"] == []


@pytest.mark.slow
def test_karpathy_corpus_finds_the_project_lineage(corpora, store):
    from deepinsights.distill.lineage import measure_lineage

    run_import(store, [str(corpora / "karpathy")], ImportOptions(thinker="karpathy"))
    found = measure_lineage(store, "karpathy", names={"Andrej Karpathy"})  # distill's lineage, without topics
    order = [p.name for p in found.projects]
    four = [p for p in order if p in ("micrograd", "nanoGPT", "llm.c", "nanochat")]
    assert four == ["micrograd", "nanoGPT", "llm.c", "nanochat"], order
    every = [e for typed in [found.people_and_works, *found.sections.values()] for e in typed]
    assert not [e.name for e in every if "karpathy" in " ".join(e.aliases).lower() or e.name == "Andrej"]


def test_draft_carries_themes_and_references_per_year_for_the_page(corpus, tmp_path):
    from starlette.testclient import TestClient

    from deepinsights.web.app import create_app

    draft, _ = draft_profile(distill(corpus, "ada"))
    hopper = next(e for e in draft.lineage if e.name == "Grace Hopper")
    assert hopper.by_year == {"2020": 3, "2021": 3}
    later = [t for t in draft.themes if t.by_year.get("2021")]  # the 2021 posts are about tokenizers
    assert later and all(not t.by_year.get("2020") and t.quotes for t in later)
    assert any("tokenizers" in t.phrases for t in later)
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    dump_profile(draft, profiles / "ada-draft.yaml")
    page = TestClient(create_app(corpus.path, profiles)).get("/profile/ada-draft").text
    assert 'id="themes"' in page and "Themes over time" in page
    assert 'title="2020: 3"' in page  # Grace Hopper's references in 2020


def test_changed_my_mind_pairs_link_a_later_reversal_to_the_earlier_view(store):
    early = "Convolutional networks on imagenet pixels will always beat transformers for vision."
    late = "I changed my mind: transformers now beat convolutional networks on imagenet pixels."
    filler = [f"Tokenizers and logits, note {'abcd'[i]}." for i in range(4)]
    texts = [(early, datetime(2020, 3, 1, tzinfo=UTC)), (late, datetime(2023, 3, 1, tzinfo=UTC))]
    texts += [(t, datetime(2021, i + 1, 1, tzinfo=UTC)) for i, t in enumerate(filler)]
    texts += [(early.replace("always", "surely"), datetime(2020, 6, 1, tzinfo=UTC))]
    docs = [
        Document(source="test", source_id=str(i), kind="post", thinker="ada", text=t, published_at=when)
        for i, (t, when) in enumerate(texts)
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport())
    report = distill(store, "ada", check_robustness=False)
    assert len(report.mind_changes) == 1
    pair = report.mind_changes[0]
    assert pair.cue.lower() == "changed my mind"
    assert pair.later.published_at.startswith("2023-03") and pair.earlier.published_at.startswith("2020")
    assert pair.themes and pair.earlier.text.startswith("Convolutional")
    assert report.as_dict()["mind_changes"][0]["earlier"]["text"].startswith("Convolutional")


def add_posts(store, texts: list[str]) -> None:
    """One post by ada per text, a day apart."""
    docs = [
        Document(
            source="test",
            source_id=str(i),
            kind="post",
            thinker="ada",
            text=text,
            published_at=datetime(2024, 1, i + 1, tzinfo=UTC),
        )  # fmt: skip
        for i, text in enumerate(texts)
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport())


def test_one_word_names_and_works_are_lineage(store):
    texts = [
        "I spent the weekend playing Factorio again, automating the whole base.",
        "This pipeline is basically Factorio for research: build, automate, scale.",
        "Reading Tolkien as a kid taught me what deep worldbuilding is.",
        "Digital Factorio time tonight.",
        "Another post that mentions Factorio and also Tolkien in passing.",
        "Nothing here but ordinary words and a Monday.",
        "I keep rereading notes by Ada Lovelace, and Lovelace was right.",
        "Again the notes of Ada Lovelace.",
    ]
    add_posts(store, texts)
    report = distill(store, "ada", check_robustness=False)
    every = {e.name: e for found in [report.lineage, *report.entities.sections.values()] for e in found}
    assert every["Factorio"].count == 4  # "Digital Factorio" opening a sentence is Factorio
    assert every["Tolkien"].count == 2  # typed by the small model from two sentences: not always a person
    assert "Monday" not in every and "Nothing" not in every and "Digital Factorio" not in every
    lovelace = every["Ada Lovelace"]
    assert lovelace.count == 2 and "Lovelace" not in every and "Lovelace" in lovelace.aliases  # one person


def test_the_thinkers_own_name_and_handle_are_not_their_lineage(store, db, run, tmp_path, monkeypatch):
    texts = [
        "Ada Lovelace here: notes on the engine, with thanks to Charles Babbage.",
        "As Ada Lovelace I sign every letter; Charles Babbage replied.",
        "Lovelace again, on Bernoulli numbers. Charles Babbage agrees. Ping @ada_l and @babbage.",
        "Signed, Ada Lovelace. Cc @ada_l and @babbage.",
    ]
    add_posts(store, texts)
    found = {m.name for m in distill(store, "ada", check_robustness=False).lineage}
    assert {"Ada Lovelace", "Charles Babbage"} <= found  # with no profile, only the slug is known as hers
    lineage = distill(store, "ada", names={"Ada Lovelace"}, handles={"@ada_l"}).lineage
    found = {m.name for m in lineage}
    babbage = next(m for m in lineage if m.name == "Charles Babbage")
    assert "@babbage" in babbage.aliases  # the handle built from his name is him
    assert not {"Ada Lovelace", "Lovelace", "@ada_l", "@babbage"} & found

    profiles = tmp_path / "profiles"  # beside the workspace file; a PostgreSQL workspace's are in the current folder
    profiles.mkdir(exist_ok=True)
    (profiles / "ada.yaml").write_text(
        "format: 1\nidentity:\n  slug: ada\n  name: Ada Lovelace\n  handles: ['@ada_l']\n"
    )
    monkeypatch.chdir(tmp_path)
    result = run("distill", "ada", "--no-llm", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    names = {entry["name"] for entry in json.loads(result.output)["lineage"]}
    assert "Charles Babbage" in names and not {"Ada Lovelace", "@ada_l"} & names
