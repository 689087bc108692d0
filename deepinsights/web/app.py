"""The profile site: one page per thinker profile plus a small read-only JSON API.

``create_app(db_path, profiles_dir)`` returns a Starlette app:

* ``/`` lists the profiles (or redirects to the only one), ``/profile/{slug}`` is the page;
* ``/compare/{a}/{b}`` shows the comparison ``insights compare A B`` kept beside the workspace;
* ``/api/search?q=&kind=&since=&until=&thinker=&limit=&offset=`` searches the archive,
  ``/api/profile/{slug}``, ``/api/profiles``, ``/api/stats`` and ``/api/verify/{slug}``
  return JSON;
* ``/static/`` serves the one CSS and one JS file, and nothing outside that folder.

The workspace is opened read-only, one connection per worker thread, and all database and
rendering work runs in Starlette's threadpool so the event loop never blocks; archive searches
take turns (``search_slots``) and run in search processes, one per core (``searchers``; on
one core, in this process's threads). Library errors
become HTTP errors here and only here. This module does not write to the store, and
it does not start a server (``insights serve`` runs it under uvicorn). At start a thread loads
the embedding model and vector index (``Corpus.warm_up``), so the first live search is as fast
as the rest.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .. import config, saved, workspace
from ..errors import DeepInsightsError, EmbeddingError, ProfileError, SearchError, StoreError
from ..models import SearchFilter
from ..profile import Profile
from ..semantic import similar
from ..verify import verify_profile
from ..workspace import Db
from . import page, params
from .asking import api_ask
from .corpus import CACHE_SIZE, MAX_LIMIT, Corpus, Result, SearchParams, hit_json
from .limits import BodyLimitMiddleware
from .profiles import ProfileLibrary
from .searchers import SearchPool, search_processes
from .security import SecurityMiddleware

STATIC_DIR = Path(__file__).resolve().parent / "static"
LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]", "::1", "testserver"]
MAX_SIMILAR = 50
QUEUED_PER_PROCESS = 4  # request threads that may wait on each search process at once (``search_slots``)


@dataclass
class Site:
    """What every request handler shares: the corpus, the profiles and the import hint."""

    corpus: Corpus
    profiles: ProfileLibrary
    db_path: Db | None
    default_slug: str | None = None
    model_name: str | None = None
    verified: dict[str, tuple[Profile, int, dict[str, Any]]] = field(default_factory=dict)
    searching: anyio.CapacityLimiter | None = None  # searches at once (``search_slots``), set at start
    pool: SearchPool | None = None  # the search processes, set at start when there are several
    running: dict[tuple[Any, ...], asyncio.Future[bytes | None]] = field(default_factory=dict)  # misses being searched


def search_slots(processes: int = 1) -> int:
    """How many searches a server process runs at once (``DEEPINSIGHTS_SEARCH_SLOTS``); the rest wait in line.

    subtle: a search is CPU-bound. Run together (16 connections, 16 threads), each takes as long
    as all of them, so the slow ones (filters, short prefixes) drag every search's p95 up; queued
    in order, each waits only for those ahead of it. At 16 connections this took p95 from about
    100 ms to about 75 (bench/README.md, web). By default: one per core when this process
    searches itself; with ``processes`` search processes, ``QUEUED_PER_PROCESS`` each: those
    threads only wait while the pool keeps its own line, so each process has its next search
    ready. Where the event loop checks the cache itself (SQLite), searches skip this line.
    """
    if processes > 1 and not config.SEARCH_SLOTS.positive():
        return processes * QUEUED_PER_PROCESS
    return config.SEARCH_SLOTS.or_cores()


def create_app(
    db_path: str | Path | None,
    profiles_dir: str | Path | None = None,
    *,
    default_slug: str | None = None,
    allowed_hosts: list[str] | None = None,
    cache_size: int = CACHE_SIZE,
    model: str | None = None,
) -> Starlette:
    """The site for the workspace at ``db_path`` (which may not exist yet) and its profiles.

    ``allowed_hosts`` are the Host header values accepted (DNS-rebinding protection);
    the default accepts only loopback names. ``["*"]`` accepts any. ``cache_size`` is how
    many search results are kept (0: none). ``model`` is the model ``/api/ask`` uses (default
    ``$DEEPINSIGHTS_MODEL``); without one the Ask panel says how to set it.
    """
    path = workspace.parse(db_path) if db_path is not None else None
    site = Site(
        corpus=Corpus(path, cache_size=cache_size),
        profiles=ProfileLibrary(Path(profiles_dir) if profiles_dir else None, workspace.folder(path) if path else None),
        db_path=path,
        default_slug=default_slug,
        model_name=model or config.MODEL.value() or None,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        processes = search_processes() if path else 1
        pool = SearchPool(path, processes, candidates=site.corpus.candidates) if path and processes > 1 else None
        site.searching = anyio.CapacityLimiter(search_slots(processes))  # subtle: made in the loop that serves
        site.pool = pool
        site.corpus.searcher = pool.search_from_thread if pool else None
        warming = threading.Thread(target=site.corpus.warm_up, name="insights-warm-up", daemon=True)
        warming.start()  # subtle: "more like this" and Ask still search in this process
        yield
        warming.join()  # subtle: it may still be using the PostgreSQL pool that close() shuts
        if pool:
            pool.close()
        site.corpus.close()

    app = Starlette(
        routes=_routes(site),
        middleware=[
            Middleware(SecurityMiddleware),
            Middleware(TrustedHostMiddleware, allowed_hosts=allowed_hosts or LOCAL_HOSTS),
            Middleware(BodyLimitMiddleware),
        ],
        lifespan=lifespan,
        exception_handlers={**dict.fromkeys(workspace.DATABASE_ERRORS, _database_error), StoreError: _store_error},
    )
    app.state.site = site
    return app


async def _database_error(request: Request, exc: Exception) -> Response:
    """A SQLite failure no handler expected (a damaged page met mid-request): 503 with one line naming the file."""
    site: Site = request.app.state.site
    where = workspace.describe(site.db_path) if site.db_path is not None else "workspace"
    return _json_error(503, workspace.explain_error(where, exc))


async def _store_error(request: Request, exc: Exception) -> Response:
    """The workspace cannot be read (damaged, foreign, too old): 503 with the store's message."""
    return _json_error(503, str(exc))


