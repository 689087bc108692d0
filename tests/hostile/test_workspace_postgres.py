"""Issue 19 items 5 and 6 on PostgreSQL: another application's database is refused untouched, and a
workspace schema holding triggers, rules, policies or functions the migrations did not create is
not written to until ``--trust-schema``. Real throwaway clusters (tests/pg.py)."""

from __future__ import annotations

import psycopg
import pytest

from deepinsights.backends.postgresql import PgStore
from deepinsights.backends.postgresql.trust import unexpected_objects

from ..conftest import FIXTURES

pytestmark = pytest.mark.postgresql


def sql(url: str, script: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(script)


def relations(url: str) -> list[str]:
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace ORDER BY 1")
        return [r[0] for r in rows]


def one_line_error(result, *needles: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    for needle in needles:
        assert needle in lines[0], lines[0]


@pytest.mark.parametrize("command", [["import", str(FIXTURES / "blog")], ["search", "engine"], ["stats"]])
def test_another_applications_database_is_refused_and_left_unchanged(pg_url, run, command):
    sql(pg_url, "CREATE TABLE users (id int PRIMARY KEY, email text); CREATE TABLE documents (id int, body text)")
    before = relations(pg_url)
    one_line_error(run(*command, "--db", pg_url), "is not a deep-insights workspace", "documents, users")
    assert relations(pg_url) == before  # no _deepinsights_migrations, no tables of ours


def test_an_extensions_objects_do_not_make_a_database_foreign(pg_url, run):
    sql(pg_url, "CREATE EXTENSION IF NOT EXISTS citext")  # its types and functions live in public
    assert run("import", FIXTURES / "blog", "--db", pg_url).exit_code == 0


PLANTED = {
    "trigger": "CREATE FUNCTION steal() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "NEW.thinker := 'mallory'; RETURN NEW; END $$; "
    "CREATE TRIGGER steal BEFORE INSERT ON documents FOR EACH ROW EXECUTE FUNCTION steal()",
    "rule": "CREATE RULE plant AS ON INSERT TO passages DO ALSO UPDATE imports SET thinker = 'mallory'",
    "policy": "ALTER TABLE documents ENABLE ROW LEVEL SECURITY; "
    "CREATE POLICY hide ON documents USING (thinker <> 'ada')",
    "replaced-function": "CREATE OR REPLACE FUNCTION deepinsights_fold(text) RETURNS text LANGUAGE sql "
    "IMMUTABLE STRICT AS $$ SELECT 'planted' $$",
    "column-default": "ALTER TABLE passages ALTER COLUMN anchor SET DEFAULT 'planted'",
    "index-on-expression": "CREATE FUNCTION spy(text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT $1 $$; "
    "CREATE INDEX watch ON documents (spy(text))",
    "view": "CREATE VIEW everything AS SELECT * FROM documents",
    "event-trigger": "CREATE FUNCTION on_ddl() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN END $$; "
    "CREATE EVENT TRIGGER on_ddl ON ddl_command_start EXECUTE FUNCTION on_ddl()",
}


@pytest.mark.parametrize("name", PLANTED)
def test_a_planted_schema_object_never_runs_on_import(pg_migrated_url, run, name):
    assert run("import", FIXTURES / "blog", "--thinker", "ada", "--db", pg_migrated_url).exit_code == 0
    sql(pg_migrated_url, PLANTED[name])
    result = run("import", FIXTURES / "x_archive", "--thinker", "ada", "--db", pg_migrated_url)
    one_line_error(result, "did not create", "--trust-schema")
    store = PgStore(pg_migrated_url, read_only=True)
    try:
        assert store.document_count() == 4 and store.thinkers() == ["ada"]
    finally:
        store.close()


def test_trust_schema_writes_and_the_listing_names_the_objects(pg_migrated_url, run):
    sql(pg_migrated_url, PLANTED["trigger"])
    refused = run("import", FIXTURES / "blog", "--thinker", "ada", "--db", pg_migrated_url)
    assert "function steal(); trigger steal on documents." in refused.output
    assert (
        run("import", FIXTURES / "blog", "--thinker", "ada", "--db", pg_migrated_url, "--trust-schema").exit_code == 0
    )
    store = PgStore(pg_migrated_url, read_only=True)
    try:
        assert store.thinkers() == ["mallory"]  # the user's call: their trigger ran
    finally:
        store.close()


def test_what_the_migrations_create_is_expected(pg_migrated_url, run):
    assert run("import", FIXTURES / "blog", "--db", pg_migrated_url).exit_code == 0
    sql(pg_migrated_url, "ANALYZE")
    with psycopg.connect(pg_migrated_url, autocommit=True) as conn:
        applied = [r[0] for r in conn.execute("SELECT name FROM _deepinsights_migrations ORDER BY name")]
        assert unexpected_objects(conn, applied) == []
        assert conn.execute(
            "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'deepinsights_expected%'"
        ).fetchone() == (0,)
