"""Choosing the model ``ask`` talks to, through the ``llm`` library only.

The model is ``-m``, else ``$INSIGHTS_MODEL``, else the default the user set with ``llm models
default``; with none of these the error says how to pick one (``llm``'s built-in default is never
named: nobody chose it). A model that needs an API key is remote: it is used only when named
explicitly (``-m`` or ``$INSIGHTS_MODEL``), never as a silent default, and its first use is
recorded so the CLI can say so once.
This module does not build prompts or check answers.
"""

from __future__ import annotations

import json
from typing import Any

import llm

from .. import config
from ..errors import AskError
from .local import register_with_llm

MODEL = config.Setting("model", "INSIGHTS_MODEL", "", "Model used by ask/chat (any `llm` model id or alias).")

LOCAL_HINT = (
    "install the offline model with 'insights models install-local' and pass -m qwen2.5-coder-0.5b, "
    "or point -m at any model the llm library offers (e.g. a local Ollama model)"
)
PICK_HINT = (
    "No model chosen. Pass -m MODEL (or set INSIGHTS_MODEL): 'llm models' lists the models the llm library "
    f"offers here; or {LOCAL_HINT}."
)


def is_remote(model: Any) -> bool:
    """A model that needs an API key sends prompts to someone else's server."""
    return bool(getattr(model, "needs_key", None))


def choose_model(name: str | None) -> tuple[Any, bool]:
    """Return (model, explicitly_chosen). Raises AskError for unknown or silently-remote models."""
    explicit = name or MODEL.value() or None
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
            f"to one unless you choose it explicitly with -m or INSIGHTS_MODEL. Or {LOCAL_HINT}."
        )
    return model, bool(explicit)


def _user_default() -> str | None:
    """The model set with ``llm models default``, or None when the user never set one."""
    default = llm.get_default_model()  # type: ignore[no-untyped-call]
    return None if default == llm.DEFAULT_MODEL else str(default)


def first_remote_use(model: Any) -> bool:
    """Record that a remote model was used; True the first time for this model id."""
    if not is_remote(model):
        return False
    path = config.user_dir() / "remote-models.json"
    seen: list[str] = json.loads(path.read_text()) if path.exists() else []
    if model.model_id in seen:
        return False
    path.write_text(json.dumps([*seen, model.model_id]))
    return True
