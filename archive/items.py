"""Operations on items: describe, publish, unpublish, and the listings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from archive import audit
from archive.access import can_view, visible_filter
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.models import ACCESS_LEVELS, ITEM_TYPES, Item, User, utcnow

BASIC_FIELDS = ("title", "title_en", "type", "access", "description", "description_en")


def get_item(identifier: str, user: User | None) -> Item:
    """The item, if ``user`` may see it; NotFound either way otherwise (no existence leak)."""
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if item is None or not can_view(user, item):
        raise NotFound(f"No item {identifier}.")
    return item


def visible_items(user: User | None, *, page: int = 1, per_page: int = 20):
    """Items ``user`` may see, newest first, one page of them."""
    query = (
        select(Item).where(visible_filter(user)).order_by(Item.created_at.desc(), Item.id.desc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def describe(item: Item, changes: dict[str, Any], *, user: User | None) -> Item:
    """Change an item's basic description; record what changed."""
    unknown = set(changes) - set(BASIC_FIELDS)
    if unknown:
        raise ArchiveError(f"Unknown field(s): {', '.join(sorted(unknown))}.")
    if "type" in changes and changes["type"] not in ITEM_TYPES:
        raise ArchiveError(f"Unknown type '{changes['type']}': use one of {', '.join(ITEM_TYPES)}.")
    if "access" in changes and changes["access"] not in ACCESS_LEVELS:
        raise ArchiveError(
            f"Unknown access level '{changes['access']}': use one of {', '.join(ACCESS_LEVELS)}."
        )
    if "title" in changes and not (changes["title"] or "").strip() and not item.title_en:
        raise ArchiveError("An item needs a title.")
    diff = {}
    for field, value in changes.items():
        value = value if value is not None else ""
        old = getattr(item, field)
        if old != value:
            diff[field] = [old, value]
            setattr(item, field, value)
    if diff:
        audit.record(user, "describe", item, changes=diff)
        db.session.commit()
    return item


def publish(item: Item, *, user: User | None) -> Item:
    if item.status == "withdrawn":
        raise ArchiveError(f"{item.identifier} was withdrawn and cannot be published.")
    if item.status != "published":
        item.status = "published"
        item.published_at = item.published_at or utcnow()
        audit.record(user, "publish", item)
        db.session.commit()
    return item


def unpublish(item: Item, *, user: User | None) -> Item:
    if item.status == "published":
        item.status = "draft"
        audit.record(user, "unpublish", item)
        db.session.commit()
    return item


def find_item(identifier: str) -> Item:
    """Any item, for staff operations."""
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if item is None:
        raise NotFound(f"No item {identifier}.")
    return item
