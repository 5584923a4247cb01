"""Platform 429 / 5xx at the outbox: wait as told, back off, give up visibly, never post twice.

The poster is the platform adapter's side of the outbox; here it fails the way the adapters
report Discord's `429 {"retry_after": 64.57}`, Slack's `Retry-After: 30` and a 502/503. The
scheduler's ticks drive delivery under a hand-moved clock, as `newsbot run` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import App
from bot.channels.delivery import DeliveryPolicy, PostError, PostResult
from bot.channels.scheduler import Scheduler
from bot.models import ChannelRef, Digest
from bot.store.channels import set_next_digest
from bot.store.schema import OutboxRow
from tests.channels.helpers import (
    Clock,
    RecordingPoster,
    add_channel,
    add_feed_with_articles,
    article,
    utc,
)

DUE = utc(2026, 4, 2, 8)  # the channel's digest time; also the end of the digest's period
POLICY = DeliveryPolicy()  # what `newsbot run` uses


@dataclass(frozen=True)
class Step:
    """One answer of the platform to a post: an error, and whether it kept the post anyway."""

    error: PostError | None = None
    accepted: bool = False  # the platform stored the message, then answered with `error`


@dataclass
class ScriptedPoster(RecordingPoster):
    """A platform answering posts with `script` in order; every call is timed."""

    clock: Clock = field(default_factory=lambda: Clock(DUE))
    script: list[Step] = field(default_factory=list)
    always: Step = field(default_factory=Step)  # the answer once the script is used up
    calls: list[datetime] = field(default_factory=list)

    async def post_digest(
        self, where: ChannelRef, digest: Digest, *, idempotency_key: str
    ) -> PostResult:
        self.calls.append(self.clock())
        step = self.script.pop(0) if self.script else self.always
        if step.error is None:
            return await super().post_digest(where, digest, idempotency_key=idempotency_key)
        if step.accepted:
            self.posts.append((where, digest, idempotency_key))
        raise step.error


def discord_429() -> PostError:
    return PostError("Discord asked newsbot to wait 65 s.", retry_after_s=64.57)


def slack_429() -> PostError:
    return PostError("Slack did not take the post (ratelimited).", retry_after_s=30.0)


def server_error(status: int) -> PostError:
    return PostError(f"the platform is unavailable for now ({status}).")


async def channel_due_with_news(app: App, clock: Clock) -> ChannelRef:
    """A channel whose digest is due at DUE, with one fresh article to show."""
    channel_id, where = await add_channel(app.db, clock())
    await add_feed_with_articles(
        app.db, channel_id, [article(1, utc(2026, 4, 1, 9))], fetched_at=clock()
    )
    async with app.db.session() as session:
        await set_next_digest(session, channel_id, DUE)
    return where


async def tick_at(scheduler: Scheduler, clock: Clock, at: datetime) -> None:
    clock.now = at
    await scheduler.tick()


async def outbox_row(app: App) -> OutboxRow:
    async with app.db.session() as session:
        return (await session.scalars(select(OutboxRow))).one()


@pytest.fixture
def poster(clock: Clock) -> ScriptedPoster:
    return ScriptedPoster(clock=clock)


@pytest.mark.parametrize(
    ("rate_limited", "too_early_s"),
    [(discord_429, 60.0), (slack_429, 29.0)],
    ids=["discord-429-then-502", "slack-429-then-503"],
)
async def test_rate_limit_is_waited_out_then_5xx_backs_off_and_posts_once(
    app: App,
    clock: Clock,
    poster: ScriptedPoster,
    rate_limited: Callable[[], PostError],
    too_early_s: float,
) -> None:
    where = await channel_due_with_news(app, clock)
    error = rate_limited()
    poster.script = [Step(error), Step(server_error(502))]
    scheduler = app.scheduler({"test": poster})

    await tick_at(scheduler, clock, DUE)
    assert len(poster.calls) == 1 and poster.posts == []

    # Not a single request before the time the platform named.
    await tick_at(scheduler, clock, DUE + timedelta(seconds=too_early_s))
    assert len(poster.calls) == 1
    assert error.retry_after_s is not None
    waited = DUE + timedelta(seconds=error.retry_after_s + 0.5)
    await tick_at(scheduler, clock, waited)
    assert poster.calls == [DUE, waited] and poster.posts == []

    # A 5xx names no time: the second failure waits the policy's second backoff step.
    second_backoff = timedelta(seconds=POLICY.backoff_base_s * 2)
    await tick_at(scheduler, clock, waited + second_backoff - timedelta(seconds=1))
    assert len(poster.calls) == 2
    await tick_at(scheduler, clock, waited + second_backoff)
    assert poster.keys() == [f"{where.key}|daily:2026-04-02"]

    for hours in (1, 6, 30):  # later ticks leave the sent digest alone
        await tick_at(scheduler, clock, DUE + timedelta(hours=hours))
    assert len(poster.posts) == 1 and len(poster.calls) == 3
    row = await outbox_row(app)
    assert row.state == "sent" and row.last_error == ""


async def test_accepted_then_5xx_is_found_not_posted_again(
    app: App, clock: Clock, poster: ScriptedPoster
) -> None:
    await channel_due_with_news(app, clock)
    # The platform stored the message but the answer was a 502 (a proxy in front of it).
    poster.script = [Step(server_error(502), accepted=True)]
    scheduler = app.scheduler({"test": poster})
    await tick_at(scheduler, clock, DUE)
    for minutes in (1, 5, 60, 600):
        await tick_at(scheduler, clock, DUE + timedelta(minutes=minutes))
    assert len(poster.posts) == 1 and len(poster.calls) == 1
    assert poster.find_calls == 1
    assert (await outbox_row(app)).state == "sent"


async def test_5xx_backs_off_then_gives_up_where_the_operator_sees_it(
    app: App, clock: Clock, poster: ScriptedPoster, caplog: pytest.LogCaptureFixture
) -> None:
    where = await channel_due_with_news(app, clock)
    poster.always = Step(server_error(503))
    scheduler = app.scheduler({"test": poster})
    await tick_at(scheduler, clock, DUE)
    row = await outbox_row(app)
    with caplog.at_level(logging.ERROR, logger="bot.channels.delivery"):
        for _ in range(200):  # far more than the policy allows: a regression fails, not hangs
            if row.state != "pending":
                break
            due = row.next_attempt_at
            await tick_at(scheduler, clock, due - timedelta(seconds=1))  # never early
            assert poster.calls[-1] < due
            await tick_at(scheduler, clock, due)
            assert poster.calls[-1] == due
            row = await outbox_row(app)

    gaps = [(b - a).total_seconds() for a, b in zip(poster.calls, poster.calls[1:], strict=False)]
    assert gaps[0] == POLICY.backoff_base_s
    assert gaps == sorted(gaps) and max(gaps) == POLICY.backoff_max_s  # grows, then capped
    # Bounded: no attempt after the digest stopped being news, and so a bounded count.
    assert poster.calls[-1] <= DUE + timedelta(hours=POLICY.give_up_after_h)
    assert len(poster.calls) <= POLICY.give_up_after_h * 3600 / POLICY.backoff_max_s + 10
    assert row.state == "failed" and "503" in row.last_error and poster.posts == []
    assert any("gave up" in r.getMessage() for r in caplog.records)
    status = "\n".join((await app.commands.status(where)).lines)
    assert "failed (last error: the platform is unavailable for now (503).)" in status

    attempts = len(poster.calls)
    poster.always = Step()  # the platform is back: a given-up digest stays given up
    for days in (3, 4):
        await tick_at(scheduler, clock, DUE + timedelta(days=days))
    assert len(poster.calls) == attempts and poster.posts == []


@pytest.mark.parametrize("retry_after_s", [1e12, float("inf")])
async def test_retry_after_beyond_any_schedule_gives_up_instead_of_looping(
    app: App, clock: Clock, poster: ScriptedPoster, retry_after_s: float
) -> None:
    # A broken endpoint's `Retry-After: 1e12` must not turn into a retry every lease.
    await channel_due_with_news(app, clock)
    poster.always = Step(PostError("the webhook answered 429.", retry_after_s=retry_after_s))
    scheduler = app.scheduler({"test": poster})
    await tick_at(scheduler, clock, DUE)
    for minutes in (1, 2, 5, 60):
        await tick_at(scheduler, clock, DUE + timedelta(minutes=minutes))
    assert len(poster.calls) == 1
    row = await outbox_row(app)
    assert row.state == "failed" and "429" in row.last_error


@pytest.mark.parametrize(("unreachable", "notices"), [(False, 1), (True, 0)])
async def test_a_channel_no_message_can_reach_is_not_sent_a_notice_as_well(
    app: App, clock: Clock, poster: ScriptedPoster, unreachable: bool, notices: int
) -> None:
    # Missing permission: the channel is told why (plain text may still get through). A
    # deleted channel, or a server that removed the bot: a notice is one more refused request.
    await channel_due_with_news(app, clock)
    refusal = PostError("cannot post here.", retryable=False, channel_unreachable=unreachable)
    poster.always = Step(refusal)
    await tick_at(app.scheduler({"test": poster}), clock, DUE)
    assert len(poster.calls) == 1 and poster.posts == []
    assert len(poster.notices) == notices
    row = await outbox_row(app)
    assert row.state != "sent" and row.last_error == "cannot post here."  # kept, to retry
