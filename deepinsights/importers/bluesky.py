"""Import a Bluesky repository export: the ``.car`` file from Settings → Export my data.

The file is a CAR (content-addressed archive) of one AT Protocol repository: a signed
commit whose ``data`` is the root of a Merkle Search Tree mapping ``<collection>/<rkey>``
to records. ``libipld`` (the Rust IPLD library's Python binding, which the atproto SDK also
uses) decodes the CAR and its DAG-CBOR blocks; this module walks the tree and checks each
block it reads against its CID (a SHA-256), so a damaged or tampered block fails the
import with one line naming the file and the block.

* ``app.bsky.feed.post`` records become ``post`` Documents, ``quote`` when they embed
  another post (``app.bsky.embed.record``, ``recordWithMedia``), ``reply`` when they answer
  someone else; a reply to one's own post continues a thread and stays a ``post`` with
  ``meta.thread_parent`` and ``meta.thread_root`` (at:// URIs, the ``source_id`` of those
  posts). Link facets replace the shortened link text with the full URL.
* ``app.bsky.feed.repost`` records become ``repost`` Documents that refer to the reposted
  post by URL; its text is someone else's and is not in the repository. A repost is marked
  as not the thinker's own words (``Document.others``), and so is what ``ownwords`` finds
  in a post's text (credit lines, quotations).

Every Document has its ``at://`` URI as ``source_id`` and a ``https://bsky.app/profile/…``
URL (with ``--handle`` when given, else the DID, which bsky.app also resolves). Likes,
follows, blocks, lists and the profile are counted and left out. The file is read whole,
up to ``MAX_BYTES``; it fetches nothing (quoted and reposted posts are not resolved).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import libipld

from ..errors import CorruptArchiveError, EmptyImportError
from ..hookspecs import hookimpl
from ..models import Document, Span
from .base import ImportRun
from .marking import post_others
from .textutil import clean
from .x_json import as_dict, as_list, as_text

NAME = "bluesky"
MAX_BYTES = 2 * 1024 * 1024 * 1024
MAX_DEPTH = 128  # subtle: a real tree is a few layers deep; a crafted cycle or chain stops here
POST, REPOST = "app.bsky.feed.post", "app.bsky.feed.repost"
_SHA256 = b"\x12\x20"


class _Repo:
    """The blocks of one CAR, each checked against its CID when first read."""

    def __init__(self, path: Path, data: bytes) -> None:
        self.path = path
        self.checked: set[bytes] = set()
        try:
            header, self.blocks = libipld.decode_car(data)
        except (ValueError, TypeError, KeyError, OverflowError, RecursionError) as ex:
            raise CorruptArchiveError(f"'{path}' is not a valid CAR file: {str(ex)[:160]}") from None
        roots = as_list(as_dict(header).get("roots"))
        if not roots or not isinstance(roots[0], bytes):
            raise CorruptArchiveError(f"'{path}' is not a repository export: its CAR header names no root")
        self.commit = as_dict(self.block(roots[0]))
        self.did = as_text(self.commit.get("did"))

    def block(self, cid: Any) -> Any:
        if not isinstance(cid, bytes) or cid not in self.blocks:
            raise CorruptArchiveError(f"'{self.path}': block {_cid_text(cid)} is missing from the file")
        value = self.blocks[cid]
        if cid not in self.checked:
            self._check(cid, value)
            self.checked.add(cid)
        return value

    def _check(self, cid: bytes, value: Any) -> None:
        # CIDv1 = version 0x01, codec varint (0x71 dag-cbor, 0x55 raw), multihash 0x12 0x20 + 32 bytes
        dag_cbor = len(cid) == 36 and cid[0] == 1 and cid[1] == 0x71 and cid[2:4] == _SHA256
        if dag_cbor and hashlib.sha256(libipld.encode_dag_cbor(value)).digest() != cid[4:]:
            raise CorruptArchiveError(f"'{self.path}': block {_cid_text(cid)} does not match its hash (damaged)")

    def records(self) -> Iterator[tuple[str, Any]]:
        """(``collection/rkey``, record) for every entry of the repository's tree, in key order."""
        if not self.did.startswith("did:") or not isinstance(self.commit.get("data"), bytes):
            raise CorruptArchiveError(f"'{self.path}' is not a repository export: its root is no signed commit")
        yield from self._walk(self.commit["data"], 0)

    def _walk(self, cid: bytes, depth: int) -> Iterator[tuple[str, Any]]:
        if depth > MAX_DEPTH:
            raise CorruptArchiveError(f"'{self.path}': the repository's tree is deeper than {MAX_DEPTH} (a cycle?)")
        node = as_dict(self.block(cid))
        if isinstance(node.get("l"), bytes):
            yield from self._walk(node["l"], depth + 1)
        key = b""
        for entry in map(as_dict, as_list(node.get("e"))):
            prefix, suffix = entry.get("p"), entry.get("k")
            if not isinstance(prefix, int) or not isinstance(suffix, bytes) or prefix > len(key):
                raise CorruptArchiveError(f"'{self.path}': tree node {_cid_text(cid)} has a malformed entry")
            key = key[:prefix] + suffix
            yield key.decode("utf-8", "replace"), self.block(entry.get("v"))
            if isinstance(entry.get("t"), bytes):
                yield from self._walk(entry["t"], depth + 1)


