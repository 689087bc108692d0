"""Import an X (Twitter) archive: the downloaded ``.zip``, its extracted folder, or ``tweets.js`` alone.

It reads ``tweets.js`` / ``tweet.js`` and their ``-partN`` siblings (listed in ``manifest.js``
or found by name), ``note-tweet.js`` (long posts, merged into the tweet that shows their
first lines), ``deleted-tweets.js`` (those ids are excluded), and the screen name from
``manifest.js`` or ``account.js``. Each tweet becomes one Document whose kind is ``repost``
(``RT @…``), ``reply`` (to someone else), ``quote`` (links a status) or ``tweet``. A reply
to one's own tweet continues a self-thread: it stays a ``tweet`` (as on the profile's
Tweets tab) and carries ``meta.thread_parent`` and ``meta.thread_root``; the first tweet
of a thread carries ``meta.thread_root`` = its own id (``x_tweet`` turns each tweet into
its Document; ``x_json`` reads the untrusted JSON). The original
item is kept in ``Document.raw`` only with ``--keep-raw`` (``ImportRun.keep_raw``): its
fields that matter live in the columns and ``meta``, the archive itself stays the original
(``source_path`` + ``source_id`` find it), and without it a workspace is a third smaller.

Files are streamed: a JSON array is decoded item by item (``raw_decode`` over a sliding
buffer), so a 1 GB ``tweets.js`` is never held in memory. Each tweet file is read twice: a
first pass validates it and collects ids and reply links (threads need the whole archive),
a second pass yields Documents. A big file on disk has its first pass read in two halves
at once (``split_scan``), which halves the time before the first tweet can be written. A
part file that fails the first pass (bad JSON, bad UTF-8) is reported and left out whole
while its siblings import; a damaged zip or a zip bomb aborts the import. A part holding
fewer items than ``manifest.js`` lists for it is imported with a warning naming both numbers
(an error under ``--strict``); one listed but missing is reported as skipped.

It does not import likes, DMs, Circle or community tweets, media files or any other archive
data: each such file is reported through ``options.skip``, never silently dropped. It never
extracts the zip (members are streamed through ``archive.Tree`` and its caps) and fetches
nothing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .archive import CHUNK, Tree, is_zip
from .archive import unsafe_name as _unsafe
from .base import ImportRun
from .jsonstream import JsonStreamError, iter_json_array
from .split_scan import scan_in_halves
from .x_json import STATUS, as_dict, as_int, as_list, as_text, tweet_id, unwrap
from .x_tweet import NAME, Context, Notes, document, link_threads

MAX_SMALL_FILE = 16 * 1024 * 1024
HEAD_BYTES = 64 * 1024

_TWEETS = re.compile(r"(?:^|/)tweets?(?:-part(\d+))?\.js$")
_NOTES = re.compile(r"(?:^|/)note-tweets?(?:-part\d+)?\.js$")
_DELETED = re.compile(r"(?:^|/)deleted-tweets?(?:-part\d+)?\.js$")
_MANIFEST = re.compile(r"(?:^|/)manifest\.js$")
_ACCOUNT = re.compile(r"(?:^|/)account\.js$")
_ASSIGN = re.compile(r"(?:window\.)?[A-Za-z_$][\w$.]*\s*=\s*")
_YTD_TWEETS = re.compile(r"(?:window\.)?YTD\.tweets?\.part\d+\s*=")
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,50}")
_PROBES = ("data/tweets.js", "data/tweet.js", "tweets.js", "tweet.js", "data/tweets-part1.js", "tweets-part1.js")
_PRIVATE = ("direct-message", "twitter-circle-tweet")


# -- the archive's files ---------------------------------------------------------------


class _Source:
    """The files of one archive: a zip or folder (read through ``Tree``) or one lone data file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.tree = Tree(path) if path.is_dir() or _zipish(path) else None

    def names(self) -> list[str]:
        return self.tree.names() if self.tree is not None else [self.path.name]

    def label(self, name: str) -> str:
        return f"{self.path}/{name}" if self.tree is not None else str(self.path)

    def file(self, name: str) -> Path | None:
        """The file on disk that holds ``name``, if it is one (not a zip member)."""
        if self.tree is None:
            return self.path
        path = self.path / name
        return path if self.path.is_dir() and path.is_file() else None

    def chunks(self, name: str) -> Iterator[bytes]:
        try:
            yield from (self.tree.stream(name) if self.tree is not None else _file_chunks(self.path))
        except OSError as ex:
            raise CorruptArchiveError(f"'{self.label(name)}' cannot be read: {ex.strerror or ex}") from None

    def small(self, name: str) -> Any:
        """Parse a small ``window.X = {…}`` file (manifest.js, account.js) whole."""
        if self.tree is None or self.tree.size(name) > MAX_SMALL_FILE:
            raise JsonStreamError(f"'{self.label(name)}' is larger than {MAX_SMALL_FILE:,} bytes")
        text = self.tree.read_bytes(name).decode("utf-8-sig", errors="replace").strip().rstrip(";")
        match = _ASSIGN.match(text)
        try:
            return json.loads(text[match.end() :] if match else text)
        except (ValueError, RecursionError) as ex:
            raise JsonStreamError(f"'{self.label(name)}' is not valid JSON: {str(ex)[:120]}") from None

    def close(self) -> None:
        if self.tree is not None:
            self.tree.close()


