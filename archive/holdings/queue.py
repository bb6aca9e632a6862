"""Background jobs: Huey on SQLite (default) or Redis, behind one ``enqueue()`` seam.

Tasks are plain functions registered with ``@task``; each runs inside an app
context.  With ``[QUEUE] IMMEDIATE`` they run inline in the caller's process.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask, current_app
from huey import RedisHuey, SqliteHuey, crontab
from huey.api import Huey

TASKS: dict[str, Callable] = {}
PERIODIC: dict[str, tuple[Callable, dict]] = {}


def task(fn: Callable) -> Callable:
    """Register ``fn`` as a background task under its name."""
    TASKS[fn.__name__] = fn
    return fn


def periodic(name: str, **schedule: str) -> Callable:
    """Register a function the worker runs on a crontab schedule (minute=, hour=, ...)."""

    def register(fn: Callable) -> Callable:
        PERIODIC[name] = (fn, schedule)
        return fn

    return register


def init_app(app: Flask) -> None:
    """Open the queue and hand it every registered task (the app factory imports the
    modules that register them: ``jobs`` and ``fixity``)."""
    settings = app.config["QUEUE"]
    url = settings["URL"]
    if url.startswith(("redis://", "rediss://", "unix://")):
        huey: Huey = RedisHuey("archive", url=url)
    else:
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("archive", filename=url or str(Path(app.instance_path) / "queue.db"))
    handles = {name: huey.task(name=name)(_in_app_context(app, fn)) for name, fn in TASKS.items()}
    for name, (fn, schedule) in PERIODIC.items():
        huey.periodic_task(crontab(**schedule), name=name)(_in_app_context(app, fn))
    app.extensions["huey"] = huey
    app.extensions["huey_tasks"] = handles


def _in_app_context(app: Flask, fn: Callable) -> Callable:
    def run(*args):
        with app.app_context():
            return fn(*args)

    run.__name__ = fn.__name__
    run.__qualname__ = fn.__qualname__
    return run


def enqueue(name: str, *args) -> None:
    """Queue task ``name``; or run it now when the queue is immediate."""
    if current_app.config["QUEUE"]["IMMEDIATE"]:
        TASKS[name](*args)
    else:
        current_app.extensions["huey_tasks"][name](*args)


def run_now(name: str, *args):
    """Run a task in this process, as ``archive ingest --wait`` does."""
    return TASKS[name](*args)


def huey(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["huey"]