def _cid_text(cid: Any) -> str:
    try:
        return str(libipld.encode_cid(cid)) if isinstance(cid, bytes) else repr(cid)[:60]
    except (ValueError, TypeError):
        return cid.hex()[:24] if isinstance(cid, bytes) else "?"


# -- records to Documents -----------------------------------------------------------------


def _web_url(uri: str) -> str | None:
    """``https://bsky.app/profile/<did>/post/<rkey>`` for an at:// post URI."""
    parts = uri.removeprefix("at://").split("/")
    if uri.startswith("at://") and len(parts) == 3 and parts[1] == POST:
        return f"https://bsky.app/profile/{parts[0]}/post/{parts[2]}"
    return None


def _text(record: dict[str, Any]) -> tuple[str, list[str], dict[str, list[str]]]:
    """The post's text with link facets' shortened text replaced by their URL; links, mentions and tags."""
    raw = as_text(record.get("text")).encode("utf-8", "surrogatepass")
    cuts: list[tuple[int, int, str]] = []
    found: dict[str, list[str]] = {"mentions": [], "tags": []}
    links: list[str] = []
    for facet in map(as_dict, as_list(record.get("facets"))):
        index = as_dict(facet.get("index"))
        start, end = index.get("byteStart"), index.get("byteEnd")
        for feature in map(as_dict, as_list(facet.get("features"))):
            kind = as_text(feature.get("$type"))
            if kind.endswith("#link") and as_text(feature.get("uri")).startswith(("https://", "http://")):
                links.append(as_text(feature.get("uri")))
                if isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= len(raw):
                    cuts.append((start, end, links[-1]))
            elif kind.endswith("#mention") and as_text(feature.get("did")):
                found["mentions"].append(as_text(feature.get("did")))
            elif kind.endswith("#tag") and as_text(feature.get("tag")):
                found["tags"].append(as_text(feature.get("tag")))
    for start, end, uri in sorted(cuts, reverse=True):
        if not any(s < end and start < e for s, e, _ in cuts if (s, e) != (start, end)):
            raw = raw[:start] + uri.encode() + raw[end:]
    return raw.decode("utf-8", "replace"), links, found


def _embedded_post(record: dict[str, Any]) -> str:
    """The at:// URI of the post a post quotes, if it quotes one."""
    embed = as_dict(record.get("embed"))
    kind = as_text(embed.get("$type"))
    inner = as_dict(embed.get("record"))
    if kind == "app.bsky.embed.recordWithMedia":
        inner = as_dict(inner.get("record"))
    elif kind != "app.bsky.embed.record":
        return ""
    uri = as_text(inner.get("uri"))
    return uri if f"/{POST}/" in uri else ""


