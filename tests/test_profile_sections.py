"""The table of profile sections: every list a profile holds is shown by a section, every quote is verified.

``profile.sections.SECTIONS`` is what counts, quote iteration, verification, the page's
contents and template, and the prompt compiler read. These tests fail when a profile list
(above all one whose items carry quotes) is added to the schema but not to the table.
"""

from __future__ import annotations

import typing
from pathlib import Path

from pydantic import BaseModel

from deepinsights.models import Document, ImportReport
from deepinsights.profile.schema import Profile, Quote, SourceRef
from deepinsights.profile.sections import SECTIONS
from deepinsights.prompt import FROM_PAGE_SECTIONS
from deepinsights.verify import verify_profile
from deepinsights.web.page import PageInputs, render_profile, table_of_contents

TEMPLATES = Path(__file__).resolve().parent.parent / "deepinsights" / "web" / "templates" / "sections"
SHOWN = {path for section in SECTIONS for path in section.lists}


def _model(annotation: object) -> type[BaseModel] | None:
    """The pydantic model an annotation names (``X``, ``X | None``), else None."""
    for arg in (annotation, *typing.get_args(annotation)):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def item_lists(model: type[BaseModel] = Profile, prefix: str = "") -> dict[str, type[BaseModel] | None]:
    """Every list field reachable from ``model`` (through nested models), as dotted path → its item model."""
    found: dict[str, type[BaseModel] | None] = {}
    for name, info in model.model_fields.items():
        annotation = info.annotation
        origin = typing.get_origin(annotation)
        if origin is list:
            found[prefix + name] = _model(typing.get_args(annotation)[0])
        elif (nested := _model(annotation)) is not None and nested not in (Quote, SourceRef):
            found.update(item_lists(nested, f"{prefix}{name}."))
    return found


def quoted_lists() -> list[str]:
    return [path for path, item in item_lists().items() if item is not None and "quotes" in item.model_fields]


def test_every_list_of_quoted_items_is_in_a_section():
    """A list whose items carry quotes but is in no section: its quotes would go unverified."""
    missing = [path for path in quoted_lists() if path not in SHOWN]
    assert not missing, f"add these to a Section in profile/sections.py, or their quotes are never verified: {missing}"


def test_every_top_level_list_of_the_profile_is_shown_by_a_section():
    top = {path for path in item_lists() if "." not in path and path not in ("axioms.sources",)}
    assert top <= SHOWN, f"profile lists no page section shows: {sorted(top - SHOWN)}"


def test_the_table_names_only_lists_the_profile_has():
    assert set(item_lists()) >= SHOWN


def a_profile_quoting_nothing_real() -> Profile:
    """One item in every list of quoted items, each with a quote no corpus holds."""
    data: dict[str, typing.Any] = {"identity": {"slug": "nobody", "name": "Nobody"}}
    for path in quoted_lists():
        *parents, name = path.split(".")
        where = data
        for parent in parents:
            where = where.setdefault(parent, {"opening": "You are Nobody."} if parent == "simulator" else {})
        where[name] = [_item(path, f"zqx {path} never said this")]
    return Profile.model_validate(data)


def _item(path: str, text: str) -> dict[str, typing.Any]:
    """An item of the list at ``path``: its required fields filled by type, and one quote of ``text``."""
    model = item_lists()[path]
    assert model is not None
    filled: dict[str, typing.Any] = {}
    for name, info in model.model_fields.items():
        if info.is_required() and name != "quotes":
            filled[name] = _placeholder(info.annotation)
    return {**filled, "quotes": [{"text": text, "source": {"title": "Nowhere"}}]}


def _placeholder(annotation: object) -> typing.Any:
    """A valid value for a required field of this type (the section tests care only about quotes)."""
    for arg in (annotation, *typing.get_args(annotation)):
        if arg is int:
            return 1
        if arg is float:
            return 1.0
        if arg is str:
            return "X"
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)[0]
        if typing.get_origin(arg) is list:
            return []
    return "X"


def test_verify_reports_a_made_up_quote_in_every_quoted_list(store):
    """Every quote is looked for: cited to a source the corpus holds, a made-up one is a failure.

    (Cited to a source the workspace never imported, it would be 'unverifiable here' instead.)
    """
    report = ImportReport()
    with store.transaction():
        report.import_id = store.begin_import(["nowhere"], "nobody")
        store.upsert_documents([Document("markdown", "nowhere.md", "post", "Plain words.", title="Nowhere")], report)
        store.finish_import(report)
    profile = a_profile_quoting_nothing_real()
    failed = {failure.split(": ")[0] for failure in verify_profile(profile, store).failures()}
    assert failed == {f"{path}[0].quotes[0]" for path in quoted_lists()}


def test_counts_cover_every_section_list_and_the_quotes():
    profile = a_profile_quoting_nothing_real()
    counts = profile.counts()
    assert counts["quotes"] == len(quoted_lists())
    assert set(counts) == {path.rsplit(".", 1)[-1] for path in SHOWN} | {"quotes"}


def test_every_section_has_a_template_and_the_page_follows_the_table(fixtures):
    from deepinsights.profile import load_profile

    assert {s.key for s in SECTIONS} == {p.stem for p in TEMPLATES.glob("*.html")}
    profile = load_profile(fixtures / "profile.yaml")
    html = render_profile(profile, PageInputs(slug="ada"))
    anchors = [entry["id"] for entry in table_of_contents(profile)]
    assert anchors == [s.anchor for s in SECTIONS if s.anchor in anchors]
    positions = [html.index(f'<section id="{anchor}"') for anchor in anchors]
    assert positions == sorted(positions), "sections appear in the table's order"


def test_the_prompt_compiles_page_sections_the_table_knows():
    assert set(FROM_PAGE_SECTIONS) <= {s.key for s in SECTIONS}
