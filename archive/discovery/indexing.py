"""Keeping the search index in step with the catalogue, through the outbox.

Every change writes an "index this item" row into ``index_outbox`` in the
same transaction as the change.  Once the unit of work (``archive.uow``) has committed,
``sync()`` drains the outbox:
whichever process holds the writer lock indexes every item named there, from
the database as it is *while the lock is held*, so a later change can never
be overwritten by an earlier one.  A request or command that changed the
catalogue returns once its rows are drained, by itself or another process, or,
when the writer stays busy for longer than ``[INDEX] SYNC_WAIT`` (a reindex, a
long import), with its rows left in the outbox: the next change or the worker's
recovery (every minute) drains them, and until then the search hides those
items from everyone but staff (``archive.discovery.search``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

import indexer
from archive import locks
from archive.db import db
from archive.errors import ArchiveError
from archive.models import Credit, IndexOutbox, Item, Person, Segment

YEAR_RE = re.compile(r"\d{4}")


class IndexBusy(ArchiveError):
    """Another process held the index writer for longer than we were willing to wait."""


def index_root() -> Path:
    return Path(current_app.config["INDEX"]["DIR"])


def open_index() -> indexer.Index | indexer.PgIndex:
    """The app's index handle, kept per process and reopened when ``reindex`` swaps it:
    Whoosh under ``[INDEX] DIR``, or with ``[SEARCH] BACKEND = "postgresql"`` the search
    tables of the catalogue's own database (searches on ``[SEARCH] REPLICA_URL`` if set)."""
    cache = current_app.extensions.setdefault("archive.index", {})
    pid = os.getpid()
    if cache.get("pid") != pid:
        if on_postgresql():
            problem = backend_problem()
            if problem:
                raise ArchiveError(problem)
            replica = current_app.config["SEARCH"]["REPLICA_URL"] or None
            index = indexer.open_pg_index(db.engine, replica_url=replica)
        else:
            index = indexer.open_index(index_root())
        cache["pid"], cache["index"] = pid, index
    return cache["index"]


def on_postgresql() -> bool:
    """True when the search runs on PostgreSQL (``[SEARCH] BACKEND``)."""
    return current_app.config["SEARCH"]["BACKEND"] == "postgresql"


def backend_problem() -> str | None:
    """Why the configured search backend cannot run on this catalogue (one line), or None."""
    backend = current_app.config["SEARCH"]["BACKEND"]
    if backend not in ("whoosh", "postgresql"):
        return f'[SEARCH] BACKEND is "{backend}": it must be "whoosh" or "postgresql".'
    if backend == "postgresql" and db.engine.dialect.name != "postgresql":
        return (
            '[SEARCH] BACKEND = "postgresql" needs the catalogue on PostgreSQL '
            '(DATABASE_URL = "postgresql+psycopg://..."); it is on '
            f"{db.engine.dialect.name}."
        )
    return None


def index_outdated() -> bool:
    """True when the index must be rebuilt before use (an older format; on PostgreSQL also
    search tables never filled by a rebuild, as when an archive moves its search there)."""
    if on_postgresql():
        return open_index().outdated()
    return indexer.outdated(index_root())


@contextmanager
def writer_lock(timeout: float = 120.0):
    """One outbox drain or index rebuild at a time across every process and host of the
    archive (``archive.locks``: an advisory lock with the catalogue on PostgreSQL, else Redis
    or a file of the instance)."""
    lock = locks.named("index-writer")
    if not lock.acquire(timeout):
        raise IndexBusy("The search index is busy; try again in a moment.")
    try:
        yield
    finally:
        lock.release()


SYNC_BATCH = 100  # items read from the database at a time while the outbox is drained
DELETE_BATCH = 5000  # outbox rows deleted per statement (bound parameters are limited)


def sync(timeout: float = 120.0) -> int:
    """Index every item named in the outbox; return how many rows were drained.

    The items are read from the database ``SYNC_BATCH`` at a time and handed to the index as
    they come, in one index commit, so that memory does not grow with the number of items
    drained (the thousands of an import). Raises :class:`IndexBusy` when another process
    holds the writer for ``timeout`` seconds; the rows stay in the outbox."""
    target = db.session.scalar(select(func.max(IndexOutbox.id)))
    if target is None:
        return 0
    with writer_lock(timeout):
        db.session.expire_all()  # read the catalogue as it is now, under the lock
        rows = db.session.execute(select(IndexOutbox.id, IndexOutbox.item_id)).all()
        if not rows:
            return 0  # another process drained them while we waited
        item_ids = {item_id for _, item_id in rows}
        states = db.session.execute(
            select(Item.id, Item.identifier, Item.status).where(Item.id.in_(item_ids))
        ).all()
        withdrawn = [identifier for _, identifier, status in states if status == "withdrawn"]
        present = {item_id for item_id, _, _ in states}
        gone = withdrawn + identifiers_of_deleted(item_ids - present)
        shown = sorted(item_id for item_id, _, status in states if status != "withdrawn")
        try:
            open_index().update(_documents(shown), remove=gone)
        except indexer.IndexBusy as exc:  # Whoosh's own lock (a rebuild swapping folders)
            raise IndexBusy("The search index is busy; try again in a moment.") from exc
        drained = [row_id for row_id, _ in rows]
        for start in range(0, len(drained), DELETE_BATCH):
            chunk = drained[start : start + DELETE_BATCH]
            db.session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_(chunk)))
        db.session.commit()
        return len(rows)


