"""Indexes on the article side of feed_articles and digest_articles.

Both tables are keyed (owner, article_id), so finding the rows of one article scanned the
whole table. Retention deletes old articles, and each delete cascades to both tables (and
checks that no digest still refers to the article): without these indexes pruning a month
of 300 feeds spent most of its time scanning them.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index('ix_feed_articles_article_id', 'feed_articles', ['article_id'])
    op.create_index('ix_digest_articles_article_id', 'digest_articles', ['article_id'])


def downgrade() -> None:
    op.drop_index('ix_digest_articles_article_id', table_name='digest_articles')
    op.drop_index('ix_feed_articles_article_id', table_name='feed_articles')
