"""Settings: one environment prefix, the old names still read with a deprecation notice."""

from __future__ import annotations

import pytest

from deepinsights import config

from .conftest import FIXTURES


def test_every_setting_is_named_with_the_one_prefix():
    assert all(s.env == "DEEPINSIGHTS_" + s.name.upper() for s in config.SETTINGS)
    assert len({s.env for s in config.SETTINGS}) == len(config.SETTINGS)


def test_the_new_name_wins_over_the_old_one_which_wins_over_the_default(monkeypatch):
    setting = config.SEARCH_CANDIDATES
    assert setting.value() == setting.default
    monkeypatch.setenv("INSIGHTS_SEARCH_CANDIDATES", "7")
    assert setting.value() == "7"
    assert config.renamed_in_environment() == [
        "INSIGHTS_SEARCH_CANDIDATES is deprecated; set DEEPINSIGHTS_SEARCH_CANDIDATES instead."
    ]
    monkeypatch.setenv("DEEPINSIGHTS_SEARCH_CANDIDATES", "9")
    assert setting.value() == "9"
    assert config.renamed_in_environment() == []  # the new name is set: the old one is not read


def test_an_old_name_still_works_and_the_cli_says_it_is_deprecated(run, tmp_path, monkeypatch):
    db = tmp_path / "old.db"
    monkeypatch.setenv("INSIGHTS_DB", str(db))
    result = run("import", FIXTURES / "blog")
    assert result.exit_code == 0
    assert "Warning: INSIGHTS_DB is deprecated; set DEEPINSIGHTS_DB instead." in result.stderr
    assert db.exists()  # the command used the workspace the old name gave


@pytest.mark.parametrize("name", ["DEEPINSIGHTS_DB", "INSIGHTS_DB"])
def test_both_names_of_the_workspace_reach_the_db_option(run, tmp_path, monkeypatch, name):
    db = tmp_path / f"{name}.db"
    monkeypatch.setenv(name, str(db))
    assert run("import", FIXTURES / "blog", "--json").exit_code == 0
    assert db.exists()
    assert '"kind": "post"' in run("stats", "--json").output  # reading finds the workspace the same way


def test_every_setting_declared_is_listed_and_so_documented():
    declared = {value for value in vars(config).values() if isinstance(value, config.Setting)}
    assert declared == set(config.SETTINGS)
