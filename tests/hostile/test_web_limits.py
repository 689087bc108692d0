"""Web request limits (issue 19 item 8): bodies capped while they stream, every bad parameter a 400.

``POST /api/ask`` read a 200 MB body into memory before refusing it, a 100,000-deep JSON body
was a 500 (RecursionError) and ``/api/similar/x?limit=abc`` a 500. Here a real uvicorn on
127.0.0.1 serves the fixture workspace, and a walk over every route of the app sends each
parameter it takes a set of bad values: none may answer 500, and an API error is JSON
naming the reason.
"""

from __future__ import annotations

import http.client
import json
import socket
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from starlette.routing import Mount, Route

from deepinsights.web.app import create_app
from deepinsights.web.limits import max_request_bytes

from ..webutil import make_workspace, serving, write_profile

LIMIT = 1024 * 1024

BAD_NUMBERS = ["abc", "-1", "0", "1.5", "1e9", "99999999999999999999999", "\x00", " ", "0x10", "NaN"]
BAD_TEXT = ["\x00", "a\x1b]52;c;aGk=\x07", "x" * 5000, "\ud800", "%", "../../etc/passwd"]
BAD_DATES = ["yesterday", "2024-13-01", "2024-02-99", "0", "-1", "2024-01-01T00:00:00+99:00", "\x00"]
QUERY_PARAMS = {
    "q": BAD_TEXT,
    "kind": BAD_TEXT,
    "thinker": BAD_TEXT,
    "since": BAD_DATES,
    "until": BAD_DATES,
    "limit": BAD_NUMBERS,
    "offset": BAD_NUMBERS,
    "mode": ["zzz", "\x00", "x" * 100],
    "stream": ["1", "\x00"],
}
PATH_VALUES = ["\x00", "..", "x" * 5000, "%2e%2e", "a b", "ü", "<script>"]
# Every route of the app and the query parameters it reads; a new route must be added here.
ROUTES = {
    "/": [],
    "/profile/{slug}": ["q", "kind", "since", "until", "mode"],
    "/compare/{a}/{b}": [],
    "/api/search": ["q", "kind", "thinker", "since", "until", "limit", "offset", "mode"],
    "/api/similar/{doc_id}": ["limit"],
    "/api/profiles": [],
    "/api/profile/{slug}": [],
    "/api/stats": ["thinker"],
    "/api/verify/{slug}": [],
    "/api/ask": ["stream"],
    "/favicon.ico": [],
    "/static": [],
}
ASK_BODIES = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    b"null",
    b'"a question"',
    b"[" * 100_000,
    b'{"question": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    b'{"question": 5, "slug": "ada"}',
    b'{"question": "why?", "slug": {"a": 1}}',
    b'{"question": "why?", "slug": "ada", "since": 2020}',
    b'{"question": "why?", "slug": "ada", "until": "tomorrow"}',
    b'{"question": "why?", "slug": "ada\\u0000"}',
    json.dumps({"question": "x" * 5000, "slug": "ada"}).encode(),
    b'{"question": "   ", "slug": "ada"}',
    b'{"question": "why?", "slug": "nobody"}',
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("limits")
    db = make_workspace(folder / "insights.db")
    app = create_app(db, write_profile(folder / "profiles"), model="scripted-test-model")
    with serving(app) as url:
        yield url


def _request(base_url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes, str]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        response = conn.getresponse()
        return response.status, response.read(), response.getheader("content-type", "")
    finally:
        conn.close()


def _assert_handled(status: int, body: bytes, content_type: str, where: str) -> None:
    assert status != 500, f"{where}: 500 {body[:300]!r}"
    assert status < 500 or status in (501, 503), f"{where}: {status}"
    if where.split()[1].startswith("/api/") and status >= 400:
        error = json.loads(body)["error"]
        assert error and "Traceback" not in error, where


def _path(template: str, value: str) -> str:
    for name in ("{slug}", "{doc_id}", "{a}", "{b}"):
        template = template.replace(name, quote(value, safe=""))
    return template


