"""insights prompt --format skill | character-card | eliza, each checked against its published format.

* skill: the Agent Skills reference validator (``skills-ref``, agentskills.io's own library);
* character-card: a JSON Schema written from the Character Card V3 specification
  (``tests/schemas/character_card_v3.schema.json``; the spec ships none), and the PNG read back
  with Pillow: its ``ccv3`` tEXt chunk decodes (base64, UTF-8) to the same card;
* eliza: a JSON Schema translated from elizaOS 1.x's strict ``characterSchema``
  (``tests/schemas/elizaos_character.schema.json``).

The workspace holds the fixture corpus for ``ada``; her profile quotes one line that is in it
and one that is not. Only the verified one may ever be an example message.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import jsonschema
import pytest
from PIL import Image

from .webutil import PROFILE_YAML, make_workspace, write_profile

SCHEMAS = Path(__file__).resolve().parent / "schemas"
VERIFIED = "the smallest working version"
INVENTED = "small models always lose to large ones"
PROFILE = PROFILE_YAML.replace(
    "      - text: the smallest working version\n",
    f"      - text: {INVENTED}\n        source: {{title: Smallness post}}\n      - text: {VERIFIED}\n",
)


@pytest.fixture
def ada(db, tmp_path, monkeypatch):
    """The --db of a workspace with ada's corpus and her profile (in the folder its profiles live in)."""
    monkeypatch.chdir(tmp_path)
    make_workspace(db)
    write_profile((tmp_path if db.startswith("postgresql") else Path(db).parent) / "profiles", PROFILE)
    return db


def _schema(name: str) -> dict:
    return json.loads((SCHEMAS / name).read_text())


def test_skill_folder_passes_the_reference_validator(ada, run, tmp_path) -> None:
    from skills_ref import validate

    folder = tmp_path / "skills" / "ada-thinking"
    result = run("prompt", "ada", "--format", "skill", "--out", folder, "--db", ada)
    assert result.exit_code == 0, result.output
    assert validate(folder) == []
    skill = (folder / "SKILL.md").read_text()
    assert skill.startswith("---\nname: ada-thinking\ndescription: Think through a question the way Ada Example")
    assert "You are simulating Ada" in skill  # the compiled profile is the instructions
    for name in ("lineage", "topics", "eras", "predictions", "quotes", "gaps"):
        if (folder / "references" / f"{name}.md").exists():
            assert f"](references/{name}.md)" in skill  # linked, loaded on demand
    quotes = (folder / "references" / "quotes.md").read_text()
    assert VERIFIED in quotes and INVENTED not in quotes
    assert "Feynman" in (folder / "references" / "lineage.md").read_text()


def test_skill_needs_a_folder_named_like_a_skill(ada, run, tmp_path) -> None:
    result = run("prompt", "ada", "--format", "skill", "--db", ada)
    assert result.exit_code == 1 and "pass --out FOLDER" in result.output
    result = run("prompt", "ada", "--format", "skill", "--out", tmp_path / "Ada Skill", "--db", ada)
    assert result.exit_code == 1 and "'Ada Skill' is not a valid Agent Skills name" in result.output
    assert not (tmp_path / "Ada Skill").exists()


def test_rewriting_a_skill_replaces_it_whole(ada, run, tmp_path) -> None:
    folder = tmp_path / "ada"
    folder.mkdir()
    (folder / "stale.md").write_text("old")
    assert run("prompt", "ada", "--format", "skill", "--out", folder, "--db", ada).exit_code == 0
    assert not (folder / "stale.md").exists() and (folder / "SKILL.md").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_character_card_json_follows_the_v3_specification(ada, run) -> None:
    card = json.loads(run("prompt", "ada", "--format", "character-card", "--db", ada).stdout)
    jsonschema.validate(card, _schema("character_card_v3.schema.json"))
    data = card["data"]
    assert data["name"] == "Ada Example" and "You are simulating Ada" in data["system_prompt"]
    assert VERIFIED in data["mes_example"] and INVENTED not in data["mes_example"]
    assert data["mes_example"].startswith("<START>\n{{user}}: What do you think about Small first?\n{{char}}: ")
    keys = {k for entry in data["character_book"]["entries"] for k in entry["keys"]}
    assert "Feynman" in keys  # the lineage is in the lorebook


def test_character_card_png_embeds_the_card_as_front_ends_read_it(ada, run, tmp_path) -> None:
    out = tmp_path / "ada.png"
    assert run("prompt", "ada", "--format", "character-card", "--out", out, "--db", ada).exit_code == 0
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (400, 600)
        chunks = image.text  # the tEXt chunks
    card = json.loads(base64.b64decode(chunks["ccv3"]).decode("utf-8"))
    jsonschema.validate(card, _schema("character_card_v3.schema.json"))
    assert card["data"]["name"] == "Ada Example"
    v2 = json.loads(base64.b64decode(chunks["chara"]).decode("utf-8"))
    assert v2["spec"] == "chara_card_v2" and v2["data"]["creator_notes"].startswith("This character card is Character")


def test_eliza_character_follows_the_elizaos_schema(ada, run, tmp_path) -> None:
    out = tmp_path / "ada.character.json"
    assert run("prompt", "ada", "--format", "eliza", "--out", out, "--db", ada).exit_code == 0
    character = json.loads(out.read_text())
    jsonschema.validate(character, _schema("elizaos_character.schema.json"))
    assert character["postExamples"] == [VERIFIED]
    assert character["messageExamples"][0][1] == {"name": "Ada Example", "content": {"text": VERIFIED}}
    assert 'Draws on Feynman — "What I cannot create"' in character["bio"]
    assert character["adjectives"] == ["small things"]


def test_without_a_workspace_nothing_is_an_example(run, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path / "profiles", PROFILE)
    character = json.loads(run("prompt", "ada", "--format", "eliza").stdout)
    jsonschema.validate(character, _schema("elizaos_character.schema.json"))
    assert character["messageExamples"] == [] and character["postExamples"] == []
    card = json.loads(run("prompt", "ada", "--format", "character-card").stdout)
    assert card["data"]["mes_example"] == "" and "No example messages" in card["data"]["creator_notes"]


def test_schema_checks_can_fail(ada, run) -> None:
    """The schemas are real checks: a card missing a required field or an eliza file with lore fails."""
    card = json.loads(run("prompt", "ada", "--format", "character-card", "--db", ada).stdout)
    del card["data"]["group_only_greetings"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(card, _schema("character_card_v3.schema.json"))
    character = json.loads(run("prompt", "ada", "--format", "eliza", "--db", ada).stdout)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**character, "lore": ["0.x only"]}, _schema("elizaos_character.schema.json"))


def test_the_existing_formats_stay_and_can_go_to_a_file(ada, run, tmp_path) -> None:
    assert "You are simulating Ada" in run("prompt", "ada", "--db", ada).stdout
    out = tmp_path / "ada.json"
    assert run("prompt", "ada", "--format", "json", "--out", out, "--db", ada).exit_code == 0
    assert json.loads(out.read_text())["slug"] == "ada"
