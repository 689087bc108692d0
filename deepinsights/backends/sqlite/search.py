"""Full-text search on SQLite: FTS5 with BM25 ranking, planned so that common words stay fast.

The query comes as FTS5 phrases (``query.phrases``) or, with ``raw``, as FTS5 syntax, whose
errors become a ``SearchError``.

subtle: FTS5's ``bm25()`` costs time in proportion to how common the query's words are:
before scoring it counts every passage holding each phrase (its IDF), and it scores
every match. At a million passages "the" alone costs over a second. So a query is
planned first (all costs measured in ``bench/bench_search.py``):

* *selective* (at most ``candidates`` matches, no very common word): every match is
  ranked by ``bm25()``: exactly what a naive ``ORDER BY bm25`` returns;
* a phrase found in more than half the passages (IDF clamped to ~0 by BM25 anyway) or
  in more than ``IDF_BUDGET`` passages (its IDF alone would cost milliseconds) is still
  required but not weighted, listed in ``SearchResults.unweighted``; when no phrase is
  left to weight, matches come most recently imported first with score 0;
* *non-selective* (more than ``candidates`` matches): the ``candidates`` most recently
  imported matches are ranked and ``SearchResults.capped`` says so. With filters, the
  scan (newest first) also stops at ``FILTER_DEADLINE`` and ranks what it found.

How common a phrase is, is estimated from the newest ``SAMPLE_ROWS`` passages; in a corpus
no larger than that every phrase is weighted. This module does not write, and does not
decide what is indexed (the store and its migrations do); filters, hits and transcript
moments are ``backends.shared``'s, as on PostgreSQL.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from ...errors import SearchError
from ...models import HIGHLIGHT_END, HIGHLIGHT_START, SearchFilter, SearchHit, SearchResults, storable
from ...query import phrases as query_phrases
from ..shared.reads import HIT_COLUMNS, HIT_FROM, FilterSql, hit, marks

SAMPLE_ROWS = 20_000
IDF_BUDGET = 100_000
SEEK_COST = 10
FILTER_DEADLINE = 0.010  # seconds a filtered scan may run before it ranks what it found
PROGRESS_STEP = 1000  # SQLite VM instructions between two deadline checks
MIN_STEPS = 20
BM25 = "bm25(f.passages_fts, 2.0, 1.0)"

Rows = Callable[[str, Sequence[Any]], list[dict[str, Any]]]


def bm25(
    conn: sqlite3.Connection,
    rows: Rows,
    q: str,
    filters: SearchFilter,
    *,
    raw: bool,
    prefix_last: bool,
    cap: int,
    filters_index: str | None = None,
) -> SearchResults:
    """The passages matching ``q`` that pass ``filters``, best first, without snippets (``snippets`` makes them).

    ``rows`` runs a read query (the store's); ``cap`` is how many matches are ranked at most;
    ``filters_index``: the covering index of the documents' filtered columns, where the
    workspace has it (migration m013), so each match's document is one lookup.
    """
    phrases = [storable(q.strip())] if raw else query_phrases(q, prefix_last=prefix_last)
    results = SearchResults(query=q, fts_query=" ".join(phrases))
    if not results.fts_query:
        return results
    page = slice(filters.offset, filters.offset + filters.limit)
    try:
        ranked = _Query(conn, phrases, filters, cap, results, filters_index).run()
    except sqlite3.OperationalError as ex:
        if raw:
            raise SearchError(f"Malformed full-text query {q!r}: {ex}. Drop --fts to search for the words.") from None
        raise
    results.hits = _hits(rows, ranked[page])
    return results


class _Query:
    """One search's plan (which phrases to weight, ranked whole or capped) and its execution."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        phrases: list[str],
        filters: SearchFilter,
        cap: int,
        results: SearchResults,
        filters_index: str | None = None,
    ) -> None:
        self.conn = conn
        self.fts = " ".join(phrases)
        self.phrases = phrases
        self.filters = FilterSql.build(filters)
        self.by_kind = bool(filters.kinds)
        self.cap = cap
        self.depth = filters.offset + filters.limit  # the best this many are all the caller reads
        self.results = results
        # subtle: named, as SQLite's planner (without ANALYZE's statistics) prefers the primary key
        self.documents = f"documents d INDEXED BY {filters_index}" if filters_index else "documents d"

    def run(self) -> list[tuple[int, float]]:
        """(passage id, score) of the best ``depth`` ranked matches (or more), best first."""
        if self.filters.sql:
            return self._filtered(self._weighted(None)) if self._any_document_passes() else []
        newest = self._newest(self.cap + 1)
        weighted = self._weighted(newest)
        if len(newest) <= self.cap:
            self.results.matched = len(newest)
            return self._all(newest, weighted)
        sample = newest[: self.cap]
        self.results.matched, self.results.capped = len(sample), True
        return self._rank_sample(sample, weighted)

    # -- which phrases count in the score

    def _weighted(self, matches: list[int] | None) -> list[str]:
        """The phrases worth weighting: in at most half the corpus, and cheap to count (rarest first).

        Every phrase is weighted in a corpus of at most ``SAMPLE_ROWS`` passages, and a lone
        phrase with at most ``cap`` matches: weighting them costs little. ``matches``: the
        ids of the newest matches of the whole query, when known.
        """
        total, newest = _corpus_size(self.conn)
        lone = len(self.phrases) == 1 and matches is not None
        if total <= SAMPLE_ROWS or (lone and len(matches or ()) <= self.cap):
            self.results.unweighted = []
            return self.phrases
        estimate = _Estimator(self.conn, newest, total)
        if lone and matches:  # subtle: the newest matches already tell how dense the phrase is
            estimate.cache[self.phrases[0]] = len(matches) * total // max(newest - matches[-1] + 1, 1)
        keep, spent = set(), 0
        for cost, phrase in sorted((estimate.cost(p), p) for p in self.phrases):
            if estimate.rows(phrase) * 2 > total or spent + cost > IDF_BUDGET:
                continue
            keep.add(phrase)
            spent += cost
        self.results.unweighted = [p for p in self.phrases if p not in keep]
        return [p for p in self.phrases if p in keep]

    # -- ranking

    def _all(self, newest: list[int], weighted: list[str]) -> list[tuple[int, float]]:
        """The best ``depth`` of every match (the selective case): as ORDER BY bm25 when nothing is unweighted."""
        if not weighted:
            return [(rowid, 0.0) for rowid in newest[: self.depth]]
        required = "" if len(weighted) == len(self.phrases) else self.fts
        sql, params = self._select(" ".join(weighted), BM25, required)
        return self._best(sql, params)

    def _any_document_passes(self) -> bool:
        """Cheap (indexed) check that the filters leave something: an unknown thinker, an empty period, a kind not held.

        subtle: the index that holds kinds is (thinker, kind, published_at), and a kind filter
        names no thinker, so SQLite scanned it from the first entry: 5 ms at 100,000 documents
        to find the first tweet after every post, quote and reply. With kinds the check seeks
        each thinker's entries instead, one thinker after another (a loose index scan).
        """
        if self.by_kind:
            source = f"{_EACH_THINKER} SELECT 1 FROM t JOIN documents d ON d.thinker = t.thinker"
        else:
            source = "SELECT 1 FROM documents d"
        sql = f"{source} WHERE {self.filters.sql} LIMIT 1"
        return self.conn.execute(sql, self.filters.params).fetchone() is not None

    def _filtered(self, weighted: list[str]) -> list[tuple[int, float]]:
        """Matches that pass the filters, newest first, scored as the scan finds them, within a work budget.

        The scan is exact (every filtered match ranked) unless it finds more than ``cap``
        matches or passes ``FILTER_DEADLINE``: then what it found is ranked, ``capped``.
        """
        if weighted:
            required = "" if len(weighted) == len(self.phrases) else self.fts
            sql, params = self._select(" ".join(weighted), BM25, required)
        else:
            sql, params = self._select(self.fts, "0")
        rows, complete = _fetch_until_deadline(
            self.conn, f"{sql} ORDER BY f.rowid DESC LIMIT ?", [*params, self.cap + 1]
        )
        complete = complete and len(rows) <= self.cap
        rows = rows[: self.cap]
        self.results.matched, self.results.capped = len(rows), not complete
        return _best_first(rows) if weighted else rows

    def _best(self, sql: str, params: list[Any]) -> list[tuple[int, float]]:
        """The best ``depth`` rows of ``sql`` (rowid, score): SQLite sorts and cuts, Python reads only those."""
        rows = self.conn.execute(f"{sql} ORDER BY score, f.rowid DESC LIMIT ?", [*params, self.depth])
        return [(int(rowid), float(score)) for rowid, score in rows]

    def _select(self, match: str, score: str, required: str = "") -> tuple[str, list[Any]]:
        sql = f"SELECT f.rowid, {score} AS score FROM passages_fts f"
        where, params = ["f.passages_fts MATCH ?"], [match]
        if required:  # subtle: the unweighted phrases still match; "+" keeps FTS5 from one lookup per id
            where.append("+f.rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH ?)")
            params.append(required)
        if self.filters.sql:
            sql += f" JOIN passages p ON p.id = f.rowid JOIN {self.documents} ON d.id = p.document_id"
            where.append(self.filters.sql)
            params.extend(self.filters.params)
        return f"{sql} WHERE {' AND '.join(where)}", params

    def _newest(self, limit: int) -> list[int]:
        """The ids of the newest ``limit`` matches of the whole query, newest first."""
        sql = "SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? ORDER BY rowid DESC LIMIT ?"
        return [rowid for (rowid,) in self.conn.execute(sql, (self.fts, limit))]

    def _rank_sample(self, sample: list[int], weighted: list[str]) -> list[tuple[int, float]]:
        """The best ``depth`` of the sample (a contiguous run of the newest matches) by bm25 of the weighted phrases.

        subtle: the sample is every match of the whole query between its lowest and highest
        id, so ranking the weighted phrases' matches in that range, those of the whole query
        among them when some phrase is unweighted, ranks exactly the sample.
        """
        if not sample or not weighted:
            return [(rowid, 0.0) for rowid in sample[: self.depth]]
        span = [sample[-1], sample[0]]  # newest first: the lowest id is the last
        sql = (
            f"SELECT f.rowid, {BM25} AS score FROM passages_fts f "
            "WHERE f.passages_fts MATCH ? AND f.rowid BETWEEN ? AND ?"
        )
        params: list[Any] = [" ".join(weighted), *span]
        if len(weighted) < len(self.phrases):
            sql += (
                " AND +f.rowid IN (SELECT rowid FROM passages_fts WHERE passages_fts MATCH ? AND rowid BETWEEN ? AND ?)"
            )
            params += [self.fts, *span]
        return self._best(sql, params)


