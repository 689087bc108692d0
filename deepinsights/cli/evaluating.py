"""The eval command: the simulator against what the thinker wrote next, beside a no-profile baseline."""

from __future__ import annotations

from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .. import saved, workspace
from ..errors import ProfileError
from ..evaluation import Subject, run_eval
from ..evaluation.report import ROWS, VOICE, markdown_report
from ..profile import Profile, load_profile
from ..workspace import Db
from .common import choose_model, db_option, echo_data, echo_json, errors_as_messages, model_option, open_store, shown

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


@click.command(name="eval")
@click.argument("slug")
@model_option
@click.option("--judge", "judge_name", help="Model that judges stance (default: the -m model).")
@click.option("--questions", default=8, show_default=True, help="Questions from held-out topics.")
@click.option("--limits", default=5, show_default=True, help="Questions on topics the corpus never covers.")
@click.option(
    "--use-profile",
    is_flag=True,
    help="Evaluate the workspace's profile of SLUG as it is (it may know the held-out period) instead of one "
    "distilled from the earlier passages.",
)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Output a Markdown report.")
@db_option
def eval_(
    slug: str,
    model_name: str | None,
    judge_name: str | None,
    questions: int,
    limits: int,
    use_profile: bool,
    as_json: bool,
    as_markdown: bool,
    db_path: Db,
) -> None:
    """Measure whether SLUG's simulator thinks like them, on a period it never saw.

    The last 20% of the thinker's dated own-word passages are held out; the profile (distilled
    from the earlier passages, unless --use-profile) and retrieval see only what came before.
    Questions come from the held-out topics; each answer is scored against the passage the
    thinker actually wrote: stance by a judge model with a fixed, versioned rubric, meaning by
    the embedding model, voice by stylometry (Burrows' Delta, sentence length, signature words).
    Questions on topics the corpus never covers must be declined or flagged as extrapolation.
    The same model without the profile answers everything too: the profile's value is the
    difference. The run is kept beside the workspace; the profile page shows the latest.

    \b
    Example usage:
        insights eval karpathy -m qwen2.5-coder-0.5b
        insights eval simonw -m MODEL --judge BIGGER-MODEL --markdown > eval.md
    """
    folder = workspace.folder(db_path)
    with open_store(db_path) as store, errors_as_messages():
        profile = _profile(slug, db_path)
        others = tuple(sorted({row["thinker"] for row in store.stats() if row["thinker"] and row["thinker"] != slug}))
        subject = _subject(slug, profile, others)
        model = choose_model(model_name)
        judge = choose_model(judge_name) if judge_name else model
        progress = lambda text: err.print(f"[dim]{shown(text)}[/]")  # noqa: E731
        report = run_eval(store, subject, model, judge, profile=profile if use_profile else None,
                          questions=questions, limits=limits, progress=progress)  # fmt: skip
        data = report.as_dict()
    with errors_as_messages():
        path = saved.write_json(saved.new_eval_path(folder, slug), data)
    if as_json:
        echo_json(data)
    elif as_markdown:
        echo_data(markdown_report(data))
    else:
        _print(data)
    err.print(f"[dim]Kept as {shown(path)} (the profile page shows the latest run)[/]")


def _profile(slug: str, db_path: Db) -> Profile | None:
    try:
        return load_profile(slug, workspace.folder(db_path))
    except ProfileError:
        return None


def _subject(slug: str, profile: Profile | None, others: tuple[str, ...]) -> Subject:
    if profile is None:
        return Subject(slug, slug, others=others)
    identity = profile.identity
    gaps = tuple(str(g) for g in profile.known_gaps)
    return Subject(slug, identity.name, frozenset({identity.name}), frozenset(identity.handles), gaps, others)


def _print(data: dict[str, Any]) -> None:
    split, scores = data["split"], data["scores"]
    out.print(
        f"[bold]{shown(data['slug'])}[/]: {shown(data['model'])}, judged by {shown(data['judge'])} "
        f"({shown(data['rubric']['version'])}); held out from {shown(split['cutoff'])}: "
        f"{split['held_out']['passages']:,} passages; profile {shown(data['profile_source'])}"
    )
    table = Table("measure", "simulator", "baseline", "difference", "better")
    for label, key, better in ROWS:
        table.add_row(label, _n(scores["simulator"][key]), _n(scores["baseline"][key]),
                      _n(scores["difference"][key], True), better)  # fmt: skip
    for label, key, better in VOICE:
        s, b = scores["simulator"]["voice"].get(key), scores["baseline"]["voice"].get(key)
        table.add_row(label, _n(s), _n(b), _n(None if s is None or b is None else s - b, True), better)
    out.print(table)


def _n(value: Any, sign: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


COMMANDS = [eval_]
