"""Browsing the archive: counts by facet, the collection in figures, and the listings.

Every count, figure and listing here goes through ``visible_filter(user)``: a
visitor counts only what they may see, and a person, tag, place or collection
none of whose items they may see does not exist for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, select

from archive.access.rules import visible_filter
from archive.catalogue import authority
from archive.db import by_code_point, db
from archive.errors import NotFound
from archive.models import (
    CREDIT_ROLES,
    ITEM_TYPES,
    Collection,
    Credit,
    Item,
    Person,
    Place,
    Recording,
    Tag,
    User,
    item_collections,
    item_places,
    item_tags,
)


@dataclass(frozen=True)
class Subject:
    """A kind of record items link to: the record, the link's two keys, its two labels."""

    model: Any
    key: Any  # the link column naming the record
    item: Any  # the link column naming the item
    label: Any  # Arabic label column
    label_en: Any  # English (Latin-script) label column


SUBJECTS = {
    "people": Subject(Person, Credit.person_id, Credit.item_id, Person.name, Person.name_latin),
    "tags": Subject(Tag, item_tags.c.tag_id, item_tags.c.item_id, Tag.label, Tag.label_en),
    "places": Subject(
        Place, item_places.c.place_id, item_places.c.item_id, Place.name, Place.name_en
    ),
    "collections": Subject(
        Collection,
        item_collections.c.collection_id,
        item_collections.c.item_id,
        Collection.title,
        Collection.title_en,
    ),
}

# The year of a date as items.check_date accepts it (YYYY, YYYY-MM, YYYY-MM-DD, circa YYYY):
# its first four-digit year, in plain SQL so that SQLite and PostgreSQL group and page alike.
_YEAR = case(
    (Item.date.like("circa %"), func.substr(Item.date, 7, 4)),
    else_=func.substr(Item.date, 1, 4),
)
_DECADE = func.substr(_YEAR, 1, 3)  # "198" for the 1980s
# Listings run oldest first by the recorded date, undated items last.
_CHRONOLOGICAL = (case((Item.date == "", 1), else_=0), _YEAR, Item.date, Item.identifier)


# --- counts -------------------------------------------------------------------


def type_counts(user: User | None) -> list[tuple[str, int]]:
    """(type, number of visible items) for the types that have any, in ITEM_TYPES order."""
    rows = dict(
        db.session.execute(
            select(Item.type, func.count(Item.id)).where(visible_filter(user)).group_by(Item.type)
        ).all()
    )
    known = [(code, rows.pop(code)) for code in ITEM_TYPES if code in rows]
    return known + sorted(rows.items())


def decade_counts(user: User | None) -> list[tuple[int, int]]:
    """(decade, number of visible items) by decade of recording, oldest first; undated left out."""
    rows = db.session.execute(
        select(_DECADE, func.count(Item.id))
        .where(visible_filter(user), Item.date != "")
        .group_by(_DECADE)
    ).all()
    return sorted((int(prefix) * 10, count) for prefix, count in rows if prefix.isdigit())


def _counted(kind: str, user: User | None):
    """SELECT record id, number of its visible items, for the records of ``kind`` having any."""
    subject = SUBJECTS[kind]
    count = func.count(distinct(subject.item))
    query = (
        select(subject.key, count)
        .join(Item, subject.item == Item.id)
        .where(visible_filter(user))
        .group_by(subject.key)
    )
    return query, count


def subject_counts(kind: str, user: User | None, ids=None) -> dict[int, int]:
    """{record id: number of visible items linked to it}; records with none are absent."""
    query, _count = _counted(kind, user)
    if ids is not None:
        query = query.where(SUBJECTS[kind].key.in_(ids))
    return dict(db.session.execute(query).all())


def top_subjects(kind: str, user: User | None, limit: int = 10) -> list[tuple[Any, int]]:
    """The ``limit`` records with the most visible items, as (record, count), most first."""
    subject = SUBJECTS[kind]
    query, count = _counted(kind, user)
    rows = db.session.execute(query.order_by(count.desc(), subject.key).limit(limit)).all()
    found = select(subject.model).where(subject.model.id.in_([key for key, _ in rows]))
    records = {record.id: record for record in db.session.scalars(found)}
    return [(records[key], n) for key, n in rows if key in records]


