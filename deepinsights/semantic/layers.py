"""What an encoder's layers are, for the two ways of running them: the ``Layer`` weights and the ``Vectors`` type.

``model.Encoder`` loads each layer's weights into a ``Layer`` and runs them in numpy or hands
them to ``onnx_layers.LayerStack``, which builds an ONNX Runtime graph of them. Both read this
module, and neither imports the other back: ``onnx_layers`` knows nothing of the encoders.

It loads no weights and runs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Vectors = NDArray[np.float32]


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
