"""Full-text search on PostgreSQL: safe tsqueries, ts_rank_cd ranking, ts_headline snippets, filters.

``bm25`` is what ``PgStore.search`` runs (the name says what it stands in for: SQLite's
ranking); it returns the same ``SearchResults`` and ``SearchHit`` fields.

Queries: plain user text goes through ``query.build_fts_query`` (the same pieces, the
same ``MAX_QUERY_CHARS``/``MAX_TERMS`` bounds, the same prefix rule as on SQLite) and each
piece becomes ``phraseto_tsquery('deepinsights', piece)``, so PostgreSQL's own parser
cuts the query exactly as it cut the documents, and no user character is ever read as
tsquery syntax. ``raw=True`` accepts one small query language on both backends
(``to_tsquery``-text is never built from user characters, only from PostgreSQL's own
output):

* words and ``"quoted phrases"``, implicitly ANDed; ``word*`` / ``word:*`` / ``"a phrase"*`` prefix;
* ``OR`` / ``|``, ``AND`` / ``&``, ``NOT`` (binary, as FTS5: ``a NOT b``), ``-x`` / ``!x``, ``( )``;
* ``a <-> b`` and ``a <3> b`` (followed by, as ``to_tsquery``); ``title : x`` / ``text : x`` (one column).

So the FTS5 queries that profiles and the rest of the code write (``Asimov OR "Last
Question"``, ``text : "word"``) mean the same on both backends. Anything else (``NEAR(``,
an unbalanced quote or parenthesis, a dangling operator, only negated words) is a
``SearchError``. ``translate`` exposes the raw language for the verifiers.

Latin diacritics are folded on both sides (``deepinsights_fold``, as SQLite's tokenizer
folds them: "godel" finds "Gödel"); snippets are cut from the folded text and given the
text's own letters back.

Ranking: ``ts_rank_cd`` with titles weighted twice the text (as SQLite's ``bm25(2.0, 1.0)``)
and the rank divided by 1 + log(passage length). It has no IDF, so no phrase is ever
"unweighted" here. A query matching more than ``candidates`` passages ranks the most
recently imported ``candidates`` of them and sets ``capped``, as on SQLite; the filters
run inside that same scan. Snippets (``ts_headline``, slow) are made only for the page of
hits returned. This module does not write, and does not decide what is indexed
(``migrations`` does).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ...errors import SearchError
from ...models import HIGHLIGHT_END, HIGHLIGHT_START, SearchFilter, SearchHit, SearchResults, storable
from ...query import MAX_QUERY_CHARS, MAX_TERMS, build_fts_query
from ..shared.reads import HIT_COLUMNS, HIT_FROM, FilterSql, hit, marks
from .migrations import FOLDABLE, LATIN_MARKS

CONFIG = "deepinsights"
WEIGHTS = "{0.1, 0.2, 0.5, 1.0}"  # D, C, B (text), A (title): a title match counts double
NORMALIZATION = 1  # rank / (1 + log(length)): a long passage does not win by length alone
MAX_RAW_LEAVES = 2 * MAX_TERMS
SNIPPET_WORDS = 24
HEADLINE = f"StartSel={HIGHLIGHT_START}, StopSel={HIGHLIGHT_END}, MaxWords={SNIPPET_WORDS}, MinWords=12, ShortWord=0"
ELLIPSIS = "…"
COLUMNS = {"title": "A", "text": "B"}

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<phrase>"(?:[^"]|"")*")
      | (?P<near>NEAR\s*\()
      | (?P<follow><->|<\d+>)
      | (?P<op>[()|&!])
      | (?P<prefix>:?\*)
      | (?P<column>[A-Za-z_]+\s*:(?!\*))
      | (?P<minus>-(?=[^\s-]))
      | (?P<word>[^\s"()|&!<*]+?)(?=$|[\s"()|&!<*]|:\*)
      | (?P<bad>\S)
    )""",
    re.VERBOSE,
)
_LEXEME = re.compile(r"('(?:[^'\\]|''|\\.)*')(:[*A-D]*)?")


class _Rows(Protocol):
    """What this module needs of a store: ``rows(sql, params)`` with ``?`` placeholders."""

    def rows(self, sql: str, params: Sequence[Any] = ...) -> list[dict[str, Any]]: ...


# -- the raw query language -------------------------------------------------------------------


@dataclass
class _Leaf:
    """A word or phrase, cut into lexemes by PostgreSQL; ``prefix`` marks its last word ``:*``."""

    text: str
    prefix: bool = False
    weight: str = ""


