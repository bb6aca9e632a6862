"""Cursors of the API's listings: opaque, signed, and bound to the query they page through.

A listing runs in the order of the records' ids, and a cursor holds the last id a page gave.
Ids never change and new records get larger ones, so paging from start to end gives every
record that stayed visible exactly once, however records are edited, added or removed
meanwhile (an edited item does not move; one removed is simply not met). A cursor is
signed with the site's secret, so it cannot be forged to read past anything, and it carries
a fingerprint of the filters it was made for: used with others, it is refused (422).
"""

from __future__ import annotations

import hashlib
import json

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from archive.web.api.errors import ApiProblem

SALT = "archive.api.cursor"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def fingerprint(filters: dict) -> str:
    """A short digest of the filters a listing was asked with."""
    text = json.dumps(filters, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make(after: int, filters: dict) -> str:
    """The cursor of the page that follows the record with id ``after``."""
    return _serializer().dumps({"after": after, "filters": fingerprint(filters)})


def read(cursor: str | None, filters: dict) -> int:
    """The id to continue after (0: from the start); 422 for a cursor that is not one of
    ours or was made for other filters."""
    if not cursor:
        return 0
    try:
        found = _serializer().loads(cursor)
    except BadSignature:
        found = None
    if (
        not isinstance(found, dict)
        or not isinstance(found.get("after"), int)
        or found.get("filters") != fingerprint(filters)
    ):
        raise ApiProblem(
            422,
            _(
                "This cursor is not one the archive gave for these filters: start again "
                "without a cursor, then follow the “next” links."
            ),
        )
    return found["after"]
