"""Import an X (Twitter) archive: the downloaded ``.zip``, its extracted folder, or ``tweets.js`` alone.

It reads ``tweets.js`` / ``tweet.js`` and their ``-partN`` siblings (listed in ``manifest.js``
or found by name), ``note-tweet.js`` (long posts, merged into the tweet that shows their
first lines), ``deleted-tweets.js`` (those ids are excluded), and the screen name from
``manifest.js`` or ``account.js``. Each tweet becomes one Document whose kind is ``repost``
(``RT @…``), ``reply`` (to someone else), ``quote`` (links a status) or ``tweet``. A reply
to one's own tweet continues a self-thread: it stays a ``tweet`` (as on the profile's
Tweets tab) and carries ``meta.thread_parent`` and ``meta.thread_root``; the first tweet
of a thread carries ``meta.thread_root`` = its own id. t.co links are expanded, media
links moved out of the text into ``meta.media``, HTML entities decoded. The original
item is kept in ``Document.raw`` only with ``--keep-raw`` (``ImportOptions.keep_raw``): its
fields that matter live in the columns and ``meta``, the archive itself stays the original
(``source_path`` + ``source_id`` find it), and without it a workspace is a third smaller.

Files are streamed: a JSON array is decoded item by item (``raw_decode`` over a sliding
buffer), so a 1 GB ``tweets.js`` is never held in memory. Each tweet file is read twice: a
first pass validates it and collects ids and reply links (threads need the whole archive),
a second pass yields Documents. A big file on disk has its first pass read in two halves
at once (``split_scan``), which halves the time before the first tweet can be written. A
part file that fails the first pass (bad JSON, bad UTF-8) is reported and left out whole
while its siblings import; a damaged zip or a zip bomb aborts the import.

It does not import likes, DMs, Circle or community tweets, media files or any other archive
data: each such file is reported through ``options.skip``, never silently dropped. It never
extracts the zip (members are streamed through ``archive.Tree`` and its caps) and fetches
nothing.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .archive import CHUNK, Tree, is_zip
from .base import ImportOptions
from .jsonstream import JsonStreamError, iter_json_array
from .split_scan import scan_in_halves
from .textutil import clean, parse_date

NAME = "x-archive"
MAX_SMALL_FILE = 16 * 1024 * 1024
HEAD_BYTES = 64 * 1024

_TWEETS = re.compile(r"(?:^|/)tweets?(?:-part(\d+))?\.js$")
_NOTES = re.compile(r"(?:^|/)note-tweets?(?:-part\d+)?\.js$")
_DELETED = re.compile(r"(?:^|/)deleted-tweets?(?:-part\d+)?\.js$")
_MANIFEST = re.compile(r"(?:^|/)manifest\.js$")
_ACCOUNT = re.compile(r"(?:^|/)account\.js$")
_ASSIGN = re.compile(r"(?:window\.)?[A-Za-z_$][\w$.]*\s*=\s*")
_YTD_TWEETS = re.compile(r"(?:window\.)?YTD\.tweets?\.part\d+\s*=")
_STATUS = re.compile(r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/(\w+)/status(?:es)?/(\d+)", re.IGNORECASE)
_RT = re.compile(r"^RT @(\w+)")
_SCREEN_NAME = re.compile(r"[A-Za-z0-9_]{1,50}")
_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_URL = re.compile(r"https?://\S+")
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


def _unsafe(name: str) -> bool:
    """True for member names that would escape a folder if extracted (we never extract, but list them)."""
    return (
        name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ".." in name.split("/")
        or (len(name) > 1 and name[1] == ":")
    )


# -- planning: which files hold what ----------------------------------------------------


@dataclass
class _Plan:
    """The files to read and what the archive says about itself."""

    tweets: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    expected: int = 0
    screen_name: str = ""
    account_id: str = ""


def _plan(source: _Source, options: ImportOptions) -> _Plan:
    if source.tree is None:  # a lone tweets.js
        return _Plan(tweets=[source.path.name])
    names = _safe_names(source, options)
    if not names:
        raise EmptyImportError(f"'{source.path}' is an empty archive: it holds no files")
    plan = _Plan()
    manifest = _load(source, names, _MANIFEST, options)
    _read_user(plan, manifest, _load(source, names, _ACCOUNT, options))
    plan.tweets = _tweet_files(source, names, _dict(manifest), plan, options)
    plan.notes = [n for n in names if _NOTES.search(n)]
    plan.deleted = [n for n in names if _DELETED.search(n)]
    used = {*plan.tweets, *plan.notes, *plan.deleted, *(n for n in names if _MANIFEST.search(n) or _ACCOUNT.search(n))}
    _report_unused(source, [n for n in names if n not in used], options)
    return plan


def _safe_names(source: _Source, options: ImportOptions) -> list[str]:
    safe = []
    for name in source.names():
        if _unsafe(name):
            options.skip(f"{source.path}: {name!r}", "unsafe member name (absolute or '..' path) ignored")
        else:
            safe.append(name)
    return safe


def _load(source: _Source, names: list[str], pattern: re.Pattern[str], options: ImportOptions) -> Any:
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
    info = _dict(_dict(manifest).get("userInfo"))
    first = _list(account)[0] if _list(account) else {}
    acct = _dict(_dict(first).get("account"))
    plan.screen_name = _screen_name(info.get("userName") or acct.get("username"))
    plan.account_id = _text(info.get("accountId") or acct.get("accountId"))


def _tweet_files(
    source: _Source, names: list[str], manifest: dict[str, Any], plan: _Plan, options: ImportOptions
) -> list[str]:
    found: list[str] = []
    for file_name, count in _listed(manifest):
        name = next((n for n in names if _same_file(n, file_name)), None)
        plan.expected += count
        if name is None and count:
            options.skip(source.label(file_name), f"manifest.js lists {count:,} tweets in it but the file is missing")
        elif name is not None and name not in found:
            found.append(name)
    # No manifest (a hand-made zip, a pre-2019 export) or a part it forgot: find the files by name.
    for name in sorted((n for n in names if _TWEETS.search(n)), key=_part_key):
        if name not in found:
            found.append(name)
    return found


def _listed(manifest: dict[str, Any]) -> list[tuple[str, int]]:
    """(fileName, count) of each tweets part in manifest.js (``dataTypes.tweets.files``)."""
    types = _dict(manifest.get("dataTypes"))
    # "tweets" since 2020 (tweets.js, tweets-part1.js…); "tweet" in 2019 exports (tweet.js).
    entry = _dict(types.get("tweets") or types.get("tweet"))
    files = [f for f in _list(entry.get("files")) if isinstance(f, dict)]
    return [(_text(f.get("fileName")), _int(f.get("count")) or 0) for f in files if f.get("fileName")]


def _same_file(name: str, file_name: str) -> bool:
    """Match a manifest fileName (``data/tweets.js``) to a member, wherever the archive was rooted."""
    return name == file_name or name.endswith("/" + file_name) or file_name.endswith("/" + name)


def _part_key(name: str) -> tuple[str, int]:
    match = _TWEETS.search(name)
    part = match.group(1) if match else None
    return (name.rpartition("/")[0], int(part) if part else -1)


def _report_unused(source: _Source, names: list[str], options: ImportOptions) -> None:
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


def _scan(source: _Source, plan: _Plan, options: ImportOptions) -> _Index:
    index = _Index()
    for name in plan.deleted:
        _scan_side_file(source, name, options, lambda item: _add_deleted(index, item))
    for name in plan.notes:
        _scan_side_file(source, name, options, lambda item: _add_note(index, item))
    for name in plan.tweets:
        _scan_tweets(source, name, plan, options, index)
    if index.deleted:
        options.skip(source.label(plan.deleted[0]), f"{len(index.deleted):,} deleted tweet(s) excluded", expected=True)
    return index


def _scan_side_file(source: _Source, name: str, options: ImportOptions, add: Callable[[Any], None]) -> None:
    try:
        for item in iter_json_array(source.chunks(name), source.label(name)):
            add(item)
    except JsonStreamError as ex:
        options.skip(source.label(name), str(ex))


def _add_deleted(index: _Index, item: Any) -> None:
    tid = _tweet_id(_unwrap(item, "tweet"))
    if tid is not None:
        index.deleted.add(tid)


def _add_note(index: _Index, item: Any) -> None:
    note = _unwrap(item, "noteTweet")
    created = parse_date(_text(note.get("createdAt")))
    if created is not None and _text(_dict(note.get("core")).get("text")):
        index.notes.setdefault(int(created.timestamp()), []).append(note)


def _scan_tweets(source: _Source, name: str, plan: _Plan, options: ImportOptions, index: _Index) -> None:
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
        tweet = _unwrap(item, "tweet")
        tid = _tweet_id(tweet)
        if tid is None:
            seen.bad += 1
            continue
        seen.ids.append(tid)
        parent = _int(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"))
        if parent is not None:
            user = _text(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id"))
            name = _text(tweet.get("in_reply_to_screen_name")).lower()
            seen.replies[tid] = (parent, shared.setdefault(user, user), shared.setdefault(name, name))
        if not seen.media_name:
            seen.media_name = _screen_name_from_media(tweet, tid)
    return seen


def _report_bad_items(label: str, bad: int, repeats: int, options: ImportOptions) -> None:
    if bad:
        options.skip(label, f"{bad:,} items are not tweets (no numeric id), skipped")
    if repeats:
        options.skip(label, f"{repeats:,} repeated tweet ids, the first occurrence kept")


def _note_replies(replies: dict[int, tuple[int, str, str]], plan: _Plan, index: _Index) -> None:
    """Record each reply's parent, and which replies answer the archive's own account (its self-threads)."""
    own_name = plan.screen_name.lower()
    for tid, (parent, user, name) in replies.items():
        index.parents[tid] = parent
        if (plan.account_id and user == plan.account_id) or (own_name and name == own_name):
            index.to_self.add(tid)


def _screen_name_from_media(tweet: dict[str, Any], tid: int) -> str:
    """A lone tweets.js names no user, but its media links do: ``twitter.com/<name>/status/<own id>/photo/1``."""
    for media in _list(_dict(tweet.get("entities")).get("media")):
        match = _STATUS.match(_text(_dict(media).get("expanded_url")))
        if match and match.group(2) == str(tid):
            return match.group(1)
    return ""


def _screen_name(value: Any) -> str:
    """A screen name fit for a URL and a thinker slug (X allows ``[A-Za-z0-9_]``), else ''."""
    text = _text(value)
    return text if _SCREEN_NAME.fullmatch(text) else ""


# -- threads and notes -------------------------------------------------------------------


@dataclass
class _Threads:
    """Self-threads: each continuation's parent and root, and the set of thread heads."""

    parent: dict[int, int]
    root: dict[int, int]
    heads: set[int]


