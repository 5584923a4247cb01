"""The Discord sender of a scaled-out bot posts over REST only (no gateway session), with the
outbox key as the message nonce and `enforce_nonce`, so a re-sent post is not doubled.
The fake Discord fixture is the Discord adapter tests' own (tests/workers/conftest.py)."""

from __future__ import annotations

from contextlib import AsyncExitStack
from pathlib import Path

from adapters.discord_bot.render import part_nonce
from adapters.launch import sender_poster
from bot.app import build_app
from bot.models import ChannelRef
from tests.adapters.discord.conftest import bot_settings
from tests.adapters.discord.helpers import make_digest
from tests.fakes.fake_discord import FakeDiscord


async def test_the_discord_sender_posts_over_rest_with_the_outbox_key_as_nonce(
    tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    fake = fake_discord
    app = await build_app(bot_settings(tmp_path, fake), parse_in_process=True)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(app.aclose)
        poster = await sender_poster(app, "discord", stack)
        where = ChannelRef("discord", fake.guild_id, fake.channel_id)
        result = await poster.post_digest(where, make_digest(2), idempotency_key="k|daily:1")
        found = await poster.find_posted(where, "k|daily:1")

    posted = fake.posted()
    assert [m["id"] for m in posted][:1] == [result.message_id]
    assert found is not None and found.message_id == result.message_id
    sends = [c for c in fake.message_calls() if c.method == "POST"]
    assert sends and sends[0].body["nonce"] == part_nonce("k|daily:1", 1)
    assert sends[0].body["enforce_nonce"] is True
    assert fake.identify_payloads == []  # no gateway session: posting needs none
