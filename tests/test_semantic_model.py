"""all-MiniLM-L6-v2 against its published output on every backend (OpenVINO, ONNX Runtime and numpy), and the
embedders on hostile text."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pytest

from deepinsights.errors import EmbeddingError
from deepinsights.semantic import model as model_module
from deepinsights.semantic import static
from deepinsights.semantic.model import (
    Encoder,
    MiniLM,
    choose_backend,
    choose_precision,
    model_dir,
    one_blas_thread,
    verify_weights,
)

BACKENDS = ("openvino", "onnxruntime", "numpy")


def require_model() -> None:
    """Skip (or fail under DEEPINSIGHTS_REQUIRE_SHARED=1, as CI runs) when the model package is absent."""
    try:
        model_dir()
    except EmbeddingError as ex:
        if os.environ.get("DEEPINSIGHTS_REQUIRE_SHARED") == "1":
            pytest.fail(f"{ex}; CI must install it (see docs/semantic.md)")
        pytest.skip(str(ex))


@pytest.fixture(scope="module")
def loaded() -> MiniLM:
    require_model()
    return MiniLM()


@pytest.fixture(scope="module", params=BACKENDS)
def minilm(loaded, request) -> MiniLM:
    """The model on each backend in turn, at its default precision: every test that uses it checks all three."""
    return loaded.using(request.param)


def test_reproduces_the_published_similarity_matrix(minilm):
    # The sentence-transformers README prints this matrix for all-MiniLM-L6-v2 on these sentences.
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    published = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    vectors = minilm.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    # bfloat16 keeps 8 bits of each weight's mantissa: 5e-4 off the printed matrix, recall unchanged (bench/)
    bfloat16 = minilm.backend == "openvino" and minilm.layer_stack().precision == "bf16"
    assert np.allclose(vectors @ vectors.T, published, atol=1e-3 if bfloat16 else 2e-4)


def test_padding_in_a_batch_does_not_change_a_vector(minilm):
    short = "a short line"
    alone = minilm.embed([short])[0]
    batched = minilm.embed([short, "a much longer sentence " * 20])[0]
    assert np.allclose(alone, batched, atol=1e-5)


def test_batches_group_similar_lengths_within_the_token_bound():
    rng = np.random.default_rng(5)
    ids = [[1] * int(n) for n in rng.integers(3, 67, size=500)]  # tweet-length windows, shuffled
    batches = model_module._batches(ids)
    assert sorted(i for batch in batches for i in batch) == list(range(500))  # each text once
    for batch in batches:
        widths = [len(ids[i]) for i in batch]
        assert len(batch) * max(widths) <= model_module.BATCH_TOKENS
        assert max(widths) - min(widths) <= model_module.PAD_SLACK  # padding stays small
    padded = sum(len(batch) * max(len(ids[i]) for i in batch) for batch in batches)
    assert padded <= 1.1 * sum(map(len, ids))  # without the slack rule: 1.4 on tweets


def test_order_is_kept_when_lengths_are_batched(minilm):
    texts = ["one two three four five six", "x", "tokenizer", "a b c"]
    together = minilm.embed(texts)
    one_by_one = np.vstack([minilm.embed([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-5)


HOSTILE_TEXTS = pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "日本語のテキストを検索する",
        "Привет, мир",
        "🙂🚀🔥" * 50,
        "x" * 100_000,
        "word " * 20_000,
        "\x00\ud800",
    ],
    ids=["empty", "spaces", "japanese", "cyrillic", "emoji", "100k-chars", "20k-words", "nul-surrogate"],
)


@HOSTILE_TEXTS
def test_hostile_text_gives_a_unit_vector(minilm, text):
    vector = minilm.embed([text])[0]
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


def lowest_cosine(encoder: Encoder, embed: Callable[[Encoder], np.ndarray]) -> float:
    """The lowest cosine between the rows ``embed`` gets from numpy (float32) and from each runtime at its default."""
    plain = embed(encoder.using("numpy", "fp32"))
    return min(float(np.min(np.sum(embed(encoder.using(b)) * plain, axis=1))) for b in ("openvino", "onnxruntime"))


LONG_TEXTS = [
    "A long passage about training neural networks. " * 40,
    " ".join(f"token{i} in a passage of many windows" for i in range(200)),
    "短い文と長い文。" * 150,
]


@HOSTILE_TEXTS
def test_the_backends_agree_on_hostile_text(loaded, text):
    assert lowest_cosine(loaded, lambda encoder: encoder.embed([text])) >= 0.9999


def test_the_backends_agree_on_texts_of_many_windows(loaded):
    assert [len(w) for w in loaded.embed_windows(LONG_TEXTS)] == [5, 28, 19]
    assert lowest_cosine(loaded, lambda encoder: np.vstack(encoder.embed_windows(LONG_TEXTS))) >= 0.9999


def test_embedding_windows_says_as_it_goes_how_many_texts_are_done(loaded, monkeypatch):
    """Batches run by length across texts: a text counts once, when its last window is embedded."""
    monkeypatch.setattr(model_module, "BATCH_TOKENS", 8 * 66)  # eight full windows a batch: several batches
    told: list[int] = []
    loaded.embed_windows(LONG_TEXTS, progress=told.append)
    assert sum(told) == len(LONG_TEXTS) and len(told) > 1  # 52 windows: one tick per batch
    assert told[-1] >= 1  # the last batch finishes the longest text


def test_openvino_runs_the_layers_unless_another_backend_is_asked_for(loaded, monkeypatch):
    texts = ["numpy stays the fallback"]
    assert choose_backend("auto") == "openvino"  # installed, so it is picked
    assert MiniLM().backend == "openvino"
    monkeypatch.setenv("DEEPINSIGHTS_EMBEDDING_BACKEND", "numpy")
    forced = MiniLM()
    assert forced.backend == "numpy"
    assert np.array_equal(forced.embed(texts), loaded.using("numpy").embed(texts))
    assert not np.array_equal(forced.embed(texts), loaded.using("onnxruntime").embed(texts))
    assert MiniLM(backend="onnxruntime").backend == "onnxruntime"  # the argument wins over the setting


def test_auto_runs_onnx_runtime_where_openvino_imports_but_cannot_compile(loaded, monkeypatch):
    """A CPU OpenVINO's plugin refuses cannot be had here, so its compile is made to fail as it does there."""
    from deepinsights.errors import EmbeddingError
    from deepinsights.semantic import openvino_layers

    def refuse(*args, **kwargs):
        raise RuntimeError("Exception from src/plugins/intel_cpu/src/plugin.cpp:\nunsupported instruction set")

    texts = ["a passage that OpenVINO cannot embed here"]
    monkeypatch.setattr(openvino_layers.OpenVinoStack, "__init__", refuse)
    auto = loaded.using("auto")
    assert auto.backend == "openvino"  # it imports, so auto picks it
    assert np.allclose(auto.embed(texts), loaded.using("onnxruntime").embed(texts), atol=1e-6)
    assert auto.backend == "onnxruntime"
    assert auto.runtime() == "ONNX Runtime f32; OpenVINO failed: Exception from src/plugins/intel_cpu/src/plugin.cpp:"
    with pytest.raises(EmbeddingError, match="OpenVINO cannot run the all-MiniLM-L6-v2 layers on this machine"):
        loaded.using("openvino").embed(texts)  # asked for by name: the user sees why
    with pytest.raises(EmbeddingError, match="DEEPINSIGHTS_EMBEDDING_BACKEND=onnxruntime or numpy"):
        loaded.using("openvino").embed(texts)


