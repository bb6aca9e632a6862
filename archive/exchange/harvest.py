"""Which records OAI-PMH harvesters may collect, when each last changed, and which are deleted.

Only items an anonymous visitor may see (``visible_filter(None)``) are ever offered. Each one
that has been visible at least once has a :class:`~archive.models.HarvestRecord`: its datestamp,
whether it is deleted now, the item's revision last seen and the sets it was in when last
visible. :func:`reconcile` brings those rows in step with the catalogue at the start of every
OAI-PMH request:

- a visible item without a row gets one, dated now;
- a row whose item changed (its ``revision``, raised by every change), moved to other sets, or
  that was deleted and is visible again, is dated now;
- a row whose item is no longer visible (unpublished, made researchers-only or staff-only,
  embargoed, withdrawn, deleted for good) becomes deleted, dated now, and stays so: the
  repository keeps deleted records for ever (``deletedRecord`` = persistent).

An item that was never visible never gets a row, so not even its identifier is ever told. An
embargo that ends changes nothing in the database: the next reconcile sees the item visible.

Datestamps are "now", not the item's own times, so that no change can be dated before a harvest
that did not see it. Reconciles run one at a time (a write lock taken before reading: SQLite's
``BEGIN IMMEDIATE``, a transaction-level advisory lock on PostgreSQL) and the time they date
changes with is read once the lock is held, so a later reconcile always dates later: a
harvester that asks again ``from`` the moment a response was made (its ``responseDate``, which
is that reconcile's time) misses nothing.

Sets: ``collection:<id>`` for each collection and ``type:<code>`` for each item type; their
parents ``collection`` and ``type`` hold every record of their children.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Connection,
    and_,
    bindparam,
    cast,
    exists,
    func,
    insert,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.types import Text

from archive.access.rules import visible_filter
from archive.db import db
from archive.models import Collection, HarvestRecord, Item, item_collections, utcnow

COLLECTION = "collection"
TYPE = "type"
#: The lock PostgreSQL reconciles share (an arbitrary constant: "OAI" in ASCII).
ADVISORY_LOCK = 0x4F4149


def now_seconds() -> datetime:
    """The current UTC time in whole seconds, as datestamps are kept."""
    return utcnow().replace(microsecond=0)


def item_sets(item_type: str, collection_ids) -> list[str]:
    """The setSpecs of an item of ``item_type`` in the collections ``collection_ids``, sorted."""
    return sorted([f"{TYPE}:{item_type}", *(f"{COLLECTION}:{cid}" for cid in set(collection_ids))])


@dataclass(frozen=True)
class Visible:
    item_id: int
    identifier: str
    revision: int
    sets: list[str]


def visible_items(connection: Connection) -> dict[str, Visible]:
    """{identifier: what a harvester may see of it} for every item visible now."""
    rows = connection.execute(
        select(Item.id, Item.identifier, Item.revision, Item.type).where(visible_filter(None))
    ).all()
    memberships: dict[int, list[int]] = defaultdict(list)
    for item_id, collection_id in connection.execute(
        select(item_collections.c.item_id, item_collections.c.collection_id)
        .join(Item, Item.id == item_collections.c.item_id)
        .where(visible_filter(None))
    ):
        memberships[item_id].append(collection_id)
    return {
        identifier: Visible(item_id, identifier, revision, item_sets(kind, memberships[item_id]))
        for item_id, identifier, revision, kind in rows
    }


def reconcile() -> datetime:
    """Bring the harvest records in step with the catalogue; return the moment they are true
    of (the snapshot a response is made from, in whole seconds).

    Runs in its own short transaction on its own connection, never the session's (so it writes
    no outbox row and leaves the caller's session as it was).
    """
    with db.engine.connect() as connection:
        _lock(connection)
        try:
            now = now_seconds()
            _reconcile(connection, now)
        except BaseException:
            connection.rollback()
            raise
        connection.commit()
    return now


def _lock(connection: Connection) -> None:
    """Begin a transaction that holds the harvest records' write lock until it ends."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        # Python's sqlite3 begins no transaction before a SELECT: this one waits (busy
        # timeout) for the database's write lock, so two reconciles never interleave.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif dialect == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK})


def _reconcile(connection: Connection, now: datetime) -> None:
    visible = visible_items(connection)
    table = HarvestRecord.__table__
    known = {
        row.identifier: row
        for row in connection.execute(
            select(table.c.identifier, table.c.item_id, table.c.deleted, table.c.revision,
                   table.c.sets)
        )
    }  # fmt: skip
    new, changed, gone = [], [], []
    for identifier, seen in visible.items():
        row = known.get(identifier)
        values = {
            "identifier": identifier,
            "item_id": seen.item_id,
            "datestamp": now,
            "deleted": False,
            "revision": seen.revision,
            "sets": seen.sets,
        }
        if row is None:
            new.append(values)
        elif (
            row.deleted
            or row.revision != seen.revision
            or row.item_id != seen.item_id
            or list(row.sets or []) != seen.sets
        ):
            changed.append({**values, "key": identifier})
    for identifier, row in known.items():
        if not row.deleted and identifier not in visible:
            gone.append({"key": identifier})
    if new:
        connection.execute(insert(table), new)
    if changed:
        connection.execute(
            update(table)
            .where(table.c.identifier == bindparam("key"))
            .values(
                item_id=bindparam("item_id"),
                datestamp=bindparam("datestamp"),
                deleted=bindparam("deleted"),
                revision=bindparam("revision"),
                sets=bindparam("sets", type_=table.c.sets.type),
            ),
            changed,
        )
    if gone:
        connection.execute(
            update(table)
            .where(table.c.identifier == bindparam("key"))
            .values(datestamp=now, deleted=True),
            gone,
        )


# --- reading the records ------------------------------------------------------------------------


def in_set(spec: str):
    """A WHERE clause: the record is (or, deleted, was) in set ``spec`` or one of its children."""
    # The sets are stored as a JSON list of strings, and a setSpec holds no quote: the record
    # is in the set when its list holds "spec" or "spec:…" (case-sensitive, unlike LIKE).
    stored = cast(HarvestRecord.sets, Text)
    return or_(_holds(stored, f'"{spec}"'), _holds(stored, f'"{spec}:'))


def _holds(stored, needle: str):
    if db.engine.dialect.name == "postgresql":
        return func.strpos(stored, needle) > 0
    return func.instr(stored, needle) > 0


def scope(*, since: datetime | None, until: datetime | None, spec: str | None):
    """The WHERE clause of a selective harvest."""
    clauses = []
    if since is not None:
        clauses.append(HarvestRecord.datestamp >= since)
    if until is not None:
        clauses.append(HarvestRecord.datestamp <= until)
    if spec is not None:
        clauses.append(in_set(spec))
    return and_(true(), *clauses)


def count(where) -> int:
    return db.session.scalar(select(func.count()).select_from(HarvestRecord).where(where)) or 0


def page(where, after: tuple[datetime, str] | None, size: int) -> list[HarvestRecord]:
    """Up to ``size`` records of ``where`` following ``after`` in (datestamp, identifier) order."""
    query = select(HarvestRecord).where(where)
    if after is not None:
        moment, identifier = after
        query = query.where(
            or_(
                HarvestRecord.datestamp > moment,
                and_(HarvestRecord.datestamp == moment, HarvestRecord.identifier > identifier),
            )
        )
    query = query.order_by(HarvestRecord.datestamp, HarvestRecord.identifier).limit(size)
    return list(db.session.scalars(query))


def changed_since(snapshot: datetime, *, since: datetime | None, spec: str | None) -> bool:
    """Whether a record of this selection (ignoring ``until``) was dated after ``snapshot``:
    the list a resumption token pages through is then no longer the one it began."""
    where = and_(scope(since=since, until=None, spec=spec), HarvestRecord.datestamp > snapshot)
    return bool(db.session.scalar(select(exists().where(where))))


def record(identifier: str) -> HarvestRecord | None:
    """The harvest record of the item with accession number ``identifier``, if ever visible."""
    return db.session.scalar(select(HarvestRecord).where(HarvestRecord.identifier == identifier))


def earliest() -> datetime | None:
    return db.session.scalar(select(func.min(HarvestRecord.datestamp)))


# --- sets ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetInfo:
    spec: str
    collection: Collection | None = None  # for collection:<id>
    type_code: str | None = None  # for type:<code>


def sets() -> list[SetInfo]:
    """The sets that hold at least one visible item now, and their parents, by setSpec.

    A collection made only of hidden items is not listed (its name would tell of them).
    """
    types = db.session.scalars(select(Item.type).where(visible_filter(None)).distinct()).all()
    collections = db.session.scalars(
        select(Collection)
        .where(
            Collection.id.in_(
                select(item_collections.c.collection_id)
                .join(Item, Item.id == item_collections.c.item_id)
                .where(visible_filter(None))
            )
        )
        .order_by(Collection.id)
    ).all()
    found = [SetInfo(f"{COLLECTION}:{c.id}", collection=c) for c in collections]
    found += [SetInfo(f"{TYPE}:{code}", type_code=code) for code in types]
    if collections:
        found.append(SetInfo(COLLECTION))
    if types:
        found.append(SetInfo(TYPE))
    return sorted(found, key=lambda s: s.spec)
