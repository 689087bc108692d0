"""``trust`` for PostgreSQL: refuse a database that is not a workspace, or one whose schema runs foreign SQL.

* ``refuse_foreign(conn, location)``: a database whose schema (``current_schema()``) holds
  another application's tables, views, functions or types, and no deep-insights migrations,
  is refused before anything is created in it. Objects that belong to an extension
  (pgvector's, PostGIS's ``spatial_ref_sys``) do not count: an otherwise empty database is new.
* ``refuse_untrusted(conn, location, applied)``: before a writing command migrates or writes,
  the workspace schema's catalog (tables, columns with their defaults and generated
  expressions, indexes, constraints, triggers, rules, row-security policies, functions, types,
  operators, text search configurations) is compared with what the applied migrations create,
  measured by running them in a scratch schema inside a transaction that is rolled back (so
  never a hand-kept list), once per server version in a process. Anything added or changed,
  and any event trigger in the database, is refused and listed until ``--trust-schema``.
  The pgvector table ``semantic`` creates outside the migrations (``passage_embeddings``, its
  key and HNSW index) is expected; a trigger, rule or policy on it is not.

It does not open or migrate workspaces (``store`` does).
"""

from __future__ import annotations

from typing import Any

import psycopg

from ...errors import StoreError
from . import migrations

LISTED = 6
SCRATCH = "deepinsights_expected_schema"
# Made by semantic search (``vectors``), not by a migration: expected by name, for these kinds only.
LAZY = ("passage_embeddings",)
LAZY_KINDS = frozenset({"table", "index", "column", "constraint"})
_EXPECTED: dict[tuple[int, tuple[str, ...]], frozenset[tuple[str, str, str]]] = {}

_NOT_EXTENSION = "NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = {oid} AND d.deptype = 'e')"
_CATALOG = (
    # relations, and views' definitions
    "SELECT CASE c.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view' "
    "WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index' WHEN 'I' THEN 'index' WHEN 'S' THEN 'sequence' "
    "WHEN 'f' THEN 'foreign table' ELSE 'relation' END, c.relname, "
    "CASE WHEN c.relkind IN ('i', 'I') THEN pg_get_indexdef(c.oid) WHEN c.relkind IN ('v', 'm') "
    "THEN pg_get_viewdef(c.oid) ELSE '' END || CASE WHEN c.relrowsecurity THEN ' row security' ELSE '' END "
    "FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind <> 'c' AND c.relkind <> 't' AND "
    + _NOT_EXTENSION.format(oid="c.oid"),
    # columns: type, nullability, default or generated expression, identity, collation
    "SELECT 'column', c.relname || '.' || a.attname, format_type(a.atttypid, a.atttypmod) || ' ' || a.attnotnull::text "
    "|| ' ' || coalesce(pg_get_expr(ad.adbin, ad.adrelid), '') || ' ' || a.attgenerated::text || a.attidentity::text "
    "|| ' ' || a.attcollation::regcollation::text "
    "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
    "LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum "
    "WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 "
    "AND NOT a.attisdropped AND " + _NOT_EXTENSION.format(oid="c.oid"),
    # constraints of tables and of domains
    "SELECT 'constraint', coalesce(c.relname, t.typname, '') || '.' || k.conname, pg_get_constraintdef(k.oid) "
    "FROM pg_constraint k LEFT JOIN pg_class c ON c.oid = k.conrelid LEFT JOIN pg_type t ON t.oid = k.contypid "
    "WHERE k.connamespace = %(ns)s AND " + _NOT_EXTENSION.format(oid="k.oid"),
    # triggers that users write (constraint triggers of foreign keys are internal)
    "SELECT 'trigger', t.tgname || ' on ' || c.relname, pg_get_triggerdef(t.oid) "
    "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal",
    "SELECT 'rule', rulename || ' on ' || tablename, definition FROM pg_rules WHERE schemaname = %(name)s",
    "SELECT 'policy', policyname || ' on ' || tablename, coalesce(qual, '') || ' ' || coalesce(with_check, '') "
    "FROM pg_policies WHERE schemaname = %(name)s",
    "SELECT 'function', p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')', "
    "CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prokind::text END "
    "FROM pg_proc p WHERE p.pronamespace = %(ns)s AND " + _NOT_EXTENSION.format(oid="p.oid"),
    "SELECT 'type', t.typname, t.typtype::text FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typrelid = 0 "
    "AND NOT (t.typelem <> 0 AND t.typlen = -1) AND " + _NOT_EXTENSION.format(oid="t.oid"),
    "SELECT 'operator', o.oprname || '(' || o.oprleft::regtype || ', ' || o.oprright::regtype || ')', "
    "o.oprcode::text FROM pg_operator o WHERE o.oprnamespace = %(ns)s AND " + _NOT_EXTENSION.format(oid="o.oid"),
    "SELECT 'text search configuration', c.cfgname, coalesce((SELECT string_agg(m.maptokentype || ':' "
    "|| m.mapdict::regdictionary::text, ',' ORDER BY m.maptokentype, m.mapseqno) FROM pg_ts_config_map m "
    "WHERE m.mapcfg = c.oid), '') FROM pg_ts_config c WHERE c.cfgnamespace = %(ns)s",
    "SELECT 'text search dictionary', d.dictname, d.dicttemplate::regproc::text || ' ' || "
    "coalesce(d.dictinitoption, '') FROM pg_ts_dict d WHERE d.dictnamespace = %(ns)s",
)
_EVENT_TRIGGERS = "SELECT 'event trigger', evtname, evtevent FROM pg_event_trigger e WHERE " + _NOT_EXTENSION.format(
    oid="e.oid"
)