def test_auto_runs_bfloat16_where_the_cpu_has_it_at_float32_accuracy(loaded):
    from deepinsights.semantic.openvino_layers import _core

    auto, fp32 = loaded.using("openvino"), loaded.using("openvino", "fp32")
    native = "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES")
    assert auto.layer_stack().precision == ("bf16" if native else "f32")
    assert fp32.layer_stack().precision == "f32"
    fast, exact = (np.vstack(encoder.embed_windows(LONG_TEXTS)) for encoder in (auto, fp32))
    reference = np.vstack(loaded.using("onnxruntime", "fp32").embed_windows(LONG_TEXTS))
    assert np.allclose(exact, reference, atol=1e-5)  # float32 in OpenVINO is ONNX Runtime's float32
    assert np.sum(fast * exact, axis=1).min() >= 0.9995  # bench/bench_semantic.py: the same recall@10


def test_openvino_runs_without_its_usage_telemetry(loaded, tmp_path):
    """``import openvino`` would send an analytics event and write ~/intel; we import it with the telemetry stub."""
    script = (
        "from deepinsights.semantic.model import MiniLM\n"
        "model = MiniLM()\n"
        "assert model.backend == 'openvino' and model.embed(['a query']).shape == (1, 384)\n"
        "import sys, openvino.tools.ovc.telemetry_utils as t\n"
        "print(t.tm.__name__, 'openvino_telemetry' in sys.modules)\n"
    )
    env = {**os.environ, "HOME": str(tmp_path), "CI": "", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["openvino.tools.ovc.telemetry_stub", "False"]
    assert not (tmp_path / "intel").exists()  # no client id, no usage count


@pytest.mark.parametrize("backend", ["openvino", "onnxruntime"])
def test_passages_run_in_int8_close_to_float32_and_queries_stay_float32(loaded, backend):
    int8, fp32 = loaded.using(backend, "int8"), loaded.using(backend, "fp32")
    assert int8.passages_int8 and not fp32.passages_int8
    quantised, exact = (np.vstack(encoder.embed_windows(LONG_TEXTS)) for encoder in (int8, fp32))
    cosines = np.sum(quantised * exact, axis=1)
    assert not np.allclose(quantised, exact, atol=1e-4)  # it is another computation
    assert cosines.min() >= 0.95 and cosines.mean() >= 0.98  # bench/bench_semantic.py measures recall with it
    assert np.array_equal(int8.embed(LONG_TEXTS), fp32.embed(LONG_TEXTS))  # a query is never quantised
    assert int8.layer_stack(int8=True) is int8.layer_stack(int8=True)  # quantised once per process


def test_the_quantised_layers_are_kept_so_the_next_process_does_not_quantise(loaded, monkeypatch, tmp_path):
    from deepinsights.semantic import onnx_layers

    monkeypatch.setenv("DEEPINSIGHTS_USER_PATH", str(tmp_path))
    first = onnx_layers.LayerStack(loaded.layers, loaded.heads, loaded.eps, int8=True)
    (kept,) = (tmp_path / "models").glob("layers-int8-*.onnx")
    monkeypatch.setattr(onnx_layers, "quantize", lambda *args: pytest.fail("quantised again"))
    again = onnx_layers.LayerStack(loaded.layers, loaded.heads, loaded.eps, int8=True)
    x = np.random.default_rng(0).standard_normal((2, 8, loaded.layers[0].qkv.shape[0])).astype(np.float32)
    bias = np.zeros((2, 1, 1, 8), dtype=np.float32)
    assert np.array_equal(first.run(x, bias), again.run(x, bias)) and kept.stat().st_size > 1_000_000


def test_precision_follows_the_setting_and_the_model(loaded, monkeypatch):
    assert not loaded.using("numpy", "int8").passages_int8  # numpy has no int8 layers
    monkeypatch.setenv("DEEPINSIGHTS_EMBEDDING_PRECISION", "fp32")
    assert not MiniLM().passages_int8
    monkeypatch.setenv("DEEPINSIGHTS_EMBEDDING_PRECISION", "bf16")
    with pytest.raises(EmbeddingError, match="Unknown embedding precision 'bf16'.*auto, int8, fp32"):
        MiniLM()
    monkeypatch.delenv("DEEPINSIGHTS_EMBEDDING_PRECISION")
    assert not loaded.using("onnxruntime", "auto").passages_int8  # int8 costs recall: only when asked for
    assert not MiniLM().passages_int8
    strict = loaded.using("onnxruntime")
    strict.int8_allowed = False  # as all-mpnet-base-v2 says of itself
    assert choose_precision(strict, "auto") == "auto"
    with pytest.raises(EmbeddingError, match="is not run in int8"):
        choose_precision(strict, "int8")


def test_without_a_runtime_auto_falls_back_and_asking_for_it_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "openvino", None)  # what an absent package looks like to import
    assert choose_backend("auto") == "onnxruntime"
    with pytest.raises(EmbeddingError, match="pip install openvino onnx"):
        choose_backend("openvino")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    assert choose_backend("auto") == "numpy"
    with pytest.raises(EmbeddingError, match="pip install onnxruntime onnx"):
        choose_backend("onnxruntime")
    with pytest.raises(EmbeddingError, match="Unknown embedding backend 'torch'.*auto, openvino, onnxruntime, numpy"):
        choose_backend("torch")


