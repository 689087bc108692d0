"""The profile schema, YAML loading (with line-numbered errors and hostile input), lookup and CLI."""

from __future__ import annotations

import json
import time

import pytest

from deepinsights.errors import ProfileError
from deepinsights.profile import (
    Profile,
    dump_profile,
    find_profile,
    list_profiles,
    load_profile,
    parse_profile,
    profile_template,
)
from deepinsights.profile.io import PACKAGE_PROFILES
from deepinsights.profile.schema import month_label

from .conftest import require_shared

KARPATHY = PACKAGE_PROFILES / "karpathy.yaml"
SEED = ("seeds", "000_55aa6308f3551af2.txt")


@pytest.fixture(scope="module")
def karpathy() -> Profile:
    return load_profile("karpathy")


# --- schema and round trip -------------------------------------------------------------------


@pytest.mark.parametrize("path", [KARPATHY, "fixtures/profile.yaml"], ids=["karpathy", "fixture"])
def test_round_trip_is_lossless(path, fixtures):
    source = path if path == KARPATHY else fixtures / "profile.yaml"
    profile = load_profile(source)
    text = dump_profile(profile)
    again = parse_profile(text, "dumped.yaml")
    assert again == profile
    assert dump_profile(again) == text


def test_dump_writes_file(tmp_path, fixtures):
    profile = load_profile(fixtures / "profile.yaml")
    out = tmp_path / "ada.yaml"
    dump_profile(profile, out)
    assert load_profile(out) == profile


def test_fixture_profile_has_every_section(fixtures):
    profile = load_profile(fixtures / "profile.yaml")
    assert all(n > 0 for n in profile.counts().values()), profile.counts()
    assert profile.simulator and profile.simulator.current_state and profile.generating_function


def test_unknown_keys_are_errors_naming_them():
    with pytest.raises(ProfileError, match=r"t.yaml:3 identity.nickname: unknown key"):
        parse_profile("identity:\n  slug: a\n  nickname: b\n  name: A\n", "t.yaml")


def test_repeated_axiom_numbers_are_refused():
    text = "identity: {slug: a, name: A}\naxioms:\n  - {number: 1, title: X}\n  - {number: 1, title: Y}\n"
    with pytest.raises(ProfileError, match=r"axioms: repeated number\(s\) \[1\]"):
        parse_profile(text, "t.yaml")


def test_yaml_dates_and_years_are_read_as_text():
    profile = parse_profile("identity: {slug: a, name: A, as_of: 2024-03-05}\neras: [{name: E, start: 2024}]\n")
    assert profile.identity.as_of == "2024-03-05"
    assert profile.eras[0].start == "2024"


def test_month_label():
    assert [month_label("2022-11"), month_label("2024"), month_label(None)] == ["Nov 2022", "2024", ""]


def test_iter_quotes_paths(fixtures):
    paths = [path for path, _ in load_profile(fixtures / "profile.yaml").iter_quotes()]
    assert paths == ["axioms[0].quotes[0]", "axioms[1].quotes[0]", "simulator.additional_models[0].quotes[0]"]


# --- errors with line numbers ----------------------------------------------------------------


def test_bad_profile_lists_every_error_with_its_line(fixtures):
    with pytest.raises(ProfileError) as caught:
        load_profile(fixtures / "profile_bad.yaml")
    assert str(caught.value).splitlines() == [
        "profile_bad.yaml: 4 schema error(s)",
        "profile_bad.yaml:6 identity.nickname: unknown key (not in the profile schema; check its spelling)",
        "profile_bad.yaml:13 axioms[1].quotes[0].source: field required",
        "profile_bad.yaml:15 eras[0].start: '2023-13' is not a date: use YYYY, YYYY-MM or YYYY-MM-DD",
        "profile_bad.yaml:17 predictions[0].kind: input should be 'explicit' or 'implicit'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("- a\n- b\n", "must be a YAML mapping"),
        ("identity: {slug: a, name: A\n", r"t.yaml:2: invalid YAML"),
        ("identity: {slug: 'Not A Slug', name: A}\n", "is not a slug"),
    ],
)
def test_malformed_files_give_one_clear_error(text, message):
    with pytest.raises(ProfileError, match=message):
        parse_profile(text, "t.yaml")


def test_invalid_utf8_is_an_error(tmp_path):
    path = tmp_path / "x.yaml"
    path.write_bytes(b"identity: {slug: a, name: \xff}\n")
    with pytest.raises(ProfileError, match="x.yaml: not UTF-8"):
        load_profile(path)


# --- hostile YAML ----------------------------------------------------------------------------


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    started = time.monotonic()
    with pytest.raises(ProfileError, match="alias bomb"):
        parse_profile("\n".join(lines) + "\n", "bomb.yaml")
    assert time.monotonic() - started < 5


def test_recursive_alias_is_refused():
    with pytest.raises(ProfileError, match="recursive YAML alias"):
        parse_profile("identity: &x {slug: a, name: A, handles: [*x]}\n", "loop.yaml")


