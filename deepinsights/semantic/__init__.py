"""Semantic and hybrid search: local embeddings, vectors computed into the workspace, rank fusion.

Public entry points: ``index_passages`` (compute vectors incrementally), ``hybrid_search``
(bm25 | semantic | hybrid, same results type as ``search``), ``similar`` (more like this),
``get_embedder`` and ``install_embedding_model``. onnx, onnxruntime, openvino, tokenizers
and safetensors are imported only inside this package; the nearest-neighbour indexes (usearch,
pgvector) and numpy's storage of vectors are the backends'.
"""

from __future__ import annotations

from .hybrid import MODES, default_mode, hybrid_search, similar
from .index import IndexReport, build_index, index_passages
from .install import install_embedding_model
from .registry import DEFAULT_MODEL, get_embedder

__all__ = [
    "DEFAULT_MODEL",
    "MODES",
    "IndexReport",
    "build_index",
    "default_mode",
    "get_embedder",
    "hybrid_search",
    "index_passages",
    "install_embedding_model",
    "similar",
]