def _file_chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _zipish(path: Path) -> bool:
    return path.suffix.lower() == ".zip" or is_zip(path)


# -- planning: which files hold what ----------------------------------------------------


@dataclass
class _Plan:
    """The files to read and what the archive says about itself."""

    tweets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    expected: int = 0
    claimed: dict[str, int] = field(default_factory=dict)  # member -> tweets manifest.js says it holds
    screen_name: str = ""
    account_id: str = ""


def _plan(source: _Source, options: ImportRun) -> _Plan:
    if source.tree is None:  # a lone tweets.js
        return _Plan(tweets=[source.path.name])
    names = _safe_names(source, options)
    if not names:
        raise EmptyImportError(f"'{source.path}' is an empty archive: it holds no files")
    plan = _Plan()
    manifest = _load(source, names, _MANIFEST, options)
    _read_user(plan, manifest, _load(source, names, _ACCOUNT, options))
    plan.tweets = _tweet_files(source, names, as_dict(manifest), plan, options)
    plan.notes = [n for n in names if _NOTES.search(n)]
    plan.deleted = [n for n in names if _DELETED.search(n)]
    used = {*plan.tweets, *plan.notes, *plan.deleted, *(n for n in names if _MANIFEST.search(n) or _ACCOUNT.search(n))}
    _report_unused(source, [n for n in names if n not in used], options)
    return plan


def _safe_names(source: _Source, options: ImportRun) -> list[str]:
    safe = []
    for name in source.names():
        if _unsafe(name):
            options.skip(f"{source.path}: {name!r}", "unsafe member name (absolute or '..' path) ignored")
        else:
            safe.append(name)
    return safe


def _load(source: _Source, names: list[str], pattern: re.Pattern[str], options: ImportRun) -> Any:
    name = next((n for n in names if pattern.search(n)), None)
    if name is None:
        return None
    try:
        return source.small(name)
    except JsonStreamError as ex:
        options.skip(source.label(name), str(ex))
        return None


def _read_user(plan: _Plan, manifest: Any, account: Any) -> None:
    # Archives since 2019 carry manifest.js userInfo; older ones only account.js.
    info = as_dict(as_dict(manifest).get("userInfo"))
    first = as_list(account)[0] if as_list(account) else {}
    acct = as_dict(as_dict(first).get("account"))
    plan.screen_name = _screen_name(info.get("userName") or acct.get("username"))
    plan.account_id = as_text(info.get("accountId") or acct.get("accountId"))


