"""Site commands: ``serve`` (the profile site on 127.0.0.1) and ``export-site`` (static files)."""

from __future__ import annotations

import contextlib
import socket
from pathlib import Path

import click
from rich.console import Console

from .. import workspace
from ..errors import ProfileError, StoreError
from ..workspace import Db
from .common import choose_model, db_option, echo_json, errors_as_messages, json_option, model_option, plain
from .progress import steps

err = Console(stderr=True)

DEFAULT_PORT = 8765


@click.command(name="serve")
@click.argument("slug", required=False)
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="Port to listen on (0 picks a free one).")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind; anything but loopback exposes the corpus."
)
@click.option(
    "--profiles",
    "profiles_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of profile YAML files (besides the workspace's profiles/ and the packaged ones).",
)
@model_option
@db_option
def serve(
    slug: str | None, port: int, host: str, profiles_dir: Path | None, model_name: str | None, db_path: Db
) -> None:
    """Serve the profile pages, archive search and JSON API until Ctrl-C.

    The workspace is opened read-only and never migrated (a workspace too old to read is
    served as it is, and the page says the command that upgrades it); without one the
    profile is served with no corpus.

    \b
    Example usage:
        insights serve karpathy
        insights serve --db ~/research/insights.db --port 9000
    """
    import uvicorn

    from ..web.app import create_app

    _check_readable(db_path)
    with errors_as_messages():
        app = create_app(db_path, profiles_dir, default_slug=slug, allowed_hosts=_allowed_hosts(host), model=model_name)
        _check_slug(app.state.site.profiles.slugs(), slug)
        if model_name:
            choose_model(model_name)  # fails early on an unknown model; says once that a remote one gets passages
    sock = _bind(host, port)
    address = _address(host, sock.getsockname()[1], slug)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(f"Warning: listening on {host}: anyone who can reach this address can read the corpus.", err=True)
    if not workspace.exists(db_path):
        click.echo(f"No workspace at {db_path}: serving the profile without a corpus.", err=True)
    if not app.state.site.model_name:
        click.echo("The page's Ask panel is off: no model. Serve with -m MODEL to answer questions.", err=True)
    click.echo(f"Serving on {address}  (Ctrl-C to stop)", err=True)
    click.echo(address)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    # subtle: uvicorn raises Ctrl-C again once it has shut down (stopping is not failing), or nothing
    # where Ctrl-C was ignored when the server started (``serve &`` in a script): stopped either way
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    if server.started:
        click.echo("Stopped.", err=True)


def _check_readable(db_path: Db) -> None:
    """Say on the terminal, before serving, why the workspace cannot be read; serve it anyway.

    The server only reads (a request cannot change the corpus, and serving never migrates or
    converts a file): a workspace too old to read, another application's file or a damaged
    one is served as it is, and the page's search says what is wrong and the command that fixes it.
    """
    try:
        workspace.check_readable(db_path)
    except StoreError as ex:
        click.echo(plain(f"Note: {ex}"), err=True)


def _check_slug(known: list[str], slug: str | None) -> None:
    if slug is not None and slug not in known:
        raise ProfileError(f"No profile '{slug}'. Known: {', '.join(known) or 'none'}")


def _allowed_hosts(host: str) -> list[str] | None:
    """Loopback names by default; the bound name too; any Host when bound to every interface."""
    if host in ("0.0.0.0", "::", ""):
        return ["*"]
    if host in ("127.0.0.1", "localhost", "::1"):
        return None
    return ["127.0.0.1", "localhost", "[::1]", host]


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as ex:
        sock.close()
        raise click.ClickException(f"Cannot listen on {host}:{port}: {ex.strerror}. Try another --port.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _address(host: str, port: int, slug: str | None) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/" + (f"profile/{slug}" if slug else "")


@click.command(name="export-site")
@click.argument("out_dir", type=click.Path(file_okay=False, path_type=Path))
@click.argument("slug", required=False)
@click.option(
    "--profiles",
    "profiles_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder of profile YAML files (besides the workspace's profiles/ and the packaged ones).",
)
@db_option
@json_option
def export_site(out_dir: Path, slug: str | None, profiles_dir: Path | None, db_path: Db, as_json: bool) -> None:
    """Write the profile site as static files that work from file://, search included.

    The archive search runs in the browser over search-index.js; no server is needed.

    \b
    Example usage:
        insights export-site site/ karpathy
        open site/index.html
    """
    from ..site_export import export_site as export

    corpus = db_path if workspace.exists(db_path) else None
    with errors_as_messages(db_path), steps(err, quiet=as_json) as step:  # shown from the index's first row
        writing = step("writing the search index", "rows")
        report = export(out_dir, corpus, slug=slug, profiles_dir=profiles_dir, progress=writing)
    if as_json:
        echo_json(report.as_dict())
        return
    click.echo(
        f"Wrote {len(report.pages)} page(s) and a search index of {report.passages:,} passages "
        f"({report.index_bytes / 1e6:.1f} MB) to {out_dir}",
        err=True,
    )
    click.echo(report.entry.resolve().as_uri())


COMMANDS: list[click.Command] = [serve, export_site]