def test_python_tags_are_never_executed(tmp_path):
    marker = tmp_path / "pwned"
    text = f"identity: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(ProfileError, match="invalid YAML"):
        parse_profile(text, "evil.yaml")
    assert not marker.exists()


@pytest.mark.parametrize("text", ["a: " + "[" * 100_000, "a: " + "{a: " * 5000 + "1" + "}" * 5000])
def test_deep_nesting_is_an_error_not_a_crash(text):
    with pytest.raises(ProfileError, match="deep.yaml: YAML nested too deeply"):
        parse_profile(text, "deep.yaml")


def test_oversized_file_is_refused(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("known_gaps:\n" + "- gap\n" * 1_000_000)
    with pytest.raises(ProfileError, match="the limit is"):
        load_profile(path)


# --- lookup ----------------------------------------------------------------------------------


def test_find_by_slug_path_and_workspace(tmp_path, fixtures):
    assert find_profile("karpathy") == KARPATHY
    assert find_profile(fixtures / "profile.yaml") == fixtures / "profile.yaml"
    (tmp_path / "profiles").mkdir()
    own = tmp_path / "profiles" / "karpathy.yaml"
    own.write_text((fixtures / "profile.yaml").read_text())
    assert find_profile("karpathy", tmp_path) == own
    assert [(e.slug, e.origin) for e in list_profiles(tmp_path)] == [("karpathy", "workspace")]


def test_unknown_slug_lists_known_ones():
    with pytest.raises(ProfileError, match="No profile 'nobody'. Known: karpathy"):
        find_profile("nobody")


def test_missing_path_is_an_error(tmp_path):
    with pytest.raises(ProfileError, match="no such profile file"):
        load_profile(tmp_path / "missing.yaml")


def test_template_validates_and_refuses_bad_slugs():
    profile = parse_profile(profile_template("simon-willison"), "new.yaml")
    assert (profile.slug, profile.name) == ("simon-willison", "Simon Willison")
    with pytest.raises(ProfileError, match="not a valid slug"):
        profile_template("../etc")


# --- the shipped Karpathy profile ------------------------------------------------------------


def test_karpathy_has_every_item_of_the_seed(karpathy):
    assert karpathy.counts() | {"quotes": 0} == {
        "axioms": 10,
        "lineage": 4,
        "mental_models": 8,
        "tensions": 5,
        "predictions": 20,
        "extensions": 5,
        "eras": 4,
        "themes": 0,
        "vocabulary": 0,
        "corpus_claims": 4,
        "known_gaps": 6,
        "additional_models": 8,
        "other_sections": 1,
        "quotes": 0,
    }
    assert [p.kind for p in karpathy.predictions].count("explicit") == 10
    assert [p.kind for p in karpathy.predictions].count("implicit") == 10
    assert [a.number for a in karpathy.axioms] == list(range(1, 11))
    assert karpathy.mental_models_ordered_by_frequency


def test_karpathy_lineage_counts(karpathy):
    lineage = {(e.name, e.role, e.claimed_count, e.count_query) for e in karpathy.lineage}
    assert lineage == {
        ("Tolkien", None, None, "Tolkien"),
        ("Asimov", None, None, 'Asimov OR "Last Question"'),
        ("Factorio", "The Game", 4, "Factorio"),
        ("Simon Willison", "The Contemporary Mirror", 8, '"Simon Willison" OR simonw'),
    }


def test_karpathy_mental_models_in_order(karpathy):
    assert [m.title for m in karpathy.mental_models] == [
        "Parameters = Vague Recollection, Context = Working Memory",
        "Software 1.0/2.0/3.0",
        "LLM as OS kernel",
        "The Autonomy Slider",
        "Discriminator > Generator",
        "Demo = works.any(), Product = works.all()",
        'LLMs as "Lossy Zip File" of the Internet',
        "The Factorio Loop",
    ]
    assert all(m.query for m in karpathy.mental_models)


def test_karpathy_corpus_claims(karpathy):
    claims = [(c.items, c.label, c.words_claimed) for c in karpathy.corpus_claims]
    assert claims == [
        (756, "tweets", 32000),
        (23, "github.io blog posts", 8000),
        (12, "bear blog posts", 4000),
        (5, "arxiv papers", 17000),
    ]
    assert karpathy.corpus_claims[0].date_range == "Nov 2022 - Mar 2026"


def test_karpathy_reconstructed_items_are_marked(karpathy):
    axioms = [a.number for a in karpathy.axioms if a.reconstructed]
    models = [m.rank for m in karpathy.mental_models if m.reconstructed]
    eras = [e.name for e in karpathy.eras if e.reconstructed]
    assert (axioms, models, eras) == ([3, 5, 6], [2, 3], ["The Framework Era"])
    framework = karpathy.eras[2]
    assert ("2023-12" < framework.start <= framework.end <= "2025-11") and framework.reconstruction_note
    assert all(a.reconstruction_note for a in karpathy.axioms if a.reconstructed)
    titles = {a.number: a.title for a in karpathy.axioms}
    assert (titles[3], titles[5], titles[6]) == (
        "Intelligence Amplification > AI",
        "Cost of Understanding → Zero",
        "Legibility Is Safety",
    )


def test_karpathy_quotes_have_sources_and_reconstructed_sources_say_so(karpathy):
    quotes = dict(karpathy.iter_quotes())
    assert len(quotes) >= 25
    for path, quote in quotes.items():
        assert quote.text.strip() and quote.source.title.strip(), path
        if quote.source.reconstructed:
            assert quote.source.reconstruction_note, path


def _page_lines(p: Profile) -> list[str]:
    """The seed page's lines (before the simulator prompt), rebuilt from the profile's data."""
    s = p.sections
    lines = [s.axioms.intro or ""]
    for a in p.axioms:
        lines += [f"Axiom {a.number}", a.title, a.statement, f"Source: {a.source_line()}"]
    lines += [s.lineage.title or "", s.lineage.intro or ""]
    for e in p.lineage:
        # the page labels a role either "The Game: Factorio" or on its own ("The Contemporary Mirror")
        lines += [f"{e.role}: {e.name}" if e.role else "", e.role or "", e.heading(), e.text or ""]
    lines += [s.mental_models.title or "", s.mental_models.intro or ""]
    lines += [x for m in p.mental_models for x in (f"{m.rank}. {m.title}", m.explanation)]
    lines += [s.tensions.title or "", s.tensions.intro or ""]
    lines += [x for t in p.tensions for x in (f"Tension {t.number}", t.title, t.text)]
    lines += [s.predictions.title or "", *(x.line() for x in p.predictions)]
    lines += [s.extensions.title or "", s.extensions.intro or ""]
    lines += [x for e in p.extensions for x in (f"Extension {e.number}: {e.title}", e.domain or "", e.text)]
    lines += [s.eras.title or ""]
    lines += [x for e in p.eras for x in (f"{month_label(e.start)} {month_label(e.end)}", f"{e.name} — {e.summary}")]
    lines += [s.search.title or "", s.search.intro or "", s.search.note or ""]
    lines += [c.line() for c in p.corpus_claims] + [s.known_gaps.title or "", *p.known_gaps]
    assert p.simulator
    return lines + [s.simulator.title or "", f"{s.simulator.intro} {p.simulator.built_from}"]


def test_karpathy_holds_every_line_of_the_seed_page(karpathy):
    seed = require_shared(*SEED).read_text(encoding="utf-8").splitlines()
    page = seed[: next(i for i, line in enumerate(seed) if line.startswith("You are simulating"))]
    rebuilt = set(_page_lines(karpathy))
    # Headings lost in the seed's extraction are absent from it, and two labels are page chrome.
    chrome = {"Explicit", "Implicit / Speculative"}
    missing = [line for line in page if line.strip() and line not in rebuilt and line not in chrome]
    assert missing == []


# --- CLI -------------------------------------------------------------------------------------


def test_cli_check_ok_and_failing(run, fixtures):
    ok = run("profile", "check", fixtures / "profile.yaml")
    assert ok.exit_code == 0
    assert ok.output.startswith("OK: Ada Example (ada): 2 axioms, 1 lineage, 2 mental models")
    bad = run("profile", "check", fixtures / "profile_bad.yaml")
    assert bad.exit_code == 1
    assert "profile_bad.yaml:13 axioms[1].quotes[0].source: field required" in bad.output
    assert "Traceback" not in bad.output


def test_cli_new_list_show_export(run, db, tmp_path):
    """The workspace's profiles live beside its file, or (PostgreSQL) in the current folder: tmp_path."""
    made = run("profile", "new", "ada", "--db", db)
    assert made.exit_code == 0, made.output
    assert (tmp_path / "profiles" / "ada.yaml").is_file()
    assert run("profile", "new", "ada", "--db", db).exit_code == 1
    listed = json.loads(run("profile", "list", "--json", "--db", db).output)
    assert {(e["slug"], e["origin"]) for e in listed} == {("ada", "workspace"), ("karpathy", "package")}
    shown = run("profile", "show", "karpathy", "--db", db)
    assert "3. Intelligence Amplification > AI [reconstructed]" in shown.output
    data = json.loads(run("profile", "show", "ada", "--json", "--db", db).output)
    assert data["identity"]["name"] == "Ada"
    exported = run("profile", "export", "karpathy", "--db", db).output
    assert parse_profile(exported, "exported.yaml") == load_profile("karpathy")
    as_json = json.loads(run("profile", "export", "karpathy", "--format", "json", "--db", db).output)
    assert Profile.model_validate(as_json) == load_profile("karpathy")


def test_cli_new_with_out(run, tmp_path):
    out = tmp_path / "x" / "simonw.yaml"
    assert run("profile", "new", "simonw", "--out", out).exit_code == 0
    assert load_profile(out).slug == "simonw"
    assert "not a valid slug" in run("profile", "new", "Bad Slug", "--out", tmp_path / "b.yaml").output


def test_cli_show_unknown_slug(run, db):
    result = run("profile", "show", "nobody", "--db", db)
    assert result.exit_code == 1
    assert "No profile 'nobody'" in result.output
