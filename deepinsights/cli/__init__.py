"""The ``insights`` command group. Each command parses options, calls one library
function and prints the result; library errors become one-line ``Error:`` messages."""

from __future__ import annotations

import click

from ..plugins import load_plugins, pm
from . import asking, corpus, database, distilling, profiles, semantic, site, verifying

__all__ = ["cli"]


@click.group()
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


for module in (corpus, profiles, verifying, site, asking, distilling, semantic, database):
    for command in module.COMMANDS:
        cli.add_command(command)
for command in semantic.MODEL_COMMANDS:
    asking.models.add_command(command)

load_plugins()
pm.hook.register_commands(cli=cli)
