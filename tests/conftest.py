"""Shared fixtures: a real SQLite workspace in tmp_path, the CLI runner, and the real corpora.

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

from deepinsights.store import Store

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
    monkeypatch.delenv("INSIGHTS_DB", raising=False)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "insights.db"


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
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
