"""The compare command: two thinkers side by side, measured, with quotes from both sides."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import saved, workspace
from ..compare import Comparison, Identity, add_positions, compare
from ..compare.report import markdown_report
from ..errors import ProfileError
from ..profile import load_profile
from ..workspace import Db
from .common import (
    choose_model,
    db_option,
    echo_data,
    echo_json,
    errors_as_messages,
    model_option,
    open_store,
    shown,
    trust_schema_option,
)
from .progress import progress

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)
ROWS = 15


@click.command(name="compare")
@click.argument("a")
@click.argument("b")
@model_option
@click.option("--positions", default=8, show_default=True, help="Shared topics the model labels (with -m).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Output a Markdown report.")
@trust_schema_option
@db_option
def compare_(
    a: str,
    b: str,
    model_name: str | None,
    positions: int,
    as_json: bool,
    as_markdown: bool,
    trust_schema: bool,
    db_path: Db,
) -> None:
    """Compare thinkers A and B: vocabulary, topics, lineage, and (with -m) positions.

    Measured on both sides' own words, with passages that link to the archive: the words that
    separate them (log-odds with an informative prior, z-scores), topics both cover and topics
    only one covers (where one goes beyond the other), who reached a shared topic first, the
    people and works both or only one draw on, and for each shared topic each side's most
    representative passage. With -m, a model labels each shared topic agree, disagree or
    different question; a label is kept only when a quote from each side verifies as that side's
    own words. The result is kept beside the workspace for the page (/compare/A/B).
    Either side may be your own writing imported as a thinker (--thinker me).

    \b
    Example usage:
        insights compare me karpathy
        insights compare karpathy simonw --markdown > compared.md
        insights compare karpathy simonw -m qwen2.5-coder-0.5b --json
    """
    folder = workspace.folder(db_path)
    with open_store(db_path, trust_schema=trust_schema) as store, errors_as_messages():
        with progress(err, "embedding passages", "passages", quiet=as_json) as tick:
            comparison = compare(store, _identity(a, db_path), _identity(b, db_path), progress=tick)
        if model_name:
            model = choose_model(model_name)
            labelling = lambda label: err.print(f"[dim]labelling: {shown(label)}[/]")  # noqa: E731
            add_positions(store, comparison, model, limit=positions, progress=labelling)
        data = comparison.as_dict()
    with errors_as_messages():
        path = saved.write_json(saved.comparison_path(folder, a, b), data)
    if as_json:
        echo_json(data)
    elif as_markdown:
        echo_data(markdown_report(data))
    else:
        _print(comparison, data)
    err.print(f"[dim]Kept as {shown(path)} (the page /compare/{shown(a)}/{shown(b)} shows it)[/]")


def _identity(slug: str, db_path: Db) -> Identity:
    """The thinker's name and handles from their profile, when there is one (else the slug)."""
    try:
        identity = load_profile(slug, workspace.folder(db_path)).identity
    except ProfileError:
        return Identity(slug, slug)
    return Identity(slug, identity.name, frozenset({identity.name}), frozenset(identity.handles))


def _print(comparison: Comparison, data: dict[str, Any]) -> None:
    a, b = data["a"], data["b"]
    corpus = Table("thinker", "documents", "own-word passages", "first", "last", title="Compared")
    for side in (a, b):
        corpus.add_row(shown(side["name"]), f"{side['documents']:,}", f"{side['own_word_passages']:,}",
                       shown((side["first"] or "")[:10]), shown((side["last"] or "")[:10]))  # fmt: skip
    out.print(corpus)
    _vocabulary(data["vocabulary"], a["name"], b["name"])
    _topics(comparison, a["name"], b["name"])
    _lineage(data["lineage"], a["name"], b["name"])
    _positions(data.get("positions"))


def _vocabulary(vocabulary: dict[str, Any], name_a: str, name_b: str) -> None:
    table = Table(f"{shown(name_a)} more", "z", "uses", f"{shown(name_b)} more", "z", "uses", title="Vocabulary")
    words_a, words_b = vocabulary["a"][:ROWS], vocabulary["b"][:ROWS]
    for i in range(max(len(words_a), len(words_b))):
        cells: list[str] = []
        for words, mine, theirs in ((words_a, "count_a", "count_b"), (words_b, "count_b", "count_a")):
            w = words[i] if i < len(words) else None
            cells += [shown(w["word"]), f"{abs(w['z']):.1f}", f"{w[mine]}:{w[theirs]}"] if w else ["", "", ""]
        table.add_row(*cells)
    out.print(table)


def _topics(comparison: Comparison, name_a: str, name_b: str) -> None:
    table = Table("topic", "covered by", shown(name_a), shown(name_b), "first there", title="Topics (documents)")
    who = {"both": "both", "a": f"only {shown(name_a)}", "b": f"only {shown(name_b)}"}
    for coverage in ("both", "a", "b"):
        for t in comparison.covered(coverage)[:ROWS]:
            first = {"a": name_a, "b": name_b}.get(t.first or "", "")
            lead = f"{shown(first)} by {t.lead_days:,} days" if t.first else ""
            lead += " (before the other's corpus)" if t.before_other_corpus else ""
            table.add_row(shown(t.label), who[coverage], str(t.a.documents), str(t.b.documents), lead)
    out.print(table)
    for t in comparison.covered("both")[:5]:
        out.print(f"\n[bold]{shown(t.label)}[/]")
        for name, part in ((name_a, t.a), (name_b, t.b)):
            p = part.representative
            if p:
                where = f"{(p.published_at or 'undated')[:10]}, {p.url or p.title or ''}"
                out.print(f"  [cyan]{shown(name)}[/] ({shown(where)}): {shown(p.text[:240])}")


def _lineage(lineage: dict[str, Any], name_a: str, name_b: str) -> None:
    shared = ", ".join(f"{shown(e['name'])} ({e['count_a']}:{e['count_b']})" for e in lineage["shared"][:ROWS])
    out.print(f"\n[bold]Both draw on:[/] {shared or 'no one in common'}")
    for key, name in (("only_a", name_a), ("only_b", name_b)):
        names = ", ".join(f"{shown(e['name'])} ({e['count']})" for e in lineage[key][:ROWS])
        out.print(f"[bold]Only {shown(name)}:[/] {names or 'none'}")


def _positions(positions: dict[str, Any] | None) -> None:
    if not positions:
        return
    for p in positions["kept"]:
        out.print(f"[bold]{shown(p['relation'])}[/] on {shown(p['label'])}: {shown(p['statement'])}")
        out.print(f"  “{shown(p['quote_a']['text'])}” / “{shown(p['quote_b']['text'])}”")
    reasons = "; ".join(f"{n} {shown(r)}" for r, n in positions["dropped_by_reason"].items())
    out.print(f"[bold]Positions[/] ({shown(positions['model'])}): {len(positions['kept'])} kept"
              + (f", dropped: {reasons}" if reasons else ""))  # fmt: skip


COMMANDS = [compare_]
