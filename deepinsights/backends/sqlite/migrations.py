"""The workspace schema, as named migrations applied in order when a store opens.

A migration that has shipped is never edited: add a new one. ``docs/schema.md`` is
generated from these by running them on an in-memory database.
"""

from __future__ import annotations

from functools import lru_cache

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("deepinsights")
MIGRATIONS_TABLE = Migrations.migrations_table
FILTERS_INDEX = "idx_documents_filters"  # m013's; search names it where the workspace has it
FILTERS_MIGRATION = "m013_document_filters_index"

# Migrations that reading does not need: a workspace lacking only these opens read-only (where
# it cannot be migrated) as well as writable. m006 is a write-buffer setting; m007 is a no-op here;
# m008 adds a column that only writing reads (and ``db copy``, which asks for it: ``Store.unmigrated``);
# m009 changes how the index is declared for Datasette, not what it holds; m010's own-words
# columns are read only by distill, which opens the workspace writable (migrating it); m011's lease
# is read by the page only where it exists (``semantic.lease``); m012's 4-character prefix index
# makes prefix search faster, and FTS5 finds the same rows without it; so does m013's index for
# filtered searches (search names it only where it exists).
READ_COMPATIBLE = frozenset(
    {
        "m006_fts_hashsize",
        "m007_fold_diacritics",
        "m008_document_identity",
        "m009_datasette_fts",
        "m010_own_words",
        "m011_index_lease",
        "m012_fts_prefix_4",
        FILTERS_MIGRATION,
    }
)


def known() -> list[str]:
    """Every migration this version knows, in order (the PostgreSQL ladder names the same ones)."""
    return [m.name for m in migrations._migrations]


@lru_cache(maxsize=4)
def created_schema(applied: tuple[str, ...]) -> dict[tuple[str, str], str | None]:
    """(type, name) -> SQL of every schema object these migrations create, run in this order on an empty database.

    Measured by running them on an in-memory database, so it is never a hand-kept list;
    ``trust`` compares a workspace with it. Names this version does not know are left out.
    """
    by_name = {m.name: m for m in migrations._migrations}
    replay = Migrations(migrations.name)
    for name in applied:
        if name in by_name:
            replay(name=name)(by_name[name].fn)
    db = Database(memory=True)
    try:
        replay.apply(db)
        return {(kind, name): sql for kind, name, sql in db.execute("SELECT type, name, sql FROM sqlite_master")}
    finally:
        db.close()


