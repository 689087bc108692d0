"""Compile a profile into its simulator prompt: plain text, an ``llm`` template, or JSON.

The prompt is built only from the profile's data (its ``simulator`` sections, axioms and
mental models); the compiler adds headings, numbering and separators, never content. The
page sections it compiles (``FROM_PAGE_SECTIONS``) come in the order of ``profile.sections.SECTIONS``,
after the opening and the generating function and before the simulator's own sections.
The counts in the opening line are the profile's claims unless corpus statistics are
given (rows as ``Store.stats()`` returns them); either way a marker line right after the
opening says which, so a claimed number is never passed off as a measured one. A measured
count is labelled by what was counted (``13 READMEs``, not the profile's "GitHub repos").

Given what ``verify`` said of the profile's quotes (``Checked``), an item whose quoted words
verify could not confirm is marked in the prompt (the default), left out, or kept as
written: ``[not found in the corpus]`` after words not found, ``[not checked: …]`` after
words whose cited source the workspace does not hold.

This module does not read files, open the store, verify or call a model: the CLI passes it
a loaded ``Profile`` and, where a workspace exists, the store's stats and verify's verdicts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any, Literal

from .errors import ProfileError
from .models import kind_label
from .profile.io import dump_yaml
from .profile.schema import Profile, Simulator, month_label
from .profile.sections import SECTIONS

__all__ = [
    "CLAIMED_MARKER",
    "EXPORT_FORMATS",
    "FORMATS",
    "MEASURED_MARKER",
    "NOT_CHECKED",
    "QUOTES_MARKER",
    "UNCONFIRMED",
    "Checked",
    "CountLine",
    "compile_prompt",
    "count_lines",
    "prompt_json",
    "prompt_sections",
    "render_prompt",
    "template_literal",
]

Stats = Sequence[Mapping[str, Any]]
Format = Literal["text", "llm-template", "json"]
FORMATS: tuple[Format, ...] = ("text", "llm-template", "json")
EXPORT_FORMATS = ("skill", "character-card", "eliza")
"""The prompt's other forms, for tools that load a character or a skill: built by ``deepinsights.exports``."""

CLAIMED_MARKER = "(The counts above are the profile's claims; they have not been measured against a corpus.)"
MEASURED_MARKER = (
    "(The counts above are measured from the imported corpus; any marked (claimed) are the profile's own numbers.)"
)
DEFAULT_OPENING = (
    "You are simulating the thinking of {name} — not impersonating them, but channeling their intellectual "
    "framework, aesthetic preferences, and analytical patterns based on analysis of their public output ({counts})."
)


UNCONFIRMED = ("mark", "omit", "keep")
"""What the prompt does with an item whose quoted words verify could not confirm; ``mark`` is the default."""
_MARKS = {"not_found": "not found in the corpus", "unverifiable_here": "not checked: its source is not in the corpus"}
QUOTES_MARKER = (
    "(Words marked [not found in the corpus] were not found in the imported corpus; words marked [not checked: …] "
    "cite a source it does not hold. Do not present either as verified quotes.)"
)


