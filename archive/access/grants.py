"""Access requests: a researcher asks to hear one item, saying why; an admin grants it until
a date, refuses it, or later revokes the grant.  One function per step, each audited.

A request names an identifier, not an item: it is recorded the same way whether or not an
item has that identifier, so asking never tells a researcher which identifiers exist or what
they hold.  Only the admin sees the item (or that there is none).

What a grant lets the researcher see is decided in ``archive.access.rules``: a granted request
whose ``expires_at`` is still ahead opens that one item, if it is published and not under
embargo.  Nothing is written when a grant expires; the clock is read at every request.
"""

from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select

from archive import audit
from archive.access.rules import can_view
from archive.db import db
from archive.errors import ArchiveError, NotFound
from archive.i18n import _
from archive.mail import messages
from archive.models import AccessRequest, Item, User, is_identifier, utcnow
from archive.uow import operation

STATES = ("pending", "granted", "refused", "revoked")
MAX_PENDING = 20  # requests one researcher may have waiting at once
MAX_REASON = 5000


class AlreadyVisible(ArchiveError):
    """The researcher may already see the item: no request is needed."""


@operation
def request_access(user: User, identifier: str, reason: str) -> AccessRequest:
    """Record ``user``'s request to hear the item ``identifier``, whether or not it exists."""
    identifier = identifier.strip()
    reason = reason.strip()
    if user is None or not getattr(user, "is_authenticated", False):
        raise ArchiveError(_("Log in to ask for access."))
    if user.is_staff:
        raise AlreadyVisible(_("Staff see every item."))
    if not is_identifier(identifier):
        raise ArchiveError(_("“%(identifier)s” is not an item identifier.", identifier=identifier))
    if not reason:
        raise ArchiveError(_("Please say why you need this item."))
    if len(reason) > MAX_REASON:
        raise ArchiveError(_("The reason is too long."))
    item = db.session.scalar(select(Item).where(Item.identifier == identifier))
    if item is not None and can_view(user, item):
        raise AlreadyVisible(_("You can already see this item."))
    waiting = db.session.scalars(
        select(AccessRequest.identifier).where(
            AccessRequest.user_id == user.id, AccessRequest.state == "pending"
        )
    ).all()
    if identifier in waiting:
        raise ArchiveError(
            _(
                "You already asked for access to %(identifier)s: an admin will answer.",
                identifier=identifier,
            )
        )
    if len(waiting) >= MAX_PENDING:
        raise ArchiveError(
            _("You have %(count)s requests waiting: wait for an answer first.", count=len(waiting))
        )
    request = AccessRequest(
        user_id=user.id, identifier=identifier, item_id=item.id if item else None, reason=reason
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        user, "access.request", item, reindex=False, request=request.id, identifier=identifier
    )
    messages.access_requested(request)
    return request


def get_request(request_id: int) -> AccessRequest:
    request = db.session.get(AccessRequest, request_id)
    if request is None:
        raise NotFound(_("No such request."))
    return request


def item_of(request: AccessRequest) -> Item | None:
    """The item a request names: the one found when it was made, or one catalogued since."""
    if request.item is not None:
        return request.item
    return db.session.scalar(select(Item).where(Item.identifier == request.identifier))


def default_until(today: dt.date | None = None) -> dt.date:
    """The last day of a grant unless the admin picks another (``[AUTH] GRANT_DAYS``)."""
    days = int(current_app.config["AUTH"]["GRANT_DAYS"])
    return (today or utcnow().date()) + dt.timedelta(days=days)


def parse_until(value: str) -> dt.date:
    """A grant's last day from the form or the CLI (YYYY-MM-DD)."""
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise ArchiveError(
            _("“%(value)s” is not a date: write it as YYYY-MM-DD.", value=value)
        ) from None


