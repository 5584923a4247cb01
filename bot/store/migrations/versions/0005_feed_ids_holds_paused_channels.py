"""Feed ids never reused, Retry-After holds, paused channels.

- feeds.id becomes AUTOINCREMENT on SQLite, which otherwise gives the id of the last feed
  removed to the next one added (PostgreSQL sequences never go back). SQLite cannot change
  that in place: the table is rebuilt. With foreign keys on (and they cannot be switched off
  inside the migration's transaction) dropping the old table would cascade to subscriptions
  and feed_articles and unlink articles, so those are copied aside and put back.
- feeds.retry_not_before: the host's Retry-After, which even a forced poll respects.
- channels.paused_at / paused_reason: the platform said the channel takes no posts.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | None = None
depends_on: str | None = None

# What dropping the old feeds table would delete or unlink, copied aside and put back.
_KEEP = (
    ("subscriptions", "SELECT * FROM subscriptions WHERE feed_id IS NOT NULL"),
    ("feed_articles", "SELECT * FROM feed_articles"),
    ("articles", "SELECT id, feed_id FROM articles WHERE feed_id IS NOT NULL"),
)


def _rebuild_feeds_with_autoincrement() -> None:
    for table, query in _KEEP:
        op.execute(f"CREATE TEMP TABLE _keep_{table} AS {query}")
    with op.batch_alter_table(
        'feeds', recreate='always', table_kwargs={'sqlite_autoincrement': True}
    ):
        pass
    op.execute("INSERT INTO subscriptions SELECT * FROM _keep_subscriptions")
    op.execute("INSERT INTO feed_articles SELECT * FROM _keep_feed_articles")
    op.execute(
        "UPDATE articles SET feed_id = "
        "(SELECT k.feed_id FROM _keep_articles k WHERE k.id = articles.id) "
        "WHERE id IN (SELECT id FROM _keep_articles)"
    )
    for table, _ in _KEEP:
        op.execute(f"DROP TABLE _keep_{table}")


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuild_feeds_with_autoincrement()
    op.add_column('feeds', sa.Column('retry_not_before', sa.DateTime(), nullable=True))
    op.add_column('channels', sa.Column('paused_at', sa.DateTime(), nullable=True))
    op.add_column(
        'channels',
        # The server default fills the rows there are; schema.py sets it on insert.
        sa.Column('paused_reason', sa.Text(), nullable=False, server_default=''),
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+): a batch rebuild of channels would cascade to its
    # subscriptions, digests and outbox. feeds keeps AUTOINCREMENT, which the older schema
    # tolerates.
    op.execute("ALTER TABLE channels DROP COLUMN paused_reason")
    op.execute("ALTER TABLE channels DROP COLUMN paused_at")
    op.execute("ALTER TABLE feeds DROP COLUMN retry_not_before")
