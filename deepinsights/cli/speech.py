"""``insights models install-speech``: the speech-to-text model for audio and video imports."""

from __future__ import annotations

import click
from rich.console import Console

from ..speech import catalog
from ..speech.install import install_speech_model
from .common import errors_as_messages, shown

err = Console(stderr=True)


@click.command(name="install-speech")
@click.option(
    "--model",
    type=click.Choice(list(catalog.MODELS)),
    default=catalog.DEFAULT,
    show_default=True,
    help="base: multilingual (WER 0.10 on the benchmark); tiny.en: English only, about twice as fast, WER 0.12.",
)
@click.option("--check", is_flag=True, help="Only verify the installed model's checksums; install nothing.")
def install_speech(model: str, check: bool) -> None:
    """Install a local speech-to-text model (Whisper, from PyPI packages) and verify its checksums.

    Downloads the model's packages with pip (no model hub), joins and checks every file
    against its pinned size and sha256, and installs faster-whisper (CPU, int8, no torch)
    when it is missing. Prints the model folder. Audio and video imports need it.

    \b
    Example usage:
        insights models install-speech
        insights models install-speech --model tiny.en
        insights import talk.mp3 --thinker karpathy
    """
    with errors_as_messages():
        folder = install_speech_model(model, log=lambda line: err.print(shown(line)), check_only=check)
    click.echo(folder)


MODEL_COMMANDS = [install_speech]
