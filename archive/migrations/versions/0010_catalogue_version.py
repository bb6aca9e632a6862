"""catalogue version on postgresql

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 13:20:00.000000

The catalogue's version that the page cache of every web process compares before it serves a
kept page (``archive/web/page_cache.py``). On one machine it is a file in the instance folder;
when the catalogue is on PostgreSQL, web processes on other hosts cannot see that file, so the
version is a sequence: a writer takes ``nextval`` after each commit, a reader reads
``last_value``. Sequences are outside transactions and never wait on a lock. Nothing to make
on SQLite.
"""

from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE SEQUENCE IF NOT EXISTS catalogue_version")


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("DROP SEQUENCE IF EXISTS catalogue_version")
