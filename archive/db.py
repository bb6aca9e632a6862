"""The catalogue's database handle: SQLite in WAL mode with a busy timeout, or PostgreSQL.

Text answers the same on both engines: ``lower()`` (and so ``ilike``) folds every letter,
not SQLite's ASCII alone, and :func:`by_code_point` sorts by code point whatever collation
the PostgreSQL database was made with.
"""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.functions import FunctionElement

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """WAL lets the web, the worker and the CLI read while one writes."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's own lower() leaves every letter beyond ASCII as it is (É, Ω, Ｆ); PostgreSQL's
    # folds them all. Python's takes its place, so that case-insensitive lookups agree.
    dbapi_connection.create_function("lower", 1, _lower, deterministic=True)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


class by_code_point(FunctionElement):  # noqa: N801 - used like a SQL function
    """Order by ``column``'s characters as Unicode numbers them, on both engines.

    SQLite compares text byte by byte (its BINARY collation: code point order in UTF-8);
    PostgreSQL follows the database's collation (an Arabic or English one puts hamza forms,
    harakat, case and spaces elsewhere), unless told ``COLLATE "C"``, which is the same.
    """

    inherit_cache = True


@compiles(by_code_point)
def _by_code_point(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(by_code_point, "postgresql")
def _by_code_point_postgresql(element, compiler, **kw):
    return f'{compiler.process(element.clauses, **kw)} COLLATE "C"'


def contains(text: str) -> str:
    """A LIKE pattern (escape character ``\\``) matching values that contain ``text``
    literally: its own ``%`` and ``_`` match only themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
