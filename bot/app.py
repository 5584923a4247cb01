"""The composition root: builds every long-lived dependency once and passes it in.

Nothing else in `bot/` creates a database, an HTTP session or a process pool on its own,
and nothing else wires the core together: the summarisers (one per mode, sharing one
`ServerHealth`), the answerer, the chat commands and the scheduler are all made here from
plain imports. Adapters are chosen in `adapters/launch.py` and get what they need from an
`App`. Tests build one with an injected clock (and, when needed, a fake resolver or an
in-process parser).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Self

from aiohttp.abc import AbstractResolver
from prometheus_client import CollectorRegistry

from bot.channels.ask import ExtractiveAnswerer
from bot.channels.commands import Commands
from bot.channels.daily import BuildDeps
from bot.channels.delivery import DeliveryPolicy, Poster
from bot.channels.scheduler import Scheduler
from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.feeds.fetch import Fetcher
from bot.feeds.parse import ParserPool
from bot.feeds.poll import PollOutcome, poll_feeds
from bot.feeds.probe import OpmlListing, probe_and_store
from bot.ops.metrics import Metrics
from bot.store.articles import ArticleStore
from bot.store.db import Database, WriteBatcher, open_database
from bot.store.feeds import Backoff, FeedStore
from bot.store.retention import RetentionPolicy
from bot.summarise.base import Answerer, Summariser
from bot.summarise.factory import make_answerer, make_summariser
from bot.workers.shared import SharedSummaries
from bot.workers.units import Units

if TYPE_CHECKING:
    from bot.summarise.llm import ServerHealth


@dataclass
class Summarisers:
    """One summariser per mode (auto | llm | extractive), made on first use and kept."""

    settings: Settings
    db: Database
    clock: Clock
    metrics: Metrics | None = None
    _made: dict[str, Summariser] = field(default_factory=dict)
    health: ServerHealth = field(init=False)

    def __post_init__(self) -> None:
        # Any channel may switch to the LLM. Loading the openai SDK takes 1-1.6 s of CPU that
        # would otherwise block the event loop inside the first such digest's tick, delaying
        # the 3-second acknowledgements of slash commands arriving meanwhile; pay it when the
        # summarisers are first needed, not when `bot.app` is imported (the `feeds` commands
        # never summarise).
        from bot.summarise.llm import ServerHealth

        # One for every mode and for `ask`: what one learns about the server, all know.
        self.health = ServerHealth()

    def __call__(self, mode: str) -> Summariser:
        if mode not in self._made:
            self._made[mode] = make_summariser(
                self.settings,
                mode,
                db=self.db,
                clock=self.clock,
                health=self.health,
                metrics=self.metrics,
            )
        return self._made[mode]


@dataclass
class App:
    """Everything a running newsbot shares. Use `async with await build_app(settings) as app`."""

    settings: Settings
    db: Database
    fetcher: Fetcher
    parser: ParserPool
    clock: Clock = utc_now
    # This process's Prometheus counters, on their own registry (served by `bot.ops.server`).
    metrics: Metrics = field(default_factory=Metrics)
    _resources: AsyncExitStack = field(default_factory=AsyncExitStack, repr=False)
    _commands: Commands | None = field(default=None, repr=False)
    _summarisers: Summarisers | None = field(default=None, repr=False)

    @property
    def summarisers(self) -> Summarisers:
        """One summariser per mode (auto | llm | extractive), shared by commands and digests."""
        if self._summarisers is None:
            self._summarisers = Summarisers(self.settings, self.db, self.clock, self.metrics)
        return self._summarisers

    @property
    def commands(self) -> Commands:
        """The chat commands every adapter calls (built once)."""
        if self._commands is None:
            self._commands = build_commands(self)
        return self._commands

    def scheduler(self, posters: MutableMapping[str, Poster]) -> Scheduler:
        """The digest scheduler delivering through `posters` (keyed by platform)."""
        return build_scheduler(self, posters)

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
            metrics=self.metrics,
        )

    async def add_feed(self, url: str) -> int | OpmlListing:
        """Add a feed for a chat user: fetched and stored now; see `probe_and_store`."""
        return await probe_and_store(
            self.db, self.fetcher, self.parser, url, now=self.now(), settings=self.settings.fetch
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
        parser = await resources.enter_async_context(
            ParserPool.from_settings(settings.fetch, in_process=parse_in_process)
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
        metrics=Metrics(CollectorRegistry()),
        _resources=resources,
    )


def build_answerer(app: App) -> Answerer:
    """The LLM answerer (grounded, extractive fallback) when configured, else extractive."""
    extractive = ExtractiveAnswerer()
    llm = make_answerer(
        app.settings,
        fallback=extractive,
        db=app.db,
        clock=app.clock,
        health=app.summarisers.health,
    )
    return llm or extractive


def build_commands(app: App) -> Commands:
    """The chat commands over the app's database, feed stage and clock."""
    return Commands(
        db=app.db,
        config=app.settings,
        clock=app.clock,
        summariser_for=app.summarisers,
        answerer=build_answerer(app),
        add_feed=app.add_feed,
    )


