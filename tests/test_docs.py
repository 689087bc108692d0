"""Docs are generated from code; these tests fail when code and docs drift apart."""

from __future__ import annotations

import inspect
import subprocess
import sys

import click
import pytest

from deepinsights import hookspecs
from deepinsights.cli import cli
from deepinsights.config import SETTINGS

from .conftest import ROOT

DOCS = ROOT / "docs"


def _commands(group, prefix=()):
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        yield (*prefix, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [" ".join(p) for p, _ in _commands(cli)])
def test_every_command_has_help_and_is_documented(path):
    command = cli
    for part in path.split():
        command = command.get_command(click.Context(command), part)
    assert command.help and command.help.strip(), f"insights {path} has no help text"
    assert f"## insights {path}\n" in (DOCS / "cli-reference.md").read_text()


@pytest.mark.parametrize("name", [n for n in dir(hookspecs) if n.startswith("register_")])
def test_hooks_are_documented_with_their_signature(name):
    signature = f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"
    assert f"## {signature}" in (DOCS / "plugins.md").read_text()


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_settings_are_documented(setting):
    assert f"`{setting.env}`" in (DOCS / "settings.md").read_text()


def test_generated_docs_are_current():
    files = ["README.md", *sorted(str(p.relative_to(ROOT)) for p in DOCS.glob("*.md"))]
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", *files], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, f"Run `make docs`:\n{result.stdout}{result.stderr}"


def test_the_architecture_page_draws_the_layers_the_contract_enforces():
    """docs/architecture.md's picture lists the import-linter layers, top to bottom, and its paths exist."""
    import re
    import tomllib

    text = (DOCS / "architecture.md").read_text()
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    picture = text.split("```")[1]
    drawn = [line.split("   ")[0].strip() for line in picture.splitlines() if line.strip() and line[1:2] != " "]
    layers = [
        " | ".join(name.removeprefix("deepinsights.") for name in layer.split(" | ")) for layer in contract["layers"]
    ]
    assert drawn == layers
    for path in re.findall(r"`((?:deepinsights|tests|docs)/[\w/.]+\.(?:py|html|md|yaml))`", text):
        assert (ROOT / path).exists(), path


def test_every_module_has_a_place_in_the_layers_contract():
    """A module missing from the contract is checked by nobody: lint-imports cannot see it break the layers."""
    import tomllib

    layers = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]["layers"]
    placed = {name.strip() for layer in layers for name in layer.split("|")}
    package = ROOT / "deepinsights"
    modules = {
        f"deepinsights.{p.stem if p.suffix == '.py' else p.name}"
        for p in package.iterdir()
        if not p.name.startswith("__") and (p.suffix == ".py" or (p / "__init__.py").exists())
    }
    assert modules == placed
