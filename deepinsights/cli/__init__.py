"""The ``insights`` command group. Each command parses options, calls one library
function and prints the result; library errors become one-line ``Error:`` messages.

A command's module is imported only when that command runs (``LazyGroup``), so ``insights
search`` does not pay for the libraries behind ``ask``, ``distill`` or ``serve``.
"""

from __future__ import annotations

import importlib

import click

from .. import config
from ..plugins import load_plugins, pm

__all__ = ["cli"]

COMMAND_MODULES = {  # each built-in command, and the module of deepinsights.cli that defines it
    "import": "corpus",
    "search": "searching",
    "stats": "corpus",
    "imports": "corpus",
    "profile": "profiles",
    "prompt": "profiles",
    "verify": "verifying",
    "serve": "site",
    "export-site": "site",
    "ask": "asking",
    "chat": "asking",
    "models": "asking",
    "distill": "distilling",
    "compare": "comparing",
    "eval": "evaluating",
    "index": "semantic",
    "similar": "semantic",
    "db": "database",
}


class LazyGroup(click.Group):
    """A group whose built-in commands are imported on first use (click's documented lazy-loading pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMAND_MODULES})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            load_module(self, COMMAND_MODULES[cmd_name])
        return super().get_command(ctx, cmd_name)


def load_module(group: click.Group, name: str) -> None:
    """Add the commands of ``deepinsights.cli.<name>`` to ``group`` (plugins' commands of the same name win)."""
    module = importlib.import_module(f".{name}", __name__)
    for command in module.COMMANDS:
        if command.name not in group.commands:
            group.add_command(command)
    if name == "asking":  # ``insights models`` also holds install-embedding and install-speech, defined elsewhere
        from . import semantic, speech

        for command in [*semantic.MODEL_COMMANDS, *speech.MODEL_COMMANDS]:
            module.models.add_command(command)


@click.group(cls=LazyGroup)
@click.version_option(package_name="deep-insights")
def cli() -> None:
    """deep-insights: import a thinker's archive, search it, check and serve their profile.

    \b
    Example usage:
        insights import ~/archives/twitter-2024.zip --thinker karpathy
        insights search "tokenizer"
        insights verify karpathy
        insights serve karpathy
        insights ask karpathy "Why build things from scratch?" -m MODEL
    """
    for notice in config.renamed_in_environment():
        click.echo(f"Warning: {notice}", err=True)


load_plugins()
pm.hook.register_commands(cli=cli)
