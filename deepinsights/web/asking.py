"""``POST /api/ask``: grounded ask through the server, streamed or whole.

The body is JSON ``{"slug", "question", "since"?, "until"?}``. The model is the one the
server was started with (``insights serve --model`` or ``$DEEPINSIGHTS_MODEL``); a page cannot
choose another, so it cannot make the server send the corpus to a remote service.
``?stream=1`` returns NDJSON: ``{"type": "chunk", "text"}`` lines while the model writes,
then one ``{"type": "answer", "answer": {...}}`` line with the checked answer (the same
object ``insights ask --json`` prints); without it the checked answer comes as one JSON
object. The CLI-only first-use notice for remote models is printed when the server starts.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from ..ask import ask
from ..ask.models import choose_model
from ..errors import AskError, DeepInsightsError
from ..models import SearchFilter
from . import params

MAX_QUESTION_CHARS = 2000
SHAPE = '{"slug": …, "question": …, "since"?: "YYYY-MM-DD", "until"?: "YYYY-MM-DD"}'


async def api_ask(site: Any, request: Request) -> Response:
    try:
        body = params.json_object(await request.body(), SHAPE)
        question = params.text("question", body.get("question", ""), max_chars=MAX_QUESTION_CHARS, controls=True)
        question = question.strip()
        slug = params.text("slug", body.get("slug", ""), max_chars=200)
        since, until = params.date("since", body.get("since")), params.date("until", body.get("until"))
    except ValueError as ex:
        return _error(400, str(ex))
    if not question:
        return _error(400, f"Ask a question of 1 to {MAX_QUESTION_CHARS} characters")
    if not site.model_name:
        return _error(501, "No model configured: start the server with --model MODEL (see docs/ask.md)")
    try:
        profile = await run_in_threadpool(site.profiles.get, slug)
    except DeepInsightsError as ex:
        return _error(500, str(ex))
    if profile is None or not site.corpus.status()["available"]:
        return _error(404, "No such profile, or no corpus imported")
    args = (question, profile, site, SearchFilter(since=since or None, until=until or None))
    if request.query_params.get("stream") == "1":
        return StreamingResponse(_stream(*args), media_type="application/x-ndjson")
    try:
        answer = await run_in_threadpool(_answer, *args, None)
    except AskError as ex:
        return _error(503, str(ex))
    except DeepInsightsError as ex:  # the workspace or its vectors: nothing the request can fix
        return _error(503, str(ex))
    return JSONResponse(answer)


def _answer(question, profile, site, period, on_chunk) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Runs in a worker thread: that thread's read-only store, the server's model."""
    model = choose_model(site.model_name)
    store = site.corpus.store()
    return ask(question, profile, store, model, period=period, on_chunk=on_chunk).as_dict()


async def _stream(question, profile, site, period) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | None] = asyncio.Queue()

    def chunk(text: str) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, json.dumps({"type": "chunk", "text": text}) + "\n")

    async def work() -> None:
        try:
            answer = await run_in_threadpool(_answer, question, profile, site, period, chunk)
            line = {"type": "answer", "answer": answer}
        except DeepInsightsError as ex:
            line = {"type": "error", "error": str(ex)}
        await queue.put(json.dumps(line) + "\n")
        await queue.put(None)

    task = asyncio.create_task(work())
    while (line := await queue.get()) is not None:
        yield line
    await task


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)
