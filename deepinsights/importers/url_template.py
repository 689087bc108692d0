"""A file's published URL from a template the user gives (``insights import --url-template``).

A folder of Markdown knows each file's path and date but not where it is published, so
citations to it had no link. The template says how: ``https://til.simonwillison.net/{path}``
for a TIL repository, ``https://karpathy.github.io/{year}/{month}/{day}/{slug}/`` for a
Jekyll blog. Placeholders (``FIELDS``): ``path`` (relative to the folder imported, without
the extension), ``name`` (the file name without extension), ``slug`` (``name`` without a
leading ``YYYY-MM-DD-``), ``year``, ``month`` and ``day`` (of the document's date). A
document that states its own URL (front matter ``permalink``) keeps it; a relative one
(Jekyll's ``permalink: /about/``) is resolved against the template's site, its scheme and
host (``resolve``), and dropped when there is no template to say which site; one whose
template needs a date it does not have gets no URL.

It does not fetch or check the URLs it builds.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import PurePosixPath
from string import Formatter
from urllib.parse import quote, urljoin, urlsplit

from ..errors import ImporterError

FIELDS = ("path", "name", "slug", "year", "month", "day")
_DATED_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}-(.+)$")


def check(template: str) -> str:
    """``template`` when every placeholder in it is one of ``FIELDS``; else ImporterError saying which is not."""
    try:
        parts = list(Formatter().parse(template))
    except ValueError as ex:  # a lone "{" or "}"
        raise ImporterError(f"--url-template {template!r}: {ex} (write {{{{ or }}}} for a literal brace)") from None
    for _, name, spec, conversion in parts:
        if name is not None and (name not in FIELDS or spec or conversion):
            known = ", ".join(f"{{{field}}}" for field in FIELDS)
            raise ImporterError(f"--url-template {template!r}: unknown placeholder {{{name}}}; use {known}")
    return template


def fill(template: str, rel: str, published: datetime | None) -> str | None:
    """The URL of the file at ``rel`` (POSIX, relative to the import root), or None when it needs a missing date."""
    path = PurePosixPath(rel)
    dated = _DATED_NAME.match(path.stem)
    values = {
        "path": quote(str(path.with_suffix("")) if path.suffix else rel, safe="/"),
        "name": quote(path.stem, safe=""),
        "slug": quote(dated.group(1) if dated else path.stem, safe=""),
    }
    if published is not None:
        values |= {"year": f"{published.year:04d}", "month": f"{published.month:02d}", "day": f"{published.day:02d}"}
    try:
        return template.format_map(values)
    except KeyError:
        return None


def resolve(link: str, template: str | None) -> str | None:
    """``link`` when absolute; a relative one joined to ``template``'s scheme and host; None without a template."""
    if urlsplit(link).scheme:
        return link
    site = urlsplit(template) if template else None
    if site is None or not site.scheme or not site.netloc:
        return None
    return urljoin(f"{site.scheme}://{site.netloc}/", link)
