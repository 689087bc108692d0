"""Find and load the profiles the server shows, re-reading a YAML file only when it changes.

Profiles come from ``profiles_dir`` (if given), then the workspace's ``profiles/`` folder
and the packaged ones (``deepinsights.profile.list_profiles``); an earlier slug hides a
later one. Editing a profile and reloading the page shows the edit.

This module does not render or validate beyond ``load_profile``.
"""

from __future__ import annotations

import threading
from pathlib import Path

from ..errors import ProfileError
from ..profile import Profile, list_profiles, load_profile
from ..profile.io import SUFFIXES


class ProfileLibrary:
    """The profiles one server shows, keyed by slug (the file name without ``.yaml``)."""

    def __init__(self, profiles_dir: Path | None, workspace_dir: Path | None) -> None:
        self.profiles_dir = profiles_dir
        self.workspace_dir = workspace_dir
        self._cache: dict[Path, tuple[float, Profile]] = {}
        self._lock = threading.Lock()

    def paths(self) -> dict[str, Path]:
        """Slug → file, in display order."""
        found: dict[str, Path] = {}
        if self.profiles_dir is not None and self.profiles_dir.is_dir():
            for path in sorted(self.profiles_dir.iterdir()):
                if path.suffix in SUFFIXES and path.is_file():
                    found.setdefault(path.stem, path)
        for entry in list_profiles(self.workspace_dir):
            found.setdefault(entry.slug, entry.path)
        return found

    def slugs(self) -> list[str]:
        return list(self.paths())

    def get(self, slug: str) -> Profile | None:
        """The profile with this slug, None when there is none; ``ProfileError`` when its file is invalid."""
        path = self.paths().get(slug)
        return self.load(path) if path is not None else None

    def load(self, path: Path) -> Profile:
        """Load ``path``, reusing the last result while its modification time is unchanged."""
        try:
            mtime = path.stat().st_mtime
        except OSError as ex:
            raise ProfileError(f"{path}: cannot read profile ({ex.strerror})") from None
        with self._lock:
            cached = self._cache.get(path)
        if cached is not None and cached[0] == mtime:
            return cached[1]
        profile = load_profile(path)
        with self._lock:
            self._cache[path] = (mtime, profile)
        return profile
