"""``insights prompt --format llm-template`` with ``$`` in the profile (issue 19 item 10).

llm fills ``$name`` and ``${name}`` in a template's system prompt (``string.Template``): an
unescaped "$5" made llm fail with "Invalid placeholder", and "$input" was replaced by the
user's question. The written template is loaded here with the llm library itself.
"""

from __future__ import annotations

import json

import pytest
import yaml
from llm.templates import Template

from deepinsights.profile.io import parse_profile
from deepinsights.prompt import compile_prompt, render_prompt

DOLLARS = ["It costs $5 a month.", "Answer $input now.", "Then ${input} and ${ x }.", "$$ doubled", "ends in $", "$"]


def _profile_saying(text: str, fixtures):
    source = (fixtures / "profile.yaml").read_text(encoding="utf-8")
    return parse_profile(source.replace("Rebuild it small, then let it run.", json.dumps(text)))


def _llm_renders(template_yaml: str, question: str) -> tuple[str | None, str | None]:
    template = Template(name="ada", **yaml.safe_load(template_yaml))
    assert template.vars() == set()  # no placeholder for llm to fill
    return template.evaluate(question)


@pytest.mark.parametrize("text", DOLLARS)
def test_dollar_in_profile_renders_verbatim_through_llm_template(fixtures, text):
    profile = _profile_saying(text, fixtures)
    expected = compile_prompt(profile)
    assert text in expected
    prompt, system = _llm_renders(render_prompt(profile, "llm-template"), "What is the question?")
    assert system == expected and prompt == "What is the question?"


def test_dollar_input_is_not_replaced_by_the_users_question(fixtures):
    profile = _profile_saying("Answer $input now.", fixtures)
    _, system = _llm_renders(render_prompt(profile, "llm-template"), "SECRET QUESTION")
    assert system is not None and "SECRET QUESTION" not in system and "Answer $input now." in system


def test_cli_writes_a_template_llm_loads(fixtures, tmp_path, run):
    source = (fixtures / "profile.yaml").read_text(encoding="utf-8")
    profile = tmp_path / "ada.yaml"
    profile.write_text(source.replace("Rebuild it small, then let it run.", "'It costs $5; answer $input.'"))
    result = run("prompt", profile, "--format", "llm-template", "--db", tmp_path / "none.db")
    assert result.exit_code == 0, result.output
    _, system = _llm_renders(result.output, "q")
    assert system is not None and "It costs $5; answer $input." in system
