"""Who may see what: the one place every page, listing, search and media route asks.

Anonymous visitors see published public items.  Approved researchers also see
published items marked "researchers".  Staff (archivists and admins) see
everything.  A researcher an admin granted access to one item (an
``AccessRequest`` granted and not yet expired) sees that item too, whatever its
level, as long as it is published.  An embargo makes an item staff-only until
its date, whatever its level or any grant.  Grants are compared with the clock
when asked, so one that expires needs no write.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, or_, select, true

from archive.db import db
from archive.models import AccessRequest, Item, User, utcnow


def levels_for(user: User | None) -> tuple[str, ...] | None:
    """Access levels a user may see among published items; None means all items."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ("public",)
    if user.is_staff:
        return None
    if user.role == "researcher" and user.approved:
        return ("public", "researchers")
    return ("public",)


def visible_filter(user: User | None) -> ColumnElement[bool]:
    """A WHERE clause on ``Item`` selecting the items ``user`` may see."""
    levels = levels_for(user)
    if levels is None:
        return true()
    allowed = Item.access.in_(levels)
    if _may_hold_grants(user):
        allowed = or_(allowed, Item.id.in_(granted_item_ids(user)))
    return and_(
        Item.status == "published",
        allowed,
        or_(Item.embargo_until.is_(None), Item.embargo_until <= utcnow()),
    )


def can_view(user: User | None, item: Item) -> bool:
    """True when ``user`` may see ``item`` (its page, media, transcripts, everything)."""
    levels = levels_for(user)
    if levels is None:
        return True
    if item.status != "published":
        return False
    if item.embargo_until is not None and item.embargo_until > utcnow():
        return False
    return item.access in levels or has_grant(user, item)


def is_gone_for(user: User | None, item: Item) -> bool:
    """True when ``item`` was withdrawn after ``user`` could see it: they are told it is gone
    (410). Staff still see it; anyone who never could learns nothing, not even that it
    existed (404)."""
    levels = levels_for(user)
    if item.status != "withdrawn" or levels is None or item.published_at is None:
        return False
    if item.embargo_until is not None and item.embargo_until > utcnow():
        return False
    return item.access in levels or has_grant(user, item)


def granted_item_ids(user: User) -> Select:
    """Ids of the items an admin granted ``user`` access to, grants unexpired now."""
    return select(AccessRequest.item_id).where(
        AccessRequest.user_id == user.id,
        AccessRequest.state == "granted",
        AccessRequest.expires_at > utcnow(),
        AccessRequest.item_id.is_not(None),
    )


def granted_identifiers(user: User | None) -> frozenset[str]:
    """Identifiers of the items ``user`` holds an unexpired grant for (the search adds them
    to what the user's levels show, applying the same published and embargo rules)."""
    if not _may_hold_grants(user):
        return frozenset()
    found = db.session.scalars(select(Item.identifier).where(Item.id.in_(granted_item_ids(user))))
    return frozenset(found)


def has_grant(user: User | None, item: Item) -> bool:
    """True when ``user`` holds an unexpired grant for ``item`` (publication and embargo
    are checked by :func:`can_view`)."""
    if not _may_hold_grants(user) or item.id is None:
        return False
    return bool(
        db.session.scalar(
            select(granted_item_ids(user).where(AccessRequest.item_id == item.id).exists())
        )
    )


def _may_hold_grants(user: User | None) -> bool:
    """Only logged-in, active, non-staff accounts are ever given grants."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and user.active
        and not user.is_staff
    )


def can_edit(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_staff)
