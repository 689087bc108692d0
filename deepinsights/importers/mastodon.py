"""Mastodon archives: the export zip, its extracted folder (outbox.json + actor.json), or outbox.json alone.

Reads the ActivityStreams ``OrderedCollection`` in ``outbox.json``. A ``Create`` of a Note
becomes a ``post`` (a ``reply`` when it has ``inReplyTo``); an ``Announce`` (a boost)
becomes a ``repost`` stored as a reference to the boosted URL, never the boosted text,
which is somebody else's. Visibility comes from ``to``/``cc``: public and unlisted posts
are kept; followers-only and direct ones are excluded unless ``include_private`` is set,
and reported as one skip entry with their count. Content HTML becomes plain text:
scripts, event handlers and link targets are dropped, only the words remain. An outbox
holding fewer activities than its ``totalItems`` imports with a warning naming both numbers
(an error under ``--strict``); one claiming activities but holding none is an error.

It does not read media, likes, bookmarks or the actor's profile fields, never extracts the
zip, and never fetches anything (boosted posts are not resolved).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document
from ..ownwords import whole
from .archive import Tree, is_zip
from .base import ImportRun
from .marking import html_to_marked
from .textutil import decode

PUBLIC = frozenset({"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"})
NOTE_TYPES = frozenset({"Note", "Article", "Page", "Question"})
SNIFF_BYTES = 64 * 1024

_PRIVATE = "{n} non-public items excluded (use --include-private)"


@dataclass
class _Export:
    """The parsed files of one export: where the outbox came from, its items, the account name."""

    label: str
    items: list[Any]
    username: str = ""
    claimed: int = 0  # the outbox's totalItems
    skipped: Counter[str] = field(default_factory=Counter)


class MastodonImporter:
    name = "mastodon"
    description = "Mastodon archive: export zip, folder with outbox.json + actor.json, or outbox.json"

    def detect(self, path: Path) -> bool:
        if path.is_dir():
            return _sniff(path / "outbox.json")
        if is_zip(path):
            return _zip_has_outbox(path)
        return _sniff(path)

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        export = _load(path, options)
        if len(export.items) < export.claimed:
            options.warn(
                export.label, f"totalItems says {export.claimed:,} items but orderedItems holds {len(export.items):,}"
            )
        for item in export.items:
            doc = _document(item, export, options)
            if doc is not None:
                yield doc
        for reason, n in sorted(export.skipped.items()):
            options.skip(export.label, reason.format(n=n), expected=reason.startswith(_PRIVATE))


IMPORTER = MastodonImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)


# -- finding and parsing the files ----------------------------------------------


def _sniff(path: Path) -> bool:
    """True when ``path`` starts like an ActivityStreams outbox: Create/Announce activities, or named outbox.json.

    subtle: an ``outbox.json`` with no activities (``orderedItems`` null or empty) is still
    claimed, so that the import says it holds nothing instead of walking its folder and
    importing ``actor.json`` as a record.
    """
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return False
    if b'"orderedItems"' not in head or b"OrderedCollection" not in head:
        return False
    return b'"Create"' in head or b'"Announce"' in head or path.name == "outbox.json"


def _zip_has_outbox(path: Path) -> bool:
    try:
        tree = Tree(path)
    except CorruptArchiveError:
        return False
    try:
        return tree.find("outbox.json") is not None and tree.find("actor.json") is not None
    finally:
        tree.close()


def _load(path: Path, options: ImportRun) -> _Export:
    """Read outbox.json (and actor.json when there is one) from a folder, a zip or a lone file."""
    if path.is_file() and not is_zip(path):
        sibling = options.sidecar(path.parent / "actor.json") if path.name != "actor.json" else None
        actor_data = sibling.read_bytes() if sibling is not None else None
        return _parse(str(path), path.read_bytes(), actor_data)
    tree = Tree(path)
    try:
        outbox = tree.find("outbox.json")
        if outbox is None:
            raise CorruptArchiveError(f"'{path}' has no outbox.json: not a Mastodon archive")
        actor = tree.find("actor.json")
        actor_data = tree.read_bytes(actor) if actor else None
        return _parse(f"{path}/{outbox}", tree.read_bytes(outbox), actor_data)
    finally:
        tree.close()


def _parse(label: str, outbox: bytes, actor: bytes | None) -> _Export:
    data = _json(outbox, label)
    items = data.get("orderedItems") if isinstance(data, dict) else None
    claimed = data.get("totalItems") if isinstance(data, dict) else None
    claimed = claimed if isinstance(claimed, int) and not isinstance(claimed, bool) and claimed > 0 else 0
    if claimed and not items:
        raise EmptyImportError(f"'{label}' says it holds {claimed:,} items (totalItems) but orderedItems has none")
    if not isinstance(items, list):
        raise CorruptArchiveError(f"'{label}' is not a Mastodon outbox: no orderedItems list")
    username = ""
    if actor is not None:
        person = _json(actor, label.rsplit("/", 1)[0] + "/actor.json")
        name = person.get("preferredUsername") if isinstance(person, dict) else None
        username = name if isinstance(name, str) else ""
    return _Export(label, items, username, claimed)


def _json(data: bytes, label: str) -> Any:
    try:
        return json.loads(decode(data, label))
    except (ValueError, RecursionError) as ex:
        raise CorruptArchiveError(f"'{label}' is not valid JSON: {str(ex)[:200]}") from None


# -- one activity -> one document -------------------------------------------------


def _document(item: Any, export: _Export, options: ImportRun) -> Document | None:
    """The document for one activity, or None (counted in ``export.skipped`` with the reason)."""
    if not isinstance(item, dict):
        export.skipped["{n} malformed items (not an object) not imported"] += 1
        return None
    kind = item.get("type")
    obj = item.get("object")
    convert: Callable[[dict[str, Any], _Export, str, ImportRun], Document | None]
    if kind == "Create" and isinstance(obj, dict) and obj.get("type") in NOTE_TYPES:
        visibility = _visibility(item, obj)
        convert = _post
    elif kind == "Announce":
        visibility = _visibility(item, obj if isinstance(obj, dict) else {})
        convert = _boost
    else:
        export.skipped[f"{{n}} '{_label(kind, obj)}' activities not imported (not a post or boost)"] += 1
        return None
    if visibility in ("followers", "direct") and not options.include_private:
        export.skipped[_PRIVATE] += 1
        return None
    doc = convert(item, export, visibility, options)
    if doc is None:
        export.skipped["{n} boosts without an http(s) object URL not imported"] += 1
    return doc


def _label(kind: Any, obj: Any) -> str:
    inner = obj.get("type") if isinstance(obj, dict) else None
    text = f"{kind}/{inner}" if isinstance(inner, str) else str(kind)
    return text[:40]


def _visibility(activity: dict[str, Any], obj: dict[str, Any]) -> str:
    """public, unlisted (Public only in cc), followers or direct, from the activity's addressing."""
    to = _addresses(activity.get("to", obj.get("to")))
    cc = _addresses(activity.get("cc", obj.get("cc")))
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    if any(a.endswith("/followers") for a in to | cc):
        return "followers"
    return "direct"