class TwoBlasThreads:
    """threadpoolctl's controller as on a machine whose BLAS runs two threads, whatever any limit says.

    The limit is process-wide: another thread's query that ends restores it, so a query must
    not rely on it (and tests run with OPENBLAS_NUM_THREADS=1, where it could not show).
    """

    def info(self):
        return [{"user_api": "blas", "num_threads": 2}]

    def limit(self, **_):
        return contextlib.nullcontext()


def test_a_query_runs_on_one_runtime_thread_and_an_index_build_on_all(loaded, monkeypatch):
    monkeypatch.setattr(model_module, "_blas", TwoBlasThreads)
    encoder = loaded.using("onnxruntime")
    with one_blas_thread():
        query = encoder.layer_stack().session
    build = encoder.layer_stack().session
    assert query.get_session_options().intra_op_num_threads == 1
    assert build.get_session_options().intra_op_num_threads == 2
    encoder = loaded.using("openvino")
    with one_blas_thread():
        compiled = encoder.layer_stack().compiled
    assert compiled.get_property("INFERENCE_NUM_THREADS") == 1
    assert encoder.layer_stack().compiled.get_property("INFERENCE_NUM_THREADS") == 2


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(model_module, "PACKAGE", "no_such_embedding_package")
    with pytest.raises(EmbeddingError, match="insights models install-embedding"):
        model_dir()


