"""A throwaway PostgreSQL cluster: initdb + pg_ctl in a temporary folder, reached by a Unix socket.

The test suite and the benchmarks start one to run deep-insights on PostgreSQL without a
server to install or configure: it listens only on a socket inside its own folder (no TCP
port, so two at once never collide) and is removed with ``destroy()``. initdb and postgres
refuse to run as root, so as root they run as the ``postgres`` OS user through ``runuser``
and the folder is chowned to it. The binaries are looked up in $DEEPINSIGHTS_PG_BIN, on
$PATH, then in /usr/lib/postgresql/*/bin (Debian), newest version first.

It is not a way to run a real server (no service, no backups) and does not create the
deep-insights schema (``PgStore`` does, on connect).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg

from ... import config


class ClusterError(RuntimeError):
    """initdb or pg_ctl failed; the message holds its output and the end of the server log."""


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None when PostgreSQL is not installed."""
    configured = config.PG_BIN.value()
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


class Cluster:
    """One running throwaway cluster; ``url(name)`` opens its databases, ``admin(sql)`` runs as superuser."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"

    @classmethod
    def create(
        cls, bindir: Path, settings: dict[str, str], *, hba: str | None = None, prefix: str = "di-pg-"
    ) -> Cluster:
        """initdb with ``settings`` (postgresql.conf lines) and ``hba`` (pg_hba.conf, if given), then start."""
        base = "/tmp" if Path("/tmp").is_dir() else None  # subtle: a Unix socket path must stay under ~100 bytes
        cluster = cls(bindir, Path(tempfile.mkdtemp(prefix=prefix, dir=base)))
        try:
            cluster._initdb(settings, hba)
            cluster.start()
        except BaseException:
            cluster.destroy()
            raise
        return cluster

    def _initdb(self, settings: dict[str, str], hba: str | None) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(lines + f"unix_socket_directories = '{self.root}'\n")
        if hba is not None:
            (self.data / "pg_hba.conf").write_text(hba)

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; ``mode="immediate"`` kills it without a clean shutdown (a crash)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def destroy(self) -> None:
        """Stop the server if it runs and remove the folder."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str, *, user: str = "postgres", password: str | None = None) -> str:
        login = f"{user}:{password}" if password is not None else user
        return f"postgresql://{login}@/{database}?host={self.root}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(sql.encode())

    def _run(self, program: str, *args: str, check: bool = True) -> None:
        command = [str(self.bindir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.root, check=False)
        if check and done.returncode != 0:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise ClusterError(f"{program} failed ({done.returncode}): {done.stderr.strip()}\n{log}")
