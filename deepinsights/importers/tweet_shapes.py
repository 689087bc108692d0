"""Tweets in the shapes APIs and scrapers write, turned into the one shape ``x_tweet`` reads.

Shapes (``ApiTweet`` is what each becomes; the tweet dict is v1.1-shaped):

* Twitter API v1.1 (statuses, search, streaming): ``full_text`` or ``text``,
  ``extended_tweet`` (streaming: the full text and entities live there),
  ``retweeted_status`` and ``quoted_status`` as nested tweets, ``user.screen_name``;
* API v2 (``data`` + ``includes``, or twarc2's flattened lines with ``author`` and expanded
  ``referenced_tweets``): ``referenced_tweets`` typed retweeted / quoted / replied_to,
  ``note_tweet`` (long posts), ``public_metrics``, users looked up by ``author_id``;
* snscrape's JSON Lines (``rawContent``/``content``, ``user.username``, ``links``,
  ``retweetedTweet``, ``quotedTweet``, ``inReplyToTweetId``).

A repost's text becomes ``RT @name: `` and the original's full text (v1.1 truncates it), so
``x_tweet`` calls it a repost exactly as for archives. It does not read files (``tweet_api``
does) and trusts no field: everything goes through ``x_json``'s typed helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .x_json import as_dict, as_list, as_text, tweet_id

Lookup = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class ApiTweet:
    """One top-level tweet: the v1.1-shaped dict ``x_tweet`` reads, its author, and what it points at."""

    tweet: dict[str, Any]
    tid: int
    author: str  # screen name as written
    author_id: str
    reposted: tuple[str, str] | None = None  # (screen name, id) of the reposted tweet
    quoted: tuple[str, str] | None = None  # (screen name, id) of the quoted tweet
    quoted_text: str = ""
    embedded: bool = False  # saved only because another tweet reposts, quotes or likes it


def tweets_in(item: Any) -> Iterator[ApiTweet | None]:
    """The tweets one top-level JSON value holds: a tweet, a v2 page, a v1.1 search page.

    ``None`` stands for an item that is not a tweet (counted by the caller).
    """
    item = as_dict(item)
    if isinstance(item.get("data"), (list, dict)):  # a v2 response page
        data = item["data"]
        includes = as_dict(item.get("includes"))
        users, tweets = _users(as_list(includes.get("users"))), _tweets(as_list(includes.get("tweets")))
        for tweet in as_list(data) if isinstance(data, list) else [data]:
            yield from_v2(as_dict(tweet), users, tweets)
    elif isinstance(item.get("statuses"), list):  # a v1.1 search page
        for tweet in item["statuses"]:
            yield from_v1(as_dict(tweet))
    else:
        yield one(item)


def one(item: dict[str, Any]) -> ApiTweet | None:
    """A single tweet in any of the three shapes, or None."""
    if "rawContent" in item or as_text(item.get("_type")).startswith("snscrape."):
        return from_snscrape(item)
    if "author_id" in item or "edit_history_tweet_ids" in item or "referenced_tweets" in item:
        return from_v2(item, {}, {})
    if "full_text" in item or "text" in item or "extended_tweet" in item:
        return from_v1(item)
    if "content" in item and isinstance(item.get("user"), dict):  # snscrape before 0.5 wrote content
        return from_snscrape(item)
    return None


# -- v1.1 -----------------------------------------------------------------------------------


def from_v1(tweet: dict[str, Any]) -> ApiTweet | None:
    tid = tweet_id(tweet)
    if tid is None:
        return None
    flat = _v1_full(tweet)
    user = as_dict(tweet.get("user"))
    rt = as_dict(tweet.get("retweeted_status"))
    reposted = None
    if rt:
        original = _v1_full(rt)
        rt_user = as_text(as_dict(rt.get("user")).get("screen_name"))
        if rt_user and as_text(original.get("full_text")):
            flat.update(full_text=f"RT @{rt_user}: {original['full_text']}", entities=original.get("entities"))
            flat["extended_entities"] = original.get("extended_entities")
        reposted = (rt_user, as_text(rt.get("id_str") or rt.get("id")))
    quoted = as_dict(tweet.get("quoted_status"))
    q_user = as_text(as_dict(quoted.get("user")).get("screen_name"))
    q_id = as_text(tweet.get("quoted_status_id_str") or tweet.get("quoted_status_id") or quoted.get("id_str"))
    flat["quoted_status_id_str"] = q_id
    return ApiTweet(
        tweet=flat,
        tid=tid,
        author=as_text(user.get("screen_name")),
        author_id=as_text(user.get("id_str") or user.get("id")),
        reposted=reposted,
        quoted=(q_user, q_id) if q_id else None,
        quoted_text=as_text(_v1_full(quoted).get("full_text")) if quoted else "",
    )


def _v1_full(tweet: dict[str, Any]) -> dict[str, Any]:
    """A copy whose ``full_text`` and entities are the untruncated ones (``extended_tweet`` in streams)."""
    flat = dict(tweet)
    extended = as_dict(tweet.get("extended_tweet"))
    flat["full_text"] = as_text(extended.get("full_text") or tweet.get("full_text") or tweet.get("text"))
    if extended:
        flat["entities"] = extended.get("entities") or tweet.get("entities")
        flat["extended_entities"] = extended.get("extended_entities") or tweet.get("extended_entities")
    return flat


# -- v2 ---------------------------------------------------------------------------------------


def _users(items: list[Any]) -> Lookup:
    return {as_text(u.get("id")): u for u in map(as_dict, items) if as_text(u.get("id"))}


def _tweets(items: list[Any]) -> Lookup:
    return {as_text(t.get("id")): t for t in map(as_dict, items) if as_text(t.get("id"))}


def from_v2(tweet: dict[str, Any], users: Lookup, tweets: Lookup) -> ApiTweet | None:
    tid = tweet_id(tweet)
    if tid is None:
        return None
    users, tweets = _with_embedded(tweet, users, tweets)
    refs = {as_text(r.get("type")): as_text(r.get("id")) for r in map(as_dict, as_list(tweet.get("referenced_tweets")))}
    text, entities = _v2_text(tweet)
    reposted = None
    if refs.get("retweeted"):
        original = tweets.get(refs["retweeted"], {})
        rt_user = _username(users, original.get("author_id")) or _rt_name(text)
        if original:
            body, entities = _v2_text(original)
            text = f"RT @{rt_user}: {body}"
        reposted = (rt_user, refs["retweeted"])
    quoted = refs.get("quoted", "")
    q_tweet = tweets.get(quoted, {})
    reply_to = refs.get("replied_to", "")
    metrics = as_dict(tweet.get("public_metrics"))
    flat = {
        "id_str": str(tid),
        "full_text": text,
        "created_at": tweet.get("created_at"),
        "entities": entities,
        "in_reply_to_status_id_str": reply_to,
        "in_reply_to_user_id_str": as_text(tweet.get("in_reply_to_user_id")),
        "in_reply_to_screen_name": _username(users, tweet.get("in_reply_to_user_id")),
        "quoted_status_id_str": quoted,
        "retweeted_status": bool(reposted),
        "favorite_count": metrics.get("like_count"),
        "retweet_count": metrics.get("retweet_count"),
        "lang": tweet.get("lang"),
    }
    author_id = as_text(tweet.get("author_id"))
    return ApiTweet(
        tweet=flat,
        tid=tid,
        author=_username(users, author_id),
        author_id=author_id,
        reposted=reposted,
        quoted=(_username(users, q_tweet.get("author_id")), quoted) if quoted else None,
        quoted_text=_v2_text(q_tweet)[0] if q_tweet else "",
    )


def _with_embedded(tweet: dict[str, Any], users: Lookup, tweets: Lookup) -> tuple[Lookup, Lookup]:
    """twarc2's flattened lines carry the author and referenced tweets inside the tweet itself."""
    embedded = [as_dict(r) for r in as_list(tweet.get("referenced_tweets")) if as_dict(r).get("text")]
    authors = [as_dict(t.get("author")) for t in [tweet, *embedded] if as_dict(t.get("author"))]
    if not embedded and not authors:
        return users, tweets
    return {**users, **_users(authors)}, {**tweets, **_tweets(embedded)}


