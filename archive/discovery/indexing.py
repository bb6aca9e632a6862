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

import fcntl
import os
import re
import time
from contextlib import contextmanager
from pathlib import Path

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.orm import selectinload

import indexer
from archive.db import db
from archive.errors import ArchiveError
from archive.models import Credit, IndexOutbox, Item, Person, Transcript

YEAR_RE = re.compile(r"\d{4}")


class IndexBusy(ArchiveError):
    """Another process held the index writer for longer than we were willing to wait."""


def index_root() -> Path:
    return Path(current_app.config["INDEX"]["DIR"])


def open_index() -> indexer.Index:
    """The app's index handle, kept per process and reopened when ``reindex`` swaps it."""
    cache = current_app.extensions.setdefault("archive.index", {})
    pid = os.getpid()
    if cache.get("pid") != pid:
        cache["pid"], cache["index"] = pid, indexer.open_index(index_root())
    return cache["index"]


@contextmanager
def writer_lock(timeout: float = 120.0):
    """One index writer at a time across every process using this instance."""
    root = index_root()
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".writer.lock", "w") as handle:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise IndexBusy("The search index is busy; try again in a moment.") from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sync(timeout: float = 120.0) -> int:
    """Index every item named in the outbox; return how many rows were drained.

    Raises :class:`IndexBusy` when another process holds the writer for ``timeout`` seconds;
    the rows stay in the outbox."""
    target = db.session.scalar(select(func.max(IndexOutbox.id)))
    if target is None:
        return 0
    with writer_lock(timeout):
        db.session.expire_all()  # read the catalogue as it is now, under the lock
        rows = db.session.execute(select(IndexOutbox.id, IndexOutbox.item_id)).all()
        if not rows:
            return 0  # another process drained them while we waited
        item_ids = {item_id for _, item_id in rows}
        found = load_items(item_ids)
        documents = [document(item) for item in found if item.status != "withdrawn"]
        withdrawn = [item.identifier for item in found if item.status == "withdrawn"]
        present = {item.id for item in found}
        gone = withdrawn + identifiers_of_deleted(item_ids - present)
        try:
            open_index().update(documents, remove=gone)
        except indexer.IndexBusy as exc:  # Whoosh's own lock (a rebuild swapping folders)
            raise IndexBusy("The search index is busy; try again in a moment.") from exc
        db.session.execute(delete(IndexOutbox).where(IndexOutbox.id.in_([r for r, _ in rows])))
        db.session.commit()
        return len(rows)


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


def load_items(item_ids) -> list[Item]:
    return list(
        db.session.scalars(
            select(Item)
            .where(Item.id.in_(list(item_ids)))
            .options(
                selectinload(Item.credits)
                .selectinload(Credit.person)
                .selectinload(Person.variants),
                selectinload(Item.tags),
                selectinload(Item.collections),
                selectinload(Item.prisons),
                selectinload(Item.transcripts).selectinload(Transcript.segments),
            )
        )
    )


def document(item: Item) -> dict:
    """The plain dict ``indexer`` indexes for one item."""
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
                "segments": [
                    {
                        "id": s.id,
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                        "speaker": s.speaker,
                        "restricted": s.restricted,
                    }
                    for s in t.segments
                ],
            }
            for t in item.transcripts
        ],
    }


def reindex(batch: int = 200, procs: int = 1) -> int:
    """Rebuild the whole index from the database into a fresh folder and swap it in."""

    def every_item():
        last = 0
        while True:
            ids = list(
                db.session.scalars(
                    select(Item.id).where(Item.id > last).order_by(Item.id).limit(batch)
                )
            )
            if not ids:
                return
            for item in sorted(load_items(ids), key=lambda i: i.id):
                yield document(item)
            last = ids[-1]
            db.session.expunge_all()

    with writer_lock(timeout=600):
        # Rows up to here are covered by the rebuild; later ones may name items it read
        # before they changed, so they stay in the outbox and are drained below.
        covered = db.session.scalar(select(func.max(IndexOutbox.id))) or 0
        count = indexer.rebuild(index_root(), every_item(), procs=procs)
        db.session.execute(delete(IndexOutbox).where(IndexOutbox.id <= covered))
        db.session.commit()
    current_app.extensions.pop("archive.index", None)
    sync()
    return count
