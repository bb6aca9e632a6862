"""The two search backends the engine-level tests run on: Whoosh in a temporary folder, and
PostgreSQL in a throwaway database of the server at 127.0.0.1:5432 (``ARCHIVE_TEST_SEARCH_SERVER``
names another), made by the real migrations once per session and then copied for each index.

A test module takes ``backend`` (parametrized "whoosh", "postgresql") and calls
:func:`new_index` / :func:`rebuild_index`; PostgreSQL tests are skipped, with the reason, when the
server does not answer.
"""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

import indexer

SERVER = os.environ.get(
    "ARCHIVE_TEST_SEARCH_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("whoosh", "postgresql")


class Server:
    """Databases made on the PostgreSQL server for this session, dropped at its end."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.prefix = f"search_test_{uuid.uuid4().hex[:8]}_"
        self.made: list[str] = []
        self.template: str | None = None

    def answers(self) -> str | None:
        """None when the server answers, else why not."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as exc:  # noqa: BLE001 - any failure to connect says the same
            return f"PostgreSQL at {self.url.host}:{self.url.port or 5432} does not answer ({exc.__class__.__name__})"
        return None

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}{len(self.made) + 1}"
        copy = f" TEMPLATE {template}" if template else ""
        with self.engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}{copy} ENCODING 'UTF8'"))
        self.made.append(name)
        return name

    def migrated(self, folder: Path) -> str:
        """A fresh database holding the search tables, made by the archive's migrations."""
        if self.template is None:
            from archive import create_app, migrate
            from archive.db import db

            name = self.create()
            app = create_app(
                {
                    "INSTANCE_PATH": str(folder / "template-instance"),
                    "TESTING": True,
                    "SECRET_KEY": "test",
                    "DATABASE_URL": self.database_url(name),
                }
            )
            with app.app_context():
                migrate.upgrade()
                db.session.remove()
                db.engine.dispose()
            self.template = name
        return self.create(template=self.template)

    def drop_all(self) -> None:
        with self.engine.connect() as connection:
            for name in reversed(self.made):
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        self.engine.dispose()


@pytest.fixture(scope="session")
def search_server():
    """The PostgreSQL server of the search tests (skips the test when it does not answer)."""
    server = Server(SERVER)
    problem = server.answers()
    yield server if problem is None else problem
    if problem is None:
        server.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


def server_or_skip(search_server) -> Server:
    if isinstance(search_server, str):
        pytest.skip(search_server)
    return search_server


@contextmanager
def new_index(backend: str, folder: Path, search_server, **options):
    """An empty index of ``backend``: Whoosh under ``folder``, or a new PostgreSQL database."""
    if backend == "whoosh":
        with indexer.open_index(folder / "index") as index:
            yield index
        return
    server = server_or_skip(search_server)
    url = server.database_url(server.migrated(folder))
    replica = options.get("replica_url")
    with indexer.open_pg_index(url, replica_url=replica) as index:
        index.url = url
        yield index


def rebuild_index(backend: str, folder: Path, index, items) -> int:
    """Rebuild ``index`` (from :func:`new_index`) from ``items``."""
    if backend == "whoosh":
        return indexer.rebuild(folder / "index", items)
    return index.rebuild(items)
