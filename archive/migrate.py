"""Database migrations (Alembic), run by ``archive init``."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

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


def revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with db.engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
