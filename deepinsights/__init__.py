"""deep-insights: a thinker's archive as a searchable, verified profile.

The public Python API; the ``insights`` CLI is a thin layer over these. Each name is imported
on first use (PEP 562), so ``import deepinsights`` and every ``insights`` command pay only for
the modules they use.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .ask import Answer, ask
    from .backends.sqlite import Store
    from .errors import DeepInsightsError
    from .hookspecs import hookimpl
    from .importers import ImportOptions
    from .ingest import run_import
    from .models import Document, ImportReport, SearchFilter, SearchHit
    from .profile import Profile, load_profile
    from .search import SearchResults, search
    from .verify import check_quotes, verify_profile
    from .workspace import Workspace, open_store

__all__ = [
    "Answer",
    "DeepInsightsError",
    "Document",
    "ImportOptions",
    "ImportReport",
    "Profile",
    "SearchFilter",
    "SearchHit",
    "SearchResults",
    "Store",
    "Workspace",
    "ask",
    "check_quotes",
    "hookimpl",
    "load_profile",
    "open_store",
    "run_import",
    "search",
    "verify_profile",
]

_HOME = {  # where each public name lives
    "Answer": ".ask",
    "ask": ".ask",
    "DeepInsightsError": ".errors",
    "hookimpl": ".hookspecs",
    "ImportOptions": ".importers",
    "run_import": ".ingest",
    "Document": ".models",
    "ImportReport": ".models",
    "SearchFilter": ".models",
    "SearchHit": ".models",
    "Profile": ".profile",
    "load_profile": ".profile",
    "SearchResults": ".search",
    "search": ".search",
    "Store": ".backends.sqlite",
    "check_quotes": ".verify",
    "verify_profile": ".verify",
    "Workspace": ".workspace",
    "open_store": ".workspace",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_HOME[name], __name__), name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """subtle: ``search`` and ``ask`` name both a submodule and its function. Importing the submodule
    would set the package's attribute to the module; the function stays what ``deepinsights.search`` is."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name in ("search", "ask") and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
