"""Which database engine the tests' catalogues live on: SQLite (the default) or PostgreSQL.

``ARCHIVE_TEST_DATABASE`` switches it:

- unset, empty or ``sqlite``: each test's ``app`` gets a copy of one migrated SQLite file;
- a PostgreSQL URL (``postgresql+psycopg://127.0.0.1/test``): the session migrates one database
  on that server, and each test's ``app`` gets its own database made from it
  (``CREATE DATABASE … TEMPLATE …``, a file copy on the server), dropped when the session ends.
  The URL names the database the tests connect to in order to create theirs; the server must
  let that user create databases. When the server does not answer, the session stops with a
  message naming it rather than running the suite on SQLite unannounced.

Fixtures that make their own instance from scratch (the leak walk's world, the live servers of
the browser tests, the commands run as processes) still use SQLite for now; see
``ON_POSTGRESQL`` in tests that want to say so.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

SETTING = os.environ.get("ARCHIVE_TEST_DATABASE", "").strip()
#: ``ARCHIVE_TEST_SEARCH=postgresql`` runs every app's search on the PostgreSQL backend, which
#: needs the catalogue there too: unless ``ARCHIVE_TEST_DATABASE`` names a server, the one at
#: 127.0.0.1:5432 is used.
SEARCH_BACKEND = os.environ.get("ARCHIVE_TEST_SEARCH", "").strip() or "whoosh"
if SEARCH_BACKEND == "postgresql" and not SETTING.startswith("postgresql"):
    SETTING = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ON_POSTGRESQL = SETTING.startswith("postgresql")


class PostgresCopies:
    """Databases made on one PostgreSQL server for the session, and dropped with it."""

    def __init__(self, url: str):
        self.server = make_url(url)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure to connect says the same
            raise RuntimeError(
                f"ARCHIVE_TEST_DATABASE names {self.server.render_as_string()}, which does not "
                f"answer: {exc.__class__.__name__}: {str(exc).splitlines()[0]}"
            ) from exc
        self.prefix = f"archive_test_{uuid.uuid4().hex[:8]}_"
        self.count = 0
        self.made: list[str] = []

    def url(self, name: str) -> str:
        return self.server.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        """A new database (empty, or a copy of ``template``, which nobody may be connected to)."""
        self.count += 1
        name = f"{self.prefix}{self.count}"
        copy = f" TEMPLATE {template}" if template else ""
        with self.engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{copy} ENCODING 'UTF8'"))
        self.made.append(name)
        return name

    def replace(self, name: str, template: str) -> None:
        """Make ``name`` a fresh copy of ``template`` (its connections are ended first)."""
        with self.engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {template} ENCODING 'UTF8'"))

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            for name in reversed(self.made):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.made.clear()
        self.engine.dispose()


@contextmanager
def own_database() -> Iterator[str]:
    """For a fixture that migrates an archive from scratch: the URL of an empty database of
    its own on the server ``ARCHIVE_TEST_DATABASE`` names, dropped when the block ends; "" on
    SQLite (the instance folder's file is the fixture's own)."""
    if not ON_POSTGRESQL:
        yield ""
        return
    copies = PostgresCopies(SETTING)
    try:
        yield copies.url(copies.create())
    finally:
        copies.drop_all()
