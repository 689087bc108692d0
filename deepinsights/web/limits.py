"""A cap on request bodies, enforced while they stream in, before any handler reads them.

A pure ASGI middleware: a request whose ``Content-Length`` exceeds the cap is answered 413
without reading a byte of its body; any other body (chunked, or one that sends more than it
declared) is read at most cap + 1 bytes, then either refused with 413 or handed to the
app, which reads it from memory. The cap is the ``DEEPINSIGHTS_MAX_REQUEST_BYTES`` setting
(1 MiB: a question is a few KB), so no request can make the server hold 200 MB.

It does not parse bodies or check their content (handlers do).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import config


def max_request_bytes() -> int:
    """The configured cap; a setting that is not a positive number falls back to the default."""
    return config.MAX_REQUEST_BYTES.positive() or int(config.MAX_REQUEST_BYTES.default)


class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413, reading at most ``limit`` + 1 of them."""

    def __init__(self, app: ASGIApp, limit: int | None = None) -> None:
        self.app = app
        self.limit = limit if limit is not None else max_request_bytes()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send, declared)
            return
        body = await self._read(receive)
        if body is None:
            await self._refuse(scope, receive, send, declared)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None as soon as it passes the limit (the rest is never read)."""
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return b""
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, declared: str) -> None:
        shown = f" ({declared} bytes declared)" if declared.isdigit() else ""
        message = f"Request body too large{shown}: the limit is {self.limit:,} bytes ({config.MAX_REQUEST_BYTES.env})"
        response = JSONResponse({"error": message}, status_code=413, headers={"Connection": "close"})
        await response(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that hands the app the body read already, then waits as the server's would."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
