"""The numpy all-MiniLM-L6-v2 against its published output, and the embedders on hostile text."""

from __future__ import annotations

import os

import numpy as np
import pytest

from deepinsights.errors import EmbeddingError
from deepinsights.semantic import model as model_module
from deepinsights.semantic import static
from deepinsights.semantic.model import MiniLM, model_dir, verify_weights


def require_model() -> None:
    """Skip (or fail under DEEPINSIGHTS_REQUIRE_SHARED=1, as CI runs) when the model package is absent."""
    try:
        model_dir()
    except EmbeddingError as ex:
        if os.environ.get("DEEPINSIGHTS_REQUIRE_SHARED") == "1":
            pytest.fail(f"{ex}; CI must install it (see docs/semantic.md)")
        pytest.skip(str(ex))


@pytest.fixture(scope="module")
def minilm() -> MiniLM:
    require_model()
    return MiniLM()


def test_reproduces_the_published_similarity_matrix(minilm):
    # The sentence-transformers README prints this matrix for all-MiniLM-L6-v2 on these sentences.
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    published = np.array([[1.0, 0.6660, 0.1046], [0.6660, 1.0, 0.1411], [0.1046, 0.1411, 1.0]])
    vectors = minilm.embed(texts)
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    assert np.allclose(vectors @ vectors.T, published, atol=2e-4)


def test_padding_in_a_batch_does_not_change_a_vector(minilm):
    short = "a short line"
    alone = minilm.embed([short])[0]
    batched = minilm.embed([short, "a much longer sentence " * 20])[0]
    assert np.allclose(alone, batched, atol=1e-5)


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


def test_missing_package_names_the_install_command(monkeypatch):
    monkeypatch.setattr(model_module, "PACKAGE", "no_such_embedding_package")
    with pytest.raises(EmbeddingError, match="insights models install-embedding"):
        model_dir()


def test_weights_with_the_wrong_checksum_are_refused(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not the real weights")
    with pytest.raises(EmbeddingError, match="sha256"):
        verify_weights(tmp_path)


def test_static_embedder_averages_piece_vectors(minilm, monkeypatch):
    # A table saved where the distilled one lives is loaded instead of distilling (which takes a minute).
    rng = np.random.default_rng(0)
    table = rng.standard_normal((minilm.tokenizer.get_vocab_size(), 384)).astype(np.float32)
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
