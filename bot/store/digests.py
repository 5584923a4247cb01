"""Digest and digest-candidate queries.

A digest row and its outbox row are written in ONE transaction, before anything is posted:
(channel, period_key) is unique for digests and the idempotency key is unique for the outbox,
so building the same period twice (a retry, a restart, a second process) stores nothing new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Article
from bot.store.articles import article_from_row
from bot.store.db import insert_ignoring_conflict
from bot.store.outbox import mark_sent
from bot.store.schema import (
    ArticleRow,
    DigestArticleRow,
    DigestRow,
    FeedArticleRow,
    FeedRow,
    OutboxRow,
    PostPartRow,
)


@dataclass(frozen=True)
class StoredDigest:
    """The rows a built digest lives in; `created` is False when they already existed."""

    digest_id: str
    outbox_id: int
    created: bool


@dataclass(frozen=True)
class DigestSummary:
    """What `status` says about a channel's latest digest."""

    digest_id: str
    period_key: str
    created_at: datetime
    state: str
    attempts: int
    last_error: str
    sent_at: datetime | None
    items: int


def digest_id_for(channel_id: int, period_key: str) -> str:
    """A digest's id: stable for (channel, period), so every builder names it alike."""
    return hashlib.sha256(f"{channel_id}|{period_key}".encode()).hexdigest()[:32]


def idempotency_key(channel_key: str, period_key: str) -> str:
    """The outbox key a poster sees: channel + digest period (readable, at most 191 chars)."""
    key = f"{channel_key}|{period_key}"
    if len(key) <= 191:
        return key
    return "h|" + hashlib.sha256(key.encode()).hexdigest()


async def store_digest_with_outbox(
    session: AsyncSession,
    *,
    channel_id: int,
    channel_key: str,
    period_key: str,
    period_start: datetime,
    period_end: datetime,
    payload: dict[str, Any],
    article_ids: Sequence[str],
    now: datetime,
) -> StoredDigest:
    """Insert the digest, its article links and its outbox row, unless the period exists.

    Three or four statements in the common case: the existence checks are the inserts'
    own ON CONFLICT clauses, and the outbox id comes back through RETURNING.
    """
    digest_id = digest_id_for(channel_id, period_key)
    key = idempotency_key(channel_key, period_key)
    created = await _insert_new(
        session,
        DigestRow,
        {
            "id": digest_id,
            "channel_id": channel_id,
            "period_key": period_key,
            "period_start": period_start,
            "period_end": period_end,
            "payload": payload,
            "created_at": now,
        },
        DigestRow.id,
    )
    if created is not None:
        links = [{"digest_id": digest_id, "article_id": a} for a in dict.fromkeys(article_ids)]
        if links:
            await insert_ignoring_conflict(session, DigestArticleRow, links)
    outbox_id = await _insert_new(
        session,
        OutboxRow,
        {
            "idempotency_key": key,
            "channel_id": channel_id,
            "digest_id": digest_id,
            "state": "pending",
            "attempts": 0,
            "last_error": "",
            "next_attempt_at": now,
            "platform_message_id": "",
            "thread_id": "",
            "created_at": now,
        },
        OutboxRow.id,
    )
    if outbox_id is None:  # the period was stored before: its outbox row is already there
        outbox_id = (
            await session.execute(select(OutboxRow.id).where(OutboxRow.idempotency_key == key))
        ).scalar_one()
    return StoredDigest(digest_id=digest_id, outbox_id=outbox_id, created=created is not None)


async def _insert_new(
    session: AsyncSession, table: Any, values: dict[str, Any], returned: Any
) -> Any:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING `returned`: None when the row existed."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(returned)
    return (await session.execute(statement)).scalar_one_or_none()


# Period keys of digests posted on request (`/news digest`), kept only so a reply under them
# finds their articles: they are not scheduled digests, so they leave "already sent",
# "already built" and the channel's last digest as they were.
ON_DEMAND_PREFIX = "on-demand:"


def _scheduled() -> Any:
    return DigestRow.period_key.not_like(ON_DEMAND_PREFIX + "%")


async def recent_digests_of_channels(
    session: AsyncSession, channel_ids: Sequence[int], *, since: datetime
) -> list[tuple[int, str, int | None]]:
    """(channel id, period key, outbox id) of these channels' digests ending after `since`."""
    result = await session.execute(
        select(DigestRow.channel_id, DigestRow.period_key, OutboxRow.id)
        .outerjoin(OutboxRow, OutboxRow.digest_id == DigestRow.id)
        .where(
            DigestRow.channel_id.in_(list(channel_ids)),
            DigestRow.period_end >= since,
            _scheduled(),
        )
    )
    return [(cid, key, oid) for cid, key, oid in result]


