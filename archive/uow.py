"""One unit of work for every operation: commit once, then the effects, in a fixed order.

An operation (ingest, describe, publish, withdraw, import, ...) runs its body inside
``unit_of_work()`` and registers what must happen outside the transaction: jobs to queue,
files it wrote (removed if the transaction rolls back), files it made obsolete (removed
once it commits).  The outermost unit commits once; an operation called inside another
(a CSV import describing, ingesting and attaching transcripts) joins it.  Then, in order:

1. the search index is brought up to date with the outbox rows the transaction wrote
   (so a request or command returns only once the index shows its change); when another
   process holds the index writer for longer than ``[INDEX] SYNC_WAIT`` seconds, the rows
   stay in the outbox for the next change or the worker to drain, ``index_pending`` is set
   and, in a request, the page says the search will follow (the change itself stands);
2. the registered jobs are queued (or handed back to the caller that runs them itself);
3. files: those a committed operation made obsolete are deleted, or, after a rollback,
   those a failed operation wrote and nothing refers to.

Views and commands never commit, roll back or order these steps themselves (modelled on
invenio-db's ``UnitOfWork``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app, flash, has_request_context

from archive.db import db
from archive.i18n import _

_current: ContextVar[UnitOfWork | None] = ContextVar("archive_unit_of_work", default=None)


@dataclass
class UnitOfWork:
    """What one operation registered to happen once its transaction has ended."""

    queue_jobs: bool = True
    jobs: list[tuple[str, tuple]] = field(default_factory=list)
    written: list[tuple[Path, Callable[[], bool] | None]] = field(default_factory=list)
    obsolete: list[Path] = field(default_factory=list)
    emptied: list[Path] = field(default_factory=list)
    stored: list[tuple[str, Callable[[], bool] | None]] = field(default_factory=list)
    stored_obsolete: list[str] = field(default_factory=list)
    index_pending: bool = False  # committed, but the search index was busy: it follows later

    def enqueue(self, task: str, *args) -> None:
        """Queue background task ``task`` once the transaction has committed."""
        self.jobs.append((task, args))

    def wrote(self, path: Path, *, keep_if: Callable[[], bool] | None = None) -> None:
        """``path`` was written by this operation: remove it if the transaction rolls back,
        unless ``keep_if()`` (asked after the rollback) says something else refers to it."""
        self.written.append((Path(path), keep_if))

    def remove_after_commit(self, paths, folders=()) -> None:
        """Delete ``paths`` once the transaction has committed, then ``folders`` if empty."""
        self.obsolete.extend(Path(p) for p in paths)
        self.emptied.extend(Path(f) for f in folders)

    def wrote_stored(self, relpath: str, *, keep_if: Callable[[], bool] | None = None) -> None:
        """Like ``wrote``, for a file of the media store (``storage.store()``) at ``relpath``."""
        self.stored.append((relpath, keep_if))

    def remove_stored_after_commit(self, relpaths) -> None:
        """Delete the media store's files at ``relpaths`` once the transaction has committed."""
        self.stored_obsolete.extend(relpaths)

    # The steps, in their order.

    def _index(self) -> None:
        from archive.discovery import indexing

        try:
            indexing.sync(timeout=float(current_app.config["INDEX"]["SYNC_WAIT"]))
        except indexing.IndexBusy:
            # Never fail a committed change because the index is busy: its outbox rows wait
            # for the next drain, and the search hides the items meanwhile.
            self.index_pending = True
            current_app.logger.warning("The search index is busy: its update was left queued.")
            if has_request_context():
                flash(_("Saved. The search will show this change in a moment."), "info")

    def _queue(self) -> None:
        if not self.queue_jobs:
            return  # the caller runs them itself (``--wait``)
        from archive.holdings import queue

        for task, args in self.jobs:
            queue.enqueue(task, *args)

    def _remove_obsolete(self) -> int:
        removed = 0
        if self.stored_obsolete:
            from archive.holdings.storage import store

            for relpath in self.stored_obsolete:
                store().delete(relpath)
        for path in self.obsolete:
            if path.is_file():
                path.unlink()
                removed += 1
        for folder in self.emptied:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        return removed

    def _remove_written(self) -> None:
        for path, keep_if in self.written:
            if keep_if is None or not keep_if():
                path.unlink(missing_ok=True)
        if self.stored:
            from archive.holdings.storage import store

            for relpath, keep_if in self.stored:
                if keep_if is None or not keep_if():
                    store().delete(relpath)


def current() -> UnitOfWork:
    """The unit of work the running operation belongs to (raises outside of one)."""
    uow = _current.get()
    if uow is None:
        raise RuntimeError("No unit of work: run the operation inside unit_of_work().")
    return uow


@contextmanager
def unit_of_work(*, queue_jobs: bool = True) -> Iterator[UnitOfWork]:
    """Run an operation: join the unit already running, or begin one that commits at the end.

    ``queue_jobs=False`` keeps the jobs in ``uow.jobs`` for the caller to run itself.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    uow = UnitOfWork(queue_jobs=queue_jobs)
    token = _current.set(uow)
    try:
        yield uow
        db.session.commit()
    except BaseException:
        _current.reset(token)
        db.session.rollback()
        with contextlib.suppress(Exception):  # never hide the operation's own error
            uow._remove_written()
        raise
    _current.reset(token)  # jobs run inline (IMMEDIATE) begin units of their own
    try:
        uow._index()
    finally:
        try:
            uow._queue()
        finally:
            uow._remove_obsolete()


def operation(fn: Callable) -> Callable:
    """Run ``fn`` in a unit of work (its own, or the caller's when one is running)."""
    import functools

    @functools.wraps(fn)
    def run(*args, **kwargs):
        with unit_of_work():
            return fn(*args, **kwargs)

    return run
