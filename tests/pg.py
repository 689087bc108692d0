"""The tests' throwaway PostgreSQL cluster (``backends.postgresql.cluster``: initdb + pg_ctl in a temp folder).

The cluster listens only on a Unix socket inside its own folder, trusts local logins
except for the role ``PASSWORD_USER``, which must give ``PASSWORD``, and runs with fsync
off: it is thrown away at the end of the session.

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
from pathlib import Path

import pytest

from deepinsights.backends.postgresql import cluster

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
    return cluster.find_bin_dir()


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``, or fail under DEEPINSIGHTS_REQUIRE_POSTGRES=1."""
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(f"{reason}; {REQUIRE}=1 turns this skip into a failure")
    pytest.skip(reason)


class Cluster(cluster.Cluster):
    """The session's cluster: ``database()`` clones a fresh database per test from a template."""

    def __init__(self, bindir: Path, root: Path) -> None:
        super().__init__(bindir, root)
        self._names = itertools.count(1)

    @classmethod
    def start_for_tests(cls, bindir: Path) -> Cluster:
        """Start a cluster with the test settings and prepare the two template databases."""
        hba = f"local all {PASSWORD_USER} scram-sha-256\nlocal all all trust\n"
        started = cls.create(bindir, SETTINGS, hba=hba)
        assert isinstance(started, Cluster)
        try:
            started._prepare()
        except BaseException:
            started.destroy()
            raise
        return started

    def database(self, template: str = EMPTY) -> str:
        """Create a fresh database cloned from ``template`` and return its name."""
        name = f"t{next(self._names)}"
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return name

    def drop(self, name: str) -> None:
        self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _prepare(self) -> None:
        from deepinsights.backends.postgresql.store import PgStore

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
    return Cluster.start_for_tests(bindir)
