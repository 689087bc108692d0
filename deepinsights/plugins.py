"""The plugin manager: built-in importers register through the same hook as plugins.

Entry-point plugins (``deepinsights`` group) are loaded unless running under tests
(``sys._called_from_test``) or ``DEEPINSIGHTS_LOAD_PLUGINS`` names a comma-separated subset.
"""

from __future__ import annotations

import importlib
import os
import sys

import pluggy

from . import hookspecs

DEFAULT_PLUGINS = (
    "deepinsights.importers.x_archive",
    "deepinsights.importers.mastodon",
    "deepinsights.importers.transcripts",
    "deepinsights.importers.pdf",
    "deepinsights.importers.feed",
    "deepinsights.importers.tabular",
    "deepinsights.importers.html",
    "deepinsights.importers.tweet_text",
    "deepinsights.importers.markdown",
)

pm = pluggy.PluginManager("deepinsights")
pm.add_hookspecs(hookspecs)

_loaded = False


def load_plugins() -> None:
    """Register built-ins (in detection order) and, outside tests, installed plugins."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    # subtle: pluggy calls hooks last-registered first, so built-ins go in reversed and
    # come out in DEFAULT_PLUGINS order, after any plugin (plugins win detection).
    for name in reversed(DEFAULT_PLUGINS):
        pm.register(importlib.import_module(name), name)
    if hasattr(sys, "_called_from_test"):
        return
    wanted = os.environ.get("DEEPINSIGHTS_LOAD_PLUGINS")
    if wanted is None:
        pm.load_setuptools_entrypoints("deepinsights")
        return
    for name in filter(None, (n.strip() for n in wanted.split(","))):
        pm.load_setuptools_entrypoints("deepinsights", name=name)