def build_deps(app: App, summariser_for: Callable[[str], Summariser]) -> BuildDeps:
    """What building a digest needs, for the scheduler and for workers alike."""
    return BuildDeps(
        db=app.db,
        summariser_for=summariser_for,
        clock=app.clock,
        max_age_hours=app.settings.digest.window_hours * 2,
        metrics=app.metrics,
    )


def delivery_policy(app: App) -> DeliveryPolicy:
    """Delivery timing (the lease) and the counters posts are reported to."""
    return DeliveryPolicy(lease_s=app.settings.scheduler.delivery_lease_s, metrics=app.metrics)


def build_units(app: App, posters: Mapping[str, Poster]) -> Units:
    """What a `newsbot worker` process runs its jobs with (`posters`: a sender's platforms)."""

    async def poll(feed_ids: Sequence[int], now: datetime) -> Sequence[PollOutcome]:
        return await app.poll(feed_ids, now=now)

    workers = app.settings.workers
    # One group-committing writer for the process: shared summaries, digests, posts.
    writer = WriteBatcher(app.db)
    return Units(
        db=app.db,
        build=build_deps(app, shared_summarisers(app, writer)),
        poll=poll,
        clock=app.clock,
        posters=posters,
        policy=delivery_policy(app),
        batch=workers.batch,
        claim_s=workers.claim_s,
        stalled_after_s=workers.stalled_after_s,
        retention=RetentionPolicy.from_settings(app.settings),
        writer=writer,
    )


def shared_summarisers(app: App, writer: WriteBatcher) -> Callable[[str], Summariser]:
    """Each mode's summariser, its summaries shared between worker processes via the database
    and stored through the process's `writer`."""
    made: dict[str, Summariser] = {}

    def summariser_for(mode: str) -> Summariser:
        if mode not in made:
            made[mode] = SharedSummaries(app.summarisers(mode), app.db, app.clock, writer)
        return made[mode]

    return summariser_for


def build_scheduler(app: App, posters: MutableMapping[str, Poster]) -> Scheduler:
    """The tick runner: polls through `app.poll`, builds digests, delivers via `posters`."""

    async def poll(feed_ids: Sequence[int], now: datetime) -> Sequence[PollOutcome]:
        return await app.poll(feed_ids)

    return Scheduler(
        db=app.db,
        build=build_deps(app, app.summarisers),
        posters=posters,
        clock=app.clock,
        poll_feeds=poll,
        policy=delivery_policy(app),
        tick_s=app.settings.scheduler.tick_s,
        poll_deadline_s=app.settings.scheduler.poll_deadline_s,
        retention=RetentionPolicy.from_settings(app.settings),
    )
