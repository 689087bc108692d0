"""The encoder layers as an ONNX Runtime session, built at load time from an Encoder's own weights.

ONNX Runtime's CPU kernels run the post-norm layer stack faster than numpy on one thread
(measured in bench/bench_semantic.py). The graph is written here with ``onnx.helper`` from the
weights the encoder already loaded, so there is no exported model file, no torch and nothing on
disk. The math is ``model._encoder_layer``'s except GELU, which here is the exact erf form the
models were trained with (numpy has none).

It covers the layers only: the token states ``x`` (batch, width, dims) and the attention bias
(broadcastable to (batch, heads, width, width)) go in, the last layer's states come out.
Embeddings, the bias and pooling stay in numpy, since they differ per model and cost little.

``int8=True`` runs the same graph through ONNX Runtime's own dynamic quantiser
(``onnxruntime.quantization.quantize_dynamic``, weights int8 per output channel, activations
quantised per batch as they come): about 2.5 times as fast on one thread, vectors within a
mean cosine of ~0.992 of the float32 ones. The quantiser reads a model that holds its weights,
so that graph embeds copies of them and is quantised into a temporary folder that is deleted
once the session has read it (two to three seconds). The quantised model is kept in the user
directory (``models/layers-int8-<digest>.onnx``, keyed by the graph, its weights and ONNX
Runtime's version), so only the first process quantises. It does not choose between the
backends or precisions (``model.Encoder`` does).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from .. import config
from .layers import Layer, Vectors

PROVIDERS = ["CPUExecutionProvider"]
OPSET = 20  # Gelu joined the standard ops in opset 20 (onnxruntime >= 1.17); LayerNormalization in 17


class LayerStack:
    """The layers of one encoder as an InferenceSession; ``run`` may be called from several threads at once."""

    runtime = "ONNX Runtime"

    def __init__(
        self, layers: Sequence[Layer], heads: int, eps: float, *, threads: int = 1, int8: bool = False
    ) -> None:
        import onnxruntime as ort  # subtle: here, not above: OpenVINO compiles this module's graph without it

        self.precision = "int8" if int8 else "f32"
        graph, self.weights = layer_graph(layers, heads, eps)  # kept: the session may read them for its life
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if int8:
            model, self.weights = quantized(graph, self.weights), {}  # the session holds its own int8 copies
            self.session = ort.InferenceSession(model, options, providers=PROVIDERS)
            return
        # subtle: handing over the arrays, not a protobuf holding them, saves two copies of every weight
        # (MPNet: the session is made in 0.3 s instead of 1.2 s, and peaks 0.7 GB lower)
        values = [ort.OrtValue.ortvalue_from_numpy(w) for w in self.weights.values()]
        options.add_external_initializers(list(self.weights), values)
        self.session = ort.InferenceSession(graph.SerializeToString(), options, providers=PROVIDERS)

    def run(self, x: Vectors, bias: Vectors) -> Vectors:
        """The last layer's states for ``x`` of shape (batch, width, dims), in that shape."""
        (out,) = self.session.run(None, {"x": x, "bias": bias})
        result: Vectors = out
        return result


def quantized(graph: onnx.ModelProto, weights: dict[str, Vectors]) -> bytes:
    """The serialised int8 model of ``graph`` and its ``weights``: from the user directory, else quantised there."""
    path = _kept_path(graph, weights)
    with contextlib.suppress(OSError):
        return path.read_bytes()
    model = quantize(graph, weights)
    with contextlib.suppress(OSError):  # subtle: a read-only home only costs the next process the quantising
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(model)
        partial.replace(path)  # whole or absent: two processes may race, each writes the same bytes
    return model


def _kept_path(graph: onnx.ModelProto, weights: dict[str, Vectors]) -> Path:
    import onnxruntime as ort

    digest = hashlib.sha256(graph.SerializeToString())
    digest.update(f"onnxruntime {ort.__version__}".encode())
    for name, value in weights.items():
        digest.update(name.encode())
        digest.update(np.ascontiguousarray(value).data)
    return config.user_dir() / "models" / f"layers-int8-{digest.hexdigest()[:20]}.onnx"


def quantize(graph: onnx.ModelProto, weights: dict[str, Vectors]) -> bytes:
    """The serialised int8 model of ``graph``, whose weights ``weights`` holds (see the module docstring).

    subtle: per output channel, because one scale per weight matrix moved the vectors to a mean
    cosine of 0.95 (per channel: 0.992); measured in bench/bench_semantic.py ``speed``.
    """
    from onnxruntime.quantization import quantize_dynamic

    held = holding(graph, weights)
    quantiser_log = logging.getLogger()  # subtle: it advises pre-processing through the root logger on every call
    level = quantiser_log.level
    quantiser_log.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="deepinsights-int8-") as folder:
            target = Path(folder) / "layers-int8.onnx"
            quantize_dynamic(held, target, per_channel=True)
            return target.read_bytes()
    finally:
        quantiser_log.setLevel(level)


def holding(graph: onnx.ModelProto, weights: dict[str, Vectors]) -> onnx.ModelProto:
    """A copy of ``graph`` that holds ``weights`` itself, for readers that cannot be handed them (the
    quantiser, OpenVINO)."""
    held = onnx.ModelProto()
    held.CopyFrom(graph)
    inline = [t for t in held.graph.initializer if t.name not in weights]
    del held.graph.initializer[:]
    held.graph.initializer.extend(inline + [numpy_helper.from_array(w, name) for name, w in weights.items()])
    return held


