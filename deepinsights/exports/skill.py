"""An Agent Skills folder (agentskills.io specification) holding a thinker's simulator.

``SKILL.md`` opens with the YAML front matter the specification requires (``name``: lowercase
letters, digits and single hyphens, at most 64 characters, the folder's own name; ``description``:
what the skill does and when to use it, at most 1,024 characters; ``metadata``: string values),
followed by the compiled simulator prompt as the instructions. The measured sections are
reference files under ``references/`` that the instructions link, so an agent loads them only
when it needs them: lineage, topics, eras, predictions, the verified quotes with their sources,
and the known gaps (what to decline or flag as extrapolation).

``skill_files`` returns the files as ``{relative path: text}``; ``write_folder`` writes them whole
(a temporary folder beside the target, then renamed into place). This module reads no store.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from ..errors import ProfileError
from ..profile import Profile
from ..profile.io import dump_yaml
from ..profile.schema import Era, LineageEntry, Prediction, Theme
from .evidence import Evidence, VerifiedQuote

NAME = re.compile(r"^(?!-)(?!.*--)[a-z0-9-]{1,64}(?<!-)$")
MAX_DESCRIPTION = 1024
REFERENCES = {
    "lineage": "the people and works they draw on, with reference counts and evidence links",
    "topics": "the topics they write about, with documents per year",
    "eras": "how their thinking changed over time",
    "predictions": "what they predicted, when, and the status",
    "quotes": "their words verified verbatim in the corpus, with sources: quote only from here",
    "gaps": "what the corpus does not cover: decline or flag extrapolation there",
}


def check_name(name: str) -> str:
    """``name`` when it is a valid skill name, else a ``ProfileError`` saying what one looks like."""
    if not NAME.match(name):
        raise ProfileError(
            f"'{name}' is not a valid Agent Skills name (lowercase letters, digits and single hyphens, at most 64 "
            "characters, no hyphen at either end); name the folder like 'karpathy-thinking'"
        )
    return name


def skill_files(profile: Profile, name: str, prompt: str, evidence: Evidence) -> dict[str, str]:
    """``SKILL.md`` and the reference files, keyed by path inside the skill folder."""
    references = {f"references/{key}.md": text for key, text in _references(profile, evidence).items() if text.strip()}
    return {"SKILL.md": _skill_md(profile, check_name(name), prompt, evidence, references), **references}


def description(profile: Profile, evidence: Evidence) -> str:
    """What the skill does and when to use it (the specification's two parts), at most 1,024 characters."""
    basis = f"{evidence.documents():,} documents of their published work" if evidence.measured else "their profile"
    text = (
        f"Think through a question the way {profile.name} would, from a thinker profile measured on and checked "
        f"against {basis} (deep-insights). Use when asked what {profile.name} would say, think or predict about "
        f"something, to apply their frameworks and mental models to a problem, or to write in their voice; it "
        f"declines or flags as extrapolation what their corpus does not cover."
    )
    return text[:MAX_DESCRIPTION]


def _skill_md(profile: Profile, name: str, prompt: str, evidence: Evidence, references: dict[str, str]) -> str:
    front = {
        "name": name,
        "description": description(profile, evidence),
        "metadata": {
            "generated-by": "deep-insights",
            "profile": profile.slug,
            "counts": "measured from the corpus" if evidence.measured else "the profile's claims",
            "verified-quotes": str(len(evidence.quotes)),
        },
    }
    links = "\n".join(
        f"- [{path}]({path}): {REFERENCES[Path(path).stem]}" for path in references
    )  # fmt: skip
    return (
        f"---\n{dump_yaml(front, width=10_000)}---\n\n"
        f"# Thinking like {profile.name}\n\n{prompt.strip()}\n\n"
        f"## Reference files (read one when the question needs it)\n\n{links}\n"
    )


def _references(profile: Profile, evidence: Evidence) -> dict[str, str]:
    return {
        "lineage": _section(f"{profile.name}: lineage", [_lineage(e) for e in profile.lineage]),
        "topics": _section(f"{profile.name}: topics", [_theme(t) for t in profile.themes]),
        "eras": _section(f"{profile.name}: eras", [_era(e) for e in profile.eras]),
        "predictions": _section(f"{profile.name}: predictions", [_prediction(p) for p in profile.predictions]),
        "quotes": _section(f"{profile.name}: verified quotes", [_quote(q) for q in evidence.quotes]),
        "gaps": _section(f"{profile.name}: known gaps", [f"- {g}" for g in profile.known_gaps]),
    }


def _section(title: str, lines: list[str]) -> str:
    return f"# {title}\n\n" + "\n".join(lines) + "\n" if lines else ""


def _link(title: str, url: str | None) -> str:
    return f"[{title}]({url})" if url and url.startswith(("http://", "https://")) else title


def _lineage(e: LineageEntry) -> str:
    detail = "; ".join(x for x in (e.work, e.role) if x)
    line = f"- **{e.heading()}**" + (f" ({detail})" if detail else "")
    if e.claimed_count is not None:
        line += f" — {e.claimed_count} references" + (f" (counted by `{e.count_query}`)" if e.count_query else "")
    summary = e.summary or e.text
    sources = ", ".join(_link(q.source.title, q.source.url) for q in e.quotes)
    return line + (f": {summary}" if summary else "") + (f" Evidence: {sources}" if sources else "")


def _theme(t: Theme) -> str:
    years = ", ".join(f"{y}: {n}" for y, n in sorted(t.by_year.items()))
    phrases = ", ".join(t.phrases)
    return f"- **{t.term}** — {t.documents} documents" + (f" ({years})" if years else "") + (
        f"; phrases: {phrases}" if phrases else "")  # fmt: skip


def _era(e: Era) -> str:
    return f"- **{e.name}** ({e.start or '?'} – {e.end or 'now'}): {e.summary}"


def _prediction(p: Prediction) -> str:
    made = f", made {p.made}" if p.made else ""
    horizon = f", horizon {p.horizon}" if p.horizon else ""
    source = f" — {_link(p.source.title, p.source.url)}" if p.source else ""
    return f"- {p.line()} ({p.kind}{made}{horizon}; {p.status.replace('_', ' ')}){source}"


def _quote(q: VerifiedQuote) -> str:
    when = f", {q.date}" if q.date else ""
    return f"- “{q.text}” — {_link(q.source, q.url)}{when} (on {q.about})"


def write_folder(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` as the folder ``folder``, replacing it whole (never half-written)."""
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise ProfileError(f"{folder}: exists and is not a folder")
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for relative, text in files.items():
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        old = folder.with_name(f".{folder.name}.old") if folder.exists() else None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
            folder.rename(old)
        staging.rename(folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return folder
