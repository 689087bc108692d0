"""Which embedding model turns text into vectors: the built-ins, or any model the ``llm`` library offers.

Built-ins (all offline, weights from registry packages):

* ``all-MiniLM-L6-v2`` — the full 6-layer model, in ONNX Runtime or numpy (the default: good and fast);
* ``all-MiniLM-L6-v2-static`` — its static distillation (``semantic.static``): far faster,
  somewhat weaker;
* ``all-mpnet-base-v2`` — the 12-layer MPNet (``semantic.mpnet``): finds more, about seven
  times slower; installed separately (``insights models install-embedding --model all-mpnet-base-v2``).

Any other name is looked up with ``llm.get_embedding_model(name)``, so an installed ``llm``
embedding plugin can be chosen with ``--embedding-model``; its vectors are stored under
``llm:<model id>``. Each model is loaded once per process and kept (the server stays warm).

It does not store vectors (``semantic.index`` does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from .. import config
from ..errors import EmbeddingError
from .layers import Vectors
from .model import MiniLM, Progress, normalize
from .mpnet import MPNet
from .static import StaticMiniLM

DEFAULT_MODEL = config.EMBEDDING_MODEL.default
BUILTINS: dict[str, Callable[[], Embedder]] = {
    "all-MiniLM-L6-v2": MiniLM,
    "all-MiniLM-L6-v2-static": StaticMiniLM,
    "all-mpnet-base-v2": MPNet,
}
_loaded: dict[str, Embedder] = {}
_loading = threading.Lock()  # the web server's threads share one loaded model


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows of ``dims`` columns."""

    name: str
    dims: int

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors: ...


class LlmEmbedder:
    """An embedding model from the ``llm`` library, under the name ``llm:<model id>``."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.name = f"llm:{model.model_id}"
        self.dims = 0

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
        try:
            rows = list(self.model.embed_multi(list(texts)))
        except Exception as ex:  # subtle: plugins raise their own types (missing key, HTTP errors)
            raise EmbeddingError(f"Embedding model '{self.name}' failed: {ex}") from ex
        if progress:
            progress(len(rows))
        matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
        self.dims = matrix.shape[1]
        return normalize(matrix)


def canonical_name(name: str | None) -> str:
    """The name vectors are stored under: a built-in's name, or ``llm:<id>``."""
    name = (name or DEFAULT_MODEL).strip()
    if name in BUILTINS or name.startswith("llm:"):
        return name
    return f"llm:{name}"


def get_embedder(name: str | None = None) -> Embedder:
    """Return the (cached) embedder called ``name``; raise EmbeddingError if it cannot be loaded."""
    key = canonical_name(name)
    with _loading:
        if key not in _loaded:
            _loaded[key] = BUILTINS[key]() if key in BUILTINS else _llm_embedder(key.removeprefix("llm:"))
        return _loaded[key]


def _llm_embedder(model_id: str) -> Embedder:
    import llm

    try:
        return LlmEmbedder(llm.get_embedding_model(model_id))  # type: ignore[no-untyped-call]
    except llm.UnknownModelError:
        names = ", ".join([*BUILTINS, *(m.model_id for m in llm.get_embedding_models())])  # type: ignore[no-untyped-call]
        raise EmbeddingError(f"Unknown embedding model '{model_id}'. Available: {names}") from None
