"""Semantic and hybrid search: local embeddings, a vector index beside the workspace, rank fusion.

Public entry points: ``index_passages`` (compute vectors incrementally), ``hybrid_search``
(bm25 | semantic | hybrid, same results type as ``search``), ``similar`` (more like this),
``get_embedder`` and ``install_embedding_model``. numpy, onnx, onnxruntime, tokenizers,
safetensors and usearch are imported only inside this package (numpy also in ``pg.vectors``).
"""

from __future__ import annotations

from .hybrid import MODES, default_mode, hybrid_search, similar
from .index import IndexReport, VectorIndex, build_index, index_passages, indexed_model
from .install import install_embedding_model
from .registry import DEFAULT_MODEL, get_embedder

__all__ = [
    "DEFAULT_MODEL",
    "MODES",
    "IndexReport",
    "VectorIndex",
    "build_index",
    "default_mode",
    "get_embedder",
    "hybrid_search",
    "index_passages",
    "indexed_model",
    "install_embedding_model",
    "similar",
]