def _link_threads(index: _Index) -> _Threads:
    parent = {t: p for t, p in index.parents.items() if p in index.ids or t in index.to_self}
    root: dict[int, int] = {}
    for start in parent:
        path, on_path, node = [], set(), start
        while node in parent and node not in root and node not in on_path:
            path.append(node)
            on_path.add(node)
            node = parent[node]
        top = root.get(node, node)
        for member in path:
            root[member] = top
    return _Threads(parent, root, set(root.values()))


class _Notes:
    """Long posts (note-tweet.js) waiting for the tweet that shows their first lines."""

    def __init__(self, by_second: dict[int, list[dict[str, Any]]]) -> None:
        self.by_second = by_second
        self.used: set[int] = set()

    def take(self, created: datetime | None, text: str) -> dict[str, Any] | None:
        """Return the note posted in the same second whose text starts like ``text``, once."""
        if created is None or not self.by_second:
            return None
        for note in self.by_second.get(int(created.timestamp()), []):
            if id(note) not in self.used and _same_start(_text(_dict(note.get("core")).get("text")), text):
                self.used.add(id(note))
                return note
        return None

    def unmatched(self) -> int:
        return sum(len(notes) for notes in self.by_second.values()) - len(self.used)


def _same_start(note: str, tweet: str) -> bool:
    a, b = _comparable(note), _comparable(tweet)
    n = min(80, len(a), len(b))
    return a[:n] == b[:n]


