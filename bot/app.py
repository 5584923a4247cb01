"""The composition root: builds every long-lived dependency once and passes it in.

Nothing else in `bot/` creates a database, an HTTP session or a process pool on its own;
commands, the scheduler and the adapters get them from an `App`. Tests build one with an
injected clock (and, when needed, a fake resolver or an in-process parser).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiohttp.abc import AbstractResolver

from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import PollOutcome, poll_feeds
from bot.store.articles import ArticleStore
from bot.store.db import Database, open_database
from bot.store.feeds import Backoff, FeedStore

if TYPE_CHECKING:
    from collections.abc import MutableMapping

    from bot.channels import Summarisers
    from bot.channels.commands import Commands
    from bot.channels.delivery import Poster
    from bot.channels.scheduler import Scheduler

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The real clock: aware UTC now."""
    return datetime.now(UTC)


@dataclass
class App:
    """Everything a running newsbot shares. Use `async with await build_app(settings) as app`."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    parser: ParserPool
    clock: Clock = utc_now
    _resources: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)
    _commands: Commands | None = field(default=None, repr=False)
    _summarisers: Summarisers | None = field(default=None, repr=False)

    @property
    def summarisers(self) -> Summarisers:
        """One summariser per mode (auto | llm | extractive), shared by commands and digests."""
        if self._summarisers is None:
            from bot.channels import Summarisers

            self._summarisers = Summarisers(self)
        return self._summarisers

    @property
    def commands(self) -> Commands:
        """The chat commands every adapter calls (built once)."""
        if self._commands is None:
            from bot.channels import build_commands

            self._commands = build_commands(self, self.summarisers)
        return self._commands

    def scheduler(self, posters: MutableMapping[str, Poster]) -> Scheduler:
        """The digest scheduler delivering through `posters` (keyed by platform)."""
        from bot.channels import build_scheduler

        return build_scheduler(self, posters, self.summarisers)

    @property
    def feeds(self) -> FeedStore:
        return FeedStore(self.db, Backoff.from_settings(self.settings.fetch))

    @property
    def articles(self) -> ArticleStore:
        return ArticleStore(self.db)

    def now(self) -> datetime:
        return self.clock()

    async def poll(
        self,
        feed_ids: Sequence[int],
        *,
        now: datetime | None = None,
        on_outcome: Callable[[PollOutcome], None] | None = None,
    ) -> list[PollOutcome]:
        """Poll these feeds at `now` (default: the clock's now); see `poll_feeds`."""
        return await poll_feeds(
            self.db,
            self.fetcher,
            self.parser,
            feed_ids,
            now=now or self.now(),
            settings=self.settings,
            on_outcome=on_outcome,
        )

    async def poll_due(self, *, limit: int = 500) -> list[PollOutcome]:
        """Poll the feeds whose next poll time has come."""
        return await self.poll(await self.feeds.due_feed_ids(self.now(), limit))

    async def aclose(self) -> None:
        """Stop the parser workers, close the HTTP session and the database."""
        await self._resources.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


async def build_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    resolver: AbstractResolver | None = None,
    parse_in_process: bool = False,
) -> App:
    """Open the database (migrated), start the fetcher and the parser pool.

    `resolver` replaces DNS (tests, benchmarks); `parse_in_process` parses in a thread
    instead of worker processes (short-lived commands, tests).
    """
    resources = AsyncExitStack()
    try:
        db = await open_database(settings.database.url)
        resources.push_async_callback(db.close)
        fetcher = await resources.enter_async_context(Fetcher(settings.fetch, resolver=resolver))
        workers = settings.fetch.parse_workers
        parser = await resources.enter_async_context(
            ParserPool(workers, in_process=parse_in_process)
        )
    except BaseException:
        await resources.aclose()
        raise
    return App(
        settings=settings,
        db=db,
        fetcher=fetcher,
        parser=parser,
        clock=clock or utc_now,
        _resources=resources,
    )
