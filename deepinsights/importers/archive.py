"""Read files out of a folder or a zip the same way, without extracting anything.

A zip is never extracted: member names are opaque keys, so ``../../etc/x``, absolute
paths, drive letters and symlink entries cannot write anywhere. Each member is read in
streaming fashion with a byte cap and a compression-ratio cap (zip bombs); overlapping
entries and bad CRCs surface as ``CorruptArchiveError`` naming the member.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from .. import config
from ..errors import CorruptArchiveError

CHUNK = 1 << 20


class Tree:
    """A set of named files: a folder on disk or the members of a zip."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        if path.is_file():
            try:
                self._zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError, ValueError) as ex:
                raise CorruptArchiveError(f"'{path}' is not a valid archive: {ex}") from None

    def names(self) -> list[str]:
        """Member names (zip) or relative POSIX paths (folder); symlinks and folders left out."""
        if self._zip is not None:
            return [i.filename for i in self._zip.infolist() if not i.is_dir() and not _is_symlink(i)]
        return sorted(
            p.relative_to(self.path).as_posix() for p in self.path.rglob("*") if p.is_file() and not p.is_symlink()
        )

    def find(self, *candidates: str) -> str | None:
        """Return the first name that equals or ends with one of ``candidates`` (``data/tweets.js``)."""
        names = self.names()
        for want in candidates:
            for name in names:
                if name == want or name.endswith("/" + want):
                    return name
        return None

    def read_bytes(self, name: str) -> bytes:
        """Return a member's bytes, refusing zip bombs and corrupt members."""
        if self._zip is None:
            return (self.path / name).read_bytes()
        return b"".join(self._stream(name))

    def stream(self, name: str) -> Iterator[bytes]:
        """Yield a member's bytes in chunks of at most ``CHUNK``, with the same zip-bomb caps as ``read_bytes``."""
        if self._zip is not None:
            yield from self._stream(name)
            return
        with (self.path / name).open("rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk

    def size(self, name: str) -> int:
        if self._zip is None:
            return (self.path / name).stat().st_size
        return self._zip.getinfo(name).file_size

    def _stream(self, name: str) -> Iterator[bytes]:
        assert self._zip is not None
        info = self._zip.getinfo(name)
        limit = int(config.MAX_MEMBER_BYTES.value())
        ratio = float(config.MAX_ZIP_RATIO.value())
        allowed = min(limit, max(info.compress_size, 1) * ratio)
        if info.file_size > allowed:
            raise CorruptArchiveError(_bomb(self.path, name, "declares", info.file_size))
        total = 0
        try:
            with self._zip.open(info) as member:
                while chunk := member.read(CHUNK):
                    total += len(chunk)
                    if total > allowed:
                        raise CorruptArchiveError(_bomb(self.path, name, "expands past", total))
                    yield chunk
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as ex:
            raise CorruptArchiveError(
                f"'{self.path}': member '{name}' is corrupt or a possible zip bomb: {ex}"
            ) from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


def _is_symlink(info: zipfile.ZipInfo) -> bool:
    return (info.external_attr >> 16) & 0o170000 == 0o120000


def _bomb(path: Path, name: str, verb: str, size: int) -> str:
    return (
        f"'{path}': member '{name}' {verb} {size:,} bytes, past the limit "
        f"(DEEPINSIGHTS_MAX_MEMBER_BYTES / DEEPINSIGHTS_MAX_ZIP_RATIO): possible zip bomb, import refused"
    )


def unsafe_name(name: str) -> bool:
    """True for member names that would escape a folder if extracted (we never extract, but list them)."""
    return (
        name.startswith(("/", "\\"))
        or "\\" in name
        or "\x00" in name
        or ".." in name.split("/")
        or (len(name) > 1 and name[1] == ":")
    )


def safe_names(tree: Tree) -> tuple[list[str], list[str]]:
    """(safe, unsafe) member names: the unsafe ones are to be reported, never read."""
    names = tree.names()
    unsafe = [n for n in names if unsafe_name(n)]
    return [n for n in names if not unsafe_name(n)], unsafe


def is_zip(path: Path) -> bool:
    """True when ``path`` is a file that starts like a zip."""
    try:
        with path.open("rb") as f:
            return f.read(4) in (b"PK\x03\x04", b"PK\x05\x06")
    except OSError:
        return False