def _comparable(text: str) -> str:
    text = _MENTIONS.sub("", _URL.sub(" ", html.unescape(text))).replace("\u2026", "")
    return " ".join(text.split()).lower()


# -- second pass: Documents ---------------------------------------------------------------


@dataclass
class _Context:
    plan: _Plan
    threads: _Threads
    notes: _Notes
    path: str
    keep_raw: bool


def _documents(source: _Source, plan: _Plan, index: _Index, options: ImportOptions) -> Iterator[Document]:
    base = options.relative(source.path).strip(".") or source.path.name
    ctx = _Context(
        plan, _link_threads(index), _Notes(index.notes), base if source.tree is None else "", options.keep_raw
    )
    remaining = index.ids
    for name in index.files:
        for item in iter_json_array(source.chunks(name), source.label(name)):
            tweet = _unwrap(item, "tweet")
            tid = _tweet_id(tweet)
            if tid is None or tid not in remaining:  # subtle: a repeated id was counted in the first pass
                continue
            remaining.discard(tid)
            if tid not in index.deleted:
                yield _document(tweet, tid, ctx.path or f"{base}/{name}", ctx)
    if ctx.notes.unmatched():
        label = source.label(plan.notes[0])
        options.skip(label, f"{ctx.notes.unmatched():,} note tweets match no tweet in the archive, not imported")


