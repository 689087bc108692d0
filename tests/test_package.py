"""The public API's names and the CLI's lazily loaded commands.

Both load modules on first use so that a command pays only for what it runs (``insights
search --help`` went from ~0.55 s to ~0.3 s; with the built-in importers loaded on first use
too, a BM25 search from ~0.29 s to ~0.19 s). What is loaded is checked in a fresh
interpreter, since this test session has imported everything already.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

import deepinsights
from deepinsights.backends.sqlite import Store
from deepinsights.cli import COMMAND_MODULES
from deepinsights.semantic import get_embedder, index_passages

from .conftest import ROOT
from .test_semantic_model import require_model
from .test_semantic_search import NOTES, add, note


def _fresh(code: str) -> dict:
    """Run ``code`` in a new interpreter (tests' plugin rules apply: built-ins only); return the JSON it prints."""
    script = "import sys; sys._called_from_test = True\n" + code
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    result: dict = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_every_public_name_resolves():
    assert sorted(deepinsights.__all__) == sorted(deepinsights._HOME)  # type: ignore[attr-defined]
    for name in deepinsights.__all__:
        value = getattr(deepinsights, name)
        assert getattr(value, "__name__", name) == name  # hookimpl is a marker object, not a class or function
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        deepinsights.nothing  # noqa: B018


def test_search_and_ask_stay_functions_when_their_modules_are_imported_first():
    found = _fresh(
        "import json, deepinsights.search, deepinsights.ask.check, deepinsights\n"
        "from deepinsights import search, ask\n"
        "print(json.dumps([type(x).__name__ for x in (deepinsights.search, deepinsights.ask, search, ask)]))"
    )
    assert found == ["function"] * 4
    assert importlib.import_module("deepinsights.search").search is deepinsights.search


def test_every_command_module_is_in_the_lazy_table():
    files = [p for p in (ROOT / "deepinsights" / "cli").glob("*.py") if p.stem != "__init__"]
    modules = [importlib.import_module(f"deepinsights.cli.{p.stem}") for p in files]
    defined = {
        command.name: module.__name__.rsplit(".", 1)[1]
        for module in modules
        for command in getattr(module, "COMMANDS", [])
    }
    assert defined == COMMAND_MODULES


def test_a_command_loads_only_its_own_module():
    loaded = _fresh(
        "import json, sys\n"
        "from deepinsights.cli import cli\n"
        "try:\n"
        "    cli.main(['search', '--help'], standalone_mode=False)\n"
        "finally:\n"
        "    sys.stdout.flush()\n"
        "heavy = ['deepinsights.cli.searching', 'deepinsights.cli.corpus',\n"
        "         'deepinsights.ask', 'deepinsights.distill', 'deepinsights.verify',\n"
        "         'deepinsights.web', 'llm', 'starlette', 'wordfreq', 'onnxruntime', 'deepinsights.ingest',\n"
        "         'deepinsights.importers.markdown', 'feedparser', 'markdown_it', 'selectolax', 'pypdf', 'httpx']\n"
        "print(json.dumps({m: m in sys.modules for m in heavy}))"
    )
    assert loaded.pop("deepinsights.cli.searching") is True
    assert loaded == dict.fromkeys(loaded, False)


def test_a_plugin_importer_is_asked_before_the_built_ins_which_load_on_first_use(tmp_path: Path):
    plugin = tmp_path / "gmi_plugin.py"
    plugin.write_text(
        "from deepinsights import hookimpl\n"
        "class Everything:\n"
        "    name = 'everything'\n"
        "    def detect(self, path):\n"
        "        return True\n"
        "@hookimpl\n"
        "def register_importers(register):\n"
        "    register(Everything())\n"
    )
    found = _fresh(
        f"import json, sys; sys.path.insert(0, {str(tmp_path)!r})\n"
        "import gmi_plugin\n"
        "from deepinsights.plugins import DEFAULT_PLUGINS, load_plugins, pm\n"
        "load_plugins()\n"
        "pm.register(gmi_plugin)\n"
        "before = 'deepinsights.importers.markdown' in sys.modules\n"
        "from deepinsights.importers import get_importers\n"
        "names = [i.name for i in get_importers()]\n"
        "print(json.dumps({'before': before, 'names': names}))"
    )
    assert found["before"] is False
    assert found["names"] == [
        "everything",
        "x-archive",
        "mastodon",
        "twitter-api",
        "dogsheep",
        "bluesky",
        "substack",
        "medium",
        "wordpress",
        "ghost",
        "transcript",
        "audio",
        "pdf",
        "feed",
        "tabular",
        "html",
        "tweet-text",
        "markdown",
    ]


def test_help_lists_every_command_and_models_holds_every_installer(run):
    result = run("--help")
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMAND_MODULES)
    result = run("models", "--help")
    assert all(name in result.output for name in ("install-embedding", "install-local", "install-speech"))


def test_a_plugin_command_beats_a_built_in_of_the_same_name(tmp_path: Path):
    plugin = tmp_path / "plugin.py"
    plugin.write_text(
        "import click\n"
        "from deepinsights import hookimpl\n"
        "@hookimpl\n"
        "def register_commands(cli):\n"
        "    @cli.command(name='stats')\n"
        "    def stats():\n"
        "        click.echo('plugin stats')\n"
    )
    out = _fresh(
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import contextlib, io, json, plugin\n"
        "from deepinsights.plugins import pm\n"
        "pm.register(plugin)\n"
        "from deepinsights.cli import cli\n"
        "buffer = io.StringIO()\n"
        "with contextlib.redirect_stdout(buffer):\n"
        "    cli.main(['stats'], standalone_mode=False)\n"
        "print(json.dumps({'said': buffer.getvalue()}))"
    )
    assert out == {"said": "plugin stats\n"}


def test_a_hybrid_search_runs_in_a_fresh_process(tmp_path: Path):
    # Regression: loading usearch before ONNX Runtime crashed the process (see backends.sqlite.vectors.usearch_index);
    # in-process CLI tests cannot see it, since this session loaded both long ago.
    require_model()
    path = tmp_path / "workspace.db"
    store = Store(path)
    add(store, *(note(k) for k in NOTES))
    index_passages(store, get_embedder())
    store.close()
    command = [sys.executable, "-m", "deepinsights", "search", "learning by building things yourself"]
    done = subprocess.run([*command, "--db", str(path), "--json"], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout)[0]
    assert first["id"] == note("feynman").id and "semantic" in first["found_by"]
