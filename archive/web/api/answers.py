"""How the API answers: compact JSON with a strong ETag, 304 for a client that holds it, and
the If-Match precondition of every change to an item."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, json, request
from flask_babel import gettext as _
from sqlalchemy import update

from archive.db import db
from archive.exchange.item_document import document
from archive.models import Item, User
from archive.web.api.errors import ApiProblem
from archive.web.edge import site_url


def encode(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def etag(data: bytes) -> str:
    """A strong ETag: the digest of the exact bytes of the answer."""
    return hashlib.sha256(data).hexdigest()[:32]


def answer(body: Any, status: int = 200, *, headers: dict | None = None):
    """``body`` as JSON with its ETag; 304 when the client's If-None-Match holds it."""
    data = encode(body)
    response = current_app.response_class(data, status=status, mimetype="application/json")
    response.set_etag(etag(data))
    response.headers.update(headers or {})
    if request.method in ("GET", "HEAD") and status == 200:
        response.make_conditional(request)
    return response


def item_document(item: Item, user: User | None) -> dict:
    return document(item, user, url=site_url)


def item_etag(item: Item, user: User | None) -> str:
    """The ETag ``user`` gets for ``item`` now (what If-Match is compared with)."""
    return etag(encode(item_document(item, user)))


def hold(item: Item, user: User) -> None:
    """Take the item for this change, then :func:`check` the client's If-Match.

    Call inside the unit of work of the change: the row is locked first (an UPDATE that
    changes nothing: SQLite's write lock, PostgreSQL's row lock), so two clients holding the
    same ETag cannot both change the item."""
    precondition_sent()
    db.session.execute(update(Item).where(Item.id == item.id).values(updated_at=Item.updated_at))
    db.session.expire_all()  # read the item as it is under the lock
    check(item, user)


def precondition_sent() -> None:
    if "If-Match" not in request.headers:
        raise ApiProblem(
            428,
            _(
                "Send the item's ETag as If-Match (read the item first): changes to an item "
                "are made only to the version you have seen."
            ),
        )


def check(item: Item, user: User) -> None:
    """428 when the client sent no If-Match, 412 when the item changed since it read it."""
    precondition_sent()
    current = item_etag(item, user)
    if not (request.if_match.star_tag or request.if_match.contains(current)):
        raise ApiProblem(
            412,
            _(
                "The item changed since you read it (its ETag is no longer the one you sent): "
                "nothing was changed. Read it again, then send your change."
            ),
        )
