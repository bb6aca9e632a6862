"""tags as a thesaurus

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 13:45:00.000000

A tag is a concept of the archive's own vocabulary, which the search uses as a thesaurus: a
query in one language also searches the tag's labels in the others. Tags had Arabic and English
labels; they gain a French one and *synonyms*, other ways of saying the same thing in any
language, one per line («معركة الأمعاء الخاوية» beside «الإضراب عن الطعام»).
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tags') as batch:
        batch.add_column(sa.Column('label_fr', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('synonyms', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('tags') as batch:
        batch.drop_column('synonyms')
        batch.drop_column('label_fr')
