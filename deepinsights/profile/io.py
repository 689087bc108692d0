"""Read and write profile YAML files, and find them by slug.

Reading is ``yaml.SafeLoader`` only (no ``!!python/*`` tags), with caps on file size and on
the size of the document once aliases are expanded, so an alias bomb is refused before
pydantic walks it. A schema failure becomes one ``ProfileError`` listing every failing
field path with the YAML line it comes from (``karpathy.yaml:42 axioms[3].quotes[0].source:
field required``).

Profiles are found in a workspace's ``profiles/`` folder (beside the database) and in the
package's ``deepinsights/profiles/``; a workspace file shadows a packaged one of the same slug.
This module does not render profiles (see ``deepinsights.prompt``) or touch the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from ..errors import ProfileError
from .schema import DATE_PATTERN, SLUG_PATTERN, Profile

__all__ = [
    "PACKAGE_PROFILES",
    "ProfileEntry",
    "ProfileError",
    "dump_profile",
    "dump_yaml",
    "find_profile",
    "list_profiles",
    "new_profile",
    "profile_template",
    "load_profile",
    "parse_profile",
]

PACKAGE_PROFILES = Path(__file__).resolve().parent.parent / "profiles"
MAX_PROFILE_BYTES = 4 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ProfileEntry:
    """A profile file found by ``list_profiles``: its slug (file stem), path and where it was found."""

    slug: str
    path: Path
    origin: Literal["workspace", "package"]


def load_profile(path_or_slug: str | Path, workspace_dir: Path | None = None) -> Profile:
    """Load and validate a profile from a file path or a slug (see ``find_profile``)."""
    path = find_profile(path_or_slug, workspace_dir)
    try:
        size = path.stat().st_size
        if size > MAX_PROFILE_BYTES:
            raise ProfileError(f"{path}: profile is {size} bytes; the limit is {MAX_PROFILE_BYTES}")
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as ex:
        raise ProfileError(f"{path}: not UTF-8 text ({ex.reason} at byte {ex.start})") from None
    except OSError as ex:
        raise ProfileError(f"{path}: cannot read profile ({ex.strerror})") from None
    return parse_profile(text, path.name)


def parse_profile(text: str, name: str = "<profile>") -> Profile:
    """Validate profile YAML text; ``name`` prefixes every error message."""
    if len(text) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{name}: profile is {len(text)} characters; the limit is {MAX_PROFILE_BYTES}")
    node, data = _safe_yaml(text, name)
    if not isinstance(data, dict):
        raise ProfileError(f"{name}: a profile must be a YAML mapping (identity:, axioms:, …)")
    try:
        return Profile.model_validate(data)
    except ValidationError as ex:
        raise ProfileError(_describe(ex, node, name)) from None


def dump_profile(profile: Profile, path: Path | None = None) -> str:
    """Return the profile as YAML (schema field order, defaults left out); also write it to ``path``."""
    data = profile.model_dump(mode="json", exclude_defaults=True)
    text = yaml.safe_dump({"format": profile.format, **data}, sort_keys=False, allow_unicode=True, width=120)
    if path is not None:
        try:
            path.write_text(text, encoding="utf-8")
        except OSError as ex:
            raise ProfileError(f"{path}: cannot write profile ({ex.strerror})") from None
    return text


def find_profile(slug_or_path: str | Path, workspace_dir: Path | None = None) -> Path:
    """Return the file of a profile given as a path (``x.yaml``) or a slug; ProfileError if none."""
    candidate = Path(slug_or_path)
    if candidate.suffix in SUFFIXES or candidate.is_file() or len(candidate.parts) > 1:
        if not candidate.is_file():
            raise ProfileError(f"{candidate}: no such profile file")
        return candidate
    for entry in list_profiles(workspace_dir):
        if entry.slug == str(slug_or_path):
            return entry.path
    known = ", ".join(sorted({e.slug for e in list_profiles(workspace_dir)})) or "none"
    raise ProfileError(f"No profile '{slug_or_path}'. Known: {known}. Pass a .yaml path or add one to profiles/")


def list_profiles(workspace_dir: Path | None = None) -> list[ProfileEntry]:
    """Profiles in ``workspace_dir/profiles/`` then the package's; a workspace slug hides the packaged one."""
    entries: dict[str, ProfileEntry] = {}
    if workspace_dir is not None:
        for path in _yaml_files(workspace_dir / "profiles"):
            entries.setdefault(path.stem, ProfileEntry(path.stem, path, "workspace"))
    for path in _yaml_files(PACKAGE_PROFILES):
        entries.setdefault(path.stem, ProfileEntry(path.stem, path, "package"))
    return list(entries.values())


