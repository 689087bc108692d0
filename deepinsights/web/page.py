"""Render the profile page and its siblings from a Profile plus measured corpus data.

One Jinja2 environment (autoescape on, undefined names are errors) renders the same
templates for the live server and the static export; the two differ only in the
``mode`` ("server" or "static"), where static files live, and where search results come
from (``/api/search`` or the shipped ``search-index.js``). Data the page's script needs
travels in a ``<script type="application/json">`` block built by ``json_script`` (no inline
JavaScript, so the Content-Security-Policy can forbid it).

This module does not open the store, run searches or verification, or serve HTTP: callers
pass in what was measured.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import jinja2
from markupsafe import Markup

from ..display import visible
from ..errors import DeepInsightsError
from ..models import kind_label
from ..profile import Profile
from ..profile.schema import SectionText
from ..profile.sections import SECTIONS, Section
from ..workspace import Db, describe
from .corpus import safe_url
from .security import CSP

STATIC_CSP = "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'"


@dataclass
class PageInputs:
    """Everything measured or computed for one profile page, apart from the profile itself."""

    slug: str
    mode: str = "server"
    static: str = "/static/"
    home: str | None = None
    corpus: dict[str, Any] = field(default_factory=lambda: {"available": False, "documents": 0, "error": None})
    thinkers: list[str] = field(default_factory=list)
    measured: list[dict[str, Any]] = field(default_factory=list)
    prompt: str | None = None
    prompt_error: str | None = None
    search: dict[str, Any] = field(default_factory=dict)
    import_hint: str = "insights import PATH"
    verify: dict[str, Any] | None = None  # a ProfileReport's to_dict(), embedded (the export) instead of fetched
    quote_statuses: dict[str, str] | None = None  # verify's verdict per quote path: the prompt marks by it
    api: dict[str, str | None] = field(default_factory=dict)
    generated_at: str | None = None
    variants: list[dict[str, Any]] = field(default_factory=list)  # the shipped and the distilled profile
    evaluation: dict[str, Any] | None = None  # the latest ``insights eval`` run of this thinker (``saved``)
    comparisons: list[dict[str, str]] = field(default_factory=list)  # saved comparisons with others: label, href


DRAFT_SUFFIX = "-draft"


def profile_variants(slug: str, slugs: list[str], href: Callable[[str], str]) -> list[dict[str, Any]]:
    """Links between a profile and its distilled draft (``SLUG`` and ``SLUG-draft``) when both exist."""
    shipped = slug.removesuffix(DRAFT_SUFFIX)
    draft = shipped + DRAFT_SUFFIX
    if shipped not in slugs or draft not in slugs:
        return []
    return [
        {"slug": shipped, "label": "Shipped profile", "detail": "claims, checked", "href": href(shipped)},
        {"slug": draft, "label": "Distilled profile", "detail": "evidence from the corpus", "href": href(draft)},
    ]


@cache
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment: package templates, autoescaping, strict undefined names.

    Every ``{{ … }}`` that prints text passes through ``shown``: profile text is shown with
    control characters visible, as search hits are (one rule for the whole page).
    """
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("deepinsights.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        finalize=shown,
    )
    env.filters["safe_url"] = safe_url
    env.filters["quoted"] = quoted
    env.filters["verify_slug"] = verify_slug
    return env


def shown(value: Any) -> Any:
    """A template value as printed: text with control characters visible (``display.visible``).

    Markup the code built (``json_script``, macros) is left as it is: it holds no raw text.
    """
    if isinstance(value, str) and not isinstance(value, Markup):
        return visible(value)
    return value


def quoted(text: str) -> str:
    """Text in curly quotes, unless it already is quoted."""
    stripped = text.strip()
    if stripped[:1] in ('"', "“", "'") and stripped[-1:] in ('"', "”", "'"):
        return stripped
    return f"“{stripped}”"


