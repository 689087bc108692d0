"""The two workspace backends, side by side: ``sqlite`` (one file) and ``postgresql`` (a server).

Each holds its own store, full-text search, vector index and migrations; ``shared`` holds
what both run alike (the write planning, the reads written once in the SQL both speak).
Only ``workspace.open_store`` picks one; everything above talks to ``workspace.Workspace``.
"""