def _addresses(value: Any) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {a for a in value if isinstance(a, str)}
    return set()


def _post(activity: dict[str, Any], export: _Export, visibility: str, options: ImportRun) -> Document:
    obj: dict[str, Any] = activity["object"]
    content = obj.get("content")
    reply_to = _string(obj.get("inReplyTo"))
    meta = _post_meta(obj, visibility)
    if reply_to:
        meta["in_reply_to"] = reply_to
    source_id = _string(obj.get("id")) or _string(activity.get("id")) or ""
    text, others = html_to_marked(content) if isinstance(content, str) else ("", ())
    return Document(
        source="mastodon",
        source_id=source_id,
        kind="reply" if reply_to else "post",
        text=text,
        thinker=export.username,
        title=_string(obj.get("summary")) or None,
        url=_http_url(obj.get("url")) or _http_url(obj.get("id")),
        published_at=options.date(obj.get("published") or activity.get("published"), f"{export.label}#{source_id}"),
        source_path=export.label,
        meta=meta,
        others=others,
    )


def _post_meta(obj: dict[str, Any], visibility: str) -> dict[str, Any]:
    tags = [t for t in obj.get("tag") or [] if isinstance(t, dict)] if isinstance(obj.get("tag"), list) else []
    meta: dict[str, Any] = {"visibility": visibility}
    hashtags = [t["name"] for t in tags if t.get("type") == "Hashtag" and isinstance(t.get("name"), str)]
    mentions = [t["name"] for t in tags if t.get("type") == "Mention" and isinstance(t.get("name"), str)]
    if hashtags:
        meta["hashtags"] = hashtags
    if mentions:
        meta["mentions"] = mentions
    if obj.get("sensitive") is True:
        meta["sensitive"] = True
    if _string(obj.get("summary")):
        meta["content_warning"] = _string(obj.get("summary"))
    attachments = obj.get("attachment")
    if isinstance(attachments, list) and attachments:
        meta["attachments"] = len(attachments)
    return meta


def _boost(activity: dict[str, Any], export: _Export, visibility: str, options: ImportRun) -> Document | None:
    """A boost as a reference: the boosted URL, not the boosted text (it is not the thinker's)."""
    target = _boost_target(activity.get("object"))
    if target is None:
        return None
    source_id = _string(activity.get("id")) or target
    text = f"Boosted {target}"
    return Document(
        source="mastodon",
        source_id=source_id,
        kind="repost",
        text=text,
        thinker=export.username,
        url=target,
        published_at=options.date(activity.get("published"), f"{export.label}#{source_id}"),
        source_path=export.label,
        meta={"boosted_url": target, "visibility": visibility},
        others=whole(text, "repost"),
    )


def _boost_target(obj: Any) -> str | None:
    """The boosted post's URL: ``object`` is a URL string (Mastodon) or an object with id/url (other servers)."""
    if isinstance(obj, dict):
        return _http_url(obj.get("id")) or _http_url(obj.get("url"))
    return _http_url(obj)


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _http_url(value: Any) -> str | None:
    """An http(s) URL from a string, a Link object or a list of them; anything else (javascript:…) is None."""
    if isinstance(value, list):  # subtle: one level only, so nested lists cannot recurse deeply
        value = next((v for v in value if isinstance(v, (str, dict))), None)
    if isinstance(value, dict):
        value = value.get("href")
    if isinstance(value, str) and value.strip().lower().startswith(("https://", "http://")):
        return value.strip()
    return None