def verify_slug(text: str) -> str:
    """The slug ``verify`` puts in a count's id (``lineage.simon-willison``), so badges find their item."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "item"


def render(template: str, **context: Any) -> str:
    """Render one template with the given context."""
    return environment().get_template(template).render(**context)


def json_script(data: Any) -> Markup:
    """JSON safe to place inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` or U+2028/9.

    subtle: the HTML parser ends a script element at the first ``</script``, whatever the
    type, so ``<`` must never appear literally; ``ensure_ascii`` escapes U+2028/2029 and
    lone surrogates.
    """
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)  # noqa: S704 - every character that could end the element is escaped above


def render_profile(profile: Profile, inputs: PageInputs) -> str:
    """The whole profile page as HTML."""
    return render("profile.html", **profile_context(profile, inputs))


def profile_context(profile: Profile, inputs: PageInputs) -> dict[str, Any]:
    """The template context of the profile page."""
    thinker = search_thinker(profile, inputs.thinkers)
    measured = [row for row in inputs.measured if not thinker or row["thinker"] == thinker]
    return {
        "profile": profile,
        "slug": inputs.slug,
        "mode": inputs.mode,
        "static": inputs.static,
        "home": inputs.home,
        "csp": STATIC_CSP if inputs.mode == "static" else CSP,
        "toc": table_of_contents(profile),
        "sections": page_sections(profile),
        "corpus": inputs.corpus,
        "thinker": thinker or "all thinkers",
        "measured": measured,
        "measured_total": _total(measured),
        "holdings": holdings(measured),
        "kinds": sorted({row["kind"] for row in measured}),
        "claims": [
            {"claim": c, "measured": _measured_claim(c.kinds, c.url_contains, measured)} for c in profile.corpus_claims
        ],
        "model_index": {m.rank: i for i, m in enumerate(profile.mental_models)},
        "ledger": ledger_summary(profile),
        "prompt": inputs.prompt,
        "prompt_error": inputs.prompt_error,
        "search": {"q": "", "kind": "", "since": "", "until": "", "results": None, **inputs.search},
        "import_hint": inputs.import_hint,
        "generated_at": inputs.generated_at,
        "ask": {"live": inputs.mode == "server" and bool(inputs.api.get("ask")), "model": inputs.api.get("model")},
        "page_json": json_script(_page_data(profile, inputs, thinker)),
        "variants": inputs.variants,
        "evaluation": inputs.evaluation,
        "comparisons": inputs.comparisons,
    }


def render_compare(
    data: dict[str, Any],
    *,
    mode: str = "server",
    static: str = "/static/",
    home: str = "/",
    generated_at: str | None = None,
) -> str:
    """The page of a saved comparison (``Comparison.as_dict()``, as ``insights compare`` keeps it)."""
    positions = (data.get("positions") or {}).get("kept", [])
    return render(
        "compare.html", data=data, positions=positions, mode=mode, static=static, home=home,
        csp=STATIC_CSP if mode == "static" else CSP, generated_at=generated_at, saved_at=None,
    )  # fmt: skip


def comparison_links(slug: str, pairs: list[tuple[str, str]], href: Callable[[str, str], str]) -> list[dict[str, str]]:
    """Links from ``slug``'s page to the saved comparisons it is part of (``pairs``: (a, b) slugs)."""
    return [{"label": b if a == slug else a, "href": href(a, b)} for a, b in pairs if slug in (a, b)]


def holdings(rows: list[dict[str, Any]]) -> str | None:
    """What the measured rows hold, for headings: ``55 documents: 23 posts, 13 READMEs, 9 transcripts``."""
    per_kind = Counter[str]()
    for row in rows:
        per_kind[row["kind"]] += int(row["items"])
    total = sum(per_kind.values())
    if not total:
        return None
    ordered = sorted(per_kind.items(), key=lambda item: (-item[1], item[0]))  # most first, ties by name
    parts = ", ".join(f"{n:,} {kind_label(kind, n)}" for kind, n in ordered)
    return f"{total:,} document{'' if total == 1 else 's'}: {parts}"


def search_thinker(profile: Profile, thinkers: list[str]) -> str:
    """The thinker to search and measure: the profile's slug when the corpus has it, else all ("")."""
    return profile.identity.slug if profile.identity.slug in thinkers else ""


def page_sections(profile: Profile) -> list[Section]:
    """The sections the page shows, in page order: those with items, and the page's own blocks."""
    return [s for s in SECTIONS if s.always or any(profile.items(path) for path in s.lists)]


def table_of_contents(profile: Profile) -> list[dict[str, Any]]:
    """(anchor, label, item count) of each section present on the page, in page order."""
    return [
        {
            "id": s.anchor,
            "label": s.label if s.key in MEASURED_SECTIONS else _short(section_text(profile, s).title) or s.label,
            "count": None if s.always else len(profile.items(s.lists[0])),
        }
        for s in page_sections(profile)
    ]


MEASURED_SECTIONS = frozenset({"search", "corpus"})
"""Sections whose headings say what the workspace holds: the profile's own title for them is shown as a claim."""


def section_text(profile: Profile, section: Section) -> SectionText:
    """The profile's heading and intro for ``section`` (empty where the profile cannot give one)."""
    found = getattr(profile.sections, section.key, None)
    return found if isinstance(found, SectionText) else SectionText()


def _short(title: str | None) -> str | None:
    """A section title short enough for the contents list ("Predictions (explicit and implicit)" → "Predictions")."""
    if not title:
        return None
    return title.split(" (")[0].split(" — ")[0].strip() or None


def ledger_summary(profile: Profile) -> dict[str, Any]:
    """Counts for the line under the predictions ledger."""
    kinds = Counter(p.kind for p in profile.predictions)
    statuses = Counter(p.status for p in profile.predictions)
    return {"explicit": kinds["explicit"], "implicit": kinds["implicit"], "statuses": sorted(statuses.items())}


def _total(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"items": sum(r["items"] for r in rows), "words": sum(r["words"] or 0 for r in rows)}


def _measured_claim(kinds: list[str], url_contains: str | None, rows: list[dict[str, Any]]) -> int | None:
    """Items of the claim's kinds, where stats alone can tell (no URL filter); verify fills the rest."""
    if not kinds or url_contains or not rows:
        return None
    return sum(int(r["items"]) for r in rows if r["kind"] in kinds)


def _page_data(profile: Profile, inputs: PageInputs, thinker: str) -> dict[str, Any]:
    return {
        "mode": inputs.mode,
        "slug": inputs.slug,
        "thinker": thinker,
        "corpus": bool(inputs.corpus.get("available")),
        "api": inputs.api,
        "verify": inputs.verify,
        "limit": 20,
    }


def import_hint(thinker: str, db_path: Db | None) -> str:
    """The command that imports a corpus for this thinker into this workspace (a URL's password masked)."""
    db = f" --db {describe(db_path)}" if db_path is not None else ""
    return f"insights import PATH --thinker {thinker}{db}"


def quote_statuses(results: dict[str, Any] | None) -> dict[str, str] | None:
    """Each quote's status from verification results (``ProfileReport.to_dict()``), for the prompt."""
    return {q["path"]: q["status"] for q in results["quotes"]} if results else None


def compile_prompt_text(profile: Profile, inputs: PageInputs) -> tuple[str | None, str | None]:
    """(prompt, None), or (None, why not) when it cannot be compiled.

    Counts are measured when the corpus holds this thinker, else the profile's claims
    (the prompt itself says which); quoted words verify could not confirm are then marked,
    the default of ``insights prompt --unverified-quotes``.
    """
    try:
        from ..prompt import NOT_CHECKED, Checked, compile_prompt
    except ImportError:
        return None, "The prompt compiler is not installed."
    stats = inputs.measured if profile.identity.slug in inputs.thinkers else None
    checked = Checked(inputs.quote_statuses) if inputs.quote_statuses and stats is not None else NOT_CHECKED
    try:
        return compile_prompt(profile, stats=stats, checked=checked), None
    except DeepInsightsError as ex:
        return None, str(ex)
