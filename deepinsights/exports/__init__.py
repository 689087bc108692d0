"""Exports of a thinker's simulator that other tools load: an Agent Skills folder, a Character Card
V3 (JSON or PNG) and an elizaOS character file.

Each is built from the profile, its compiled simulator prompt (``prompt.compile_prompt``) and the
``Evidence`` measured from the workspace (verified own-word quotes and counts; ``evidence.gather``).
Only verified quotes ever become example messages or posts. ``render_export`` returns what to
write: text for stdout or a file, PNG bytes, or a skill folder's files.

This module does not open the store or verify (the CLI gathers the evidence) and writes only
through ``write_export``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ProfileError
from ..profile import Profile
from ..prompt import EXPORT_FORMATS
from ..saved import write_whole
from .card import card_png, character_card
from .eliza import eliza_character
from .evidence import Evidence, VerifiedQuote, gather
from .skill import skill_files, write_folder

__all__ = ["EXPORT_FORMATS", "Evidence", "Export", "VerifiedQuote", "gather", "render_export", "write_export"]


@dataclass
class Export:
    """What an export produced: ``text`` (JSON), ``png`` bytes, or ``files`` of a skill folder."""

    fmt: str
    text: str = ""
    png: bytes = b""
    files: dict[str, str] = field(default_factory=dict)


def render_export(profile: Profile, fmt: str, prompt: str, evidence: Evidence, out: Path | None = None) -> Export:
    """Build the ``fmt`` export; ``out`` decides a skill's name (its folder) and a card's PNG form (``.png``)."""
    if fmt == "skill":
        if out is None:
            raise ProfileError(
                "--format skill writes a folder: pass --out FOLDER (named like the skill, e.g. karpathy)"
            )
        return Export(fmt, files=skill_files(profile, out.name, prompt, evidence))
    if fmt == "character-card":
        card = character_card(profile, prompt, evidence)
        if out is not None and out.suffix.lower() == ".png":
            return Export(fmt, png=card_png(card))
        return Export(fmt, text=_json(card))
    if fmt == "eliza":
        return Export(fmt, text=_json(eliza_character(profile, prompt, evidence)))
    raise ProfileError(f"Unknown export format '{fmt}'. Choose one of: {', '.join(EXPORT_FORMATS)}")


def write_export(export: Export, out: Path) -> Path:
    """Write ``export`` to ``out`` whole (a folder for a skill, else a file): never half-written."""
    if export.files:
        return write_folder(out, export.files)
    return write_whole(out, export.png or export.text.encode("utf-8"))


def _json(data: object) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
