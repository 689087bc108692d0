"""Hybrid search: BM25 and vector rankings fused by reciprocal rank, plus 'more like this'.

``hybrid_search`` takes the same filters as ``search.search`` and returns the same
``SearchResults``; each hit's ``found_by`` says which rankings returned it. Modes:

* ``bm25`` — exactly ``search.search`` (all words must occur);
* ``semantic`` — nearest passages by cosine of all-MiniLM-L6-v2 vectors (or the workspace's model),
  each raised a little when other passages of its document are also near (``_agreement``);
* ``hybrid`` — both, fused by weighted reciprocal-rank fusion (k=10). When no passage has
  all the words, its BM25 side asks for any of them (stopwords dropped) at a fifth of the
  weight, because a question in a reader's words rarely has every word of the passage and
  a passage sharing one of its words is weak evidence; such hits say ``any-word``, not
  ``bm25``, in ``found_by``.

In every mode a passage partly made of a licence header or page furniture
(``ownwords.furniture_share``: "This program is free software…" quoted in a post, "Posted
by", "Subscribe to…") has its score scaled by 1 − ``FURNITURE_WEIGHT`` × that share (at least
``FURNITURE_FLOOR``), so it does not outrank prose that answers as well. Code, quotations and
link titles are not furniture: scaling passages down by their whole not-own-words share cost
semantic recall@10 0.875 → 0.801 on the labelled sets (bench/bench_semantic.py, ``boilerplate``).

The default mode is ``hybrid`` once the workspace has vectors, else ``bm25``. A search runs
in three steps and enters the workspace once to rank: ``plan_search`` decides the rankings
(the queries, the query's vector, the depths, the filters) as a ``SearchPlan``; the
workspace's ``retrieve`` runs them and returns them as ``Candidates``, with the passages
fusion reads (the words' hits without snippets); ``rank`` fuses them and touches no
workspace. Then the workspace highlights the words in the hits returned (``dress``), or the
caller does in the few it shows (``groups``: a page of 20 documents ranks 100 passages).
Before planning, the workspace is asked which model its vectors come from
(``indexed_model``), since the default mode and the query's vector depend on it. Query
vectors are cached per process. Filters on the vector side are applied to an over-fetched
ANN candidate list, then, if too few survive, by exact search over the filtered passages.

It does not compute passage vectors (``semantic.index`` does).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import EmbeddingError, SearchError
from ..models import Candidates, NearPassage, SearchFilter, SearchHit, SearchPlan, SearchResults
from ..ownwords import furniture_share
from ..query import MAX_QUERY_CHARS, build_fts_query
from .index import model_input, text_hash
from .layers import Vectors
from .model import normalize, one_blas_thread
from .registry import DEFAULT_MODEL, canonical_name, get_embedder

if TYPE_CHECKING:
    from ..workspace import Workspace

MODES = ("bm25", "semantic", "hybrid")
RRF_K = 10
ANY_WORD_WEIGHT = 0.2  # an any-word BM25 match is weaker evidence than an all-words one (weight 1)
DEPTH = 50  # BM25 hits fused
SEMANTIC_DEPTH = 100  # nearest passages fetched: enough for a document's other passages to show up
AGREEMENT = 0.1  # weight of the mean cosine of a document's 2nd and 3rd nearest passages (see _agreement)
FURNITURE_WEIGHT = 2.0  # how fast furniture costs score: a passage a quarter licence header keeps half
FURNITURE_FLOOR = 0.25  # the score share kept by a passage that is all licence header or page furniture
SNIPPET_CHARS = 240
STOPWORDS = frozenset(
    """a an and are as at be been but by can could did do does for from had has have he her his how i if in
    into is it its me my no not of on or our she so than that the their them then there these they this
    to was we were what when where which who whom why will with would you your about says say said""".split()  # noqa: SIM905
)
_query_cache: OrderedDict[tuple[str, str], Vectors] = OrderedDict()
_lock = threading.Lock()  # the web server searches from several threads


def default_mode(store: Workspace) -> str:
    """``hybrid`` once the workspace has vectors, ``bm25`` before."""
    return _default_for(store.indexed_model())


def _default_for(indexed: str | None) -> str:
    return "hybrid" if indexed else "bm25"


def hybrid_search(
    store: Workspace,
    q: str,
    filters: SearchFilter | None = None,
    *,
    mode: str | None = None,
    model: str | None = None,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
    snippets: bool = True,
) -> SearchResults:
    """Return the best passages for ``q`` that pass ``filters`` in ``mode``, best first; an empty query: no hits.

    ``prefix_last`` and ``candidates`` go to the BM25 side (see ``search.search``); ``raw``
    searches ``q`` as the FTS5 query language, by BM25 alone and in the workspace's order.
    Without ``snippets``, hits found by words have no snippet yet: the caller shows a few of
    them and ``dress``es those (``results.fts_query``). Raises EmbeddingError (with the
    command to run) when a vector mode is asked for and the model is not installed, the
    workspace has no vectors, or they come from another model.
    """
    filters = filters or SearchFilter()
    q = q if raw else q[:MAX_QUERY_CHARS]
    mode, name, vector = _mode_and_vector(store, q, "bm25" if raw else mode, model)
    options: dict[str, Any] = {"raw": raw, "prefix_last": prefix_last, "candidates": candidates}
    plan = plan_search(q, filters, mode, model=name, vector=vector, **options)
    results = rank(plan, filters, store.retrieve(plan))  # the one call that ranks
    if snippets:
        results.hits = dressed(store, results.hits, results.fts_query)
    return results


def dressed(store: Workspace, hits: list[SearchHit], fts_query: str) -> list[SearchHit]:
    """``hits`` with their words highlighted (``Workspace.dress``, one call); those found only by meaning as they are.

    subtle: a hit found only by meaning keeps the start of its passage, as the vector ranking
    has nothing to highlight. Dressing it too would also widen the one scan that makes the
    snippets (from the lowest to the highest id dressed) from the words' recent matches to
    the whole corpus: "a" as typed took 64 ms instead of 12.
    """
    by_words = [h for h in hits if h.found_by != ("semantic",)]
    if not by_words:
        return hits
    done = {h.passage_id: h for h in store.dress(by_words, fts_query)}
    return [done.get(h.passage_id, h) for h in hits]


def search_any(
    store: Workspace,
    q: str,
    filters: SearchFilter | None = None,
    *,
    mode: str | None = None,
    model: str | None = None,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
    snippets: bool = True,
) -> tuple[SearchResults, str | None]:
    """``hybrid_search``, except that with no ``mode`` a missing model falls back to BM25.

    Returns the results and, after a fallback, the one-line reason (for the CLI and the page
    to show); an explicitly requested mode raises instead.
    """
    options: dict[str, Any] = {
        "model": model,
        "raw": raw,
        "prefix_last": prefix_last,
        "candidates": candidates,
        "snippets": snippets,
    }
    try:
        return hybrid_search(store, q, filters, mode=mode, **options), None
    except EmbeddingError as ex:
        if mode is not None:
            raise
        return hybrid_search(store, q, filters, mode="bm25", **options), f"{ex} Showing BM25 results."


def _tag(hit: SearchHit, found_by: tuple[str, ...], score: float) -> SearchHit:
    return hit.but(found_by=found_by, score=round(score, 6))


# -- the plan ---------------------------------------------------------------------


def _mode_and_vector(store: Workspace, q: str, mode: str | None, model: str | None) -> tuple[str, str, Vectors | None]:
    """The mode (by default ``hybrid`` once the workspace has vectors), the vectors' model and ``q`` in it.

    subtle: ``q`` is embedded only for the vectors the workspace holds; without them its
    ``retrieve`` refuses, and says why, before anything else could fail.
    """
    if mode is not None and mode not in MODES:
        raise SearchError(f"Unknown search mode {mode!r}; choose one of: {', '.join(MODES)}")
    indexed = store.indexed_model() if mode != "bm25" else None
    mode = mode or _default_for(indexed)
    name = canonical_name(model or indexed)
    if mode == "bm25" or indexed != name or not _askable(q):
        return mode, name, None
    return mode, name, _query_vector(store, q, name, named=model is not None)


def plan_search(
    q: str,
    filters: SearchFilter,
    mode: str,
    *,
    model: str,
    vector: Vectors | None,
    raw: bool = False,
    prefix_last: bool = False,
    candidates: int | None = None,
) -> SearchPlan:
    """The rankings ``mode`` needs for ``q``, as one ``SearchPlan``: queries, the query's vector, depths.

    ``bm25`` ranks the page itself (``raw``: ``q`` is the FTS5 query language). The vector
    modes fetch ``DEPTH`` (or the page's end) BM25 hits and ``SEMANTIC_DEPTH`` nearest
    passages to fuse, and nothing for a query with nothing a person could ask. A question in
    a reader's words rarely has every word of its passage, so when the every-word query finds
    nothing the any-word query (stopwords dropped) stands in; BM25 still ranks passages
    holding more of the rare words first, and fusion weighs them less (``ANY_WORD_WEIGHT``).
    """
    options: dict[str, Any] = {"prefix_last": prefix_last, "candidates": candidates}
    if mode == "bm25":
        return SearchPlan(q, words=filters, raw=raw, **options)
    if not _askable(q):
        return SearchPlan(q)
    depth = max(DEPTH, filters.offset + filters.limit)
    words = replace(filters, limit=depth, offset=0) if mode == "hybrid" else None
    near = replace(filters, limit=max(SEMANTIC_DEPTH, depth), offset=0)
    any_word = _any_word_query(q) if words else ""
    return SearchPlan(q, words=words, any_word=any_word, model=model, near=near, vector=vector, **options)


def _askable(q: str) -> bool:
    """Whether ``q`` holds anything a person could be asking for (a letter or digit, or any non-ASCII)."""
    return any(ch.isalnum() or not ch.isascii() for ch in q)


def _any_word_query(q: str) -> str:
    """``"a" OR "b"`` over the query's non-stopword terms; "" when fewer than two remain."""
    terms = re.findall(r'"[^"]+"', build_fts_query(q))
    kept = [t for t in terms if re.sub(r"\W", "", t).lower() not in STOPWORDS]
    return " OR ".join(kept) if len(kept) > 1 else ""


def _query_vector(store: Workspace, q: str, name: str, *, named: bool) -> Vectors:
    """``query_vector``, its error naming the rebuild when the workspace's own model cannot run here."""
    try:
        return query_vector(q, name)
    except EmbeddingError as ex:
        if named or name == DEFAULT_MODEL:
            raise  # the caller named it, or it is ours: the error already says what to install
        raise EmbeddingError(
            f"Workspace '{store.location}' was indexed with '{name}', which cannot run here ({ex}). "
            f"Rebuild it with: {store.rebuild_command(DEFAULT_MODEL)}"
        ) from None


def query_vector(q: str, model: str | None) -> Vectors:
    """The query's vector, cached per process (the last 256 queries)."""
    name = canonical_name(model)
    key = (name, q)
    with _lock:
        cached = _query_cache.get(key)
        if cached is not None:
            _query_cache.move_to_end(key)
            return cached
    with one_blas_thread():
        vector: Vectors = get_embedder(name).embed([q])[0]
    with _lock:
        _query_cache[key] = vector
        if len(_query_cache) > 256:
            _query_cache.popitem(last=False)
    return vector


def warm_up(store: Workspace) -> str | None:
    """Load what the workspace's first vector search needs, so that search does not wait for it.

    That is the vector index, the model and the model's one-thread session (~0.3 s for
    MiniLM, ~1.5 s for MPNet, checksums included). Returns the model's name, or None when the
    workspace has no vectors. Raises what loading raises (EmbeddingError when the model is
    missing); the query cache is left alone.
    """
    model = store.indexed_model()
    if model is None:
        return None
    store.vector_index(canonical_name(model))
    with one_blas_thread():
        get_embedder(model).embed(["warm up"])
    return model


# -- ranking what the workspace found ----------------------------------------------


def rank(plan: SearchPlan, filters: SearchFilter, found: Candidates) -> SearchResults:
    """The page ``filters`` asks for, of what the workspace ``found`` for ``plan``, fused as its mode fuses.

    The plan's rankings say its mode: words alone is ``bm25`` (``raw``: as the workspace
    ranked them), vectors alone ``semantic``, both ``hybrid``, none a query with nothing to ask.
    """
    if plan.raw:
        return found.words
    if plan.near is None and plan.words is not None:
        results = found.words
        results.hits = _prose_first([_tag(h, ("bm25",), h.score) for h in results.hits])
        return results
    results = SearchResults(query=plan.q, fts_query=found.words.fts_query)
    if plan.near is None:
        return results
    semantic = _agreement(found.nearest, {pid: near.hit.id for pid, near in found.passages.items()})
    lexical, weight = found.words.hits, ANY_WORD_WEIGHT if found.any_word else 1.0
    wanted = filters.offset + filters.limit
    results.hits = _fuse(lexical, semantic, found.passages, weight, wanted=wanted)[filters.offset :]
    results.matched = len({h.passage_id for h in lexical} | {pid for pid, _ in semantic})
    results.nearest, results.any_word = len(semantic), found.any_word
    results.words = len(lexical) if plan.words is not None else None
    return results


def _agreement(found: list[tuple[int, float]], doc_of: dict[int, str]) -> list[tuple[int, float]]:
    """Raise each passage by ``AGREEMENT`` × the mean cosine of its document's 2nd and 3rd nearest passages.

    A question about what a post or talk is about matches several of its passages a little;
    a passage that matches alone (one link post among thousands alike) gets no help. Only
    the passages already fetched count (``doc_of``: the document of each of them).
    On the labelled paraphrases it took semantic recall@10 from 0.833 to 0.879
    (bench/bench_semantic.py; 0.2 did worse on MRR, see docs/semantic.md).
    """
    if not found:
        return found
    by_doc: dict[str, list[float]] = {}
    for pid, score in found:  # best first, so each document's list is sorted
        by_doc.setdefault(doc_of.get(pid, ""), []).append(score)
    raised = [(pid, score + AGREEMENT * _next_two(by_doc[doc_of.get(pid, "")])) for pid, score in found]
    return sorted(raised, key=lambda item: -item[1])


def _next_two(scores: list[float]) -> float:
    rest = scores[1:3]
    return sum(rest) / len(rest) if rest else 0.0


def _fuse(
    lexical: list[SearchHit],
    semantic: list[tuple[int, float]],
    near: dict[int, NearPassage],
    weight: float = 1.0,
    *,
    wanted: int | None = None,
) -> list[SearchHit]:
    """Weighted reciprocal-rank fusion: a ranking adds weight/(RRF_K + rank); a hit in both ranks first.

    ``near`` holds the passages of the ``semantic`` ranking. Returns the best ``wanted`` hits
    (all when None).
    """
    scores: dict[int, float] = {}
    found: dict[int, list[str]] = {}
    label = "bm25" if weight >= 1.0 else "any-word"
    for rank, hit in enumerate(lexical):
        scores[hit.passage_id] = scores.get(hit.passage_id, 0.0) + weight / (RRF_K + rank + 1)
        found.setdefault(hit.passage_id, []).append(label)
    for rank, (pid, _) in enumerate(semantic):
        scores[pid] = scores.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
        found.setdefault(pid, []).append("semantic")
    if not lexical:  # semantic mode: the cosine is the more useful score to show
        scores = {pid: score for pid, score in semantic}
    texts = {pid: p.hit.text for pid, p in near.items()} | {h.passage_id: h.text for h in lexical}
    factors = _furniture_factors({pid: texts[pid] for pid in scores if pid in texts})
    scores = {pid: score * factors.get(pid, 1.0) for pid, score in scores.items()}
    by_id = {h.passage_id: h for h in lexical}
    kept: list[SearchHit] = []
    for pid in sorted(scores, key=lambda pid: -scores[pid]):
        if wanted is not None and len(kept) == wanted:
            break
        shown = by_id.get(pid) or _semantic_hit(near.get(pid))
        if shown is not None:  # subtle: a passage whose vector is stale has no hit: the next one takes its place
            kept.append(_tag(shown, tuple(found[pid]), scores[pid]))
    return kept


def _furniture_factors(texts: dict[int, str]) -> dict[int, float]:
    """The score factor of each passage (id: text) holding licence lines or page furniture (see the module docstring).

    subtle: passages without any are not listed; they keep their score as it is.
    """
    factors: dict[int, float] = {}
    if FURNITURE_WEIGHT <= 0:
        return factors
    for pid, text in texts.items():
        share = furniture_share(text)
        if share > 0:
            factors[pid] = max(FURNITURE_FLOOR, 1.0 - FURNITURE_WEIGHT * share)
    return factors


def _prose_first(hits: list[SearchHit]) -> list[SearchHit]:
    """BM25's hits in rank order, each rank's reciprocal scaled by ``_furniture_factors``: prose before furniture."""
    factors = _furniture_factors({h.passage_id: h.text for h in hits})
    if not factors:
        return hits
    keyed = [(factors.get(h.passage_id, 1.0) / (RRF_K + rank + 1), rank, h) for rank, h in enumerate(hits)]
    return [h for _, _, h in sorted(keyed, key=lambda item: (-item[0], item[1]))]


def _semantic_hit(near: NearPassage | None) -> SearchHit | None:
    """The hit of a passage found by vectors; None when its vector is stale (its text changed) or it is gone."""
    if near is None or near.text_hash != text_hash(model_input(near.title, near.hit.text)):
        return None
    return near.hit.but(snippet=plain_snippet(near.hit.text))


def plain_snippet(text: str) -> str:
    """The start of a passage, cut at a word boundary near SNIPPET_CHARS."""
    flat = " ".join(text.split())
    if len(flat) <= SNIPPET_CHARS:
        return flat
    cut = flat.rfind(" ", 0, SNIPPET_CHARS)
    return flat[: cut if cut > SNIPPET_CHARS // 2 else SNIPPET_CHARS] + "…"


# -- more like this ------------------------------------------------------------------


def similar(store: Workspace, doc_id: str, *, limit: int = 10, model: str | None = None) -> SearchResults:
    """Documents nearest to ``doc_id`` (the mean of its passage vectors), one hit per document.

    Raises SearchError for an unknown id and EmbeddingError when the workspace has no vectors
    for it (with the command that computes them).
    """
    if store.document(doc_id) is None:
        raise SearchError(f"No document '{doc_id}' in workspace '{store.location}'")
    index = store.vector_index(canonical_name(model or store.indexed_model()))
    own = [p["id"] for p in store.passages(doc_id)]
    _, matrix = store.passage_vectors(own)
    if not len(matrix):
        raise EmbeddingError(
            f"Document '{doc_id}' has no vectors yet. Compute them with: insights index --db {store.db_arg}"
        )
    vector = normalize(np.mean(normalize(matrix), axis=0))
    mine = set(own)
    found = [(pid, s) for pid, s in index.search(vector, (limit + 1) * 10 + len(own)) if pid not in mine]
    hits = _fuse([], found, store.near_passages([pid for pid, _ in found]))
    results = SearchResults(query=doc_id, fts_query="")
    seen: set[str] = {doc_id}
    for hit in hits:
        if hit.id not in seen and len(results.hits) < limit:
            seen.add(hit.id)
            results.hits.append(hit)
    results.matched = len(results.hits)
    return results
