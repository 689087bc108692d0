"""A throwaway PostgreSQL cluster for the tests: initdb + pg_ctl in a temp folder.

The cluster listens only on a Unix socket inside its own folder (no TCP port, so
concurrent test sessions never collide), trusts local logins except for the role
``PASSWORD_USER``, which must give ``PASSWORD``, and runs with fsync off: it is thrown
away at the end of the session. initdb and postgres refuse to run as root, so as root
they run as the ``postgres`` OS user through ``runuser`` and the folder is chowned to it.

Each test gets its own database, cloned from a template (``CREATE DATABASE … TEMPLATE``
copies a few MB of files, a few tens of milliseconds): ``EMPTY`` holds nothing, ``MIGRATED``
holds the current schema. The binaries are looked up in $DEEPINSIGHTS_PG_BIN, on $PATH,
then in /usr/lib/postgresql/*/bin (Debian); without them the PostgreSQL tests skip with
the reason, or fail under DEEPINSIGHTS_REQUIRE_POSTGRES=1 (CI).

This module does not test anything itself; the fixtures live in conftest.py.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

EMPTY = "deepinsights_empty"
MIGRATED = "deepinsights_migrated"
PASSWORD_USER = "di_password_user"
PASSWORD = "s3cret-pw"
SETTINGS = {
    "listen_addresses": "''",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "60",
    "shared_buffers": "'32MB'",
    "log_min_messages": "warning",
    "log_min_error_statement": "panic",
}
REQUIRE = "DEEPINSIGHTS_REQUIRE_POSTGRES"


def bin_dir() -> Path | None:
    """The folder holding initdb/pg_ctl/postgres, or None when PostgreSQL is not installed."""
    configured = os.environ.get("DEEPINSIGHTS_PG_BIN")
    candidates = [Path(configured)] if configured else []
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True)
    return next((c for c in candidates if (c / "initdb").exists() and (c / "pg_ctl").exists()), None)


def _version(path: Path) -> float:
    try:
        return float(path.parent.name)
    except ValueError:
        return 0.0


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail under DEEPINSIGHTS_REQUIRE_POSTGRES=1."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason}; {REQUIRE}=1 turns this skip into a failure")
    pytest.skip(reason)


class Cluster:
    """One running throwaway cluster; ``url(name)`` opens its databases."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self._names = itertools.count(1)

    # -- lifecycle ---------------------------------------------------------------

    @classmethod
    def create(cls, bindir: Path) -> Cluster:
        """initdb, start, and prepare the two template databases."""
        base = "/tmp" if Path("/tmp").is_dir() else None  # subtle: a Unix socket path must stay under ~100 bytes
        cluster = cls(bindir, Path(tempfile.mkdtemp(prefix="di-pg-", dir=base)))
        try:
            cluster._initdb()
            cluster.start()
            cluster._prepare()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def _initdb(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        settings = "".join(f"{key} = {value}\n" for key, value in SETTINGS.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(settings + f"unix_socket_directories = '{self.root}'\n")
        (self.data / "pg_hba.conf").write_text(f"local all {PASSWORD_USER} scram-sha-256\nlocal all all trust\n")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``mode="immediate"`` kills it without a clean shutdown (a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if check and done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    # -- databases ---------------------------------------------------------------

    def url(self, database: str, *, user: str = "postgres", password: str | None = None) -> str:
        login = f"{user}:{password}" if password is not None else user
        return f"postgresql://{login}@/{database}?host={self.root}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def database(self, template: str = EMPTY) -> str:
        """Create a fresh database cloned from ``template`` and return its name."""
        name = f"t{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _prepare(self) -> None:
        from deepinsights.pg.store import PgStore

        self.admin(f'CREATE DATABASE "{EMPTY}" TEMPLATE template0')
        self.admin(f'CREATE DATABASE "{MIGRATED}" TEMPLATE "{EMPTY}"')
        PgStore(self.url(MIGRATED)).close()
        self.admin(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")


def start_cluster() -> Cluster:
    """A running cluster, or skip (fail under CI) when PostgreSQL or psycopg is missing."""
    bindir = bin_dir()
    if bindir is None:
        skip_or_fail("needs PostgreSQL server binaries (initdb, pg_ctl); install postgresql or set DEEPINSIGHTS_PG_BIN")
    assert bindir is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        skip_or_fail("needs psycopg (pip install 'psycopg[binary]')")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        skip_or_fail("running as root needs runuser to start PostgreSQL as the postgres user")
    return Cluster.create(bindir)