def app_from_env() -> Starlette:
    """The site of the workspace named by ``DEEPINSIGHTS_DB``, for ASGI servers that take a factory.

    Profiles come from the workspace's ``profiles/`` folder and the package. Example:
    ``DEEPINSIGHTS_DB=insights.db uvicorn --factory deepinsights.web.app:app_from_env --workers 4``.
    """
    return create_app(config.DB.value())


def _routes(site: Site) -> list[Route | Mount]:
    def bind(handler: Callable[[Site, Request], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await handler(site, request)  # type: ignore[no-any-return]

        return endpoint

    return [
        Route("/", bind(index)),
        Route("/profile/{slug}", bind(profile_page)),
        Route("/compare/{a}/{b}", bind(compare_page)),
        Route("/api/search", bind(api_search)),
        Route("/api/similar/{doc_id}", bind(api_similar)),
        Route("/api/profiles", bind(api_profiles)),
        Route("/api/profile/{slug}", bind(api_profile)),
        Route("/api/stats", bind(api_stats)),
        Route("/api/verify/{slug}", bind(api_verify)),
        Route("/api/ask", bind(api_ask), methods=["POST"]),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
        Mount("/static", app=StaticFiles(directory=STATIC_DIR, follow_symlink=False), name="static"),
    ]


# -- pages -------------------------------------------------------------------------


async def index(site: Site, request: Request) -> Response:
    slugs = site.profiles.slugs()
    if site.default_slug or len(slugs) == 1:
        return RedirectResponse(f"/profile/{site.default_slug or slugs[0]}", status_code=307)
    html = await run_in_threadpool(_render_index, site)
    return HTMLResponse(html)


def _render_index(site: Site) -> str:
    entries = []
    for slug in site.profiles.slugs():
        entry: dict[str, Any] = {"href": f"/profile/{slug}", "name": slug, "description": "", "error": None}
        try:
            profile = site.profiles.get(slug)
        except ProfileError as ex:
            entry["error"] = str(ex)
        else:
            if profile is not None:
                entry.update(name=profile.identity.name, description=profile.identity.description)
        entries.append(entry)
    return page.render(
        "index.html", profiles=entries, corpus=site.corpus.status(), mode="server", static="/static/", generated_at=None
    )


async def profile_page(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        html = await run_in_threadpool(_render_profile, site, slug, dict(request.query_params))
    except ProfileError as ex:
        return _error_page(500, "Invalid profile", str(ex))
    if html is None:
        return _error_page(404, "No such profile", f"No profile '{slug}'. Known: {', '.join(site.profiles.slugs())}")
    return HTMLResponse(html)


def _render_profile(site: Site, slug: str, query: dict[str, str]) -> str | None:
    profile = site.profiles.get(slug)
    if profile is None:
        return None
    inputs = page_inputs(site, slug, profile)
    if query.get("q") and inputs.corpus["available"]:
        inputs.search = _server_search(site, profile, inputs, query)
    return page.render_profile(profile, inputs)


async def compare_page(site: Site, request: Request) -> Response:
    """A comparison ``insights compare A B`` kept beside the workspace."""
    a, b = request.path_params["a"], request.path_params["b"]
    data = saved.saved_comparison(workspace.folder(site.db_path), a, b) if site.db_path is not None else None
    if data is None:
        return _error_page(404, "No comparison yet", f"No comparison of '{a}' with '{b}' in this workspace yet: run "
                           f"'insights compare {a} {b}' (add -m MODEL for positions), then reload")  # fmt: skip
    html = await run_in_threadpool(page.render_compare, data)
    return HTMLResponse(html)


def page_inputs(site: Site, slug: str, profile: Profile) -> page.PageInputs:
    """Measure what the page shows from the corpus (when there is one) and compile the prompt."""
    status = site.corpus.status()
    modes, default = site.corpus.search_modes() if status["available"] else ([], "bm25")
    if modes:  # the page says how many passages are not yet searchable by meaning
        status = {**status, **site.corpus.backlog()}
    inputs = page.PageInputs(
        slug=slug,
        home="/" if len(site.profiles.slugs()) > 1 else None,
        corpus=status,
        import_hint=page.import_hint(profile.identity.slug, site.db_path),
        api={
            "search": "/api/search",
            "verify": f"/api/verify/{slug}",
            "ask": "/api/ask",
            "model": site.model_name,
            # the page offers a mode selector and "more like this" only when the workspace has vectors
            "modes": ",".join(modes),
            "default_mode": default,
            "similar": "/api/similar/" if modes else None,
        },
    )
    inputs.variants = page.profile_variants(slug, site.profiles.slugs(), lambda s: f"/profile/{s}")
    if site.db_path is not None:
        folder = workspace.folder(site.db_path)
        inputs.evaluation = saved.latest_eval(folder, slug)
        inputs.comparisons = page.comparison_links(slug, saved.comparisons(folder), lambda a, b: f"/compare/{a}/{b}")
    if status["available"]:
        inputs.thinkers = site.corpus.thinkers()
        inputs.measured = site.corpus.stats()
        inputs.quote_statuses = page.quote_statuses(verification(site, slug, profile))
    inputs.prompt, inputs.prompt_error = page.compile_prompt_text(profile, inputs)
    return inputs


def _server_search(site: Site, profile: Profile, inputs: page.PageInputs, query: dict[str, str]) -> dict[str, Any]:
    """Results for a page requested with ``?q=`` (the form works without JavaScript)."""
    fields = {key: query.get(key, "") for key in ("q", "kind", "since", "until", "mode")}
    try:
        params = _search_params({**fields, "thinker": page.search_thinker(profile, inputs.thinkers)})
        return {**fields, "results": site.corpus.search(params)}
    except (ValueError, SearchError, EmbeddingError):
        return fields


def _error_page(status: int, heading: str, message: str) -> HTMLResponse:
    html = page.render(
        "error.html",
        status=status,
        heading=heading,
        message=message,
        home="/",
        mode="server",
        static="/static/",
        generated_at=None,
    )
    return HTMLResponse(html, status_code=status)


# -- API ---------------------------------------------------------------------------


async def api_search(site: Site, request: Request) -> Response:
    try:
        params = _search_params(request.query_params)
    except ValueError as ex:
        return _json_error(400, str(ex))
    try:
        body = await _searched(site, params)
        return Response(body, media_type="application/json")
    except SearchError as ex:
        return _json_error(400, str(ex))
    except EmbeddingError as ex:  # a vector mode asked of a workspace without (matching) vectors
        return _json_error(409, str(ex))
    except StoreError as ex:
        return _json_error(503, str(ex))


async def _searched(site: Site, params: SearchParams) -> bytes:
    """The search's JSON body: from the cache or the search processes, on the event loop where the
    cache can be checked without waiting; else computed (or read from the cache) in a thread once a
    search slot is free (no search processes; PostgreSQL, whose generation is a round trip).

    subtle: on the event loop a search costs the server process no thread hand-over; in a thread
    it cost two more, about a tenth of the throughput without the cache (bench/README.md, web).
    """
    if site.pool is not None and params.q.strip():
        found = site.corpus.cached_now(params)
        if found is not None:
            key, body = found
            return body if body is not None else await _pooled(site, site.pool, key, params)
    if site.searching is None:  # an app used without its lifespan (a test client): no queue
        return await run_in_threadpool(site.corpus.search_body, params)
    return await anyio.to_thread.run_sync(site.corpus.search_body, params, limiter=site.searching)


async def _pooled(site: Site, pool: SearchPool, key: tuple[Any, ...], params: SearchParams) -> bytes:
    """A search that missed the cache, from the search processes, then cached; one already running for
    the same key is awaited instead of run twice (when it fails, each waiter runs it and gets its error),
    as ``Corpus`` does in threads."""
    if not site.corpus.cache_size:  # no results kept, none shared: every request searches
        return await pool.search(params)
    running = site.running.get(key)
    if running is not None:
        body = await asyncio.shield(running)  # subtle: a waiter that goes away must not cancel the search
        return body if body is not None else await pool.search(params)
    site.running[key] = shared = asyncio.get_running_loop().create_future()
    body = None
    try:
        body = await pool.search(params)
        site.corpus.remember(key, Result(body=body))
        return body
    finally:
        del site.running[key]
        shared.set_result(body)


async def api_similar(site: Site, request: Request) -> Response:
    """More like this: the documents nearest to one document, as search hits."""
    try:
        doc_id = params.text("document id", request.path_params["doc_id"], max_chars=200)
        limit = params.whole("limit", request.query_params.get("limit"), 10, 1, MAX_SIMILAR)
    except ValueError as ex:
        return _json_error(400, str(ex))
    try:
        hits = await run_in_threadpool(_similar_hits, site, doc_id, limit)
    except SearchError as ex:
        return _json_error(404, str(ex))
    except EmbeddingError as ex:
        return _json_error(409, str(ex))
    return JSONResponse({"id": request.path_params["doc_id"], "hits": hits})


def _similar_hits(site: Site, doc_id: str, limit: int) -> list[dict[str, Any]]:
    store = site.corpus.store()  # subtle: this worker thread's own read-only connection
    if store is None:
        raise SearchError("No workspace is being served")
    return [hit_json(hit) for hit in similar(store, doc_id, limit=limit).hits]


def _search_params(query: Any) -> SearchParams:
    """Validate the query string of a search; ValueError names the bad parameter."""
    q = params.text("q", query.get("q", ""), max_chars=params.MAX_QUERY_CHARS, controls=True)
    kinds = tuple(k.strip() for raw in _all(query, "kind") for k in params.text("kind", raw).split(",") if k.strip())
    filters = SearchFilter(
        kinds=kinds,
        thinker=params.text("thinker", query.get("thinker", ""), max_chars=200) or None,
        since=params.date("since", query.get("since", "")) or None,
        until=params.date("until", query.get("until", "")) or None,
        limit=params.whole("limit", query.get("limit"), 20, 1, MAX_LIMIT),
        offset=params.whole("offset", query.get("offset"), 0, 0, params.MAX_OFFSET),
    )
    return SearchParams(q, filters, mode=params.text("mode", query.get("mode", ""), max_chars=20))


def _all(query: Any, key: str) -> list[str]:
    return list(query.getlist(key)) if hasattr(query, "getlist") else ([query[key]] if query.get(key) else [])


async def api_profiles(site: Site, request: Request) -> Response:
    return JSONResponse([{"slug": slug, "url": f"/profile/{slug}"} for slug in site.profiles.slugs()])


async def api_profile(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        profile = await run_in_threadpool(site.profiles.get, slug)
    except ProfileError as ex:
        return _json_error(500, str(ex))
    if profile is None:
        return _json_error(404, f"No profile '{slug}'")
    return JSONResponse({"slug": slug, "profile": profile.model_dump(mode="json")})


async def api_stats(site: Site, request: Request) -> Response:
    try:
        thinker = params.text("thinker", request.query_params.get("thinker", ""), max_chars=200) or None
    except ValueError as ex:
        return _json_error(400, str(ex))
    try:
        status = await run_in_threadpool(site.corpus.status)
        rows = await run_in_threadpool(site.corpus.stats, thinker) if status["available"] else []
    except StoreError as ex:
        return _json_error(503, str(ex))
    return JSONResponse({"corpus": status, "stats": rows})


async def api_verify(site: Site, request: Request) -> Response:
    slug = request.path_params["slug"]
    try:
        result = await run_in_threadpool(verify_json, site, slug)
    except StoreError as ex:
        return _json_error(503, str(ex))
    except DeepInsightsError as ex:  # an invalid profile, an unreadable verification input
        return _json_error(500, str(ex))
    if result is None:
        return _json_error(404, f"No profile '{slug}'")
    return JSONResponse(result)


def verify_json(site: Site, slug: str) -> dict[str, Any] | None:
    """Verification results of one profile against the corpus (``available: false`` without one)."""
    profile = site.profiles.get(slug)
    if profile is None:
        return None
    results = verification(site, slug, profile)
    return {"slug": slug, "available": results is not None, "results": results}


def verification(site: Site, slug: str, profile: Profile) -> dict[str, Any] | None:
    """The profile's verification report (``to_dict``), None without a corpus; kept until the workspace changes.

    The page's prompt marks quotes by it and ``/api/verify`` returns it, so a page load and its
    badges verify once per workspace generation (and profile file version), not twice a visit.
    """
    store = site.corpus.store()
    if store is None:
        return None
    generation = site.corpus.generation()
    cached = site.verified.get(slug)
    if cached is not None and cached[0] is profile and cached[1] == generation:
        return cached[2]
    results = verify_profile(profile, store).to_dict()
    site.verified[slug] = (profile, generation, results)
    return results


def _json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
