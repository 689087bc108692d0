"""workspace: the helpers that answer for a --db value of either backend without opening it."""

from __future__ import annotations

import sqlite3

import pytest

from deepinsights import workspace
from deepinsights.errors import StoreError


def test_a_file_of_the_workspace_lies_beside_its_database_or_here_for_a_server(tmp_path, monkeypatch):
    assert workspace.beside(tmp_path / "insights.db", ".index.log") == tmp_path / "insights.db.index.log"
    monkeypatch.chdir(tmp_path)
    url = "postgresql://me:secret@localhost/insights"
    assert workspace.beside(url, ".index.log") == tmp_path / "insights.index.log"


def test_check_readable_names_why_a_file_cannot_be_served_and_leaves_the_rest(tmp_path):
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
    conn.close()
    before = foreign.read_bytes()
    with pytest.raises(StoreError, match="not a deep-insights workspace"):
        workspace.check_readable(foreign)
    assert foreign.read_bytes() == before
    workspace.check_readable(tmp_path / "missing.db")  # nothing to read yet: the page says so
    assert not (tmp_path / "missing.db").exists()
