"""The reads both backends answer alike: documents, passages, stats, imports, search and verify's lookups.

``CorpusReads`` is a mixin ``sqlite.Store`` and ``postgresql.PgStore`` inherit; its SQL is
written once with ``?`` placeholders, and each backend gives ``rows``, ``_bm25`` (its own
ranking, as hits without snippets), ``_snippets`` (its own highlighting) and ``_matching``
(the passages a query in the FTS5 language matches, as a subquery: FTS5 on SQLite, the
tsvector column on PostgreSQL). ``FilterSql`` is a ``SearchFilter`` as SQL; ``hit`` makes a
``SearchHit`` of a ``HIT_COLUMNS`` row, for both backends' search.

It opens no connection and imports no driver; each backend does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from ... import config
from ...errors import SearchError
from ...models import HIGHLIGHT_END, HIGHLIGHT_START, DocRef, SearchFilter, SearchHit, SearchResults, Tally
from ...moments import Timeline, moment, offset_in, timeline_of

PASSAGE_FIELDS = 'id, document_id, ordinal, start, "end", title, text, anchor, url'  # not PostgreSQL's tsv


class CorpusReads:
    """Read queries both backends answer alike; subclasses give ``rows`` (``?`` placeholders)."""

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        raise NotImplementedError

    def stream(self, sql: str, params: Iterable[Any] = ()) -> Iterator[tuple[Any, ...]]:
        raise NotImplementedError

    def document(self, doc_id: str) -> dict[str, Any] | None:
        """Return the stored document with this id, or None."""
        found = self.rows("SELECT * FROM documents WHERE id = ?", [doc_id])
        return found[0] if found else None

    def passages(self, doc_id: str) -> list[dict[str, Any]]:
        """The passages of a document, in order."""
        return self.rows(f"SELECT {PASSAGE_FIELDS} FROM passages WHERE document_id = ? ORDER BY ordinal", [doc_id])

    def passage(self, passage_id: int) -> dict[str, Any] | None:
        """Return the passage with this id, or None."""
        found = self.rows(f"SELECT {PASSAGE_FIELDS} FROM passages WHERE id = ?", [passage_id])
        return found[0] if found else None

    def stats(self, thinker: str | None = None) -> list[dict[str, Any]]:
        """Per thinker and kind: items, words, first and last date (ISO 8601)."""
        where, params = ("WHERE thinker = ?", [thinker]) if thinker else ("", [])
        return self.rows(
            "SELECT thinker, kind, count(*) AS items, sum(words) AS words, "
            "min(published_at) AS first, max(published_at) AS last "
            f"FROM documents {where} GROUP BY thinker, kind ORDER BY thinker, items DESC",
            params,
        )

    def kinds(self, thinker: str | None = None) -> set[str]:
        """The document kinds present (of one thinker, or of all)."""
        where, params = ("WHERE thinker = ?", [thinker]) if thinker is not None else ("", [])
        return {r["kind"] for r in self.rows(f"SELECT DISTINCT kind FROM documents {where}", params)}

    def stream_documents(self, thinkers: list[str]) -> Iterator[tuple[Any, ...]]:
        """(id, thinker, kind, title, url, published_at) of these thinkers' documents (all when none), by date."""
        where = f" WHERE thinker IN ({marks(thinkers)})" if thinkers else ""
        sql = f"SELECT id, thinker, kind, title, url, published_at FROM documents{where} ORDER BY published_at, id"
        return self.stream(sql, thinkers)

    def stream_passages(self, thinkers: list[str]) -> Iterator[tuple[Any, ...]]:
        """(document id, text, url, anchor) of these thinkers' passages (all when none), by passage id."""
        where = f" WHERE d.thinker IN ({marks(thinkers)})" if thinkers else ""
        sql = (
            "SELECT p.document_id, p.text, p.url, p.anchor FROM passages p JOIN documents d ON d.id = p.document_id"
            f"{where} ORDER BY p.id"
        )
        return self.stream(sql, thinkers)

    def passage_count(self, thinkers: list[str]) -> int:
        """How many passages ``stream_passages(thinkers)`` yields."""
        if not thinkers:
            return int(self.rows("SELECT count(*) AS n FROM passages")[0]["n"])
        sql = f"SELECT count(*) AS n FROM {HIT_FROM} WHERE d.thinker IN ({marks(thinkers)})"
        return int(self.rows(sql, thinkers)[0]["n"])

    def thinkers(self) -> list[str]:
        """Every thinker with at least one document, sorted."""
        return [r["thinker"] for r in self.rows("SELECT DISTINCT thinker FROM documents ORDER BY thinker")]

    def imports(self) -> list[dict[str, Any]]:
        """Every finished import, oldest first, with its paths, skipped records and per-source counts."""
        rows = self.rows("SELECT * FROM imports WHERE finished_at IS NOT NULL ORDER BY id")
        for row in rows:
            for key in ("paths", "skipped", "sources"):
                row[key] = json.loads(row[key]) if row[key] else []
            # subtle: warnings share the skipped column (no migration), told apart by their flag
            entries = row["skipped"]
            row["skipped"] = [e for e in entries if not e.get("warning")]
            row["warnings"] = [{"path": e["path"], "reason": e["reason"]} for e in entries if e.get("warning")]
            row["provenance"] = json.loads(row["provenance"]) if row.get("provenance") else {}
        return rows

    def document_count(self, thinkers: list[str] | None = None) -> int:
        """Number of stored documents (of these thinkers: what ``stream_documents(thinkers)`` yields)."""
        if not thinkers:
            return int(self.rows("SELECT count(*) AS n FROM documents")[0]["n"])
        sql = f"SELECT count(*) AS n FROM documents WHERE thinker IN ({marks(thinkers)})"
        return int(self.rows(sql, thinkers)[0]["n"])

    # -- one thinker's writing (distill) --------------------------------------------

    def thinker_passages(self, filters: SearchFilter, *, own_only: bool = False) -> Iterator[tuple[Any, ...]]:
        """Every passage passing ``filters`` (with ``own_only``: holding some own words), in date order.

        Rows are (document id, passage id, kind, source, published_at, url, document title,
        text, own share, document's others spans, start, end); undated documents come first.
        """
        built = FilterSql.build(filters)
        where = " AND ".join(c for c in (built.sql, "p.own > 0" if own_only else "") if c) or "1 = 1"
        sql = (
            "SELECT d.id, p.id, d.kind, d.source, d.published_at, coalesce(p.url, d.url), d.title, p.text, p.own, "
            f'd.others, p.start, p."end" FROM passages p JOIN documents d ON d.id = p.document_id WHERE {where} '
            # subtle: NULLS FIRST is SQLite's default order and must be said to PostgreSQL (NULLS LAST there)
            "ORDER BY d.published_at NULLS FIRST, d.id, p.ordinal"
        )
        return self.stream(sql, built.params)

    def months(self, thinker: str) -> list[str]:
        """The months (``YYYY-MM``) in which ``thinker`` published something, in order."""
        sql = (
            "SELECT DISTINCT substr(published_at, 1, 7) AS month FROM documents "
            "WHERE thinker = ? AND published_at IS NOT NULL ORDER BY month"
        )
        return [r["month"] for r in self.rows(sql, [thinker])]

    def undated_count(self, thinker: str) -> int:
        """How many of ``thinker``'s documents have no date."""
        sql = "SELECT count(*) AS n FROM documents WHERE thinker = ? AND published_at IS NULL"
        return int(self.rows(sql, [thinker])[0]["n"])

    def source_ids(self, thinker: str, kind: str) -> dict[str, str]:
        """Document id -> native id (a path, for files) of ``thinker``'s documents of ``kind``."""
        sql = "SELECT id, source_id FROM documents WHERE thinker = ? AND kind = ?"
        return {r["id"]: str(r["source_id"]) for r in self.rows(sql, [thinker, kind])}

    def metas(self, thinker: str, *, containing: str) -> list[tuple[str, str | None, str]]:
        """(document id, published_at, meta JSON) of ``thinker``'s documents whose meta holds ``containing``, by id."""
        sql = "SELECT id, published_at, meta FROM documents WHERE thinker = ? AND meta LIKE ? ESCAPE '\\' ORDER BY id"
        escaped = containing.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return [(r["id"], r["published_at"], r["meta"]) for r in self.rows(sql, [thinker, f"%{escaped}%"])]

    # -- documents by filter and query (verify's recounts and sources) --------------

    _malformed: tuple[type[Exception], ...] = ()  # what running a malformed FTS5 query raises here

    def _matching(self, queries: list[str]) -> list[tuple[str, list[Any]]]:
        """For each FTS5 query, ``SELECT … AS pid`` of the passages it matches, and its parameters."""
        raise NotImplementedError

    def _read_matching(self, query: str, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        """``rows``, with a malformed FTS5 query (however this backend notices it) a ``SearchError``."""
        try:
            return self.rows(sql, params)
        except self._malformed as ex:
            raise SearchError(f"Malformed full-text query {query!r}: {ex}") from None

    def _documents_where(self, filters: SearchFilter, query: str | None) -> tuple[str, list[Any]]:
        built = FilterSql.build(filters)
        where, params = [built.sql or "1 = 1"], list(built.params)
        if query:
            match, match_params = self._matching([query])[0]
            where.append(f"d.id IN (SELECT p.document_id FROM ({match}) f JOIN passages p ON p.id = f.pid)")
            params.extend(match_params)
        return " AND ".join(where), params

    def documents_matching(
        self, filters: SearchFilter, query: str | None = None, *, limit: int, by_date: bool = False
    ) -> list[DocRef]:
        """Up to ``limit`` documents passing ``filters`` that (with ``query``) have a passage matching it.

        ``query`` is the FTS5 query language, run as written (a malformed one raises
        ``SearchError``); ``by_date``: oldest first (undated last), else in no particular order.
        """
        where, params = self._documents_where(filters, query)
        order = " ORDER BY d.published_at IS NULL, d.published_at, d.id" if by_date else ""
        sql = f"SELECT d.id, d.kind, d.title, d.url, d.published_at FROM documents d WHERE {where}{order} LIMIT ?"
        rows = self._read_matching(query or "", sql, [*params, limit])
        return [DocRef(r["id"], r["kind"], r["title"], r["url"], r["published_at"]) for r in rows]

    def tally(self, filters: SearchFilter, query: str | None = None, *, listed: int = 100) -> Tally:
        """How many documents pass ``filters`` (and match ``query``), their words and dates, the oldest ``listed``."""
        where, params = self._documents_where(filters, query)
        select = "count(*) AS n, coalesce(sum(d.words), 0) AS w, min(d.published_at) AS a, max(d.published_at) AS b"
        totals = self._read_matching(query or "", f"SELECT {select} FROM documents d WHERE {where}", params)[0]
        found = self.documents_matching(filters, query, limit=listed, by_date=True)
        return Tally(int(totals["n"]), int(totals["w"]), totals["a"], totals["b"], found)

    # -- passages by full-text query (verify's quote locator) ------------------------

    def count_matches(self, queries: list[str], cap: int) -> list[int]:
        """Passages each FTS5 query matches, counted up to ``cap`` (all in one statement)."""
        matches = self._matching(queries)
        counts = ", ".join(f"(SELECT count(*) FROM ({sql} LIMIT ?) s{i}) AS n{i}" for i, (sql, _) in enumerate(matches))
        row = self.rows(f"SELECT {counts}", [p for _, ps in matches for p in (*ps, cap)])[0]
        return [int(row[f"n{i}"]) for i in range(len(queries))]

    def passages_matching_most(self, queries: list[str], *, thinker: str | None, limit: int) -> list[int]:
        """Passages (of ``thinker``'s documents) matching any query, those matching most first, then by id."""
        matches = self._matching(queries)
        union = " UNION ALL ".join(sql for sql, _ in matches)
        join, params = _of_thinker(thinker)
        sql = f"WITH s AS ({union}) SELECT s.pid FROM s {join} GROUP BY s.pid ORDER BY count(*) DESC, s.pid LIMIT ?"
        found = self.rows(sql, [*(p for _, ps in matches for p in ps), *params, limit])
        return [int(r["pid"]) for r in found]

    def passages_matching(self, query: str, *, thinker: str | None, limit: int) -> list[int]:
        """Up to ``limit`` passages (of ``thinker``'s documents) matching the FTS5 ``query``, in no particular order."""
        match, match_params = self._matching([query])[0]
        join, params = _of_thinker(thinker)
        rows = self.rows(f"SELECT s.pid FROM ({match}) s {join} LIMIT ?", [*match_params, *params, limit])
        return [int(r["pid"]) for r in rows]

    def phrase_query(self, words: list[str], text: str) -> str:
        """The FTS5 query for a phrase of these (tokenized) ``words``, whose own ``text`` is given too."""
        return '"' + " ".join(words) + '"'

    def passage_positions(self, ids: list[int]) -> list[dict[str, Any]]:
        """(id, document_id, ordinal) of these passages, in the order of ``ids``."""
        if not ids:
            return []
        rows = self.rows(f"SELECT id, document_id, ordinal FROM passages WHERE id IN ({marks(ids)})", ids)
        order = {pid: i for i, pid in enumerate(ids)}
        return sorted(rows, key=lambda r: order[r["id"]])

    def passage_neighbourhoods(self, places: list[tuple[str, int]]) -> list[dict[str, Any]]:
        """The passages at and beside each (document id, ordinal), by document and ordinal, each once."""
        if not places:
            return []
        one = (
            "SELECT id, document_id, ordinal, start, text, anchor, url FROM passages WHERE document_id = ? "
            "AND ordinal BETWEEN ? AND ?"
        )
        sql = " UNION ".join([one] * len(places)) + " ORDER BY document_id, ordinal"
        return self.rows(sql, [v for doc, ordinal in places for v in (doc, ordinal - 1, ordinal + 1)])

    def documents_by_id(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """id, thinker, kind, title, url, published_at and meta of these documents, by id."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        sql = f"SELECT id, thinker, kind, title, url, published_at, meta FROM documents WHERE id IN ({marks(wanted)})"
        return {r["id"]: r for r in self.rows(sql, wanted)}

    # -- full-text search -----------------------------------------------------------

    def search(
        self,
        q: str,
        filters: SearchFilter | None = None,
        *,
        raw: bool = False,
        prefix_last: bool = False,
        candidates: int | None = None,
        snippets: bool = True,
    ) -> SearchResults:
        """The passages matching ``q`` that pass ``filters``, best first, with highlighted snippets.

        ``q`` is plain text (every word required; ``prefix_last``: its last word a prefix, as
        one types) or, with ``raw``, the FTS5 query language (a malformed one raises
        ``SearchError``). At most ``candidates`` matches are ranked (default: the setting);
        an empty query returns no hits. A hit in a timed transcript points at its moment.
        Without ``snippets`` the hits have none (and no moment): the caller ``dress``es the
        few it shows.
        """
        cap = candidates or int(config.SEARCH_CANDIDATES.value())
        results = self._bm25(q, filters or SearchFilter(), raw=raw, prefix_last=prefix_last, cap=cap)
        if snippets:
            results.hits = self.dress(results.hits, results.fts_query)
        return results

    def dress(self, hits: list[SearchHit], fts_query: str) -> list[SearchHit]:
        """These hits as a reader sees them: each passage that matches ``fts_query`` with its words highlighted.

        ``fts_query`` is the backend's own (``SearchResults.fts_query`` of the search that
        found them); a hit in a timed transcript then points at the moment its words are
        spoken. Hits whose passage does not match keep their snippet. A search ranks many
        passages and shows a few: making snippets only for those is most of what a page of
        hits costs.
        """
        found = self._snippets(fts_query, [h.passage_id for h in hits]) if fts_query and hits else {}
        dressed = [h.but(snippet=found[h.passage_id]) if h.passage_id in found else h for h in hits]
        return self._at_moments(dressed)

    def _bm25(self, q: str, filters: SearchFilter, *, raw: bool, prefix_last: bool, cap: int) -> SearchResults:
        raise NotImplementedError

    def _snippets(self, fts_query: str, ids: list[int]) -> dict[int, str]:
        raise NotImplementedError

    def _at_moments(self, hits: list[SearchHit]) -> list[SearchHit]:
        """Hits in timed transcripts anchored at the segment that speaks their first matched word.

        A passage's own anchor is where it starts, up to a minute before the words searched for;
        the document's timeline (``moments``) places them to the segment. Other hits are unchanged.
        """
        timed = [h for h in hits if h.kind == "transcript" and HIGHLIGHT_START in h.snippet]
        if not timed:
            return hits
        doc_ids, passage_ids = sorted({h.id for h in timed}), sorted({h.passage_id for h in timed})
        docs = {
            r["id"]: (timeline_of(r["meta"]), r["url"])
            for r in self.rows(f"SELECT id, meta, url FROM documents WHERE id IN ({marks(doc_ids)})", doc_ids)
        }
        starts = {
            r["id"]: int(r["start"])
            for r in self.rows(f"SELECT id, start FROM passages WHERE id IN ({marks(passage_ids)})", passage_ids)
        }
        return [_at_moment(h, docs.get(h.id), starts.get(h.passage_id)) for h in hits]


def _of_thinker(thinker: str | None) -> tuple[str, list[Any]]:
    """A join that keeps matches (``s.pid``) of ``thinker``'s documents (none: every document)."""
    if thinker is None:
        return "", []
    return "JOIN passages p ON p.id = s.pid JOIN documents d ON d.id = p.document_id WHERE d.thinker = ?", [thinker]


def _at_moment(hit: SearchHit, doc: tuple[Timeline, str | None] | None, start: int | None) -> SearchHit:
    if doc is None or start is None or not doc[0] or HIGHLIGHT_START not in hit.snippet:
        return hit
    local = offset_in(hit.text, hit.snippet, HIGHLIGHT_START, HIGHLIGHT_END)
    found = moment(doc[0], start + local, doc[1]) if local is not None else None
    if found is None:
        return hit
    label, url = found
    return hit.but(anchor_label=label, url=url or hit.url)


def marks(values: Sequence[Any]) -> str:
    """``?, ?, ?``: one placeholder per value."""
    return ", ".join("?" * len(values))


@dataclass
class FilterSql:
    """A ``SearchFilter``'s conditions as SQL on the joined document ``d`` (empty ``sql`` when there are none)."""

    sql: str = ""
    params: list[Any] = field(default_factory=list)

    @classmethod
    def build(cls, filters: SearchFilter) -> FilterSql:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.kinds:
            clauses.append(f"d.kind IN ({marks(filters.kinds)})")
            params.extend(filters.kinds)
        if filters.thinker:
            clauses.append("d.thinker = ?")
            params.append(filters.thinker)
        if filters.since:
            clauses.append("d.published_at >= ?")
            params.append(filters.since)
        if bound := filters.until_bound():
            clauses.append("d.published_at <= ?" if bound[1] else "d.published_at < ?")
            params.append(bound[0])
        if filters.url_contains:  # subtle: both dialects run LIKE … ESCAPE; any case, wildcards taken literally
            clauses.append("lower(coalesce(d.url, '')) LIKE lower(?) ESCAPE '\\'")
            escaped = filters.url_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(f"%{escaped}%")
        return cls(" AND ".join(clauses), params)


HIT_COLUMNS = (
    "p.id AS pid, d.id, d.thinker, d.kind, d.title, d.url AS doc_url, d.published_at, p.url AS passage_url, "
    "p.anchor, p.text"
)
HIT_FROM = "passages p JOIN documents d ON d.id = p.document_id"
"""What a hit is made of: ``SELECT {HIT_COLUMNS} FROM {HIT_FROM} WHERE …`` (each backend adds its snippet)."""


def hit(row: dict[str, Any], snippet: str | None, score: float) -> SearchHit:
    """A search hit from a ``HIT_COLUMNS`` row; ``score`` as the backend ranks it (lower is better)."""
    return SearchHit(
        id=row["id"],
        passage_id=row["pid"],
        thinker=row["thinker"],
        kind=row["kind"],
        title=row["title"],
        snippet=snippet or "",
        url=row["passage_url"] or row["doc_url"],
        published_at=row["published_at"],
        score=round(-score, 4) + 0.0,
        text=row["text"],
        anchor_label=row["anchor"],
    )