def _documents(item_ids: list[int]):
    """The documents of these items, read ``SYNC_BATCH`` at a time (the progress reported)."""
    report = _reporting.get()
    for start in range(0, len(item_ids), SYNC_BATCH):
        for doc in load_documents(item_ids[start : start + SYNC_BATCH]):
            if doc["status"] != "withdrawn":  # withdrawn since: its own outbox row removes it
                yield doc
        if report is not None:
            report(min(start + SYNC_BATCH, len(item_ids)), len(item_ids))


_reporting: ContextVar[Callable[[int, int], None] | None] = ContextVar(
    "archive_index_reporting", default=None
)


@contextmanager
def reporting(report: Callable[[int, int], None]):
    """Call ``report(items indexed, items to index)`` after each batch that ``sync`` indexes
    in this context (a long import's progress bar)."""
    token = _reporting.set(report)
    try:
        yield
    finally:
        _reporting.reset(token)


def identifiers_of_deleted(item_ids: set[int]) -> list[str]:
    """Identifiers of items deleted for good, remembered in their audit events."""
    if not item_ids:
        return []
    from archive.models import AuditEvent

    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "delete", AuditEvent.details.isnot(None))
    )
    return [
        e.details["identifier"]
        for e in events
        if e.details.get("item_id") in item_ids and e.details.get("identifier")
    ]


SEGMENT_KEYS = ("id", "start", "end", "text", "speaker", "restricted")  # of a segment's dict


def load_documents(item_ids) -> list[dict]:
    """The documents of these items, by id. Their segments are read as rows, never as objects
    (the hundreds of thousands of a bulk import would cost more to make than to index)."""
    query = (
        select(Item)
        .where(Item.id.in_(list(item_ids)))
        .options(
            selectinload(Item.credits).selectinload(Credit.person).selectinload(Person.variants),
            selectinload(Item.tags),
            selectinload(Item.collections),
            selectinload(Item.prisons),
            selectinload(Item.transcripts),
        )
    )
    found = sorted(db.session.scalars(query), key=lambda item: item.id)
    said: dict[int, list[dict]] = {t.id: [] for item in found for t in item.transcripts}
    rows = db.session.execute(
        select(Segment.transcript_id, *(getattr(Segment, key) for key in SEGMENT_KEYS))
        .where(Segment.transcript_id.in_(list(said)))
        .order_by(Segment.transcript_id, Segment.position, Segment.id)
    )
    for transcript_id, *values in rows:
        said[transcript_id].append(dict(zip(SEGMENT_KEYS, values, strict=True)))
    return [document(item, said) for item in found]


def document(item: Item, segments: dict[int, list[dict]] | None = None) -> dict:
    """The plain dict ``indexer`` indexes for one item; ``segments``: the segment dicts of
    its transcripts by transcript id, when already read (else the transcripts' own)."""
    places = [{"name": p.name, "label_en": p.name_en} for p in item.prisons]
    if item.place and item.place not in {p["name"] for p in places}:
        places.insert(0, {"name": item.place, "label_en": ""})
    return {
        "identifier": item.identifier,
        "type": item.type,
        "title": item.title,
        "title_en": item.title_en,
        "description": item.description,
        "description_en": item.description_en,
        "people": [
            {
                "role": credit.role,
                "name": credit.person.name,
                "label_en": credit.person.name_latin,
                "names": credit.person.all_names,
            }
            for credit in item.credits
        ],
        "tags": [{"label": t.label, "label_en": t.label_en} for t in item.tags],
        "collections": [{"title": c.title, "title_en": c.title_en} for c in item.collections],
        "places": places,
        "languages": item.language_list,
        "date": item.date,
        "access": item.access,
        "status": item.status,
        "embargo_until": item.embargo_until,
        "created_at": item.created_at,
        "transcripts": [
            {
                "id": t.id,
                "language": t.language,
                "restricted": t.restricted,
                "segments": segments[t.id]
                if segments is not None
                else [{key: getattr(s, key) for key in SEGMENT_KEYS} for s in t.segments],
            }
            for t in item.transcripts
        ],
    }


def reindex(
    batch: int = 200, procs: int = 1, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """Rebuild the whole index from the database into a fresh folder and swap it in;
    ``progress("indexing", items read, items to index)`` after each batch read."""
    total = 0
    if progress is not None:
        indexed = select(func.count(Item.id)).where(Item.status != "withdrawn")
        total = db.session.scalar(indexed) or 0

    def every_item():
        last = done = 0
        if progress is not None:
            progress("indexing", 0, total)
        while True:
            ids = list(
                db.session.scalars(
                    select(Item.id)
                    .where(Item.id > last, Item.status != "withdrawn")  # as sync() leaves them
                    .order_by(Item.id)
                    .limit(batch)
                )
            )
            if not ids:
                if progress is not None:  # fewer than counted, when some went meanwhile
                    progress("indexing", done, done)
                # Done reading: a transaction left open here would keep PostgreSQL from
                # marking the rebuilt rows visible to all when the rebuild vacuums them.
                db.session.commit()
                return
            yield from load_documents(ids)
            last, done = ids[-1], done + len(ids)
            db.session.expunge_all()
            if progress is not None:  # items made since it was counted go past the total
                progress("indexing", done, max(total, done))

    with writer_lock(timeout=600):
        # Rows up to here are covered by the rebuild; later ones may name items it read
        # before they changed, so they stay in the outbox and are drained below.
        covered = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
        if on_postgresql():  # one transaction: searches see the old rows until it commits
            count = open_index().rebuild(every_item())
        else:
            count = indexer.rebuild(index_root(), every_item(), procs=procs)
        db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= covered))
        db.session.commit()
    if not on_postgresql():
        current_app.extensions.pop("archive.index", None)
    sync()
    return count