def _document(tweet: dict[str, Any], tid: int, source_path: str, ctx: _Context) -> Document:
    full = _text(tweet.get("full_text") or tweet.get("text"))
    created = _created(tweet.get("created_at"))
    text, links, media = _expand(full, tweet)
    note = ctx.notes.take(created, text)
    if note:
        text, note_links = _note_text(note, html.unescape(text))
        links.extend(note_links)
    else:
        text = html.unescape(text)
    kind, meta = _classify(tweet, tid, full, links, ctx)
    meta.update(_counts(tweet), urls=links, media=media, note_tweet_id=_text(note.get("noteTweetId")) if note else "")
    screen = ctx.plan.screen_name
    raw = ({"tweet": tweet, "noteTweet": note} if note else {"tweet": tweet}) if ctx.keep_raw else None
    return Document(
        source=NAME,
        source_id=str(tid),
        kind=kind,
        text=clean(text).strip(),
        thinker=screen.lower(),
        url=f"https://x.com/{screen or 'i'}/status/{tid}",
        published_at=created,
        source_path=source_path,
        meta={k: _clean_value(v) for k, v in meta.items() if v not in (None, "", [])},
        raw=_dump(raw) if raw else None,
    )


def _expand(text: str, tweet: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """Replace t.co links by their targets; drop media links (returned apart). Entities may be absent."""
    entities = _dict(tweet.get("entities"))
    links = []
    for url in map(_dict, _list(entities.get("urls"))):
        short, target = _text(url.get("url")), _text(url.get("expanded_url") or url.get("display_url"))
        if short and target:
            text = text.replace(short, target)
            links.append(target)
    media = []
    for item in map(_dict, _list(_dict(tweet.get("extended_entities")).get("media") or entities.get("media"))):
        if item.get("url"):
            text = text.replace(_text(item.get("url")), "")
        if link := _text(item.get("media_url_https") or item.get("media_url")):
            media.append(link)
    return text.strip(), links, media


def _note_text(note: dict[str, Any], tweet_text: str) -> tuple[str, list[str]]:
    """The long post's full text, links expanded; keeps the leading @names its tweet shows."""
    core = _dict(note.get("core"))
    text, links = _text(core.get("text")), []
    for url in map(_dict, _list(core.get("urls"))):
        short, target = _text(url.get("shortUrl")), _text(url.get("expandedUrl"))
        if short and target:
            text = text.replace(short, target)
            links.append(target)
    mentions = _MENTIONS.match(tweet_text)  # a reply's note omits the leading @names its tweet shows
    if mentions and not text.startswith(mentions.group(0).strip()):
        text = mentions.group(0) + text
    return text, links


def _classify(
    tweet: dict[str, Any], tid: int, full: str, links: list[str], ctx: _Context
) -> tuple[str, dict[str, Any]]:
    """Kind (repost, reply, quote, tweet) and the reply, thread and quote links of one tweet."""
    threads, account_id = ctx.threads, ctx.plan.account_id
    meta: dict[str, Any] = {
        "in_reply_to_status_id": _text(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")),
        "in_reply_to_screen_name": _text(tweet.get("in_reply_to_screen_name")),
        "lang": _text(tweet.get("lang")),
    }
    if tid in threads.parent:
        meta.update(thread_parent=str(threads.parent[tid]), thread_root=str(threads.root[tid]))
    elif tid in threads.heads:
        meta["thread_root"] = str(tid)
    quoted = _text(tweet.get("quoted_status_id_str") or tweet.get("quoted_status_id")) or _quoted(links, tid)
    meta["quoted_status_id"] = quoted
    repost = _RT.match(full)
    if repost or tweet.get("retweeted_status"):
        meta["reposted_screen_name"] = repost.group(1) if repost else ""
        return "repost", meta
    if tid not in threads.parent and _replies_to_other(tweet, account_id):
        return "reply", meta
    return ("quote" if quoted else "tweet"), meta


def _replies_to_other(tweet: dict[str, Any], account_id: str) -> bool:
    """A reply to someone else; a tweet opening with @names has a reply-to user but no status (pre-2013)."""
    user = _text(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id"))
    status = _text(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"))
    return bool(status or user) and not (user and user == account_id)


def _quoted(links: list[str], tid: int) -> str:
    for link in links:
        match = _STATUS.match(link)
        if match and match.group(2) != str(tid):
            return match.group(2)
    return ""


def _counts(tweet: dict[str, Any]) -> dict[str, int | None]:
    return {"like_count": _int(tweet.get("favorite_count")), "repost_count": _int(tweet.get("retweet_count"))}


_CREATED = re.compile(r"[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d\d) (\d\d):(\d\d):(\d\d) \+0000 (\d{4})")
_MONTHS = {m: i for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}


def _created(value: Any) -> datetime | None:
    """Every archive so far writes UTC as "Thu Nov 03 08:50:26 +0000 2022".

    subtle: ``strptime`` was a quarter of the import's time, so that one shape is read by a
    regex; anything else (another offset, another layout) goes through the general parser.
    """
    text = _text(value)
    match = _CREATED.fullmatch(text)
    if match and match.group(1) in _MONTHS:
        month, day, hour, minute, second, year = match.groups()
        try:
            return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)
        except ValueError:
            return None
    try:
        return datetime.strptime(text, "%a %b %d %H:%M:%S %z %Y").astimezone(UTC)
    except ValueError:
        return parse_date(text)


# -- small helpers: the archive's JSON is untrusted, so every access is typed -------------


def _unwrap(item: Any, key: str) -> dict[str, Any]:
    """``{"tweet": {...}}`` (archives since 2019) or the bare object (older exports, hand-made files)."""
    item = _dict(item)
    return _dict(item[key]) if isinstance(item.get(key), dict) else item


def _tweet_id(tweet: dict[str, Any]) -> int | None:
    return _int(tweet.get("id_str") or tweet.get("id"))


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return str(value) if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else ""


def _int(value: Any) -> int | None:
    if type(value) is str and value.isascii() and value.isdigit() and len(value) < 30:
        return int(value)  # the usual case (ids are strings of digits), without _text's checks
    text = _text(value).strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 30 else None


def _clean_value(value: Any) -> Any:
    """Meta values reach SQLite as JSON text: no lone surrogates or NULs in strings or lists of them."""
    if isinstance(value, str):
        return clean(value)
    return [clean(v) for v in value] if isinstance(value, list) else value


def _dump(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # subtle: lone surrogates survive only as \\u escapes
        return json.dumps(value, separators=(",", ":"))
    return text


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

    def read(self, path: Path, options: ImportOptions) -> Iterator[Document]:
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
