"""An eval run as a Markdown report, from ``EvalReport.as_dict()`` (so a saved run renders the same)."""

from __future__ import annotations

from typing import Any

ROWS = (
    ("stance (judge, 0–1)", "stance", "higher"),
    ("meaning similarity (cosine)", "similarity", "higher"),
    ("limits: declined or flagged", "limits_pass_rate", "higher"),
)
VOICE = (
    ("Burrows' Delta (function words)", "burrows_delta", "lower"),
    ("sentence length difference (words)", "sentence_length_difference", "lower"),
    ("signature words per 1,000 difference", "signature_rate_difference", "lower"),
)


def markdown_report(data: dict[str, Any]) -> str:
    """The report for one run."""
    split = data["split"]
    scores = data["scores"]
    lines = [
        f"# Does the {data['slug']} simulator think like them?",
        "",
        f"Model **{data['model']}**, judge **{data['judge']}** (rubric {data['rubric']['version']}), "
        f"run {data['when']}. Held out: the last {split['held_out_share']:.0%} of dated own-word passages, "
        f"from {split['cutoff']} ({split['held_out']['passages']:,} passages, {split['held_out']['documents']:,} "
        f"documents); the profile ({data['profile_source']}) and retrieval saw only the "
        f"{split['earlier']['passages']:,} earlier passages.",
        "",
        "| measure | simulator | baseline (no profile) | difference | better |",
        "|---|---:|---:|---:|---|",
    ]
    for label, key, better in ROWS:
        lines.append(f"| {label} | {_n(scores['simulator'][key])} | {_n(scores['baseline'][key])} | "
                     f"{_n(scores['difference'][key], sign=True)} | {better} |")  # fmt: skip
    for label, key, better in VOICE:
        s, b = scores["simulator"]["voice"].get(key), scores["baseline"]["voice"].get(key)
        diff = None if s is None or b is None else s - b
        lines.append(f"| {label} | {_n(s)} | {_n(b)} | {_n(diff, sign=True)} | {better} |")
    lines += ["", f"Embedding model for similarity: {data['embedding_model'] or 'none installed (not measured)'}.", ""]
    lines += ["## Questions from the held-out topics", ""]
    for q in data["questions"]:
        lines += [f"### {_esc(q['question'])}", "", f"Held out ({(q['held_out']['published_at'] or '')[:10]}): "
                  f"> {_esc(q['held_out']['text'][:400])}", ""]  # fmt: skip
        for arm in ("simulator", "baseline"):
            stance = q[arm]["stance"] or {}
            lines.append(f"* **{arm}** — {stance.get('verdict', 'unjudged')}, similarity {_n(q[arm]['similarity'])}: "
                         f"{_esc(q[arm]['answer'][:400])}")  # fmt: skip
        lines.append("")
    lines += ["## Honest limits: topics the corpus never covers", ""]
    for item in data["limits"]:
        marks = ", ".join(f"{arm} {'passed' if item[arm]['passed'] else 'FAILED'}" for arm in ("simulator", "baseline"))
        gate = " (ask's relevance gate would decline it)" if item["simulator"]["gate_declines"] else ""
        lines.append(f"* {_esc(item['question'])} — {marks}{gate}")
    return "\n".join(lines) + "\n"


def _n(value: Any, sign: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.3f}" if sign else f"{value:.3f}"


def _esc(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")
