"""Who may see what: the one place every page, listing, search and media route asks.

Anonymous visitors see published public items.  Approved researchers also see
published items marked "researchers".  Staff (archivists and admins) see
everything.  An embargo makes an item staff-only until its date, whatever its
level.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, true

from archive.models import Item, User, utcnow


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
    return and_(
        Item.status == "published",
        Item.access.in_(levels),
        or_(Item.embargo_until.is_(None), Item.embargo_until <= utcnow()),
    )


def can_view(user: User | None, item: Item) -> bool:
    """True when ``user`` may see ``item`` (its page, media, transcripts, everything)."""
    levels = levels_for(user)
    if levels is None:
        return True
    if item.status != "published" or item.access not in levels:
        return False
    return item.embargo_until is None or item.embargo_until <= utcnow()


def can_edit(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_staff)