# Every thinker, in order, one index seek each (SQLite has no skip-scan without ANALYZE's statistics).
_EACH_THINKER = (
    "WITH RECURSIVE t(thinker) AS (SELECT min(thinker) FROM documents UNION ALL "
    "SELECT (SELECT min(thinker) FROM documents WHERE thinker > t.thinker) FROM t WHERE t.thinker IS NOT NULL)"
)


class _Estimator:
    """How many passages hold a phrase, scaled from its share of the newest ``SAMPLE_ROWS`` passages."""

    def __init__(self, conn: sqlite3.Connection, newest: int, total: int) -> None:
        self.conn = conn
        self.newest = newest
        self.total = total
        self.cache: dict[str, int] = {}

    def rows(self, phrase: str) -> int:
        if phrase not in self.cache:
            sql = "SELECT count(*) FROM passages_fts WHERE passages_fts MATCH ? AND rowid > ?"
            found = int(self.conn.execute(sql, (phrase, self.newest - SAMPLE_ROWS)).fetchone()[0])
            self.cache[phrase] = found * self.total // SAMPLE_ROWS
        return self.cache[phrase]

    def cost(self, phrase: str) -> int:
        """About how many rows bm25 reads to weight ``phrase`` (its IDF counts every match).

        subtle: a phrase of several words is found by seeking each word's list from the
        rarest word's rows; a seek costs about ``SEEK_COST`` sequential rows.
        """
        words = re.findall(r"\w+", phrase)
        if len(words) <= 1:
            return self.rows(phrase)
        star = "*" if phrase.endswith("*") else ""
        rarest = min(self.rows(f'"{w}"' + (star if i == len(words) - 1 else "")) for i, w in enumerate(words))
        return rarest * SEEK_COST


