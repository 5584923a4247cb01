"""Feeds, their fetch state and their health.

"Which feeds are due?" is one indexed query on `next_poll_at`; every poll outcome moves that
column forward (the poll interval after a success, exponential backoff after a failure, never
sooner than a host's `Retry-After`), so any runner can ask it and run what it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import case, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import FetchSettings
from bot.errors import BadInput
from bot.feeds.urls import display_url
from bot.store.db import Database, insert_ignoring_conflict
from bot.store.schema import FeedRow

Origin = Literal["operator", "user"]


@dataclass(frozen=True)
class Feed:
    """A feed as stored: where it is, who added it, and how polling it has gone."""

    id: int
    url: str
    title: str
    outlet: str
    origin: str
    etag: str | None
    last_modified: str | None
    poll_interval_s: int
    next_poll_at: datetime
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_status: str
    last_error: str
    consecutive_failures: int
    disabled: bool
    disabled_reason: str
    baselined: bool
    created_at: datetime
    retry_not_before: datetime | None = None

    @property
    def name(self) -> str:
        """What to call the feed in lists and chat: the outlet, else its title, else its URL
        (without credentials: this name reaches channels, e.g. in the disabled notice)."""
        return self.outlet or self.title or display_url(self.url)

    @property
    def health(self) -> str:
        """One short phrase for people: ok, not polled yet, failing (n), disabled."""
        if self.disabled:
            return "disabled"
        if self.consecutive_failures:
            return f"failing ({self.consecutive_failures})"
        # "new" again after `feeds enable`: the old outcome no longer describes it.
        if self.last_polled_at is None or self.last_status == "new":
            return "not polled yet"
        return "ok"


@dataclass(frozen=True)
class Backoff:
    """How long to wait after failures, and when to give up on a feed."""

    base_s: int = 300
    max_s: int = 86_400
    disable_after: int = 10

    @classmethod
    def from_settings(cls, fetch: FetchSettings) -> Backoff:
        return cls(fetch.backoff_base_s, fetch.backoff_max_s, fetch.disable_after_failures)

    def delay_s(self, failures: int, retry_after_s: float | None = None) -> float:
        """base * 2^(failures-1), capped at max; a host's Retry-After is a floor (up to max)."""
        exponent = min(max(failures - 1, 0), 40)  # 2**40 s is far past any cap
        delay = float(min(self.base_s * 2**exponent, self.max_s))
        if retry_after_s is not None and retry_after_s > 0:
            delay = max(delay, min(retry_after_s, float(self.max_s)))
        return delay


def _to_feed(row: FeedRow) -> Feed:
    return Feed(
        id=row.id,
        url=row.url,
        title=row.title,
        outlet=row.outlet,
        origin=row.origin,
        etag=row.etag,
        last_modified=row.last_modified,
        poll_interval_s=row.poll_interval_s,
        next_poll_at=row.next_poll_at,
        last_polled_at=row.last_polled_at,
        last_success_at=row.last_success_at,
        last_status=row.last_status,
        last_error=row.last_error,
        consecutive_failures=row.consecutive_failures,
        disabled=row.disabled,
        disabled_reason=row.disabled_reason,
        baselined=row.baselined,
        created_at=row.created_at,
        retry_not_before=row.retry_not_before,
    )


# Session-level writes: the FeedStore methods run each in its own transaction, and the
# poller runs many of them in one transaction (group commit) to keep SQLite fast.


async def write_success(
    session: AsyncSession,
    feed_id: int,
    *,
    interval_s: int,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
    title: str = "",
    outlet: str = "",
) -> None:
    """One UPDATE: validators stored, health reset, next poll one interval from `now`."""
    values: dict[str, Any] = {
        "etag": etag,
        "last_modified": last_modified,
        "last_polled_at": now,
        "last_success_at": now,
        "last_status": "ok",
        "last_error": "",
        "consecutive_failures": 0,
        "retry_not_before": None,
        "baselined": True,
        "next_poll_at": now + timedelta(seconds=interval_s),
    }
    if title:
        values["title"] = title[:512]
    if outlet:  # only names a feed the operator left unnamed
        values["outlet"] = case((FeedRow.outlet == "", outlet[:256]), else_=FeedRow.outlet)
    await session.execute(update(FeedRow).where(FeedRow.id == feed_id).values(**values))