@dataclass
class _Node:
    """``and``/``or`` of children, ``not`` of one, or ``follow`` (``<N>``, N in ``distance``) of two."""

    op: str
    children: list[_Leaf | _Node]
    distance: int = 1


_Tree = _Leaf | _Node


class _Parser:
    """Recursive descent over tokens; precedence OR < AND < NOT (binary) < <-> < unary."""

    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = list(_tokens(query))
        self.at = 0
        self.leaves = 0

    def parse(self) -> _Tree:
        if not self.tokens:
            raise self._error("it holds no words")
        tree = self._or()
        if self.at < len(self.tokens):
            raise self._error(f"unexpected {self.tokens[self.at][1]!r}")
        if not _positive(tree):
            raise self._error("it needs at least one word that is not negated")
        return tree

    def _peek(self) -> tuple[str, str]:
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        self.at += 1
        return token

    def _or(self) -> _Tree:
        children = [self._and()]
        while self._peek() in (("word", "OR"), ("op", "|")):
            self._take()
            children.append(self._and())
        return children[0] if len(children) == 1 else _Node("or", children)

    def _and(self) -> _Tree:
        children = [self._not()]
        while True:
            if self._peek() in (("word", "AND"), ("op", "&")):
                self._take()
            elif not self._starts_operand():
                break
            children.append(self._not())
        return children[0] if len(children) == 1 else _Node("and", children)

    def _not(self) -> _Tree:
        tree = self._follow()
        while self._peek() == ("word", "NOT"):
            self._take()
            tree = _Node("and", [tree, _Node("not", [self._follow()])])
        return tree

    def _follow(self) -> _Tree:
        tree = self._unary()
        while self._peek()[0] == "follow":
            text = self._take()[1]
            distance = 1 if text == "<->" else int(text[1:-1])
            tree = _Node("follow", [tree, self._unary()], distance)
        return tree

    def _starts_operand(self) -> bool:
        kind, text = self._peek()
        if kind == "word":
            return text not in ("OR", "AND", "NOT")
        return kind in ("phrase", "column", "minus") or (kind == "op" and text in "(!")

    def _unary(self) -> _Tree:
        kind, text = self._peek()
        if kind == "minus" or (kind, text) == ("op", "!"):
            self._take()
            return _Node("not", [self._unary()])
        if kind == "column":
            self._take()
            name = text.rstrip(": \t").lower()
            if name not in COLUMNS:
                raise self._error(f"no column {name!r} (use title : or text :)")
            return _weigh(self._primary(), COLUMNS[name])
        return self._primary()

    def _primary(self) -> _Tree:
        kind, text = self._take()
        if (kind, text) == ("op", "("):
            tree = self._or()
            if self._take() != ("op", ")"):
                raise self._error("a parenthesis is not closed")
            return tree
        if kind == "word" and text not in ("OR", "AND", "NOT"):
            return self._leaf(text)
        if kind == "phrase":
            return self._leaf(text[1:-1].replace('""', '"'))
        if kind == "near":
            raise self._error("NEAR is FTS5 syntax; on PostgreSQL write a <3> b")
        raise self._error(f"expected a word, found {text!r}" if text else "it ends after an operator")

    def _leaf(self, text: str) -> _Leaf:
        self.leaves += 1
        if self.leaves > MAX_RAW_LEAVES:
            raise self._error(f"more than {MAX_RAW_LEAVES} words or phrases")
        prefix = self._peek()[0] == "prefix"
        if prefix:
            self._take()
        return _Leaf(text, prefix)

    def _error(self, why: str) -> SearchError:
        return SearchError(f"Malformed full-text query {self.query!r}: {why}.")


def _tokens(query: str) -> list[tuple[str, str]]:
    tokens = []
    for match in _TOKEN.finditer(query):
        kind = match.lastgroup or "bad"
        if kind == "bad":
            raise SearchError(f"Malformed full-text query {query!r}: unexpected {match.group(kind)!r}.")
        tokens.append((kind, match.group(kind)))
    return tokens


def _weigh(tree: _Tree, weight: str) -> _Tree:
    if isinstance(tree, _Leaf):
        tree.weight = weight
    else:
        for child in tree.children:
            _weigh(child, weight)
    return tree


def _positive(tree: _Tree, present: Callable[[_Leaf], bool] = bool) -> bool:
    """True when the tree only matches passages holding some word of it (the GIN index finds them).

    ``present`` tells the leaves that count (after translation: those with lexemes).
    """
    if isinstance(tree, _Leaf):
        return present(tree)
    if tree.op == "not":
        return False
    kept = [c for c in tree.children if not isinstance(c, _Leaf) or present(c)]
    if tree.op == "or":
        return bool(kept) and all(_positive(c, present) for c in kept)
    return any(_positive(c, present) for c in kept)


