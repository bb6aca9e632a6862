"""search segments keep their spans

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:00:00.000000

Each row of ``search_segments`` keeps where each of its words lies in its text and the terms
it gives (``spans``, see ``indexer.schema.spans``), written when the row is: the words a search
matched are marked from them, instead of analysing the text again while the visitor waits.
The rows are emptied here and ``archive init`` rebuilds them (their format is no longer the
current one). Nothing to do on SQLite, as for 0009. The DDL is written out here, frozen.
"""

from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

UPGRADE = """
TRUNCATE search_items, search_segments, search_terms, search_passages, search_labels CASCADE;
DELETE FROM search_state WHERE key = 'format';
ALTER TABLE search_segments ADD COLUMN IF NOT EXISTS spans text NOT NULL DEFAULT '';
ALTER TABLE search_segments ALTER COLUMN spans DROP DEFAULT
"""

DOWNGRADE = """
TRUNCATE search_items, search_segments, search_terms, search_passages, search_labels CASCADE;
DELETE FROM search_state WHERE key = 'format';
ALTER TABLE search_segments DROP COLUMN IF EXISTS spans
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return  # the Whoosh index of an SQLite catalogue lives in the instance folder
    _run(UPGRADE)


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    _run(DOWNGRADE)


def _run(script: str) -> None:
    for statement in script.split(";"):
        if statement.strip():
            op.execute(statement)
