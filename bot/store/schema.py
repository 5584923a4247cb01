"""Every table newsbot keeps, in one place.

Times are stored as UTC. "What is due now?" questions (feeds to poll, digests to build,
outbox rows to deliver) are single indexed queries on the `*_at` columns, so any runner
(APScheduler today, a distributed task queue later) can ask them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no zone, and we never want local time."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class FeedRow(Base):
    """A feed URL and its fetch state and health."""

    __tablename__ = "feeds"
    # AUTOINCREMENT: SQLite would otherwise give a removed feed's id to the next one added.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(String(512), default="")
    outlet: Mapped[str] = mapped_column(String(256), default="")  # display name for attribution
    # "operator": added by the operator (CLI, config, seeds) and may be a local file;
    # "user": added from chat, http(s) only and always behind the SSRF guard.
    origin: Mapped[str] = mapped_column(String(16), default="operator")
    etag: Mapped[str | None] = mapped_column(String(512), nullable=True)
    last_modified: Mapped[str | None] = mapped_column(String(128), nullable=True)
    poll_interval_s: Mapped[int] = mapped_column(Integer, default=900)
    next_poll_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_polled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_status: Mapped[str] = mapped_column(String(32), default="new")  # new|ok|unchanged|failed
    last_error: Mapped[str] = mapped_column(Text, default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    # The host's Retry-After: not even a forced poll asks again before this.
    retry_not_before: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # False until the first successful poll: that poll stores a baseline so that a new
    # subscription never floods a channel with a feed's old items.
    baselined: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ArticleRow(Base):
    """One article, deduplicated by canonical URL across all feeds."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048), unique=True)
    title: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")
    outlet: Mapped[str] = mapped_column(String(256), default="")
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="SET NULL"), nullable=True
    )
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # True for items stored by a feed's first (baseline) poll: kept for search and `ask`,
    # never put into a scheduled digest.
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)


class FeedArticleRow(Base):
    """Which feeds carried which article (an article may come from several feeds)."""

    __tablename__ = "feed_articles"

    feed_id: Mapped[int] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own too (migration 0004): deleting an article cascades by this column.
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class ChannelRow(Base):
    """A chat channel and its digest settings."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("platform", "workspace", "channel"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    platform: Mapped[str] = mapped_column(String(16))
    workspace: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    digest_time: Mapped[str] = mapped_column(String(5), default="08:00")  # local HH:MM
    max_items: Mapped[int] = mapped_column(Integer, default=8)
    summariser: Mapped[str] = mapped_column(String(16), default="auto")
    digest_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Set when the platform said the channel takes no posts (deleted, archived): no digest
    # is built for it until an operator resumes it.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    paused_reason: Mapped[str] = mapped_column(Text, default="")


class SubscriptionRow(Base):
    """A channel's subscription to a feed or to a topic, with optional word filters."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("channel_id", "kind", "feed_id", "topic"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # "feed" | "topic"
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("feeds.id", ondelete="CASCADE"), nullable=True
    )
    topic: Mapped[str] = mapped_column(String(256), default="")
    include_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    exclude_words: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestRow(Base):
    """A built digest. (channel, period_key) is unique: one daily digest per local date."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("channel_id", "period_key"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(64))  # e.g. "daily:2026-11-26"
    period_start: Mapped[datetime] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)  # the Digest as JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class DigestArticleRow(Base):
    """Articles behind a digest: the first place `ask` looks for answers."""

    __tablename__ = "digest_articles"

    digest_id: Mapped[str] = mapped_column(
        ForeignKey("digests.id", ondelete="CASCADE"), primary_key=True
    )
    # Indexed on its own too (migration 0004): deleting an article cascades by this column.
    article_id: Mapped[str] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class OutboxRow(Base):
    """A post waiting to be delivered, written before posting; the key makes it exactly-once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(191), unique=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    digest_id: Mapped[str] = mapped_column(ForeignKey("digests.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    platform_message_id: Mapped[str] = mapped_column(String(128), default="")
    thread_id: Mapped[str] = mapped_column(String(128), default="", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class PostPartRow(Base):
    """A later message of a post split over several (Slack): a reply under it is about the
    same digest, so `ask` finds the digest from any part without asking the platform."""

    __tablename__ = "post_parts"

    outbox_id: Mapped[int] = mapped_column(
        ForeignKey("outbox.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[str] = mapped_column(String(128), primary_key=True, index=True)


class LlmUsageRow(Base):
    """Tokens an LLM spent per scope (channel or server) per UTC day, for the daily budget."""

    __tablename__ = "llm_usage"
    __table_args__ = (UniqueConstraint("scope", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(191))
    day: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, UTC
    tokens: Mapped[int] = mapped_column(Integer, default=0)


class SharedItemRow(Base):
    """A story's summary made once and reused by every worker (scale-out): keyed by the story
    id (a hash of its articles' ids), the summariser and the number of sentences."""

    __tablename__ = "shared_items"

    story_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    summariser: Mapped[str] = mapped_column(String(32), primary_key=True)
    max_sentences: Mapped[int] = mapped_column(Integer, primary_key=True)
    item: Mapped[dict[str, Any]] = mapped_column(JSON)  # a one-item Digest as JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