def _leaves(tree: _Tree) -> list[_Leaf]:
    return [tree] if isinstance(tree, _Leaf) else [leaf for c in tree.children for leaf in _leaves(c)]


# -- rendering a tree as tsquery text ---------------------------------------------------------


def translate(store: _Rows, query: str) -> str:
    """The tsquery (as text) for a query in the raw language above; "" when it holds no lexeme.

    Raises ``SearchError`` for a malformed query. Each word or phrase is cut into lexemes
    by ``phraseto_tsquery`` in one round trip; only PostgreSQL's output and our operators
    are joined into the result, so it always parses.
    """
    return translate_many(store, [query])[0]


def translate_many(store: _Rows, queries: list[str]) -> list[str]:
    """``translate`` of each query, with one round trip for the words and phrases of all of them."""
    trees = [_Parser(storable(query.strip()).replace("\x00", " ")).parse() for query in queries]
    leaves = [leaf for tree in trees for leaf in _leaves(tree)]
    sql = (
        f"SELECT phraseto_tsquery('{CONFIG}', deepinsights_fold(t))::text AS q "
        "FROM unnest(?::text[]) WITH ORDINALITY AS u(t, n) ORDER BY n"
    )
    rows = store.rows(sql, [[leaf.text for leaf in leaves]]) if leaves else []
    lexemes = {id(leaf): str(row["q"]) for leaf, row in zip(leaves, rows, strict=True)}
    # subtle: a query whose positive words hold no lexeme is "": '"..." -word' would otherwise
    # match every passage without the word
    return [
        _render(tree, lexemes) or "" if _positive(tree, lambda leaf: bool(lexemes[id(leaf)])) else "" for tree in trees
    ]


def _render(tree: _Tree, lexemes: dict[int, str]) -> str | None:
    """tsquery text, or None where the subtree holds no lexeme (it then drops out, as in FTS5)."""
    if isinstance(tree, _Leaf):
        return _render_leaf(tree, lexemes[id(tree)])
    parts = [_render(c, lexemes) for c in tree.children]
    if tree.op == "not":
        return None if parts[0] is None else f"!{parts[0]}"
    kept = [p for p in parts if p is not None]
    if len(kept) <= 1:
        return kept[0] if kept else None
    joiner = {"and": " & ", "or": " | "}.get(tree.op, f" <{tree.distance}> ")
    return "( " + joiner.join(kept) + " )"


def _render_leaf(leaf: _Leaf, text: str) -> str | None:
    if not text:
        return None
    if leaf.prefix:
        text += ":*"  # subtle: phraseto_tsquery's text ends with its last lexeme, the one being typed
    if leaf.weight:
        text = _LEXEME.sub(lambda m: f"{m.group(1)}:{(m.group(2) or ':')[1:]}{leaf.weight}", text)
    return f"( {text} )"


# -- search ---------------------------------------------------------------------------------


def bm25(store: _Rows, q: str, filters: SearchFilter, *, raw: bool, prefix_last: bool, cap: int) -> SearchResults:
    """The passages matching ``q`` that pass ``filters``, best first, without snippets; ranked up to ``cap``.

    ``fts_query`` in the result is the tsquery text that ran ("" when nothing was searchable).
    """
    source = q if raw else build_fts_query(q, prefix_last=prefix_last)
    results = SearchResults(query=q, fts_query="")
    if not source.strip():
        return results
    results.fts_query = _raw_tsquery(store, q) if raw else translate(store, source)
    if not results.fts_query:
        return results
    ranked = _rank(store, results.fts_query, FilterSql.build(filters), cap)
    results.matched, results.capped = min(len(ranked), cap), len(ranked) > cap
    page = sorted(ranked[:cap], key=lambda item: (-item[1], -item[0]))[filters.offset : filters.offset + filters.limit]
    results.hits = _hits(store, page)
    return results


def matching(tsquery: str) -> tuple[str, list[Any]]:
    """``SELECT … AS pid`` of the passages a tsquery (from ``translate``) matches, and its parameters."""
    if not tsquery:  # subtle: nothing searchable (only punctuation) matches nothing, as in FTS5
        return "SELECT id AS pid FROM passages WHERE 1 = 0", []
    return "SELECT id AS pid FROM passages WHERE tsv @@ ?::tsquery", [tsquery]


def _raw_tsquery(store: _Rows, q: str) -> str:
    if len(q) > MAX_QUERY_CHARS:
        raise SearchError(f"Full-text query is longer than {MAX_QUERY_CHARS} characters; shorten it.")
    try:
        return translate(store, q)
    except SearchError as ex:
        raise SearchError(f"{ex} Drop --fts to search for the words.") from None