def refuse_foreign(conn: psycopg.Connection[Any], location: str) -> None:
    """Raise ``StoreError`` when the schema holds objects and the database is not a workspace."""
    schema = _current_schema(conn)
    found = sorted(name for kind, name, _ in _catalog(conn, schema) if kind in ("table", "view", "function", "type"))
    if found:
        shown = ", ".join(found[:LISTED]) + (f" and {len(found) - LISTED} more" if len(found) > LISTED else "")
        raise StoreError(
            f"PostgreSQL database '{location}' is not a deep-insights workspace: its schema {schema} holds another "
            f"application's objects ({shown}). Nothing was changed; use an empty database (createdb NAME)."
        )


def refuse_untrusted(conn: psycopg.Connection[Any], location: str, applied: list[str]) -> None:
    """Raise ``StoreError`` listing what the workspace schema holds that the ``applied`` migrations do not create."""
    found = unexpected_objects(conn, applied)
    if found:
        shown = "; ".join(found[:LISTED]) + (f"; and {len(found) - LISTED} more" if len(found) > LISTED else "")
        raise StoreError(
            f"Workspace '{location}' holds schema objects deep-insights did not create, which would run on this "
            f"command's writes: {shown}. Inspect them with psql (\\d+ documents, \\dy for event triggers) — drop "
            "them, or pass --trust-schema to write anyway."
        )


def unexpected_objects(conn: psycopg.Connection[Any], applied: list[str]) -> list[str]:
    """Each catalog entry of the workspace schema that the migrations do not create, in a few words."""
    expected = created_catalog(conn, applied)
    actual = _catalog(conn, _current_schema(conn))
    events = {(str(k), str(n), str(d)) for k, n, d in conn.execute(_EVENT_TRIGGERS).fetchall()}
    known_names = {(kind, name) for kind, name, _ in expected}
    found = []
    for kind, name, _ in sorted((actual - expected) | events):
        if kind in LAZY_KINDS and name.startswith(LAZY):
            continue
        found.append(f"{kind} {name}" + (" (changed)" if (kind, name) in known_names else ""))
    return found


def created_catalog(conn: psycopg.Connection[Any], applied: list[str]) -> frozenset[tuple[str, str, str]]:
    """The catalog the ``applied`` migrations create, measured in a scratch schema and rolled back."""
    version = int(conn.info.server_version)
    key = (version, tuple(applied))
    if key not in _EXPECTED:
        scripts = dict(migrations.MIGRATIONS)
        try:
            with conn.transaction():
                conn.execute(f"CREATE SCHEMA {SCRATCH}")
                conn.execute(f"SET LOCAL search_path = {SCRATCH}")
                conn.execute(migrations.TABLE_SQL)
                for name in applied:
                    if name in scripts:
                        conn.execute(scripts[name])
                _EXPECTED[key] = frozenset(_catalog(conn, SCRATCH))
                raise psycopg.Rollback()
        except psycopg.errors.InsufficientPrivilege:
            raise StoreError(
                "Cannot check the workspace's schema: checking needs CREATE on the database (a scratch schema, "
                "rolled back). Grant it, or pass --trust-schema."
            ) from None
    return _EXPECTED[key]


def _current_schema(conn: psycopg.Connection[Any]) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    if not row or row[0] is None:
        raise StoreError("The PostgreSQL search_path names no schema that exists; set one (SET search_path …).")
    return str(row[0])


def _catalog(conn: psycopg.Connection[Any], schema: str) -> set[tuple[str, str, str]]:
    """(kind, name, definition) of every object in ``schema``; the schema's own name written ``~``."""
    row = conn.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone()
    if row is None:
        return set()
    params = {"ns": row[0], "name": schema}
    found: set[tuple[str, str, str]] = set()
    for sql in _CATALOG:
        for kind, name, definition in conn.execute(sql, params).fetchall():
            found.add((str(kind), str(name), _unschema(" ".join(str(definition or "").split()), schema)))
    return found


def _unschema(text: str, schema: str) -> str:
    return text.replace(f'"{schema}".', "~.").replace(f"{schema}.", "~.")
