"""``insights db``: copy a workspace between SQLite and PostgreSQL, and migrate one in place."""

from __future__ import annotations

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from .. import workspace
from ..dbcopy import copy_workspace
from ..workspace import Db
from .common import _parse_db, db_option, echo_json, errors_as_messages, json_option, open_store, trust_schema_option

err = Console(stderr=True)


@click.group(name="db")
def db() -> None:
    """Manage workspaces: copy between SQLite and PostgreSQL, migrate in place."""


@db.command(name="copy")
@click.argument("source", metavar="SRC", callback=_parse_db)
@click.argument("dest", metavar="DST", callback=_parse_db)
@trust_schema_option
@json_option
def copy(source: Db, dest: Db, trust_schema: bool, as_json: bool) -> None:
    """Copy the workspace SRC into DST (a SQLite file or a postgresql:// URL), then verify it.

    Rows keep their ids. DST must be empty, or a copy that was interrupted: running the
    same command again resumes it. At the end the row counts and a SHA-256 of every table
    are compared on both sides; any difference fails the command.

    \b
    Example usage:
        insights db copy insights.db postgresql://me@localhost/insights
        insights db copy postgresql://me@localhost/insights backup.db
    """
    if workspace.describe(source) == workspace.describe(dest):
        raise click.BadParameter("SRC and DST are the same workspace")
    with (
        open_store(source, read_only=True) as src,
        open_store(dest, trust_schema=trust_schema) as dst,
        _bar(as_json) as bar,
    ):
        tasks: dict[str, TaskID] = {}

        def tick(table: str, done: int, total: int) -> None:
            if table not in tasks:
                tasks[table] = bar.add_task(table, total=total)
            bar.update(tasks[table], completed=done)

        with errors_as_messages():
            report = copy_workspace(src, dst, progress=tick)
    if as_json:
        echo_json(report.as_dict())
        return
    for table, copied in report.copied.items():
        resumed = report.resumed[table]
        note = f" (+{resumed:,} already there)" if resumed else ""
        click.echo(f"{table}: {copied:,} rows copied{note}, sha256 {report.checksums[table][:16]}")
    click.echo(f"Verified: {workspace.describe(dest)} holds exactly the rows of {workspace.describe(source)}.")


@db.command(name="migrate")
@trust_schema_option
@db_option
def migrate(trust_schema: bool, db_path: Db) -> None:
    """Bring the workspace's schema up to this version of deep-insights (any write command does too).

    \b
    Example usage:
        insights db migrate --db insights.db
    """
    with open_store(db_path, trust_schema=trust_schema):
        pass  # opening a workspace for writing applies its pending migrations
    click.echo(f"{workspace.describe(db_path)}: schema up to date.")


def _bar(quiet: bool) -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,} rows"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=quiet or not err.is_terminal,
    )


COMMANDS = [db]