def subjects(kind: str, user: User | None, *, lang: str, page: int, per_page: int):
    """One page of the records of ``kind`` that have visible items, by their label in ``lang``,
    and {record id: count} for that page."""
    subject = SUBJECTS[kind]
    linked = select(subject.key).join(Item, subject.item == Item.id).where(visible_filter(user))
    label = subject.label
    if lang != "ar":
        label = func.lower(func.coalesce(func.nullif(subject.label_en, ""), subject.label))
    query = (
        select(subject.model)
        .where(subject.model.id.in_(linked))
        .order_by(by_code_point(label), subject.model.id)
    )
    listing = db.paginate(query, page=page, per_page=per_page, error_out=False)
    counts = subject_counts(kind, user, ids=[record.id for record in listing.items])
    return listing, counts


# --- one subject and its items --------------------------------------------------


def get_subject(kind: str, record_id: int, user: User | None):
    """The record (a merged person: the survivor) if ``user`` may see at least one of its
    items; NotFound otherwise, so that restricted subjects do not leak their existence."""
    subject = SUBJECTS[kind]
    record = db.session.get(subject.model, record_id)
    if record is not None and kind == "people":
        record = authority.surviving(record)
    if record is None or not subject_counts(kind, user, ids=[record.id]):
        raise NotFound(f"No {kind} {record_id}.")
    return record


def items_of(kind: str, record, user: User | None, *, page: int, per_page: int):
    """One page of the visible items linked to ``record``, oldest recording first."""
    subject = SUBJECTS[kind]
    linked = select(subject.item).where(subject.key == record.id)
    return _listing(Item.id.in_(linked), user, page=page, per_page=per_page)


def items_of_type(code: str, user: User | None, *, page: int, per_page: int):
    if code not in ITEM_TYPES:
        raise NotFound(f"No type {code}.")
    return _listing(Item.type == code, user, page=page, per_page=per_page)


def items_of_decade(decade: int, user: User | None, *, page: int, per_page: int):
    if decade % 10 or not 0 <= decade <= 9990:
        raise NotFound(f"No decade {decade}.")
    where = (Item.date != "") & (_DECADE == f"{decade // 10:03d}")
    return _listing(where, user, page=page, per_page=per_page)


def _listing(where: ColumnElement[bool], user: User | None, *, page: int, per_page: int):
    query = select(Item).where(visible_filter(user), where).order_by(*_CHRONOLOGICAL)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def person_credits(person: Person, user: User | None, *, page: int, per_page: int):
    """One page of a person's visible credits, by role (in CREDIT_ROLES order) then date,
    and {role: number of visible items in that role} over all pages."""
    role_order = case({role: n for n, role in enumerate(CREDIT_ROLES)}, value=Credit.role)
    query = (
        select(Credit)
        .join(Item, Credit.item_id == Item.id)
        .where(Credit.person_id == person.id, visible_filter(user))
        .order_by(role_order, *_CHRONOLOGICAL)
    )
    listing = db.paginate(query, page=page, per_page=per_page, error_out=False)
    counts = dict(
        db.session.execute(
            select(Credit.role, func.count(Credit.id))
            .join(Item, Credit.item_id == Item.id)
            .where(Credit.person_id == person.id, visible_filter(user))
            .group_by(Credit.role)
        ).all()
    )
    return listing, counts


# --- the collection in figures ---------------------------------------------------


def totals(user: User | None) -> dict[str, float | int]:
    """Visible items, seconds of their current recordings, narrators and collections."""
    visible = visible_filter(user)
    seconds = db.session.scalar(
        select(func.coalesce(func.sum(Recording.duration), 0.0))
        .join(Item, Recording.item_id == Item.id)
        .where(visible, Recording.superseded_at.is_(None))
    )
    narrators = db.session.scalar(
        select(func.count(distinct(Credit.person_id)))
        .join(Item, Credit.item_id == Item.id)
        .where(visible, Credit.role == "narrator")
    )
    return {
        "items": db.session.scalar(select(func.count(Item.id)).where(visible)),
        "seconds": float(seconds or 0.0),
        "narrators": narrators,
        "collections": len(subject_counts("collections", user)),
    }


def figures(user: User | None, places: int = 12) -> dict[str, Any]:
    """Everything the figures page draws, counted over what ``user`` may see."""
    return {
        **totals(user),
        "types": type_counts(user),
        "decades": decade_counts(user),
        "places": top_subjects("places", user, limit=places),
        "places_total": len(subject_counts("places", user)),
    }
