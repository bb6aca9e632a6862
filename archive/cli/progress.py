"""Progress of a long command: a bar on a terminal, a few plain lines anywhere else.

A command hands a ``Stages`` object to an operation as its ``progress(stage, done, total)``
callback (the operations of ``archive.holdings``, ``archive.exchange`` and the index take one;
the web and the jobs pass none). On a terminal each stage gets a bar (rich) with its counts and
the time left; when stderr is not a terminal (cron, CI, a pipe into a log) a line is written
when a stage starts, at most every ``EVERY`` seconds while it runs, and when it ends, so that a
log shows how far the command got without a line per row.

``ARCHIVE_PROGRESS`` overrides the choice: ``bar`` draws bars even into a pipe, ``lines`` writes
lines even on a terminal, ``off`` shows no progress at all (the commands' results still print).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import TextIO

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

EVERY = 10.0  # seconds between two lines of one stage when not on a terminal
MODES = ("bar", "lines", "off")  # the values of ARCHIVE_PROGRESS
LABELS = {  # stage -> (what the stage does, what it counts), in the words of the line
    "checking": ("checking the file", "MB"),  # archive import: bytes of the CSV read
    "writing": ("writing", "items"),
    "indexing": ("indexing", "items"),
    "exporting": ("exporting", "items"),
    "hashing": ("checking originals", "files"),  # archive fixity
    "copying": ("copying", "files"),  # archive backup
    "verifying": ("verifying the backup", "files"),  # archive restore
    "restoring": ("restoring", "files"),
    "ingesting": ("ingesting", "files"),
    "transcoding": ("making access copies", "recordings"),
}


def _counts(done: float, total: int, unit: str) -> str:
    if unit == "MB":
        return f"{done / 2**20:,.1f}/{total / 2**20:,.1f} MB"
    return f"{int(done):,}/{total:,} {unit}".rstrip()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


def mode(stream: TextIO) -> str:
    """``bar``, ``lines`` or ``off``: ``ARCHIVE_PROGRESS`` when set, else whether ``stream``
    is a terminal."""
    chosen = os.environ.get("ARCHIVE_PROGRESS", "").strip().lower()
    if chosen in MODES:
        return chosen
    if chosen:
        raise click.ClickException(
            f"ARCHIVE_PROGRESS is {chosen!r}: use one of {', '.join(MODES)}."
        )
    return "bar" if stream.isatty() else "lines"


class Stages:
    """``progress(stage, done, total)`` for a command about ``name`` (a file name, a folder,
    the command's name). ``done`` may be fractional (a recording half transcoded)."""

    def __init__(self, name: str, *, stream: TextIO | None = None, every: float = EVERY):
        self.name = name
        self.stream = stream or sys.stderr
        self.every = every
        self.mode = mode(self.stream)
        self.terminal = self.mode == "bar"
        self.bars: Progress | None = None
        self.tasks: dict[str, TaskID] = {}
        self.started: dict[str, float] = {}  # stage -> when it began
        self.last: dict[str, float] = {}  # stage -> when its last line was written
        self.ended: set[str] = set()

    def __enter__(self) -> Stages:
        if self.terminal:
            self.bars = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                TextColumn("left"),
                TimeRemainingColumn(),
                console=Console(file=self.stream, force_terminal=True),
                transient=False,
            )
            self.bars.start()
        return self

    def __exit__(self, *exc) -> None:
        if self.bars is not None:
            self.bars.stop()

    def stage(self, stage: str) -> Callable[[float, int], None]:
        """The two-argument ``on_progress(done, total)`` of one stage."""
        return lambda done, total: self(stage, done, total)

    def __call__(self, stage: str, done: float, total: int) -> None:
        if self.mode == "off":
            return
        label, unit = LABELS.get(stage, (stage, ""))
        now = time.monotonic()
        self.started.setdefault(stage, now)
        if self.bars is not None:
            if stage not in self.tasks:
                self.tasks[stage] = self.bars.add_task(label, total=total, counts="")
            self.bars.update(
                self.tasks[stage], completed=done, total=total, counts=_counts(done, total, unit)
            )
            return
        finished = done >= total
        if stage in self.ended or (
            not finished and stage in self.last and now - self.last[stage] < self.every
        ):
            return
        self.last[stage] = now
        elapsed = now - self.started[stage]
        line = f"{self.name}: {label}: {_counts(done, total, unit)}"
        if finished:
            self.ended.add(stage)
            line += f", done in {_duration(elapsed)}"
        else:
            line += f", {done / total:.0%}"
            if done and elapsed:
                line += f", about {_duration(elapsed * (total - done) / done)} left"
        print(line, file=self.stream, flush=True)


class Unshown:
    """A ``Stages`` that shows nothing, for a command too short to follow."""

    def __enter__(self) -> Unshown:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def __call__(self, stage: str, done: float, total: int) -> None:
        pass
