"""The thinker profile as typed data: every section of a profile page, validated by pydantic.

A profile is one YAML file per thinker (see ``docs/profile-format.md``). Every model here
forbids unknown keys, so a typo in a profile is an error naming the key, not silently lost data.

Conventions the rest of the package relies on:

* Text fields hold the wording exactly as written; renderers add no words of their own
  except headings and separators.
* A ``Quote`` is a span attributed to the thinker, with the ``SourceRef`` it is said to
  come from. Statements and explanations may contain the same span inline: ``quotes``
  lists what ``verify`` must re-locate in the corpus.
* Anything recovered rather than read (a heading lost in extraction, a date inferred from
  neighbours) carries ``reconstructed: true`` and, ideally, a ``reconstruction_note``.
* Anything that states a number says how to recount it: a full-text ``query`` (FTS5 syntax,
  run raw) and/or document ``kinds`` (``Document.kind`` values) and ``url_contains``.
* Dates are partial ISO strings: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``.

This module does no I/O (``io.py`` reads and writes YAML) and never touches the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

from .sections import SECTIONS

__all__ = [
    "AdditionalModel",
    "Axiom",
    "CorpusClaim",
    "CountClaim",
    "CurrentState",
    "Era",
    "Extension",
    "GeneratingFunction",
    "HeaderCount",
    "Identity",
    "LineageEntry",
    "month_label",
    "MentalModel",
    "OtherSection",
    "PartialDate",
    "Prediction",
    "Profile",
    "Quote",
    "Reconstructable",
    "SectionText",
    "Sections",
    "SignatureWord",
    "Simulator",
    "Slug",
    "SourceRef",
    "Tension",
    "Theme",
]

DATE_PATTERN = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
SLUG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"


def _date_as_text(value: object) -> object:
    """YAML reads ``2024`` as an int and ``2024-03-01`` as a date: accept both as text."""
    if isinstance(value, dt.date | int) and not isinstance(value, bool):
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return value


PartialDate = Annotated[
    str,
    StringConstraints(pattern=DATE_PATTERN),
    BeforeValidator(_date_as_text),
]
"""``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``."""

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
"""Lower-case letters, digits, ``-`` and ``_``; the thinker slug used in the store and on the CLI."""

Text = Annotated[str, StringConstraints(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Reconstructable(_Model):
    """Mixin: marks an item (or a field of it) recovered from elsewhere rather than read as-is."""

    reconstructed: bool = False
    reconstruction_note: str | None = None


class SourceRef(Reconstructable):
    """Where something was said: ``title`` as the profile writes it (may include a date in words)."""

    title: Text
    date: PartialDate | None = None
    url: str | None = None


class Quote(Reconstructable):
    """A span attributed to the thinker, to be found verbatim in the cited source."""

    text: Text
    source: SourceRef


class CountClaim(Reconstructable):
    """A number stated in prose ("24 tweets") and how to recount it."""

    label: Text
    claimed: int = Field(ge=0)
    query: str | None = None
    kinds: list[str] = []


class Identity(Reconstructable):
    """Who the profile is about."""

    slug: Slug
    name: Text
    handles: list[str] = []
    description: str = ""
    as_of: PartialDate | None = None


class GeneratingFunction(_Model):
    """The one-line core generating function, its phases and a closing note."""

    statement: Text
    phases: list[Text] = []
    note: str | None = None


class SectionText(_Model):
    """A page section's heading and intro lines (``None`` where the page has none)."""

    title: str | None = None
    intro: str | None = None
    note: str | None = None


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(value: str | None) -> str:
    """``2022-11`` → ``Nov 2022``; ``2024`` → ``2024``; ``None`` → ``""``."""
    if not value:
        return ""
    if len(value) < 7:
        return value[:4]
    return f"{_MONTHS[int(value[5:7]) - 1]} {value[:4]}"


class Axiom(Reconstructable):
    """A belief taken as given. ``prompt_title``/``prompt_summary`` are its line in the simulator prompt."""

    number: int = Field(ge=1)
    title: Text
    statement: str = ""
    quotes: list[Quote] = []
    sources: list[SourceRef] = []
    counts: list[CountClaim] = []
    note: str | None = None
    prompt_title: str | None = None
    prompt_summary: str | None = None

    def source_line(self) -> str:
        """The sources as one line: ``Lex Fridman #333, …`` (empty when there are none)."""
        return ", ".join(source.title for source in self.sources)


