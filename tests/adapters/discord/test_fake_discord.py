"""The fake Discord is strict where Discord is: checked with a bare discord.py client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import discord
import pytest
from discord import app_commands

from tests.fakes.fake_discord import FakeDiscord


@pytest.fixture
async def late_fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    # A short deadline keeps the "too late" case fast; the rule is the same as at 3 s.
    fake = FakeDiscord(interaction_deadline_s=0.2)
    await fake.start()
    fake.patch_discord(monkeypatch)
    try:
        yield fake
    finally:
        await fake.close()


@pytest.fixture
async def client(late_fake: FakeDiscord) -> AsyncIterator[discord.Client]:
    bare = discord.Client(
        intents=discord.Intents.default(),
        allowed_mentions=discord.AllowedMentions.none(),
        guild_ready_timeout=0.05,
    )
    tree = app_commands.CommandTree(bare)
    errors: list[Exception] = []

    @tree.command(name="late", description="late on purpose")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        try:
            await interaction.response.defer(thinking=True)
        except discord.NotFound as error:
            errors.append(error)

    bare.late_errors = errors  # type: ignore[attr-defined]
    await bare.login("any-token")
    runner = asyncio.create_task(bare.connect())
    try:
        await asyncio.wait_for(bare.wait_until_ready(), 5)
        yield bare
    finally:
        await bare.close()
        await asyncio.gather(runner, return_exceptions=True)


async def test_an_acknowledgement_after_the_deadline_is_refused_and_recorded(
    late_fake: FakeDiscord, client: discord.Client
) -> None:
    record = await late_fake.interact({"id": late_fake.new_id(), "name": "late", "type": 1})
    await eventually_true(lambda: bool(client.late_errors))  # type: ignore[attr-defined]
    assert late_fake.violations and "acknowledged after" in late_fake.violations[0]
    (error,) = client.late_errors  # type: ignore[attr-defined]
    assert error.code == 10062 and record.acked_at is None


async def eventually_true(check: Callable[[], bool]) -> None:
    for _ in range(200):
        if check():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("never happened")


async def test_limits_are_400s_in_discords_shape(
    late_fake: FakeDiscord, client: discord.Client
) -> None:
    channel = client.get_channel(int(late_fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    big = [discord.Embed(description="y" * 4000) for _ in range(2)]
    with pytest.raises(discord.HTTPException):
        await channel.send(embeds=big)  # 8000 characters across embeds
    with pytest.raises(discord.HTTPException):
        await channel.send(embeds=[discord.Embed(title="t" * 257)])
    assert late_fake.posted() == []


async def test_nonce_dedupes_and_403_for_the_locked_channel(
    late_fake: FakeDiscord, client: discord.Client
) -> None:
    channel = client.get_channel(int(late_fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("hello", nonce="same-nonce")
    again = await channel.send("hello", nonce="same-nonce")
    assert first.id == again.id and len(late_fake.posted()) == 1
    locked = client.get_channel(int(late_fake.locked_channel_id))
    assert isinstance(locked, discord.TextChannel)
    with pytest.raises(discord.Forbidden):
        await locked.send("hello")


async def test_429_without_via_is_not_retried_with_via_it_is(
    late_fake: FakeDiscord, client: discord.Client
) -> None:
    channel = client.get_channel(int(late_fake.channel_id))
    assert isinstance(channel, discord.TextChannel)
    late_fake.rate_limit(times=1, via=False, method="POST", path=r"/channels/\d+/messages")
    with pytest.raises(discord.HTTPException) as banned:
        await channel.send("one")
    assert banned.value.status == 429
    late_fake.rate_limit(times=2, retry_after=0.01, is_global=True)
    await channel.send("two")
    assert [c.status for c in late_fake.calls[-3:]] == [429, 429, 200]


async def test_rest_answers_carry_the_exact_json_content_type(late_fake: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{late_fake.api_base}/users/@me") as response,
    ):
        assert response.headers["Content-Type"] == "application/json"