def _tweet_files(
    source: _Source, names: list[str], manifest: dict[str, Any], plan: _Plan, options: ImportRun
) -> list[str]:
    found: list[str] = []
    for file_name, count in _listed(manifest):
        name = next((n for n in names if _same_file(n, file_name)), None)
        plan.expected += count
        if name is None and count:
            options.skip(source.label(file_name), f"manifest.js lists {count:,} tweets in it but the file is missing")
        elif name is not None and name not in found:
            found.append(name)
            plan.claimed[name] = count
    # No manifest (a hand-made zip, a pre-2019 export) or a part it forgot: find the files by name.
    for name in sorted((n for n in names if _TWEETS.search(n)), key=_part_key):
        if name not in found:
            found.append(name)
    return found


def _listed(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """(fileName, count) of each tweets part in manifest.js (``dataTypes.tweets.files``)."""
    types = as_dict(manifest.get("dataTypes"))
    # "tweets" since 2020 (tweets.js, tweets-part1.js…); "tweet" in 2019 exports (tweet.js).
    entry = as_dict(types.get("tweets") or types.get("tweet"))
    files = [f for f in as_list(entry.get("files")) if isinstance(f, dict)]
    return [(as_text(f.get("fileName")), as_int(f.get("count")) or 0) for f in files if f.get("fileName")]


def _same_file(name: str, file_name: str) -> bool:
    """Match a manifest fileName (``data/tweets.js``) to a member, wherever the archive was rooted."""
    return name == file_name or name.endswith("/" + file_name) or file_name.endswith("/" + name)


def _part_key(name: str) -> tuple[str, int]:
    match = _TWEETS.search(name)
    part = match.group(1) if match else None
    return (name.rpartition("/")[0], int(part) if part else -1)


def _report_unused(source: _Source, names: list[str], options: ImportRun) -> None:
    """Report every file we do not read: one line per data file, one per media or viewer folder."""
    folders: dict[str, int] = {}
    for name in names:
        parts = name.split("/")
        bulk = next((i for i, p in enumerate(parts[:-1]) if p.endswith("_media") or p == "assets"), None)
        if bulk is not None:
            folder = "/".join(parts[: bulk + 1]) + "/"
            folders[folder] = folders.get(folder, 0) + 1
        elif parts[-1].startswith(_PRIVATE):
            options.skip(
                source.label(name), "private data (direct messages, Circle tweets) is never imported", expected=True
            )
        else:
            options.skip(
                source.label(name),
                "not imported: deep-insights reads tweets, note tweets and deleted-tweet ids",
                expected=True,
            )
    for folder, n in folders.items():
        options.skip(source.label(folder), f"{n:,} media or archive-viewer files, not imported", expected=True)


# -- first pass: validate files, collect ids and links ----------------------------------


@dataclass
class _Index:
    """What the first pass learned about the whole archive."""

    files: list[str] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)
    parents: dict[int, int] = field(default_factory=dict)
    to_self: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    notes: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    items: int = 0
    errors: list[str] = field(default_factory=list)


def _scan(source: _Source, plan: _Plan, options: ImportRun) -> _Index:
    index = _Index()
    for name in plan.deleted:
        _scan_side_file(source, name, options, lambda item: _add_deleted(index, item))
    for name in plan.notes:
        _scan_side_file(source, name, options, partial(_add_note, index, options.date, source.label(name)))
    for name in plan.tweets:
        _scan_tweets(source, name, plan, options, index)
    if index.deleted:
        options.skip(source.label(plan.deleted[0]), f"{len(index.deleted):,} deleted tweet(s) excluded", expected=True)
    return index


def _scan_side_file(source: _Source, name: str, options: ImportRun, add: Callable[[Any], None]) -> None:
    try:
        for item in iter_json_array(source.chunks(name), source.label(name)):
            add(item)
    except JsonStreamError as ex:
        options.skip(source.label(name), str(ex))


def _add_deleted(index: _Index, item: Any) -> None:
    tid = tweet_id(unwrap(item, "tweet"))
    if tid is not None:
        index.deleted.add(tid)


