"""harvest records and item revisions (OAI-PMH)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step only when not done yet: safe to run again (see 0006).
    present = sa.inspect(op.get_bind())
    if 'revision' not in {column['name'] for column in present.get_columns('items')}:
        with op.batch_alter_table('items', schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('revision', sa.Integer(), server_default=sa.text('0'), nullable=False)
            )
    if not present.has_table('harvest_records'):
        op.create_table('harvest_records',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('identifier', sa.String(length=64), nullable=False),
        sa.Column('item_id', sa.Integer(), nullable=True),
        sa.Column('datestamp', sa.DateTime(), nullable=False),
        sa.Column('deleted', sa.Boolean(), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('sets', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['item_id'], ['items.id'], name=op.f('fk_harvest_records_item_id_items'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_harvest_records')),
        sa.UniqueConstraint('identifier', name=op.f('uq_harvest_records_identifier'))
        )
        with op.batch_alter_table('harvest_records', schema=None) as batch_op:
            batch_op.create_index('ix_harvest_records_datestamp_identifier', ['datestamp', 'identifier'], unique=False)
            batch_op.create_index(batch_op.f('ix_harvest_records_item_id'), ['item_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('harvest_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_harvest_records_item_id'))
        batch_op.drop_index('ix_harvest_records_datestamp_identifier')
    op.drop_table('harvest_records')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_column('revision')
