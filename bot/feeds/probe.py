"""The unit of work "add this feed for a chat user": check the URL, fetch it once, store it.

A feed added from chat is fetched at once, so a wrong URL is refused in the reply, not found
out at the next poll. What it carries now is stored as its baseline (never posted: a new
subscription must not flood a channel with old items), in one transaction with the feed row
and its fetch state, written by the same functions polling uses. An OPML file at the URL is
not stored: its listed feeds come back for the caller to add one by one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import FetchSettings
from bot.errors import BadInput, FeedError, NotAFeed
from bot.feeds.fetch import Fetcher
from bot.feeds.guard import check_url
from bot.feeds.opml import OpmlFeed, read_opml
from bot.feeds.parse import ParserPool
from bot.feeds.urls import display_url
from bot.store.articles import write_articles
from bot.store.db import Database
from bot.store.feeds import Origin, ensure_feed, feed_by_url, write_success


@dataclass(frozen=True)
class OpmlListing:
    """The URL held an OPML file: these are the feeds it lists (none stored yet)."""

    feeds: tuple[OpmlFeed, ...]


# What `Commands` is given to add a feed: URL in, the stored feed's id (or an OPML listing) out.
AddFeed = Callable[[str], Awaitable[int | OpmlListing]]


async def probe_and_store(
    db: Database,
    fetcher: Fetcher,
    parser: ParserPool,
    url: str,
    *,
    now: datetime,
    settings: FetchSettings,
    origin: Origin = "user",
    interval_s: int | None = None,
) -> int | OpmlListing:
    """The id of the feed at `url`, stored (with its baseline) if it was not yet.

    Raises `BadInput`, `BlockedAddress`, `FeedError` or `NotAFeed` with one sentence naming
    the URL (without credentials); nothing is stored then. `origin` and `interval_s` are
    the operator's when `newsbot feeds add` probes (default: a chat user's, the configured
    poll interval).
    """
    check_url(url, user_supplied=True, allow_private=settings.allow_private_addresses)
    known = await _known_feed(db, url)
    if known is not None:
        return known
    try:
        result = await fetcher.fetch(url)
    except FeedError as error:
        raise FeedError(f"{display_url(url)} could not be fetched: {error}") from None
    try:
        parsed = await parser.parse(result.body, url=url, headers=result.headers, fetched_at=now)
    except NotAFeed as error:
        return _opml_listing(url, result.body, error)
    async with db.write() as session:
        feed = await ensure_feed(
            session,
            url,
            now=now,
            origin=origin,
            interval_s=interval_s or settings.poll_interval_s,
        )
        await write_articles(
            session, parsed.articles, feed_id=feed.id, fetched_at=now, baseline=True
        )
        await write_success(
            session,
            feed.id,
            interval_s=feed.poll_interval_s,
            now=now,
            etag=result.etag,
            last_modified=result.last_modified,
            title=parsed.title,
            outlet=parsed.outlet,
        )
    return feed.id


async def _known_feed(db: Database, url: str) -> int | None:
    """The id of a feed already stored and baselined; None when it must be fetched first."""
    async with db.session() as session:
        feed = await feed_by_url(session, url)
    if feed is None:
        return None
    if feed.origin == "operator" and not url.lower().startswith(("http://", "https://")):
        raise BadInput("feeds from chat must be http:// or https:// URLs.")
    if feed.disabled:
        raise FeedError(
            f"{display_url(url)} is disabled after repeated failures "
            f"({feed.disabled_reason}); ask the operator to re-enable it."
        )
    return feed.id if feed.baselined else None


def _opml_listing(url: str, body: bytes, not_a_feed: NotAFeed) -> OpmlListing:
    try:
        feeds = read_opml(body)
    except BadInput:
        raise NotAFeed(f"{display_url(url)} is not an RSS or Atom feed: {not_a_feed}") from None
    if not feeds:
        raise BadInput(f"the OPML file at {display_url(url)} lists no feeds.")
    return OpmlListing(tuple(feeds))
