"""Database migrations (Alembic), run by ``archive init``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from archive.db import db

SCRIPTS = Path(__file__).parent / "migrations"


def _config(connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["connection"] = connection
    return config


def upgrade() -> None:
    """Bring the database to the newest schema (safe to run again)."""
    with db.engine.begin() as connection:
        command.upgrade(_config(connection), "head")


def behind() -> str | None:
    """Why this database cannot serve this version of the code (never initialized, or not
    migrated to its newest schema), or None when it can."""
    with db.engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    if not current:
        return "it was never initialized"
    if current != set(ScriptDirectory.from_config(_config(None)).get_heads()):
        return f"its schema ({', '.join(sorted(current))}) is not the one this version uses"
    return None


def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with db.engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
