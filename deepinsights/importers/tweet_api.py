"""Import tweets saved from the Twitter/X APIs or scrapers: a JSON file or JSON Lines of them.

Files read (``.json``, ``.jsonl``, ``.ndjson``): a JSON array of tweets, an object with
``data`` (API v2, with ``includes``) or ``statuses`` (v1.1 search), one tweet object, or
JSON Lines of any of these (twarc and academic dumps, snscrape). ``tweet_shapes`` reads
each shape; ``x_tweet`` makes the Document, so kinds (tweet, reply, repost, quote), t.co
expansion, entity decoding, self-threads and the ``x.com/<name>/status/<id>`` URL are the
X archive's. Each Document also carries ``meta.reply_url``, ``meta.quoted_url`` and
``meta.reposted_url`` (links to the tweets it points at) and, for a quote, the quoted
words in ``meta.quoted_text`` (never in ``text``: they are someone else's).

A dump may hold several accounts (a search, a conversation): the thinker's tweets are
those of ``--handle``, else of the account with the most tweets; the others are left out
and counted. Like an X archive, a file is read twice, streamed (JSON arrays item by item,
JSON Lines line by line): a first pass finds ids, authors and reply links, a second yields
Documents. A JSON object is parsed whole, up to ``MAX_JSON_BYTES``.

It fetches nothing (no t.co resolving, no missing tweets looked up).
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from .archive import CHUNK
from .base import ImportRun
from .jsonstream import iter_json_array
from .textutil import bounded_lines
from .tweet_shapes import ApiTweet, tweets_in
from .x_json import clean_value
from .x_tweet import Context, Notes, document, link_threads

NAME = "twitter-api"
SUFFIXES = (".json", ".jsonl", ".ndjson")
LINE_SUFFIXES = (".jsonl", ".ndjson")
MAX_JSON_BYTES = 200 * 1024 * 1024
MAX_LINE_BYTES = 64 * 1024 * 1024
HEAD_BYTES = 64 * 1024

# What a tweet looks like in the first 64 KB: v1.1 (id_str + text + user), v2 (author_id or
# edit_history_tweet_ids beside text), snscrape (its _type, or rawContent + username).
_V1 = (re.compile(rb'"id_str"\s*:'), re.compile(rb'"(?:full_)?text"\s*:'), re.compile(rb'"screen_name"\s*:'))
_V2 = (re.compile(rb'"(?:author_id|edit_history_tweet_ids)"\s*:'), re.compile(rb'"text"\s*:'))
_SNSCRAPE = (re.compile(rb'"(?:rawContent|content)"\s*:'), re.compile(rb'"username"\s*:'), re.compile(rb'"date"\s*:'))


def _looks_like_tweets(head: bytes) -> bool:
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if start not in (b"[", b"{"):
        return False
    return any(all(p.search(head) for p in shape) for shape in (_V1, _V2, _SNSCRAPE))


# -- reading the file ---------------------------------------------------------------------


def _values(path: Path) -> Iterator[tuple[str, Any]]:
    """Yield (where, top-level value) for each item of the file (an array item, a line, the object)."""
    if path.name.lower().endswith(LINE_SUFFIXES) or _is_lines(path):
        yield from _lines(path)
        return
    with path.open("rb") as f:
        first = f.read(HEAD_BYTES).lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if first == b"[":
        for n, item in enumerate(iter_json_array(_chunks(path), str(path)), start=1):
            yield f"item {n}", item
        return
    size = path.stat().st_size
    if size > MAX_JSON_BYTES:
        raise CorruptArchiveError(f"'{path}' is {size:,} bytes: a JSON object over {MAX_JSON_BYTES:,} is not read")
    try:
        yield "the object", json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, RecursionError) as ex:
        raise CorruptArchiveError(f"'{path}' is not valid JSON: {str(ex)[:160]}") from None


def _is_lines(path: Path) -> bool:
    """A ``.json`` file holding JSON Lines: its first line is a whole object and more follow."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    first, _, rest = head.lstrip(b"\xef\xbb\xbf \t\r\n").partition(b"\n")
    if not first.startswith(b"{") or not rest.strip().startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except (ValueError, RecursionError):
        return False


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def _lines(path: Path) -> Iterator[tuple[str, Any]]:
    with path.open("rb") as f:
        for n, (line, complete) in enumerate(bounded_lines(f, MAX_LINE_BYTES), start=1):
            if not line.strip():
                continue
            if not complete:
                raise CorruptArchiveError(f"'{path}': line {n} is longer than {MAX_LINE_BYTES:,} bytes")
            try:
                yield f"line {n}", json.loads(line.decode("utf-8-sig"))
            except (ValueError, RecursionError) as ex:
                raise CorruptArchiveError(f"'{path}': line {n} is not valid JSON: {str(ex)[:120]}") from None


def _tweets(path: Path) -> Iterator[ApiTweet | None]:
    try:
        for _, value in _values(path):
            yield from tweets_in(value)
    except OSError as ex:
        raise CorruptArchiveError(f"'{path}' cannot be read: {ex.strerror or ex}") from None


# -- first pass ------------------------------------------------------------------------------


@dataclass
class _Scan:
    """What the first pass learned: every tweet id by author, reply links, what is not a tweet."""

    authors: Counter[str] = field(default_factory=Counter)
    ids: dict[str, set[int]] = field(default_factory=dict)  # author (lower) -> tweet ids
    account_ids: dict[str, str] = field(default_factory=dict)
    replies: dict[int, tuple[int, str, str]] = field(default_factory=dict)  # id -> parent, user id, name
    not_tweets: int = 0
    repeats: int = 0


