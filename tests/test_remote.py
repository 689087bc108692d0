"""Fetching URLs (a real HTTP server on 127.0.0.1) and importing git repositories (real git, file:// URLs)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from deepinsights import config
from deepinsights.errors import ImporterError
from deepinsights.importers.base import ImportOptions
from deepinsights.ingest import run_import
from deepinsights.remote import file_name, git_remote, resolve

FIXTURES = Path(__file__).resolve().parent / "fixtures"
needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="needs the git command")


# -- a real HTTP server ------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    release: threading.Event

    def log_message(self, format: str, *args: object) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        routes = {
            "/feed": lambda: self.send(200, "application/rss+xml; charset=utf-8", (FIXTURES / "feed.xml").read_bytes()),
            "/blog/looms": lambda: self.send(200, "text/html; charset=utf-8", (FIXTURES / "page.html").read_bytes()),
            "/notes.md": lambda: self.send(200, "text/plain", b"# Notes\n\nPlain markdown.\n"),
            "/moved": lambda: self.redirect("/blog/looms"),
            "/loop": lambda: self.redirect("/loop"),
            "/declared-big": lambda: self.send(200, "text/html", b"<html>", length=10_000_000),
            "/streamed-big": self.stream_big,
            "/stall": self.stall,
        }
        route = routes.get(self.path)
        if route is None:
            self.send(404, "text/plain", b"not here")
        else:
            route()

    def send(self, status: int, content_type: str, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length if length is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, target: str) -> None:
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def stream_big(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()  # no Content-Length: the body ends when the connection closes
        for _ in range(64):
            self.wfile.write(b"<p>" + b"x" * 4096 + b"</p>")

    def stall(self) -> None:
        self.release.wait(10)


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up on purpose (size limit, timeout) are not errors here


@pytest.fixture
def server() -> Iterator[str]:
    release = threading.Event()
    handler = type("BoundHandler", (Handler,), {"release": release})
    httpd = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    release.set()
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_fetched_feed_is_imported_and_the_download_removed(server, store):
    with resolve(f"{server}/feed") as resolved:
        assert resolved.path.name == "feed.xml"
        assert resolved.path.read_bytes() == (FIXTURES / "feed.xml").read_bytes()
        assert resolved.provenance == {"url": f"{server}/feed"}
        folder = resolved.path.parent
    assert not folder.exists()
    report = run_import(store, [f"{server}/feed"], ImportOptions())
    assert report.by_source == {"feed": 2}
    urls = [r["url"] for r in store.rows("SELECT url FROM documents ORDER BY url")]
    assert urls == ["https://ada.example/2023/cards", "https://ada.example/2023/engine"]


def test_fetched_page_gets_the_url(server, db, run):
    url = f"{server}/blog/looms"
    result = run("import", url, "--db", db, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["by_source"] == {"html": 1}
    result = run("search", "loom", "--db", db, "--json")
    (hit,) = json.loads(result.output)
    assert hit["url"] == url
    assert hit["title"] == "On looms and engines | Ada's site"


def test_file_named_from_url_and_content_type(server):
    with resolve(f"{server}/notes.md") as resolved:
        assert resolved.path.name == "notes.md"
    with resolve(f"{server}/blog/looms") as resolved:
        assert resolved.path.name == "looms.html"


def test_redirect_is_followed_and_recorded(server):
    with resolve(f"{server}/moved") as resolved:
        assert resolved.provenance == {"url": f"{server}/moved", "final_url": f"{server}/blog/looms"}
        assert resolved.path.suffix == ".html"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/missing", "HTTP 404 Not Found"),
        ("/loop", "more than 10 redirects"),
        ("/declared-big", "more than 100,000 bytes (got 10,000,000; raise DEEPINSIGHTS_MAX_FETCH_BYTES"),
        ("/streamed-big", "more than 100,000 bytes (got"),
    ],
)
def test_fetch_errors_name_the_url(server, store, monkeypatch, path, message):
    monkeypatch.setenv(config.MAX_FETCH_BYTES.env, "100000")
    url = f"{server}{path}"
    with pytest.raises(ImporterError) as caught:
        run_import(store, [url], ImportOptions())
    assert str(caught.value).startswith(f"Cannot fetch '{url}': ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert store.document_count() == 0
    assert store.imports() == []


def test_stalled_server_times_out(server, monkeypatch):
    monkeypatch.setenv(config.FETCH_TIMEOUT.env, "0.5")
    started = time.monotonic()
    with (
        pytest.raises(ImporterError, match=r"/stall': no response within 0.5s \(DEEPINSIGHTS_FETCH_TIMEOUT\)"),
        resolve(f"{server}/stall"),
    ):
        pass
    assert time.monotonic() - started < 5


def test_unreachable_host(monkeypatch):
    monkeypatch.setenv(config.FETCH_TIMEOUT.env, "2")
    with pytest.raises(ImporterError, match=r"^Cannot fetch 'http://127.0.0.1:9/x': "), resolve("http://127.0.0.1:9/x"):
        pass


def test_cli_fetch_error_is_one_line(server, db, run):
    result = run("import", f"{server}/missing", "--db", db)
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: Cannot fetch '{server}/missing': HTTP 404 Not Found"


@pytest.mark.parametrize(
    ("url", "content_type", "expected"),
    [
        ("https://x.example/feed", "application/rss+xml; charset=utf-8", "feed.xml"),
        ("https://x.example/atom", "application/atom+xml", "atom.xml"),
        ("https://x.example/", "text/html", "download.html"),
        ("https://x.example/post.php?id=1", "text/html", "post.html"),
        ("https://x.example/raw/README.md", "text/plain; charset=utf-8", "README.md"),
        ("https://x.example/talk.VTT", "application/octet-stream", "talk.vtt"),
        ("https://x.example/../../etc/passwd", "", "passwd.bin"),
        ("https://x.example/a%2F..%2F..%2Fb.txt", "text/plain", "b.txt"),
        ("https://x.example/notes", "text/plain", "notes.txt"),
    ],
)
def test_file_name(url, content_type, expected):
    assert file_name(url, content_type) == expected


@pytest.mark.parametrize(
    ("source", "remote"),
    [
        ("https://github.com/karpathy/karpathy.github.io", "https://github.com/karpathy/karpathy.github.io"),
        ("https://www.github.com/simonw/til/", "https://github.com/simonw/til"),
        ("https://codeberg.org/owner/repo", "https://codeberg.org/owner/repo"),
        ("https://gitlab.com/owner/repo", "https://gitlab.com/owner/repo"),
        ("https://git.example.org/some/repo.git", "https://git.example.org/some/repo.git"),
        ("git+https://git.example.org/repo", "https://git.example.org/repo"),
        ("git@github.com:simonw/til.git", "git@github.com:simonw/til.git"),
        ("ssh://git@host.example/repo", "ssh://git@host.example/repo"),
        ("https://github.com/simonw/til/blob/main/README.md", None),
        ("https://github.com/simonw", None),
        ("https://example.com/feed.xml", None),
        ("file:///nonexistent/folder", None),
        ("notes/file.md", None),
    ],
)
def test_git_remote_classification(source, remote):
    assert git_remote(source) == remote


def test_git_plus_refuses_other_transports():
    with pytest.raises(ImporterError, match="git URLs must use https, http, ssh, git or file"):
        git_remote("git+ext::sh -c touch% /tmp/pwned")


# -- git ---------------------------------------------------------------------------------


def git(repo: Path, *args: str, date: str = "2020-01-02T03:04:05Z") -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    done = subprocess.run(["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, str], message: str, date: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def html(words: str) -> str:
    return f"<!doctype html><html><head><title>{words}</title></head><body><p>{words}</p></body></html>"


@pytest.fixture
def repo(tmp_path) -> Path:
    path = tmp_path / "blog"
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "uploadpack.allowFilter", "true")  # let a file:// clone be a real partial clone
    commit(path, {"notes/first.html": html("first note")}, "first", "2020-01-02T03:04:05Z")
    commit(path, {"notes/second.html": html("second note")}, "second", "2021-05-06T07:08:09Z")
    commit(path, {"notes/first.html": html("first note, edited")}, "edit", "2022-01-01T00:00:00Z")
    return path


def published(store) -> dict[str, str]:
    return {r["source_id"]: r["published_at"] for r in store.rows("SELECT source_id, published_at FROM documents")}


@needs_git
def test_git_clone_import_and_update(repo, store):
    url = repo.as_uri()
    head = git(repo, "rev-parse", "HEAD")
    report = run_import(store, [url], ImportOptions())
    assert report.added == 2
    assert published(store) == {"notes/first.html": "2020-01-02T03:04:05Z", "notes/second.html": "2021-05-06T07:08:09Z"}
    (row,) = store.imports()
    assert row["provenance"] == {url: {"git": url, "commit": head}}
    cache = config.user_dir() / "git"
    (clone,) = [p for p in cache.iterdir()]
    assert git(clone, "config", "remote.origin.partialclonefilter") == "blob:none"

    new_head = commit(
        repo, {"notes/third.html": html("third note"), "notes/second.html": html("second, edited")}, "more",
        "2023-03-03T03:03:03Z",
    )  # fmt: skip
    (clone / "stray.html").write_text(html("a local edit in the cache"))
    again = run_import(store, [url], ImportOptions())
    assert (again.added, again.updated, again.unchanged) == (1, 1, 1)
    assert published(store)["notes/third.html"] == "2023-03-03T03:03:03Z"
    assert published(store)["notes/second.html"] == "2021-05-06T07:08:09Z"  # still its first commit
    assert store.imports()[-1]["provenance"] == {url: {"git": url, "commit": new_head}}
    assert not (clone / "stray.html").exists()
    assert [p.name for p in cache.iterdir()] == [clone.name]


@needs_git
def test_git_plus_url_through_cli(repo, db, run):
    result = run("import", f"git+{repo.as_uri()}", "--db", db, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["added"] == 2
    assert data["provenance"][f"git+{repo.as_uri()}"]["commit"] == git(repo, "rev-parse", "HEAD")


@needs_git
def test_file_dates_use_the_first_commit(repo):
    with resolve(repo.as_uri()) as resolved:
        assert resolved.file_dates == {
            "notes/first.html": datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
            "notes/second.html": datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC),
        }


@needs_git
def test_local_work_tree_is_read_in_place(repo, store):
    with resolve(str(repo)) as resolved:
        assert resolved.path == repo
        assert resolved.provenance == {"git": str(repo.resolve()), "commit": git(repo, "rev-parse", "HEAD")}
        assert resolved.file_dates["notes/second.html"] == datetime(2021, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert not (config.user_dir() / "git").exists()
    run_import(store, [str(repo)], ImportOptions())
    assert published(store)["notes/first.html"] == "2020-01-02T03:04:05Z"


def test_plain_folder_has_no_provenance(tmp_path):
    with resolve(str(tmp_path)) as resolved:
        assert resolved.path == tmp_path
        assert resolved.provenance == {}
        assert resolved.file_dates == {}


@needs_git
def test_unborn_local_repository_is_a_plain_folder(tmp_path):
    git(tmp_path, "init", "-q")
    with resolve(str(tmp_path)) as resolved:
        assert resolved.provenance == {}


@needs_git
def test_git_failure_is_one_line_naming_the_url(tmp_path, store):
    url = (tmp_path / "missing.git").as_uri()
    with pytest.raises(ImporterError) as caught:
        run_import(store, [url], ImportOptions())
    message = str(caught.value)
    assert message.startswith(f"git clone of '{url}' failed: ")
    assert "\n" not in message
    assert store.imports() == []
    leftovers = list((config.user_dir() / "git").iterdir())
    assert leftovers == []
