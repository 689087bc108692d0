"""A static (model2vec-style) distillation of all-MiniLM-L6-v2: one vector per word piece.

Distilling runs the full model once on every vocabulary entry alone (``[CLS] piece [SEP]``,
mean-pooled), removes the direction all pieces share (their mean), then down-weights
frequent pieces with the SIF formula, using the piece's vocabulary rank as its frequency
rank (BERT's vocabulary is roughly frequency ordered).
The table (30,522 × 384 float32, ~45 MB) is computed locally on first use, in about half a
minute, and cached in the user directory under the weights' checksum; nothing is downloaded.
A text's vector is then the normalised mean of its pieces' rows: tens of thousands of
passages a second, at some loss of quality against the full model (see docs/semantic.md).

It does not choose between this and the full model (``semantic.registry`` does).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .. import config
from .layers import Vectors
from .model import WEIGHTS_SHA256, MiniLM, Progress, clean, normalize

SIF = 1e-4
TABLE_VERSION = 1  # bump when distill() changes, so cached tables are rebuilt
MAX_PIECES = 4096
FIRST_REAL_PIECE = 999  # ids below are [PAD], [unused…] and specials: they never carry meaning


def table_path() -> Path:
    return config.user_dir() / "models" / f"all-MiniLM-L6-v2-static-v{TABLE_VERSION}-{WEIGHTS_SHA256[:12]}.npy"


def distill(model: MiniLM, *, progress: Progress | None = None, batch: int = 4096) -> Vectors:
    """Return the per-piece table computed from ``model`` (SIF-weighted, not normalised)."""
    vocab = model.tokenizer.get_vocab_size()
    cls, sep = (int(model.tokenizer.token_to_id(t) or 0) for t in ("[CLS]", "[SEP]"))
    table = np.zeros((vocab, model.dims), dtype=np.float32)
    for start in range(FIRST_REAL_PIECE, vocab, batch):
        ids = [[cls, i, sep] for i in range(start, min(start + batch, vocab))]
        table[start : start + len(ids)] = model.encode_ids(ids)
        if progress:
            progress(len(ids))
    table[FIRST_REAL_PIECE:] -= table[FIRST_REAL_PIECE:].mean(axis=0)  # the shared direction says nothing
    rank = np.arange(vocab, dtype=np.float64) - FIRST_REAL_PIECE + 2
    proba = (1.0 / np.maximum(rank, 1.0)) / (1.0 / np.maximum(rank, 1.0)).sum()
    table *= (SIF / (SIF + proba)).astype(np.float32)[:, None]
    return table


class StaticMiniLM:
    """Embeds texts by averaging distilled piece vectors; builds the table on first use."""

    name = "all-MiniLM-L6-v2-static"
    dims = 384

    def __init__(self, *, progress: Progress | None = None) -> None:
        self.model = MiniLM()
        path = table_path()
        if path.is_file():
            self.table: Vectors = np.load(path)
        else:
            self.table = distill(self.model, progress=progress)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, self.table)
            tmp.replace(path)
        self.tokenizer = self.model.tokenizer
        self.tokenizer.no_truncation()

    def embed(self, texts: Sequence[str], *, progress: Progress | None = None) -> Vectors:
        """Return one L2-normalised row per text, in order; a text with no pieces gives a zero row."""
        result = np.zeros((len(texts), self.dims), dtype=np.float32)
        for start in range(0, len(texts), 1024):
            chunk = texts[start : start + 1024]
            result[start : start + len(chunk)] = self._embed_chunk(chunk)
            if progress:
                progress(len(chunk))
        return result

    def _embed_chunk(self, texts: Sequence[str]) -> Vectors:
        encodings = self.tokenizer.encode_batch([clean(t, MAX_PIECES) for t in texts], add_special_tokens=False)
        ids = [e.ids[:MAX_PIECES] for e in encodings]
        lengths = np.array([len(row) for row in ids])
        flat = np.fromiter((i for row in ids for i in row), dtype=np.int64, count=int(lengths.sum()))
        sums = np.zeros((len(ids), self.dims), dtype=np.float32)
        nonempty = lengths > 0
        if flat.size:
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])[nonempty]
            sums[nonempty] = np.add.reduceat(self.table[flat], starts, axis=0)
        return normalize(sums)
