"""Every message of a digest posted in parts, so a reply under any part finds its digest.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        'post_parts',
        sa.Column('outbox_id', sa.Integer(), nullable=False),
        sa.Column('message_id', sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('outbox_id', 'message_id'),
    )
    op.create_index(op.f('ix_post_parts_message_id'), 'post_parts', ['message_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_post_parts_message_id'), table_name='post_parts')
    op.drop_table('post_parts')