class _Build:
    """Turns one repository's records into Documents (knows the account, the run, and own posts)."""

    def __init__(self, repo: _Repo, path: Path, options: ImportRun) -> None:
        self.did = repo.did
        self.handle = options.own_handle()
        self.options = options
        self.where = options.relative(path)

    def uri(self, key: str) -> str:
        return f"at://{self.did}/{key}"

    def url(self, key: str) -> str:
        rkey = key.partition("/")[2]
        return f"https://bsky.app/profile/{self.handle or self.did}/post/{rkey}"

    def post(self, key: str, record: dict[str, Any], parents: dict[str, str]) -> Document:
        uri = self.uri(key)
        text, links, found = _text(record)
        reply = as_dict(record.get("reply"))
        parent = as_text(as_dict(reply.get("parent")).get("uri"))
        root = as_text(as_dict(reply.get("root")).get("uri"))
        quoted = _embedded_post(record)
        meta: dict[str, Any] = {
            "urls": links,
            **found,
            "langs": [as_text(lang) for lang in as_list(record.get("langs"))],
        }
        own = parent.startswith(f"at://{self.did}/")
        kind = "quote" if quoted else "post"
        if parent and own:
            meta.update(thread_parent=parent, thread_root=_thread_root(parent, parents))
        elif parent:
            kind = "reply"
            meta.update(reply_to=parent, reply_url=_web_url(parent), reply_root=root)
        elif uri in parents.values():
            meta["thread_root"] = uri
        if quoted:
            meta.update(quoted_uri=quoted, quoted_url=_web_url(quoted))
        text = clean(text)
        return self._doc(uri, kind, text, self.url(key), record, meta, post_others(text, repost=False))

    def repost(self, key: str, record: dict[str, Any]) -> Document | None:
        subject = as_text(as_dict(record.get("subject")).get("uri"))
        if not subject.startswith("at://"):
            return None
        web = _web_url(subject)
        meta = {"reposted_uri": subject, "reposted_url": web}
        text = f"Reposted {web or subject}"
        return self._doc(self.uri(key), "repost", text, web, record, meta, post_others(text, repost=True))

    def _doc(
        self,
        uri: str,
        kind: str,
        text: str,
        url: str | None,
        record: dict[str, Any],
        meta: dict[str, Any],
        others: tuple[Span, ...],
    ) -> Document:
        return Document(
            source=NAME,
            source_id=uri,
            kind=kind,
            text=text,
            thinker=self.handle or self.did,
            url=url,
            published_at=self.options.date(record.get("createdAt"), f"{self.where}#{uri}"),
            source_path=self.where,
            meta={k: v for k, v in meta.items() if v},
            others=others,
        )


def _thread_root(parent: str, parents: dict[str, str]) -> str:
    """The first post of one's own thread: own parents followed up as far as the repository has them."""
    node, seen = parent, {parent}
    while node in parents and parents[node] not in seen:
        node = parents[node]
        seen.add(node)
    return node


class BlueskyImporter:
    name = NAME
    description = "Bluesky repository export (.car): posts, replies, quote posts and reposts"

    def detect(self, path: Path) -> bool:
        if not path.is_file():
            return False
        try:
            with path.open("rb") as f:
                head = f.read(256)
        except OSError:
            return False
        return path.suffix.lower() == ".car" or (
            b"roots" in head[:64] and b"version" in head[:64] and head[:1] < b"\x80"
        )

    def read(self, path: Path, options: ImportRun) -> Iterator[Document]:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise CorruptArchiveError(f"'{path}' is {size:,} bytes, over the {MAX_BYTES:,} a CAR file is read up to")
        repo = _Repo(path, path.read_bytes())
        records = list(repo.records())
        build = _Build(repo, path, options)
        parents = _own_parents(records, repo.did, build)
        other: Counter[str] = Counter()
        count = 0
        for key, record in records:
            doc = self._document(key, as_dict(record), build, parents, other)
            if doc is not None:
                count += 1
                yield doc
        for collection, n in sorted(other.items()):
            options.skip(options.relative(path), f"{n:,} {collection} records not imported", expected=True)
        if not count and not other:
            raise EmptyImportError(f"'{path}' is a repository with no records")

    @staticmethod
    def _document(
        key: str, record: dict[str, Any], build: _Build, parents: dict[str, str], other: Counter[str]
    ) -> Document | None:
        collection = key.partition("/")[0]
        if collection == POST and as_text(record.get("$type")) in (POST, ""):
            return build.post(key, record, parents)
        if collection == REPOST:
            doc = build.repost(key, record)
            if doc is not None:
                return doc
        other[collection[:80]] += 1
        return None


def _own_parents(records: list[tuple[str, Any]], did: str, build: _Build) -> dict[str, str]:
    """at:// URI of each own post -> the URI of the own post it replies to (self-threads)."""
    parents = {}
    for key, record in records:
        if key.startswith(f"{POST}/"):
            parent = as_text(as_dict(as_dict(as_dict(record).get("reply")).get("parent")).get("uri"))
            if parent.startswith(f"at://{did}/"):
                parents[build.uri(key)] = parent
    return parents


IMPORTER = BlueskyImporter()


@hookimpl
def register_importers(register: Any) -> None:
    register(IMPORTER)