def _scan(tweets: Iterable[ApiTweet | None]) -> _Scan:
    scan = _Scan()
    for found in tweets:
        if found is None:
            scan.not_tweets += 1
            continue
        author = found.author.lower()
        ids = scan.ids.setdefault(author, set())
        if found.tid in ids:
            scan.repeats += 1
            continue
        ids.add(found.tid)
        scan.authors[author] += 0 if found.embedded else 1
        scan.account_ids.setdefault(author, found.author_id)
        parent = found.tweet.get("in_reply_to_status_id_str")
        if parent and str(parent).isdigit():
            user, name = found.tweet.get("in_reply_to_user_id_str"), found.tweet.get("in_reply_to_screen_name")
            scan.replies[found.tid] = (int(parent), str(user or ""), str(name or "").lower())
    return scan


def _owner(scan: _Scan, label: str, options: ImportRun) -> str:
    """The account whose tweets are imported: ``--handle``, else the one with the most (not embedded) tweets."""
    wanted = options.own_handle()
    if wanted:
        if wanted not in scan.ids:
            accounts = ", ".join(f"@{a}" for a, _ in scan.authors.most_common(5)) or "none"
            raise EmptyImportError(f"'{label}' holds no tweets by @{wanted} (accounts in it: {accounts})")
        return wanted
    if not scan.ids:
        raise EmptyImportError(f"'{label}' holds no tweets ({scan.not_tweets:,} items that are not tweets)")
    return max(scan.ids, key=lambda a: (scan.authors[a], len(scan.ids[a])))


def _report(scan: _Scan, owner: str, label: str, options: ImportRun) -> None:
    others = {a: len(ids) for a, ids in scan.ids.items() if a != owner}
    if others:
        names = ", ".join(f"@{a or '?'}" for a in sorted(others, key=others.__getitem__, reverse=True)[:3])
        more = "…" if len(others) > 3 else ""
        options.skip(
            label,
            f"{sum(others.values()):,} tweets by {len(others):,} other accounts ({names}{more}) left out: "
            f"the thinker is @{owner} (--handle picks another)",
            expected=True,
        )
    if scan.not_tweets:
        options.skip(label, f"{scan.not_tweets:,} items are not tweets (no numeric id), skipped")
    if scan.repeats:
        options.skip(label, f"{scan.repeats:,} repeated tweet ids, the first occurrence kept")


# -- second pass -----------------------------------------------------------------------------


def _context(scan: _Scan, owner: str, options: ImportRun, screen_name: str) -> Context:
    ids = scan.ids.get(owner, set())
    account_id = scan.account_ids.get(owner, "")
    parents, to_self = {}, set()
    for tid in ids:
        if tid in scan.replies:
            parent, user, name = scan.replies[tid]
            parents[tid] = parent
            if (account_id and user == account_id) or (name and name == owner):
                to_self.add(tid)
    return Context(
        screen_name, account_id, link_threads(parents, ids, to_self), Notes({}), options.keep_raw, options.date
    )


def _links(found: ApiTweet) -> dict[str, Any]:
    """Links to the tweets this one points at; the quoted words, kept apart from the thinker's."""
    meta: dict[str, Any] = {}
    tweet = found.tweet
    if parent := str(tweet.get("in_reply_to_status_id_str") or ""):
        meta["reply_url"] = _status_url(str(tweet.get("in_reply_to_screen_name") or ""), parent)
    if found.quoted and found.quoted[1]:
        meta["quoted_url"] = _status_url(*found.quoted)
        meta["quoted_screen_name"] = found.quoted[0]
        meta["quoted_text"] = html.unescape(found.quoted_text)
    if found.reposted and found.reposted[1]:
        meta["reposted_id"] = found.reposted[1]
        meta["reposted_url"] = _status_url(*found.reposted)
    return {k: clean_value(v) for k, v in meta.items() if v}


def _status_url(screen_name: str, tid: str) -> str:
    return f"https://x.com/{screen_name or 'i'}/status/{tid}"


def documents(
    tweets: Callable[[], Iterable[ApiTweet | None]], label: str, where: str, options: ImportRun, source: str
) -> Iterator[Document]:
    """The thinker's tweets among ``tweets()`` (called twice: a first pass, then Documents)."""
    scan = _scan(tweets())
    owner = _owner(scan, label, options)
    _report(scan, owner, where, options)
    yield from _documents(tweets(), scan, owner, options, where, source)


def _documents(
    tweets: Iterable[ApiTweet | None], scan: _Scan, owner: str, options: ImportRun, where: str, source: str
) -> Iterator[Document]:
    remaining = set(scan.ids.get(owner, set()))
    screen_name = ""
    ctx: Context | None = None
    for found in tweets:
        if found is None or found.author.lower() != owner or found.tid not in remaining:
            continue
        remaining.discard(found.tid)
        if ctx is None:
            screen_name = found.author
            ctx = _context(scan, owner, options, screen_name)
        doc = document(found.tweet, found.tid, where, ctx, source=source)
        yield replace(doc, meta={**doc.meta, **_links(found)})


class TweetApiImporter:
    """Tweets in Twitter API v1.1 / v2 JSON, JSON Lines of them, and snscrape dumps."""

    name = NAME
    description = "Tweets from the Twitter/X API (v1.1, v2) or snscrape: JSON or JSON Lines"

    def detect(self, path: Path) -> bool:
        if not path.name.lower().endswith(SUFFIXES) or not path.is_file():
            return False
        try:
            with path.open("rb") as f:
                return _looks_like_tweets(f.read(HEAD_BYTES))
        except OSError:
            return False

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        yield from documents(lambda: _tweets(path), str(path), options.relative(path), options, NAME)


IMPORTER = TweetApiImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