class LineageEntry(Reconstructable):
    """An influence: ``name — "work" — summary``, then ``text``; ``claimed_count`` recounted by ``count_query``."""

    name: Text
    handle: str | None = None
    work: str | None = None
    role: str | None = None
    summary: str | None = None
    text: str | None = None
    claimed_count: int | None = Field(default=None, ge=0)
    count_query: str | None = None
    quotes: list[Quote] = []
    by_year: dict[str, int] = {}

    def heading(self) -> str:
        """``Name (@handle) — "Work" — summary`` with the absent parts left out."""
        name = f"{self.name} ({self.handle})" if self.handle else self.name
        parts = [name, f'"{self.work}"' if self.work else "", self.summary or ""]
        return " — ".join(part for part in parts if part)


class MentalModel(Reconstructable):
    """A way of thinking, ranked; ``query`` counts how often it appears in the corpus."""

    rank: int = Field(ge=1)
    title: Text
    explanation: str = ""
    quotes: list[Quote] = []
    query: str | None = None
    documents: int | None = Field(default=None, ge=0)  # measured by distill: documents using it
    topics: int | None = Field(default=None, ge=0)  # measured by distill: topics it recurs in


class Tension(Reconstructable):
    """Where two axioms pull against each other; ``quotes``: the thinker's words on each side."""

    number: int = Field(ge=1)
    title: Text
    text: str = ""
    quotes: list[Quote] = []


class Prediction(Reconstructable):
    """A forecast the thinker made (explicit) or that follows from their views (implicit)."""

    text: Text
    kind: Literal["explicit", "implicit"]
    source: SourceRef | None = None
    made: PartialDate | None = None
    horizon: str | None = None
    status: Literal["open", "came_true", "failed", "unresolvable"] = "open"
    note: str | None = None
    revisits: list[Quote] = []  # later passages on the same claim: evidence for resolving it

    def line(self) -> str:
        """The prediction as displayed: ``text (note)``."""
        return f"{self.text} ({self.note})" if self.note else self.text


class Extension(Reconstructable):
    """Where the reader's own framework goes beyond the thinker's."""

    number: int = Field(ge=1)
    title: Text
    domain: str | None = None
    text: str = ""


class Theme(_Model):
    """A topic (measured by distill): a cluster of own-word passages labelled by its distinctive
    phrases, with documents overall and per year, and representative passages as ``quotes``."""

    term: Text
    documents: int = Field(ge=0)
    by_year: dict[str, int] = {}
    phrases: list[Text] = []
    passages: int | None = Field(default=None, ge=0)
    stability: float | None = None
    quotes: list[Quote] = []


class Era(Reconstructable):
    """A period of the thinker's output; ``end`` is ``None`` for an open era. ``quotes``: passages
    that show it; ``note``: what else explains its boundary (a change of source)."""

    name: Text
    start: PartialDate | None = None
    end: PartialDate | None = None
    summary: str = ""
    quotes: list[Quote] = []
    note: str | None = None


class SignatureWord(_Model):
    """A word the thinker uses far more than everyday English (measured by distill)."""

    word: Text
    count: int = Field(ge=0)
    documents: int = Field(ge=0)
    times_everyday_english: float | None = None


class CorpusClaim(Reconstructable):
    """A claimed corpus statistic, e.g. ``756 tweets (Nov 2022 - Mar 2026) — 32K words. Complete active timeline.``

    Recounted as the documents whose kind is in ``kinds`` (and whose URL contains ``url_contains``).
    """

    label: Text
    items: int = Field(ge=0)
    kinds: list[str] = []
    url_contains: str | None = None
    date_range: str | None = None
    first: PartialDate | None = None
    last: PartialDate | None = None
    words: str | None = None
    words_claimed: int | None = Field(default=None, ge=0)
    note: str | None = None

    def line(self) -> str:
        """``756 tweets (Nov 2022 - Mar 2026) — 32K words. Complete active timeline.``"""
        text = f"{self.items} {self.label}"
        text += f" ({self.date_range})" if self.date_range else ""
        text += f" — {self.words}." if self.words else "."
        return f"{text} {self.note}" if self.note else text