def _yaml_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and p.is_file())


def _safe_yaml(text: str, name: str) -> tuple[yaml.Node | None, Any]:
    """Compose, check the expanded size, then construct with the safe constructor."""
    try:
        loader = yaml.SafeLoader(text)  # subtle: the reader refuses raw control characters here already
    except yaml.YAMLError as ex:
        raise ProfileError(f"{name}: invalid YAML ({' '.join(str(ex).split())})") from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise ProfileError(f"{name}: the file is empty")
        _check_expanded_size(node, name)
        return node, loader.construct_document(node)
    except yaml.MarkedYAMLError as ex:
        where = f":{ex.problem_mark.line + 1}" if ex.problem_mark else ""
        raise ProfileError(f"{name}{where}: invalid YAML ({ex.problem or ex.context})") from None
    except yaml.YAMLError as ex:
        raise ProfileError(f"{name}: invalid YAML ({' '.join(str(ex).split())})") from None
    except RecursionError:
        raise ProfileError(f"{name}: YAML nested too deeply") from None
    finally:
        loader.dispose()


def _check_expanded_size(root: yaml.Node, name: str) -> None:
    """Refuse documents whose alias expansion is huge (billion laughs) or recursive."""
    sizes: dict[int, int] = {}
    in_progress: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in in_progress:
            raise ProfileError(f"{name}:{node.start_mark.line + 1}: recursive YAML alias")
        in_progress.add(key)
        total = 1 + sum(size(child) for child in _children(node))
        in_progress.discard(key)
        if total > MAX_EXPANDED_NODES:
            raise ProfileError(f"{name}: YAML aliases expand to over {MAX_EXPANDED_NODES} nodes (alias bomb?)")
        sizes[key] = total
        return total

    size(root)


