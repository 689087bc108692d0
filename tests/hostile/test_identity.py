"""Document identity (issue 19 item 1): imports from different roots never replace each other.

A document's id includes the root it was imported from (a repository's remote, a download's
URL, a folder's absolute path) unless its native id is distinct on its own (a tweet id), so
two folders or repositories holding ``README.md`` keep two documents, on both backends, while
re-importing the same root (moved, cloned again, named by another path) changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from sqlite_utils import Database

from deepinsights.backends.sqlite.migrations import migrations
from deepinsights.importers import ImportOptions, importer_for
from deepinsights.importers.base import ImportRun
from deepinsights.ingest import run_import
from deepinsights.models import document_id
from deepinsights.prepare import prepare
from deepinsights.remote import git_identity, url_identity
from deepinsights.verify import VERBATIM, locate
from deepinsights.workspace import open_store

from ..conftest import FIXTURES
from ..test_remote import commit, git, needs_git

FEED_WITHOUT_LINK = """<?xml version="1.0"?><rss version="2.0"><channel><title>Notes</title>
<item><title>One</title><guid isPermaLink="false">1</guid><description>{text}</description></item>
</channel></rss>"""


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def readmes(store) -> list[str]:
    return sorted(r["text"] for r in store.rows("SELECT text FROM documents WHERE kind = 'readme'"))


def counts(report) -> tuple[int, int, int]:
    return report.added, report.updated, report.unchanged


def test_two_folders_with_same_readme_both_kept(store, tmp_path):
    alpha = write(tmp_path / "alpha", {"README.md": "Alpha explains tokenizers.", "about.md": "About alpha."})
    beta = write(tmp_path / "beta", {"README.md": "Beta explains optimizers.", "about.md": "About beta."})
    assert counts(run_import(store, [str(alpha)], ImportOptions(thinker="ada"))) == (2, 0, 0)
    assert counts(run_import(store, [str(beta)], ImportOptions(thinker="grace"))) == (2, 0, 0)
    assert readmes(store) == ["Alpha explains tokenizers.", "Beta explains optimizers."]
    assert store.document_count() == 4
    thinkers = {r["text"]: r["thinker"] for r in store.rows("SELECT text, thinker FROM documents")}
    assert thinkers["About alpha."] == "ada" and thinkers["About beta."] == "grace"


def test_two_files_of_one_name_named_on_the_command_line_both_kept(store, tmp_path):
    alpha = write(tmp_path / "alpha", {"about.md": "About alpha."})
    beta = write(tmp_path / "beta", {"about.md": "About beta."})
    report = run_import(store, [str(alpha / "about.md"), str(beta / "about.md")], ImportOptions())
    assert counts(report) == (2, 0, 0)
    assert store.document_count() == 2


def _feed(folder: Path, text: str) -> None:
    (folder / "feed.xml").write_text(FEED_WITHOUT_LINK.format(text=text))


@pytest.mark.parametrize(
    "name",
    ["about.md", "tiny.pdf", "records.csv", "records.jsonl", "talk.vtt", "talk.srt", "page.html", "feed.xml"],
)
def test_every_path_based_importer_keeps_a_file_of_one_name_from_two_roots(store, tmp_path, name):
    roots = [tmp_path / "one", tmp_path / "two"]
    for root in roots:
        root.mkdir()
        if name == "about.md":
            shutil.copy(FIXTURES / "blog" / "about.md", root / name)
        elif name == "feed.xml":
            _feed(root, f"Written in {root.name}.")  # a bare guid and no feed link: only the path names it
        elif name == "talk.vtt":  # without its video's URL: only the path names it
            (root / name).write_text((FIXTURES / name).read_text().replace("Source: https://www.youtube.com", "At: "))
        else:
            shutil.copy(FIXTURES / name, root / name)
    assert importer_for(roots[0] / name) is not None
    one = run_import(store, [str(roots[0])], ImportOptions(thinker="ada"))
    two = run_import(store, [str(roots[1])], ImportOptions(thinker="ada"))
    assert one.added > 0 and counts(two) == (one.added, 0, 0)
    assert store.document_count() == 2 * one.added


@needs_git
def test_three_git_repos_keep_three_readmes(store, tmp_path):
    for name in ("nanoGPT", "minGPT", "micrograd"):
        repo = write(tmp_path / name, {"README.md": f"# {name}\n\nThe {name} project."})
        git(repo, "init", "-q", "-b", "master")
        git(repo, "remote", "add", "origin", f"https://github.com/karpathy/{name}.git")
        commit(repo, {}, "readme", "2022-01-01T00:00:00Z")
        assert counts(run_import(store, [str(repo)], ImportOptions(thinker="karpathy"))) == (1, 0, 0)
    assert readmes(store) == ["micrograd\n\nThe micrograd project.", "minGPT\n\nThe minGPT project.",
                              "nanoGPT\n\nThe nanoGPT project."]  # fmt: skip
    origins = {r["origin"] for r in store.rows("SELECT origin FROM documents")}
    assert origins == {f"git:github.com/karpathy/{name}" for name in ("nanogpt", "mingpt", "micrograd")}


def test_karpathy_project_readmes_imported_one_by_one_all_kept(store, corpora):
    projects = corpora / "karpathy" / "project-writing"
    names = ("nanoGPT", "minGPT", "micrograd")
    for name in names:
        run_import(store, [str(projects / name)], ImportOptions(thinker="karpathy"))
    tops = store.rows("SELECT origin FROM documents WHERE source_id = 'README.md'")
    assert sorted(r["origin"].rsplit("/", 1)[-1] for r in tops) == sorted(names)


@needs_git
def test_a_moved_checkout_or_another_clone_of_the_repository_changes_nothing(store, tmp_path, monkeypatch):
    repo = write(tmp_path / "notes", {"README.md": "Notes.", "posts/a.md": "First post.", "posts/b.md": "Second."})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "git@github.com:Ada/notes.git")
    commit(repo, {}, "notes", "2022-01-01T00:00:00Z")
    assert counts(run_import(store, [str(repo)], ImportOptions())) == (3, 0, 0)
    assert counts(run_import(store, [str(repo / "posts")], ImportOptions())) == (2, 0, 0)  # a folder in it: a root

    moved = repo.rename(tmp_path / "elsewhere")
    monkeypatch.chdir(tmp_path)
    assert counts(run_import(store, ["elsewhere"], ImportOptions())) == (0, 0, 3)  # moved, named relatively
    assert counts(run_import(store, [str(moved / "posts")], ImportOptions())) == (0, 0, 2)

    other = Path(shutil.copytree(moved, tmp_path / "another-clone"))
    git(other, "remote", "set-url", "origin", "https://github.com/ada/notes")  # another spelling of the remote
    assert counts(run_import(store, [str(other)], ImportOptions())) == (0, 0, 3)
    assert store.document_count() == 5


@needs_git
def test_a_repository_without_a_remote_is_named_by_its_first_commit(store, tmp_path):
    repo = write(tmp_path / "local", {"about.md": "Only here."})
    git(repo, "init", "-q", "-b", "main")
    first = commit(repo, {}, "first", "2022-01-01T00:00:00Z")
    run_import(store, [str(repo)], ImportOptions())
    assert store.rows("SELECT origin FROM documents")[0]["origin"] == f"git-root:{first}"
    assert counts(run_import(store, [str(repo.rename(tmp_path / "moved"))], ImportOptions())) == (0, 0, 1)


def test_a_plain_folder_by_relative_or_absolute_path_or_symlink_is_the_same_root(store, tmp_path, monkeypatch):
    folder = write(tmp_path / "blog", {"about.md": "About me."})
    (tmp_path / "link").symlink_to(folder)
    run_import(store, [str(folder)], ImportOptions())
    monkeypatch.chdir(tmp_path)
    assert counts(run_import(store, ["blog"], ImportOptions())) == (0, 0, 1)
    assert counts(run_import(store, ["./link/"], ImportOptions())) == (0, 0, 1)
    assert store.rows("SELECT origin FROM documents") == [{"origin": f"path:{folder.resolve().as_posix()}"}]


def test_an_archive_and_its_extracted_folder_are_the_same_tweets(store, tmp_path):
    folder = shutil.copytree(FIXTURES / "x_archive", tmp_path / "extracted")
    archive = tmp_path / "twitter.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in Path(folder).rglob("*"):
            zf.write(path, path.relative_to(folder).as_posix())
    first = run_import(store, [str(folder)], ImportOptions(thinker="ada"))
    again = run_import(store, [str(archive)], ImportOptions(thinker="ada"))
    assert first.added > 0 and counts(again) == (0, 0, first.added)
    assert {r["origin"] for r in store.rows("SELECT DISTINCT origin FROM documents")} == {""}


def test_reimport_with_other_thinker_is_reported(db, run, tmp_path):
    folder = write(tmp_path / "blog", {"about.md": "About me.", "now.md": "What I do now."})
    run("import", folder, "--thinker", "ada", "--db", db)
    moved = run("import", folder, "--thinker", "grace", "--db", db)
    assert moved.exit_code == 0
    assert moved.output.splitlines()[-2:] == [
        "0 added, 2 updated, 0 unchanged, 0 skipped",
        "2 moved from thinker 'ada' to 'grace' (--thinker grace)",
    ]
    kept = run("import", folder, "--db", db, "--json")  # no --thinker: each document keeps its thinker
    assert '"unchanged": 2' in kept.output and '"moved": []' in kept.output
    with closing(open_store(db, read_only=True)) as store:
        assert store.thinkers() == ["grace"]


def test_reimport_with_other_thinker_keeps_passages_and_reports_json(store, tmp_path):
    folder = write(tmp_path / "blog", {"about.md": "About me."})
    run_import(store, [str(folder)], ImportOptions(thinker="ada"))
    report = run_import(store, [str(folder)], ImportOptions(thinker="grace"))
    assert report.as_dict()["moved"] == [{"from": "ada", "to": "grace", "documents": 1}]
    assert counts(report) == (0, 1, 0)
    assert store.thinkers() == ["grace"]


@pytest.mark.parametrize(
    "spelling",
    [
        "https://github.com/karpathy/nanoGPT.git",
        "https://github.com/karpathy/nanoGPT",
        "https://www.github.com/karpathy/nanogpt/",
        "git@github.com:karpathy/nanoGPT.git",
        "ssh://git@github.com:22/karpathy/nanoGPT",
        "https://someone:ghp_secret@github.com/karpathy/nanoGPT.git",
    ],
)
def test_git_identity_is_one_spelling_of_a_repository(spelling):
    assert git_identity(spelling) == "git:github.com/karpathy/nanogpt"


def test_identities_never_keep_credentials_and_local_remotes_are_absolute(tmp_path):
    assert git_identity("https://me:token@git.example.org/Team/Repo.git") == "git:git.example.org/Team/Repo"
    assert url_identity("https://me:pw@Example.org/a/paper.pdf#p2") == "url:https://example.org/a/paper.pdf"
    assert git_identity("../upstream.git", tmp_path / "repo") == f"git:file:{(tmp_path / 'upstream').as_posix()}"


# -- m008: workspaces written before identity included the root ------------------------------


def _legacy_rows(folder: Path) -> tuple[list[tuple], list[tuple]]:
    """The rows an import before m008 wrote for ``folder``: ids from (source, relative path) only."""
    options = ImportRun(thinker="karpathy", root=folder)
    documents, passages = [], []
    for path in sorted(folder.glob("*.md")):
        importer = importer_for(path)
        for doc in importer.read(path, options):
            doc_id, _, _, row, passage_rows = prepare(doc, "karpathy", 1)
            assert doc_id == document_id("markdown", doc.source_id)  # the old formula: no origin
            documents.append(row[:15])  # the 15 columns before m008
            passages.extend(passage_rows)
    return documents, passages


def _sqlite_legacy(path: Path, documents, passages) -> None:
    conn = sqlite3.connect(path)
    migrations.apply(Database(conn), stop_before="m008_document_identity")
    _fill(conn.cursor(), "?", documents, passages)
    conn.commit()
    conn.close()


def _pg_legacy(url: str, documents, passages) -> None:
    import psycopg

    from deepinsights.backends.postgresql import migrations as pg_migrations

    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute(f"CREATE TABLE {pg_migrations.TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        for name, script in pg_migrations.MIGRATIONS[:7]:
            conn.execute(script)
            conn.execute(f"INSERT INTO {pg_migrations.TABLE} VALUES (%s, '2024-01-01T00:00:00Z')", (name,))
        _fill(conn.cursor(), "%s", documents, passages)
        conn.execute("SELECT setval(pg_get_serial_sequence('passages', 'id'), max(id)) FROM passages")


def _fill(cursor, mark: str, documents, passages) -> None:
    def values(n: int) -> str:
        return ", ".join([mark] * n)

    cursor.execute("INSERT INTO imports (started_at, finished_at, paths) VALUES ('x', 'y', '[]')")
    cursor.executemany(f"INSERT INTO documents VALUES ({values(15)})", documents)
    for n, row in enumerate(passages, start=1):
        cols = 'id, document_id, ordinal, start, "end", title, text, anchor, url'
        cursor.execute(f"INSERT INTO passages ({cols}) VALUES ({values(9)})", (n, *row[:8]))  # before m010's own
        cursor.execute(
            f"INSERT INTO passage_vectors VALUES ({values(5)})", (n, "minilm", f"hash{n}", 1, bytes([n % 256]) * 8)
        )


def test_m008_keeps_documents_vectors_and_references(backend, request, tmp_path, corpora):
    projects = corpora / "karpathy" / "project-writing"
    nano = shutil.copytree(projects / "nanoGPT", tmp_path / "nanoGPT")
    documents, passages = _legacy_rows(nano)
    if backend == "sqlite":
        db = str(tmp_path / "old.db")
        _sqlite_legacy(Path(db), documents, passages)
    else:
        db = request.getfixturevalue("pg_url")
        _pg_legacy(db, documents, passages)
    quote = " ".join(documents[0][7].split()[10:22])  # twelve words of the README, as a profile would quote them

    with closing(open_store(db)) as store:  # opening for writing applies m008
        assert [r["id"] for r in store.rows("SELECT id FROM documents")] == [documents[0][0]]
        assert store.rows("SELECT origin FROM documents") == [{"origin": None}]
        found = locate(quote, store)
        assert found.status == VERBATIM and found.location.document_id == documents[0][0]
        before = store.rows("SELECT id, document_id FROM passages ORDER BY id")
        assert store.integrity_check() == "ok"

        report = run_import(store, [str(nano)], ImportOptions(thinker="karpathy"))  # the same folder again
        assert counts(report) == (0, 0, 1)
        (row,) = store.rows("SELECT id, origin, source, source_id FROM documents")
        assert row["origin"] == f"path:{nano.resolve().as_posix()}"
        assert row["id"] == document_id("markdown", "README.md", row["origin"]) != documents[0][0]
        after = store.rows("SELECT id, document_id FROM passages ORDER BY id")
        assert [p["id"] for p in after] == [p["id"] for p in before]  # passages kept: their vectors still apply
        assert {p["document_id"] for p in after} == {row["id"]}
        joined = store.rows("SELECT count(*) AS n FROM passage_vectors v JOIN passages p ON p.id = v.passage_id")
        assert joined[0]["n"] == len(passages)
        found = locate(quote, store)
        assert found.status == VERBATIM and found.location.document_id == row["id"]

        micro = shutil.copytree(projects / "micrograd", tmp_path / "micrograd")  # its README.md too: a new document
        assert counts(run_import(store, [str(micro)], ImportOptions(thinker="karpathy"))) == (1, 0, 0)
        assert len(readmes(store)) == 2
        assert store.integrity_check() == "ok"


def test_m008_after_later_migrations_keeps_imports_working(backend, request, tmp_path):
    """A workspace made before m008 landed but after m009/m010: m008 runs last, its column is the table's last."""
    if backend == "sqlite":
        db = str(tmp_path / "old.db")
        database = Database(sqlite3.connect(db))
        migrations.apply(database, stop_before="m008_document_identity")
        for later in [m for m in migrations._migrations if m.name > "m008_document_identity"]:
            later.fn(database)
            database["_sqlite_migrations"].insert(
                {"migration_set": "deepinsights", "name": later.name, "applied_at": "x"}
            )
        database.conn.close()
    else:
        import psycopg

        from deepinsights.backends.postgresql import migrations as pg_migrations

        db = request.getfixturevalue("pg_url")
        with psycopg.connect(db, autocommit=True) as conn, conn.transaction():
            conn.execute(f"CREATE TABLE {pg_migrations.TABLE} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
            for name, script in pg_migrations.MIGRATIONS:
                if name != "m008_document_identity":
                    conn.execute(script)
                    conn.execute(f"INSERT INTO {pg_migrations.TABLE} VALUES (%s, 'x')", (name,))
    folder = write(tmp_path / "blog", {"about.md": "About me.", "README.md": "Read me."})
    with closing(open_store(db)) as store:
        assert counts(run_import(store, [str(folder)], ImportOptions(thinker="ada"))) == (2, 0, 0)
        assert counts(run_import(store, [str(folder)], ImportOptions(thinker="ada"))) == (0, 0, 2)
        origins = {r["origin"] for r in store.rows("SELECT origin FROM documents")}
        assert origins == {f"path:{folder.resolve().as_posix()}"}


def test_m008_leaves_a_legacy_row_of_another_thinker_alone(store, tmp_path):
    folder = write(tmp_path / "blog", {"about.md": "About ada."})
    with store.transaction():  # a row as an import before m008 left it: no origin, the old id
        store.execute(
            "INSERT INTO documents (id, thinker, kind, source, source_id, text, words, content_hash) "
            "VALUES (?, 'ada', 'page', 'markdown', 'about.md', 'About ada.', 2, 'old')",
            (document_id("markdown", "about.md"),),
        )
    report = run_import(store, [str(folder)], ImportOptions(thinker="grace"))  # maybe grace's own about.md
    assert counts(report) == (1, 0, 0)
    assert sorted(r["thinker"] for r in store.rows("SELECT thinker FROM documents")) == ["ada", "grace"]
    legacy = store.rows("SELECT thinker, content_hash FROM documents WHERE origin IS NULL")
    assert legacy == [{"thinker": "ada", "content_hash": "old"}]
