"""Options and output helpers shared by every command."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import config
from ..errors import DeepInsightsError
from ..store import Store

F = TypeVar("F", bound=Callable[..., Any])


def db_option(func: F) -> F:
    """``--db PATH`` (or ``$INSIGHTS_DB``), default ``./insights.db``."""
    return click.option(
        "--db",
        "db_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=config.DB.default,
        envvar=config.DB.env,
        show_default=True,
        help="Workspace database file.",
    )(func)


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
def open_store(db_path: Path, *, read_only: bool = False) -> Iterator[Store]:
    with errors_as_messages():
        store = Store(db_path, read_only=read_only)
        try:
            yield store
        finally:
            store.close()


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))
