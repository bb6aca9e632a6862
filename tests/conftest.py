"""Fixtures on real things: a temporary instance folder with a real SQLite database,
real media made with ffmpeg, and the real operations to fill the catalogue.

What is costly is made once per session and then copied, never shared: the database as the
migrations and the three accounts leave it (``migrated_database``: each test's ``app`` gets
its own copy of the file), the synthetic media of ``tests/media_samples.py`` (each call gets
its own copy of the file), and the catalogues that fixtures fill by uploading and
transcoding (``catalogues``: each test gets its own copy of the database, media and index).
A test may change its copies freely; nothing it does reaches another test. The apps of one
session also share what Jinja compiled the templates to (``CompiledTemplates``), so each
template is compiled once, not once per test.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path
from types import CodeType

import pytest
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket

from archive import create_app, migrate
from archive.accounts.users import create_user
from archive.db import db
from archive.web import page_cache
from tests import media_samples
from tests.databases import ON_POSTGRESQL, SEARCH_BACKEND, SETTING, PostgresCopies
from tests.s3 import s3_server  # noqa: F401  (a real S3 server for the session: tests/s3.py)

PASSWORD = "correct horse battery"
DATABASE = "archive.db"


def app_config(instance, database_url: str = "") -> dict:
    return {
        "INSTANCE_PATH": str(instance),
        "TESTING": True,
        "SECRET_KEY": "test",
        "QUEUE": {"IMMEDIATE": True},
        **({"DATABASE_URL": database_url} if database_url else {}),
        **({"SEARCH": {"BACKEND": SEARCH_BACKEND}} if database_url else {}),
    }


class CompiledTemplates(BytecodeCache):
    """Jinja's bytecode cache, in memory, for the apps of one session: each template is
    compiled once. A template whose source changed is compiled again (the bucket's checksum),
    and the key holds the compile-time settings of the environment, which are those of
    ``create_app`` for every app that uses it."""

    def __init__(self):
        self.kept: dict[tuple, tuple[str, CodeType]] = {}

    def _key(self, bucket: Bucket) -> tuple:
        env = bucket.environment
        settings = (env.block_start_string, env.variable_start_string, env.comment_start_string)
        return (bucket.key, tuple(sorted(env.extensions)), env.optimized, settings)

    def load_bytecode(self, bucket: Bucket) -> None:
        found = self.kept.get(self._key(bucket))
        if found is not None and found[0] == bucket.checksum:
            bucket.code = found[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.kept[self._key(bucket)] = (bucket.checksum, bucket.code)


COMPILED = CompiledTemplates()


@pytest.fixture(scope="session", autouse=True)
def media_cache(tmp_path_factory):
    """Synthetic media made at most once per session (see tests/media_samples.py)."""
    media_samples.use_cache(tmp_path_factory.mktemp("media-cache"))
    yield
    media_samples.use_cache(None)


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory):
    """The database file after every migration and the three accounts: made once, by the
    real migrations and account creator, then only ever copied."""
    instance = tmp_path_factory.mktemp("migrated") / "instance"
    app = create_app(app_config(instance))
    with app.app_context():
        migrate.upgrade()
        create_user("admin@example.org", PASSWORD, "admin")
        create_user("archivist@example.org", PASSWORD, "archivist")
        create_user("researcher@example.org", PASSWORD, "researcher", approved=True)
        db.session.remove()
        db.engine.dispose()  # the last connection closes: the WAL is checked into the file
    database = instance / DATABASE
    assert not database.with_name(DATABASE + "-wal").exists(), "the WAL was not checkpointed"
    return database


@pytest.fixture(scope="session")
def postgres():
    """The session's databases on PostgreSQL when ``ARCHIVE_TEST_DATABASE`` names a server
    (tests/databases.py), else None."""
    if not ON_POSTGRESQL:
        yield None
        return
    copies = PostgresCopies(SETTING)
    yield copies
    copies.drop_all()


@pytest.fixture(scope="session")
def migrated_template(postgres, tmp_path_factory):
    """On PostgreSQL, the database after every migration and the three accounts, which each
    test's database is made from; None on SQLite (``migrated_database`` is copied instead)."""
    if postgres is None:
        return None
    name = postgres.create()
    instance = tmp_path_factory.mktemp("migrated-postgresql") / "instance"
    app = create_app(app_config(instance, postgres.url(name)))
    with app.app_context():
        migrate.upgrade()
        create_user("admin@example.org", PASSWORD, "admin")
        create_user("archivist@example.org", PASSWORD, "archivist")
        create_user("researcher@example.org", PASSWORD, "researcher", approved=True)
        db.session.remove()
        db.engine.dispose()  # a template database may have no connection
    return name


@pytest.fixture
def app(tmp_path, migrated_database, postgres, migrated_template):
    app = fresh_app(tmp_path / "instance", migrated_database, postgres, migrated_template)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def fresh_app(instance: Path, migrated_database, postgres, migrated_template):
    """An app on ``instance`` with a catalogue of its own as the migrations and the three
    accounts leave it: a copy of the SQLite file, or on PostgreSQL of the template database."""
    instance.mkdir()
    database_url = ""
    if postgres is not None:
        database_url = postgres.url(postgres.create(template=migrated_template))
    else:
        shutil.copyfile(migrated_database, instance / DATABASE)
    # Each instance its own catalogue version, as the commits that made the accounts would
    # have left it: a page kept in memory for another test's instance is never served here.
    page_cache.bump(instance)
    app = create_app(app_config(instance, database_url))
    app.jinja_env.bytecode_cache = COMPILED
    return app


@pytest.fixture
def another_app(tmp_path, migrated_database, postgres, migrated_template):
    """Make further apps beside ``app`` (another archive to restore or unbag into): each
    ``another_app(name)`` on ``tmp_path / name`` with a catalogue of its own."""
    made = []

    def make(name: str):
        made.append(fresh_app(tmp_path / name, migrated_database, postgres, migrated_template))
        return made[-1]

    yield make
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


def close_database(app) -> None:
    """Close every connection of ``app``'s engine: the WAL is checked into the file."""
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    wal = Path(app.instance_path) / (DATABASE + "-wal")
    assert not wal.exists(), f"{wal} is still there: a connection is open"


def process_env(app) -> dict[str, str]:
    """The environment in which an ``archive`` command or a script run as another process opens
    ``app``'s instance, and on PostgreSQL its database (through a config file naming it)."""
    import os

    env = dict(os.environ, ARCHIVE_INSTANCE=app.instance_path)
    if database_name(app) is not None:
        config = Path(app.instance_path) / PROCESS_CONFIG
        backend = app.config["SEARCH"]["BACKEND"]
        config.write_text(
            f'DATABASE_URL = "{app.config["DATABASE_URL"]}"\n[SEARCH]\nBACKEND = "{backend}"\n',
            encoding="utf-8",
        )
        env["ARCHIVE_CONFIG"] = str(config)
    return env


PROCESS_CONFIG = "test-process-config.toml"


def database_name(app) -> str | None:
    """The PostgreSQL database ``app`` uses, or None on SQLite."""
    from sqlalchemy.engine import make_url

    url = make_url(app.config["DATABASE_URL"])
    return url.database if url.get_backend_name() == "postgresql" else None


class Catalogues:
    """Catalogues filled by the real operations (uploads, transcodes, descriptions) once per
    session, then copied into each test's instance folder.

    ``get(name, app, build)`` runs ``build()`` in the first test that asks for ``name``, on
    that test's own app, and keeps its instance folder (database, media, search index...);
    every later test asking for ``name`` gets a copy of it in its own instance folder, and
    what ``build`` returned (paths inside the instance folder moved to the test's). ``build``
    must start from the freshly made app (``get`` checks that nothing was written before it)
    and end with nothing but the catalogue to keep: a test logs in again after ``get``.
    """

    # The app's own, never copied: the job queue (empty: the tests' jobs run at once) and the
    # catalogue version (made anew for each copy, as for each app).
    UNKEPT = ("queue.db", "catalogue.version", ".catalogue.version", DATABASE + "-shm",
              "test-process-config.toml")  # fmt: skip

    def __init__(self, folder: Path, template: Path, postgres: PostgresCopies | None = None):
        self.folder, self.template, self.postgres = folder, template, postgres
        self.made: dict[str, tuple[object, Path]] = {}
        self.databases: dict[str, str] = {}  # on PostgreSQL: catalogue name -> its database

    def get(self, name: str, app, build: Callable[[], object]):
        instance = Path(app.instance_path)
        close_database(app)
        written = [p.name for p in self._kept(instance) if p.name != DATABASE]
        assert not written and (
            self.postgres is not None
            or (instance / DATABASE).read_bytes() == self.template.read_bytes()
        ), f"catalogue {name!r}: something was written to the instance before it was made"
        if name not in self.made:
            result = build()
            close_database(app)
            self._copy(instance, self.folder / name)
            if self.postgres is not None:
                self.databases[name] = self.postgres.create(template=database_name(app))
            self.made[name] = (result, instance)
            return result
        self._copy(self.folder / name, instance)
        if self.postgres is not None:
            self.postgres.replace(database_name(app), self.databases[name])
        app.extensions.pop("archive.index", None)  # reopened on the copied index
        page_cache.bump(instance)
        result, built_in = self.made[name]
        return moved(result, built_in, instance)

    def _kept(self, folder: Path) -> list[Path]:
        return sorted(p for p in folder.iterdir() if not p.name.startswith(self.UNKEPT))

    def _copy(self, source: Path, target: Path) -> None:
        target.mkdir(parents=True, exist_ok=True)
        for path in self._kept(target):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
        for path in self._kept(source):
            if path.is_dir() and not path.is_symlink():
                shutil.copytree(path, target / path.name, symlinks=True)
            else:
                shutil.copy2(path, target / path.name, follow_symlinks=False)


def moved(value, old: Path, new: Path):
    """``value`` (dicts, lists, tuples, paths...) with every path under ``old`` moved under
    ``new``; new containers, so that a test changing its result changes no other's."""
    if isinstance(value, Path) and value.is_relative_to(old):
        return new / value.relative_to(old)
    if isinstance(value, dict):
        return {key: moved(item, old, new) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(moved(item, old, new) for item in value)
    return value


@pytest.fixture(scope="session")
def catalogues(tmp_path_factory, migrated_database, postgres):
    return Catalogues(tmp_path_factory.mktemp("catalogues"), migrated_database, postgres)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Logs in through the real login form, CSRF token and all."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        found = re.search(r'name="csrf[-_]token" (?:content|value)="([^"]+)"', page)
        return found.group(1)

    def login(self, email: str = "archivist@example.org", password: str = PASSWORD):
        token = self.csrf()
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.csrf("/")})


@pytest.fixture
def auth(client):
    return Auth(client)
