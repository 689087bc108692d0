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
