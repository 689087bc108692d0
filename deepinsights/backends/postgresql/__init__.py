"""The PostgreSQL backend: a store, its tsvector search, pgvector index, migrations and error messages.

Opened through ``workspace.open_store`` when ``--db`` is a ``postgresql://`` URL. Nothing
here is imported unless such a URL is used, so SQLite users never need psycopg.
"""

from .store import PgStore

__all__ = ["PgStore"]