def test_the_walk_covers_every_route_of_the_app(tmp_path):
    app = create_app(None, write_profile(tmp_path / "profiles"))
    paths = {route.path for route in app.routes if isinstance(route, Route | Mount)}
    assert paths == set(ROUTES)


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_every_route_answers_bad_parameters_without_a_500(base_url, route):
    method = "POST" if route == "/api/ask" else "GET"
    template = route.replace("/static", "/static/{slug}")
    filled = _path(template, "ada")
    body = b'{"question": "why?", "slug": "ada"}' if method == "POST" else None
    for name in ROUTES[route]:
        for value in QUERY_PARAMS[name]:
            path = f"{filled}?{name}={quote(value, safe='', errors='surrogatepass')}"
            _assert_handled(*_request(base_url, method, path, body), f"{method} {path[:80]}")
    if "{" in template:
        for value in PATH_VALUES:
            path = _path(template, value)
            _assert_handled(*_request(base_url, method, path, body), f"{method} {path[:80]}")
    for other in ("PUT", "DELETE", "PATCH"):
        status, _, _ = _request(base_url, other, filled, b"{}")
        assert status in (403, 404, 405), f"{other} {filled}: {status}"


@pytest.mark.parametrize("body", ASK_BODIES, ids=range(len(ASK_BODIES)))
def test_ask_bodies_that_are_no_question_are_a_400_with_the_reason(base_url, body):
    status, answer, _ = _request(base_url, "POST", "/api/ask", body)
    assert status in (400, 404), (status, answer[:200])
    assert json.loads(answer)["error"]


def test_hundred_thousand_deep_json_body_is_a_400_not_a_recursion_error(base_url):
    status, answer, _ = _request(base_url, "POST", "/api/ask", b"[" * 100_000 + b"]" * 100_000)
    assert status == 400 and "JSON object" in json.loads(answer)["error"]


@pytest.mark.parametrize("limit", ["abc", "-1", "0", "51", "1e3"])
def test_similar_with_a_bad_limit_is_a_400_naming_it(base_url, limit):
    status, answer, _ = _request(base_url, "GET", f"/api/similar/x?limit={quote(limit)}")
    assert status == 400 and "limit" in json.loads(answer)["error"]


def test_search_with_an_offset_past_sqlite_integers_is_a_400(base_url):
    status, answer, _ = _request(base_url, "GET", "/api/search?q=engine&offset=99999999999999999999")
    assert status == 400 and "offset" in json.loads(answer)["error"]


def _send_body(base_url: str, headers: list[str], chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request whose body comes from ``chunks`` until the server answers or closes; (reply, bytes sent)."""
    parts = urlsplit(base_url)
    sent = 0
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        head = ["POST /api/ask HTTP/1.1", f"Host: 127.0.0.1:{parts.port}", "Content-Type: application/json", *headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = b""
        try:
            while data := sock.recv(65536):
                reply += data
        except ConnectionResetError:
            pass
    return reply, sent


def test_declared_200_mb_body_is_refused_with_413_before_it_is_read(base_url):
    def body() -> Iterator[bytes]:
        yield b'{"question": "' + b"x" * 4096

    reply, _ = _send_body(base_url, [f"Content-Length: {200 * 1024 * 1024}"], body())
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert b"DEEPINSIGHTS_MAX_REQUEST_BYTES" in reply


def test_chunked_200_mb_body_is_cut_off_at_the_limit_and_never_held(base_url):
    piece = b"x" * (256 * 1024)

    def body() -> Iterator[bytes]:
        yield b"%x\r\n%s\r\n" % (len(b'{"q": "'), b'{"q": "')
        for _ in range(800):  # 200 MB if the server kept reading
            yield b"%x\r\n%s\r\n" % (len(piece), piece)
        yield b"0\r\n\r\n"

    tracemalloc.start()
    try:
        reply, sent = _send_body(base_url, ["Transfer-Encoding: chunked"], body())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.startswith(b"HTTP/1.1 413"), reply[:200]
    assert sent < 100 * 1024 * 1024  # the server closed the connection instead of reading on
    assert peak < 20 * 1024 * 1024, f"peak {peak:,} bytes"


def test_a_body_within_the_limit_still_reaches_the_handler(base_url):
    body = json.dumps({"question": "why?", "slug": "ada", "padding": "x" * (LIMIT - 100)}).encode()
    status, answer, _ = _request(base_url, "POST", "/api/ask", body)
    assert status != 413 and status != 500, answer[:200]


def test_the_limit_is_a_documented_setting(monkeypatch):
    assert max_request_bytes() == LIMIT
    monkeypatch.setenv("DEEPINSIGHTS_MAX_REQUEST_BYTES", "2048")
    assert max_request_bytes() == 2048
    monkeypatch.setenv("DEEPINSIGHTS_MAX_REQUEST_BYTES", "lots")
    assert max_request_bytes() == LIMIT
    assert "DEEPINSIGHTS_MAX_REQUEST_BYTES" in (Path(__file__).parents[2] / "docs" / "settings.md").read_text()