def _add_note(index: _Index, read_date: Callable[[object, str], datetime | None], label: str, item: Any) -> None:
    note = unwrap(item, "noteTweet")
    created = read_date(as_text(note.get("createdAt")), f"{label}#{as_text(note.get('noteTweetId'))}")
    if created is not None and as_text(as_dict(note.get("core")).get("text")):
        index.notes.setdefault(int(created.timestamp()), []).append(note)


def _scan_tweets(source: _Source, name: str, plan: _Plan, options: ImportRun, index: _Index) -> None:
    label = source.label(name)
    path = source.file(name)
    try:
        halves = scan_in_halves(path, label, _observe) if path else None
        parts = halves or (_observe(iter_json_array(source.chunks(name), label)),)
    except JsonStreamError as ex:
        options.skip(label, f"{ex} (file left out)")
        index.errors.append(str(ex))
        return
    ids: set[int] = set()
    repeats = 0
    for part in parts:
        for tid in part.ids:
            repeats += tid in ids or tid in index.ids
            ids.add(tid)
        plan.screen_name = plan.screen_name or part.media_name
        index.items += part.items
    for part in parts:
        _note_replies(part.replies, plan, index)
    _report_bad_items(label, sum(part.bad for part in parts), repeats, options)
    _report_shortfall(label, sum(part.items for part in parts), plan.claimed.get(name, 0), options)
    index.files.append(name)
    index.ids |= ids


@dataclass
class _Observed:
    """What the first pass saw in (part of) one tweet file, in file order; picklable, merged in order."""

    ids: list[int] = field(default_factory=list)
    replies: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # id -> parent, user id, screen name
    media_name: str = ""  # the first screen name seen in a media link to the tweet itself
    items: int = 0
    bad: int = 0


