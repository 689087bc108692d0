"""Options and output helpers shared by every command."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

from .. import config, workspace
from ..errors import DeepInsightsError
from ..store import Store
from ..workspace import Db

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
def errors_as_messages() -> Iterator[None]:
    """Show library errors as one line on stderr and exit 1: never a traceback."""
    try:
        yield
    except DeepInsightsError as ex:
        raise click.ClickException(str(ex)) from None


@contextmanager
def open_store(db_path: Db, *, read_only: bool = False) -> Iterator[Store]:
    """The workspace ``db_path`` (either backend), closed after the block; errors become one line.

    subtle: typed ``Store`` because the library functions the commands call are; a ``PgStore``
    has the same public interface (``workspace.open_store``), checked by the parametrised tests.
    """
    with errors_as_messages():
        store = cast(Store, workspace.open_store(db_path, read_only=read_only))
        try:
            yield store
        finally:
            store.close()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
