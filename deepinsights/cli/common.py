"""Options and output helpers shared by every command."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.markup import escape

from .. import config, workspace
from ..display import json_text, visible
from ..errors import DeepInsightsError
from ..models import HIGHLIGHT_END, HIGHLIGHT_START
from ..workspace import Db, Workspace

if TYPE_CHECKING:
    from ..ask.models import Model

F = TypeVar("F", bound=Callable[..., Any])


def _parse_db(ctx: click.Context, param: click.Parameter, value: str) -> Db:
    """A ``--db`` value as a ``Path``, or a ``postgresql://`` URL kept as a ``str`` (never a path)."""
    parsed = workspace.parse(value)
    if isinstance(parsed, Path) and parsed.is_dir():
        raise click.BadParameter(f"'{parsed}' is a folder; pass a database file, e.g. {parsed}/insights.db")
    return parsed


def db_option(func: F) -> F:
    """``--db PATH|URL`` (or ``$DEEPINSIGHTS_DB``), default ``./insights.db``."""
    return click.option(
        "--db",
        "db_path",
        metavar="PATH|URL",
        default=config.DB.default,
        envvar=config.DB.envvars,
        callback=_parse_db,
        show_default=True,
        help="Workspace: a SQLite database file, or a postgresql://user:password@host/dbname URL.",
    )(func)


def model_option(func: F) -> F:
    """``-m/--model NAME`` (or ``$DEEPINSIGHTS_MODEL``): the language model a command prompts."""
    return click.option(
        "-m",
        "--model",
        "model_name",
        envvar=config.MODEL.envvars,
        help=f"Model id or alias (llm); default ${config.MODEL.env}. A remote model is used only when named.",
    )(func)


def choose_model(name: str | None) -> Model:
    """``ask.models.choose_model``, printing its first-use notice for a remote model on stderr."""
    from ..ask.models import choose_model as choose  # subtle: loads llm, which only model commands need

    return choose(name, notify=lambda notice: click.echo(f"Note: {notice}", err=True))


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Output JSON.")(func)


@contextmanager
def errors_as_messages(db: Db | None = None) -> Iterator[None]:
    """Show library errors as one line on stderr and exit 1: never a traceback (and no raw control character).

    With ``db``, a database error the library let through (a damaged page met while reading) is
    one line too, naming that workspace and the way to recover it (``workspace.explain_error``).
    """
    try:
        yield
    except DeepInsightsError as ex:
        raise click.ClickException(plain(str(ex))) from None
    except workspace.DATABASE_ERRORS as ex:
        if db is None:
            raise
        raise click.ClickException(plain(workspace.explain_error(workspace.describe(db), ex))) from None


def trust_schema_option(func: F) -> F:
    """``--trust-schema``: write to a workspace whose schema holds objects deep-insights did not create."""
    return click.option(
        "--trust-schema",
        is_flag=True,
        help="Write even though the workspace holds triggers, views, tables or indexes deep-insights did not "
        "create (they run on every write; without this flag they are listed and nothing is written).",
    )(func)


@contextmanager
def open_store(db_path: Db, *, read_only: bool = False, trust_schema: bool = False) -> Iterator[Workspace]:
    """The workspace ``db_path`` (either backend), closed after the block; errors become one line.

    A database error the library let through (a damaged page met while reading) is one line
    too, naming the workspace and the way to recover it (``errors_as_messages``).
    """

    def upgrading(names: list[str]) -> None:
        where = plain(workspace.describe(db_path))
        click.echo(f"Upgrading {where} to this version of deep-insights ({', '.join(names)}); once.", err=True)

    with errors_as_messages(db_path):
        store = workspace.open_store(db_path, read_only=read_only, trust_schema=trust_schema, on_upgrade=upgrading)
        try:
            yield store
        finally:
            store.close()


def echo_json(data: Any) -> None:
    """``data`` as indented JSON; every control character escaped (``display.json_text``)."""
    click.echo(json_text(json.dumps(data, indent=2, ensure_ascii=False, default=str)))


def shown(text: object) -> str:
    """Corpus or profile text for rich markup: control characters visible (``display.visible``), markup escaped.

    Every human output of the CLI passes text it did not write itself through this (or
    ``plain`` for click.echo), so no corpus text can send an escape sequence to the terminal.
    """
    return escape(visible(str(text)))


def plain(text: object) -> str:
    """Corpus or profile text for ``click.echo``: control characters visible."""
    return visible(str(text))


def marked(snippet: str) -> str:
    """A search snippet for rich markup: its matched words bold, everything else ``shown``."""
    runs = []
    for i, chunk in enumerate(snippet.split(HIGHLIGHT_START)):
        hit, _, rest = chunk.partition(HIGHLIGHT_END) if i else ("", "", chunk)
        runs.append((f"[bold yellow]{shown(hit)}[/]" if hit else "") + shown(rest))
    return "".join(runs).replace("\n", " ")


def echo_data(text: str) -> None:
    """Data meant for another program (a prompt, a YAML profile): as it is when piped, else controls visible."""
    click.echo(text if not sys.stdout.isatty() else visible(text), nl=False)