def _children(node: yaml.Node) -> Iterator[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        yield from node.value
    elif isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield key
            yield value


def _describe(ex: ValidationError, root: yaml.Node | None, name: str) -> str:
    """One line per schema error: ``file:LINE path: message``, under a count line."""
    found = []
    for error in ex.errors():
        loc = tuple(error["loc"])
        line = _line_of(root, loc, at_key=error["type"] == "extra_forbidden")
        where = f"{name}:{line}" if line else name
        found.append((line or 0, f"{where} {_path(loc)}: {_message(error)}"))
    found.sort(key=lambda item: item[0])
    return "\n".join([f"{name}: {ex.error_count()} schema error(s)", *(text for _, text in found)])


def _path(loc: tuple[int | str, ...]) -> str:
    """``('axioms', 3, 'quotes', 0)`` → ``axioms[3].quotes[0]``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(profile)"


_PATTERN_NAMES = {
    DATE_PATTERN: "a date: use YYYY, YYYY-MM or YYYY-MM-DD",
    SLUG_PATTERN: "a slug: use lower-case letters, digits, '-' and '_'",
}


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (not in the profile schema; check its spelling)"
    if error["type"] == "missing":
        return "field required"
    if error["type"] == "string_pattern_mismatch":
        expected = _PATTERN_NAMES.get(error.get("ctx", {}).get("pattern", ""), "the expected pattern")
        return f"{error['input']!r} is not {expected}"
    message = str(error["msg"])
    return message[:1].lower() + message[1:]


def _line_of(root: yaml.Node | None, loc: tuple[int | str, ...], at_key: bool = False) -> int | None:
    """The 1-based line of the deepest YAML node on the error's path (the parent for a missing key).

    With ``at_key`` (an unknown key) the line is that of the key rather than of its value.
    """
    node = root
    for part in loc:
        found = _child(node, part)
        if found is None:
            break
        key, node = found
        if at_key and part == loc[-1] and key is not None:
            node = key
    return node.start_mark.line + 1 if node is not None else None


def _child(node: yaml.Node | None, part: int | str) -> tuple[yaml.Node | None, yaml.Node] | None:
    """``(key node, value node)`` of a mapping entry or ``(None, item)`` of a sequence, if present."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        return None, node.value[part]
    return None


class _BlockDumper(yaml.SafeDumper):
    """Safe dumper that writes multi-line strings as ``|`` blocks, for readable templates."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _represent_str)


def dump_yaml(data: Any, width: int = 120) -> str:
    """Plain data as YAML (key order kept, multi-line strings as blocks); used for ``llm`` templates and
    skill front matter (``width`` large: one line per value)."""
    return yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=width)


TEMPLATE = """\
# Thinker profile for {name}. Check it with: insights profile check {slug}.yaml
# Every key is described in docs/profile-format.md. Unknown keys are errors.
# Mark anything you recovered rather than read with `reconstructed: true`.
format: 1

identity:
  slug: {slug}
  name: {name}
  handles: []                 # e.g. ['@{slug}']
  description: ''             # one line
  # as_of: 2026-03            # YYYY, YYYY-MM or YYYY-MM-DD

# generating_function:
#   statement: The one sentence that generates the rest.
#   phases: [First …, Then …]
#   note: A closing line.

axioms: []
#  - number: 1
#    title: A belief taken as given
#    statement: What it says, in the profile's words.
#    quotes:                  # spans `insights verify` must find in the corpus
#      - text: exact words
#        source: {{title: Where it was said, date: 2024-05, url: 'https://…'}}
#    sources: [{{title: Where it was said}}]

lineage: []
#  - name: An influence
#    role: The Game
#    claimed_count: 4         # the number the profile states …
#    count_query: Factorio    # … and the FTS5 query that recounts it

mental_models: []
#  - rank: 1
#    title: A way of thinking
#    explanation: …
#    query: '"key phrase" OR other'

tensions: []
predictions: []
#  - {{kind: explicit, text: Something will happen, horizon: 2030, status: open}}
extensions: []
eras: []
#  - {{name: An era, start: 2022-11, end: 2023-03, summary: …}}
corpus_claims: []
#  - {{label: tweets, items: 756, kinds: [tweet, reply, quote], words: 32K words}}
known_gaps: []

# simulator:
#   opening: You are simulating the thinking of {name} … ({{counts}}).
#   header_counts: [{{count: 756, label: tweets, kinds: [tweet, reply, quote]}}]
#   key_mental_models: []
#   aesthetics: []
#   how_to_respond: []
#   blind_spots: []
"""


def profile_template(slug: str) -> str:
    """A commented profile skeleton for ``slug`` that validates as it is."""
    if not re.fullmatch(SLUG_PATTERN, slug):
        raise ProfileError(f"'{slug}' is not a valid slug: use lower-case letters, digits, '-' and '_'")
    name = " ".join(part.capitalize() for part in re.split(r"[-_]", slug) if part)
    return TEMPLATE.format(slug=slug, name=name)


def new_profile(slug: str, path: Path, *, force: bool = False) -> Path:
    """Write the template for ``slug`` to ``path`` (creating its folder); refuse to overwrite unless ``force``."""
    text = profile_template(slug)
    if path.exists() and not force:
        raise ProfileError(f"{path} already exists; choose another --out or pass --force")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as ex:
        raise ProfileError(f"{path}: cannot write profile ({ex.strerror})") from None
    return path
