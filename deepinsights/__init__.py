"""deep-insights: a thinker's archive as a searchable, verified profile.

The public Python API; the ``insights`` CLI is a thin layer over these.
"""

from __future__ import annotations

from .ask import Answer, ask
from .errors import DeepInsightsError
from .hookspecs import hookimpl
from .importers import ImportOptions
from .ingest import run_import
from .models import Document, ImportReport, SearchHit
from .profile import Profile, load_profile
from .search import SearchResults, search
from .store import Store
from .verify import check_quotes, verify_profile

__all__ = [
    "Answer",
    "DeepInsightsError",
    "Document",
    "ImportOptions",
    "ImportReport",
    "Profile",
    "SearchHit",
    "SearchResults",
    "Store",
    "ask",
    "check_quotes",
    "hookimpl",
    "load_profile",
    "run_import",
    "search",
    "verify_profile",
]