def _v2_text(tweet: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Text and entities, from ``note_tweet`` when the post is long; media links become ``media``."""
    note = as_dict(tweet.get("note_tweet"))
    text = as_text(note.get("text") or tweet.get("text"))
    entities = as_dict(note.get("entities") if note.get("text") else tweet.get("entities"))
    urls, media = [], []
    for url in map(as_dict, as_list(entities.get("urls"))):
        if url.get("media_key"):
            media.append({"url": url.get("url"), "media_url_https": url.get("expanded_url")})
        else:
            urls.append({"url": url.get("url"), "expanded_url": url.get("unwound_url") or url.get("expanded_url")})
    return text, {"urls": urls, "media": media}


def _username(users: Lookup, user_id: Any) -> str:
    return as_text(users.get(as_text(user_id), {}).get("username"))


def _rt_name(text: str) -> str:
    head = text.removeprefix("RT @")
    return head.split(":", 1)[0] if head != text and ":" in head else ""


# -- snscrape ---------------------------------------------------------------------------------


def from_snscrape(tweet: dict[str, Any]) -> ApiTweet | None:
    tid = tweet_id(tweet)
    if tid is None:
        return None
    user = as_dict(tweet.get("user"))
    text = as_text(tweet.get("rawContent") or tweet.get("content"))
    urls = [
        {"url": as_text(link.get("tcourl")), "expanded_url": as_text(link.get("url"))}
        for link in map(as_dict, as_list(tweet.get("links")))
    ]
    rt = as_dict(tweet.get("retweetedTweet"))
    reposted = None
    if rt:
        rt_name = as_text(as_dict(rt.get("user")).get("username"))
        text = f"RT @{rt_name}: {as_text(rt.get('rawContent') or rt.get('content'))}"
        reposted = (rt_name, as_text(rt.get("id")))
    quoted = as_dict(tweet.get("quotedTweet"))
    reply_user = as_dict(tweet.get("inReplyToUser"))
    flat = {
        "id_str": str(tid),
        "full_text": text,
        "created_at": tweet.get("date"),
        "entities": {"urls": urls},
        "in_reply_to_status_id_str": as_text(tweet.get("inReplyToTweetId")),
        "in_reply_to_user_id_str": as_text(reply_user.get("id")),
        "in_reply_to_screen_name": as_text(reply_user.get("username")),
        "quoted_status_id_str": as_text(quoted.get("id")),
        "retweeted_status": bool(rt),
        "favorite_count": tweet.get("likeCount"),
        "retweet_count": tweet.get("retweetCount"),
        "lang": tweet.get("lang"),
    }
    q_id = as_text(quoted.get("id"))
    return ApiTweet(
        tweet=flat,
        tid=tid,
        author=as_text(user.get("username")),
        author_id=as_text(user.get("id")),
        reposted=reposted,
        quoted=(as_text(as_dict(quoted.get("user")).get("username")), q_id) if q_id else None,
        quoted_text=as_text(quoted.get("rawContent") or quoted.get("content")),
    )