def _observe(items: Iterator[Any]) -> _Observed:
    seen = _Observed()
    shared: dict[str, str] = {}  # one copy of each user id and name: a big archive replies to few people
    for item in items:
        seen.items += 1
        tweet = unwrap(item, "tweet")
        tid = tweet_id(tweet)
        if tid is None:
            seen.bad += 1
            continue
        seen.ids.append(tid)
        parent = as_int(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"))
        if parent is not None:
            user = as_text(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id"))
            name = as_text(tweet.get("in_reply_to_screen_name")).lower()
            seen.replies[tid] = (parent, shared.setdefault(user, user), shared.setdefault(name, name))
        if not seen.media_name:
            seen.media_name = _screen_name_from_media(tweet, tid)
    return seen


def _report_bad_items(label: str, bad: int, repeats: int, options: ImportRun) -> None:
    if bad:
        options.skip(label, f"{bad:,} items are not tweets (no numeric id), skipped")
    if repeats:
        options.skip(label, f"{repeats:,} repeated tweet ids, the first occurrence kept")


def _report_shortfall(label: str, held: int, claimed: int, options: ImportRun) -> None:
    """Warn when a file holds fewer items than manifest.js says it does (a truncated or edited export)."""
    if held < claimed:
        options.warn(label, f"manifest.js lists {claimed:,} tweets in this file but it holds {held:,}")


def _note_replies(replies: dict[int, tuple[int, str, str]], plan: _Plan, index: _Index) -> None:
    """Record each reply's parent, and which replies answer the archive's own account (its self-threads)."""
    own_name = plan.screen_name.lower()
    for tid, (parent, user, name) in replies.items():
        index.parents[tid] = parent
        if (plan.account_id and user == plan.account_id) or (own_name and name == own_name):
            index.to_self.add(tid)


def _screen_name_from_media(tweet: dict[str, Any], tid: int) -> str:
    """A lone tweets.js names no user, but its media links do: ``twitter.com/<name>/status/<own id>/photo/1``."""
    for media in as_list(as_dict(tweet.get("entities")).get("media")):
        match = STATUS.match(as_text(as_dict(media).get("expanded_url")))
        if match and match.group(2) == str(tid):
            return match.group(1)
    return ""


def _screen_name(value: Any) -> str:
    """A screen name fit for a URL and a thinker slug (X allows ``[A-Za-z0-9_]``), else ''."""
    text = as_text(value)
    return text if _SCREEN_NAME.fullmatch(text) else ""


# -- second pass: Documents ---------------------------------------------------------------


def _documents(source: _Source, plan: _Plan, index: _Index, options: ImportRun) -> Iterator[Document]:
    base = options.relative(source.path).strip(".") or source.path.name
    threads = link_threads(index.parents, index.ids, index.to_self)
    ctx = Context(plan.screen_name, plan.account_id, threads, Notes(index.notes), options.keep_raw, options.date)
    lone = base if source.tree is None else ""
    remaining = index.ids
    for name in index.files:
        for item in iter_json_array(source.chunks(name), source.label(name)):
            tweet = unwrap(item, "tweet")
            tid = tweet_id(tweet)
            if tid is None or tid not in remaining:  # subtle: a repeated id was counted in the first pass
                continue
            remaining.discard(tid)
            if tid not in index.deleted:
                yield document(tweet, tid, lone or f"{base}/{name}", ctx)
    if ctx.notes.unmatched():
        label = source.label(plan.notes[0])
        options.skip(label, f"{ctx.notes.unmatched():,} note tweets match no tweet in the archive, not imported")


# -- detection ------------------------------------------------------------------------------


def _head(chunks: Iterator[bytes]) -> str:
    try:
        data = next(chunks, b"")[:HEAD_BYTES]
    finally:
        close = getattr(chunks, "close", None)
        if close:
            close()
    return data.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def _is_data_head(name: str, head: str) -> bool:
    if name.endswith("manifest.js"):
        return head.startswith("window.__THAR_CONFIG")
    if _YTD_TWEETS.match(head):
        return True
    return head.startswith("[") and ('"full_text"' in head or '"id_str"' in head)


def _detect_folder(path: Path) -> bool:
    for rel in (*_PROBES, "data/manifest.js", "manifest.js"):
        candidate = path / rel
        if candidate.is_file() and not candidate.is_symlink() and _is_data_head(rel, _head(_file_chunks(candidate))):
            return True
    return False


def _detect_zip(path: Path) -> bool:
    try:
        tree = Tree(path)
    except CorruptArchiveError:
        return True  # subtle: claim it, so the user hears "not a valid archive" rather than "unknown format"
    try:
        names = tree.names()
        wanted = [n for n in names if not _unsafe(n) and (_TWEETS.search(n) or _MANIFEST.search(n))]
        return not names or any(_is_data_head(n, _head(tree.stream(n))) for n in wanted[:20])
    except CorruptArchiveError:
        return True
    finally:
        tree.close()


def _detect_file(path: Path) -> bool:
    if path.suffix.lower() not in (".js", ".json"):
        return False
    head = _head(_file_chunks(path))
    return bool(_YTD_TWEETS.match(head)) or (bool(_TWEETS.search(path.name)) and _is_data_head(path.name, head))


def _check_not_empty(source: _Source, plan: _Plan, index: _Index, count: int) -> None:
    if count:
        return
    if index.errors:
        raise CorruptArchiveError(index.errors[0])
    if plan.expected:
        raise EmptyImportError(
            f"'{source.path}': manifest.js lists {plan.expected:,} tweets but none could be imported"
        )
    if index.items > len(index.deleted):
        raise EmptyImportError(f"'{source.path}' holds {index.items:,} items but none is a tweet")


class XArchiveImporter:
    """The X (Twitter) archive importer."""

    name = NAME
    description = "X/Twitter archive: the .zip, its extracted folder, or data/tweets.js"

    def detect(self, path: Path) -> bool:
        try:
            if path.is_dir():
                return _detect_folder(path)
            if _zipish(path):
                return _detect_zip(path)
            return _detect_file(path)
        except OSError:
            return False

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        source = _Source(path)
        try:
            plan = _plan(source, options)
            index = _scan(source, plan, options)
            count = 0
            for doc in _documents(source, plan, index, options):
                count += 1
                yield doc
            _check_not_empty(source, plan, index, count)
        finally:
            source.close()


IMPORTER = XArchiveImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
