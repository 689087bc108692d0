"""The encoder layers compiled by OpenVINO, from the same ONNX graph ONNX Runtime runs.

OpenVINO's CPU plugin runs the layer stack in bfloat16 where the processor computes it natively
(AVX512_BF16 or AMX; its own default there) and in float32 elsewhere: asked for explicitly, since
on ARM its default is float16, whose recall nobody here has measured. On the 2-core dev machine
(AVX512_BF16) ``insights index`` runs 1.6-1.8 times as fast as in ONNX Runtime's float32, vectors at a
mean cosine of 0.99998 to the float32 ones (int8: 0.992) and recall@10 unchanged on every
labelled query set (bench/bench_semantic.py, bench/bench_index.py). ``exact=True`` keeps
float32 throughout, for comparing or where a user asks for it.

The graph is ``onnx_layers.layer_graph`` with its weights inside (OpenVINO reads an ONNX
model from bytes but cannot be handed external arrays), so the math is written once. It does
not choose the backend or the precision (``model.Encoder`` does).
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from .layers import Layer, Vectors
from .onnx_layers import holding, layer_graph


def import_openvino() -> Any:
    """The ``openvino`` module, imported without its usage telemetry.

    subtle: ``import openvino`` imports its model converter, which sends a Google Analytics
    event on every import unless the user has opted out (a consent file in ``~/intel``), and
    writes a client id and a usage count there. deep-insights reaches no network, so the
    converter is given the stub it uses when ``openvino_telemetry`` is not installed. Only
    that first import is affected; a process that imported either module already is left as
    it is.
    """
    blocked = "openvino" not in sys.modules and "openvino_telemetry" not in sys.modules
    if blocked:
        sys.modules["openvino_telemetry"] = None  # type: ignore[assignment]  # what import reads as absent
    try:
        return importlib.import_module("openvino")
    finally:
        if blocked:
            del sys.modules["openvino_telemetry"]


@functools.cache
def _core() -> Any:
    return import_openvino().Core()


class OpenVinoStack:
    """The layers of one encoder as an OpenVINO compiled model; ``run`` may be called from several threads at once."""

    runtime = "OpenVINO"

    def __init__(self, layers: Sequence[Layer], heads: int, eps: float, *, threads: int = 1, exact: bool = False):
        graph, weights = layer_graph(layers, heads, eps)
        model = _core().read_model(holding(graph, weights).SerializeToString())
        settings: dict[str, Any] = {
            "INFERENCE_NUM_THREADS": threads,
            "PERFORMANCE_HINT": "LATENCY",
            # subtle: pinning would tie each process's threads to the same first cores, so the
            # server's worker processes, each embedding its queries, would share one core
            "ENABLE_CPU_PINNING": False,
        }
        native = "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
        settings["INFERENCE_PRECISION_HINT"] = "bf16" if native and not exact else "f32"
        self.compiled = _core().compile_model(model, "CPU", settings)
        self.precision: str = self.compiled.get_property("INFERENCE_PRECISION_HINT").to_string()  # "bf16", "f32"
        self._requests = threading.local()  # an infer request serves one call at a time

    def run(self, x: Vectors, bias: Vectors) -> Vectors:
        """The last layer's states for ``x`` of shape (batch, width, dims), in that shape."""
        request = getattr(self._requests, "request", None)
        if request is None:
            request = self._requests.request = self.compiled.create_infer_request()
        request.infer({"x": x, "bias": bias})
        out: Vectors = np.array(request.get_output_tensor(0).data, dtype=np.float32)  # a copy: the next call reuses it
        return out
