"""Write the profile site as static files that work when opened from ``file://``, search included.

``export_site(out_dir, db_path)`` renders the same page templates as the server (in
"static" mode), the comparisons kept beside the workspace (``compare-A--B.html``) and the
latest eval scores, copies the one CSS and one JS file, and writes ``search-index.js``: every
passage of the exported thinkers as a JavaScript file that assigns
``window.DEEPINSIGHTS_INDEX`` (browsers refuse ``fetch()`` of a JSON file from ``file://``;
a script tag still loads). The page's script searches that index in the browser.

subtle: the index is JavaScript, so every ``<``, ``>`` and ``&`` in it is written as a
``\\u`` escape and the JSON is ASCII-only (U+2028/2029 escaped); the page builds result
elements with ``textContent``. Links are kept only for http(s) URLs.

The workspace is a SQLite file or a PostgreSQL URL (``workspace.open_store``); its rows are
read through ``Workspace.stream_documents`` and ``stream_passages``. This module reads the workspace
read-only, never writes outside ``out_dir`` and starts no server. Each file is written to a
temporary name and renamed, so a re-export replaces it whole.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import saved, workspace
from .errors import DeepInsightsError, ProfileError
from .profile import Profile
from .verify import verify_profile
from .web import page
from .web.app import STATIC_DIR
from .web.corpus import safe_url
from .web.profiles import ProfileLibrary
from .workspace import Db, Workspace

Progress = Callable[[int, int], None]  # (rows of the search index written, rows in all)
PROGRESS_EVERY = 2_000  # rows between two progress calls

INDEX_FILE = "search-index.js"
INDEX_GLOBAL = "window.DEEPINSIGHTS_INDEX"


@dataclass
class ExportReport:
    """What ``export_site`` wrote."""

    out_dir: Path
    pages: list[str] = field(default_factory=list)
    documents: int = 0
    passages: int = 0
    index_bytes: int = 0

    @property
    def entry(self) -> Path:
        """The file to open in a browser."""
        return self.out_dir / "index.html"

    def as_dict(self) -> dict[str, Any]:
        return {
            "out_dir": str(self.out_dir),
            "entry": str(self.entry),
            "pages": self.pages,
            "documents": self.documents,
            "passages": self.passages,
            "index_bytes": self.index_bytes,
        }


def export_site(
    out_dir: Path,
    db_path: Db | None,
    *,
    slug: str | None = None,
    profiles_dir: Path | None = None,
    progress: Progress | None = None,
) -> ExportReport:
    """Write the site for one profile (``slug``) or all of them into ``out_dir``; return what was written.

    With one profile its page is ``index.html``; with several, ``index.html`` lists them and
    each has ``<slug>.html``. A missing workspace exports the pages without a corpus.
    ``progress`` is told how many rows (documents, then passages) of the search index are
    written: the long part (100,000 tweets: about 4 s).
    """
    library = ProfileLibrary(profiles_dir, workspace.folder(db_path) if db_path is not None else None)
    profiles = _chosen(library, slug)
    _prepare(out_dir)
    store = workspace.open_store(db_path, read_only=True) if db_path is not None and workspace.exists(db_path) else None
    try:
        return _export(out_dir, db_path, store, profiles, progress)
    except OSError as ex:
        raise DeepInsightsError(f"Cannot write the site to '{out_dir}': {ex.strerror or ex}") from None
    finally:
        if store is not None:
            store.close()


def _chosen(library: ProfileLibrary, slug: str | None) -> dict[str, Profile]:
    slugs = [slug] if slug else library.slugs()
    if not slugs:
        raise ProfileError("No profiles to export. Put a profile YAML file in a profiles/ folder beside the workspace")
    chosen: dict[str, Profile] = {}
    for name in slugs:
        profile = library.get(name)
        if profile is None:
            raise ProfileError(f"No profile '{name}'. Known: {', '.join(library.slugs()) or 'none'}")
        chosen[name] = profile
    return chosen


def _prepare(out_dir: Path) -> None:
    try:
        (out_dir / "static").mkdir(parents=True, exist_ok=True)
    except OSError as ex:
        raise DeepInsightsError(f"Cannot create export folder '{out_dir}': {ex.strerror}") from None


def _export(
    out_dir: Path, db_path: Db | None, store: Workspace | None, profiles: dict[str, Profile], progress: Progress | None
) -> ExportReport:
    report = ExportReport(out_dir)
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    thinkers = store.thinkers() if store is not None else []
    measured = store.stats() if store is not None else []
    single = len(profiles) == 1
    folder = workspace.folder(db_path) if db_path is not None else None
    pairs = saved.comparisons(folder) if folder is not None else []
    for slug, profile in profiles.items():
        inputs = _inputs(slug, profile, db_path, store, thinkers, measured, single, stamp)
        inputs.variants = page.profile_variants(slug, list(profiles), lambda s: f"{s}.html")
        inputs.evaluation = saved.latest_eval(folder, slug) if folder is not None else None
        inputs.comparisons = page.comparison_links(slug, pairs, compare_file)
        name = "index.html" if single else f"{slug}.html"
        _write(out_dir / name, page.render_profile(profile, inputs))
        report.pages.append(name)
    if not single:
        _write(out_dir / "index.html", _index_page(profiles, store, stamp))
        report.pages.append("index.html")
    for a, b in pairs:
        data = saved.saved_comparison(folder, a, b) if folder is not None else None
        if data is not None:
            html = page.render_compare(data, mode="static", static="static/", home="index.html",
                                       generated_at=f"exported {stamp}")  # fmt: skip
            _write(out_dir / compare_file(a, b), html)
            report.pages.append(compare_file(a, b))
    for asset in ("site.css", "site.js"):
        _copy(STATIC_DIR / asset, out_dir / "static" / asset)
    wanted = sorted({page.search_thinker(p, thinkers) for p in profiles.values()})
    _write_index(out_dir / INDEX_FILE, store, [] if "" in wanted else wanted, report, progress)
    return report


def compare_file(a: str, b: str) -> str:
    """The exported page of the comparison of ``a`` with ``b``."""
    return f"compare-{a}--{b}.html"


def _inputs(
    slug: str,
    profile: Profile,
    db_path: Db | None,
    store: Workspace | None,
    thinkers: list[str],
    measured: list[dict[str, Any]],
    single: bool,
    stamp: str,
) -> page.PageInputs:
    corpus = {"available": store is not None, "documents": store.document_count() if store else 0, "error": None}
    inputs = page.PageInputs(
        slug=slug,
        mode="static",
        static="static/",
        home=None if single else "index.html",
        corpus=corpus,
        thinkers=thinkers,
        measured=measured,
        import_hint=page.import_hint(profile.identity.slug, db_path),
        verify=_verification(profile, store),
        api={"search": None, "verify": None},
        generated_at=f"exported {stamp}",
    )
    inputs.quote_statuses = page.quote_statuses(inputs.verify)
    inputs.prompt, inputs.prompt_error = page.compile_prompt_text(profile, inputs)
    return inputs


def _verification(profile: Profile, store: Workspace | None) -> dict[str, Any] | None:
    """Verification results to embed in the page, when there is a corpus: what ``/api/verify``'s ``results`` holds."""
    if store is None:
        return None
    return verify_profile(profile, store).to_dict()


