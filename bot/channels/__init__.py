"""The platform-neutral bot: commands, digest scheduling, exactly-once delivery, questions.

`build_commands(app)` and `build_scheduler(app, posters)` wire them from the composition
root's `App`, so adapters and `newsbot run` never assemble the pieces themselves.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from bot.channels.ask import ExtractiveAnswerer
from bot.channels.build import BuildDeps
from bot.channels.commands import Commands
from bot.channels.delivery import DeliveryPolicy, Poster
from bot.channels.scheduler import Scheduler
from bot.feeds.poll import PollOutcome
from bot.summarise.base import Answerer, Summariser
from bot.summarise.factory import make_answerer, make_summariser

if TYPE_CHECKING:
    from bot.app import App
    from bot.summarise.llm import ServerHealth


@dataclass
class Summarisers:
    """One summariser per mode (auto | llm | extractive), made on first use and kept."""

    app: App
    _made: dict[str, Summariser] = field(default_factory=dict)
    health: ServerHealth = field(init=False)

    def __post_init__(self) -> None:
        # Any channel may switch to the LLM. Loading the openai SDK takes 1-1.6 s of CPU that
        # would otherwise block the event loop inside the first such digest's tick, delaying
        # the 3-second acknowledgements of slash commands arriving meanwhile; pay it at start.
        from bot.summarise.llm import ServerHealth

        # One for every mode and for `ask`: what one learns about the server, all know.
        self.health = ServerHealth()

    def __call__(self, mode: str) -> Summariser:
        if mode not in self._made:
            self._made[mode] = make_summariser(
                self.app.settings, mode, db=self.app.db, clock=self.app.clock, health=self.health
            )
        return self._made[mode]


def build_answerer(app: App, health: ServerHealth | None = None) -> Answerer:
    """The LLM answerer (grounded, extractive fallback) when configured, else extractive."""
    extractive = ExtractiveAnswerer()
    llm = make_answerer(
        app.settings, fallback=extractive, db=app.db, clock=app.clock, health=health
    )
    return llm or extractive


def build_commands(app: App, summarisers: Summarisers | None = None) -> Commands:
    """The chat commands over the app's database, fetcher, parser and clock."""
    summarisers = summarisers or Summarisers(app)
    return Commands(
        db=app.db,
        fetcher=app.fetcher,
        parser=app.parser,
        config=app.settings,
        clock=app.clock,
        summariser_for=summarisers,
        answerer=build_answerer(app, summarisers.health),
    )


def build_scheduler(
    app: App,
    posters: MutableMapping[str, Poster],
    summarisers: Summarisers | None = None,
) -> Scheduler:
    """The tick runner: polls through `app.poll`, builds digests, delivers via `posters`."""

    async def poll(feed_ids: Sequence[int], now: datetime) -> Sequence[PollOutcome]:
        return await app.poll(feed_ids)

    return Scheduler(
        db=app.db,
        build=BuildDeps(
            db=app.db,
            summariser_for=summarisers or Summarisers(app),
            clock=app.clock,
            max_age_hours=app.settings.digest.window_hours * 2,
        ),
        posters=posters,
        clock=app.clock,
        poll_feeds=poll,
        policy=DeliveryPolicy(lease_s=app.settings.scheduler.delivery_lease_s),
        tick_s=app.settings.scheduler.tick_s,
    )
