"""The catalogue's version: a value every process changes right after each commit that wrote
anything (the web, the worker, the CLI alike), so that what a process keeps from the catalogue
(rendered pages in ``archive.web.page_cache``, the search's thesaurus in
``archive.discovery.vocabulary``) is used only while nothing changed.

On one machine it is a small file in the instance folder, replaced atomically. When the
catalogue is on PostgreSQL, whose processes may run on several hosts that share no folder, it
is the ``catalogue_version`` sequence of the database itself (migration 0010). The order makes
it safe without locks: a writer commits, then changes the version; a reader reads the version,
then the catalogue. What was made from data older than a version is never kept under it.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

STAMP = "catalogue.version"


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
    """The catalogue's version as this process sees it now (see the module)."""
    from archive.db import db

    if db.engine.dialect.name == "postgresql":
        last, called = db.session.execute(
            text("SELECT last_value, is_called FROM catalogue_version")
        ).one()
        # The database's name too: databases copied from one template start at one value.
        return f"{db.engine.url.database}:{last}:{called}".encode()
    try:
        return stamp_path(instance).read_bytes()
    except FileNotFoundError:
        return b""


def _changed() -> None:
    """A commit wrote something: change the version every process compares."""
    from archive.db import db

    if db.engine.dialect.name == "postgresql":
        with _version_engine(db.engine).connect() as connection:
            connection.execute(text("SELECT nextval('catalogue_version')"))
            connection.commit()
    else:
        bump(current_app.instance_path)


_engines: dict[tuple[int, str], Engine] = {}
_engines_lock = threading.Lock()


def _version_engine(engine: Engine) -> Engine:
    """A connection of its own for the version, made when needed and closed at once: the
    commit that changes it may still hold its connection of the app's pool, and with every
    connection of that pool so held, taking another from it would wait for ever. (Nothing is
    kept open either, so a database can be dropped or copied once the app has let it go.)"""
    where = (os.getpid(), engine.url.render_as_string(hide_password=False))
    with _engines_lock:
        if where not in _engines:
            _engines[where] = create_engine(engine.url, poolclass=NullPool)
        return _engines[where]


_installed = False


def install() -> None:
    """Change the version after every commit that wrote anything, in any session of the process."""
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
            _changed()

    @event.listens_for(Session, "after_rollback")
    def _rolled_back(session):
        session.info.pop("wrote", None)
