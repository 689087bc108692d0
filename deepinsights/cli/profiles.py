"""Profile commands: ``insights profile check|new|list|show|export`` and ``insights prompt``.

Each command parses options, calls one library function (``deepinsights.profile`` or
``deepinsights.prompt``) and prints the result. Profiles named by slug are looked up in
the ``profiles/`` folder beside the workspace database, then among the packaged ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import workspace
from ..profile import Profile, dump_profile, list_profiles, load_profile, new_profile
from ..prompt import EXPORT_FORMATS, FORMATS, NOT_CHECKED, UNCONFIRMED, Checked, compile_prompt, render_prompt
from ..saved import write_whole
from ..workspace import Db, Workspace

if TYPE_CHECKING:
    from ..exports import Evidence
from .common import db_option, echo_data, echo_json, errors_as_messages, json_option, open_store, plain


def _workspace(db_path: Db) -> Path:
    return workspace.folder(db_path)


@click.group(name="profile")
def profile_group() -> None:
    """Check, create, list, show and export thinker profiles (YAML).

    \b
    Example usage:
        insights profile check profiles/karpathy.yaml
        insights profile list
        insights profile show karpathy
    """


@profile_group.command(name="check")
@click.argument("file")
@db_option
def check(file: str, db_path: Db) -> None:
    """Validate a profile file (or slug) against the schema.

    Errors name the YAML line and the field; the exit status is 1 on any error.

    \b
    Example usage:
        insights profile check profiles/karpathy.yaml
    """
    with errors_as_messages():
        profile = load_profile(file, _workspace(db_path))
    counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in profile.counts().items())
    click.echo(plain(f"OK: {profile.name} ({profile.slug}): {counts}"))


@profile_group.command(name="new")
@click.argument("slug")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File to write [profiles/SLUG.yaml].")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@db_option
def new(slug: str, out: Path | None, force: bool, db_path: Db) -> None:
    """Write a commented profile template that validates as it is.

    \b
    Example usage:
        insights profile new simonw
        insights profile new simonw --out simonw.yaml
    """
    path = out or _workspace(db_path) / "profiles" / f"{slug}.yaml"
    with errors_as_messages():
        written = new_profile(slug, path, force=force)
    click.echo(f"Wrote {written}", err=True)


@profile_group.command(name="list")
@db_option
@json_option
def list_(db_path: Db, as_json: bool) -> None:
    """List the profiles in the workspace's profiles/ folder and the packaged ones.

    \b
    Example usage:
        insights profile list --json
    """
    entries = list_profiles(_workspace(db_path))
    if as_json:
        echo_json([{"slug": e.slug, "origin": e.origin, "path": str(e.path)} for e in entries])
        return
    for entry in entries:
        click.echo(plain(f"{entry.slug}\t{entry.origin}\t{entry.path}"))


@profile_group.command(name="show")
@click.argument("slug")
@db_option
@json_option
def show(slug: str, db_path: Db, as_json: bool) -> None:
    """Show a profile's identity, section counts, axioms and mental models.

    \b
    Example usage:
        insights profile show karpathy
        insights profile show karpathy --json
    """
    with errors_as_messages():
        profile = load_profile(slug, _workspace(db_path))
    if as_json:
        echo_json(profile.model_dump(mode="json"))
        return
    for line in _summary(profile):
        click.echo(plain(line))


def _summary(profile: Profile) -> list[str]:
    handles = f" {' '.join(profile.identity.handles)}" if profile.identity.handles else ""
    description = [profile.identity.description] if profile.identity.description else []
    lines = [f"{profile.name} ({profile.slug}){handles}", *description]
    lines += [f"{name.replace('_', ' ')}: {n}" for name, n in profile.counts().items()]
    mark = " [reconstructed]"
    lines += ["", "Axioms:"] + [f"  {a.number}. {a.title}{mark if a.reconstructed else ''}" for a in profile.axioms]
    lines += ["", "Mental models:"]
    lines += [f"  {m.rank}. {m.title}{mark if m.reconstructed else ''}" for m in profile.mental_models]
    return lines


@profile_group.command(name="export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["yaml", "json"]), default="yaml", show_default=True)
@db_option
def export(slug: str, fmt: str, db_path: Db) -> None:
    """Print a profile as normalised YAML or as JSON.

    \b
    Example usage:
        insights profile export karpathy --format json > karpathy.json
    """
    with errors_as_messages():
        profile = load_profile(slug, _workspace(db_path))
    if fmt == "json":
        echo_json(profile.model_dump(mode="json"))
    else:
        echo_data(dump_profile(profile))


@click.command(name="prompt")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice([*FORMATS, *EXPORT_FORMATS]), default="text", show_default=True)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="Write to this file (a card ending in .png: the PNG with the card embedded), or for skill this folder.",
)
@click.option(
    "--unverified-quotes",
    "unverified",
    type=click.Choice(UNCONFIRMED),
    default="mark",
    show_default=True,
    help="Items whose quoted words verify cannot confirm (not found in the workspace, or citing a source it "
    "does not hold): mark those words, omit the items, or keep them as written.",
)
@db_option
def prompt(slug: str, fmt: str, out: Path | None, unverified: str, db_path: Db) -> None:
    """Compile a profile's simulator prompt (text, an llm template, JSON) or export it to load elsewhere.

    When the workspace holds documents for the thinker, the counts in the prompt are
    measured from it (labelled by what was counted); otherwise they are the profile's
    claims, and the prompt says so. The profile's quotes are then checked too: words verify
    cannot confirm are marked [not found in the corpus] or [not checked: …] by default.
    An llm template has every '$' doubled, so that llm shows the profile's text as it is
    (a '$5' or '$input' in it is not a template variable).

    Exports: skill (an Agent Skills folder: SKILL.md, the measured sections as reference
    files; needs --out FOLDER, named like the skill), character-card (Character Card V3
    JSON, or with --out NAME.png the PNG chat front-ends import) and eliza (an elizaOS
    character.json). Their example messages are only quotes verified verbatim in the
    thinker's own words in the workspace.

    \b
    Example usage:
        llm -s "$(insights prompt karpathy)" "What do you make of this design?"
        insights prompt karpathy --format llm-template > "$(llm templates path)/karpathy.yaml"
        insights prompt karpathy --unverified-quotes omit
        insights prompt karpathy --format skill --out ~/.claude/skills/karpathy
        insights prompt karpathy --format character-card --out karpathy.png
        insights prompt karpathy --format eliza --out karpathy.character.json
    """
    with errors_as_messages():
        profile = load_profile(slug, _workspace(db_path))
    # subtle: here, so that the other profile commands do not load verify, distill and llm
    from ..exports import Evidence, gather
    from ..verify import verify_profile

    stats, checked, evidence = None, NOT_CHECKED, Evidence()
    if workspace.exists(db_path):
        with open_store(db_path, read_only=True) as store, errors_as_messages():
            stats = _stats(store, profile.slug)
            if stats is not None and (unverified != "keep" or fmt in EXPORT_FORMATS):
                report = verify_profile(profile, store)
                checked = Checked(report.quote_statuses(), unverified)
                evidence = gather(profile, report, store) if fmt in EXPORT_FORMATS else evidence
    with errors_as_messages():
        if fmt in EXPORT_FORMATS:
            _export(profile, fmt, compile_prompt(profile, stats, checked), evidence, out)
        elif out is not None:
            click.echo(f"Wrote {write_whole(out, render_prompt(profile, fmt, stats, checked).encode())}", err=True)
        else:
            echo_data(render_prompt(profile, fmt, stats, checked))


def _export(profile: Profile, fmt: str, text: str, evidence: Evidence, out: Path | None) -> None:
    from ..exports import render_export, write_export

    export = render_export(profile, fmt, text, evidence, out)
    if out is None:
        echo_data(export.text)
        return
    written = write_export(export, out)
    examples = f"{len(evidence.quotes)} verified quote(s) as examples" if evidence.quotes else "no verified quotes"
    click.echo(f"Wrote {written} ({examples})", err=True)


def _stats(store: Workspace, slug: str) -> list[dict[str, object]] | None:
    rows = store.stats(slug)
    return rows or None


COMMANDS: list[click.Command] = [profile_group, prompt]