async def write_not_modified(
    session: AsyncSession, feed_id: int, *, interval_s: int, now: datetime
) -> None:
    """One UPDATE after a 304: healthy, nothing new, next poll one interval from `now`."""
    await session.execute(
        update(FeedRow)
        .where(FeedRow.id == feed_id)
        .values(
            last_polled_at=now,
            last_success_at=now,
            last_status="unchanged",
            last_error="",
            consecutive_failures=0,
            retry_not_before=None,
            next_poll_at=now + timedelta(seconds=interval_s),
        )
    )


async def write_failure(
    session: AsyncSession,
    feed_id: int,
    *,
    now: datetime,
    error: str,
    retry_after_s: float | None,
    backoff: Backoff,
) -> Feed | None:
    """Read the failure count and write the next one: run it in `Database.write()`."""
    # FOR UPDATE: on PostgreSQL a concurrent poller waits here instead of losing a count
    # (SQLite needs nothing more: write() already holds the database write lock).
    row = await session.get(FeedRow, feed_id, populate_existing=True, with_for_update=True)
    if row is None:
        return None
    failures = row.consecutive_failures + 1
    row.consecutive_failures = failures
    row.last_polled_at = now
    row.last_status = "failed"
    row.last_error = error[:2000]
    row.next_poll_at = now + timedelta(seconds=backoff.delay_s(failures, retry_after_s))
    row.retry_not_before = (
        now + timedelta(seconds=min(retry_after_s, float(backoff.max_s)))
        if retry_after_s is not None and retry_after_s > 0
        else None
    )
    if failures >= backoff.disable_after:
        row.disabled = True
        row.disabled_reason = f"{failures} failures in a row; the last one: {error}"[:2000]
    await session.flush()
    return _to_feed(row)


async def write_moved(session: AsyncSession, feed_id: int, url: str) -> bool:
    """The feed's URL is now `url` (a permanent redirect), unless another feed has it."""
    taken = await session.scalar(select(FeedRow.id).where(FeedRow.url == url))
    if taken is not None:
        return False
    await session.execute(update(FeedRow).where(FeedRow.id == feed_id).values(url=url))
    return True


def _new_feed(
    url: str, *, now: datetime, outlet: str, origin: Origin, interval_s: int
) -> dict[str, Any]:
    """The columns of a feed just added: never polled, due at once, no baseline yet."""
    return {
        "url": url,
        "title": "",
        "outlet": outlet,
        "origin": origin,
        "poll_interval_s": interval_s,
        "next_poll_at": now,
        "last_status": "new",
        "last_error": "",
        "consecutive_failures": 0,
        "disabled": False,
        "disabled_reason": "",
        "baselined": False,
        "created_at": now,
    }


async def feed_by_id(session: AsyncSession, feed_id: int) -> Feed | None:
    """The feed with this id, if any."""
    row = await session.get(FeedRow, feed_id)
    return _to_feed(row) if row is not None else None


async def feed_by_url(session: AsyncSession, url: str) -> Feed | None:
    """The feed stored under this URL, if any."""
    row = await session.scalar(select(FeedRow).where(FeedRow.url == url))
    return _to_feed(row) if row is not None else None


async def ensure_feed(
    session: AsyncSession, url: str, *, now: datetime, origin: Origin, interval_s: int
) -> Feed:
    """The feed under this URL, added (due at once) when there is none: safe against another
    process adding the same URL meanwhile, inside the caller's transaction."""
    values = _new_feed(url, now=now, outlet="", origin=origin, interval_s=interval_s)
    await insert_ignoring_conflict(session, FeedRow, values)
    feed = await feed_by_url(session, url)
    assert feed is not None
    return feed


async def due_feed_ids(session: AsyncSession, now: datetime, *, limit: int) -> list[int]:
    """Enabled feeds whose next poll time has come, most overdue first."""
    query = (
        select(FeedRow.id)
        .where(FeedRow.disabled.is_(False), FeedRow.next_poll_at <= now)
        .order_by(FeedRow.next_poll_at, FeedRow.id)
        .limit(limit)
    )
    return list((await session.scalars(query)).all())


