"""Thinker profiles: the typed schema and YAML reading/writing. No store, no rendering."""

from __future__ import annotations

from .io import (
    ProfileEntry,
    ProfileError,
    dump_profile,
    find_profile,
    list_profiles,
    load_profile,
    new_profile,
    parse_profile,
    profile_template,
)
from .schema import Profile

__all__ = [
    "Profile",
    "ProfileEntry",
    "ProfileError",
    "dump_profile",
    "find_profile",
    "list_profiles",
    "load_profile",
    "new_profile",
    "parse_profile",
    "profile_template",
]
