"""The SQLite backend: one file with FTS5 full-text search, a usearch vector index beside it, migrations.

``Store(path)`` opens (and creates or migrates) a workspace file; ``workspace.open_store``
is what opens it for a ``--db`` path.
"""

from .store import Store

__all__ = ["Store"]
