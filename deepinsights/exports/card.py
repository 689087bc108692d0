"""A Character Card V3 (``chara_card_v3``, spec 3.0) of a thinker's simulator, as JSON or as a PNG.

The card's fields come from the profile and the compiled prompt: ``description`` (who they are
and their generating function), ``personality`` (axioms and mental models), ``system_prompt`` (the
compiled simulator prompt), ``first_mes`` (a greeting that says this is a model built from their
published work), ``mes_example`` (exchanges whose replies are **verified** own-word quotes only,
``evidence``), ``tags``, and a ``character_book`` (lorebook) whose entries are the lineage and the
topics, each keyed by its names so a front-end brings it in when a chat mentions it.

``card_png`` embeds the card as chat front-ends import it: a ``tEXt`` chunk named ``ccv3`` holding
the card's JSON as UTF-8 then base64 (the specification's rule), plus a ``chara`` chunk with the
same card as Character Card V2 for front-ends that read only V2, on a generated portrait (Pillow).

This module reads no store and writes no file.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from datetime import UTC, datetime
from typing import Any

from ..profile import Profile
from ..profile.schema import LineageEntry, Theme
from .evidence import Evidence

CREATOR = "deep-insights"
V2_FIELDS = (
    "name", "description", "personality", "scenario", "first_mes", "mes_example", "creator_notes", "system_prompt",
    "post_history_instructions", "alternate_greetings", "tags", "creator", "character_version", "extensions",
)  # fmt: skip


def character_card(profile: Profile, prompt: str, evidence: Evidence, now: datetime | None = None) -> dict[str, Any]:
    """The Character Card V3 object."""
    stamp = int((now or datetime.now(UTC)).timestamp())
    data: dict[str, Any] = {
        "name": profile.name,
        "description": _description(profile),
        "tags": ["thinker", "deep-insights", profile.slug],
        "creator": CREATOR,
        "character_version": profile.identity.as_of or "1",
        "mes_example": mes_example(evidence),
        "extensions": {"deepinsights": _provenance(profile, evidence)},
        "system_prompt": prompt.strip(),
        "post_history_instructions": (
            f"Stay with {profile.name}'s recorded views. When the question is outside what their work covers, say so "
            "instead of inventing a position."
        ),
        "first_mes": (
            f"I'm a model of {profile.name}'s thinking, built from their published work — not {profile.name}. "
            "What would you like to think through?"
        ),
        "alternate_greetings": [],
        "personality": _personality(profile),
        "scenario": f"{{{{user}}}} asks a model of {profile.name}'s thinking about a problem or an idea.",
        "creator_notes": _notes(profile, evidence),
        "character_book": _lorebook(profile),
        "assets": [{"type": "icon", "uri": "ccdefault:", "name": "main", "ext": "png"}],
        "source": [u for u in (profile.identity.handles or []) if u.startswith(("http://", "https://"))],
        "group_only_greetings": [],
        "creation_date": stamp,
        "modification_date": stamp,
    }
    return {"spec": "chara_card_v3", "spec_version": "3.0", "data": data}


def as_v2(card: dict[str, Any]) -> dict[str, Any]:
    """The same card as Character Card V2 (the ``chara`` chunk of the PNG), with the spec's backfill notice."""
    data = {key: card["data"][key] for key in V2_FIELDS}
    data["creator_notes"] = (
        "This character card is Character Card V3, but it is loaded as a Character Card V2. Please use a Character "
        "Card V3 compatible application to use this character card properly.\n\n" + data["creator_notes"]
    )
    book = card["data"]["character_book"]
    data["character_book"] = {**book, "entries": [{k: v for k, v in e.items() if k != "use_regex"} for e in
                                                  book["entries"]]}  # fmt: skip
    return {"spec": "chara_card_v2", "spec_version": "2.0", "data": data}


def mes_example(evidence: Evidence) -> str:
    """Example exchanges whose replies are verified quotes (none without them)."""
    blocks = [f"<START>\n{{{{user}}}}: What do you think about {q.about}?\n{{{{char}}}}: {q.text}" for q in
              evidence.quotes[:8]]  # fmt: skip
    return "\n".join(blocks)


