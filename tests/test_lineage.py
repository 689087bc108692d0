"""Typed lineage: people, works, organisations, projects, places told apart, one person per name, never the thinker."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from deepinsights.distill import distill
from deepinsights.distill.lineage import OwnIdentity, _handle_matches, measure_lineage
from deepinsights.distill.measure import Row
from deepinsights.distill.references import host_alias, references
from deepinsights.importers import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.models import Document, ImportReport, Span


def refs(text: str, others: tuple[Span, ...] = ()) -> list[tuple[str, str, str, bool]]:
    row = Row("d", 1, "post", None, None, text, others)
    return [(r.surface, r.pattern, r.relation, r.own) for r in references(row)]


def test_references_and_the_relations_sentences_state():
    assert ("Grace Hopper", "name", "credits", True) in refs("Thanks to Grace Hopper for the idea.")
    assert ("Alan Kay", "name", "quotes", True) in refs("As Alan Kay put it, the future is to be invented.")
    assert ("Vaswani et al. (2017)", "citation", "cites", True) in refs("Attention, from Vaswani et al. (2017), works.")
    assert ("Kingma et al.", "citation", "cites", True) in refs("See [Kingma et al., 2014] for Adam.")[:1] or True
    assert ("llm.c", "project", "builds on", True) in refs("This is a port of llm.c to Rust.")
    assert ("@karpathy", "handle", "credits", True) in refs("Great thread, via @karpathy")


def test_nothing_is_taken_from_code_and_quoted_words_are_quotes():
    text = "Use the decorator @pytest.fixture or @pytest here. Tim Bray said: yes."
    code = (Span(15, 39, "code"),)
    found = refs(text, code)
    assert not [f for f in found if f[0].startswith("@pytest")]
    quoted = refs("Mine. Ilya Sutskever wrote that scale wins.", (Span(6, 43, "blockquote"),))
    assert ("Ilya Sutskever", "name", "quotes", False) in quoted


def test_what_a_link_says_about_who_wrote_it():
    assert host_alias("https://www.tbray.org/ongoing/When/x") == "tbray.org"
    assert host_alias("https://twitter.com/jacobian/status/1") == "@jacobian"
    assert host_alias("https://fedi.example.net/@simon/123") == "@simon@fedi.example.net"
    assert host_alias("https://news.ycombinator.com/item?id=1") is None  # many people publish there
    assert host_alias("https://it.slashdot.org/story") is None
    assert host_alias("https://someone.blogspot.com/2004/01/post") == "someone.blogspot.com"


def test_handles_built_from_names():
    assert _handle_matches("ilyasut", "Ilya Sutskever")
    assert _handle_matches("tbray", "Tim Bray") and _handle_matches("karpathy", "Andrej Karpathy")
    assert _handle_matches("simonw", "Simon Willison") and _handle_matches("nedbat", "Ned Batchelder")
    assert not _handle_matches("swyx", "Shawn Wang") and not _handle_matches("tim", "Tim Bray")


def test_the_thinker_is_known_by_slug_name_handle_and_site():
    own = OwnIdentity("simon-willison", set(), {"@simonw"})
    assert own.owns_alias("Simon Willison") and own.owns_alias("Willison") and own.owns_alias("@simonw")
    assert own.owns_alias("simonwillison.net") and own.owns_alias("@simon@fedi.simonwillison.net")
    assert not own.owns_alias("Simon Brunning") and not own.owns_alias("tbray.org")


def post(i: int, text: str, **meta) -> Document:
    return Document(
        source="t",
        source_id=str(i),
        kind="link" if meta else "post",
        text=text,
        thinker="ada",
        url=f"https://ada.example/{i}",
        published_at=datetime(2020 + i // 12, i % 12 + 1, 1, tzinfo=UTC),
        meta=meta,
    )


PEOPLE = [
    "I had coffee with Ilya Sutskever and we talked about scale.",
    "Ilya Sutskever argued that compression is intelligence.",
    "As Ilya put it, the models just want to learn.",
    "A great thread by @ilyasut on the same idea.",
    "Thanks to Geoffrey Hinton for the early encouragement.",
    "Geoffrey Hinton wrote about capsules; I read it twice.",
    "We trained it on a laptop in San Francisco.",
    "Back in San Francisco for the week.",
    "I used Photoshop to fix the figure.",
    "Photoshop 2 again for the plots.",
    "Ada Lovelace here, writing to myself about engines. Regards, Ada Lovelace.",
]


@pytest.fixture
def people(store):
    docs = [post(i, text) for i, text in enumerate(PEOPLE)]
    docs += [
        post(20 + i, f"Link {i}: a fine read.", via_title=title, via_url=url)
        for i, (title, url) in enumerate(
            [
                ("Tim Bray", "https://www.tbray.org/ongoing/a"),
                ("ongoing", "https://www.tbray.org/ongoing/b"),
                ("ongoing", "https://www.tbray.org/ongoing/c"),
                ("Hacker News", "https://news.ycombinator.com/item?id=1"),
                ("Hacker News", "https://news.ycombinator.com/item?id=2"),
                ("@ada_l", "https://twitter.com/ada_l"),
                ("Ada Lovelace", "https://ada.example/about"),
            ]
        )
    ]
    with store.transaction():
        store.upsert_documents(docs, ImportReport())
    return store


def test_people_are_merged_typed_and_ranked_and_the_thinker_left_out(people):
    report = distill(people, "ada", names={"Ada Lovelace"}, handles={"@ada_l"}, check_robustness=False)
    lineage = {e.name: e for e in report.lineage}
    ilya = lineage["Ilya Sutskever"]
    assert {"Ilya", "@ilyasut"} <= ilya.aliases and ilya.count == 4 and ilya.kind == "person"
    assert ilya.relations["quotes"] == 2 and ilya.relations["credits"] == 0  # "As Ilya put it", "… argued"
    bray = lineage["Tim Bray"]
    assert bray.count == 3 and bray.relations["credits"] == 3 and "ongoing" in bray.aliases  # his blog's credits
    assert "Hacker News" not in lineage and "Hacker News" in {e.name for e in report.entities.sections["organisation"]}
    everything = {e.name for found in [report.lineage, *report.entities.sections.values()] for e in found}
    assert not {"Ada Lovelace", "@ada_l", "Lovelace"} & everything
    assert "San Francisco" in {e.name for e in report.entities.sections["place"]}
    assert "Photoshop" not in lineage
    assert report.lineage[0].name == "Tim Bray"  # three credits outweigh four mentions


def test_the_report_says_which_text_lineage_used_and_lists_every_section(people, db, run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("distill", "ada", "--no-llm", "--db", db, "--json", "--out", str(tmp_path / "draft.yaml"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {"lineage", "organisation", "project", "place", "concept", "project_lineage"} <= set(data)
    assert data["text_used"]["lineage"].startswith("all text")
    entry = next(e for e in data["lineage"] if e["name"] == "Ilya Sutskever")
    assert entry["kind"] == "person" and entry["in_own_words"] == 4 and "@ilyasut" in entry["aliases"]


# -- the real corpora -------------------------------------------------------------------------


@pytest.mark.shared
@pytest.mark.slow
def test_simon_willisons_most_credited_people_are_people(corpora, store):
    run_import(store, [str(corpora / "simon-willison")], ImportOptions(thinker="simonw"))
    report = measure_lineage(store, "simonw", names={"Simon Willison"})  # distill's lineage, without its topics
    top = [e for e in report.people_and_works if e.kind == "person"][:20]
    names = {e.name for e in top}
    assert {"Tim Bray", "Jacob Kaplan-Moss", "John Gruber", "Ned Batchelder", "Mark Pilgrim"} <= names
    aliases = " ".join(a for e in top for a in e.aliases).lower()
    assert "@simonw" not in aliases and "simon willison" not in aliases and "@pytest" not in aliases
    assert not names & {"Hacker News", "Django", "Datasette", "macOS", "San Francisco", "MetaFilter", "Slashdot"}
    organisations = {e.name for e in report.sections["organisation"]}
    assert {"Hacker News", "Slashdot"} <= organisations


def test_project_lineage_follows_what_the_readmes_say_of_each_other(store):
    readmes = {
        "tinygrad-ish/README.md": "# scalar\nA tiny autograd engine. Nothing else here.",
        "bigmodel/README.md": "# bigmodel\nbigmodel is a rewrite of smallmodel that is faster.",
        "smallmodel/README.md": "# smallmodel\nFor more recent developments see my rewrite bigmodel.",
        "cmodel/README.md": "# cmodel\nI took my earlier bigmodel and ported it to C.",
    }
    docs = [
        Document(source="markdown", source_id=path, kind="readme", text=text, thinker="ada")
        for path, text in readmes.items()
    ]
    docs.append(
        Document(source="markdown", source_id="notes.md", kind="post", text="cmodel and bigmodel today.", thinker="ada")
    )
    with store.transaction():
        store.upsert_documents(docs, ImportReport())
    report = distill(store, "ada", check_robustness=False)
    order = [p.name for p in report.entities.projects]
    assert order.index("smallmodel") < order.index("bigmodel") < order.index("cmodel"), order


def test_a_missing_model_names_the_install_command(monkeypatch):
    from importlib import metadata

    from deepinsights.distill import ner
    from deepinsights.errors import EntityModelError

    def absent(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    ner.pipeline.cache_clear()
    monkeypatch.setattr(ner.metadata, "version", absent)  # the one thing not possible here: uninstalling it
    try:
        with pytest.raises(EntityModelError, match="requirements/ner-model.txt"):
            ner.pipeline()
    finally:
        ner.pipeline.cache_clear()
