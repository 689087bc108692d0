"""Test models registered with the ``llm`` library as a real plugin.

They stand in for a remote paid API (which tests may not call) and exercise the same
``llm.Model`` code path as any provider: replies are enqueued by the test, streamed back in
chunks, and every prompt is recorded so tests can assert what the model was shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import llm


class ScriptedModel(llm.Model):
    model_id = "scripted-test"
    can_stream = True

    def __init__(self) -> None:
        self.replies: list[str] = []
        self.prompts: list[Any] = []

    def enqueue(self, *replies: str) -> None:
        self.replies.extend(replies)

    def execute(self, prompt, stream, response, conversation) -> Iterator[str]:  # type: ignore[no-untyped-def]
        self.prompts.append(prompt)
        reply = self.replies.pop(0) if self.replies else "I have nothing to add."
        for i in range(0, len(reply), 7):
            yield reply[i : i + 7]


class FunctionModel(llm.Model):
    """Replies with ``respond(prompt, system)``: a test sets it to a behaviour (copy, go off topic,
    never decline, judge by word overlap) that must hold for every prompt, in any order."""

    model_id = "function-test"
    can_stream = True

    def __init__(self) -> None:
        self.respond: Any = lambda prompt, system: "I have nothing to add."
        self.prompts: list[Any] = []

    def execute(self, prompt, stream, response, conversation) -> Iterator[str]:  # type: ignore[no-untyped-def]
        self.prompts.append(prompt)
        yield str(self.respond(prompt.prompt, prompt.system))


class RemoteScriptedModel(ScriptedModel):
    """Looks remote to deep-insights: it needs an API key."""

    model_id = "remote-scripted-test"
    needs_key = "remote-scripted-test"


SCRIPTED = ScriptedModel()
REMOTE = RemoteScriptedModel()
FUNCTION = FunctionModel()
JUDGE = FunctionModel()
JUDGE.model_id = "function-judge-test"


class Plugin:
    @llm.hookimpl
    def register_models(self, register):  # type: ignore[no-untyped-def]
        register(SCRIPTED)
        register(REMOTE)
        register(FUNCTION)
        register(JUDGE)


def install() -> None:
    """Register the test models with llm (idempotent)."""
    from llm.plugins import pm

    if pm.get_plugin("deepinsights-test-models") is None:
        pm.register(Plugin(), name="deepinsights-test-models")