class HeaderCount(_Model):
    """One count in the simulator prompt's opening line (``756 tweets``), recounted by ``kinds``."""

    count: int = Field(ge=0)
    label: Text
    kinds: list[str] = []


class AdditionalModel(_Model):
    """An extra mental model for the simulator: ``- text (source, source)``."""

    text: Text
    sources: list[SourceRef] = []
    quotes: list[Quote] = []


class OtherSection(_Model):
    """A further simulator section (``## title``, an intro line, bullet items)."""

    title: Text
    intro: str | None = None
    items: list[Text] = []
    source: SourceRef | None = None
    quotes: list[Quote] = []


class CurrentState(_Model):
    """What the thinker is doing as of a date."""

    as_of: PartialDate
    items: list[Text] = []


class Simulator(_Model):
    """The simulator prompt's own sections; ``opening`` may hold ``{counts}``, filled from ``header_counts``."""

    built_from: str | None = None
    opening: Text
    header_counts: list[HeaderCount] = []
    key_mental_models: list[Text] = []
    aesthetics: list[Text] = []
    how_to_respond_intro: str | None = None
    how_to_respond: list[Text] = []
    blind_spots: list[Text] = []
    additional_models: list[AdditionalModel] = []
    other_sections: list[OtherSection] = []
    current_state: CurrentState | None = None


class Sections(_Model):
    """Headings and intro lines of each page section."""

    axioms: SectionText = SectionText()
    lineage: SectionText = SectionText()
    mental_models: SectionText = SectionText()
    tensions: SectionText = SectionText()
    predictions: SectionText = SectionText()
    extensions: SectionText = SectionText()
    eras: SectionText = SectionText()
    search: SectionText = SectionText()
    known_gaps: SectionText = SectionText()
    simulator: SectionText = SectionText()


class Profile(_Model):
    """A thinker profile: every section of the profile page, plus the simulator prompt's sections."""

    format: Literal[1] = 1
    identity: Identity
    generating_function: GeneratingFunction | None = None
    sections: Sections = Sections()
    axioms: list[Axiom] = []
    lineage: list[LineageEntry] = []
    mental_models: list[MentalModel] = []
    mental_models_ordered_by_frequency: bool = False
    tensions: list[Tension] = []
    predictions: list[Prediction] = []
    extensions: list[Extension] = []
    eras: list[Era] = []
    themes: list[Theme] = []
    vocabulary: list[SignatureWord] = []
    corpus_claims: list[CorpusClaim] = []
    known_gaps: list[Text] = []
    simulator: Simulator | None = None

    @model_validator(mode="after")
    def _numbers_are_unique(self) -> Profile:
        for name, values in (
            ("axioms", [a.number for a in self.axioms]),
            ("mental_models", [m.rank for m in self.mental_models]),
            ("tensions", [t.number for t in self.tensions]),
            ("extensions", [e.number for e in self.extensions]),
        ):
            repeated = sorted({v for v in values if values.count(v) > 1})
            if repeated:
                raise ValueError(f"{name}: repeated number(s) {repeated}")
        return self

    @property
    def slug(self) -> str:
        return self.identity.slug

    @property
    def name(self) -> str:
        return self.identity.name

    def items(self, path: str) -> Sequence[object]:
        """The item list at the dotted ``path`` (a ``Section.lists`` entry); empty where a parent is absent."""
        found: object = self
        for name in path.split("."):
            found = getattr(found, name, None)
        return found if isinstance(found, list) else []

    def iter_quotes(self) -> Iterator[tuple[str, Quote]]:
        """Yield ``(field path, quote)`` for every quote of every section's items, in page order."""
        for section in SECTIONS:
            for path in section.lists:
                for i, item in enumerate(self.items(path)):
                    for j, quote in enumerate(getattr(item, "quotes", ())):
                        yield f"{path}[{i}].quotes[{j}]", quote

    def counts(self) -> dict[str, int]:
        """Items per list of every section, and quotes, for summaries (``insights profile check``)."""
        counts = {path.rsplit(".", 1)[-1]: len(self.items(path)) for s in SECTIONS for path in s.lists}
        return {**counts, "quotes": sum(1 for _ in self.iter_quotes())}
