"""The PostgreSQL backend: a store, its migrations and its error messages (issue #9).

Opened through ``deepinsights.workspace.open_store`` when ``--db`` is a ``postgresql://`` URL.
Nothing here is imported unless such a URL is used, so SQLite users never need psycopg.
"""
