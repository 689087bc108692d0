"""One tweet of an X archive as a Document: its text, kind, links, self-thread and long post.

t.co links are expanded, media links moved out of the text into ``meta.media``, HTML
entities decoded; a long post from ``note-tweet.js`` replaces the text it was cut from.
The kind is ``repost`` (``RT @…``), ``reply`` (to someone else), ``quote`` (links a status)
or ``tweet``; a reply continuing one's own thread stays a ``tweet`` and carries
``meta.thread_parent`` and ``meta.thread_root`` (``Threads``, from the first pass).

It does not read files or decide which tweets to import (``x_archive`` does).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import Document
from .marking import post_others
from .textutil import clean
from .x_json import STATUS, as_dict, as_int, as_list, as_text, clean_value, dump, parse_created

NAME = "x-archive"
_RT = re.compile(r"^RT @(\w+)")
_MENTIONS = re.compile(r"^(?:@\w+\s+)+")
_URL = re.compile(r"https?://\S+")


@dataclass
class Threads:
    """Self-threads: each continuation's parent and root, and the set of thread heads."""

    parent: dict[int, int]
    root: dict[int, int]
    heads: set[int]


def link_threads(parents: dict[int, int], ids: set[int], to_self: set[int]) -> Threads:
    """Self-threads from each reply's parent: a reply continues a thread when its parent is in the
    archive or it answers the archive's own account; a thread's root is its first tweet."""
    parent = {t: p for t, p in parents.items() if p in ids or t in to_self}
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
    return Threads(parent, root, set(root.values()))


class Notes:
    """Long posts (note-tweet.js) waiting for the tweet that shows their first lines."""

    def __init__(self, by_second: dict[int, list[dict[str, Any]]]) -> None:
        self.by_second = by_second
        self.used: set[int] = set()

    def take(self, created: datetime | None, text: str) -> dict[str, Any] | None:
        """Return the note posted in the same second whose text starts like ``text``, once."""
        if created is None or not self.by_second:
            return None
        for note in self.by_second.get(int(created.timestamp()), []):
            if id(note) not in self.used and _same_start(as_text(as_dict(note.get("core")).get("text")), text):
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


# -- one tweet ------------------------------------------------------------------------------


@dataclass
class Context:
    """What turning one tweet into a Document needs to know about the whole archive."""

    screen_name: str
    account_id: str
    threads: Threads
    notes: Notes
    keep_raw: bool
    date: Callable[[object, str], datetime | None]  # ImportRun.date: reads a date, reports one that is not


def document(tweet: dict[str, Any], tid: int, source_path: str, ctx: Context, source: str = NAME) -> Document:
    """The Document of one tweet (see ``x_archive`` for what each field holds).

    ``source``: the importer that read it; API-shaped tweets (``tweet_api``) pass theirs.
    """
    full = as_text(tweet.get("full_text") or tweet.get("text"))
    created = parse_created(tweet.get("created_at"), lambda text: ctx.date(text, f"{source_path}#{tid}"))
    text, links, media = _expand(full, tweet)
    note = ctx.notes.take(created, text)
    if note:
        text, note_links = _note_text(note, html.unescape(text))
        links.extend(note_links)
    else:
        text = html.unescape(text)
    kind, meta = _classify(tweet, tid, full, links, ctx)
    meta.update(_counts(tweet), urls=links, media=media, note_tweet_id=as_text(note.get("noteTweetId")) if note else "")
    screen = ctx.screen_name
    raw = ({"tweet": tweet, "noteTweet": note} if note else {"tweet": tweet}) if ctx.keep_raw else None
    text = clean(text).strip()
    return Document(
        source=source,
        source_id=str(tid),
        kind=kind,
        text=text,
        thinker=screen.lower(),
        url=f"https://x.com/{screen or 'i'}/status/{tid}",
        published_at=created,
        source_path=source_path,
        meta={k: clean_value(v) for k, v in meta.items() if v not in (None, "", [])},
        raw=dump(raw) if raw else None,
        others=post_others(text, repost=kind == "repost"),
    )


def _expand(text: str, tweet: dict[str, Any]) -> tuple[str, list[str], list[str]]:
    """Replace t.co links by their targets; drop media links (returned apart). Entities may be absent."""
    entities = as_dict(tweet.get("entities"))
    links = []
    for url in map(as_dict, as_list(entities.get("urls"))):
        short, target = as_text(url.get("url")), as_text(url.get("expanded_url") or url.get("display_url"))
        if short and target:
            text = text.replace(short, target)
            links.append(target)
    media = []
    for item in map(as_dict, as_list(as_dict(tweet.get("extended_entities")).get("media") or entities.get("media"))):
        if item.get("url"):
            text = text.replace(as_text(item.get("url")), "")
        if link := as_text(item.get("media_url_https") or item.get("media_url")):
            media.append(link)
    return text.strip(), links, media


def _note_text(note: dict[str, Any], tweet_text: str) -> tuple[str, list[str]]:
    """The long post's full text, links expanded; keeps the leading @names its tweet shows."""
    core = as_dict(note.get("core"))
    text, links = as_text(core.get("text")), []
    for url in map(as_dict, as_list(core.get("urls"))):
        short, target = as_text(url.get("shortUrl")), as_text(url.get("expandedUrl"))
        if short and target:
            text = text.replace(short, target)
            links.append(target)
    mentions = _MENTIONS.match(tweet_text)  # a reply's note omits the leading @names its tweet shows
    if mentions and not text.startswith(mentions.group(0).strip()):
        text = mentions.group(0) + text
    return text, links


def _classify(tweet: dict[str, Any], tid: int, full: str, links: list[str], ctx: Context) -> tuple[str, dict[str, Any]]:
    """Kind (repost, reply, quote, tweet) and the reply, thread and quote links of one tweet."""
    threads, account_id = ctx.threads, ctx.account_id
    meta: dict[str, Any] = {
        "in_reply_to_status_id": as_text(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id")),
        "in_reply_to_screen_name": as_text(tweet.get("in_reply_to_screen_name")),
        "lang": as_text(tweet.get("lang")),
    }
    if tid in threads.parent:
        meta.update(thread_parent=str(threads.parent[tid]), thread_root=str(threads.root[tid]))
    elif tid in threads.heads:
        meta["thread_root"] = str(tid)
    quoted = as_text(tweet.get("quoted_status_id_str") or tweet.get("quoted_status_id")) or _quoted(links, tid)
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
    user = as_text(tweet.get("in_reply_to_user_id_str") or tweet.get("in_reply_to_user_id"))
    status = as_text(tweet.get("in_reply_to_status_id_str") or tweet.get("in_reply_to_status_id"))
    return bool(status or user) and not (user and user == account_id)


def _quoted(links: list[str], tid: int) -> str:
    for link in links:
        match = STATUS.match(link)
        if match and match.group(2) != str(tid):
            return match.group(2)
    return ""


def _counts(tweet: dict[str, Any]) -> dict[str, int | None]:
    return {"like_count": as_int(tweet.get("favorite_count")), "repost_count": as_int(tweet.get("retweet_count"))}
