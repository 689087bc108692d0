"""Hostile-input regression tests (issue 19), a module per area."""
