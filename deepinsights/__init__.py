"""deep-insights: a thinker's archive as a searchable, verified profile.

The public Python API; the ``insights`` CLI is a thin layer over these.
"""

from __future__ import annotations

from .errors import DeepInsightsError
from .hookspecs import hookimpl
from .importers import ImportOptions
from .ingest import run_import
from .models import Document, ImportReport, SearchHit
from .search import SearchResults, search
from .store import Store

__all__ = [
    "DeepInsightsError",
    "Document",
    "ImportOptions",
    "ImportReport",
    "SearchHit",
    "SearchResults",
    "Store",
    "hookimpl",
    "run_import",
    "search",
]
