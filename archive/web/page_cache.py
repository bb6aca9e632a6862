"""Rendered public pages kept in memory for anonymous visitors, dropped the moment anything changes.

An anonymous visitor's listening page, embed, home page or browse page depends only on the
catalogue, the address (mount point, path and query) and the interface language (``page_key``);
never on the host it was asked by, since absolute URLs come from the configured site address.
So each process keeps the HTML it rendered under that key, stamped with the catalogue's
*version*: a small file in the instance folder that every process replaces right after each
commit that wrote anything (the web, the worker, the CLI alike; see ``install``). A page is
served from memory only while the stamp is unchanged and no embargo has ended since it was
rendered; otherwise it is rendered again. Logged-in users, pages with flashed messages, and
anything but a 200 are never kept.

The order makes it safe without locks: a writer commits, then replaces the stamp; a reader
reads the stamp, then the database. A page rendered from data older than a stamp is never
stored under that stamp.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path

from flask import current_app, has_app_context, make_response, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from archive.models import Item, utcnow

STAMP = "catalogue.version"
CAPACITY = 512  # pages per process; a page is ~15 kB

UNKEPT_HEADERS = {"Set-Cookie", "Content-Length"}

_pages: OrderedDict[tuple, tuple[bytes, datetime | None, bytes, list]] = OrderedDict()
_lock = threading.Lock()


def stamp_path(instance: str | os.PathLike) -> Path:
    return Path(instance) / STAMP


def bump(instance: str | os.PathLike) -> None:
    """Tell every process that the catalogue changed: new random bytes, replaced atomically."""
    path = stamp_path(instance)
    if not path.parent.is_dir():
        return
    temporary = path.with_name(f".{STAMP}.{os.getpid()}.{threading.get_ident()}")
    temporary.write_bytes(os.urandom(8))
    os.replace(temporary, path)


def version(instance: str | os.PathLike) -> bytes:
    try:
        return stamp_path(instance).read_bytes()
    except FileNotFoundError:
        return b""


_installed = False


def install() -> None:
    """Replace the stamp after every commit that wrote anything, in any session of the process."""
    global _installed
    if _installed:
        return
    _installed = True

    @event.listens_for(Session, "after_flush")
    def _wrote(session, _context):
        session.info["wrote"] = True

    @event.listens_for(Session, "do_orm_execute")
    def _executed(state):
        if state.is_update or state.is_delete or state.is_insert:
            state.session.info["wrote"] = True

    @event.listens_for(Session, "after_commit")
    def _committed(session):
        if session.info.pop("wrote", False) and has_app_context():
            bump(current_app.instance_path)

    @event.listens_for(Session, "after_rollback")
    def _rolled_back(session):
        session.info.pop("wrote", None)


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
    return (request.endpoint, request.script_root, request.full_path, str(get_locale()))


def for_anonymous(view: Callable) -> Callable:
    """Serve ``view``'s page from memory to anonymous visitors while the catalogue is unchanged."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not _cacheable():
            return view(*args, **kwargs)
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
