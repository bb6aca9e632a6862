"""Alembic environment: migrates the catalogue of the app that runs ``archive init``."""

from alembic import context

from archive.db import db

config = context.config
connection = config.attributes.get("connection")


def run_migrations() -> None:
    context.configure(
        connection=connection,
        target_metadata=db.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
