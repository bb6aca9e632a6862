"""The audit trail, and the outbox row that tells the indexer an item changed."""

from __future__ import annotations

from typing import Any

from archive.db import db
from archive.models import AuditEvent, IndexOutbox, Item, User


def record(
    user: User | None,
    action: str,
    item: Item | None = None,
    *,
    reindex: bool = True,
    **details: Any,
) -> None:
    """Add an audit event, and unless told otherwise an outbox row (in the caller's unit of
    work)."""
    user_id = user.id if user is not None and getattr(user, "is_authenticated", False) else None
    if item is not None and item.id is None:
        db.session.flush()
    db.session.add(
        AuditEvent(
            user_id=user_id,
            action=action,
            item_id=item.id if item is not None else None,
            details=details,
        )
    )
    if item is not None and reindex:
        db.session.add(IndexOutbox(item_id=item.id))


def history(item: Item, limit: int = 50) -> list[AuditEvent]:
    """The latest events of ``item``, newest first (its page under Catalogue)."""
    from sqlalchemy import select

    query = (
        select(AuditEvent)
        .where(AuditEvent.item_id == item.id)
        .order_by(AuditEvent.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))
