"""mail outbox, users' language

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 02:45:00.000000

Mail the archive sends (registrations, access requests, failed jobs) waits in ``mail_outbox``
until the SMTP server takes it; ``users.language`` is the language it is written in, the one
a person registered in. Accounts made before it are written to in Arabic, the site's first
language, until they choose another on their account page.
"""

import sqlalchemy as sa
from alembic import op


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Each step only when not done yet: safe to run again (see 0006).
    present = sa.inspect(op.get_bind())
    if not present.has_table('mail_outbox'):
        op.create_table('mail_outbox',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('recipient', sa.String(length=254), nullable=False),
        sa.Column('language', sa.String(length=5), nullable=False),
        sa.Column('subject', sa.Text(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('html', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('give_up_at', sa.DateTime(), nullable=False),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mail_outbox'))
        )
        with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
            batch_op.create_index('ix_mail_outbox_due', ['state', 'next_attempt_at'], unique=False)
            batch_op.create_index(batch_op.f('ix_mail_outbox_created_at'), ['created_at'], unique=False)
    if 'language' not in {column['name'] for column in present.get_columns('users')}:
        with op.batch_alter_table('users', schema=None) as batch_op:
            batch_op.add_column(
                sa.Column('language', sa.String(length=5), server_default='ar', nullable=False)
            )


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('language')
    with op.batch_alter_table('mail_outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mail_outbox_created_at'))
        batch_op.drop_index('ix_mail_outbox_due')
    op.drop_table('mail_outbox')
