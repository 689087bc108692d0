"""Security headers and cross-site request protection for every response the server sends.

A pure ASGI middleware (no per-request task overhead): it adds a strict
Content-Security-Policy (no inline script, no plugins, no framing), ``nosniff``,
``no-referrer`` and framing/opener isolation headers to every HTTP response, and refuses
any state-changing request (anything but GET, HEAD, OPTIONS) that a browser marks as
cross-site, by its ``Origin`` or ``Sec-Fetch-Site`` header.

Host checking (against DNS rebinding) is Starlette's ``TrustedHostMiddleware``, set up in
``app.py``. This module does not authenticate anyone: the server is meant for 127.0.0.1.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
    "form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SecurityMiddleware:
    """Add the security headers; reject cross-site POST/PUT/PATCH/DELETE with 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
            await send(message)

        if scope["method"] not in SAFE_METHODS and is_cross_site(Headers(scope=scope)):
            response = PlainTextResponse("Cross-site request refused.", status_code=403)
            await response(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def is_cross_site(headers: Headers) -> bool:
    """True when the browser says the request comes from another origin.

    A request with neither ``Origin`` nor ``Sec-Fetch-Site`` is not from a browser page
    (curl, scripts) and is allowed; every current browser sends one of them on a POST.
    """
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin is None:
        return False
    host = headers.get("host", "")
    return origin in ("null", "") or origin.split("://", 1)[-1] != host
