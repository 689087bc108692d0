"""Turn what the user typed after ``insights import`` into a local path to read.

* A local path is used as it is. When it is the top of a git work tree it is read in place
  and also gets git provenance (the HEAD commit) and each file's first-commit date; if git
  cannot describe it (no commits, git missing) it is read as a plain folder.
* An ``http(s)://`` URL to a page, feed or file is downloaded with httpx into a temporary
  folder that is removed after the import. The download is capped in size
  (``DEEPINSIGHTS_MAX_FETCH_BYTES``, enforced while streaming) and time (``DEEPINSIGHTS_FETCH_TIMEOUT``
  per network wait, ten times that in total), redirects are followed up to a limit, and the
  file is named from the URL and content type (``.xml`` for feeds, ``.html`` for pages).
* A video or podcast page that one of yt-dlp's site extractors claims (YouTube, Vimeo, Apple
  Podcasts…) is read by ``speech.download``: its published captions when it has them, else its
  sound, with yt-dlp's metadata file beside it; provenance says which was used. A page with
  no media there is fetched as a page. A link straight to an audio or video file is downloaded
  like any file, capped at ``DEEPINSIGHTS_MAX_MEDIA_BYTES`` instead.
* A git repository (a URL ending ``.git``, ``git+https://…``, ``ssh://``, ``git@host:path``, a
  ``file://`` URL to a repository, or a github.com / gitlab.com / codeberg.org ``owner/repo``
  page) is cloned into ``<user dir>/git/<hash of URL>`` as a partial clone (full history, file
  contents fetched on checkout; ``--depth 1`` when the server refuses filters). Importing it
  again fetches and resets the cache to the remote HEAD.

Each resolved source also gets its ``origin``, the identity of the root that relative native ids
(file paths) are relative to (see ``models``): a repository's normalised remote URL (or its first
commit, without a remote), so that a moved checkout or another way of cloning it names the same
documents; the URL of a download; else the folder's absolute path with symbolic links resolved.

It knows no formats (importers do) and writes nothing but the temporary download and the git
cache. It never runs a shell, and passes URLs to git after ``--`` so none can act as an option.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import httpx

from . import config
from .errors import ImporterError
from .speech.download import fetch_talk, media_site

MAX_REDIRECTS = 10
GIT_HOSTS = frozenset({"github.com", "gitlab.com", "codeberg.org"})
GIT_TIMEOUT = 3600
USER_AGENT = "deep-insights/0.1"
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:(?!//)[\w./~-]+$")
_SUFFIXES = {
    "text/html": ".html",
    "application/xhtml+xml": ".html",
    "application/rss+xml": ".xml",
    "application/atom+xml": ".xml",
    "application/rdf+xml": ".xml",
    "application/xml": ".xml",
    "text/xml": ".xml",
    "application/json": ".json",
    "application/feed+json": ".json",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/vtt": ".vtt",
    "text/markdown": ".md",
    "text/csv": ".csv",
    "audio/mpeg": ".mp3",
    "audio/mp3": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/flac": ".flac",
    "audio/x-flac": ".flac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/wave": ".wav",
    "audio/webm": ".webm",
    "video/webm": ".webm",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/x-matroska": ".mkv",
}
_CLONE_SCHEMES = ("https", "http", "ssh", "git", "file")
_GIT_ENV_DROPPED = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


@dataclass
class Resolved:
    """A local path to import, and where it came from."""

    path: Path
    provenance: dict[str, str] = field(default_factory=dict)
    file_dates: dict[str, datetime] = field(default_factory=dict)
    origin: str = ""


@contextmanager
def resolve(source: str) -> Iterator[Resolved]:
    """Yield a local path for ``source``; temporary downloads are removed afterwards.

    Raises ImporterError (one line, naming the URL) when a download or git command fails.
    """
    remote = git_remote(source)
    if remote is not None:
        yield clone(remote)
    elif is_http(source):
        with tempfile.TemporaryDirectory(prefix="deepinsights-") as folder:
            yield _talk(source, Path(folder)) or fetch(source, Path(folder))
    else:
        yield _local(_file_path(source))


def is_http(source: str) -> bool:
    return urlsplit(source.strip()).scheme.lower() in ("http", "https")


def git_remote(source: str) -> str | None:
    """The URL to clone when ``source`` names a git repository, else None."""
    text = source.strip()
    if text.lower().startswith("git+"):
        inner = text[4:]
        if urlsplit(inner).scheme.lower() in _CLONE_SCHEMES or _SCP_LIKE.match(inner):
            return inner
        raise ImporterError(f"'{source}': git URLs must use https, http, ssh, git or file")
    if _SCP_LIKE.match(text):
        return text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("ssh", "git"):
        return text
    if scheme == "file":
        path = url2pathname(parts.path)
        return text if path.rstrip("/").endswith(".git") or _is_repository(Path(path)) else None
    if scheme not in ("http", "https"):
        return None
    if parts.path.rstrip("/").endswith(".git"):
        return text
    host = (parts.hostname or "").removeprefix("www.")
    segments = [s for s in parts.path.split("/") if s]
    if host in GIT_HOSTS and len(segments) == 2 and not parts.query:
        return f"{scheme}://{host}/{segments[0]}/{segments[1]}"
    return None


def _file_path(source: str) -> Path:
    parts = urlsplit(source)
    return Path(url2pathname(parts.path)) if parts.scheme.lower() == "file" else Path(source)


def _is_repository(path: Path) -> bool:
    return (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())


# -- http(s) -------------------------------------------------------------------------


def _talk(url: str, folder: Path) -> Resolved | None:
    """A video or podcast page's captions or recording through yt-dlp; None for any other page."""
    if not media_site(url):
        return None
    talk = fetch_talk(url, folder)
    return Resolved(talk.path, {"url": url, "transcript": talk.used}) if talk else None