@operation
def grant(
    request: AccessRequest, *, by: User | None, until: dt.date | None = None, note: str = ""
) -> AccessRequest:
    """Let the researcher see the item through the day ``until`` (UTC) included."""
    if request.state != "pending":
        raise ArchiveError(_("This request was already answered."))
    item = item_of(request)
    if item is None:
        raise ArchiveError(
            _(
                "No item has the identifier %(identifier)s: refuse the request instead.",
                identifier=request.identifier,
            )
        )
    until = until or default_until()
    if until <= utcnow().date():
        raise ArchiveError(_("The grant must end on a day after today."))
    expires = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())  # end of that day
    request.item_id = item.id
    _decide(request, "granted", by, note)
    request.expires_at = expires
    audit.record(
        by,
        "access.grant",
        item,
        reindex=False,
        request=request.id,
        researcher=request.user.email,
        until=until.isoformat(),
    )
    messages.access_decided(request, last_day=until)
    return request


@operation
def refuse(request: AccessRequest, *, by: User | None, note: str = "") -> AccessRequest:
    """Turn the request down; the note is shown to the researcher."""
    if request.state != "pending":
        raise ArchiveError(_("This request was already answered."))
    _decide(request, "refused", by, note)
    audit.record(
        by,
        "access.refuse",
        item_of(request),
        reindex=False,
        request=request.id,
        researcher=request.user.email,
        note=note.strip(),
    )
    messages.access_decided(request)
    return request


@operation
def revoke(request: AccessRequest, *, by: User | None, note: str = "") -> AccessRequest:
    """End a grant before its date."""
    if request.state != "granted":
        raise ArchiveError(_("Only a granted request can be revoked."))
    _decide(request, "revoked", by, note or request.note)
    request.expires_at = min(request.expires_at or utcnow(), utcnow())
    audit.record(
        by,
        "access.revoke",
        item_of(request),
        reindex=False,
        request=request.id,
        researcher=request.user.email,
        note=note.strip(),
    )
    messages.access_decided(request)
    return request


def _decide(request: AccessRequest, state: str, by: User | None, note: str) -> None:
    request.state = state
    request.note = note.strip()
    request.decided_at = utcnow()
    request.decided_by_id = (
        by.id if by is not None and getattr(by, "is_authenticated", False) else None
    )


def is_active(request: AccessRequest, now: dt.datetime | None = None) -> bool:
    """A granted request whose date has not passed."""
    return (
        request.state == "granted"
        and request.expires_at is not None
        and request.expires_at > (now or utcnow())
    )


def last_day(request: AccessRequest) -> dt.date | None:
    """The last day (UTC) a grant lets the researcher in."""
    if request.expires_at is None:
        return None
    return (request.expires_at - dt.timedelta(microseconds=1)).date()


def state_of(request: AccessRequest) -> str:
    """pending, granted, expired, refused or revoked: what the researcher is told."""
    if request.state == "granted" and not is_active(request):
        return "expired"
    return request.state


def pending() -> list[AccessRequest]:
    """Requests waiting for an admin, oldest first."""
    return list(
        db.session.scalars(
            select(AccessRequest)
            .where(AccessRequest.state == "pending")
            .order_by(AccessRequest.created_at, AccessRequest.id)
        )
    )


def pending_count() -> int:
    return db.session.scalar(select(func.count()).where(AccessRequest.state == "pending"))


def active_grants() -> list[AccessRequest]:
    """Grants in force now, those ending soonest first."""
    return list(
        db.session.scalars(
            select(AccessRequest)
            .where(AccessRequest.state == "granted", AccessRequest.expires_at > utcnow())
            .order_by(AccessRequest.expires_at, AccessRequest.id)
        )
    )


def decided(limit: int = 50) -> list[AccessRequest]:
    """The latest answered requests (refused, revoked, expired grants included)."""
    return list(
        db.session.scalars(
            select(AccessRequest)
            .where(AccessRequest.state != "pending")
            .order_by(AccessRequest.decided_at.desc(), AccessRequest.id.desc())
            .limit(limit)
        )
    )


def requests_of(user: User) -> list[AccessRequest]:
    """A researcher's own requests, newest first."""
    return list(
        db.session.scalars(
            select(AccessRequest)
            .where(AccessRequest.user_id == user.id)
            .order_by(AccessRequest.created_at.desc(), AccessRequest.id.desc())
        )
    )
