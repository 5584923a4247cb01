"""Summaries shared between workers (scale-out): one row per story, summariser and length.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "shared_items",
        sa.Column("story_id", sa.String(length=64), nullable=False),
        sa.Column("summariser", sa.String(length=32), nullable=False),
        sa.Column("max_sentences", sa.Integer(), nullable=False),
        sa.Column("item", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("story_id", "summariser", "max_sentences"),
    )
    op.create_index("ix_shared_items_created_at", "shared_items", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_shared_items_created_at", table_name="shared_items")
    op.drop_table("shared_items")