def test_weights_with_the_wrong_checksum_are_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(EmbeddingError, match="sha256"):
        verify_weights(tmp_path)


def test_static_embedder_averages_piece_vectors(loaded, monkeypatch):
    # A table saved where the distilled one lives is loaded instead of distilling (which takes a minute).
    rng = np.random.default_rng(0)
    table = rng.standard_normal((loaded.tokenizer.get_vocab_size(), 384)).astype(np.float32)
    static.table_path().parent.mkdir(parents=True, exist_ok=True)
    np.save(static.table_path(), table)
    embedder = static.StaticMiniLM()
    vectors = embedder.embed(["tokenizer", "", "🙂", "tokenizer tokenizer"])
    ids = embedder.tokenizer.encode("tokenizer", add_special_tokens=False).ids
    expected = table[ids].sum(axis=0)
    assert np.allclose(vectors[0], expected / np.linalg.norm(expected), atol=1e-5)
    assert not vectors[1].any()  # no pieces: a zero row, never NaN
    assert np.allclose(vectors[0], vectors[3], atol=1e-5)


def test_an_unknown_embedding_model_lists_the_available_ones():
    from deepinsights.semantic.registry import get_embedder

    with pytest.raises(EmbeddingError, match="Unknown embedding model 'no-such-model'. Available: all-MiniLM-L6-v2"):
        get_embedder("no-such-model")


def test_an_llm_model_that_cannot_run_is_a_one_line_error(monkeypatch):
    from deepinsights.semantic.registry import get_embedder

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    embedder = get_embedder("text-embedding-3-small")  # llm's built-in OpenAI model: no key here
    assert embedder.name == "llm:text-embedding-3-small"
    with pytest.raises(EmbeddingError, match="Embedding model 'llm:text-embedding-3-small' failed"):
        embedder.embed(["hello"])
