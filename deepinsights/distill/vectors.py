"""One vector per passage for clustering topics: the workspace's embeddings, computed when absent.

A passage's vector is the mean of its stored window vectors (``semantic.index``), normalised.
When passages have no vectors yet they are computed into the workspace with its offline
embedding model (``insights index`` does the same, so the work is kept); when no embedding
model can be loaded (none installed, PostgreSQL without pgvector) topics fall back to LSA
vectors (TF-IDF of the own words reduced by truncated SVD), and the report says so.

This module does not cluster (``topics.py`` does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import EmbeddingError
from ..semantic.index import build_index
from ..workspace import Workspace
from .own import OwnPassage

Matrix = NDArray[np.float32]
LSA_DIMENSIONS = 100
SEED = 0


@dataclass
class PassageVectors:
    """Row i is passage i's unit vector; ``source`` says where the vectors came from."""

    matrix: Matrix
    source: str


def vectors_for(
    store: Workspace,
    passages: list[OwnPassage],
    *,
    model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> PassageVectors:
    """The passages' vectors, in order: stored ones, else computed into the workspace (with
    ``model``, the default embedding model when None), else LSA."""
    if not passages:
        return PassageVectors(np.zeros((0, 1), dtype=np.float32), "none")
    try:
        if store.indexed_model() is None:
            build_index(store, model, progress=progress)
        matrix, missing = _stored(store, passages)
        if missing:  # passages imported since the last 'insights index'
            build_index(store, store.indexed_model(), progress=progress)
            matrix, _ = _stored(store, passages)
        return PassageVectors(matrix, store.indexed_model() or "?")
    except EmbeddingError as ex:
        return PassageVectors(lsa([p.text for p in passages]), f"lsa (no embedding vectors: {ex})")


def _stored(store: Workspace, passages: list[OwnPassage]) -> tuple[Matrix, int]:
    """Mean window vector per passage, and how many passages have none."""
    ids = [p.passage_id for p in passages]
    found, windows = store.passage_vectors(ids)
    position = {pid: i for i, pid in enumerate(ids)}
    rows = np.fromiter((position[int(pid)] for pid in found), dtype=np.int64, count=len(found))
    matrix = np.zeros((len(ids), windows.shape[1] if len(found) else 1), dtype=np.float32)
    distinct = len(np.unique(rows))
    if distinct == len(rows):  # one window per passage (short texts): a plain copy, ~10x faster
        matrix[rows] = windows
    else:
        np.add.at(matrix, rows, windows)
    return _unit(matrix), len(ids) - distinct


def lsa(texts: list[str], dimensions: int = LSA_DIMENSIONS) -> Matrix:
    """TF-IDF of ``texts`` reduced to ``dimensions`` by truncated SVD (fixed seed), unit rows."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    small = len(texts) < 10  # a handful of passages: every word counts
    vectorizer = TfidfVectorizer(
        min_df=1 if small else 2, max_df=1.0 if small else 0.9, stop_words="english", sublinear_tf=True
    )
    try:
        tfidf = vectorizer.fit_transform(texts)
    except ValueError:  # no word left (stop words only)
        return _unit(np.ones((len(texts), 1), dtype=np.float32))
    if tfidf.shape[1] < 3:
        return _unit(np.ones((len(texts), 1), dtype=np.float32))
    k = max(2, min(dimensions, tfidf.shape[1] - 1, len(texts) - 1))
    reduced = TruncatedSVD(n_components=k, random_state=SEED).fit_transform(tfidf)
    return _unit(reduced.astype(np.float32))


def _unit(matrix: Matrix) -> Matrix:
    """The rows scaled to length 1 (zero rows stay zero); scales a float32 matrix in place."""
    matrix = matrix.astype(np.float32, copy=False)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    matrix /= norms
    return matrix
