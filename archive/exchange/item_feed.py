"""The listings a partner pages through (``/api/v1/items``, people, tags, collections, places):
what a user may see, filtered like the search facets, in the order of the records' ids.

Keyset paging on the id (``after``) gives every record exactly once from the first page to
the last, whatever changes meanwhile: an edited record keeps its place, a new one comes at
the end. ``updated_since`` selects the items changed since a moment: their own row, or
anything the audit trail recorded of them (people, tags, transcripts, publication).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal, or_, select

from archive.access.rules import visible_filter
from archive.db import db
from archive.discovery.browse import SUBJECTS, subject_counts
from archive.models import (
    AuditEvent,
    Credit,
    Item,
    User,
    item_collections,
    item_places,
    item_tags,
)

#: Filters anyone may use, and those only staff may (the others see published items only).
FILTERS = ("type", "decade", "person", "narrator", "tag", "collection", "place", "language")
STAFF_FILTERS = ("access", "status")


@dataclass
class Page:
    """One page of a listing: the records, and whether more follow the last of them."""

    records: list[Any] = field(default_factory=list)
    more: bool = False

    @property
    def last_id(self) -> int | None:
        return self.records[-1].id if self.records else None


def items_page(
    user: User | None,
    filters: dict[str, Any],
    *,
    after: int = 0,
    limit: int = 50,
    updated_since: datetime | None = None,
) -> Page:
    """Up to ``limit`` items ``user`` may see matching ``filters``, ids above ``after``."""
    query = select(Item).where(visible_filter(user), Item.id > after)
    for name, value in filters.items():
        if value is not None:
            query = query.where(_condition(name, value))
    if updated_since is not None:
        changed = select(AuditEvent.item_id).where(
            AuditEvent.at >= updated_since, AuditEvent.item_id.is_not(None)
        )
        query = query.where(or_(Item.updated_at >= updated_since, Item.id.in_(changed)))
    return _page(query.order_by(Item.id), limit)


def _condition(name: str, value: Any) -> ColumnElement[bool]:
    if name in ("type", "access", "status"):
        return getattr(Item, name) == value
    if name == "decade":  # dates are YYYY, YYYY-MM, YYYY-MM-DD or circa YYYY
        prefix = f"{value // 10:03d}"
        return or_(Item.date.like(f"{prefix}_%"), Item.date.like(f"circa {prefix}_%"))
    if name == "language":  # languages are kept as "ar|en"
        return (literal("|") + Item.languages + literal("|")).like(f"%|{value}|%")
    if name in ("person", "narrator"):
        credited = select(Credit.item_id).where(Credit.person_id == value)
        if name == "narrator":
            credited = credited.where(Credit.role == "narrator")
        return Item.id.in_(credited)
    table, key = {
        "tag": (item_tags, item_tags.c.tag_id),
        "collection": (item_collections, item_collections.c.collection_id),
        "place": (item_places, item_places.c.place_id),
    }[name]
    return Item.id.in_(select(table.c.item_id).where(key == value))


def subjects_page(kind: str, user: User | None, *, after: int = 0, limit: int = 50):
    """Up to ``limit`` people, tags, collections or places (``kind``) with at least one item
    ``user`` may see, ids above ``after``; and {record id: number of such items}."""
    subject = SUBJECTS[kind]
    linked = select(subject.key).join(Item, subject.item == Item.id).where(visible_filter(user))
    query = select(subject.model).where(subject.model.id.in_(linked), subject.model.id > after)
    page = _page(query.order_by(subject.model.id), limit)
    counts = subject_counts(kind, user, ids=[record.id for record in page.records])
    return page, counts


def _page(query: Select, limit: int) -> Page:
    found = list(db.session.scalars(query.limit(limit + 1)))
    return Page(records=found[:limit], more=len(found) > limit)
