"""The fake Slack answers the real slack_sdk client the way Slack does."""

from __future__ import annotations

import time

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from tests.fakes.fake_slack import FakeSlack


async def test_post_and_history_with_metadata() -> None:
    async with FakeSlack() as slack:
        client = AsyncWebClient(token="xoxb-one", base_url=slack.api_url)
        auth = await client.auth_test()
        assert auth["team_id"] == "T-ONE"
        posted = await client.chat_postMessage(
            channel="C1",
            text="hello",
            metadata={"event_type": "newsbot_digest", "event_payload": {"key": "k1"}},
        )
        plain = await client.conversations_history(channel="C1")
        assert "metadata" not in plain["messages"][0]
        full = await client.conversations_history(channel="C1", include_all_metadata=True)
        assert full["messages"][0]["ts"] == posted["ts"]
        assert full["messages"][0]["metadata"]["event_payload"] == {"key": "k1"}


async def test_refusals_are_slack_errors() -> None:
    async with FakeSlack() as slack:
        slack.not_in_channel.add("C-OUT")
        client = AsyncWebClient(token="xoxb-one", base_url=slack.api_url)
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="C-OUT", text="hi")
        assert error.value.response["error"] == "not_in_channel"
        with pytest.raises(SlackApiError) as error:
            await client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 51)
        assert error.value.response["error"] == "invalid_blocks"
        bad = AsyncWebClient(token="xoxb-unknown", base_url=slack.api_url)
        with pytest.raises(SlackApiError) as error:
            await bad.auth_test()
        assert error.value.response["error"] == "invalid_auth"
        assert slack.posts() == []


async def test_scripted_429_is_retried_by_the_rate_limit_handler() -> None:
    async with FakeSlack() as slack:
        slack.rate_limit("chat.postMessage", times=1, retry_after=1)
        client = AsyncWebClient(
            token="xoxb-one",
            base_url=slack.api_url,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )
        started = time.monotonic()
        await client.chat_postMessage(channel="C1", text="after the wait")
        assert time.monotonic() - started >= 1.0
        calls = slack.calls_to("chat.postMessage")
        assert [c.status for c in calls] == [429, 200]
        assert len(slack.posts("C1")) == 1