def fetch(url: str, folder: Path) -> Resolved:
    """Download ``url`` into ``folder``; provenance records the URL (and where redirects ended)."""
    timeout = float(config.FETCH_TIMEOUT.value())
    try:
        with (
            httpx.Client(
                follow_redirects=True,
                max_redirects=MAX_REDIRECTS,
                timeout=timeout,
                headers={"User-Agent": USER_AGENT},
            ) as client,
            client.stream("GET", url) as response,
        ):
            if not response.is_success:
                raise ImporterError(f"Cannot fetch '{url}': HTTP {response.status_code} {response.reason_phrase}")
            target = folder / file_name(url, response.headers.get("content-type", ""))
            _download(url, response, target, time.monotonic() + 10 * timeout)
            final = str(response.url)
    except httpx.TimeoutException:
        raise ImporterError(
            f"Cannot fetch '{url}': no response within {timeout:g}s (DEEPINSIGHTS_FETCH_TIMEOUT)"
        ) from None
    except httpx.TooManyRedirects:
        raise ImporterError(f"Cannot fetch '{url}': more than {MAX_REDIRECTS} redirects") from None
    except (httpx.HTTPError, httpx.InvalidURL) as ex:
        raise ImporterError(f"Cannot fetch '{url}': {_one_line(str(ex)) or type(ex).__name__}") from None
    provenance = {"url": url}
    if final != url:
        provenance["final_url"] = final
    return Resolved(target, provenance, origin=url_identity(url))


def _download(url: str, response: httpx.Response, target: Path, deadline: float) -> None:
    """Stream the body to ``target``, refusing it once it passes the size limit or the deadline."""
    media = response.headers.get("content-type", "").lower().startswith(("audio/", "video/"))
    setting = config.MAX_MEDIA_BYTES if media else config.MAX_FETCH_BYTES
    limit = int(setting.value())
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ImporterError(_too_big(url, int(declared), limit, setting.env))
    total = 0
    with target.open("wb") as f:
        for chunk in response.iter_bytes():
            total += len(chunk)
            if total > limit:
                raise ImporterError(_too_big(url, total, limit, setting.env))
            if time.monotonic() > deadline:
                raise ImporterError(f"Cannot fetch '{url}': download too slow, abandoned (DEEPINSIGHTS_FETCH_TIMEOUT)")
            f.write(chunk)


