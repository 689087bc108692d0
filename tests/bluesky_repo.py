"""Write an AT Protocol repository as a CAR file, as a Bluesky PDS exports it (for the tests).

Follows the repository spec: records are DAG-CBOR blocks (encoded by libipld), keyed
``<collection>/<rkey>`` in a Merkle Search Tree whose layer for a key is the number of
leading zero bits of SHA-256(key) divided by two; nodes are ``{l, e: [{p, k, v, t}]}`` with
keys prefix-compressed; the signed commit (v3) is the CAR's root. The signature is zeros:
readers of an export do not verify it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import libipld


def cid_of(data: bytes) -> bytes:
    return bytes([1, 0x71, 0x12, 0x20]) + hashlib.sha256(data).digest()


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def layer(key: str) -> int:
    digest = hashlib.sha256(key.encode()).digest()
    bits = 0
    for byte in digest:
        if byte:
            bits += 8 - byte.bit_length()
            break
        bits += 8
    return bits // 2


class Repo:
    def __init__(self, did: str = "did:plc:ewvi7nxzyoun6zhxrhs64oiz") -> None:
        self.did = did
        self.blocks: dict[bytes, bytes] = {}
        self.records: dict[str, bytes] = {}

    def put(self, value: Any) -> bytes:
        data = libipld.encode_dag_cbor(value)
        cid = cid_of(data)
        self.blocks[cid] = data
        return cid

    def add(self, collection: str, rkey: str, record: dict[str, Any]) -> str:
        """Add a record; return its at:// URI."""
        self.records[f"{collection}/{rkey}"] = self.put({"$type": collection, **record})
        return f"at://{self.did}/{collection}/{rkey}"

    def strong_ref(self, uri: str) -> dict[str, str]:
        key = uri.split("/", 3)[3]
        return {"uri": uri, "cid": str(libipld.encode_cid(self.records[key]))}

    def _node(self, keys: list[str], level: int) -> bytes | None:
        if not keys:
            return None
        here = [k for k in keys if layer(k) == level]
        if not here:
            return self.put({"l": self._node(keys, level - 1), "e": []})
        groups: list[list[str]] = [[]]
        for key in keys:
            if layer(key) == level:
                groups.append([])
            else:
                groups[-1].append(key)
        entries, previous = [], b""
        for i, key in enumerate(here):
            raw = key.encode()
            prefix = next((n for n in range(min(len(raw), len(previous))) if raw[n] != previous[n]),
                          min(len(raw), len(previous)))  # fmt: skip
            entries.append({"p": prefix, "k": raw[prefix:], "v": self.records[key],
                            "t": self._node(groups[i + 1], level - 1)})  # fmt: skip
            previous = raw
        return self.put({"l": self._node(groups[0], level - 1), "e": entries})

    def car(self) -> bytes:
        keys = sorted(self.records)
        root = self._node(keys, max((layer(k) for k in keys), default=0))
        if root is None:
            root = self.put({"l": None, "e": []})
        commit = self.put({"did": self.did, "version": 3, "data": root, "rev": "3l3qo2vutsw2b", "prev": None,
                           "sig": b"\x00" * 64})  # fmt: skip
        header = libipld.encode_dag_cbor({"roots": [commit], "version": 1})
        sections = [varint(len(cid) + len(data)) + cid + data for cid, data in self.blocks.items()]
        return varint(len(header)) + header + b"".join(sections)