async def claim_due_feeds(
    session: AsyncSession, now: datetime, *, limit: int, claim_s: float
) -> list[int]:
    """Take the due feeds for one poll pass: their next poll moves `claim_s` ahead.

    Claimed like outbox rows, so several runners on one PostgreSQL database never poll a
    feed twice: a feed another runner holds is skipped (SKIP LOCKED), and one claimed is
    no longer due for anyone. The poll's outcome then sets the real next poll time; a
    runner that dies mid-pass leaves its feeds due again when the claim runs out. Run it in
    `Database.write()` (on SQLite, BEGIN IMMEDIATE makes the claim atomic just the same).
    """
    due = (
        select(FeedRow.id)
        .where(FeedRow.disabled.is_(False), FeedRow.next_poll_at <= now)
        .order_by(FeedRow.next_poll_at, FeedRow.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list((await session.scalars(due)).all())
    if ids:
        await session.execute(
            update(FeedRow)
            .where(FeedRow.id.in_(ids))
            .values(next_poll_at=now + timedelta(seconds=claim_s))
            .execution_options(synchronize_session=False)
        )
    return ids


def _existing(feed: Feed, exist_ok: bool) -> Feed:
    if exist_ok:
        return feed
    raise BadInput(f"feed {display_url(feed.url)} is already added (id {feed.id}).")


class FeedStore:
    """Queries on the `feeds` table. Every method is one short transaction."""

    def __init__(self, db: Database, backoff: Backoff | None = None) -> None:
        self._db = db
        self.backoff = backoff or Backoff()

    async def add(
        self,
        url: str,
        *,
        now: datetime,
        outlet: str = "",
        origin: Origin = "operator",
        interval_s: int = 900,
        exist_ok: bool = False,
    ) -> Feed:
        """Add a feed, due at once. An existing URL raises BadInput unless `exist_ok`."""
        if interval_s < 60:
            raise BadInput("a poll interval must be at least 60 seconds.")
        try:
            async with self._db.write() as session:
                existing = await session.scalar(select(FeedRow).where(FeedRow.url == url))
                if existing is not None:
                    return _existing(_to_feed(existing), exist_ok)
                row = FeedRow(
                    **_new_feed(url, now=now, outlet=outlet, origin=origin, interval_s=interval_s)
                )
                session.add(row)
                await session.flush()
                return _to_feed(row)
        except IntegrityError:
            # Another process added the same URL between our check and our insert.
            raced = await self.get_by_url(url)
            if raced is None:
                raise
            return _existing(raced, exist_ok)

    async def get(self, feed_id: int) -> Feed | None:
        async with self._db.session() as session:
            return await feed_by_id(session, feed_id)

    async def get_by_url(self, url: str) -> Feed | None:
        async with self._db.session() as session:
            return await feed_by_url(session, url)

    async def get_many(self, feed_ids: Sequence[int]) -> list[Feed]:
        """The feeds with these ids that exist, in the order asked."""
        if not feed_ids:
            return []
        async with self._db.session() as session:
            rows = (await session.scalars(select(FeedRow).where(FeedRow.id.in_(feed_ids)))).all()
        by_id = {row.id: _to_feed(row) for row in rows}
        return [by_id[i] for i in feed_ids if i in by_id]

    async def remove(self, feed_id: int) -> bool:
        """Remove a feed (its articles stay, unlinked). False when there was no such feed."""
        async with self._db.session() as session:
            result = await session.execute(delete(FeedRow).where(FeedRow.id == feed_id))
            return bool(getattr(result, "rowcount", 0))

    async def due_feed_ids(self, now: datetime, limit: int = 500) -> list[int]:
        """Enabled feeds whose next poll time has come, most overdue first."""
        async with self._db.session() as session:
            return await due_feed_ids(session, now, limit=limit)

    async def all_enabled_ids(self) -> list[int]:
        query = select(FeedRow.id).where(FeedRow.disabled.is_(False)).order_by(FeedRow.id)
        async with self._db.session() as session:
            return list((await session.scalars(query)).all())

    async def pollable_ids(self, now: datetime, *, force: bool) -> list[int]:
        """Enabled feeds that may be polled now, due or not (`fetch --all`): not those a host
        told to wait (Retry-After), and, unless `force`, not those backing off after failures."""
        query = select(FeedRow.id).where(
            FeedRow.disabled.is_(False),
            (FeedRow.retry_not_before.is_(None)) | (FeedRow.retry_not_before <= now),
        )
        if not force:
            query = query.where((FeedRow.consecutive_failures == 0) | (FeedRow.next_poll_at <= now))
        async with self._db.session() as session:
            return list((await session.scalars(query.order_by(FeedRow.id))).all())

    async def held_by_retry_after(self, now: datetime) -> list[tuple[int, datetime]]:
        """(id, until) of enabled feeds whose host asked for a wait that is not over."""
        query = (
            select(FeedRow.id, FeedRow.retry_not_before)
            .where(FeedRow.disabled.is_(False), FeedRow.retry_not_before > now)
            .order_by(FeedRow.id)
        )
        async with self._db.session() as session:
            rows = (await session.execute(query)).all()
        return [(feed_id, until) for feed_id, until in rows if until is not None]

    async def record_success(
        self,
        feed_id: int,
        *,
        now: datetime,
        etag: str | None,
        last_modified: str | None,
        title: str = "",
        outlet: str = "",
    ) -> None:
        """A poll fetched and parsed the feed: store validators, reset health, schedule next.

        `outlet` names the feed when the operator gave it no name, so that later
        attributions stay the same even if the feed's title changes.
        """
        async with self._db.write() as session:
            interval = await session.scalar(
                select(FeedRow.poll_interval_s).where(FeedRow.id == feed_id)
            )
            if interval is not None:
                await write_success(
                    session,
                    feed_id,
                    interval_s=interval,
                    now=now,
                    etag=etag,
                    last_modified=last_modified,
                    title=title,
                    outlet=outlet,
                )

    async def record_not_modified(self, feed_id: int, *, now: datetime) -> None:
        """The host answered 304: nothing new, the feed is healthy."""
        async with self._db.write() as session:
            interval = await session.scalar(
                select(FeedRow.poll_interval_s).where(FeedRow.id == feed_id)
            )
            if interval is not None:
                await write_not_modified(session, feed_id, interval_s=interval, now=now)

    async def record_failure(
        self,
        feed_id: int,
        *,
        now: datetime,
        error: str,
        retry_after_s: float | None = None,
    ) -> Feed | None:
        """Count a failure, back off exponentially, disable after too many in a row."""
        async with self._db.write() as session:
            return await write_failure(
                session,
                feed_id,
                now=now,
                error=error,
                retry_after_s=retry_after_s,
                backoff=self.backoff,
            )

    async def enable(self, feed_id: int, *, now: datetime) -> bool:
        """Re-enable a disabled feed and make it due at once. False when there is no such feed.

        Its old error goes with the reason: until the next poll it is "not polled yet", not
        "ok" beside a failure it may no longer have. A host's Retry-After still holds.
        """
        async with self._db.session() as session:
            result = await session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(
                    disabled=False,
                    disabled_reason="",
                    consecutive_failures=0,
                    last_status="new",
                    last_error="",
                    next_poll_at=case(
                        (FeedRow.retry_not_before > now, FeedRow.retry_not_before), else_=now
                    ),
                )
            )
            return bool(getattr(result, "rowcount", 0))

    async def disable(self, feed_id: int, *, reason: str) -> bool:
        """Stop polling a feed, keeping `reason` to show. False when there is no such feed."""
        async with self._db.session() as session:
            result = await session.execute(
                update(FeedRow)
                .where(FeedRow.id == feed_id)
                .values(disabled=True, disabled_reason=reason[:2000])
            )
            return bool(getattr(result, "rowcount", 0))

    async def move(self, feed_id: int, url: str) -> bool:
        """Store a feed's new URL after a permanent redirect; False when another feed has it."""
        async with self._db.write() as session:
            return await write_moved(session, feed_id, url)

    async def set_outlet(self, feed_id: int, outlet: str) -> None:
        async with self._db.session() as session:
            await session.execute(
                update(FeedRow).where(FeedRow.id == feed_id).values(outlet=outlet[:256])
            )

    # Last in the class: a method named `list` would shadow the builtin in later annotations.
    async def list(self) -> list[Feed]:
        """Every feed, oldest first."""
        async with self._db.session() as session:
            rows = (await session.scalars(select(FeedRow).order_by(FeedRow.id))).all()
            return [_to_feed(row) for row in rows]
