"""``insights search``: one result per document, its best passage first, its other passages counted."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console

from .. import config
from ..models import SearchFilter, SearchHit
from ..search import hit_dict, search
from ..semantic import MODES
from ..semantic.groups import DocumentHits, grouped_search
from ..semantic.hybrid import search_any
from ..workspace import Db
from .common import db_option, echo_json, errors_as_messages, json_option, marked, open_store, shown

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)
MORE_ANCHORS = 4  # the other passages' timestamps or pages named on the "+ n more passages" line


@click.command(name="search")
@click.argument("query")
@click.option("--kind", multiple=True, help="Only this kind (tweet, post, transcript…); repeatable.")
@click.option("--thinker", help="Only this thinker.")
@click.option("--since", help="Only items published on or after this date (YYYY-MM-DD).")
@click.option("--until", help="Only items published on or before this date (YYYY-MM-DD).")
@click.option("--limit", default=10, show_default=True, help="Number of documents (of passages with --passages).")
@click.option("--fts", "raw", is_flag=True, help="Treat QUERY as raw SQLite FTS5 syntax (AND, OR, NEAR, prefix*).")
@click.option(
    "--mode",
    type=click.Choice(MODES),
    help="bm25 (all words), semantic (meaning) or hybrid (both, fused). Default: hybrid once 'insights index' has run.",
)
@click.option(
    "--passages",
    "by_passage",
    is_flag=True,
    help="One result per passage, as ranked, instead of one per document with its other passages under it.",
)
@click.option(
    "--embedding-model",
    "model",
    envvar=config.EMBEDDING_MODEL.envvars,
    help="Embedding model (default: the workspace's).",
)
@db_option
@json_option
def search_(
    query: str,
    kind: tuple[str, ...],
    thinker: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    raw: bool,
    mode: str | None,
    by_passage: bool,
    model: str | None,
    db_path: Db,
    as_json: bool,
) -> None:
    """Search the workspace: by words (BM25), by meaning (semantic) or both fused (hybrid).

    Plain text is always safe: quotes, hyphens and operators are searched as words. Each
    document is listed once, at its best passage, with how many more of its passages match;
    each hit says which ranking found it ("any-word": hybrid found no passage with every
    word and matched any of them); 'insights similar ID' finds more like it.

    \b
    Example usage:
        insights search "software 2.0"
        insights search "learning by building things" --mode semantic
        insights search tokenizer --kind transcript --since 2023-01-01 --json
        insights search micrograd --passages
    """
    if raw and mode not in (None, "bm25"):
        raise click.UsageError("--fts is raw full-text syntax: it works with --mode bm25 only")
    with open_store(db_path, read_only=True) as store, errors_as_messages():
        filters = SearchFilter(kinds=kind, thinker=thinker, since=since, until=until, limit=limit)
        if by_passage:
            found = search(store, query, filters, raw=True) if raw else None
            results, notice = (found, None) if found else search_any(store, query, filters, mode=mode, model=model)
            groups, summary = [DocumentHits(hit) for hit in results.hits], ""
        else:
            grouped, notice = grouped_search(store, query, filters, mode=mode, model=model, raw=raw)
            results, groups, summary = grouped.results, grouped.groups, grouped.summary()
    if notice:
        err.print(f"[yellow]{shown(notice)}[/]")
    if as_json:
        echo_json([_json(group, by_passage) for group in groups])
        return
    if not groups:
        err.print(f"No matches for {shown(query)!r}.")
        return
    for group in groups:
        _print_group(group)
    if summary:
        err.print(f"[dim]{shown(summary[:1].upper() + summary[1:])}.[/]", soft_wrap=True)
    if results.unweighted:
        words = ", ".join(shown(p) for p in results.unweighted)
        err.print(f"[dim]Too common to rank by (still required): {words}.[/]")


def _json(group: DocumentHits, by_passage: bool) -> dict[str, Any]:
    """A hit's stable keys; grouped, also ``more``: the document's other matching passages, best first."""
    if by_passage:
        return hit_dict(group.best)
    return {**hit_dict(group.best), "more": [hit_dict(h) for h in group.more]}


def _print_group(group: DocumentHits) -> None:
    hit = group.best
    when = (hit.published_at or "")[:10]
    found = "+".join(hit.found_by) or "bm25"
    at = f" @ {hit.anchor_label}" if hit.anchor_label else ""
    head = f"[bold]{shown(f'{hit.title or hit.kind}{at}')}[/] [dim]{shown(f'{hit.kind} · {hit.thinker} · {when}')}"
    out.print(f"{head} · {found} · {shown(hit.id)}[/]")
    out.print("  " + marked(hit.snippet))
    if hit.url:
        out.print(f"  [blue]{shown(hit.url)}[/]")
    if group.more:
        out.print(f"  [dim]{shown(_more_line(group.more))}[/]")


def _more_line(more: list[SearchHit]) -> str:
    """``+ 3 more passages (@ 1:02:11, @ 12:05, @ 40:31)``: where the document's other matches are, when known."""
    line = f"+ {len(more)} more passage{'' if len(more) == 1 else 's'}"
    anchors = [h.anchor_label for h in more if h.anchor_label][:MORE_ANCHORS]
    if anchors:
        extra = ", …" if len(more) > len(anchors) else ""
        line += " (" + ", ".join(f"@ {a}" for a in anchors) + extra + ")"
    return line


COMMANDS = [search_]
