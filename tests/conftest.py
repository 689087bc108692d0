"""Shared fixtures: a real workspace (SQLite in tmp_path, or PostgreSQL), the CLI runner, the real corpora.

``store`` is parametrised over both backends: each test that uses it runs on a fresh
SQLite file and on a fresh PostgreSQL database (``db`` is the matching --db value). A
test that needs SQLite itself is marked ``@pytest.mark.sqlite_only(reason=...)``. The
PostgreSQL cluster (tests/pg.py) starts once per session; ``pg_url`` is a fresh empty
database, ``pg_store`` an open ``PgStore`` on a fresh migrated one. Without PostgreSQL
they skip with the reason, and fail instead when DEEPINSIGHTS_REQUIRE_POSTGRES=1.

Tests that read ``../shared/corpora-raw`` use the ``shared`` fixture: it skips with a
visible reason on a fresh user clone, and fails instead when DEEPINSIGHTS_REQUIRE_SHARED=1
(set by .ci/run), so CI can never pass by skipping them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from . import pg

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED = Path(os.environ.get("DEEPINSIGHTS_SHARED", ROOT.parent / "shared"))


def pytest_configure(config: pytest.Config) -> None:
    sys._called_from_test = True  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("DEEPINSIGHTS_USER_PATH", str(home / "deepinsights"))
    monkeypatch.setenv("LLM_USER_PATH", str(home / "llm"))
    for name in ("DEEPINSIGHTS_DB", "INSIGHTS_DB", "DEEPINSIGHTS_MODEL", "INSIGHTS_MODEL"):
        monkeypatch.delenv(name, raising=False)
    # subtle: import and index lower their process's CPU priority for good; run in process by the
    # CLI runner, they would lower the test session's (and every later test's subprocesses')
    monkeypatch.setenv("DEEPINSIGHTS_NICE", "0")
    # subtle: every app test would start search processes; tests/test_web_searchers.py runs them
    monkeypatch.setenv("DEEPINSIGHTS_SEARCH_PROCESSES", "1")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "insights.db"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def backend(request: pytest.FixtureRequest) -> str:
    """The backend a ``store`` test runs on; PostgreSQL skips tests marked ``sqlite_only``."""
    marker = request.node.get_closest_marker("sqlite_only")
    if request.param == "postgresql" and marker is not None:
        pytest.skip(f"sqlite_only: {marker.kwargs.get('reason') or (marker.args or ['no reason given'])[0]}")
    return str(request.param)


@pytest.fixture
def db(backend: str, db_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The --db value of this test's workspace: a SQLite file path, or a fresh PostgreSQL database URL.

    A PostgreSQL workspace keeps its profiles in the current folder, so its tests run in tmp_path.
    """
    if backend == "sqlite":
        return str(db_path)
    monkeypatch.chdir(db_path.parent)
    return str(request.getfixturevalue("pg_migrated_url"))


@pytest.fixture
def store(db: str, backend: str):
    from deepinsights.workspace import open_store

    s = open_store(db)
    yield s
    s.close()


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL cluster for the whole session (skips without PostgreSQL)."""
    cluster = pg.start_cluster()
    yield cluster
    cluster.destroy()


@pytest.fixture
def pg_url(pg_cluster: pg.Cluster):
    """The URL of a fresh, empty PostgreSQL database (no schema), dropped after the test."""
    name = pg_cluster.database(pg.EMPTY)
    yield pg_cluster.url(name)
    pg_cluster.drop(name)


@pytest.fixture
def pg_migrated_url(pg_cluster: pg.Cluster):
    """The URL of a fresh PostgreSQL database that already holds the current schema."""
    name = pg_cluster.database(pg.MIGRATED)
    yield pg_cluster.url(name)
    pg_cluster.drop(name)


@pytest.fixture
def pg_store(pg_migrated_url: str):
    """An open ``PgStore`` on a fresh database."""
    from deepinsights.backends.postgresql.store import PgStore

    s = PgStore(pg_migrated_url)
    yield s
    s.close()


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


def require_shared(*parts: str) -> Path:
    """Return ../shared/<parts>, skipping (or failing under CI) when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        message = f"needs {path} (the shared corpora beside this checkout)"
        if os.environ.get("DEEPINSIGHTS_REQUIRE_SHARED") == "1":
            pytest.fail(message + "; DEEPINSIGHTS_REQUIRE_SHARED=1 turns this skip into a failure")
        pytest.skip(message)
    return path


@pytest.fixture
def corpora() -> Path:
    """../shared/corpora-raw."""
    return require_shared("corpora-raw")


@pytest.fixture
def run():
    """Run the ``insights`` CLI in-process: run("search", "x", "--db", path) -> click Result."""
    from deepinsights.cli import cli

    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        return runner.invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)

    return invoke


@pytest.fixture
def scripted():
    """The scripted llm test model (tests/llm_test_models.py), registered and emptied."""
    from . import llm_test_models

    llm_test_models.install()
    model = llm_test_models.SCRIPTED
    model.replies.clear()
    model.prompts.clear()
    return model