def _index_page(profiles: dict[str, Profile], store: Workspace | None, stamp: str) -> str:
    entries = [
        {"href": f"{slug}.html", "name": p.identity.name, "description": p.identity.description, "error": None}
        for slug, p in profiles.items()
    ]
    corpus = {"available": store is not None, "documents": store.document_count() if store else 0, "error": None}
    return page.render(
        "index.html",
        profiles=entries,
        corpus=corpus,
        mode="static",
        static="static/",
        csp=page.STATIC_CSP,
        generated_at=f"exported {stamp}",
    )


# -- the search index ----------------------------------------------------------------


def _write_index(
    path: Path, store: Workspace | None, thinkers: list[str], report: ExportReport, progress: Progress | None
) -> None:
    """Write ``search-index.js``.

    Its value is ``{"v": 1, "docs": [[thinker, kind, title, url, date], …], "passages": [[doc, text, url,
    anchor], …]}`` where ``doc`` is a position in ``docs``.
    """
    tick = _ticker(store, thinkers, progress)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="ascii") as out:
        out.write(f'{INDEX_GLOBAL} = {{"v":1,"docs":[')
        positions = _write_docs(out, store, thinkers, report, tick)
        out.write('],"passages":[')
        _write_passages(out, store, thinkers, positions, report, tick)
        out.write("]};\n")
    os.replace(tmp, path)
    report.index_bytes = path.stat().st_size


def _ticker(store: Workspace | None, thinkers: list[str], progress: Progress | None) -> Callable[[int], None]:
    """``tick(rows)`` after each row of the index: ``progress`` every ``PROGRESS_EVERY`` rows and at the end."""
    if progress is None or store is None:
        return lambda rows: None
    total = store.document_count(thinkers) + store.passage_count(thinkers)
    progress(0, total)

    def tick(rows: int) -> None:
        if rows % PROGRESS_EVERY == 0 or rows == total:
            progress(rows, total)

    return tick


def _write_docs(
    out: Any, store: Workspace | None, thinkers: list[str], report: ExportReport, tick: Callable[[int], None]
) -> dict[str, int]:
    positions: dict[str, int] = {}
    for i, row in enumerate(store.stream_documents(thinkers) if store is not None else ()):
        positions[row[0]] = i
        out.write(("," if i else "") + js_literal([row[1], row[2], row[3], safe_url(row[4]), row[5]]))
        tick(i + 1)
    report.documents = len(positions)
    return positions


def _write_passages(
    out: Any,
    store: Workspace | None,
    thinkers: list[str],
    positions: dict[str, int],
    report: ExportReport,
    tick: Callable[[int], None],
) -> None:
    count = 0
    for row in store.stream_passages(thinkers) if store is not None else ():
        out.write(("," if count else "") + js_literal([positions[row[0]], row[1], safe_url(row[2]), row[3]]))
        count += 1
        tick(len(positions) + count)
    report.passages = count


def js_literal(value: Any) -> str:
    """``value`` as a JavaScript literal that is safe anywhere in a page: ASCII, no ``<``, ``>`` or ``&``."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- files ---------------------------------------------------------------------------


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _copy(source: Path, target: Path) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, target)
