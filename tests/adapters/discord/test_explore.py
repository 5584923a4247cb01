"""Server situations found by exploratory testing: odd channels, slow core, lost access."""

from __future__ import annotations

import pytest

from tests.fakes.fake_discord import VOICE_CHANNEL, message_text

from .conftest import Bot
from .helpers import make_digest


async def test_a_digest_in_a_voice_channels_chat_is_posted_without_a_thread(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    # Voice channels have a text chat but no threads: Discord answers 400 (50024) to the
    # thread request. The digest is out, so the post succeeded; only the thread is missing.
    voice = bot.fake.add_channel("lounge", kind=VOICE_CHANNEL)
    result = await bot.adapter.poster.post_digest(
        bot.where(voice), make_digest(2), idempotency_key="k-voice"
    )
    (post,) = bot.fake.posted(voice)
    assert "Story 1" in message_text(post)
    assert result.message_id == post["id"] and result.thread_id == ""
    assert bot.fake.threads == {}
    assert "thread" in caplog.text