@dataclass(frozen=True)
class Checked:
    """Verify's verdict per quote path (``axioms[0].quotes[1]`` → ``not_found``) and what to do about it."""

    statuses: Mapping[str, str]
    policy: str = "mark"

    def __post_init__(self) -> None:
        if self.policy not in UNCONFIRMED:
            raise ProfileError(f"Unknown choice '{self.policy}' for unconfirmed quotes: {', '.join(UNCONFIRMED)}")

    def flagged(self, quotes: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """(quote text, mark) of the quotes in ``quotes`` ((path, text) pairs) verify could not confirm."""
        if self.policy == "keep":
            return []
        return [(text, _MARKS[status]) for path, text in quotes if (status := self.statuses.get(path, "")) in _MARKS]

    def line(self, line: str, quotes: Iterable[tuple[str, str]]) -> str | None:
        """``line`` with each unconfirmed quote among ``quotes`` marked; None when the policy leaves it out."""
        flagged = self.flagged(quotes)
        if flagged and self.policy == "omit":
            return None
        for text, mark in flagged:
            line = _mark(line, text, mark)
        return line


NOT_CHECKED = Checked({}, "keep")


def _mark(line: str, quote: str, mark: str) -> str:
    """``line`` with ``[mark]`` right after ``quote`` in it (and its closing quote mark), else at its end."""
    end = _end_of(line, quote)
    if end is None:
        return f"{line} [{mark}: “{' '.join(quote.split())}”]"
    return f"{line[:end]} [{mark}]{line[end:]}"


def _end_of(line: str, quote: str) -> int | None:
    """Where ``quote`` ends in ``line`` (case, curly quotes and spacing aside), or None when it is not there."""
    folded, core = _fold(line), _fold(" ".join(quote.split()).strip(" .,;:!?\"“”'‘’"))
    if len(folded) != len(line) or not core:  # subtle: lower() changed a length; offsets would not map
        return None
    at = folded.find(core)
    if at == -1:
        return None
    end = at + len(core)
    while end < len(line) and line[end] in ".,;:!?\"”'’":
        end += 1
    return end


def _fold(text: str) -> str:
    return text.lower().translate(str.maketrans("“”‘’", "\"\"''"))


@dataclass(frozen=True)
class CountLine:
    """One count of the opening line: ``756 tweets``; ``measured`` is False for a profile claim."""

    label: str
    count: int
    measured: bool

    def text(self, mark_claims: bool) -> str:
        suffix = " (claimed)" if mark_claims and not self.measured else ""
        return f"{self.count:,} {self.label}{suffix}"


def compile_prompt(profile: Profile, stats: Stats | None = None, checked: Checked = NOT_CHECKED) -> str:
    """Return the simulator prompt as text, sections separated by a blank line."""
    return "\n\n".join(prompt_sections(profile, stats, checked).values()) + "\n"


def render_prompt(
    profile: Profile, fmt: str = "text", stats: Stats | None = None, checked: Checked = NOT_CHECKED
) -> str:
    """Return the prompt in one of ``FORMATS``: text, an ``llm`` YAML template, or JSON."""
    if fmt == "text":
        return compile_prompt(profile, stats, checked)
    if fmt == "llm-template":
        return dump_yaml({"system": template_literal(compile_prompt(profile, stats, checked))})
    if fmt == "json":
        return json.dumps(prompt_json(profile, stats, checked), indent=2, ensure_ascii=False) + "\n"
    raise ProfileError(f"Unknown prompt format '{fmt}'. Choose one of: {', '.join(FORMATS)}")


def template_literal(text: str) -> str:
    """``text`` escaped for an ``llm`` template, which fills ``$name`` and ``${name}`` (``string.Template``).

    subtle: every ``$`` is doubled, so that "$5" does not make llm fail with "Invalid
    placeholder" and "$input" in a profile is not replaced by the user's question: the
    template has no variables and renders to ``text`` exactly.
    """
    return text.replace("$", "$$")


def prompt_json(profile: Profile, stats: Stats | None = None, checked: Checked = NOT_CHECKED) -> dict[str, Any]:
    """``{slug, name, system_prompt, sections, counts}``; ``counts.measured`` says where the numbers come from."""
    sections = prompt_sections(profile, stats, checked)
    lines = count_lines(profile, stats)
    return {
        "slug": profile.slug,
        "name": profile.name,
        "system_prompt": "\n\n".join(sections.values()) + "\n",
        "sections": sections,
        "counts": {"measured": stats is not None, "items": [asdict(line) for line in lines]},
    }


def count_lines(profile: Profile, stats: Stats | None = None) -> list[CountLine]:
    """The opening line's counts: claims, or measured per ``kinds`` where stats are given.

    With stats, a count with ``kinds`` becomes the number of documents of each of those kinds
    for this thinker, labelled by kind (``13 READMEs``), and is left out when there are none; a
    count without ``kinds`` stays a claim.
    """
    claims = profile.simulator.header_counts if profile.simulator else []
    if stats is None:
        return [CountLine(c.label, c.count, measured=False) for c in claims]
    per_kind = _items_per_kind(profile.slug, stats)
    lines = []
    for claim in claims:
        if not claim.kinds:
            lines.append(CountLine(claim.label, claim.count, measured=False))
        else:
            lines += [CountLine(kind_label(k, n), n, measured=True) for k in claim.kinds if (n := per_kind.get(k, 0))]
    return lines


def _items_per_kind(slug: str, stats: Stats) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in stats:
        if row.get("thinker", slug) == slug:
            kind = str(row.get("kind"))
            totals[kind] = totals.get(kind, 0) + int(row.get("items") or 0)
    return totals


def prompt_sections(profile: Profile, stats: Stats | None = None, checked: Checked = NOT_CHECKED) -> dict[str, str]:
    """The prompt's sections in order, keyed by name; empty sections are left out."""
    sim = profile.simulator or Simulator(opening=DEFAULT_OPENING.replace("{name}", profile.name))
    builders: list[tuple[str, Callable[[], list[str]]]] = [
        ("opening", lambda: _opening(profile, sim, stats, checked)),
        ("core_generating_function", lambda: _generating_function(profile)),
        *(
            (name, partial(build, profile, sim, checked))
            for section in SECTIONS
            if section.key in FROM_PAGE_SECTIONS
            for name, build in [FROM_PAGE_SECTIONS[section.key]]
        ),
        ("aesthetics", lambda: _bullets("AESTHETIC PREFERENCES", sim.aesthetics)),
        ("how_to_respond", lambda: _how_to_respond(sim)),
        ("blind_spots", lambda: _bullets("KNOWN BLIND SPOTS (flag these when relevant)", sim.blind_spots)),
        ("additional_mental_models", lambda: _additional_models(sim, checked)),
    ]
    sections = {name: "\n".join(lines) for name, build in builders if (lines := build())}
    for i, other in enumerate(sim.other_sections):
        intro = [other.intro] if other.intro else []
        quotes = _quotes(f"simulator.other_sections[{i}]", other.quotes)
        items = [checked.line(item, [q for q in quotes if _end_of(item, q[1]) is not None]) for item in other.items]
        sections[_key(other.title)] = "\n".join([f"## {other.title}", *intro, *(f"- {i}" for i in items if i)])
    if sim.current_state and sim.current_state.items:
        heading = f"CURRENT STATE (as of {_month_name(sim.current_state.as_of)})"
        sections["current_state"] = "\n".join(_bullets(heading, sim.current_state.items))
    return sections


def _opening(profile: Profile, sim: Simulator, stats: Stats | None, checked: Checked) -> list[str]:
    lines = count_lines(profile, stats)
    counts = ", ".join(line.text(mark_claims=stats is not None) for line in lines)
    opening = sim.opening.replace("{name}", profile.name).replace("{counts}", counts or "its imported corpus")
    markers = [MEASURED_MARKER if stats is not None else CLAIMED_MARKER] if lines else []
    if checked.policy == "mark" and checked.flagged(_quotes_in(profile)):
        markers.append(QUOTES_MARKER)
    return [opening, *markers]


def _quotes(path: str, quotes: Iterable[Any]) -> list[tuple[str, str]]:
    """(quote path, text) of an item's quotes: ``path`` is the item's (``axioms[0]``)."""
    return [(f"{path}.quotes[{j}]", quote.text) for j, quote in enumerate(quotes)]


def _quotes_in(profile: Profile) -> list[tuple[str, str]]:
    return [(path, quote.text) for path, quote in profile.iter_quotes()]


def _generating_function(profile: Profile) -> list[str]:
    gf = profile.generating_function
    if gf is None:
        return []
    phases = [f"Phase {i}: {phase}" for i, phase in enumerate(gf.phases, 1)]
    return ["## CORE GENERATING FUNCTION", gf.statement, *phases, *([gf.note] if gf.note else [])]


def _axioms(profile: Profile, sim: Simulator, checked: Checked) -> list[str]:
    lines = []
    for i, axiom in enumerate(profile.axioms):
        title = axiom.prompt_title or axiom.title.upper()
        line = f"{axiom.number}. {title} — {axiom.prompt_summary or axiom.statement}"
        kept = checked.line(line, _quotes(f"axioms[{i}]", axiom.quotes))
        lines += [kept] if kept else []
    heading = f"## THE {len(lines)} AXIOM{'' if len(lines) == 1 else 'S'} (what you take as given)"
    return [heading, *lines] if lines else []


def _key_models(profile: Profile, sim: Simulator, checked: Checked) -> list[str]:
    if sim.key_mental_models:
        return _bullets("KEY MENTAL MODELS (use these to analyze problems)", sim.key_mental_models)
    items = [
        checked.line(
            f"{m.title}: {m.explanation}" if m.explanation else m.title, _quotes(f"mental_models[{i}]", m.quotes)
        )
        for i, m in enumerate(profile.mental_models)
    ]
    return _bullets("KEY MENTAL MODELS (use these to analyze problems)", [item for item in items if item])


FROM_PAGE_SECTIONS: dict[str, tuple[str, Callable[[Profile, Simulator, Checked], list[str]]]] = {
    "axioms": ("axioms", _axioms),
    "mental_models": ("key_mental_models", _key_models),
}
"""Page section key → (prompt section name, its builder): the page sections the prompt compiles."""


def _how_to_respond(sim: Simulator) -> list[str]:
    if not sim.how_to_respond:
        return []
    intro = [sim.how_to_respond_intro] if sim.how_to_respond_intro else []
    return ["## HOW TO RESPOND", *intro, *(f"{i}. {item}" for i, item in enumerate(sim.how_to_respond, 1))]


def _additional_models(sim: Simulator, checked: Checked) -> list[str]:
    items = []
    for i, model in enumerate(sim.additional_models):
        sources = ", ".join(source.title for source in model.sources)
        line = checked.line(f"{model.text} ({sources})" if sources else model.text, _quotes(
            f"simulator.additional_models[{i}]", model.quotes
        ))  # fmt: skip
        items += [line] if line else []
    return _bullets("ADDITIONAL MENTAL MODELS (from expanded corpus)", items)


def _bullets(heading: str, items: Sequence[str]) -> list[str]:
    return [f"## {heading}", *(f"- {item}" for item in items)] if items else []


_MONTH_NAMES = (
    "January February March April May June July August September October November December".split()  # noqa: SIM905
)


def _month_name(value: str) -> str:
    """``2026-03`` → ``March 2026``."""
    if len(value) < 7:
        return month_label(value)
    return f"{_MONTH_NAMES[int(value[5:7]) - 1]} {value[:4]}"


def _key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "section"