@migrations()
def m001_documents(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            thinker TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT NOT NULL,
            source_id TEXT NOT NULL,
            source_path TEXT,
            title TEXT,
            text TEXT NOT NULL,
            url TEXT,
            published_at TEXT,
            words INTEGER NOT NULL,
            content_hash TEXT NOT NULL,
            meta TEXT,
            raw TEXT,
            import_id INTEGER
        );
        CREATE UNIQUE INDEX idx_documents_source ON documents (source, source_id);
        CREATE INDEX idx_documents_thinker_kind_date ON documents (thinker, kind, published_at);
        CREATE INDEX idx_documents_date ON documents (published_at);

        CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            document_id TEXT NOT NULL REFERENCES documents(id),
            ordinal INTEGER NOT NULL,
            start INTEGER NOT NULL,
            "end" INTEGER NOT NULL,
            title TEXT,
            text TEXT NOT NULL,
            anchor TEXT,
            url TEXT
        );
        CREATE INDEX idx_passages_document ON passages (document_id, ordinal);

        CREATE TABLE imports (
            id INTEGER PRIMARY KEY,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            paths TEXT NOT NULL,
            thinker TEXT,
            added INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            skipped TEXT,
            sources TEXT
        );
        """
    )


@migrations()
def m002_passages_fts(db: Database) -> None:
    """Full-text index over passages, kept in step by triggers.

    subtle: the 2- and 3-character prefix indexes are for search as you type (``mi*``):
    without them FTS5 expands a prefix by scanning every term that starts so.
    """
    db.executescript(
        """
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, text,
            content='passages', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2',
            prefix='2 3'
        );
        CREATE TRIGGER passages_ai AFTER INSERT ON passages BEGIN
            INSERT INTO passages_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        CREATE TRIGGER passages_ad AFTER DELETE ON passages BEGIN
            INSERT INTO passages_fts (passages_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        END;
        CREATE TRIGGER passages_au AFTER UPDATE ON passages BEGIN
            INSERT INTO passages_fts (passages_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO passages_fts (rowid, title, text) VALUES (new.id, new.title, new.text);
        END;
        """
    )


@migrations()
def m003_imports_provenance(db: Database) -> None:
    """Where each imported source came from: {source: {"url": …} or {"git": …, "commit": …}} as JSON."""
    db.executescript("ALTER TABLE imports ADD COLUMN provenance TEXT;")


@migrations()
def m004_passage_vectors(db: Database) -> None:
    """Passage embeddings for semantic search: one model per workspace, float16 BLOBs.

    ``text_hash`` tells a passage whose text changed (ids can be reused) from one already
    embedded; ``generation`` is the ``vector_meta`` generation of the batch that wrote the
    row, so the ANN index file beside the database syncs only rows newer than itself. An
    empty ``vector`` marks a passage with nothing to embed.
    """
    db.executescript(
        """
        CREATE TABLE passage_vectors (
            passage_id INTEGER PRIMARY KEY,
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            generation INTEGER NOT NULL,
            vector BLOB NOT NULL
        );
        CREATE INDEX idx_passage_vectors_generation ON passage_vectors (generation);
        CREATE TABLE vector_meta (
            key TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )


@migrations()
def m005_fts_prefix_3(db: Database) -> None:
    """Keep only the 3-character prefix index of ``passages_fts``.

    subtle: search never prefix-searches a word shorter than 3 characters (``search.MIN_PREFIX``),
    so the 2-character index was built on every import and never read; dropping it makes
    imports about 10% faster and the index smaller. The triggers on ``passages`` name the
    table, not its definition, so they stay as they are.
    """
    db.executescript(
        """
        DROP TABLE passages_fts;
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, text,
            content='passages', content_rowid='id',
            tokenize='porter unicode61 remove_diacritics 2',
            prefix='3'
        );
        INSERT INTO passages_fts (passages_fts) VALUES ('rebuild');
        """
    )


FTS_HASH_BYTES = 32 * 2**20


@migrations()
def m006_fts_hashsize(db: Database) -> None:
    """Let FTS5 hold 32 MiB of new index data in memory before writing a segment (default 1 MiB).

    subtle: with the default, a large import writes a small segment every megabyte and spends
    half of its indexing time merging them; at 32 MiB indexing 200,000 tweets takes 0.96 s
    instead of 1.75 (bench/README.md), and the index is no bigger. The setting is stored in
    ``passages_fts_config``, so it holds for every later write; only a writing connection
    uses the memory, and only while it writes.
    """
    db.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('hashsize', ?)", [FTS_HASH_BYTES])


@migrations()
def m007_fold_diacritics(db: Database) -> None:
    """Nothing to do: PostgreSQL's m007 folds diacritics as ``unicode61 remove_diacritics 2`` already does here.

    Recorded so that a schema version means the same on both backends.
    """


@migrations()
def m008_document_identity(db: Database) -> None:
    """A document's identity includes the root it was imported from: ``documents.origin`` (see ``models``).

    Rows already stored keep their ids, passages, full-text entries and vectors; their
    ``origin`` is NULL ("imported before this migration") until an import yields them again
    and adopts them (``store.ImportWrites.adopt_legacy``). The unique key becomes
    (source, origin, source_id), so two roots holding the same relative path are two documents;
    the partial index finds the rows still waiting to be adopted.
    """
    db.executescript(
        """
        ALTER TABLE documents ADD COLUMN origin TEXT;
        DROP INDEX idx_documents_source;
        CREATE UNIQUE INDEX idx_documents_identity ON documents (source, origin, source_id);
        CREATE INDEX idx_documents_unadopted ON documents (source, source_id) WHERE origin IS NULL;
        """
    )


@migrations()
def m009_datasette_fts(db: Database) -> None:
    """Declare ``passages_fts``'s content table the way Datasette and sqlite-utils look for it.

    subtle: both find a table's full-text index by the text of its CREATE statement,
    ``content="passages"`` or ``content=[passages]``; m002 wrote ``content='passages'``, which
    FTS5 reads the same but neither tool matches, so Datasette showed no search box on
    ``passages`` and ignored ``?_search=``. The table is re-created and its index rebuilt
    (about a second per 200,000 passages); m006's buffer setting lives in the index's own config
    table, so it is set again.
    """
    db.executescript(
        """
        DROP TABLE passages_fts;
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, text,
            content="passages", content_rowid="id",
            tokenize='porter unicode61 remove_diacritics 2',
            prefix='3'
        );
        INSERT INTO passages_fts (passages_fts) VALUES ('rebuild');
        """
    )
    db.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('hashsize', ?)", [FTS_HASH_BYTES])


@migrations()
def m010_own_words(db: Database) -> None:
    """Which text is the thinker's own words (see ``ownwords``).

    ``documents.others``: JSON ``[[start, end, reason], …]``, the spans of the text that are
    someone else's words or not prose (quotes, reposts, link titles, code…); NULL when none.
    ``passages.own``: the share of the passage's characters outside those spans (1 all own,
    0 none), so a search or a count can keep own words with a plain ``WHERE own > 0``.

    Existing workspaces: reposts are marked here (the whole text is someone else's); every
    other document counts as own words until its source is imported again, which marks it
    (a document whose marking changes is counted as updated).
    subtle: marking the reposts' passages re-indexes them through the ``passages_au`` trigger.
    """
    db.executescript(
        """
        ALTER TABLE documents ADD COLUMN others TEXT;
        ALTER TABLE passages ADD COLUMN own REAL NOT NULL DEFAULT 1;
        UPDATE documents SET others = json_array(json_array(0, length(text), 'repost'))
            WHERE kind = 'repost' AND length(text) > 0;
        UPDATE passages SET own = 0 WHERE document_id IN (SELECT id FROM documents WHERE kind = 'repost');
        """
    )


@migrations()
def m011_index_lease(db: Database) -> None:
    """Who is computing passage vectors now (``semantic.lease``): one row while a process holds it.

    ``host``, ``pid`` and ``pid_started`` (the process's start time, so a reused pid is not
    taken for the holder) let a process on the same machine see at once that the holder died,
    even by ``kill -9``; ``heartbeat_at`` (Unix seconds) ages a holder on another machine out.
    ``scope`` is ``all`` (``insights index``) or ``import`` (an import embedding only its own
    passages); ``done``/``total`` are its progress, for the page.
    """
    db.executescript(
        """
        CREATE TABLE index_lease (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            scope TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            pid_started TEXT NOT NULL,
            acquired_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0
        );
        """
    )


@migrations()
def m012_fts_prefix_4(db: Database) -> None:
    """Index 4-character prefixes as well as 3-character ones, for search as you type.

    subtle: without a prefix index FTS5 answers ``kalo*`` by merging the lists of every term
    that starts so; with one it reads a single list. The page prefix-searches the word being
    typed, so every word passes through four letters: at 100,000 tweets ``kalo*`` took 12.4 ms
    to search and now takes 5.4. It costs 30% more full-text index (8% more file) and 17% more
    time writing passages through the triggers, which the import's pipeline mostly hides (200,000
    tweets: 9.4 s against 9.0–9.5; bench/README.md). The table is re-created and its index
    rebuilt (about a second per 100,000 passages), as in m009.
    """
    db.executescript(
        """
        DROP TABLE passages_fts;
        CREATE VIRTUAL TABLE passages_fts USING fts5(
            title, text,
            content="passages", content_rowid="id",
            tokenize='porter unicode61 remove_diacritics 2',
            prefix='3 4'
        );
        INSERT INTO passages_fts (passages_fts) VALUES ('rebuild');
        """
    )
    db.execute("INSERT INTO passages_fts (passages_fts, rank) VALUES ('hashsize', ?)", [FTS_HASH_BYTES])


@migrations()
def m013_document_filters_index(db: Database) -> None:
    """An index of each document's id with what a search filters on: kind, date, thinker.

    subtle: a filtered search walks its matches newest first and looks up each one's document
    to test the filter. Through the primary key that is two lookups (the key's index, then the
    table's wide rows); this covering index answers in one. The page's filtered searches took
    1.17 times less CPU at 100,000 tweets, 1.20 once 50,000 more were imported
    (``bench/bench_filters.py``); the file grows 5.6%, and writing a document updates one more index.
    """
    db.execute(f"CREATE INDEX {FILTERS_INDEX} ON documents (id, kind, published_at, thinker)")