async def recent_sent_articles(
    session: AsyncSession, channel_ids: Sequence[int], *, since: datetime
) -> list[tuple[int, str, str]]:
    """(channel id, article id, period key) for articles in these channels' recent digests."""
    result = await session.execute(
        select(DigestRow.channel_id, DigestArticleRow.article_id, DigestRow.period_key)
        .join(DigestRow, DigestRow.id == DigestArticleRow.digest_id)
        .where(
            DigestRow.channel_id.in_(list(channel_ids)),
            DigestRow.period_end >= since,
            _scheduled(),
        )
    )
    return [(cid, aid, key) for cid, aid, key in result]


def digests_with_outbox() -> Select[DigestRow, OutboxRow]:
    """Digests, each paired with its outbox row (None while it was never queued)."""
    return select(DigestRow, OutboxRow).outerjoin(OutboxRow, OutboxRow.digest_id == DigestRow.id)


async def latest_digest(session: AsyncSession, channel_id: int) -> DigestSummary | None:
    """The channel's most recent digest with its delivery state."""
    result = await session.execute(
        digests_with_outbox()
        .where(DigestRow.channel_id == channel_id, _scheduled())
        .order_by(DigestRow.period_end.desc())
        .limit(1)
    )
    found = result.first()
    if found is None:
        return None
    digest, outbox = found
    return DigestSummary(
        digest_id=digest.id,
        period_key=digest.period_key,
        created_at=digest.created_at,
        state=outbox.state if outbox else "stored",
        attempts=outbox.attempts if outbox else 0,
        last_error=outbox.last_error if outbox else "",
        sent_at=outbox.sent_at if outbox else None,
        items=len(digest.payload.get("items", ())),
    )


@dataclass(frozen=True)
class CoveringDigest:
    """A channel's scheduled digest whose period holds a given moment, for `status`."""

    period_key: str
    period_start: datetime
    period_end: datetime
    items: int


async def digest_covering(
    session: AsyncSession, channel_id: int, moment: datetime
) -> CoveringDigest | None:
    """The channel's scheduled digest whose period (start, end] holds `moment`, if any."""
    row = await session.scalar(
        select(DigestRow)
        .where(
            DigestRow.channel_id == channel_id,
            DigestRow.period_start < moment,
            DigestRow.period_end >= moment,
            _scheduled(),
        )
        .order_by(DigestRow.period_end.desc())
        .limit(1)
    )
    if row is None:
        return None
    items = len(row.payload.get("items", ()))
    return CoveringDigest(row.period_key, row.period_start, row.period_end, items)


async def digest_for_thread(session: AsyncSession, channel_id: int, thread_id: str) -> str | None:
    """The digest posted as (or opening) this platform thread or message in the channel."""
    if not thread_id:
        return None
    result = await session.execute(
        select(OutboxRow.digest_id)
        .where(
            OutboxRow.channel_id == channel_id,
            or_(
                OutboxRow.thread_id == thread_id,
                OutboxRow.platform_message_id == thread_id,
                OutboxRow.id.in_(
                    select(PostPartRow.outbox_id).where(PostPartRow.message_id == thread_id)
                ),
            ),
        )
        .limit(1)
    )
    return result.scalar_one_or_none()


async def record_posted_digest(
    session: AsyncSession,
    *,
    channel_id: int,
    channel_key: str,
    period_start: datetime,
    period_end: datetime,
    payload: dict[str, Any],
    article_ids: Sequence[str],
    message_ids: Sequence[str],
    now: datetime,
) -> None:
    """Remember a digest an adapter posted on request as these messages (the first opens
    its thread), so a reply under any of them is a question about its articles."""
    if not message_ids:
        return
    first = message_ids[0]
    stored = await store_digest_with_outbox(
        session,
        channel_id=channel_id,
        channel_key=channel_key,
        period_key=ON_DEMAND_PREFIX + first[:50],
        period_start=period_start,
        period_end=period_end,
        payload=payload,
        article_ids=article_ids,
        now=now,
    )
    await mark_sent(
        session,
        stored.outbox_id,
        channel_id=channel_id,
        message_id=first,
        thread_id=first,
        part_ids=message_ids[1:],
        now=now,
        scheduled=False,
    )


async def articles_of_digests(session: AsyncSession, digest_ids: Sequence[str]) -> list[Article]:
    """The articles behind these digests."""
    if not digest_ids:
        return []
    result = await session.execute(
        select(ArticleRow)
        .join(DigestArticleRow, DigestArticleRow.article_id == ArticleRow.id)
        .where(DigestArticleRow.digest_id.in_(list(digest_ids)))
        .order_by(ArticleRow.published_at.desc())
    )
    return [article_from_row(row) for row in result.scalars().unique()]


async def recent_digest_ids(
    session: AsyncSession, channel_id: int, *, since: datetime
) -> list[str]:
    """Ids of the channel's digests built since `since`, newest first."""
    result = await session.execute(
        select(DigestRow.id)
        .where(DigestRow.channel_id == channel_id, DigestRow.period_end >= since)
        .order_by(DigestRow.period_end.desc())
    )
    return list(result.scalars())


