"""What the two backends share: the write path, the reads written once, and the vector tables' SQL.

Each module holds a mixin both ``sqlite.Store`` and ``postgresql.PgStore`` inherit, with
its SQL written once (``?`` placeholders, the dialect both run), and the helpers around it.
"""
