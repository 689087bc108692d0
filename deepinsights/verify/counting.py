"""Recount a profile's numbers in the workspace: documents matching a query, kind totals, dates.

A count is a number of **documents** (not passages), counted exactly: every document
with at least one passage matching the FTS5 query (run raw, as profiles write them:
``Asimov OR "Last Question"``; PostgreSQL reads the same syntax), limited by a
``SearchFilter`` (thinker, kinds, URL substring). There is no candidate cap here, unlike
ranked search. A malformed query raises ``VerificationError`` naming it. This module reads
the workspace only, through ``Workspace.tally``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SearchError, VerificationError
from ..models import SearchFilter, Tally

if TYPE_CHECKING:
    from ..workspace import Workspace

MAX_LISTED = 100


def tally(store: Workspace, scope: SearchFilter, query: str | None = None) -> Tally:
    """Count the documents in ``scope`` (matching ``query`` when given), the oldest ``MAX_LISTED`` listed."""
    try:
        return store.tally(scope, query, listed=MAX_LISTED)
    except SearchError as ex:
        raise VerificationError(f"Count query {query!r} is not valid FTS5: {ex}") from None


def thinker_in_store(store: Workspace, thinker: str) -> bool:
    """True when the workspace holds documents of ``thinker``."""
    return bool(store.kinds(thinker))


def kinds_in_store(store: Workspace, thinker: str | None) -> set[str]:
    """The document kinds present (for one thinker, or all)."""
    return store.kinds(thinker)
