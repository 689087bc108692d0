"""How text from a corpus or a profile is shown to a person: control characters made visible.

Corpus text is untrusted. In a terminal an ESC starts an escape sequence (OSC 52 writes the
clipboard, CSI 2J clears the screen, OSC 0 retitles the window, OSC 8 hides a link behind
other text), and on any screen a bidirectional control reorders what is read
(``invoice\u202eexe.pdf``). ``visible`` replaces each such character with its code point in
brackets, ``[U+001B]``: one rule for every human output of the CLI, the page and the static
export (``static/site.js`` holds the same character class, checked by a test). Tabs and
newlines stay. ``json_text`` escapes the same characters in JSON output, where ``json.dumps``
already escapes C0 but leaves C1 (U+009B is an 8-bit CSI) and bidi controls raw.

It does not escape markup: rich's ``escape``, Jinja's autoescape and ``textContent`` do.
This module imports nothing from the package.
"""

from __future__ import annotations

import re

# C0 but tab and newline, DEL and C1, and the bidirectional formatting characters.
CONTROL_CLASS = r"\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{CONTROL_CLASS}]")


def visible(text: str) -> str:
    """``text`` with every control character shown as ``[U+XXXX]``, so none can act on the display."""
    if text.isprintable() or not _CONTROL.search(text):  # subtle: the common case costs one C-level scan
        return text
    return _CONTROL.sub(lambda m: f"[U+{ord(m.group()):04X}]", text)


def json_text(document: str) -> str:
    """A JSON document with the control characters ``json.dumps`` leaves raw written as ``\\uXXXX`` escapes."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", document)
