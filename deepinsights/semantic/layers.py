"""What an encoder's layers are, for every way of running them: the ``Layer`` weights and the ``Vectors`` type.

``model.Encoder`` loads each layer's weights into a ``Layer`` and runs them in numpy or hands
them to ``onnx_layers.LayerStack``, which builds an ONNX Runtime graph of them, or to
``openvino_layers.OpenVinoStack``, which compiles the same graph in OpenVINO. All read this
module, and none imports the encoders back: the runtimes' layers know nothing of them.

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