def _too_big(url: str, size: int, limit: int, env: str) -> str:
    return f"Cannot fetch '{url}': more than {limit:,} bytes (got {size:,}; raise {env} to allow)"


def file_name(url: str, content_type: str) -> str:
    """A safe local name for a download: the URL's last segment, with a suffix from the content type."""
    path = PurePosixPath(unquote(urlsplit(url).path))
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", path.stem)[:60].strip("_") or "download"
    mime = content_type.split(";")[0].strip().lower()
    url_suffix = path.suffix if re.fullmatch(r"\.[A-Za-z0-9]{1,8}", path.suffix) else ""
    suffix = _SUFFIXES.get(mime) or url_suffix or (".txt" if mime.startswith("text/") else ".bin")
    return stem + suffix.lower()


# -- git ---------------------------------------------------------------------------------


def clone(url: str) -> Resolved:
    """Clone ``url`` into the cache, or update the cached clone; provenance names URL and commit."""
    cache = config.user_dir() / "git" / hashlib.sha256(url.encode()).hexdigest()[:16]
    if (cache / ".git").is_dir():
        _update(url, cache)
    else:
        _fresh_clone(url, cache)
    described = _describe(cache, url)
    described.origin = git_identity(url)
    return described


def _fresh_clone(url: str, cache: Path) -> None:
    partial = cache.with_name(cache.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    result = _git(["clone", "--quiet", "--filter=blob:none", "--", url, str(partial)])
    if result.returncode != 0 and "filter" in result.stderr.lower():
        shutil.rmtree(partial, ignore_errors=True)
        result = _git(["clone", "--quiet", "--depth", "1", "--", url, str(partial)])
    _check(result, "clone", url)
    partial.rename(cache)


def _update(url: str, cache: Path) -> None:
    """Fetch the remote HEAD and make the work tree exactly that commit (local edits discarded)."""
    depth = ["--depth", "1"] if (cache / ".git" / "shallow").exists() else []
    _check(_git(["fetch", "--quiet", "--prune", *depth, "origin", "HEAD"], cache), "fetch", url)
    _check(_git(["reset", "--quiet", "--hard", "FETCH_HEAD"], cache), "reset", url)
    _check(_git(["clean", "-ffdxq"], cache), "clean", url)


def _local(path: Path) -> Resolved:
    """A local path; the top of a git work tree also gets provenance and first-commit dates."""
    origin = local_origin(path)
    if not (path.is_dir() and (path / ".git").exists() and shutil.which("git")):
        return Resolved(path, origin=origin)
    try:
        described = _describe(path, str(path.resolve()))
    except ImporterError:
        return Resolved(path, origin=origin)  # subtle: an unborn or unreadable repository is still a readable folder
    described.origin = origin
    return described


# -- origins: what relative native ids are relative to ------------------------------------


def local_origin(path: Path) -> str:
    """The identity of a local folder (a file's: its folder's) as a root of relative native ids.

    Inside a git work tree: the repository's identity, plus ``#`` and the folder's path in it
    when it is not the top. Elsewhere (or when git cannot describe the repository):
    ``path:`` and the absolute path, symbolic links resolved, so ``./blog`` and ``~/blog``
    are the same root.
    """
    folder = path.resolve()
    if not folder.is_dir():
        folder = folder.parent
    top = next((p for p in (folder, *folder.parents) if (p / ".git").exists()), None)
    repository = _repository_identity(top) if top is not None and shutil.which("git") else None
    if top is None or repository is None:
        return f"path:{folder.as_posix()}"
    inside = folder.relative_to(top).as_posix()
    return repository if inside == "." else f"{repository}#{inside}"


def _repository_identity(top: Path) -> str | None:
    """The remote ``origin`` (else the first remote) normalised, else the first commit; None if git cannot say."""
    remotes = _git(["remote"], top)
    names = remotes.stdout.split() if remotes.returncode == 0 else []
    if names:
        name = "origin" if "origin" in names else names[0]
        url = _git(["remote", "get-url", name], top)
        if url.returncode == 0 and url.stdout.strip():
            return git_identity(url.stdout.strip(), top)
    roots = _git(["rev-list", "--max-parents=0", "HEAD"], top)
    first = sorted(roots.stdout.split()) if roots.returncode == 0 else []
    return f"git-root:{first[0]}" if first else None


def git_identity(url: str, base: Path | None = None) -> str:
    """A repository URL normalised: ``git:host/owner/repo`` however it is spelled (https, ssh, scp-like).

    Credentials, ports, a trailing ``.git`` or ``/`` are dropped; github.com, gitlab.com and
    codeberg.org paths are lower-cased (those hosts ignore case). A local repository
    (a path, relative to ``base``, or ``file://``) is ``git:file:`` and its absolute path.
    """
    text = url.strip()
    if _SCP_LIKE.match(text):
        host, _, path = text.split("@", 1)[1].partition(":")
    else:
        parts = urlsplit(text)
        if parts.scheme.lower() in ("", "file"):
            local = Path(url2pathname(parts.path) if parts.scheme else text)
            return "git:file:" + _bare((base or Path.cwd()).joinpath(local).resolve().as_posix())
        host, path = parts.hostname or "", parts.path
    host = host.lower()
    path = _bare(path.strip("/"))
    if host.removeprefix("www.") in GIT_HOSTS:
        host, path = host.removeprefix("www."), path.lower()
    return f"git:{host}/{path}"


def url_identity(url: str) -> str:
    """``url:`` and ``url`` without credentials or fragment: the root of a download's file name."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower() + (f":{parts.port}" if parts.port else "")
    return "url:" + parts._replace(netloc=host, fragment="").geturl()


def _bare(path: str) -> str:
    path = path.rstrip("/")
    return path[: -len(".git")] if path.endswith(".git") else path


def _describe(repo: Path, label: str) -> Resolved:
    head = _git(["rev-parse", "HEAD"], repo)
    _check(head, "rev-parse", label)
    return Resolved(repo, {"git": label, "commit": head.stdout.strip()}, first_commit_dates(repo, label))


def first_commit_dates(repo: Path, label: str) -> dict[str, datetime]:
    """Each tracked path (relative, POSIX) mapped to the author date of the commit that added it.

    One ``git log`` pass over the whole history. Empty for a shallow clone, whose single
    commit would date every file to the day it was cloned from.
    """
    if (repo / ".git" / "shallow").exists():
        return {}
    args = ["-c", "core.quotePath=false", "log", "--no-renames", "--diff-filter=A", "--name-only", "-z"]
    result = _git([*args, "--format=%x01%at"], repo)
    _check(result, "log", label)
    dates: dict[str, datetime] = {}
    for record in result.stdout.split("\x01")[1:]:
        stamp, _, names = record.partition("\x00")
        moment = datetime.fromtimestamp(int(stamp), tz=UTC)
        for name in names.lstrip("\n").split("\x00"):
            if name:
                dates[name] = moment  # subtle: log runs newest first, so the oldest addition is written last
    return dates


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run git without a terminal prompt; a missing git binary becomes an ImporterError."""
    env = {k: v for k, v in os.environ.items() if k not in _GIT_ENV_DROPPED}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    stall = max(30, int(float(config.FETCH_TIMEOUT.value())))  # git wants whole seconds; slow servers get 30
    speed = ["-c", "http.lowSpeedLimit=1000", "-c", f"http.lowSpeedTime={stall}", "-c", "protocol.ext.allow=never"]
    try:
        return subprocess.run(
            ["git", *speed, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=GIT_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise ImporterError("git is not installed; it is needed to import git repositories") from None
    except subprocess.TimeoutExpired:
        raise ImporterError(f"git {args[0]} took longer than {GIT_TIMEOUT}s and was stopped") from None


def _check(result: subprocess.CompletedProcess[str], action: str, label: str) -> None:
    if result.returncode != 0:
        raise ImporterError(f"git {action} of '{label}' failed: {_one_line(result.stderr) or 'no message'}")


def _one_line(text: str) -> str:
    """The last meaningful line of an error text (git prints hints first), at most 200 characters."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip() and not line.startswith("hint:")]
    return lines[-1][:200] if lines else ""
