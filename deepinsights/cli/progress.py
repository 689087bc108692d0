"""Progress of long steps on stderr, with the rate and the time left, in a terminal and in a log.

In a terminal a rich bar shows done/total, the rate and the time left, and disappears when
the step ends. When stderr is no terminal (a log file, a CI job, ``nohup``), a plain line is
written every few seconds instead (``$DEEPINSIGHTS_PROGRESS_EVERY``), and a last one when the
step ends, so a log shows that a long step is alive and when it will end (a step shorter than
that leaves no line):

    embedding: 2,304 of 8,874 passages (26%), 48.1/s, 2:16 left

``--json`` commands show neither. This module does not measure anything itself: the library
reports ``(done, total)`` through the callback it is given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from .. import config
from ..moments import clock

Tick = Callable[[int, int | None], None]  # (done, total or None when unknown)


class Rate(ProgressColumn):
    """Items per second (rich's own speed column measures bytes)."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        if task.fields.get("audio"):
            return Text("")
        unit = task.fields.get("unit") or self.unit  # a step names its own (``steps``)
        return Text(f"{task.speed:,.1f} {unit}/s" if task.speed else "")


def bar(console: Console, unit: str, *, quiet: bool = False) -> Progress:
    """A transient rich bar with done/total, rate and time left (shown only in a terminal)."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        Rate(unit),
        TimeRemainingColumn(),
        console=console,
        transient=True,
        disable=quiet or not console.is_terminal,
    )


class LogLines:
    """Progress as a plain line every ``every`` seconds, for stderr that is no terminal."""

    def __init__(self, console: Console, label: str, unit: str, *, every: float | None = None) -> None:
        self.console, self.label, self.unit = console, label, unit
        self.every = every if every is not None else float(config.PROGRESS_EVERY.value())
        self.started = self.last = time.monotonic()
        self.done: int = 0
        self.total: int | None = None
        self.shown_done = -1

    def __call__(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._print(now)

    def finish(self) -> None:
        """The last line, for a step that has shown any (a short step leaves none)."""
        if self.shown_done >= 0 and self.done != self.shown_done:
            self._print(time.monotonic())

    def _print(self, now: float) -> None:
        self.shown_done = self.done
        self.console.print(f"{self.label}: {line(self.done, self.total, now - self.started, self.unit)}",
                           markup=False, highlight=False, soft_wrap=True)  # fmt: skip


def line(done: int, total: int | None, seconds: float, unit: str) -> str:
    """``2,304 of 8,874 passages (26%), 48.1/s, 2:16 left`` (without a total: ``2,304 passages, 48.1/s``)."""
    rate = done / seconds if seconds > 0 else 0.0
    if total:
        text = f"{done:,} of {total:,} {unit} ({done * 100 // total}%), {rate:,.1f}/s"
        if done < total and rate > 0:
            return f"{text}, {clock((total - done) / rate)} left"
        return f"{text}, done in {clock(seconds)}" if done >= total else text
    return f"{done:,} {unit}, {rate:,.1f}/s"


@contextmanager
def progress(console: Console, label: str, unit: str, *, quiet: bool = False) -> Iterator[Tick]:
    """A ``(done, total)`` callback showing one step's progress: a bar in a terminal, else log lines."""
    with steps(console, quiet=quiet) as step:
        yield step(label, unit, at_once=True)


Step = Callable[..., Tick]  # step(label, unit, *, at_once=False)


@contextmanager
def steps(console: Console, *, quiet: bool = False) -> Iterator[Step]:
    """``step(label, unit)`` makes the callback of one of several steps that follow each other in one call.

    A step shows from its first tick (``at_once``: from now) and replaces the step before (one
    bar at a time: rich allows one live display); in a log, the step before ends with its
    last line. For example ``insights index``: embedding passages, then building the
    nearest-neighbour index.
    """
    if quiet:
        yield lambda label, unit, at_once=False: lambda done, total: None
    elif console.is_terminal:
        with bar(console, "") as shown:
            yield _steps(_bar_begin(shown))
    else:
        logs: list[LogLines] = []
        yield _steps(_log_begin(console, logs))
        if logs:
            logs[-1].finish()


Begin = Callable[[str, str], Tick]  # begin(label, unit): show a step, return its callback


def _steps(begin: Begin) -> Step:
    """Steps that ``begin`` at their first tick, or at once."""

    def step(label: str, unit: str, *, at_once: bool = False) -> Tick:
        shown: list[Tick] = [begin(label, unit)] if at_once else []

        def tick(done: int, total: int | None) -> None:
            if not shown:
                shown.append(begin(label, unit))
            shown[0](done, total)

        return tick

    return step


def _bar_begin(bars: Progress) -> Begin:
    """A step's bar, in place of the one before."""

    def begin(label: str, unit: str) -> Tick:
        for task in bars.task_ids:
            bars.remove_task(task)
        task = bars.add_task(label, total=None, unit=unit)
        return lambda done, total: bars.update(task, completed=done, total=total)

    return begin


def _log_begin(console: Console, logs: list[LogLines]) -> Begin:
    """A step's log lines, after the last line of the one before."""

    def begin(label: str, unit: str) -> Tick:
        if logs:
            logs[-1].finish()
        logs.append(LogLines(console, label, unit))
        return logs[-1]

    return begin
