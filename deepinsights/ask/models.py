"""The one way to a language model: choose it, say so when it is remote, run a prompt.

``choose_model(name)`` picks ``-m``, else ``$DEEPINSIGHTS_MODEL``, else the default the user set
with ``llm models default``, all through the ``llm`` library; with none of these the error says
how to pick one (``llm``'s built-in default is never named: nobody chose it). A model that
needs an API key is remote: it is used only when named explicitly (``-m`` or
``$DEEPINSIGHTS_MODEL``), never as a silent default, and its first use is recorded in the user
directory so that ``notify`` hears about it once (the CLI prints it). ``run(model, prompt)``
sends one prompt and returns the whole reply, streaming its chunks to ``on_chunk``;
``reply_object(reply)`` is the JSON object a reply was asked for, wherever the model put it. ask,
chat, distill, compare, eval and the web server all come through here.

This module does not build prompts or check answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import llm

from .. import config
from ..errors import AskError
from .local import register_with_llm

__all__ = ["Model", "choose_model", "run", "is_remote", "reply_object"]

Model = llm.Model
Notify = Callable[[str], None]
_OBJECT = re.compile(r"\{.*\}", re.DOTALL)

LOCAL_HINT = (
    "install the offline model with 'insights models install-local' and pass -m qwen2.5-coder-0.5b, "
    "or point -m at any model the llm library offers (e.g. a local Ollama model)"
)
PICK_HINT = (
    f"No model chosen. Pass -m MODEL (or set {config.MODEL.env}): 'llm models' lists the models the llm library "
    f"offers here; or {LOCAL_HINT}."
)


def is_remote(model: Model) -> bool:
    """A model that needs an API key sends prompts to someone else's server."""
    return bool(getattr(model, "needs_key", None))


def choose_model(name: str | None, *, notify: Notify | None = None) -> Model:
    """The model named ``name`` (else ``$DEEPINSIGHTS_MODEL``, else the user's llm default).

    Raises AskError when none is chosen, for an unknown model, and for a remote one that
    nobody named. The first time a remote model is chosen, ``notify`` receives the one-line
    notice that prompts and passages will be sent to it.
    """
    explicit = name or config.MODEL.value() or None
    chosen = explicit or _user_default()
    if chosen is None:
        raise AskError(PICK_HINT)
    register_with_llm()
    try:
        model = llm.get_model(chosen)
    except llm.UnknownModelError as ex:
        raise AskError(f"Unknown model {chosen!r} ({ex}); list models with 'llm models', or {LOCAL_HINT}") from None
    if is_remote(model) and not explicit:
        raise AskError(
            f"Your llm default model {model.model_id!r} is a remote service; deep-insights never sends your corpus "
            f"to one unless you choose it explicitly with -m or {config.MODEL.env}. Or {LOCAL_HINT}."
        )
    if notify is not None and _first_remote_use(model):
        notify(f"{model.model_id} is a remote service: questions and the passages retrieved for them are sent to it.")
    return model


def _user_default() -> str | None:
    """The model set with ``llm models default``, or None when the user never set one."""
    default = llm.get_default_model()  # type: ignore[no-untyped-call]
    return None if default == llm.DEFAULT_MODEL else str(default)


def run(model: Model, prompt: str, *, system: str | None = None, on_chunk: Notify | None = None) -> str:
    """Send ``prompt`` (with ``system``) to ``model`` and return its reply, stripped; chunks go to ``on_chunk``."""
    chunks = []
    for chunk in model.prompt(prompt, system=system):
        chunks.append(chunk)
        if on_chunk:
            on_chunk(chunk)
    return "".join(chunks).strip()


def reply_object(reply: str) -> dict[str, Any] | None:
    """The JSON object in ``reply`` (from its first ``{`` to its last ``}``: models wrap it in
    prose or code fences); None when there is none or it is not an object."""
    match = _OBJECT.search(reply)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _first_remote_use(model: Model) -> bool:
    """Record that a remote model was used; True the first time for this model id."""
    if not is_remote(model):
        return False
    path = config.user_dir() / "remote-models.json"
    seen: list[str] = json.loads(path.read_text()) if path.exists() else []
    if model.model_id in seen:
        return False
    path.write_text(json.dumps([*seen, model.model_id]))
    return True
