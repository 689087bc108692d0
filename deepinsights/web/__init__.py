"""The profile site: Starlette app, page templates, and the one CSS and one JS file.

``create_app(db_path, profiles_dir)`` builds the site (see ``app.py``); ``page`` renders the
profile page for both the server and the static export (``deepinsights.site_export``).
This package reads the workspace and never writes to it.
"""

from __future__ import annotations

from .app import create_app

__all__ = ["create_app"]