def layer_graph(layers: Sequence[Layer], heads: int, eps: float) -> tuple[onnx.ModelProto, dict[str, Vectors]]:
    """The ONNX model of the whole stack (inputs ``x`` and ``bias``, output ``hidden``) and its
    weights by initializer name, which the model names but does not hold (see ``_external``)."""
    dims = layers[0].qkv.shape[0]
    nodes: list[onnx.NodeProto] = []
    weights: dict[str, Vectors] = {}
    x = "x"
    for i, layer in enumerate(layers):
        x, layer_nodes = _layer_nodes(f"l{i}.", x, eps)
        nodes += layer_nodes
        weights |= _layer_weights(f"l{i}.", layer)
    nodes.append(helper.make_node("Identity", [x], ["hidden"]))
    shapes = [
        numpy_helper.from_array(np.array([0, 0, heads, dims // heads], dtype=np.int64), "split_heads"),
        numpy_helper.from_array(np.array([0, 0, dims], dtype=np.int64), "join_heads"),
        numpy_helper.from_array(np.array(1.0 / math.sqrt(dims // heads), dtype=np.float32), "scale"),
    ]
    graph = helper.make_graph(
        nodes,
        "encoder_layers",
        [
            helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "width", dims]),
            helper.make_tensor_value_info(
                "bias", TensorProto.FLOAT, ["bias_batch", "bias_heads", "bias_rows", "width"]
            ),
        ],
        [helper.make_tensor_value_info("hidden", TensorProto.FLOAT, ["batch", "width", dims])],
        shapes + [_external(name, w) for name, w in weights.items()],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=9), weights


def _external(name: str, w: Vectors) -> TensorProto:
    """An initializer whose data the session is handed at creation (``add_external_initializers``)."""
    tensor = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=w.shape)
    tensor.data_location = TensorProto.EXTERNAL
    for key, value in {"location": "in-memory", "offset": "0", "length": str(w.nbytes)}.items():
        tensor.external_data.add(key=key, value=value)
    return tensor


def _layer_weights(p: str, layer: Layer) -> dict[str, Vectors]:
    """One layer's initializers, named after its fields: the loaded arrays themselves, not copies."""
    named = {name: getattr(layer, name) for name in ("qkv", "qkv_b", "out", "out_b", "up", "up_b", "down", "down_b")}
    for norm in ("ln1", "ln2"):
        named[f"{norm}_w"], named[f"{norm}_b"] = getattr(layer, norm)
    return {f"{p}w.{name}": np.ascontiguousarray(w, dtype=np.float32) for name, w in named.items()}


def _layer_nodes(p: str, x: str, eps: float) -> tuple[str, list[onnx.NodeProto]]:
    """One post-norm layer reading ``x``; returns the name of its output and its nodes.

    Names are the layer's own (prefixed with ``p``) except its input and the graph-wide ones.
    """
    shared = {x, "bias", "split_heads", "join_heads", "scale"}

    def node(op: str, inputs: list[str], outputs: str, **attrs: Any) -> onnx.NodeProto:
        names = [p + o for o in outputs.split()]
        return helper.make_node(op, [i if i in shared else p + i for i in inputs], names, name=names[0], **attrs)

    return p + "h2", [
        node("MatMul", [x, "w.qkv"], "qkv_mm"),
        node("Add", ["qkv_mm", "w.qkv_b"], "qkv"),
        node("Split", ["qkv"], "q k v", axis=-1, num_outputs=3),
        node("Reshape", ["q", "split_heads"], "q_heads"),
        node("Reshape", ["k", "split_heads"], "k_heads"),
        node("Reshape", ["v", "split_heads"], "v_heads"),
        node("Transpose", ["q_heads"], "q_t", perm=[0, 2, 1, 3]),  # (batch, heads, width, head)
        node("Transpose", ["k_heads"], "k_t", perm=[0, 2, 3, 1]),  # (batch, heads, head, width)
        node("Transpose", ["v_heads"], "v_t", perm=[0, 2, 1, 3]),
        node("MatMul", ["q_t", "k_t"], "dots"),
        node("Mul", ["dots", "scale"], "scores"),  # ONNX Runtime folds the scale into the MatMul
        node("Add", ["scores", "bias"], "biased"),
        node("Softmax", ["biased"], "attention", axis=-1),
        node("MatMul", ["attention", "v_t"], "context_t"),
        node("Transpose", ["context_t"], "context_heads", perm=[0, 2, 1, 3]),
        node("Reshape", ["context_heads", "join_heads"], "context"),
        node("MatMul", ["context", "w.out"], "out_mm"),
        node("Add", ["out_mm", "w.out_b"], "attended"),
        node("Add", [x, "attended"], "residual1"),
        node("LayerNormalization", ["residual1", "w.ln1_w", "w.ln1_b"], "h1", axis=-1, epsilon=eps),
        node("MatMul", ["h1", "w.up"], "up_mm"),
        node("Add", ["up_mm", "w.up_b"], "up"),
        node("Gelu", ["up"], "gelu"),  # the exact erf form (approximate="none")
        node("MatMul", ["gelu", "w.down"], "down_mm"),
        node("Add", ["down_mm", "w.down_b"], "down"),
        node("Add", ["h1", "down"], "residual2"),
        node("LayerNormalization", ["residual2", "w.ln2_w", "w.ln2_b"], "h2", axis=-1, epsilon=eps),
    ]
