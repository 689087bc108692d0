"""Verification: check a profile's quotes, counts, order, sources and dates against the corpus.

Reads a profile and the store, never a model or the network; every result is data
(dataclasses with ``to_dict``) that the CLI and the web page render. See
``docs/verification.md`` for the rules and the grounding score.
"""

from __future__ import annotations

from ..models import DocRef
from .here import UNVERIFIABLE_HERE, Gap
from .locate import APPROXIMATE, NOT_FOUND, VERBATIM, DiffOp, Location, Locator, QuoteResult, check_quotes, locate
from .normalize import normalize, words
from .order import OrderCheck, OrderRow
from .quotefile import read_quotes
from .report import CountCheck, ProfileReport, QuoteCheck, Seen, Summary, quote_score, verify_profile
from .sources import SourceCheck

__all__ = [
    "APPROXIMATE",
    "NOT_FOUND",
    "UNVERIFIABLE_HERE",
    "VERBATIM",
    "CountCheck",
    "DiffOp",
    "DocRef",
    "Gap",
    "Location",
    "Locator",
    "OrderCheck",
    "OrderRow",
    "ProfileReport",
    "QuoteCheck",
    "QuoteResult",
    "Seen",
    "SourceCheck",
    "Summary",
    "check_quotes",
    "locate",
    "normalize",
    "quote_score",
    "read_quotes",
    "verify_profile",
    "words",
]