async def digested_article_ids(
    session: AsyncSession, channel_id: int, article_ids: Sequence[str]
) -> dict[str, str]:
    """Which of these articles already went out in one of the channel's digests (-> period)."""
    if not article_ids:
        return {}
    result = await session.execute(
        select(DigestArticleRow.article_id, DigestRow.period_key)
        .join(DigestRow, DigestRow.id == DigestArticleRow.digest_id)
        .where(
            DigestRow.channel_id == channel_id,
            DigestArticleRow.article_id.in_(list(article_ids)),
            _scheduled(),
        )
    )
    return dict(result.all())


async def feed_articles_between(
    session: AsyncSession,
    feed_ids: Sequence[int],
    *,
    start: datetime,
    end: datetime,
    published_after: datetime | None = None,
    include_baseline: bool = False,
) -> dict[int, list[Article]]:
    """Articles the given feeds carried that were fetched in (start, end], per feed."""
    found: dict[int, list[Article]] = {fid: [] for fid in feed_ids}
    if not feed_ids:
        return found
    conditions = [
        FeedArticleRow.feed_id.in_(list(feed_ids)),
        ArticleRow.fetched_at > start,
        ArticleRow.fetched_at <= end,
    ]
    if published_after is not None:
        conditions.append(ArticleRow.published_at > published_after)
    if not include_baseline:
        conditions.append(ArticleRow.baseline.is_(False))
    result = await session.execute(
        select(FeedArticleRow.feed_id, ArticleRow, FeedRow.url)
        .join(ArticleRow, ArticleRow.id == FeedArticleRow.article_id)
        .join(FeedRow, FeedRow.id == FeedArticleRow.feed_id)
        .where(and_(*conditions))
        .order_by(ArticleRow.published_at.desc(), ArticleRow.id)
    )
    for feed_id, row, feed_url in result:
        found[feed_id].append(article_from_row(row, feed_url))
    return found


async def articles_published_between(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    feed_ids: Sequence[int] | None = None,
    words: Sequence[str] = (),
    limit: int = 2000,
) -> list[Article]:
    """Articles published in [start, end], optionally from some feeds or containing a word.

    Word matching here is a coarse SQL prefilter (any word, case-insensitive substring);
    callers apply the exact whole-word rules in Python.
    """
    conditions: list[Any] = [ArticleRow.published_at >= start, ArticleRow.published_at <= end]
    query = select(ArticleRow).distinct()
    if feed_ids is not None:
        query = query.join(FeedArticleRow, FeedArticleRow.article_id == ArticleRow.id)
        conditions.append(FeedArticleRow.feed_id.in_(list(feed_ids)))
    if words:
        conditions.append(or_(*(_contains(word) for word in words)))
    result = await session.execute(
        query.where(and_(*conditions)).order_by(ArticleRow.published_at.desc()).limit(limit)
    )
    return [article_from_row(row) for row in result.scalars()]


async def articles_fetched_between(
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    words: Sequence[str],
    published_after: datetime | None = None,
    limit: int = 2000,
) -> list[Article]:
    """Non-baseline articles fetched in (start, end] that contain any of `words` (prefilter)."""
    conditions: list[Any] = [
        ArticleRow.fetched_at > start,
        ArticleRow.fetched_at <= end,
        ArticleRow.baseline.is_(False),
        or_(*(_contains(word) for word in words)),
    ]
    if published_after is not None:
        conditions.append(ArticleRow.published_at > published_after)
    result = await session.execute(
        select(ArticleRow)
        .where(and_(*conditions))
        .order_by(ArticleRow.published_at.desc())
        .limit(limit)
    )
    return [article_from_row(row) for row in result.scalars()]


def _contains(word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    return or_(
        ArticleRow.title.ilike(pattern, escape="\\"), ArticleRow.text.ilike(pattern, escape="\\")
    )


@dataclass(frozen=True)
class StoredArticle:
    """An article as `status ARTICLE` explains it: the article, and whether it arrived with
    its feed's first poll (the baseline, never posted)."""

    article: Article
    baseline: bool


async def find_article(session: AsyncSession, url_or_id: str) -> StoredArticle | None:
    """An article by id or by URL (as stored, i.e. canonical)."""
    row = await session.get(ArticleRow, url_or_id)
    if row is None:
        row = await session.scalar(select(ArticleRow).where(ArticleRow.url == url_or_id))
    if row is None:
        return None
    return StoredArticle(article_from_row(row), baseline=row.baseline)


async def feed_ids_of_article(session: AsyncSession, article_id: str) -> list[int]:
    """Which feeds carried an article."""
    result = await session.execute(
        select(FeedArticleRow.feed_id).where(FeedArticleRow.article_id == article_id)
    )
    return list(result.scalars())
