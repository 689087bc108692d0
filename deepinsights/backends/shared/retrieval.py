"""One search's rankings in one call: ``Retrieval.retrieve`` runs what a ``SearchPlan`` asks for, both backends alike.

``semantic.hybrid`` plans a search (the queries, the query's vector, the depths) and fuses
what comes back; between the two it enters the workspace once to rank, here, and once more
for the snippets of the hits it shows (``dress``). ``retrieve`` runs the vector ranking (the
backend's nearest-neighbour index), then the BM25 ranking (the backend's ``search``, its hits
without snippets) with its any-word stand-in when every word finds nothing, and reads every
passage the vector ranking returned in one query (``near_passages``): the document,
text and display fields fusion needs. ``Retrieval`` is a mixin ``sqlite.Store`` and
``postgresql.PgStore`` inherit, written once on each backend's own primitives.

It ranks nothing across the two rankings, computes no vector and opens no connection.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol

from ...models import Candidates, NearPassage, SearchFilter, SearchPlan, SearchResults
from .reads import HIT_COLUMNS, HIT_FROM, hit, marks
from .vectors import CHUNK, Vectors


class Nearest(Protocol):
    """What ``retrieve`` asks of a backend's nearest-neighbour index."""

    def nearest(self, vector: Vectors, filters: SearchFilter, depth: int) -> list[tuple[int, float]]: ...


class Retrieval:
    """``retrieve`` and ``near_passages``; backends give ``rows``, ``search`` and ``vector_index``."""

    if TYPE_CHECKING:  # subtle: declared for mypy only, so that no stub stands before a backend's own in the MRO

        def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]: ...

        def search(
            self,
            q: str,
            filters: SearchFilter | None = None,
            *,
            raw: bool = False,
            prefix_last: bool = False,
            candidates: int | None = None,
            snippets: bool = True,
        ) -> SearchResults: ...

        def vector_index(self, model: str) -> Nearest: ...

    def retrieve(self, plan: SearchPlan) -> Candidates:
        """Run the rankings ``plan`` names and read the passages the vector ranking returned.

        Raises what the rankings raise: EmbeddingError (with the fix) when the workspace has
        no vectors of ``plan.model``, SearchError for a malformed ``raw`` query.
        """
        # subtle: both rankings run on this thread, one after the other: a sqlite3 connection
        # shared with a worker thread crashed the process when it was closed mid-query.
        nearest = self._nearest(plan)
        words, any_word = self._words(plan)
        return Candidates(words, any_word, nearest, self.near_passages([pid for pid, _ in nearest]))

    def _nearest(self, plan: SearchPlan) -> list[tuple[int, float]]:
        if plan.model is None or plan.near is None:
            return []
        index = self.vector_index(plan.model)  # raises, with the fix, when there are no vectors of this model
        if plan.vector is None:  # subtle: the planner expected that refusal; the vectors arrived since it asked
            return []
        return index.nearest(plan.vector, plan.near, plan.near.limit)

    def _words(self, plan: SearchPlan) -> tuple[SearchResults, bool]:
        """The BM25 ranking: every word; when that finds nothing, the plan's any-word query in its place."""
        if plan.words is None:
            return SearchResults(query=plan.q, fts_query=""), False
        options: dict[str, Any] = {"raw": plan.raw, "prefix_last": plan.prefix_last, "candidates": plan.candidates}
        found = self.search(plan.q, plan.words, snippets=False, **options)
        if found.hits or not plan.any_word:
            return found, False
        return self.search(plan.any_word, plan.words, raw=True, candidates=plan.candidates, snippets=False), True

    def near_passages(self, ids: list[int]) -> dict[int, NearPassage]:
        """These passages (those still stored) as fusion reads them, by id: one query per ``CHUNK`` ids."""
        found: dict[int, NearPassage] = {}
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i : i + CHUNK]
            rows = self.rows(
                f"SELECT {HIT_COLUMNS}, p.title AS ptitle, v.text_hash FROM {HIT_FROM} "
                f"LEFT JOIN passage_vectors v ON v.passage_id = p.id WHERE p.id IN ({marks(chunk)})",
                chunk,
            )
            found.update((int(r["pid"]), NearPassage(hit(r, None, 0.0), r["ptitle"], r["text_hash"])) for r in rows)
        return found