def _best_first(scored: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """(rowid, bm25) best first (lowest score), ties newest first; sorted in place.

    subtle: two C-keyed sorts, the second stable, instead of one tuple key made by a Python
    lambda per row: a thousand rows sort in a quarter of the time.
    """
    scored.sort(key=itemgetter(0), reverse=True)
    scored.sort(key=itemgetter(1))
    return scored


def _fetch_until_deadline(
    conn: sqlite3.Connection, sql: str, params: list[Any]
) -> tuple[list[tuple[int, float]], bool]:
    """Rows of ``sql`` until it ends (complete: True) or ``FILTER_DEADLINE`` passes (False).

    subtle: the progress handler interrupts the statement from inside SQLite, so one slow
    ``fetchmany`` (a filter that rejects almost every match) cannot overrun the deadline;
    and it never interrupts before ``MIN_STEPS`` handler calls, so a small scan on a busy
    machine still completes and its result does not depend on the machine's load.
    """
    deadline = time.perf_counter() + FILTER_DEADLINE
    steps = 0

    def late() -> int:
        nonlocal steps
        steps += 1
        return int(steps > MIN_STEPS and time.perf_counter() > deadline)

    rows: list[tuple[int, float]] = []
    conn.set_progress_handler(late, PROGRESS_STEP)
    try:
        cursor = conn.execute(sql, params)
        while batch := cursor.fetchmany(16):
            rows.extend((int(rowid), float(score)) for rowid, score in batch)
    except sqlite3.OperationalError as ex:
        if "interrupted" not in str(ex):
            raise
        return rows, False
    finally:
        conn.set_progress_handler(None, 0)
    return rows, True


def _corpus_size(conn: sqlite3.Connection) -> tuple[int, int]:
    """(passages in the index, highest passage id), without counting rows."""
    newest = int(conn.execute("SELECT coalesce(max(id), 0) FROM passages").fetchone()[0])
    row = conn.execute("SELECT block FROM passages_fts_data WHERE id = 1").fetchone()
    total = _varint(row[0]) if row and isinstance(row[0], bytes) and row[0] else None
    if total is None or total > newest:  # subtle: FTS5's 'averages' record starts with the row count
        total = int(conn.execute("SELECT count(*) FROM passages").fetchone()[0])
    return total, newest


def _varint(data: bytes) -> int | None:
    """Decode an SQLite varint (big-endian groups of 7 bits, high bit = more), as FTS5 stores it."""
    value = 0
    for i, byte in enumerate(data[:9]):
        if i == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            return value
    return None


# -- hits ----------------------------------------------------------------------------------


def _hits(rows: Rows, ranked: Sequence[tuple[int, float]]) -> list[SearchHit]:
    """The ranked passages as hits, in order, without snippets (a passage deleted meanwhile drops out)."""
    if not ranked:
        return []
    ids = [rowid for rowid, _ in ranked]
    by_id = {row["pid"]: row for row in rows(f"SELECT {HIT_COLUMNS} FROM {HIT_FROM} WHERE p.id IN ({marks(ids)})", ids)}
    return [hit(by_id[rowid], None, score) for rowid, score in ranked if rowid in by_id]


def snippets(conn: sqlite3.Connection, fts: str, ids: Sequence[int]) -> dict[int, str]:
    """The highlighted snippet of each of these passages that matches the FTS5 query ``fts``, by id."""
    if not ids or not fts:
        return {}
    snippet = f"snippet(passages_fts, 1, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 24)"
    # subtle: one scan of the query's matches between the lowest and highest id, filtered by "+rowid IN"
    # ("+": not handed to FTS5). A plain "rowid IN (…)" runs the full-text query once per id, and a
    # prefix query expands its terms each time: 100 snippets of "kalo*" took 370 ms instead of 8.
    sql = (
        f"SELECT rowid, {snippet} FROM passages_fts WHERE passages_fts MATCH ? "
        f"AND rowid BETWEEN ? AND ? AND +rowid IN ({marks(ids)})"
    )
    return dict(conn.execute(sql, [fts, min(ids), max(ids), *ids]))
