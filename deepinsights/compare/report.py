"""The comparison as a Markdown report: the same sections as the page and the terminal tables.

Pure strings from ``Comparison.as_dict()`` (so a saved JSON report renders the same); every
passage links to its source where it has a URL. Corpus text is put in block quotes with Markdown
characters that would change the layout escaped.
"""

from __future__ import annotations

import re
from typing import Any

_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>#|])")
WORDS = 15
TOPICS = 20


def markdown_report(data: dict[str, Any]) -> str:
    """The report for ``Comparison.as_dict()``."""
    a, b = data["a"], data["b"]
    parts = [
        f"# {esc(a['name'])} and {esc(b['name'])} compared",
        _corpus(a, b, data["vectors"]),
        _vocabulary(data["vocabulary"], a, b),
        _topics(data["topics"], a, b),
        _side_by_side(data["topics"]["shared"], a, b, data.get("positions")),
        _lineage(data["lineage"], a, b),
        "## How this was measured\n\n" + "\n".join(f"* **{k}**: {v}" for k, v in data["method"].items()),
    ]
    return "\n\n".join(p for p in parts if p) + "\n"


def esc(text: object) -> str:
    """Text safe inside a Markdown paragraph or table cell (one line, markup characters escaped)."""
    return _MARKDOWN.sub(r"\\\1", " ".join(str(text).split()))


def _corpus(a: dict[str, Any], b: dict[str, Any], vectors: str) -> str:
    rows = [
        f"| {esc(s['name'])} | {s['documents']:,} | {s['own_word_passages']:,} | {_day(s['first'])} – "
        f"{_day(s['last'])} |"
        for s in (a, b)
    ]
    table = "| thinker | documents | own-word passages | dates |\n|---|---:|---:|---|\n" + "\n".join(rows)
    return f"{table}\n\nTopics clustered on both together ({esc(vectors)} vectors)."


def _vocabulary(vocabulary: dict[str, list[dict[str, Any]]], a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = ["## Distinctive vocabulary"]
    for side, who, other in (("a", a, b), ("b", b, a)):
        lines.append(f"\n**{esc(who['name'])} more than {esc(other['name'])}** (z-score; uses {esc(who['name'])} : "
                     f"{esc(other['name'])}):\n")  # fmt: skip
        mine, theirs = ("count_a", "count_b") if side == "a" else ("count_b", "count_a")
        words = [f"{esc(w['word'])} ({abs(w['z']):.1f}; {w[mine]} : {w[theirs]})" for w in vocabulary[side][:WORDS]]
        lines.append(", ".join(words) or "none")
    return "\n".join(lines)


def _topics(topics: dict[str, list[dict[str, Any]]], a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = ["## Topics", "", f"### Both cover ({len(topics['shared'])})", ""]
    lines += ["| topic | " + esc(a["name"]) + " | " + esc(b["name"]) + " | first there |", "|---|---:|---:|---|"]
    for t in topics["shared"][:TOPICS]:
        first = {"a": a["name"], "b": b["name"]}.get(t["first"] or "", "same time")
        lead = f" by {t['lead_days']:,} days" if t["first"] else ""
        lead += " (before the other's corpus begins)" if t.get("before_other_corpus") else ""
        lines.append(f"| {esc(t['label'])} | {_docs(t['a'])} | {_docs(t['b'])} | {esc(first)}{lead} |")
    for key, who, other in (("only_a", a, b), ("only_b", b, a)):
        lines += ["", f"### Only {esc(who['name'])} ({len(topics[key])}): where {esc(who['name'])} goes beyond "
                  f"{esc(other['name'])}", ""]  # fmt: skip
        side = "a" if key == "only_a" else "b"
        lines += [f"* **{esc(t['label'])}** — {_docs(t[side])}, from {_day(_first_date(t[side]))}" for t in
                  topics[key][:TOPICS]] or ["none"]  # fmt: skip
    return "\n".join(lines)


def _side_by_side(shared: list[dict[str, Any]], a: dict[str, Any], b: dict[str, Any], positions: Any) -> str:
    labels = {p["topic"]: p for p in (positions or {}).get("kept", [])}
    lines = ["## Shared topics side by side"]
    for t in shared[:TOPICS]:
        lines.append(f"\n### {esc(t['label'])}")
        if t["number"] in labels:
            p = labels[t["number"]]
            lines.append(f"\n**{esc(p['relation'])}** — {esc(p['statement'])} (quotes verified on both sides)")
        for side, who in (("a", a), ("b", b)):
            passage = t[side]["representative"]
            if passage:
                lines.append(f"\n{esc(who['name'])}, {_source(passage)}:\n\n> {esc(passage['text'])}")
    if positions:
        dropped = "; ".join(f"{n} {esc(r)}" for r, n in positions.get("dropped_by_reason", {}).items())
        lines.append(f"\nPositions by {esc(positions['model'])}: {len(positions['kept'])} kept" +
                     (f", dropped: {dropped}" if dropped else ""))  # fmt: skip
    return "\n".join(lines) if shared else ""


def _lineage(lineage: dict[str, list[dict[str, Any]]], a: dict[str, Any], b: dict[str, Any]) -> str:
    lines = ["## Lineage", "", f"**Both draw on** ({len(lineage['shared'])}):", ""]
    lines += [f"* {esc(e['name'])} — {esc(a['name'])} {e['count_a']}, {esc(b['name'])} {e['count_b']} documents"
              for e in lineage["shared"]] or ["none"]  # fmt: skip
    for key, who in (("only_a", a), ("only_b", b)):
        names = ", ".join(f"{esc(e['name'])} ({e['count']})" for e in lineage[key])
        lines += ["", f"**Only {esc(who['name'])}**: {names or 'none'}"]
    return "\n".join(lines)


def _docs(part: dict[str, Any]) -> str:
    return f"{part['documents']:,} documents"


def _first_date(part: dict[str, Any]) -> str | None:
    return part["first"]["published_at"] if part.get("first") else None


def _day(value: str | None) -> str:
    return value[:10] if value else "undated"


def _source(passage: dict[str, Any]) -> str:
    title = esc(passage.get("title") or "untitled")
    when = _day(passage.get("published_at"))
    url = passage.get("url")
    link = str(url).replace("(", "%28").replace(")", "%29").replace(" ", "%20")
    return (
        f"[{title}]({link}) ({when})" if url and str(url).startswith(("http://", "https://")) else f"{title} ({when})"
    )
