"""The words sent to the model: the profile's simulator prompt, the grounding rules and the
numbered passages. Pure strings: no model, no store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MAX_PASSAGE_CHARS = 1500

RULES = """\
## GROUNDING RULES (these override everything above)
You are a model of {name} built from {items} items of their published work; you are not {name}.
Answer ONLY from the numbered passages the user gives you.
- After every sentence that uses a passage, cite it as [n] (several: [1][3]).
- Put words taken from a passage in double quotes, copied exactly, and cite that passage.
- Never cite a passage number that was not given. Never quote words that are not in the passage.
- If the passages do not answer the question, say so plainly instead of answering from memory.
- Speak in the first person, in {name}'s voice, briefly (at most 6 sentences).
Example of the format: I wrote it to understand how it works [2]. As I put it, "the exact words" [1]."""


@dataclass(frozen=True)
class NumberedPassage:
    """A retrieved passage as the model sees it: a number, where it comes from, its text."""

    n: int
    id: str
    passage_id: int
    title: str | None
    kind: str
    published_at: str | None
    url: str | None
    text: str


def system_prompt(simulator_prompt: str, name: str, items: int) -> str:
    """The profile's compiled simulator prompt followed by the grounding rules."""
    return f"{simulator_prompt.rstrip()}\n\n{RULES.format(name=name, items=f'{items:,}')}\n"


def brief(simulator_prompt: str, chars: int) -> str:
    """The start of a long simulator prompt, cut at a line break: for models with a small budget."""
    if len(simulator_prompt) <= chars:
        return simulator_prompt
    cut = simulator_prompt.rfind("\n", 0, chars)
    return simulator_prompt[: cut if cut > 0 else chars]


def user_prompt(question: str, passages: Sequence[NumberedPassage], passage_chars: int = MAX_PASSAGE_CHARS) -> str:
    """The question and the numbered passages, each cut to ``passage_chars``."""
    blocks = [_block(p, passage_chars) for p in passages]
    return (
        "PASSAGES\n\n" + "\n\n".join(blocks) + f"\n\nQUESTION: {question.strip()}\n\n"
        "Answer from the passages in 2-4 sentences, in the first person. End every sentence with the "
        "number of the passage it comes from, like [1].\n"
    )


def _block(p: NumberedPassage, chars: int) -> str:
    where = ", ".join(x for x in (p.title, p.kind, (p.published_at or "")[:10]) if x)
    text = p.text if len(p.text) <= chars else p.text[:chars] + " …"
    return f"[{p.n}] ({where})\n{text}"