def _rank(store: _Rows, tsquery: str, filters: FilterSql, cap: int) -> list[tuple[int, float]]:
    """(passage id, rank) of the newest ``cap + 1`` matches that pass the filters, newest first."""
    join, where = "", ""
    if filters.sql:
        join, where = " JOIN documents d ON d.id = p.document_id", f" AND {filters.sql}"
    sql = (
        f"SELECT m.id, ts_rank_cd('{WEIGHTS}', m.tsv, m.q, {NORMALIZATION}) AS score FROM ("
        f"SELECT p.id, p.tsv, q.q FROM passages p{join} CROSS JOIN (SELECT ?::tsquery AS q) q "
        f"WHERE p.tsv @@ q.q{where} ORDER BY p.id DESC LIMIT ?) m ORDER BY m.id DESC"
    )
    rows = store.rows(sql, [tsquery, *filters.params, cap + 1])
    return [(int(row["id"]), float(row["score"])) for row in rows]


def _hits(store: _Rows, page: Sequence[tuple[int, float]]) -> list[SearchHit]:
    """The ranked passages as hits, in order, without snippets (a passage deleted meanwhile drops out)."""
    if not page:
        return []
    ids = [pid for pid, _ in page]
    rows = store.rows(f"SELECT {HIT_COLUMNS} FROM {HIT_FROM} WHERE p.id IN ({marks(ids)})", ids)
    by_id = {int(row["pid"]): row for row in rows}
    return [hit(by_id[pid], None, -score) for pid, score in page if pid in by_id]


def snippets(store: _Rows, tsquery: str, ids: Sequence[int]) -> dict[int, str]:
    """The highlighted snippet of each of these passages that matches ``tsquery`` (from ``translate``), by id."""
    if not ids or not tsquery:
        return {}
    rows = store.rows(
        f"SELECT p.id, p.text, "
        f"ts_headline('{CONFIG}', translate(deepinsights_fold(p.text), '<>', '{_TAG_STAND_INS}'), ?::tsquery, ?) "
        f"AS snippet FROM passages p WHERE p.id IN ({marks(ids)}) AND p.tsv @@ ?::tsquery",
        [tsquery, HEADLINE, *ids, tsquery],
    )
    return {
        int(row["id"]): _ellipsis(_unfold(row["snippet"].translate(_TAGS_BACK), row["text"]), row["text"])
        for row in rows
    }


# subtle: ts_headline drops anything its parser reads as an HTML tag ("<script>" in a tweet about
# XSS), so the text goes in with < and > as private-use stand-ins, which come back in Python.
_TAG_STAND_INS = "\ue000\ue001"
_TAGS_BACK = str.maketrans(_TAG_STAND_INS, "<>")
_FOLDABLE = re.compile(FOLDABLE)
_LATIN_MARKS = re.compile(LATIN_MARKS)
_MARKERS = re.compile(f"({re.escape(HIGHLIGHT_START)}|{re.escape(HIGHLIGHT_END)})")


def _fold(text: str) -> str:
    """What the schema's ``deepinsights_fold()`` makes of ``text`` (migrations, m007): Latin accents dropped."""
    if not _FOLDABLE.search(text):
        return text
    return unicodedata.normalize("NFC", _LATIN_MARKS.sub(r"\1", unicodedata.normalize("NFD", text)))


def _unfold(snippet: str, text: str) -> str:
    """The snippet with the text's own letters back: it was cut from the folded text.

    Folding an NFC text maps each letter to one letter, so offsets in the folded text are
    offsets in the text; a text where that does not hold keeps the folded snippet.
    """
    plain = snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    folded = _fold(text)
    at = folded.find(plain) if len(folded) == len(text) else -1
    if at < 0:
        return snippet
    pieces = []
    for piece in _MARKERS.split(snippet):
        if piece in (HIGHLIGHT_START, HIGHLIGHT_END):
            pieces.append(piece)
        else:
            pieces.append(text[at : at + len(piece)])
            at += len(piece)
    return "".join(pieces)


def _ellipsis(snippet: str, text: str) -> str:
    """Mark a snippet cut from the middle of the text with ``…`` where it was cut, as SQLite's snippet() does."""
    plain = snippet.replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
    at = text.find(plain)
    if not plain or at < 0:
        return snippet
    before = ELLIPSIS if text[:at].strip() else ""
    after = ELLIPSIS if text[at + len(plain) :].strip() else ""
    return before + snippet + after