def card_png(card: dict[str, Any]) -> bytes:
    """A PNG portrait carrying the card in ``ccv3`` (V3) and ``chara`` (V2) tEXt chunks, base64 of UTF-8 JSON."""
    from PIL import Image, ImageDraw, ImageFont
    from PIL.PngImagePlugin import PngInfo

    name = card["data"]["name"]
    hue = hashlib.sha256(name.encode()).digest()
    image = Image.new("RGB", (400, 600), (40 + hue[0] % 120, 40 + hue[1] % 120, 60 + hue[2] % 120))
    draw = ImageDraw.Draw(image)
    initials = "".join(w[0] for w in name.split()[:2]).upper() or "?"
    draw.text((200, 260), initials, fill="white", anchor="mm", font=ImageFont.load_default(size=160))
    draw.text((200, 470), name[:28], fill="white", anchor="mm", font=ImageFont.load_default(size=28))
    info = PngInfo()
    info.add_text("chara", _base64_json(as_v2(card)))
    info.add_text("ccv3", _base64_json(card))
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def _base64_json(data: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(data, ensure_ascii=False).encode("utf-8")).decode("ascii")


def _description(profile: Profile) -> str:
    parts = [profile.identity.description] if profile.identity.description else []
    gf = profile.generating_function
    if gf:
        parts.append(f"Core generating function: {gf.statement}")
        parts += [f"Phase {i}: {phase}" for i, phase in enumerate(gf.phases, 1)]
    return "\n".join(parts) or f"A model of {profile.name}'s thinking."


def _personality(profile: Profile) -> str:
    lines = [f"Axiom {a.number}: {a.title} — {a.statement}".rstrip(" —") for a in profile.axioms]
    lines += [f"Mental model: {m.title}" + (f" — {m.explanation}" if m.explanation else "") for m in
              profile.mental_models]  # fmt: skip
    return "\n".join(lines)


def _notes(profile: Profile, evidence: Evidence) -> str:
    basis = (f"Counts measured from {evidence.documents():,} documents in the workspace" if evidence.measured else
             "Counts are the profile's claims (no workspace was measured)")  # fmt: skip
    examples = (f"{len(evidence.quotes)} example replies, each a quote verified verbatim in {profile.name}'s own "
                "words" if evidence.quotes else "No example messages: no quote was verified in the corpus")  # fmt: skip
    return f"Made by deep-insights from the profile '{profile.slug}'. {basis}. {examples}."


def _provenance(profile: Profile, evidence: Evidence) -> dict[str, Any]:
    return {
        "profile": profile.slug,
        "counts_measured": evidence.measured,
        "verified_quotes": [
            {"text": q.text, "source": q.source, "date": q.date, "url": q.url} for q in evidence.quotes
        ],  # fmt: skip
    }


def _lorebook(profile: Profile) -> dict[str, Any]:
    entries = [_lineage_entry(e) for e in profile.lineage] + [_theme_entry(t) for t in profile.themes]
    for i, entry in enumerate(entries):
        entry["insertion_order"] = i
        entry["id"] = i
    return {"name": f"{profile.name}: lineage and topics", "extensions": {}, "entries": entries}


def _entry(name: str, keys: list[str], content: str) -> dict[str, Any]:
    flags = {"enabled": True, "insertion_order": 0, "case_sensitive": False, "use_regex": False, "constant": False}
    return {"keys": [k for k in dict.fromkeys(keys) if k], "content": content, "extensions": {}, **flags, "name": name}


def _lineage_entry(e: LineageEntry) -> dict[str, Any]:
    detail = "; ".join(x for x in (e.work, e.role, e.summary or e.text) if x)
    counted = f" Referenced {e.claimed_count} times." if e.claimed_count is not None else ""
    return _entry(e.name, [e.name, e.handle or ""], f"Lineage: {e.heading()}" + (f" — {detail}" if detail else "")
                  + "." + counted)  # fmt: skip


def _theme_entry(t: Theme) -> dict[str, Any]:
    years = ", ".join(f"{y}: {n}" for y, n in sorted(t.by_year.items()))
    return _entry(t.term, [t.term, *t.phrases[:4]], f"Topic: {t.term}, in {t.documents} documents" +
                  (f" ({years})" if years else "") + ".")  # fmt: skip
