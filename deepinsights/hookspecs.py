"""The plugin hooks deep-insights offers (pluggy). Each is documented in docs/plugins.md."""

from __future__ import annotations

from typing import Any

import pluggy

hookspec = pluggy.HookspecMarker("deepinsights")
hookimpl = pluggy.HookimplMarker("deepinsights")


@hookspec
def register_importers(register: Any) -> None:
    """Call ``register(importer)`` for each importer (an object with name, detect and read) the plugin adds."""


@hookspec
def register_commands(cli: Any) -> None:
    """Add click commands to the ``insights`` command group."""
