"""Rendered public pages kept in memory for anonymous visitors, dropped the moment anything changes.

An anonymous visitor's listening page, embed, home page or browse page depends only on the
catalogue, the address (mount point, path and query) and the interface language (``page_key``);
never on the host it was asked by, since absolute URLs come from the configured site address.
So each process keeps the HTML it rendered under that key, stamped with the catalogue's
version (``archive.versions``: changed by every process right after each commit that wrote
anything, on one host or several). A page is served from memory only while the version is
unchanged and no embargo has ended since it was rendered; otherwise it is rendered again.
Logged-in users, pages with flashed messages, and anything but a 200 are never kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import wraps

from flask import current_app, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from archive.models import Item, utcnow
from archive.versions import bump, version  # noqa: F401 (bump: tests start instances with it)

CAPACITY = 512  # pages per process; a page is ~15 kB

UNKEPT_HEADERS = {"Set-Cookie", "Content-Length"}

_pages: OrderedDict[tuple, tuple[bytes, datetime | None, bytes, list]] = OrderedDict()
_lock = threading.Lock()


def _next_embargo_end() -> datetime | None:
    from archive.db import db

    return db.session.scalar(
        select(func.min(Item.embargo_until)).where(Item.embargo_until > utcnow())
    )


def _cacheable() -> bool:
    return (
        not current_user.is_authenticated
        and "_flashes" not in session
        and current_app.config.get("PAGE_CACHE", True)
    )


def page_key() -> tuple:
    """What shapes an anonymous visitor's page: the address (the mount point, path and query)
    and the interface language. Not the host or the scheme: absolute URLs come from
    ``[SERVER] BASE_URL`` (``archive.web.edge``), and an unknown host never gets this far."""
    from archive.web.data_saving import saves_data  # the small renditions named first

    return (
        request.endpoint,
        request.script_root,
        request.full_path,
        str(get_locale()),
        saves_data(),
    )


def for_anonymous(view: Callable) -> Callable:
    """Serve ``view``'s page from memory to anonymous visitors while the catalogue is unchanged."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not _cacheable():
            response = make_response(view(*args, **kwargs))
            response.vary.add("Save-Data")
            return response
        stamp = version(current_app.instance_path)
        key = page_key()
        with _lock:
            entry = _pages.get(key)
            if entry is not None:
                _pages.move_to_end(key)
        if entry is not None:
            kept_stamp, valid_until, body, headers = entry
            if kept_stamp == stamp and (valid_until is None or utcnow() < valid_until):
                return make_response(body, 200, headers)
        valid_until = _next_embargo_end()
        response = make_response(view(*args, **kwargs))
        response.vary.add("Save-Data")  # see archive.web.data_saving
        if response.status_code == 200 and not response.direct_passthrough:
            with _lock:
                headers = [(k, v) for k, v in response.headers if k not in UNKEPT_HEADERS]
                _pages[key] = (stamp, valid_until, response.get_data(), headers)
                _pages.move_to_end(key)
                while len(_pages) > CAPACITY:
                    _pages.popitem(last=False)
        return response

    return wrapped


def clear() -> None:
    with _lock:
        _pages.clear()
